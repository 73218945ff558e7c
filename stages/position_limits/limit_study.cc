#include "stages/position_limits/limit_study.h"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "pipeline/core/csv.h"

namespace eodclear {
namespace {

constexpr Int128 kInt128Max = static_cast<Int128>(~static_cast<UInt128>(0) >> 1);

// Bounds of the inputs (see SupplyMonth): they keep every product below inside Int128.
constexpr Decimal kMaxSupplyCnh = Decimal::FromInt(1'000'000'000'000'000);  // 10^15
constexpr Decimal kMinSpotRate = Decimal::FromUnits(10'000);                // 0.0001
constexpr Decimal kMaxSpotRate = Decimal::FromInt(10'000);

// True when a x b overflows, for a, b >= 0.
bool MultiplyOverflows(Int128 a, Int128 b) { return a != 0 && b > kInt128Max / a; }

Int128 Pow10(int n) {
  Int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// Year and month of "YYYY-MM" (years 1900-2199), or false.
bool ParseMonth(std::string_view text, int* year, int* month) {
  if (text.size() != 7 || text[4] != '-') return false;
  int y = 0, m = 0;
  for (size_t i = 0; i < 7; ++i) {
    if (i == 4) continue;
    if (text[i] < '0' || text[i] > '9') return false;
    int digit = text[i] - '0';
    if (i < 4) {
      y = y * 10 + digit;
    } else {
      m = m * 10 + digit;
    }
  }
  if (y < 1900 || y > 2199 || m < 1 || m > 12) return false;
  *year = y;
  *month = m;
  return true;
}

// Empty when the month's values are in range; otherwise what is wrong, naming the field.
std::string RangeProblem(const SupplyMonth& m) {
  if (m.month < 1 || m.month > 12 || m.year < 1900 || m.year > 2199) {
    return "month " + m.MonthString() + " is not a month of 1900-2199";
  }
  const Decimal& d = m.deliverable_supply_cnh;
  if (d <= Decimal()) {
    return "deliverable_supply_cnh " + d.ToString() + " must be greater than 0";
  }
  if (d > kMaxSupplyCnh) {
    return "deliverable_supply_cnh " + d.ToString() + " is above 10^15 CNH";
  }
  const Decimal& r = m.spot_rate_cnh_per_usd;
  if (r < kMinSpotRate || r > kMaxSpotRate) {
    return "spot_rate_cnh_per_usd " + r.ToString() + " is outside 0.0001..10000";
  }
  return "";
}

bool Before(const SupplyMonth& a, const SupplyMonth& b) {
  return a.year < b.year || (a.year == b.year && a.month < b.month);
}

}  // namespace

std::string SupplyMonth::MonthString() const {
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d", year, month);
  return text;
}

Result<int64_t> RoundToNearestMultiple(Int128 numerator, Int128 denominator, int64_t increment) {
  if (numerator < 0 || denominator <= 0 || increment <= 0) {
    return Err(Status::InvalidArgument(
        "RoundToNearestMultiple needs numerator >= 0, denominator > 0 and increment > 0"));
  }
  // q = numerator / denominator; k = floor(q / increment + 1/2)
  //   = floor((2 x numerator + increment x denominator) / (2 x increment x denominator)).
  auto overflow = [] {
    return Err(Status::InvalidArgument("RoundToNearestMultiple: out of the Int128 range"));
  };
  if (MultiplyOverflows(Int128{2} * increment, denominator)) return overflow();
  Int128 unit = Int128{increment} * denominator;  // one increment, over the denominator
  if (numerator > (kInt128Max - unit) / 2) return overflow();
  Int128 k = (2 * numerator + unit) / (2 * unit);
  if (k > std::numeric_limits<int64_t>::max() / increment) {
    return Err(Status::InvalidArgument("RoundToNearestMultiple: result out of the int64 range"));
  }
  return static_cast<int64_t>(k) * increment;
}

Result<Decimal> DivideRounded(Int128 numerator, Int128 denominator, int fraction_digits) {
  if (denominator <= 0 || fraction_digits < 0 || fraction_digits > Decimal::kScale) {
    return Err(
        Status::InvalidArgument("DivideRounded needs denominator > 0 and 0..8 fraction digits"));
  }
  bool negative = numerator < 0;
  if (numerator == -kInt128Max - 1) {
    return Err(Status::InvalidArgument("DivideRounded: out of the Int128 range"));
  }
  Int128 magnitude = negative ? -numerator : numerator;
  Int128 scale = Pow10(fraction_digits);
  if (MultiplyOverflows(magnitude, 2 * scale) || denominator > kInt128Max / 2 ||
      2 * magnitude * scale > kInt128Max - denominator) {
    return Err(Status::InvalidArgument("DivideRounded: out of the Int128 range"));
  }
  // Half away from zero on the magnitude: floor((2 x |n| x 10^f + d) / (2 x d)).
  Int128 q = (2 * magnitude * scale + denominator) / (2 * denominator);
  Int128 to_units = Pow10(Decimal::kScale - fraction_digits);
  if (q > kInt128Max / to_units) {
    return Err(Status::InvalidArgument("DivideRounded: out of the Decimal range"));
  }
  Int128 units = q * to_units;
  return Decimal::FromUnits(negative ? -units : units);
}

Result<std::vector<SupplyMonth>> ParseSupplySeries(std::string_view csv_text,
                                                   const std::string& path) {
  // A malformed supply file is a bad input of the command (exit code 2), whatever the CSV reader
  // calls it.
  auto csv = CsvFile::Parse(csv_text, path);
  if (!csv) return Err(Status::InvalidArgument(csv.error().message()));
  if (Status s = csv->ExpectHeader(
          {"month", "deliverable_supply_cnh", "spot_rate_cnh_per_usd", "source_note"});
      !s.ok()) {
    return Err(Status::InvalidArgument(s.message()));
  }
  std::vector<SupplyMonth> series;
  size_t previous_line = 0;
  for (const CsvFile::Row& row : csv->rows()) {
    auto bad = [&](const std::string& what) {
      return Err(Status::InvalidArgument(csv->Where(row) + ": " + what));
    };
    SupplyMonth m;
    const std::string& month_text = row.fields[0];
    if (!ParseMonth(month_text, &m.year, &m.month)) {
      return bad("month '" + month_text + "' is not YYYY-MM (years 1900-2199)");
    }
    auto supply = Decimal::Parse(row.fields[1]);
    if (!supply) return bad("deliverable_supply_cnh: " + supply.error().message());
    auto rate = Decimal::Parse(row.fields[2]);
    if (!rate) return bad("spot_rate_cnh_per_usd: " + rate.error().message());
    m.deliverable_supply_cnh = *supply;
    m.spot_rate_cnh_per_usd = *rate;
    m.source_note = row.fields[3];
    if (std::string problem = RangeProblem(m); !problem.empty()) return bad(problem);
    if (!series.empty() && !Before(series.back(), m)) {
      return bad("month " + m.MonthString() + " is not after " + series.back().MonthString() +
                 " (line " + std::to_string(previous_line) + "); months must increase");
    }
    previous_line = row.line;
    series.push_back(std::move(m));
  }
  if (series.empty()) return Err(Status::InvalidArgument(path + ": no months"));
  return series;
}

Result<std::vector<SupplyMonth>> ReadSupplySeries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(Status::NotFound(path + ": cannot open file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Err(Status::InvalidArgument(path + ": read error"));
  return ParseSupplySeries(text.str(), path);
}

Result<MonthlyLimits> LimitsForMonth(const SupplyMonth& month) {
  if (std::string problem = RangeProblem(month); !problem.empty()) {
    return Err(Status::InvalidArgument(month.MonthString() + ": " + problem));
  }
  MonthlyLimits out;
  out.supply = month;
  out.contract_size_cnh = month.spot_rate_cnh_per_usd * kCnhContractSizeUsd;
  // D and S share the Decimal scale, so D / S is the ratio of their units.
  const Int128 d = month.deliverable_supply_cnh.units();
  const Int128 s = out.contract_size_cnh.units();
  EODCLEAR_ASSIGN_OR_RETURN(out.supply_contracts, DivideRounded(d, s, 2));
  EODCLEAR_ASSIGN_OR_RETURN(out.one_percent_contracts,
                            DivideRounded(d * kSpotMonthPercent, s * 100, 2));
  EODCLEAR_ASSIGN_OR_RETURN(out.two_percent_contracts,
                            DivideRounded(d * kAllMonthsPercent, s * 100, 2));
  EODCLEAR_ASSIGN_OR_RETURN(out.spot_month_limit, RoundToNearestMultiple(d * kSpotMonthPercent,
                                                                         s * 100, kLimitIncrement));
  EODCLEAR_ASSIGN_OR_RETURN(out.all_months_limit, RoundToNearestMultiple(d * kAllMonthsPercent,
                                                                         s * 100, kLimitIncrement));
  out.mnh_spot_month_limit = out.spot_month_limit * kMnhPerCnh;
  out.mnh_all_months_limit = out.all_months_limit * kMnhPerCnh;
  return out;
}

Result<LimitStudy> StudyLimits(const std::vector<SupplyMonth>& series) {
  if (series.empty()) return Err(Status::InvalidArgument("the supply series has no months"));
  LimitStudy study;
  SupplySummary& sum = study.summary;
  Int128 total = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const SupplyMonth& m = series[i];
    if (i > 0 && !Before(series[i - 1], m)) {
      return Err(Status::InvalidArgument("month " + m.MonthString() + " is not after " +
                                         series[i - 1].MonthString() + "; months must increase"));
    }
    EODCLEAR_ASSIGN_OR_RETURN(MonthlyLimits limits, LimitsForMonth(m));
    const Decimal& d = m.deliverable_supply_cnh;
    if (i == 0 || d < sum.min_supply_cnh) {
      sum.min_supply_cnh = d;
      sum.min_month = m.MonthString();
    }
    if (i == 0 || d > sum.max_supply_cnh) {
      sum.max_supply_cnh = d;
      sum.max_month = m.MonthString();
    }
    total += d.units();  // each < 10^23 units: no overflow for any realistic series length
    study.months.push_back(std::move(limits));
  }
  sum.months = series.size();
  sum.first_month = series.front().MonthString();
  sum.last_month = series.back().MonthString();
  EODCLEAR_ASSIGN_OR_RETURN(
      sum.average_supply_cnh,
      DivideRounded(total, Int128{Decimal::kOne} * static_cast<Int128>(series.size()), 0));
  const Int128 first = series.front().deliverable_supply_cnh.units();
  const Int128 last = series.back().deliverable_supply_cnh.units();
  EODCLEAR_ASSIGN_OR_RETURN(sum.growth_percent, DivideRounded((last - first) * 100, first, 1));
  return study;
}

}  // namespace eodclear
