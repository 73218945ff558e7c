#include "stages/ingest/ingest_stage.h"

#include <google/protobuf/arena.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <unordered_set>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/trade.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/core/string_hash.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/expiry.h"
#include "pipeline/run_ledger.h"
#include "pipeline/side_input.h"
#include "stages/ingest/input_rules.h"
#include "stages/ingest/position_book.h"
#include "stages/ingest/trade_id_set.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

using clearing::v1::DeadLetter;
using Clock = std::chrono::steady_clock;
namespace state = eodclear::state::v1;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Result<Decimal> ParseStoredDecimal(const std::string& text, std::string_view what) {
  if (text.empty()) return Decimal();
  auto d = Decimal::Parse(text);
  if (!d)
    return Err(
        Status::Internal("stored " + std::string(what) + " is corrupt: " + d.error().message()));
  return d;
}

// Everything one run of the ingest stage holds in memory, and the batch being built.
class IngestRun {
 public:
  IngestRun(const IngestOptions& options, RunContext& ctx)
      : options_(options),
        ctx_(ctx),
        date_(ctx.business_date),
        book_(ctx.business_date),
        contracts_(*ctx.products) {}

  Status LoadState();
  Status ApplyPendingTrades();
  Status ConsumeToCutoff(BoundedConsumer* consumer, size_t total);
  // Marks the stage completed, in the same batch as its last changes, synced.
  Status Finish(double seconds);

 private:
  void HandleMessage(const ConsumedMessage& m);
  void HandleTrade(const ConsumedMessage& m);
  void HandleQuote(const ConsumedMessage& m);
  void ApplyValidTrade(const ValidTrade& t, const keys::SourcePosition& source);
  // What ingest needs to know of a contract on the business date, computed once per contract.
  struct ContractFacts {
    // The instant trading terminates; absent without calendars.
    std::optional<ZonedTime> terminates;
    // Why the expiry could not be computed (the contract is rejected), when it could not.
    std::string expiry_error;
    // The end of the settlement window on the business date; absent for parent-settled products
    // (their own quotes do not decide a settlement).
    std::optional<int64_t> window_end_nanos;
  };
  const ContractFacts& FactsOf(std::string_view contract, const Product& product);
  // A rejection when the trade was executed after its contract's termination (or the contract's
  // expiry cannot be computed), else nullopt.
  std::optional<Rejection> CheckTermination(const ValidTrade& t);
  // Stores a dead letter of the business date in the batch and counts it.
  void StageDeadLetter(const keys::SourcePosition& source, std::string_view key,
                       std::string_view value, DeadLetter::Reason reason, std::string detail);
  void DeadLetterOf(const ConsumedMessage& m, DeadLetter::Reason reason, std::string detail);
  // Hands the batch built so far, with `offsets`, to the writer and starts a new one. Batches are
  // written one at a time, in order: the previous write must have succeeded first. `sync` waits
  // for this write too.
  Status Commit(const std::map<std::pair<std::string, int32_t>, int64_t>& offsets, bool sync);
  // Waits for the batch being written, if any; then counts it in the metrics.
  Status AwaitWrite();
  void Progress(size_t consumed_so_far, size_t total, bool force);

  const IngestOptions& options_;
  RunContext& ctx_;
  Date date_;
  PositionBook book_;
  ContractResolver contracts_;
  std::optional<Date> last_closed_;
  TradeIdSet trade_ids_;
  std::map<std::string, state::QuoteState, std::less<>> quotes_;
  std::map<std::string, ContractFacts, std::less<>> facts_;
  std::unordered_set<std::string> dirty_quotes_;

  // The batch being built.
  rocksdb::WriteBatch batch_;
  // Blocks of the batch live on an arena, freed at once after each commit.
  std::unique_ptr<google::protobuf::Arena> arena_ = std::make_unique<google::protobuf::Arena>();
  std::map<std::string, std::pair<keys::SourcePosition, state::TradePrintBlock*>, std::less<>>
      prints_;
  std::map<Date, std::pair<keys::SourcePosition, state::TradeIdBlock*>> ids_;
  std::map<std::pair<std::string, std::string>, int64_t> batch_rejects_;  // (topic, reason)
  int64_t batch_trades_ = 0;
  int64_t batch_quotes_ = 0;

