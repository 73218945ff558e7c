#include "pipeline/refdata/position_limit_table.h"

#include <charconv>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kLimitColumns = {"product",
                                                "spot_month_limit",
                                                "spot_month_start",
                                                "single_month_limit",
                                                "all_months_limit",
                                                "single_month_accountability",
                                                "all_months_accountability",
                                                "aggregate_into",
                                                "aggregate_ratio",
                                                "reportable_level",
                                                "source"};

constexpr std::string_view kTerminationPrefix = "termination-";
constexpr int32_t kMaxSpotMonthDays = 366;

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string Quantity(std::optional<int64_t> q) { return q ? std::to_string(*q) : ""; }

}  // namespace

std::string_view LimitKindName(LimitKind kind) {
  switch (kind) {
    case LimitKind::kSpotMonth:
      return "spot_month";
    case LimitKind::kSingleMonth:
      return "single_month";
    case LimitKind::kAllMonths:
      return "all_months";
  }
  return "unknown";
}

Result<LimitKind> ParseLimitKind(std::string_view text) {
  for (LimitKind kind : {LimitKind::kSpotMonth, LimitKind::kSingleMonth, LimitKind::kAllMonths}) {
    if (text == LimitKindName(kind)) return kind;
  }
  return Err(Status::InvalidArgument("kind '" + std::string(text) +
                                     "' must be spot_month, single_month or all_months"));
}

Result<SpotMonthStart> SpotMonthStart::Parse(std::string_view text) {
  auto bad = [&] {
    return Err(Status::InvalidArgument("spot_month_start '" + std::string(text) +
                                       "' must be termination-<N>d with N from 0 to " +
                                       std::to_string(kMaxSpotMonthDays)));
  };
  if (!text.starts_with(kTerminationPrefix) || !text.ends_with('d')) return bad();
  std::string_view days =
      text.substr(kTerminationPrefix.size(), text.size() - kTerminationPrefix.size() - 1);
  if (!AllDigits(days) || days.size() > 3) return bad();
  int32_t n = 0;
  std::from_chars(days.data(), days.data() + days.size(), n);
  if (n > kMaxSpotMonthDays) return bad();
  return SpotMonthStart{n};
}

std::string SpotMonthStart::ToString() const {
  return std::string(kTerminationPrefix) + std::to_string(days_before_termination) + "d";
}

std::optional<int64_t> PositionLimit::Limit(LimitKind kind) const {
  switch (kind) {
    case LimitKind::kSpotMonth:
      return spot_month_limit;
    case LimitKind::kSingleMonth:
      return single_month_limit;
    case LimitKind::kAllMonths:
      return all_months_limit;
  }
  return std::nullopt;
}

