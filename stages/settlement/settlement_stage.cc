#include "stages/settlement/settlement_stage.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <tuple>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/reference_price.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/calendar.h"
#include "pipeline/refdata/expiry.h"
#include "pipeline/refdata/product_catalog.h"
#include "pipeline/run_ledger.h"
#include "pipeline/settlement_history.h"
#include "pipeline/side_input.h"
#include "pipeline/start_of_day.h"
#include "stages/settlement/curve_settlement.h"
#include "stages/settlement/settlement_price.h"
#include "stages/settlement/variation_margin.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

namespace state = eodclear::state::v1;
using clearing::v1::DeadLetter;
using clearing::v1::FinalSettlement;
using clearing::v1::SettlementOverride;
using clearing::v1::VariationMargin;
using Clock = std::chrono::steady_clock;

// The tier name of a final settlement price in `settlement-prices` and the `settlements` history.
constexpr std::string_view kFinalTier = "final";

// The smallest unit of each settlement currency (ISO 4217 minor units; CNH as CNY). Variation
// margin is rounded to it (stages/settlement/variation_margin.h).
std::optional<Decimal> MinorUnit(std::string_view currency) {
  static const std::map<std::string, Decimal, std::less<>> kUnits = {
      {"USD", Decimal::FromUnits(Decimal::kOne / 100)},
      {"EUR", Decimal::FromUnits(Decimal::kOne / 100)},
      {"CNH", Decimal::FromUnits(Decimal::kOne / 100)},
      {"GBP", Decimal::FromUnits(Decimal::kOne / 100)},
      {"JPY", Decimal::FromInt(1)},
  };
  auto it = kUnits.find(currency);
  if (it == kUnits.end()) return std::nullopt;
  return it->second;
}

struct OverrideEntry {
  Decimal price;
  std::string reason;
  std::string entered_by;
};

// The side inputs of the stage: reference prices and operator overrides.
struct SideInputs {
  // (name, kind, date) -> value; the latest record wins.
  std::map<std::tuple<std::string, int, Date>, Decimal> references;
  // (contract, kind) -> date -> override; the latest record wins, file rows last.
  std::map<std::pair<std::string, int>, std::map<Date, OverrideEntry>> overrides;
};

// One contract's state through the stage.
struct ContractWork {
  std::string contract;
  const Product* product = nullptr;
  Contract parsed;
  ContractExpiry expiry;
  bool open_interest = false;  // a position open at the start or end of the day
  bool open_at_start = false;  // a position open at the start of the day
  bool activity = false;       // traded on the business date
  std::optional<Decimal> prior;
  std::string prior_source;  // "settlement of 2023-06-15", "override for 2023-06-15"
  // The daily settlement, when one was made today.
  std::optional<SettlementDecision> daily;
  // Why no daily settlement could be made on the last trade date (SettleFinal decides whether one
  // is needed).
  std::string daily_failure;
  std::vector<std::string> neighbours;
  std::optional<WindowInstants> window;
  std::string override_reason;
  // The price positions are marked to today; absent: no variation margin today (awaiting).
  std::optional<Decimal> mark;
  std::string mark_text, prior_text;  // as written in variation-margin records
  // Final settlement: set for contracts terminating today or awaiting their final price.
  std::optional<FinalSettlement> final_record;
  bool close_positions = false;  // final settlement done: positions closed after VM
  bool needed() const { return open_interest || activity; }
};

// A stored position as the business date sees it: the day's activity counts only when it is of
// that date; the start of the day is the end less the day's buys plus its sells.
struct PositionDay {
  bool active = false;
  int64_t start_of_day = 0;
  int64_t end_of_day = 0;
  // Open at either end of the day or traded on it: the stage settles and marks it.
  bool concerned() const { return active || start_of_day != 0 || end_of_day != 0; }
};
PositionDay DayOf(const state::PositionState& s, const std::string& date_text) {
  PositionDay d;
  d.active = s.activity_date() == date_text;
  d.end_of_day = s.net_quantity();
  d.start_of_day = d.active ? s.net_quantity() - s.bought() + s.sold() : s.net_quantity();
  return d;
}

Result<Decimal> ParseDecimal(const std::string& text, const std::string& what) {
  auto d = Decimal::Parse(text);
  if (!d) return Err(Status::Internal(what + " is corrupt: " + d.error().message()));
  return *d;
}

// The run-id-less record of an output topic, keyed for the outbox.
void PutOutbox(rocksdb::WriteBatch* batch, StateStore* store, Date date, const std::string& topic,
               const std::string& key, const google::protobuf::Message& m) {
  batch->Put(store->cf(StateCf::kOutbox), keys::OutboxKey(date, topic, key), m.SerializeAsString());
}

class SettlementRun {
 public:
  SettlementRun(const SettlementOptions& options, const KafkaOptions& kafka, RunContext& ctx)
      : options_(options), kafka_(kafka), ctx_(ctx), date_(ctx.business_date) {}

  Status Run();
  // Puts the positions closed by final settlement and the checkpoint (the stage took `seconds`) in
  // the last batch; writes it, synced.
  Status Finish(double seconds);

