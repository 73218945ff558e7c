#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// The three position-limit periods of the CME Chapter 5 Position Limit, Position Accountability
// and Reportable Level Table. The names are written in exemptions.csv: do not change them.
enum class LimitKind {
  kSpotMonth,    // "spot_month": the expiring contract, from its spot-month start
  kSingleMonth,  // "single_month": any one contract month
  kAllMonths,    // "all_months": all contract months combined
};

// "spot_month", "single_month" or "all_months".
std::string_view LimitKindName(LimitKind kind);
// The kind named by LimitKindName; the error (kInvalidArgument) names the text.
Result<LimitKind> ParseLimitKind(std::string_view text);

// When the spot month of an expiring contract begins, for spot-month limits. Written
// "termination-<N>d": the spot month is every business date from N calendar days before the
// termination of trading day (the contract's last trading day, as the calendar computes it)
// through that day, both included. CME Submission 13-543 (CNH, MNH): "in the spot month on or
// after the day one week prior to the termination of trading day" is "termination-7d".
struct SpotMonthStart {
  int32_t days_before_termination = 0;  // calendar days, 0..366

  // Parses "termination-<N>d" (N: 1-3 digits, 0..366; no spaces or signs); the error names the
  // text.
  static Result<SpotMonthStart> Parse(std::string_view text);
  // "termination-7d".
  std::string ToString() const;

  // The first date of the spot month of a contract whose last trading day is `last_trading_day`.
  Date FirstDay(Date last_trading_day) const {
    return last_trading_day.AddDays(-days_before_termination);
  }
  // True when `business_date` is in [FirstDay(last_trading_day), last_trading_day].
  bool Contains(Date business_date, Date last_trading_day) const {
    return FirstDay(last_trading_day) <= business_date && business_date <= last_trading_day;
  }

  auto operator<=>(const SpotMonthStart&) const = default;
};

// One product's row of the limit table (ops/refdata/position_limits.csv). Every quantity counts
// contracts of `product` itself (MNH's all-months limit is 100,000 MNH, not 10,000 CNH
// equivalents); an empty cell, where the exchange's table has no value, is std::nullopt.
struct PositionLimit {
  std::string product;  // canonical clearing code
  std::optional<int64_t> spot_month_limit;
  std::optional<SpotMonthStart> spot_month_start;  // set exactly when spot_month_limit is
  std::optional<int64_t> single_month_limit;
  std::optional<int64_t> all_months_limit;
  std::optional<int64_t> single_month_accountability;
  std::optional<int64_t> all_months_accountability;
  // Positions in `product` count toward the limits and accountability levels (not the reportable
  // level) of `aggregate_into` at `aggregate_ratio` contracts of `aggregate_into` per contract of
  // `product` (MNH -> CNH at 0.1: 10 MNH = 1 CNH). Both empty when the product aggregates into
  // nothing but itself.
  std::string aggregate_into;
  std::optional<Decimal> aggregate_ratio;
  std::optional<int64_t> reportable_level;  // CME Rule 561 large-trader reporting level
  std::string source;                       // where the values come from; not interpreted
  size_t line = 0;                          // line of position_limits.csv the row was read from

  // The limit of `kind`, or nullopt when the table has none.
  std::optional<int64_t> Limit(LimitKind kind) const;
};

// The position limits, accountability levels and reportable levels a run checks. Immutable once
// loaded; thread-safe to read.
class PositionLimitTable {
 public:
  // Loads position_limits.csv. Columns, exactly: product,spot_month_limit,spot_month_start,
  // single_month_limit,all_months_limit,single_month_accountability,all_months_accountability,
  // aggregate_into,aggregate_ratio,reportable_level,source.
  // The first problem stops the load with kInvalidArgument "file:line: what" (a missing file is
  // kNotFound):
  //  - product codes are upper-case letters and digits, one row per product;
  //  - quantities are empty or positive whole numbers of contracts (digits only, at most 12);
  //  - spot_month_start is empty exactly when spot_month_limit is, else "termination-<N>d";
  //  - aggregate_into and aggregate_ratio are both empty or both set; the ratio is a positive
  //    decimal, at most 1,000,000; the target is another product with its own row (chains such
  //    as MES -> ES -> SP are allowed, cycles are not);
  //  - where a row and its aggregate_into target both have a limit (or accountability level) of
  //    one kind, the row's value times the ratio equals the target's exactly (quantities are in
  //    the row's own contracts), and their spot_month_start agree;
  //  - source is not empty;
  //  - with a catalog, every product and aggregate_into is a canonical code in it.
  static Result<PositionLimitTable> Load(const std::string& path,
                                         const ProductCatalog* catalog = nullptr);

  // The row of `product`, or nullptr when the table has none (no limit is known).
  const PositionLimit* Find(std::string_view product) const;

  // All rows in file order.
  const std::vector<PositionLimit>& limits() const { return limits_; }

 private:
  std::vector<PositionLimit> limits_;
  std::map<std::string, size_t, std::less<>> by_product_;
};

}  // namespace eodclear
