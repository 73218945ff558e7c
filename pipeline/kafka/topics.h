#pragma once

#include <string_view>

namespace eodclear::topics {

// Default topic names. Operations may rename them in the config file; code uses these constants
// only as defaults.
inline constexpr std::string_view kTrades = "trades";
inline constexpr std::string_view kQuotes = "quotes";
inline constexpr std::string_view kReferencePrices = "reference-prices";
inline constexpr std::string_view kSettlementOverrides = "settlement-overrides";
inline constexpr std::string_view kOffsetInstructions = "offset-instructions";
inline constexpr std::string_view kPositions = "positions";
inline constexpr std::string_view kSettlementPrices = "settlement-prices";
inline constexpr std::string_view kVariationMargin = "variation-margin";
inline constexpr std::string_view kFinalSettlements = "final-settlements";
inline constexpr std::string_view kOffsets = "offsets";
inline constexpr std::string_view kPositionLimitFindings = "position-limit-findings";
inline constexpr std::string_view kLargeTraderReports = "large-trader-reports";
inline constexpr std::string_view kDeadLetters = "dead-letters";
inline constexpr std::string_view kEodRuns = "eod-runs";

// Every topic eodclear reads or writes, for the development broker to create up front.
inline constexpr std::string_view kAll[] = {kTrades,
                                            kQuotes,
                                            kReferencePrices,
                                            kSettlementOverrides,
                                            kPositions,
                                            kDeadLetters,
                                            kEodRuns,
                                            kSettlementPrices,
                                            kVariationMargin,
                                            kFinalSettlements,
                                            kOffsetInstructions,
                                            kOffsets,
                                            kPositionLimitFindings,
                                            kLargeTraderReports};

}  // namespace eodclear::topics