 private:
  Status ReadSideInputs();
  Status ReadTopic(const std::string& topic,
                   const std::function<void(const ConsumedMessage&, bool fresh)>& fn);
  void DeadLetter(const ConsumedMessage& m, DeadLetter::Reason reason, std::string detail);
  Status ScanContracts();
  Result<ContractWork*> Work(const std::string& contract);
  Status LoadPrior(ContractWork& w);
  std::optional<OverrideEntry> OverrideOn(const std::string& contract,
                                          SettlementOverride::Kind kind, Date date) const;
  Result<OutrightSettlementInputs> InputsOf(ContractWork& w);
  Status SettleDaily();
  Status SettleFinal();
  Status MarkAndClose();
  Status WriteOutputs();
  Status FlushIfFull(bool force);
  // Waits for the batch being written, if any.
  Status AwaitWrite();

  const SettlementOptions& options_;
  const KafkaOptions& kafka_;
  RunContext& ctx_;
  Date date_;
  std::string date_text_ = date_.ToString();
  SideInputs inputs_;
  std::map<std::string, ContractWork> work_;
  std::vector<std::string> cannot_settle_;
  rocksdb::WriteBatch batch_;
  size_t batch_records_ = 0;
  std::future<Status> writing_;
  // Positions closed by final settlement: written with the checkpoint only, never in an earlier
  // batch, so a retried stage sees them open.
  // Positions closed by final settlement: key, value as ingest left it, value closed.
  struct Close {
    std::string key;
    std::string before;
    std::string after;
  };
  std::vector<Close> closes_;
  // Next offsets of the side topics after this run (the dead-letter high-water marks).
  std::map<std::pair<std::string, int32_t>, int64_t> side_offsets_;
  std::map<std::pair<std::string, std::string>, Decimal> firm_totals_;  // (firm, currency)
  int64_t vm_records_ = 0;
  std::map<std::pair<std::string, std::string>, int64_t> rejects_;  // (topic, reason) -> count
};

Status SettlementRun::ReadTopic(const std::string& topic,
                                const std::function<void(const ConsumedMessage&, bool)>& fn) {
  return ReadSideTopic(kafka_, options_.consumer_group, topic, *ctx_.store, fn, &side_offsets_);
}

void SettlementRun::DeadLetter(const ConsumedMessage& m, DeadLetter::Reason reason,
                               std::string detail) {
  StageDeadLetter(date_, m, reason, std::move(detail), *ctx_.store, &batch_);
  ++rejects_[{std::string(m.topic()), clearing::v1::DeadLetter::Reason_Name(reason)}];
}

Status SettlementRun::ReadSideInputs() {
  // Reference prices. A malformed record is dead-lettered by the first run that reads it.
  EODCLEAR_RETURN_IF_ERROR(
      ReadTopic(options_.reference_prices_topic, [&](const ConsumedMessage& m, bool fresh) {
        clearing::v1::ReferencePrice r;
        std::string problem;
        DeadLetter::Reason reason = DeadLetter::INVALID_FIELD;
        auto date = Date::Parse(r.date());
        if (m.value().empty() ||
            !r.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) {
          problem = "not a clearing.v1.ReferencePrice protobuf";
          reason = DeadLetter::UNDECODABLE;
        } else if (r.name().empty()) {
          problem = "name is empty";
          reason = DeadLetter::MISSING_FIELD;
        } else if (date = Date::Parse(r.date()); !date) {
          problem = "date: " + date.error().message();
        } else if (r.kind() == clearing::v1::ReferencePrice::KIND_UNSPECIFIED) {
          problem = "kind is not set";
          reason = DeadLetter::MISSING_FIELD;
        }
        std::optional<Decimal> value;
        if (problem.empty()) {
          auto v = Decimal::Parse(r.value());
          if (!v) {
            problem = "value: " + v.error().message();
          } else {
            value = *v;
          }
        }
        if (!problem.empty()) {
          if (fresh) DeadLetter(m, reason, problem);
          return;
        }
        inputs_.references[{r.name(), static_cast<int>(r.kind()), *date}] = *value;
      }));
  // Overrides: validated against the catalog; the latest per (date, contract, kind) wins.
  auto add_override = [&](const SettlementOverride& o, std::string* problem) {
    auto date = Date::Parse(o.business_date());
    if (!date) {
      *problem = "business_date: " + date.error().message();
      return;
    }
    auto contract = ctx_.products->ResolveContract(o.contract());
    if (!contract) {
      *problem = "contract: " + contract.error().message();
      return;
    }
    const Product* product = ctx_.products->Find(contract->product);
    auto price = Decimal::Parse(o.price());
    if (!price) {
      *problem = "price: " + price.error().message();
      return;
    }
    if (o.kind() == SettlementOverride::KIND_UNSPECIFIED) {
      *problem = "kind is not DAILY or FINAL";
      return;
    }
    if (o.kind() == SettlementOverride::DAILY && !price->IsMultipleOf(product->settlement_tick)) {
      *problem = "price " + o.price() + " is not a multiple of " + product->code +
                 "'s settlement tick " + product->settlement_tick.ToString();
      return;
    }
    inputs_.overrides[{contract->ToString(), static_cast<int>(o.kind())}][*date] =
        OverrideEntry{*price, o.reason(), o.entered_by()};
  };
  EODCLEAR_RETURN_IF_ERROR(
      ReadTopic(options_.overrides_topic, [&](const ConsumedMessage& m, bool fresh) {
        SettlementOverride o;
        std::string problem;
        if (m.value().empty() ||
            !o.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) {
          if (fresh) {
            DeadLetter(m, DeadLetter::UNDECODABLE, "not a clearing.v1.SettlementOverride protobuf");
          }
          return;
        }
        add_override(o, &problem);
        if (!problem.empty() && fresh) {
          DeadLetter(m, DeadLetter::INVALID_INSTRUCTION, problem);
        }
      }));
  for (const auto& o : options_.file_overrides) {
    std::string problem;
    add_override(o, &problem);
    if (!problem.empty()) {
      // The file was validated before the run started; a problem here is a catalog mismatch.
      return Status::InvalidArgument("settlement-overrides.csv: " + o.contract() + ": " + problem);
    }
  }
  return Status::Ok();
}