  // The batch being written by the writer thread, and what it counts once written.
  struct InFlight {
    std::future<Status> done;
    int64_t trades = 0;
    int64_t quotes = 0;
    std::map<std::pair<std::string, std::string>, int64_t> rejects;
  };
  std::optional<InFlight> in_flight_;
  clearing::v1::Trade trade_msg_;
  clearing::v1::Quote quote_msg_;

  Clock::time_point started_ = Clock::now();
  Clock::time_point last_progress_ = Clock::now();
  size_t last_progress_count_ = 0;
};

Result<PositionEntry> DecodePosition(std::string_view key, const state::PositionState& s) {
  EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts k, keys::ParsePositionKey(key));
  PositionEntry e;
  e.firm = std::move(k.firm);
  e.account = std::move(k.account);
  e.contract = std::move(k.contract);
  e.net = s.net_quantity();
  e.bought = s.bought();
  e.sold = s.sold();
  auto day = Date::Parse(s.activity_date());
  auto bv = ParseStoredDecimal(s.buy_value(), "buy value");
  auto sv = ParseStoredDecimal(s.sell_value(), "sell value");
  if (!day || !bv || !sv) {
    return Err(Status::Internal("position record of " + e.firm + " " + e.account + " " +
                                e.contract + " is corrupt"));
  }
  e.activity_date = *day;
  e.buy_value = *bv;
  e.sell_value = *sv;
  return e;
}

Result<ContractDayEntry> DecodeContractDay(std::string_view key, const state::ContractDayStats& s) {
  EODCLEAR_ASSIGN_OR_RETURN(keys::ContractDayKeyParts k, keys::ParseContractDayKey(key));
  ContractDayEntry e;
  e.contract = std::move(k.contract);
  e.trade_count = s.trade_count();
  e.volume = s.volume();
  auto turnover = ParseStoredDecimal(s.turnover(), "turnover");
  auto open = ParseStoredDecimal(s.open_price(), "open");
  auto high = ParseStoredDecimal(s.high_price(), "high");
  auto low = ParseStoredDecimal(s.low_price(), "low");
  auto last = ParseStoredDecimal(s.last_price(), "last");
  auto first_time = ZonedTime::Parse(s.first_trade_time());
  auto last_time = ZonedTime::Parse(s.last_trade_time());
  if (!turnover || !open || !high || !low || !last || !first_time || !last_time) {
    return Err(Status::Internal("contract statistics of " + e.contract + " are corrupt"));
  }
  e.turnover = *turnover;
  e.open = *open;
  e.high = *high;
  e.low = *low;
  e.last = *last;
  e.first_time = *first_time;
  e.last_time = *last_time;
  return e;
}

Status IngestRun::LoadState() {
  EODCLEAR_ASSIGN_OR_RETURN(last_closed_, RunLedger::LastClosedDate(ctx_.store));
  StateStore* store = ctx_.store;
  EODCLEAR_RETURN_IF_ERROR(store->ScanMessages<state::TradeIdBlock>(
      StateCf::kTradeIds, "", [&](std::string_view, const state::TradeIdBlock& block) -> Status {
        for (const auto& id : block.trade_ids()) trade_ids_.Insert(id);
        return Status::Ok();
      }));
  EODCLEAR_RETURN_IF_ERROR(store->ScanMessages<state::PositionState>(
      StateCf::kPositions, "", [&](std::string_view k, const state::PositionState& s) -> Status {
        EODCLEAR_ASSIGN_OR_RETURN(PositionEntry e, DecodePosition(k, s));
        book_.LoadPosition(std::move(e));
        return Status::Ok();
      }));
  EODCLEAR_RETURN_IF_ERROR(store->ScanMessages<state::ContractDayStats>(
      StateCf::kContractDays, keys::DatePrefix(date_),
      [&](std::string_view k, const state::ContractDayStats& s) -> Status {
        EODCLEAR_ASSIGN_OR_RETURN(ContractDayEntry e, DecodeContractDay(k, s));
        book_.LoadContractDay(std::move(e));
        return Status::Ok();
      }));
  return store->ScanMessages<state::QuoteState>(
      StateCf::kQuotes, keys::DatePrefix(date_),
      [&](std::string_view k, const state::QuoteState& q) -> Status {
        EODCLEAR_ASSIGN_OR_RETURN(keys::ContractDayKeyParts key, keys::ParseContractDayKey(k));
        quotes_.insert_or_assign(std::move(key.contract), q);
        return Status::Ok();
      });
}

