#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"

namespace eodclear {

// The deliverable-supply study behind the USD/CNH position limits of CME Submission 13-543
// (seed 002), Exhibit 2 "U.S. Dollar/Offshore Chinese Renminbi Underlying Cash Market Analysis":
// spot-month and all-months limits of Standard Sized USD/CNH futures (CNH, USD 100,000) and
// E-micro USD/CNH futures (MNH, USD 10,000) from a monthly series of deliverable supply.
//
// The rule, per month (the seed's words in quotes):
//   D  deliverable supply, CNH: "demand, savings, and time deposits in offshore Chinese renminbi
//      that are currently held in Hong Kong" (Hong Kong Monetary Authority), which the seed calls
//      offshore renminbi "M1 money supply".
//   S  contract size in CNH: USD 100,000 x the month's spot rate (CNH per USD; the seed's
//      "Median CNY/USD Spot Exchange Rate"), the seed's "Contract Size (CNY)" column
//      (6.7942 -> 679,420).
//   supply in contracts  D / S.
//   spot month   "one percent of offshore Chinese renminbi M1 money supply, rounded to the nearest
//                5,000-contract increment": D / S / 100 to the nearest multiple of 5,000.
//   all months   "two percent ...", likewise: D / S / 50 to the nearest multiple of 5,000.
//   MNH          ten times the rounded CNH limits, "aggregated on the basis of ten e-micro sized
//                futures to one standard sized futures" (10,000 -> 100,000; 25,000 -> 250,000);
//                not 1 % of D in MNH contracts rounded on its own.
// The recommendation is the latest month of the series (LimitStudy::Recommendation). For the
// seed's series that is August 2013: D = 709,463,000,000, S = 612,145, D / S = 1,158,978.67
// contracts; 1 % = 11,589.79 -> 10,000 and 2 % = 23,179.57 -> 25,000 (MNH 100,000 and 250,000),
// the seed's "should be 10,000 contracts" and "should be 25,000 contracts". The seed adopted
// lower limits (5,000 and 10,000) by judgment, "since they are relatively new contract markets";
// that choice is not part of the rule. See ops/limit_study/README.md for the reconstruction.
//
// Exactness. Inputs are exact decimals and D / S is never rounded before the limits are: the
// nearest multiple of 5,000 is found from the exact quotient with 128-bit integer arithmetic. A
// quotient exactly halfway between two multiples (7,500 contracts) rounds up, to the larger
// limit; the seed does not say how ties round, this is the project's reading of "nearest", and
// no month of the seed's series is a tie. The unrounded counts reported alongside the limits
// (supply_contracts, one_percent_contracts, two_percent_contracts) are the exact quotients
// rounded half up to 2 fraction digits, for display only.
//
// Everything here is a pure function of its arguments (ReadSupplySeries also reads the file);
// thread-safe, no shared state.

// The constants of the seed's rule. Not options: a different rule is a different study.
inline constexpr int64_t kCnhContractSizeUsd = 100'000;  // Standard Sized USD/CNH, USD
inline constexpr int64_t kSpotMonthPercent = 1;          // % of deliverable supply
inline constexpr int64_t kAllMonthsPercent = 2;          // % of deliverable supply
inline constexpr int64_t kLimitIncrement = 5'000;        // contracts
inline constexpr int64_t kMnhPerCnh = 10;                // 10 MNH : 1 CNH

// One month of the deliverable-supply series: one row of the supply CSV file.
//
// The file: a header row, exactly
//   month,deliverable_supply_cnh,spot_rate_cnh_per_usd,source_note
// then one row a month, months strictly increasing (gaps allowed). month is "YYYY-MM" (years
// 1900-2199); deliverable_supply_cnh is a decimal in CNH, 0 < D <= 10^15; spot_rate_cnh_per_usd
// a decimal in CNH per USD, 0.0001 <= rate <= 10,000 (bounds that keep every product inside
// 128-bit integers; neither is ever clamped); source_note free text (may be empty). Blank lines
// and lines starting with '#' are skipped.
struct SupplyMonth {
  int year = 0;
  int month = 0;  // 1..12
  Decimal deliverable_supply_cnh;
  Decimal spot_rate_cnh_per_usd;
  std::string source_note;