std::optional<OverrideEntry> SettlementRun::OverrideOn(const std::string& contract,
                                                       SettlementOverride::Kind kind,
                                                       Date date) const {
  auto it = inputs_.overrides.find({contract, static_cast<int>(kind)});
  if (it == inputs_.overrides.end()) return std::nullopt;
  auto d = it->second.find(date);
  if (d == it->second.end()) return std::nullopt;
  return d->second;
}

Result<ContractWork*> SettlementRun::Work(const std::string& contract) {
  auto it = work_.find(contract);
  if (it != work_.end()) return &it->second;
  ContractWork w;
  w.contract = contract;
  EODCLEAR_ASSIGN_OR_RETURN(w.parsed, ctx_.products->ResolveContract(contract));
  w.product = ctx_.products->Find(w.parsed.product);
  if (ctx_.calendars == nullptr) {
    return Err(Status::Internal("the settlement stage needs the calendars"));
  }
  auto expiry = ComputeExpiry(*w.product, w.parsed.year, w.parsed.month, *ctx_.calendars);
  if (!expiry) return Err(expiry.error().WithContext("expiry of " + contract));
  w.expiry = *expiry;
  if (w.product->settlement_window) {
    EODCLEAR_ASSIGN_OR_RETURN(WindowInstants window, SettlementWindowOn(*w.product, date_));
    w.window = window;
  }
  return &work_.emplace(contract, std::move(w)).first->second;
}

Status SettlementRun::LoadPrior(ContractWork& w) {
  // The latest settlement before the business date, else the latest DAILY override before it.
  EODCLEAR_ASSIGN_OR_RETURN(auto stored, SettlementBefore(*ctx_.store, w.contract, date_));
  if (stored) {
    EODCLEAR_ASSIGN_OR_RETURN(Decimal price, ParseDecimal(stored->price, "settlement price"));
    w.prior = price;
    w.prior_source = "settlement of " + stored->date.ToString();
    return Status::Ok();
  }
  auto o = inputs_.overrides.find({w.contract, static_cast<int>(SettlementOverride::DAILY)});
  if (o != inputs_.overrides.end()) {
    auto before = o->second.lower_bound(date_);
    if (before != o->second.begin()) {
      --before;
      w.prior = before->second.price;
      w.prior_source = "override for " + before->first.ToString();
    }
  }
  return Status::Ok();
}

Status SettlementRun::ScanContracts() {
  // Positions: which contracts have open interest or activity today.
  EODCLEAR_RETURN_IF_ERROR(ctx_.store->ScanMessages<state::PositionState>(
      StateCf::kPositions, "", [&](std::string_view k, const state::PositionState& s) -> Status {
        const PositionDay day = DayOf(s, date_text_);
        if (!day.concerned()) return Status::Ok();
        const bool active = day.active;
        const int64_t sod = day.start_of_day;
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        EODCLEAR_ASSIGN_OR_RETURN(ContractWork * w, Work(key.contract));
        if (sod != 0 || s.net_quantity() != 0) w->open_interest = true;
        if (sod != 0) w->open_at_start = true;
        if (active) w->activity = true;
        return Status::Ok();
      }));
  // Contracts with prints, quotes or a daily override today settle too (they may anchor others).
  std::set<std::string> more;
  // The contracts named by the date's keys of `cf`, parsed by `parse`.
  auto contracts_of = [&](StateCf cf, auto parse) -> Status {
    Status bad_key;
    EODCLEAR_RETURN_IF_ERROR(ctx_.store->ScanPrefix(cf, keys::DatePrefix(date_),
                                                    [&](std::string_view k, std::string_view) {
                                                      auto key = parse(k);
                                                      if (!key) bad_key = key.error();
                                                      if (key) more.insert(key->contract);
                                                      return key.has_value();
                                                    }));
    return bad_key;
  };
  EODCLEAR_RETURN_IF_ERROR(contracts_of(StateCf::kDayTrades, keys::ParseDayTradesKey));
  EODCLEAR_RETURN_IF_ERROR(contracts_of(StateCf::kQuotes, keys::ParseContractDayKey));
  for (const auto& [key, by_date] : inputs_.overrides) {
    if (by_date.contains(date_)) more.insert(key.first);
  }
  for (const auto& c : more) {
    if (auto w = Work(c); !w) return w.error();
  }
  // Micro contracts need their parent's settlement.
  std::vector<std::string> parents;
  for (auto& [c, w] : work_) {
    if (w.product->settlement_method == SettlementMethod::kParent) {
      parents.push_back(Contract{w.product->parent, w.parsed.year, w.parsed.month}.ToString());
    }
  }
  for (const auto& p : parents) {
    if (auto w = Work(p); !w) return w.error();
  }
  for (auto& [c, w] : work_) EODCLEAR_RETURN_IF_ERROR(LoadPrior(w));
  return Status::Ok();
}