Result<PositionLimitTable> PositionLimitTable::Load(const std::string& path,
                                                    const ProductCatalog* catalog) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, ReadReferenceCsv(path, kLimitColumns));
  PositionLimitTable table;
  for (const auto& row : file.rows()) {
    const auto& f = row.fields;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + what));
    };
    PositionLimit limit;
    limit.product = f[0];
    limit.line = row.line;
    if (!IsProductCode(limit.product)) {
      return where("product '" + limit.product + "' must be upper-case letters and digits");
    }
    // Columns 1, 3, 4, 5, 6 and 9 are quantities: empty, or a positive whole number.
    struct QuantityColumn {
      size_t index;
      std::optional<int64_t>* field;
    };
    for (const QuantityColumn& q :
         {QuantityColumn{1, &limit.spot_month_limit}, QuantityColumn{3, &limit.single_month_limit},
          QuantityColumn{4, &limit.all_months_limit},
          QuantityColumn{5, &limit.single_month_accountability},
          QuantityColumn{6, &limit.all_months_accountability},
          QuantityColumn{9, &limit.reportable_level}}) {
      if (f[q.index].empty()) continue;
      *q.field = ParseContracts(f[q.index]);
      if (!*q.field) {
        return where(kLimitColumns[q.index] + " '" + f[q.index] +
                     "' must be empty or a positive whole number of contracts (at most 12 digits)");
      }
    }
    if (!f[2].empty()) {
      auto start = SpotMonthStart::Parse(f[2]);
      if (!start) return where(start.error().message());
      limit.spot_month_start = *start;
    }
    if (limit.spot_month_limit && !limit.spot_month_start) {
      return where("spot_month_limit needs a spot_month_start");
    }
    if (!limit.spot_month_limit && limit.spot_month_start) {
      return where("spot_month_start '" + f[2] + "' without a spot_month_limit");
    }
    limit.aggregate_into = f[7];
    if (!f[8].empty()) {
      auto ratio = Decimal::Parse(f[8]);
      if (!ratio || !(*ratio > Decimal()) || *ratio > kMaxRatio) {
        return where("aggregate_ratio '" + f[8] + "' must be a positive decimal up to 1000000");
      }
      limit.aggregate_ratio = *ratio;
    }
    if (limit.aggregate_into.empty() != !limit.aggregate_ratio) {
      return where("aggregate_into and aggregate_ratio must both be set or both be empty");
    }
    if (!limit.aggregate_into.empty()) {
      if (!IsProductCode(limit.aggregate_into)) {
        return where("aggregate_into '" + limit.aggregate_into +
                     "' must be upper-case letters and digits");
      }
      if (limit.aggregate_into == limit.product) {
        return where("product '" + limit.product + "' aggregates into itself");
      }
    }
    limit.source = f[10];
    if (limit.source.empty()) return where("source is empty");
    if (catalog != nullptr) {
      std::string problem = CatalogProblem(*catalog, "product", limit.product);
      if (problem.empty() && !limit.aggregate_into.empty()) {
        problem = CatalogProblem(*catalog, "aggregate_into", limit.aggregate_into);
      }
      if (!problem.empty()) return where(problem);
    }
    if (const PositionLimit* earlier = table.Find(limit.product)) {
      return where("product '" + limit.product + "' already has a row at line " +
                   std::to_string(earlier->line));
    }
    table.by_product_.emplace(limit.product, table.limits_.size());
    table.limits_.push_back(std::move(limit));
  }

  for (const PositionLimit& limit : table.limits_) {
    if (limit.aggregate_into.empty()) continue;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(path + ":" + std::to_string(limit.line) + ": " + what));
    };
    const PositionLimit* target = table.Find(limit.aggregate_into);
    if (target == nullptr) {
      return where("aggregate_into '" + limit.aggregate_into + "' has no row of its own");
    }
    // A chain (MES -> ES -> SP) is allowed; a cycle has no product to count positions in.
    const PositionLimit* step = target;
    for (size_t hops = 0; step != nullptr && !step->aggregate_into.empty(); ++hops) {
      if (step == &limit || hops > table.limits_.size()) {
        return where("aggregation of '" + limit.product + "' runs in a cycle");
      }
      step = table.Find(step->aggregate_into);
    }
    // Both rows state one limit, each in its own contracts: they must agree at the ratio.
    struct Level {
      std::string_view column;
      std::optional<int64_t> PositionLimit::*field;
    };
    for (const Level& level :
         {Level{"spot_month_limit", &PositionLimit::spot_month_limit},
          Level{"single_month_limit", &PositionLimit::single_month_limit},
          Level{"all_months_limit", &PositionLimit::all_months_limit},
          Level{"single_month_accountability", &PositionLimit::single_month_accountability},
          Level{"all_months_accountability", &PositionLimit::all_months_accountability}}) {
      const std::optional<int64_t>& own = limit.*level.field;
      const std::optional<int64_t>& theirs = target->*level.field;
      if (!own || !theirs) continue;
      auto equivalent = Decimal::FromInt(*own).MultiplyExact(*limit.aggregate_ratio);
      if (!equivalent || *equivalent != Decimal::FromInt(*theirs)) {
        return where(std::string(level.column) + " " + Quantity(own) + " x aggregate_ratio " +
                     limit.aggregate_ratio->ToString() + " = " +
                     (equivalent ? equivalent->ToString() : "not exact") + " " +
                     limit.aggregate_into + ", but " + limit.aggregate_into + "'s " +
                     std::string(level.column) + " is " + Quantity(theirs) +
                     " (quantities are in the row's own contracts)");
      }
    }
    if (limit.spot_month_start && target->spot_month_start &&
        *limit.spot_month_start != *target->spot_month_start) {
      return where("spot_month_start " + limit.spot_month_start->ToString() + " differs from " +
                   limit.aggregate_into + "'s " + target->spot_month_start->ToString());
    }
  }
  return table;
}

const PositionLimit* PositionLimitTable::Find(std::string_view product) const {
  auto it = by_product_.find(product);
  return it == by_product_.end() ? nullptr : &limits_[it->second];
}

}  // namespace eodclear