Status IngestRun::ApplyPendingTrades() {
  // Trades held for a trade date up to the business date: apply them, delete them, one batch.
  Status bad;
  size_t applied = 0;
  auto it = ctx_.store->NewIterator(StateCf::kPendingTrades);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    auto key = keys::ParseDatedSourceKey(k);
    if (!key) return key.error();
    if (date_ < key->date) break;
    clearing::v1::Trade t;
    if (!t.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status::Internal("a pending trade is corrupt");
    }
    auto valid = ValidateTrade(t, contracts_);
    if (std::holds_alternative<ValidTrade>(valid)) {
      if (auto rejection = CheckTermination(std::get<ValidTrade>(valid))) valid = *rejection;
    }
    if (auto* rejection = std::get_if<Rejection>(&valid)) {
      // Reference data changed since the trade was held: it goes to dead letters now.
      StageDeadLetter(key->source, "", std::string_view(it->value().data(), it->value().size()),
                      rejection->reason, std::move(rejection->detail));
    } else {
      ApplyValidTrade(std::get<ValidTrade>(valid), key->source);
      ++applied;
    }
    batch_.Delete(ctx_.store->cf(StateCf::kPendingTrades), k);
  }
  EODCLEAR_RETURN_IF_ERROR(StateStore::IteratorStatus(*it));
  if (applied > 0)
    *ctx_.progress << "ingest: applied " << applied << " trades held for " << date_.ToString()
                   << "\n";
  return Commit({}, /*sync=*/false);
}

void IngestRun::ApplyValidTrade(const ValidTrade& t, const keys::SourcePosition& source) {
  book_.ApplyTrade(t);
  auto it = prints_.find(t.contract);
  if (it == prints_.end()) {
    auto* fresh = google::protobuf::Arena::CreateMessage<state::TradePrintBlock>(arena_.get());
    it = prints_.emplace(std::string(t.contract), std::make_pair(source, fresh)).first;
  }
  auto* print = it->second.second->add_trades();
  print->set_trade_id(std::string(t.trade_id));
  print->set_exec_time_unix_nanos(t.exec_time.unix_nanos);
  print->set_exec_time(std::string(t.exec_time_text));
  print->set_price(std::string(t.price_text));
  print->set_quantity(t.quantity);
}

void IngestRun::StageDeadLetter(const keys::SourcePosition& source, std::string_view key,
                                std::string_view value, DeadLetter::Reason reason,
                                std::string detail) {
  eodclear::StageDeadLetter(date_, source.topic, source.partition, source.offset, key, value,
                            reason, std::move(detail), *ctx_.store, &batch_);
  ++batch_rejects_[{source.topic, DeadLetter::Reason_Name(reason)}];
}

void IngestRun::DeadLetterOf(const ConsumedMessage& m, DeadLetter::Reason reason,
                             std::string detail) {
  StageDeadLetter(keys::SourcePosition{std::string(m.topic()), m.partition(), m.offset()}, m.key(),
                  m.value(), reason, std::move(detail));
}