Result<OutrightSettlementInputs> SettlementRun::InputsOf(ContractWork& w) {
  OutrightSettlementInputs in;
  in.prior_settlement = w.prior;
  if (auto o = OverrideOn(w.contract, SettlementOverride::DAILY, date_)) {
    in.override_price = o->price;
    w.override_reason = o->reason + " (" + o->entered_by + ")";
  }
  if (!w.window) return in;
  std::vector<TimedPrint> prints;
  EODCLEAR_RETURN_IF_ERROR(ctx_.store->ScanMessages<state::TradePrintBlock>(
      StateCf::kDayTrades, keys::DayTradesPrefix(date_, w.contract),
      [&](std::string_view, const state::TradePrintBlock& block) -> Status {
        for (const auto& t : block.trades()) {
          EODCLEAR_ASSIGN_OR_RETURN(Decimal price, ParseDecimal(t.price(), "trade print price"));
          prints.push_back(TimedPrint{t.exec_time_unix_nanos(), price, t.quantity()});
        }
        return Status::Ok();
      }));
  EODCLEAR_ASSIGN_OR_RETURN(in.window_trades, TradesInWindow(prints, w.window->start.unix_nanos,
                                                             w.window->end.unix_nanos));
  EODCLEAR_ASSIGN_OR_RETURN(
      auto quote, ctx_.store->Get(StateCf::kQuotes, keys::ContractDayKey(date_, w.contract)));
  if (quote) {
    state::QuoteState q;
    if (!q.ParseFromString(*quote))
      return Err(Status::Internal("quote of " + w.contract + " is corrupt"));
    if (!q.bid().empty() && !q.ask().empty()) {
      EODCLEAR_ASSIGN_OR_RETURN(Decimal bid, ParseDecimal(q.bid(), "quote bid"));
      EODCLEAR_ASSIGN_OR_RETURN(Decimal ask, ParseDecimal(q.ask(), "quote ask"));
      in.market_at_window_end = BidAsk{bid, ask};
    }
  }
  return in;
}

Status SettlementRun::SettleDaily() {
  // Contracts that trade today (not yet terminated before today) get a daily settlement.
  auto trading = [&](const ContractWork& w) { return !(w.expiry.last_trade_date < date_); };
  auto record_failure = [&](ContractWork& w, const Status& s) -> Status {
    if (s.code() != Status::Code::kFailedPrecondition) return s.WithContext(w.contract);
    // On its last trade date a contract may not need a daily settlement (SettleFinal decides).
    if (w.expiry.last_trade_date == date_) {
      w.daily_failure = s.message();
    } else if (w.needed()) {
      cannot_settle_.push_back(w.contract + " (" + s.message() + ")");
    }
    return Status::Ok();
  };
  // Outright products first (parents before micros), then curves.
  for (auto& [c, w] : work_) {
    if (!trading(w) || w.product->settlement_method != SettlementMethod::kVwap) continue;
    EODCLEAR_ASSIGN_OR_RETURN(OutrightSettlementInputs in, InputsOf(w));
    auto d = SettleOutright(in, w.product->settlement_tick);
    if (!d) {
      EODCLEAR_RETURN_IF_ERROR(record_failure(w, d.error()));
      continue;
    }
    w.daily = *d;
  }
  for (auto& [c, w] : work_) {
    if (!trading(w) || w.product->settlement_method != SettlementMethod::kParent) continue;
    EODCLEAR_ASSIGN_OR_RETURN(OutrightSettlementInputs in, InputsOf(w));
    if (in.override_price) {
      OutrightSettlementInputs only;
      only.override_price = in.override_price;
      only.prior_settlement = in.prior_settlement;
      auto d = SettleOutright(only, w.product->settlement_tick);
      if (!d) return d.error().WithContext(w.contract);
      w.daily = *d;
      continue;
    }
    const std::string parent =
        Contract{w.product->parent, w.parsed.year, w.parsed.month}.ToString();
    const ContractWork& pw = work_.at(parent);
    if (!pw.daily) {
      EODCLEAR_RETURN_IF_ERROR(record_failure(
          w, Status::FailedPrecondition("its parent " + parent + " has no settlement")));
      continue;
    }
    w.daily = SettleFromParent(*pw.daily, parent);
    w.daily->prior = w.prior;
    w.neighbours = {parent};
  }
  // Curves: every tenor of one contract month settles together.
  std::map<std::pair<int, int>, std::vector<ContractWork*>> curves;
  for (auto& [c, w] : work_) {
    if (!trading(w) || w.product->settlement_method != SettlementMethod::kCurve) continue;
    curves[{w.parsed.year, w.parsed.month}].push_back(&w);
  }
  for (auto& [month, tenors] : curves) {
    std::vector<TenorInputs> in;
    std::vector<ContractWork*> members;
    Decimal tick = tenors.front()->product->settlement_tick;
    for (ContractWork* w : tenors) {
      EODCLEAR_ASSIGN_OR_RETURN(OutrightSettlementInputs inputs, InputsOf(*w));
      // A tenor nobody holds, with no prior, trade or override, cannot settle and anchors
      // nothing: it stays out of the curve.
      if (!w->needed() && !inputs.prior_settlement && inputs.window_trades.empty() &&
          !inputs.override_price) {
        continue;
      }
      in.push_back(TenorInputs{w->contract, w->product->tenor_years, std::move(inputs)});
      members.push_back(w);
    }
    if (in.empty()) continue;
    auto decided = SettleCurve(in, tick);
    if (!decided) {
      if (decided.error().code() != Status::Code::kFailedPrecondition) return decided.error();
      bool all_last_day = true;
      for (ContractWork* w : members) {
        if (w->expiry.last_trade_date != date_) all_last_day = false;
        w->daily_failure = decided.error().message();
      }
      if (!all_last_day) cannot_settle_.push_back(decided.error().message());
      continue;
    }
    for (size_t i = 0; i < decided->size(); ++i) {
      members[i]->daily = (*decided)[i].decision;
      members[i]->neighbours = (*decided)[i].neighbours;
    }
  }
  for (auto& [c, w] : work_) {
    if (w.daily) w.mark = w.daily->price;
  }
  return Status::Ok();
}