  // "YYYY-MM".
  std::string MonthString() const;
};

// One month's limits.
struct MonthlyLimits {
  SupplyMonth supply;
  Decimal contract_size_cnh;         // exact: kCnhContractSizeUsd x spot rate
  Decimal supply_contracts;          // D / S, rounded half up to 2 fraction digits (display only)
  Decimal one_percent_contracts;     // D / S / 100, likewise
  Decimal two_percent_contracts;     // D / S / 50, likewise
  int64_t spot_month_limit = 0;      // CNH contracts: exact D / S / 100 to the nearest 5,000
  int64_t all_months_limit = 0;      // CNH contracts: exact D / S / 50 to the nearest 5,000
  int64_t mnh_spot_month_limit = 0;  // MNH contracts: 10 x spot_month_limit
  int64_t mnh_all_months_limit = 0;  // MNH contracts: 10 x all_months_limit
};

// Figures of the whole series, to compare with the lines under the seed's table ("Average",
// "Maximum", "Minimum", "Growth rate last three years").
struct SupplySummary {
  size_t months = 0;
  std::string first_month, last_month;  // "YYYY-MM"
  Decimal min_supply_cnh, max_supply_cnh;
  std::string min_month, max_month;  // the earliest month with the min (max)
  Decimal average_supply_cnh;        // mean of D, rounded half up to whole CNH
  // (last D / first D - 1) x 100, rounded to 1 fraction digit, an exact half away from zero.
  Decimal growth_percent;
};

// The study of a whole series.
struct LimitStudy {
  std::vector<MonthlyLimits> months;  // in series order; never empty
  SupplySummary summary;

  // The seed's recommendation: the latest month's limits.
  const MonthlyLimits& Recommendation() const { return months.back(); }
};

// Parses the supply CSV file text (format above); `path` names the file in messages.
// Errors: kInvalidArgument "path:line: what" for a wrong header, a row with the wrong number of
// fields or an unterminated quote, a month that is not YYYY-MM or not after the previous row's,
// a value that is not a decimal or is out of range, and "path: no months" for a file without
// rows. (A malformed supply file is a bad input file of the command: exit code 2.)
Result<std::vector<SupplyMonth>> ParseSupplySeries(std::string_view csv_text,
                                                   const std::string& path);

// Reads and parses the supply CSV file at `path`. Errors: kNotFound when it cannot be opened;
// otherwise as ParseSupplySeries.
Result<std::vector<SupplyMonth>> ReadSupplySeries(const std::string& path);

// One month's limits by the rule above. Errors: kInvalidArgument when the month is out of the
// ranges ParseSupplySeries accepts (the message names the field).
Result<MonthlyLimits> LimitsForMonth(const SupplyMonth& month);

// Every month's limits, the recommendation and the summary. Errors: kInvalidArgument for an
// empty series, months not strictly increasing, or a month LimitsForMonth rejects (the message
// names the month).
Result<LimitStudy> StudyLimits(const std::vector<SupplyMonth>& series);

// The multiple of `increment` nearest to the exact quotient numerator / denominator; a quotient
// exactly halfway between two multiples rounds up (to the larger one). Exact integer arithmetic.
// Errors: kInvalidArgument when numerator < 0, denominator <= 0, increment <= 0, or the
// arithmetic or the result leaves the Int128 / int64 range.
Result<int64_t> RoundToNearestMultiple(Int128 numerator, Int128 denominator, int64_t increment);

// numerator / denominator rounded to `fraction_digits` fraction digits (0..Decimal::kScale), an
// exact half away from zero (half up for the non-negative quotients of this study). Exact.
// Errors: kInvalidArgument when denominator <= 0, fraction_digits is out of range, or the
// arithmetic leaves the Int128 range.
Result<Decimal> DivideRounded(Int128 numerator, Int128 denominator, int fraction_digits);

}  // namespace eodclear
