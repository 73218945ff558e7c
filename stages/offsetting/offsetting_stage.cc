#include "stages/offsetting/offsetting_stage.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <map>
#include <ostream>
#include <set>

#include "clearing/v1/limits.pb.h"
#include "clearing/v1/settlement.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/account_directory.h"
#include "pipeline/refdata/offset_table.h"
#include "pipeline/refdata/product_catalog.h"
#include "pipeline/run_ledger.h"
#include "pipeline/settlement_history.h"
#include "pipeline/side_input.h"
#include "pipeline/start_of_day.h"
#include "stages/offsetting/offset_rules.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

namespace pb = eodclear::state::v1;
using clearing::v1::DeadLetter;

// An instruction of the business date, with what a dead letter needs.
struct ReceivedInstruction {
  clearing::v1::OffsetInstruction message;
  std::string topic, key, value;
  int32_t partition = 0;
  int64_t offset = 0;
};

// The price an offset leg in `contract` is booked at: the prior settlement the settlement stage
// used for the business date (its settlement-prices record), or on the contract's first day, when
// there is none, the day's own settlement. `first_day` tells which.
struct LegPrice {
  std::string price;
  bool first_day = false;
};
Result<LegPrice> OffsetPrice(const StateStore& store, const std::string& settlement_prices_topic,
                             const std::string& contract, Date date) {
  EODCLEAR_ASSIGN_OR_RETURN(
      auto stored,
      store.Get(StateCf::kOutbox, keys::OutboxKey(date, settlement_prices_topic,
                                                  SettlementRecordKey(date, contract))));
  if (stored) {
    clearing::v1::SettlementPrice sp;
    if (!sp.ParseFromString(*stored)) {
      return Err(Status::Internal("the settlement price of " + contract + " is corrupt"));
    }
    if (!sp.prior_price().empty()) return LegPrice{sp.prior_price(), false};
    return LegPrice{sp.price(), true};
  }
  // Not settled today (cannot happen for a contract with positions): the stored history.
  EODCLEAR_ASSIGN_OR_RETURN(auto prior, SettlementBefore(store, contract, date));
  if (prior) return LegPrice{prior->price, false};
  return LegPrice{"", true};
}

}  // namespace