Status SettlementRun::SettleFinal() {
  for (auto& [c, w] : work_) {
    const ContractExpiry& e = w.expiry;
    if (date_ < e.last_trade_date) continue;
    if (e.last_trade_date < date_ && !w.open_interest) continue;  // long gone
    FinalSettlement f;
    f.set_business_date(date_text_);
    f.set_contract(w.contract);
    f.set_last_trade_date(e.last_trade_date.ToString());
    f.set_trading_terminated(e.trading_terminates.ToString());
    f.set_basis(e.final_settlement_basis);
    f.set_settlement_type(std::string(SettlementTypeName(w.product->settlement_type)));
    std::optional<Decimal> price;
    // A FINAL override entered on any day from the last trade date to today; the latest wins.
    auto finals = inputs_.overrides.find({w.contract, static_cast<int>(SettlementOverride::FINAL)});
    if (finals != inputs_.overrides.end()) {
      for (auto it = finals->second.lower_bound(e.last_trade_date);
           it != finals->second.end() && !(date_ < it->first); ++it) {
        price = it->second.price;
        f.set_basis("operator override for " + it->first.ToString() + ": " + it->second.reason +
                    " (" + it->second.entered_by + ")");
      }
    }
    if (price) {
      f.set_status(FinalSettlement::OVERRIDDEN);
    } else if (!w.product->final_reference.empty()) {
      // The reference its rule names: SER 9163 makes it the official close of the preceding
      // business day when an unscheduled holiday is declared on the final settlement day.
      clearing::v1::ReferencePrice::Kind kind;
      std::string kind_name = w.product->final_reference_kind;
      if (e.unscheduled_holiday && w.product->expiry_rule == ExpiryRule::kEquityIndex) {
        kind_name = "OFFICIAL_CLOSE";
      }
      if (!clearing::v1::ReferencePrice::Kind_Parse(kind_name, &kind)) {
        return Status::InvalidArgument(w.product->code + ": final_reference_kind '" + kind_name +
                                       "' is not a reference-price kind");
      }
      f.set_reference_name(w.product->final_reference);
      f.set_reference_kind(kind_name);
      f.set_reference_date(e.final_settlement_date.ToString());
      auto ref = inputs_.references.find(
          {w.product->final_reference, static_cast<int>(kind), e.final_settlement_date});
      if (ref != inputs_.references.end()) {
        price = ref->second;
        f.set_status(FinalSettlement::SETTLED);
      }
    } else if (e.last_trade_date == date_ && w.daily) {
      // No reference (physical delivery, Eris): the last trade date's daily settlement is final.
      price = w.daily->price;
      f.set_status(FinalSettlement::SETTLED);
      f.set_basis("daily settlement price of the last trade date " + date_text_);
    }
    if (!price && w.product->final_reference.empty() && w.needed()) {
      cannot_settle_.push_back(
          w.contract +
          " (its final settlement is the last trade date's daily "
          "settlement, and " +
          (w.daily_failure.empty() ? std::string("there is none") : w.daily_failure) + ")");
      continue;
    }
    if (price) {
      w.mark = *price;
      w.close_positions = true;
      f.set_price(price->ToString());
    } else {
      // Missing: wait while the rule allows it, else the run cannot go on.
      Date deadline = e.final_settlement_date;
      if (w.product->expiry_rule == ExpiryRule::kMicroEtherEuro) {
        deadline = e.last_trade_date.AddDays(options_.deferral_days);
      }
      if (deadline < date_ || (deadline == date_ && e.final_settlement_date == date_ &&
                               w.product->expiry_rule != ExpiryRule::kMicroEtherEuro)) {
        if (w.needed()) {
          cannot_settle_.push_back(
              w.contract + " (final settlement price missing: " + f.reference_name() + " " +
              f.reference_kind() + " for " + f.reference_date() +
              (deadline < date_ ? ", deferral ended " + deadline.ToString() : "") +
              "; load it on " + options_.reference_prices_topic + " or enter a FINAL override)");
        }
        continue;
      }
      if (date_ == e.last_trade_date && !w.daily && w.needed()) {
        // The day's positions and trades need a price to be marked to until the final one comes.
        cannot_settle_.push_back(
            w.contract + " (final settlement price not yet available and " +
            (w.daily_failure.empty() ? "no daily settlement" : w.daily_failure) + ")");
        continue;
      }
      f.set_status(FinalSettlement::AWAITING);
      f.set_awaiting_deadline(deadline.ToString());
      // On the last trade date the daily settlement marks the day's trades. Later, until the final
      // price comes, the contract's last settlement is carried (stale): its positions are marked
      // at zero variation margin and reported every day.
      if (date_ != e.last_trade_date) {
        if (!w.prior) {
          return Status::Internal(w.contract + " awaits its final settlement without a settlement");
        }
        SettlementDecision carried;
        carried.price = *w.prior;
        carried.tier = SettlementTier::kCarried;
        carried.stale = true;
        carried.prior = w.prior;
        carried.explanation = "awaiting final settlement (trading terminated " +
                              e.trading_terminates.ToString() + "): the " + w.prior_source +
                              " is carried, stale";
        w.daily = carried;
        w.mark = *w.prior;
      }
    }
    if (w.needed()) w.final_record = std::move(f);
  }
  return Status::Ok();
}