void IngestRun::HandleTrade(const ConsumedMessage& m) {
  std::string_view value = m.value();
  if (value.empty() || !trade_msg_.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    DeadLetterOf(m, DeadLetter::UNDECODABLE,
                 value.empty() ? "empty message" : "not a clearing.v1.Trade protobuf");
    return;
  }
  auto valid = ValidateTrade(trade_msg_, contracts_);
  if (auto* rejection = std::get_if<Rejection>(&valid)) {
    DeadLetterOf(m, rejection->reason, std::move(rejection->detail));
    return;
  }
  ValidTrade& t = std::get<ValidTrade>(valid);
  if (auto rejection = CheckTermination(t)) {
    DeadLetterOf(m, rejection->reason, std::move(rejection->detail));
    return;
  }
  if (trade_ids_.Contains(t.trade_id)) {
    DeadLetterOf(m, DeadLetter::DUPLICATE_TRADE_ID,
                 "trade id " + std::string(t.trade_id) + " was already applied");
    return;
  }
  if (last_closed_ && !(*last_closed_ < t.trade_date)) {
    DeadLetterOf(m, DeadLetter::TRADE_DATE_CLOSED,
                 "trade date " + t.trade_date.ToString() + " was closed by the run of " +
                     last_closed_->ToString());
    return;
  }
  trade_ids_.Insert(t.trade_id);
  keys::SourcePosition source{std::string(m.topic()), m.partition(), m.offset()};
  auto ids = ids_.find(t.trade_date);
  if (ids == ids_.end()) {
    auto* fresh = google::protobuf::Arena::CreateMessage<state::TradeIdBlock>(arena_.get());
    ids = ids_.emplace(t.trade_date, std::make_pair(source, fresh)).first;
  }
  ids->second.second->add_trade_ids(std::string(t.trade_id));
  if (date_ < t.trade_date) {
    // Kept for its own date: not applied and not rejected.
    batch_.Put(ctx_.store->cf(StateCf::kPendingTrades), keys::DatedSourceKey(t.trade_date, source),
               rocksdb::Slice(value.data(), value.size()));
    return;
  }
  ApplyValidTrade(t, source);
}

void IngestRun::HandleQuote(const ConsumedMessage& m) {
  std::string_view value = m.value();
  if (value.empty() || !quote_msg_.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    DeadLetterOf(m, DeadLetter::UNDECODABLE,
                 value.empty() ? "empty message" : "not a clearing.v1.Quote protobuf");
    return;
  }
  auto valid = ValidateQuote(quote_msg_, contracts_);
  if (auto* rejection = std::get_if<Rejection>(&valid)) {
    DeadLetterOf(m, rejection->reason, std::move(rejection->detail));
    return;
  }
  const ValidQuote& q = std::get<ValidQuote>(valid);
  // The settlement snapshot: the latest quote by time at or before the end of the product's
  // settlement window on the business date (at equal times the later message wins). Later quotes
  // do not decide the day's settlement and are not kept.
  const ContractFacts& facts = FactsOf(q.contract, *q.product);
  if (facts.window_end_nanos && q.time.unix_nanos > *facts.window_end_nanos) return;
  auto it = quotes_.find(q.contract);
  if (it != quotes_.end() && q.time.unix_nanos < it->second.time_unix_nanos()) return;
  if (it == quotes_.end()) it = quotes_.emplace(std::string(q.contract), state::QuoteState()).first;
  state::QuoteState& s = it->second;
  s.set_time(q.time.ToString());
  s.set_time_unix_nanos(q.time.unix_nanos);
  s.set_bid(q.has_bid ? q.bid.ToString() : "");
  s.set_bid_size(q.bid_size);
  s.set_ask(q.has_ask ? q.ask.ToString() : "");
  s.set_ask_size(q.ask_size);
  dirty_quotes_.insert(std::string(q.contract));
}

const IngestRun::ContractFacts& IngestRun::FactsOf(std::string_view contract,
                                                   const Product& product) {
  auto it = facts_.find(contract);
  if (it != facts_.end()) return it->second;
  ContractFacts f;
  if (product.settlement_window) {
    auto window = SettlementWindowOn(product, date_);
    if (window) f.window_end_nanos = window->end.unix_nanos;
  }
  if (ctx_.calendars != nullptr) {
    auto parsed = ctx_.products->ResolveContract(contract);
    if (!parsed) {
      f.expiry_error = parsed.error().message();
    } else {
      auto expiry = ComputeExpiry(product, parsed->year, parsed->month, *ctx_.calendars);
      if (expiry) {
        f.terminates = expiry->trading_terminates;
      } else {
        f.expiry_error = expiry.error().message();
      }
    }
  }
  return facts_.emplace(std::string(contract), std::move(f)).first->second;
}