Status OffsettingStage::Run(RunContext& ctx) {
  auto started = std::chrono::steady_clock::now();
  if (ctx.offsets == nullptr || ctx.accounts == nullptr) {
    return Status::Internal("the offsetting stage needs the offset table and the accounts");
  }
  const Date date = ctx.business_date;
  const std::string date_text = date.ToString();
  StateStore* store = ctx.store;
  rocksdb::WriteBatch batch;
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets;
  int64_t rejected = 0;
  auto reject = [&](std::string_view topic, int32_t partition, int64_t offset, std::string_view key,
                    std::string_view value, DeadLetter::Reason reason, std::string detail) {
    StageDeadLetter(date, topic, partition, offset, key, value, reason, std::move(detail), *store,
                    &batch);
    ctx.metrics->Rejected(topic, DeadLetter::Reason_Name(reason)).Increment();
    ++rejected;
  };

  // Instructions of the business date. Malformed or late ones are dead-lettered once.
  std::vector<ReceivedInstruction> instructions;
  EODCLEAR_RETURN_IF_ERROR(ReadSideTopic(
      kafka_, options_.consumer_group, options_.instructions_topic, *store,
      [&](const ConsumedMessage& m, bool fresh) {
        ReceivedInstruction r;
        r.topic = std::string(m.topic());
        r.key = std::string(m.key());
        r.value = std::string(m.value());
        r.partition = m.partition();
        r.offset = m.offset();
        if (r.value.empty() ||
            !r.message.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) {
          if (fresh) {
            reject(r.topic, r.partition, r.offset, r.key, r.value, DeadLetter::UNDECODABLE,
                   "not a clearing.v1.OffsetInstruction protobuf");
          }
          return;
        }
        auto day = Date::Parse(r.message.business_date());
        if (!day) {
          if (fresh) {
            reject(r.topic, r.partition, r.offset, r.key, r.value, DeadLetter::INVALID_FIELD,
                   "business_date: " + day.error().message());
          }
          return;
        }
        if (*day < date) {
          if (fresh) {
            reject(r.topic, r.partition, r.offset, r.key, r.value, DeadLetter::INVALID_INSTRUCTION,
                   "instruction for " + day->ToString() +
                       " arrived after that date's offsets were applied");
          }
          return;
        }
        if (*day == date) instructions.push_back(std::move(r));
      },
      &next_offsets));

  // End-of-day positions after settlement (the offset account's own are not offset).
  std::vector<AccountPosition> positions;
  EODCLEAR_RETURN_IF_ERROR(store->ScanMessages<pb::PositionState>(
      StateCf::kPositions, "", [&](std::string_view k, const pb::PositionState& s) -> Status {
        if (s.net_quantity() == 0) return Status::Ok();
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        if (key.firm == options_.offset_firm && key.account == options_.offset_account) {
          return Status::Ok();
        }
        positions.push_back(AccountPosition{std::move(key.firm), std::move(key.account),
                                            std::move(key.contract), s.net_quantity()});
        return Status::Ok();
      }));

  std::vector<AccountPosition> automatic;
  for (const auto& p : positions) {
    if (ctx.accounts->AutoOffset(p.account)) automatic.push_back(p);
  }
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<Offset> offsets, AutoOffsets(automatic, *ctx.offsets));
  std::vector<clearing::v1::Offset::Source> sources(offsets.size(), clearing::v1::Offset::AUTO);
  automatic.clear();

  if (!instructions.empty()) {
    // Each instruction sees the account's positions after the offsets before it.
    std::set<std::string> instructed;
    for (const auto& r : instructions) instructed.insert(r.message.account());
    std::map<std::string, std::vector<AccountPosition>> by_account;
    for (const auto& p : positions) {
      if (instructed.contains(p.account)) by_account[p.account].push_back(p);
    }
    for (auto& [account, held] : by_account) held = PositionsAfterOffsets(held, offsets);
    for (const auto& r : instructions) {
      const auto& m = r.message;
      auto contract = ctx.products->ResolveContract(m.contract());
      auto other = ctx.products->ResolveContract(m.offset_contract());
      std::string problem;
      if (!contract) {
        problem = "contract: " + contract.error().message();
      } else if (!other) {
        problem = "offset_contract: " + other.error().message();
      } else if (contract->year != other->year || contract->month != other->month) {
        problem = m.contract() + " and " + m.offset_contract() + " are not of the same month";
      }
      std::optional<Offset> done;
      if (problem.empty()) {
        OffsetInstruction in{m.account(),  contract->product, other->product,
                             m.quantity(), contract->month,   contract->year};
        auto offset = ApplyInstruction(by_account[m.account()], in, *ctx.offsets);
        if (offset) {
          done = *offset;
        } else {
          problem = offset.error().message();
        }
      }
      if (!done) {
        reject(r.topic, r.partition, r.offset, r.key, r.value, DeadLetter::INVALID_INSTRUCTION,
               "offset of " + std::to_string(m.quantity()) + " " + m.contract() + " against " +
                   m.offset_contract() + " for account " + m.account() + ": " + problem);
        continue;
      }
      by_account[m.account()] = PositionsAfterOffsets(by_account[m.account()], {*done});
      offsets.push_back(*done);
      sources.push_back(clearing::v1::Offset::INSTRUCTION);
    }
  }
  positions.clear();

  // The offset account must be flat in base-contract equivalents.
  if (Status flat = CheckOffsetAccountFlat(offsets, *ctx.offsets); !flat.ok()) {
    ctx.metrics->InvariantCheck("offset_account_flat", false);
    return flat;
  }
  ctx.metrics->InvariantCheck("offset_account_flat", true);

  // Transfers: each leg to the account, its opposite to the offset account.
  std::map<std::string, int64_t> deltas;  // position key -> change of net quantity
  std::map<std::string, LegPrice> prices;
  std::map<std::string, int> record_counts;
  for (size_t i = 0; i < offsets.size(); ++i) {
    const Offset& o = offsets[i];
    clearing::v1::Offset out;
    out.set_business_date(date_text);
    out.set_firm(o.firm);
    out.set_account(o.account);
    out.set_pair(o.pair);
    out.set_price_basis("prior settlement");
    out.set_source(sources[i]);
    out.set_offset_firm(options_.offset_firm);
    out.set_offset_account(options_.offset_account);
    for (const OffsetLeg& leg : o.legs) {
      if (!prices.contains(leg.contract)) {
        EODCLEAR_ASSIGN_OR_RETURN(
            prices[leg.contract],
            OffsetPrice(*store, options_.settlement_prices_topic, leg.contract, date));
      }
      if (prices[leg.contract].first_day) {
        out.set_price_basis("settlement of " + date_text + " (the contract's first day)");
      }
      auto* l = out.add_legs();
      l->set_contract(leg.contract);
      l->set_quantity(leg.quantity);
      l->set_price(prices[leg.contract].price);
      deltas[keys::PositionKey(o.firm, o.account, leg.contract)] += leg.quantity;
      deltas[keys::PositionKey(options_.offset_firm, options_.offset_account, leg.contract)] -=
          leg.quantity;
    }
    std::string key =
        date_text + "|" + o.firm + "|" + o.account + "|" + o.pair + "|" +
        (o.legs.empty() ? std::string()
                        : o.legs.front().contract.substr(o.legs.front().contract.size() - 3));
    int n = ++record_counts[key];
    if (n > 1) key += "|" + std::to_string(n);
    batch.Put(store->cf(StateCf::kOutbox), keys::OutboxKey(date, options_.offsets_topic, key),
              out.SerializeAsString());
    ctx.metrics
        ->Offsets(sources[i] == clearing::v1::Offset::AUTO ? std::string_view("auto")
                                                           : std::string_view("instruction"))
        .Increment();
  }
  StartOfDayLog start_of_day(*store, date);
  for (const auto& [key, delta] : deltas) {
    if (delta == 0) continue;
    EODCLEAR_ASSIGN_OR_RETURN(auto stored, store->Get(StateCf::kPositions, key));
    EODCLEAR_RETURN_IF_ERROR(start_of_day.Keep(key, stored, &batch));
    pb::PositionState s;
    if (stored && !s.ParseFromString(*stored)) {
      return Status::Internal("a position record is corrupt");
    }
    if (!stored) {
      // A new position of the offset account: no trades today.
      s.set_activity_date(date_text);
      s.set_buy_value("0");
      s.set_sell_value("0");
    }
    s.set_net_quantity(s.net_quantity() + delta);
    batch.Put(store->cf(StateCf::kPositions), key, s.SerializeAsString());
  }

  StageOffsets(next_offsets, *store, &batch);
  auto* rs = ctx.ledger->mutable_state();
  rs->set_messages_rejected(rs->messages_rejected() + rejected);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EODCLEAR_RETURN_IF_ERROR(CompleteStage(ctx, name(), seconds, &batch));
  *ctx.progress << "offsetting: " << offsets.size() << " offsets (" << instructions.size()
                << " instructions, " << rejected << " to dead letters) in " << seconds << " s\n";
  return Status::Ok();
}

}  // namespace eodclear