Status SettlementRun::AwaitWrite() {
  if (!writing_.valid()) return Status::Ok();
  return writing_.get();
}

Status SettlementRun::FlushIfFull(bool force) {
  if (!force && batch_records_ < options_.records_per_batch) return Status::Ok();
  // Written on another thread while the next batch is built; writes stay in order.
  EODCLEAR_RETURN_IF_ERROR(AwaitWrite());
  auto full = std::make_shared<rocksdb::WriteBatch>(std::move(batch_));
  batch_ = rocksdb::WriteBatch();
  batch_records_ = 0;
  StateStore* store = ctx_.store;
  writing_ =
      std::async(std::launch::async, [store, full] { return store->Write(full.get(), false); });
  return Status::Ok();
}

Status SettlementRun::MarkAndClose() {
  StateStore* store = ctx_.store;
  std::map<std::string, ContractVmAccumulator> accumulators;
  for (auto& [c, w] : work_) {
    if (!w.mark || !w.needed()) continue;
    auto unit = MinorUnit(w.product->currency);
    if (!unit) {
      return Status::InvalidArgument(w.product->code + ": no minor unit known for currency " +
                                     w.product->currency);
    }
    VmInputs in{w.contract, w.product->currency, w.product->multiplier, *w.mark, w.prior, *unit};
    w.mark_text = w.mark->ToString();
    w.prior_text = w.prior ? w.prior->ToString() : "";
    EODCLEAR_ASSIGN_OR_RETURN(
        ContractVmAccumulator acc,
        ContractVmAccumulator::Create(in, options_.rounding_firm, options_.rounding_account));
    accumulators.emplace(c, std::move(acc));
  }
  VariationMargin vm_msg;  // reused: keeps its buffers between positions
  Status scanned = store->ScanMessages<state::PositionState>(
      StateCf::kPositions, "", [&](std::string_view k, const state::PositionState& s) -> Status {
        const PositionDay day = DayOf(s, date_text_);
        if (!day.concerned()) return Status::Ok();
        const bool active = day.active;
        const int64_t sod = day.start_of_day;
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        ContractWork& w = work_.at(key.contract);  // before key.contract is moved from
        auto acc = accumulators.find(key.contract);
        if (acc != accumulators.end()) {
          VmPosition p;
          p.firm = std::move(key.firm);
          p.account = std::move(key.account);
          p.contract = std::move(key.contract);
          p.start_of_day = sod;
          if (active) {
            p.bought = s.bought();
            p.sold = s.sold();
            EODCLEAR_ASSIGN_OR_RETURN(p.buy_value, ParseDecimal(s.buy_value(), "buy value"));
            EODCLEAR_ASSIGN_OR_RETURN(p.sell_value, ParseDecimal(s.sell_value(), "sell value"));
          }
          EODCLEAR_ASSIGN_OR_RETURN(VmAmount a, acc->second.Add(p));
          VariationMargin& vm = vm_msg;
          vm.Clear();
          vm.set_business_date(date_text_);
          vm.set_kind(VariationMargin::ACCOUNT);
          vm.set_firm(a.firm);
          vm.set_account(a.account);
          vm.set_contract(a.contract);
          vm.set_currency(a.currency);
          vm.set_amount(a.amount.ToString());
          vm.set_settlement_price(w.mark_text);
          vm.set_prior_price(w.prior_text);
          vm.set_start_of_day(sod);
          vm.set_bought(p.bought);
          vm.set_sold(p.sold);
          PutOutbox(&batch_, store, date_, options_.variation_margin_topic,
                    date_text_ + "|" + a.firm + "|" + a.account + "|" + a.contract, vm);
          firm_totals_[{a.firm, a.currency}] += a.amount;
          ++vm_records_;
          ++batch_records_;
          key.firm = std::move(a.firm);
          key.account = std::move(a.account);
        }
        if (w.final_record && s.net_quantity() != 0) {
          auto* alloc = w.final_record->add_allocations();
          alloc->set_firm(key.firm);
          alloc->set_account(key.account);
          alloc->set_quantity(s.net_quantity());
          alloc->set_disposition(!w.close_positions ? FinalSettlement::OPEN
                                 : w.product->settlement_type == SettlementType::kPhysical
                                     ? FinalSettlement::DELIVERY
                                     : FinalSettlement::CASH_SETTLED);
          if (w.close_positions) {
            state::PositionState closed = s;
            closed.set_net_quantity(0);
            closes_.push_back(
                Close{std::string(k), s.SerializeAsString(), closed.SerializeAsString()});
          }
        }
        return FlushIfFull(false);
      });
  EODCLEAR_RETURN_IF_ERROR(scanned);
  EODCLEAR_RETURN_IF_ERROR(AwaitWrite());
  // Invariants before anything is published, then the rounding rows.
  std::string violations;
  for (auto& [c, acc] : accumulators) {
    VmTotals t = acc.Totals();
    Status s = CheckVmTotals(t, c, acc.inputs().currency);
    if (!s.ok()) {
      violations += (violations.empty() ? "" : "; ") + s.message();
      continue;
    }
    if (!t.residual.is_zero()) {
      VariationMargin vm;
      vm.set_business_date(date_text_);
      vm.set_kind(VariationMargin::ROUNDING);
      vm.set_firm(options_.rounding_firm);
      vm.set_account(options_.rounding_account);
      vm.set_contract(c);
      vm.set_currency(acc.inputs().currency);
      vm.set_amount(t.residual.ToString());
      vm.set_settlement_price(acc.inputs().settlement.ToString());
      if (acc.inputs().prior_settlement) {
        vm.set_prior_price(acc.inputs().prior_settlement->ToString());
      }
      PutOutbox(
          &batch_, store, date_, options_.variation_margin_topic,
          date_text_ + "|" + options_.rounding_firm + "|" + options_.rounding_account + "|" + c,
          vm);
      firm_totals_[{options_.rounding_firm, acc.inputs().currency}] += t.residual;
      ++vm_records_;
    }
  }
  if (!violations.empty()) {
    ctx_.metrics->InvariantCheck("variation_margin_zero_sum", false);
    return Status::InvariantViolation(violations);
  }
  ctx_.metrics->InvariantCheck("variation_margin_zero_sum", true);
  return Status::Ok();
}

