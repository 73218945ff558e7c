#pragma once

#include <string>

#include "pipeline/house_accounts.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/stage.h"

namespace eodclear {

struct OffsettingOptions {
  std::string instructions_topic = "offset-instructions";
  std::string consumer_group = "eodclear-offsetting";
  std::string offsets_topic = "offsets";
  // The settlement stage's prices of the date (outbox), whose prior prices the offsets are booked
  // at.
  std::string settlement_prices_topic = "settlement-prices";
  // The clearing house's offset account, the counterparty of every offset's legs.
  std::string offset_firm{kHouseFirm};
  std::string offset_account{kOffsetAccount};
};

// Stage "offsetting" (CME Rule 855; stages/offsetting/offset_rules.h), after settlement: for every
// account whose reference data says auto_offset, and for each instruction of the business date on
// `offset-instructions`, offsets long and short positions in different-sized contracts of one
// month. Each offset is booked as position transfers between the account and the clearing
// house's offset account at the prior day's settlement prices (no variation margin of its own),
// published on `offsets`; positions afterwards reflect it. An instruction the positions do not
// allow goes to dead letters (INVALID_INSTRUCTION) with the reason. The offset account must be flat
// in base-contract equivalents, else kInvariantViolation and nothing is written. Positions, offset
// records, dead letters and the checkpoint are one WriteBatch.
class OffsettingStage : public Stage {
 public:
  OffsettingStage(OffsettingOptions options, KafkaOptions kafka)
      : options_(std::move(options)), kafka_(std::move(kafka)) {}
  std::string_view name() const override { return "offsetting"; }
  Status Run(RunContext& ctx) override;

 private:
  OffsettingOptions options_;
  KafkaOptions kafka_;
};

}  // namespace eodclear