std::optional<Rejection> IngestRun::CheckTermination(const ValidTrade& t) {
  const ContractFacts& f = FactsOf(t.contract, *t.product);
  if (!f.expiry_error.empty()) {
    return Rejection{DeadLetter::UNKNOWN_CONTRACT,
                     "contract " + std::string(t.contract) + ": " + f.expiry_error};
  }
  if (f.terminates && t.exec_time.unix_nanos > f.terminates->unix_nanos) {
    return Rejection{DeadLetter::CONTRACT_TERMINATED,
                     "trade executed at " + std::string(t.exec_time_text) + " but trading in " +
                         std::string(t.contract) + " terminated at " + f.terminates->ToString()};
  }
  return std::nullopt;
}

void IngestRun::HandleMessage(const ConsumedMessage& m) {
  if (m.topic() == options_.trades_topic) {
    ++batch_trades_;
    HandleTrade(m);
  } else {
    ++batch_quotes_;
    HandleQuote(m);
  }
}

Status IngestRun::AwaitWrite() {
  if (!in_flight_) return Status::Ok();
  InFlight done = std::move(*in_flight_);
  in_flight_.reset();
  EODCLEAR_RETURN_IF_ERROR(done.done.get());
  ctx_.metrics->Consumed(options_.trades_topic).Increment(static_cast<double>(done.trades));
  ctx_.metrics->Consumed(options_.quotes_topic).Increment(static_cast<double>(done.quotes));
  for (const auto& [key, n] : done.rejects) {
    ctx_.metrics->Rejected(key.first, key.second).Increment(static_cast<double>(n));
  }
  return Status::Ok();
}

Status IngestRun::Commit(const std::map<std::pair<std::string, int32_t>, int64_t>& offsets,
                         bool sync) {
  StateStore* store = ctx_.store;
  for (const PositionEntry* e : book_.TakeDirtyPositions()) {
    state::PositionState s;
    s.set_net_quantity(e->net);
    s.set_activity_date(e->activity_date.ToString());
    s.set_bought(e->bought);
    s.set_sold(e->sold);
    s.set_buy_value(e->buy_value.ToString());
    s.set_sell_value(e->sell_value.ToString());
    batch_.Put(store->cf(StateCf::kPositions), keys::PositionKey(e->firm, e->account, e->contract),
               s.SerializeAsString());
  }
  for (const ContractDayEntry* e : book_.TakeDirtyContractDays()) {
    state::ContractDayStats s;
    s.set_trade_count(e->trade_count);
    s.set_volume(e->volume);
    s.set_turnover(e->turnover.ToString());
    s.set_open_price(e->open.ToString());
    s.set_high_price(e->high.ToString());
    s.set_low_price(e->low.ToString());
    s.set_last_price(e->last.ToString());
    s.set_first_trade_time(e->first_time.ToString());
    s.set_last_trade_time(e->last_time.ToString());
    batch_.Put(store->cf(StateCf::kContractDays), keys::ContractDayKey(date_, e->contract),
               s.SerializeAsString());
  }
  for (const auto& contract : dirty_quotes_) {
    batch_.Put(store->cf(StateCf::kQuotes), keys::ContractDayKey(date_, contract),
               quotes_[contract].SerializeAsString());
  }
  dirty_quotes_.clear();
  for (const auto& [contract, entry] : prints_) {
    batch_.Put(store->cf(StateCf::kDayTrades), keys::DayTradesKey(date_, contract, entry.first),
               entry.second->SerializeAsString());
  }
  prints_.clear();
  for (const auto& [trade_date, entry] : ids_) {
    batch_.Put(store->cf(StateCf::kTradeIds), keys::DatedSourceKey(trade_date, entry.first),
               entry.second->SerializeAsString());
  }
  ids_.clear();
  StageOffsets(offsets, *store, &batch_);
  int64_t consumed = batch_trades_ + batch_quotes_, rejected = 0;
  for (const auto& [key, n] : batch_rejects_) rejected += n;
  auto* rs = ctx_.ledger->mutable_state();
  rs->set_messages_consumed(rs->messages_consumed() + consumed);
  rs->set_messages_rejected(rs->messages_rejected() + rejected);
  EODCLEAR_RETURN_IF_ERROR(ctx_.ledger->Stage(&batch_, store));
  EODCLEAR_RETURN_IF_ERROR(AwaitWrite());
  auto writing = std::make_shared<rocksdb::WriteBatch>(std::move(batch_));
  batch_ = rocksdb::WriteBatch();
  arena_ = std::make_unique<google::protobuf::Arena>();
  InFlight next;
  next.done = std::async(std::launch::async,
                         [store, writing, sync] { return store->Write(writing.get(), sync); });
  next.trades = batch_trades_;
  next.quotes = batch_quotes_;
  next.rejects = std::move(batch_rejects_);
  in_flight_ = std::move(next);
  batch_trades_ = 0;
  batch_quotes_ = 0;
  batch_rejects_.clear();
  if (sync) EODCLEAR_RETURN_IF_ERROR(AwaitWrite());
  return Status::Ok();
}