Status SettlementRun::WriteOutputs() {
  StateStore* store = ctx_.store;
  for (const auto& [key, amount] : firm_totals_) {
    VariationMargin vm;
    vm.set_business_date(date_text_);
    vm.set_kind(VariationMargin::FIRM_TOTAL);
    vm.set_firm(key.first);
    vm.set_currency(key.second);
    vm.set_amount(amount.ToString());
    PutOutbox(&batch_, store, date_, options_.variation_margin_topic,
              date_text_ + "|" + key.first + "|" + key.second, vm);
    ctx_.metrics->VariationMarginTotal(key.second).Increment(0);
    ++vm_records_;
  }
  std::map<std::string, Decimal> per_currency_paid;
  for (const auto& [key, amount] : firm_totals_) {
    if (amount > Decimal()) per_currency_paid[key.second] += amount;
  }
  for (const auto& [currency, paid] : per_currency_paid) {
    ctx_.metrics->VariationMarginTotal(currency).Increment(static_cast<double>(paid.units()) /
                                                           static_cast<double>(Decimal::kOne));
  }
  int64_t prices = 0, finals = 0;
  for (auto& [c, w] : work_) {
    std::string tier;
    if (w.final_record && w.close_positions) {
      tier = std::string(kFinalTier);
    } else if (w.daily) {
      tier = std::string(SettlementTierName(w.daily->tier));
    }
    if (!tier.empty()) {
      clearing::v1::SettlementPrice sp;
      sp.set_business_date(date_text_);
      sp.set_contract(c);
      sp.set_price(w.mark ? w.mark->ToString() : w.daily->price.ToString());
      if (tier == kFinalTier) sp.set_price(w.final_record->price());
      sp.set_tier(tier);
      if (w.prior) sp.set_prior_price(w.prior->ToString());
      if (w.window) {
        sp.set_window_start(w.window->start.ToString());
        sp.set_window_end(w.window->end.ToString());
      }
      if (tier == kFinalTier) {
        sp.set_explanation("final settlement: " + w.final_record->basis());
      } else {
        const SettlementDecision& d = *w.daily;
        sp.set_stale(d.stale);
        if (d.vwap) sp.set_vwap(d.vwap->ToString());
        sp.set_window_volume(d.window_volume);
        sp.set_window_trades(d.window_trades);
        if (d.bid) sp.set_bid(d.bid->ToString());
        if (d.ask) sp.set_ask(d.ask->ToString());
        sp.set_explanation(d.explanation);
        if (d.tier == SettlementTier::kOverride) sp.set_override_reason(w.override_reason);
        if (d.tier == SettlementTier::kParent) sp.clear_window_start(), sp.clear_window_end();
      }
      for (const auto& n : w.neighbours) sp.add_neighbours(n);
      PutOutbox(&batch_, store, date_, options_.settlement_prices_topic,
                SettlementRecordKey(date_, c), sp);
      state::SettlementState s;
      s.set_price(sp.price());
      s.set_tier(tier);
      s.set_stale(sp.stale());
      s.set_final(tier == kFinalTier);
      batch_.Put(store->cf(StateCf::kSettlements), keys::SettlementKey(c, date_),
                 s.SerializeAsString());
      ctx_.metrics->SettlementTier(tier).Increment();
      ++prices;
    }
    if (w.final_record) {
      PutOutbox(&batch_, store, date_, options_.final_settlements_topic,
                SettlementRecordKey(date_, c), *w.final_record);
      ctx_.metrics->FinalSettlementStatus(FinalSettlement::Status_Name(w.final_record->status()))
          .Increment();
      ++finals;
    }
  }
  StageOffsets(side_offsets_, *store, &batch_);
  int64_t rejected = 0;
  for (const auto& [key, n] : rejects_) {
    ctx_.metrics->Rejected(key.first, key.second).Increment(static_cast<double>(n));
    rejected += n;
  }
  auto* rs = ctx_.ledger->mutable_state();
  rs->set_messages_rejected(rs->messages_rejected() + rejected);
  *ctx_.progress << "settlement: " << prices << " settlement prices, " << vm_records_
                 << " variation-margin records, " << finals << " final settlements";
  if (rejected > 0) *ctx_.progress << ", " << rejected << " side-input messages to dead letters";
  *ctx_.progress << "\n";
  return Status::Ok();
}

