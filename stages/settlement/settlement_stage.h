#pragma once

#include <string>
#include <vector>

#include "clearing/v1/settlement.pb.h"
#include "pipeline/house_accounts.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/stage.h"

namespace eodclear {

struct SettlementOptions {
  // Inputs read in full at every run (small, keyed topics); empty brokers read none.
  std::string reference_prices_topic = "reference-prices";
  std::string overrides_topic = "settlement-overrides";
  std::string consumer_group = "eodclear-settlement";
  // Outputs, written to the outbox for the publish stage.
  std::string settlement_prices_topic = "settlement-prices";
  std::string variation_margin_topic = "variation-margin";
  std::string final_settlements_topic = "final-settlements";
  // The clearing house's account that is booked each contract's rounding residual.
  std::string rounding_firm{kHouseFirm};
  std::string rounding_account{kRoundingAccount};
  // How long a final settlement may be deferred when its reference rate is missing: CME Rule
  // 44703.A (seed 003), up to 14 consecutive calendar days after the last trade date.
  int deferral_days = 14;
  // Overrides from the state folder's settlement-overrides.csv, already validated; for the same
  // (date, contract, kind) they win over the topic's.
  std::vector<clearing::v1::SettlementOverride> file_overrides;
  // VM records are handed to RocksDB in write batches of this many records.
  size_t records_per_batch = 100000;
};

// Stage "settlement": daily settlement prices, variation margin and final settlement of the
// business date, from what ingest stored (positions, the day's trade prints, the quote snapshot at
// each settlement window's end) and the reference prices and operator overrides on their topics.
// docs/settlement.md is the operator's description of every rule; in short:
//   - every contract with open interest or activity settles by its product's method (tiers of
//     stages/settlement/settlement_price.h and curve_settlement.h; micros at their parent's
//     price); an override always wins; a contract that cannot be settled stops the run
//     (kFailedPrecondition naming it) before anything is written;
//   - a contract whose trading terminates on the date settles finally at its reference price (or a
//     FINAL override); physical contracts become delivery obligations at the day's settlement;
//     a missing reference price that may still come (Micro Ether Euro: 14 days, Rule 44703.A; a
//     VolS due on a later day) leaves the contract AWAITING, its positions open;
//   - variation margin per account and contract (stages/settlement/variation_margin.h), rounding
//     residuals to the rounding account, totals per firm and currency; every contract's exact
//     amounts must sum to zero and its long open interest equal its short, or the stage fails with
//     kInvariantViolation and nothing is published.
// Outputs go to the `outbox` column family; settlement prices to `settlements` (the next date's
// priors); closed positions are set to zero. The last batch carries the stage's checkpoint.
class SettlementStage : public Stage {
 public:
  SettlementStage(SettlementOptions options, KafkaOptions kafka)
      : options_(std::move(options)), kafka_(std::move(kafka)) {}
  std::string_view name() const override { return "settlement"; }
  Status Run(RunContext& ctx) override;
  // Removes the date's settlement prices (column family `settlements`).
  Status PrepareCorrection(RunContext& ctx, rocksdb::WriteBatch* batch) override;

 private:
  SettlementOptions options_;
  KafkaOptions kafka_;
};

}  // namespace eodclear