void IngestRun::Progress(size_t done, size_t total, bool force) {
  bool due = options_.progress_every_messages > 0
                 ? done - last_progress_count_ >= options_.progress_every_messages
                 : SecondsSince(last_progress_) >= 1.0;
  if (!force && !due) return;
  double secs = SecondsSince(started_);
  *ctx_.progress << "ingest: " << done << "/" << total << " messages";
  if (total > 0) *ctx_.progress << " (" << (100 * done / total) << "%)";
  if (secs > 0)
    *ctx_.progress << ", " << static_cast<int64_t>(static_cast<double>(done) / secs) << " msg/s";
  *ctx_.progress << std::endl;
  last_progress_ = Clock::now();
  last_progress_count_ = done;
}

Status IngestRun::ConsumeToCutoff(BoundedConsumer* consumer, size_t total) {
  MessageBatch batch;
  size_t done = 0;
  Clock::time_point last_activity = Clock::now();
  uint64_t last_progress = consumer->progress();
  Progress(0, total, /*force=*/true);
  size_t uncommitted = 0;
  Clock::time_point batch_started = Clock::now();
  double poll_secs = 0, apply_secs = 0, commit_secs = 0;
  while (!consumer->Done()) {
    Clock::time_point t0 = Clock::now();
    EODCLEAR_RETURN_IF_ERROR(consumer->Poll(&batch));
    Clock::time_point t1 = Clock::now();
    for (const ConsumedMessage& m : batch.messages()) HandleMessage(m);
    poll_secs += std::chrono::duration<double>(t1 - t0).count();
    apply_secs += SecondsSince(t1);
    done += batch.size();
    uncommitted += batch.size();
    bool moved = !batch.empty() || consumer->progress() != last_progress;
    if (moved) {
      last_activity = Clock::now();
      last_progress = consumer->progress();
    } else if (SecondsSince(last_activity) > options_.idle_timeout_seconds) {
      std::string waiting;
      for (const auto& [tp, next] : consumer->positions()) {
        waiting += " " + tp.first + "[" + std::to_string(tp.second) + "]@" + std::to_string(next);
      }
      return Status::Unavailable("no message for " + std::to_string(options_.idle_timeout_seconds) +
                                 "s before the cut-off was reached; positions:" + waiting);
    }
    bool due = uncommitted >= options_.commit_every_messages ||
               SecondsSince(batch_started) * 1000 >= options_.commit_every_ms || consumer->Done();
    if (!due || (!moved && uncommitted == 0)) continue;
    Clock::time_point t2 = Clock::now();
    EODCLEAR_RETURN_IF_ERROR(Commit(consumer->positions(), /*sync=*/false));
    commit_secs += SecondsSince(t2);
    consumer->CommitAsync();
    uncommitted = 0;
    batch_started = Clock::now();
    Progress(done, total, /*force=*/false);
  }
  Progress(done, total, /*force=*/true);
  *ctx_.progress << "ingest: " << poll_secs << " s waiting for messages, " << apply_secs
                 << " s applying, " << commit_secs << " s preparing and handing over writes\n";
  return Status::Ok();
}