Status SettlementRun::Run() {
  // Outputs of an earlier attempt of this stage for the date are replaced, never mixed in.
  for (const std::string* topic :
       {&options_.settlement_prices_topic, &options_.variation_margin_topic,
        &options_.final_settlements_topic}) {
    auto [begin, end] = keys::OutboxTopicRange(date_, *topic);
    batch_.DeleteRange(ctx_.store->cf(StateCf::kOutbox), begin, end);
  }
  Clock::time_point t0 = Clock::now();
  EODCLEAR_RETURN_IF_ERROR(ReadSideInputs());
  Clock::time_point t1 = Clock::now();
  EODCLEAR_RETURN_IF_ERROR(ScanContracts());
  Clock::time_point t2 = Clock::now();
  EODCLEAR_RETURN_IF_ERROR(SettleDaily());
  EODCLEAR_RETURN_IF_ERROR(SettleFinal());
  for (const auto& [c, w] : work_) {
    if (w.mark && w.open_at_start && !w.prior) {
      cannot_settle_.push_back(c +
                               " (positions open at the start of the day but no prior settlement: "
                               "enter a DAILY override for the previous business day)");
    }
  }
  auto secs = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  *ctx_.progress << "settlement: side inputs read in " << secs(t0, t1) << " s; " << work_.size()
                 << " contracts found in " << secs(t1, t2) << " s; prices decided in "
                 << secs(t2, Clock::now()) << " s\n";
  if (!cannot_settle_.empty()) {
    std::string list;
    for (const auto& c : cannot_settle_) list += (list.empty() ? "" : "; ") + c;
    return Status::FailedPrecondition(
        std::to_string(cannot_settle_.size()) + " contract(s) cannot be settled on " + date_text_ +
        " without an operator override (settlement-overrides): " + list);
  }
  Clock::time_point t3 = Clock::now();
  EODCLEAR_RETURN_IF_ERROR(MarkAndClose());
  *ctx_.progress << "settlement: variation margin of " << vm_records_ << " positions in "
                 << secs(t3, Clock::now()) << " s\n";
  return WriteOutputs();
}

Status SettlementRun::Finish(double seconds) {
  // The book as ingest left it is kept for a correction of this date; earlier dates' copies go,
  // since only the latest business date can be corrected.
  ForgetStartOfDayBefore(*ctx_.store, date_, &batch_);
  StartOfDayLog start_of_day(*ctx_.store, date_);
  for (const Close& c : closes_) {
    EODCLEAR_RETURN_IF_ERROR(start_of_day.Keep(c.key, c.before, &batch_));
    batch_.Put(ctx_.store->cf(StateCf::kPositions), c.key, c.after);
  }
  ctx_.ledger->mutable_state()->set_start_of_day_kept(true);
  return CompleteStage(ctx_, "settlement", seconds, &batch_);
}

}  // namespace

Status SettlementStage::PrepareCorrection(RunContext& ctx, rocksdb::WriteBatch* batch) {
  // Keys are contract first: every contract's record of the date is found by a full scan, which is
  // one record per contract and settled date.
  Status bad;
  EODCLEAR_RETURN_IF_ERROR(
      ctx.store->ScanPrefix(StateCf::kSettlements, "", [&](std::string_view k, std::string_view) {
        auto key = keys::ParseSettlementKey(k);
        if (!key) {
          bad = key.error();
          return false;
        }
        if (key->date == ctx.business_date) batch->Delete(ctx.store->cf(StateCf::kSettlements), k);
        return true;
      }));
  return bad;
}

Status SettlementStage::Run(RunContext& ctx) {
  Clock::time_point started = Clock::now();
  SettlementRun run(options_, kafka_, ctx);
  EODCLEAR_RETURN_IF_ERROR(run.Run());
  return run.Finish(std::chrono::duration<double>(Clock::now() - started).count());
}

}  // namespace eodclear
