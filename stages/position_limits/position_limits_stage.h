#pragma once

#include <string>
#include <vector>

#include "pipeline/house_accounts.h"
#include "pipeline/stage.h"

namespace eodclear {

struct PositionLimitsOptions {
  std::string findings_topic = "position-limit-findings";
  std::string reports_topic = "large-trader-reports";
  // Clearing-house accounts (firm/account) that are nobody's position: not checked or reported.
  std::vector<std::pair<std::string, std::string>> house_accounts = DefaultHouseAccounts();
};

// Stage "position_limits" (CME Chapter 5, Rule 559, seed 002; CFTC 17 CFR 15.00/15.03, Part 17;
// stages/position_limits/limit_rules.h), after offsetting: checks every beneficial owner's
// end-of-day positions against the limit table — spot-month (from the spot month's start),
// single-month and all-months limits raised by exemptions in force, accountability levels for
// review — and reports every position of owners who reach a product's reporting level. Findings go
// to `position-limit-findings`, reports to `large-trader-reports`, with the checkpoint in one
// WriteBatch.
class PositionLimitsStage : public Stage {
 public:
  explicit PositionLimitsStage(PositionLimitsOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "position_limits"; }
  Status Run(RunContext& ctx) override;

 private:
  PositionLimitsOptions options_;
};

}  // namespace eodclear