Status IngestRun::Finish(double seconds) {
  ctx_.ledger->MarkCompleted("ingest", seconds);
  return Commit({}, /*sync=*/true);
}

}  // namespace

Status IngestStage::Run(RunContext& ctx) {
  Clock::time_point started = Clock::now();
  BoundedConsumer::Options consumer_options;
  consumer_options.kafka = kafka_;
  consumer_options.group_id = options_.consumer_group;
  consumer_options.max_batch = options_.max_poll;
  EODCLEAR_ASSIGN_OR_RETURN(auto consumer, BoundedConsumer::Create(consumer_options));

  // The cut-off: every input partition's high watermark, taken now.
  std::vector<PartitionRange> ranges;
  size_t total = 0;
  std::vector<std::string> lost;  // "topic[p]: offsets a..b" deleted before they were consumed
  for (const std::string& topic : {options_.trades_topic, options_.quotes_topic}) {
    auto partitions = consumer->Partitions(topic);
    if (!partitions && partitions.error().code() == Status::Code::kNotFound) {
      *ctx.progress << "ingest: topic " << topic << " does not exist; nothing to read from it\n";
      continue;
    }
    if (!partitions) return partitions.error();
    for (int32_t p : *partitions) {
      EODCLEAR_ASSIGN_OR_RETURN(Watermarks w, consumer->QueryWatermarks(topic, p));
      EODCLEAR_ASSIGN_OR_RETURN(int64_t start, StoredOffset(*ctx.store, topic, p));
      std::string where = topic + "[" + std::to_string(p) + "]";
      if (start < w.low) {
        // Every partition's gap is named, not only the first: the operator restores them all.
        lost.push_back(where + ": offsets " + std::to_string(start) + ".." +
                       std::to_string(w.low - 1));
        continue;
      }
      if (start > w.high) {
        return Status::DataError(where + ": stored offset " + std::to_string(start) +
                                 " is beyond the high watermark " + std::to_string(w.high) +
                                 " (was the topic recreated?)");
      }
      ctx.metrics->SetLagAtCutoff(topic, p, static_cast<double>(w.high - start));
      total += static_cast<size_t>(w.high - start);
      ranges.push_back(PartitionRange{topic, p, start, w.high});
    }
  }

  if (!lost.empty()) {
    std::string what;
    for (const std::string& gap : lost) what += (what.empty() ? "" : "; ") + gap;
    return Status::DataError(what +
                             " were deleted from the broker (retention) before eodclear consumed "
                             "them; the run stops rather than skip them");
  }
  *ctx.progress << "ingest: cut-off taken on " << ranges.size() << " partitions in "
                << SecondsSince(started) << " s; " << total << " messages to read\n";
  IngestRun run(options_, ctx);
  Clock::time_point loading = Clock::now();
  EODCLEAR_RETURN_IF_ERROR(run.LoadState());
  *ctx.progress << "ingest: state loaded in " << SecondsSince(loading) << " s\n";
  EODCLEAR_RETURN_IF_ERROR(run.ApplyPendingTrades());
  EODCLEAR_RETURN_IF_ERROR(consumer->Assign(ranges));
  EODCLEAR_RETURN_IF_ERROR(run.ConsumeToCutoff(consumer.get(), total));
  double seconds = SecondsSince(started);
  EODCLEAR_RETURN_IF_ERROR(run.Finish(seconds));
  ctx.metrics->SetStageSeconds(name(), seconds);
  return Status::Ok();
}

}  // namespace eodclear
