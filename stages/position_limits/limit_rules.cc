#include "stages/position_limits/limit_rules.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "pipeline/refdata/contract.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

// A non-zero position with its contract split and its owner resolved.
struct HeldPosition {
  const LimitPosition* position;
  Contract contract;
  std::string owner;
};

using MonthKey = std::pair<int, int>;  // (year, month)

// Checks for duplicates, parses symbols and resolves owners; drops zero positions.
Result<std::vector<HeldPosition>> ParsePositions(const std::vector<LimitPosition>& positions,
                                                 const AccountDirectory& directory) {
  std::set<std::tuple<std::string_view, std::string_view, std::string_view>> seen;
  std::vector<HeldPosition> held;
  for (const LimitPosition& p : positions) {
    if (!seen.emplace(p.firm, p.account, p.contract).second) {
      return Err(Status::InvalidArgument("position of firm " + p.firm + ", account " + p.account +
                                         ", contract " + p.contract + " is listed twice"));
    }
    if (p.net == std::numeric_limits<int64_t>::min()) {
      return Err(Status::InvalidArgument("position of account " + p.account + " in " + p.contract +
                                         " is out of range"));
    }
    if (p.net == 0) continue;
    auto contract = SplitContractSymbol(p.contract);
    if (!contract) return Err(Status::DataError(contract.error().message()));
    held.push_back(HeldPosition{&p, std::move(*contract), directory.OwnerOf(p.account)});
  }
  return held;
}

Status AddChecked(int64_t& total, int64_t quantity, std::string_view owner, std::string_view what) {
  if (__builtin_add_overflow(total, quantity, &total)) {
    return Status::InvalidArgument("owner " + std::string(owner) + "'s total in " +
                                   std::string(what) + " is out of range");
  }
  return Status::Ok();
}

// The product a row's positions are checked in, and how many of its contracts one contract of
// the row is.
struct BaseLink {
  const PositionLimit* base = nullptr;
  Decimal ratio;
};

struct LevelField {
  std::string_view column;
  std::optional<int64_t> PositionLimit::*field;
};
constexpr LevelField kLevelFields[] = {
    {"spot_month_limit", &PositionLimit::spot_month_limit},
    {"single_month_limit", &PositionLimit::single_month_limit},
    {"all_months_limit", &PositionLimit::all_months_limit},
    {"single_month_accountability", &PositionLimit::single_month_accountability},
    {"all_months_accountability", &PositionLimit::all_months_accountability},
};

Result<BaseLink> ResolveBase(const PositionLimitTable& table, const PositionLimit& row) {
  std::vector<const PositionLimit*> chain = {&row};
  Decimal ratio = Decimal::FromInt(1);
  const PositionLimit* current = &row;
  while (!current->aggregate_into.empty()) {
    const PositionLimit* next = table.Find(current->aggregate_into);
    if (next == nullptr || !current->aggregate_ratio || chain.size() > table.limits().size()) {
      return Err(Status::InvalidArgument("position limits: " + current->product +
                                         " aggregates into '" + current->aggregate_into +
                                         "', which has no usable row"));
    }
    auto product = ratio.MultiplyExact(*current->aggregate_ratio);
    if (!product || *product > kMaxRatio) {
      return Err(Status::InvalidArgument("position limits: the aggregation ratio of " +
                                         row.product + " into " + next->product +
                                         " is not exact or exceeds 1000000"));
    }
    ratio = *product;
    current = next;
    chain.push_back(current);
  }
  for (const PositionLimit* link : chain) {
    if (link == current) continue;
    for (const LevelField& level : kLevelFields) {
      if ((link->*level.field) && !(current->*level.field)) {
        return Err(Status::InvalidArgument(
            "position limits: " + link->product + " has " + std::string(level.column) + " " +
            std::to_string(*(link->*level.field)) + " but its base " + current->product +
            " has none; an aggregating product is checked only as part of its base"));
      }
    }
  }
  return BaseLink{current, ratio};
}

struct ContractHolding {
  Decimal ratio;
  int64_t quantity = 0;
};

struct MonthHolding {
  std::map<std::string, ContractHolding> contracts;  // by contract symbol
  std::optional<Date> last_trade;                    // set when the base has a spot-month limit
  std::string last_trade_contract;                   // the contract last_trade was taken from
};

struct BaseHolding {
  const PositionLimit* base = nullptr;
  std::map<MonthKey, MonthHolding> months;
};

// |position| − (limit + exemption) when positive.
std::optional<Decimal> Excess(Decimal position, int64_t limit, int64_t exemption) {
  Decimal magnitude = position.is_negative() ? -position : position;
  Decimal excess = magnitude - Decimal::FromInt(limit) - Decimal::FromInt(exemption);
  if (excess > Decimal()) return excess;
  return std::nullopt;
}

}  // namespace

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kSpotMonth:
      return "spot_month";
    case FindingKind::kSingleMonth:
      return "single_month";
    case FindingKind::kAllMonths:
      return "all_months";
    case FindingKind::kAccountability:
      return "accountability";
  }
  return "unknown";
}

namespace {

// CheckLimits of positions already parsed.
Result<std::vector<LimitFinding>> CheckHeld(Date business_date,
                                            const std::vector<HeldPosition>& held,
                                            const PositionLimitTable& table,
                                            const AccountDirectory& directory,
                                            const std::map<std::string, Date>& last_trade_dates) {
  std::map<std::string, BaseLink> links;                             // by product
  std::map<std::string, std::map<std::string, BaseHolding>> owners;  // owner -> base -> holding
  for (const HeldPosition& h : held) {
    const PositionLimit* row = table.Find(h.contract.product);
    if (row == nullptr) continue;
    auto link_it = links.find(row->product);
    if (link_it == links.end()) {
      EODCLEAR_ASSIGN_OR_RETURN(BaseLink link, ResolveBase(table, *row));
      link_it = links.emplace(row->product, link).first;
    }
    const BaseLink& link = link_it->second;

    BaseHolding& base = owners[h.owner][link.base->product];
    base.base = link.base;
    MonthHolding& month = base.months[{h.contract.year, h.contract.month}];
    if (link.base->spot_month_limit) {
      auto date = last_trade_dates.find(h.position->contract);
      if (date == last_trade_dates.end()) {
        return Err(Status::InvalidArgument("no last trading day for contract " +
                                           h.position->contract + ", needed for the " +
                                           link.base->product + " spot-month limit"));
      }
      if (month.last_trade && *month.last_trade != date->second) {
        return Err(Status::InvalidArgument(
            "contracts " + month.last_trade_contract + " and " + h.position->contract +
            " are one " + link.base->product + " month but terminate on " +
            month.last_trade->ToString() + " and " + date->second.ToString()));
      }
      month.last_trade = date->second;
      month.last_trade_contract = h.position->contract;
    }
    ContractHolding& contract = month.contracts[h.position->contract];
    contract.ratio = link.ratio;
    EODCLEAR_RETURN_IF_ERROR(
        AddChecked(contract.quantity, h.position->net, h.owner, h.position->contract));
  }

  std::vector<LimitFinding> findings;
  for (const auto& [owner, bases] : owners) {
    for (const auto& [base_product, holding] : bases) {
      const PositionLimit& base = *holding.base;
      std::vector<LimitFinding> spot, single, all, single_accountability, all_accountability;
      auto finding = [&](FindingKind kind, LimitKind period, const std::string& base_contract,
                         const std::vector<AggregatedContract>& aggregated, Decimal position,
                         int64_t limit, int64_t exemption, Decimal excess) {
        LimitFinding f;
        f.business_date = business_date;
        f.owner = owner;
        f.kind = kind;
        f.period = period;
        f.base_product = base_product;
        f.base_contract = base_contract;
        f.aggregated = aggregated;
        f.position = position;
        f.limit = limit;
        f.exemption = exemption;
        f.excess = excess;
        return f;
      };
      auto check_limit = [&](std::vector<LimitFinding>& out, FindingKind kind, LimitKind period,
                             std::optional<int64_t> limit, const std::string& base_contract,
                             const std::vector<AggregatedContract>& aggregated, Decimal position) {
        if (!limit) return;
        const Exemption* exemption =
            directory.ExemptionInForce(owner, base_product, period, business_date);
        int64_t extra = exemption != nullptr ? exemption->quantity : 0;
        if (auto excess = Excess(position, *limit, extra)) {
          out.push_back(
              finding(kind, period, base_contract, aggregated, position, *limit, extra, *excess));
        }
      };
      auto check_accountability =
          [&](std::vector<LimitFinding>& out, LimitKind period, std::optional<int64_t> level,
              const std::string& base_contract, const std::vector<AggregatedContract>& aggregated,
              Decimal position) {
            if (!level) return;
            if (auto excess = Excess(position, *level, 0)) {
              out.push_back(finding(FindingKind::kAccountability, period, base_contract, aggregated,
                                    position, *level, 0, *excess));
            }
          };

      Decimal all_position;
      std::vector<AggregatedContract> all_aggregated;
      for (const auto& [key, month] : holding.months) {
        Decimal position;
        std::vector<AggregatedContract> aggregated;
        for (const auto& [symbol, contract] : month.contracts) {
          if (contract.quantity == 0) continue;
          Decimal equivalent = contract.ratio * contract.quantity;
          position += equivalent;
          aggregated.push_back(
              AggregatedContract{symbol, contract.ratio, contract.quantity, equivalent});
        }
        if (aggregated.empty()) continue;
        all_position += position;
        all_aggregated.insert(all_aggregated.end(), aggregated.begin(), aggregated.end());
        const std::string base_contract = Contract{base_product, key.first, key.second}.ToString();
        if (base.spot_month_limit && base.spot_month_start && month.last_trade &&
            base.spot_month_start->Contains(business_date, *month.last_trade)) {
          check_limit(spot, FindingKind::kSpotMonth, LimitKind::kSpotMonth, base.spot_month_limit,
                      base_contract, aggregated, position);
        }
        check_limit(single, FindingKind::kSingleMonth, LimitKind::kSingleMonth,
                    base.single_month_limit, base_contract, aggregated, position);
        check_accountability(single_accountability, LimitKind::kSingleMonth,
                             base.single_month_accountability, base_contract, aggregated, position);
      }
      if (!all_aggregated.empty()) {
        check_limit(all, FindingKind::kAllMonths, LimitKind::kAllMonths, base.all_months_limit,
                    base_product, all_aggregated, all_position);
        check_accountability(all_accountability, LimitKind::kAllMonths,
                             base.all_months_accountability, base_product, all_aggregated,
                             all_position);
      }
      for (auto* group : {&spot, &single, &all, &single_accountability, &all_accountability}) {
        std::move(group->begin(), group->end(), std::back_inserter(findings));
      }
    }
  }
  return findings;
}

// ReportablePositions of positions already parsed.
Result<std::vector<ReportableRecord>> ReportHeld(Date business_date,
                                                 const std::vector<HeldPosition>& held,
                                                 const PositionLimitTable& table) {
  struct LongShort {
    int64_t long_quantity = 0, short_quantity = 0;
  };
  struct ProductHolding {
    int64_t level = 0;
    std::map<MonthKey, LongShort> months;  // the owner's open long and short per month
    std::vector<const HeldPosition*> positions;
  };
  std::map<std::string, std::map<std::string, ProductHolding>> owners;  // owner -> product
  for (const HeldPosition& h : held) {
    const PositionLimit* row = table.Find(h.contract.product);
    if (row == nullptr || !row->reportable_level) continue;
    ProductHolding& product = owners[h.owner][row->product];
    product.level = *row->reportable_level;
    LongShort& month = product.months[{h.contract.year, h.contract.month}];
    int64_t net = h.position->net;
    EODCLEAR_RETURN_IF_ERROR(
        net > 0 ? AddChecked(month.long_quantity, net, h.owner, h.position->contract)
                : AddChecked(month.short_quantity, -net, h.owner, h.position->contract));
    product.positions.push_back(&h);
  }

  std::vector<ReportableRecord> records;
  for (const auto& [owner, products] : owners) {
    for (const auto& [product_code, product] : products) {
      bool reportable =
          std::any_of(product.months.begin(), product.months.end(), [&](const auto& month) {
            return month.second.long_quantity >= product.level ||
                   month.second.short_quantity >= product.level;
          });
      if (!reportable) continue;
      std::vector<const HeldPosition*> sorted = product.positions;
      std::sort(sorted.begin(), sorted.end(), [](const HeldPosition* a, const HeldPosition* b) {
        return std::tie(a->contract.year, a->contract.month, a->position->firm,
                        a->position->account) < std::tie(b->contract.year, b->contract.month,
                                                         b->position->firm, b->position->account);
      });
      for (const HeldPosition* h : sorted) {
        int64_t net = h->position->net;
        records.push_back(ReportableRecord{business_date, owner, h->position->account,
                                           h->position->firm, h->position->contract,
                                           net > 0 ? net : 0, net < 0 ? -net : 0});
      }
    }
  }
  return records;
}

}  // namespace

Result<std::vector<LimitFinding>> CheckLimits(Date business_date,
                                              const std::vector<LimitPosition>& positions,
                                              const PositionLimitTable& table,
                                              const AccountDirectory& directory,
                                              const std::map<std::string, Date>& last_trade_dates) {
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<HeldPosition> held, ParsePositions(positions, directory));
  return CheckHeld(business_date, held, table, directory, last_trade_dates);
}

Result<std::vector<ReportableRecord>> ReportablePositions(
    Date business_date, const std::vector<LimitPosition>& positions,
    const PositionLimitTable& table, const AccountDirectory& directory) {
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<HeldPosition> held, ParsePositions(positions, directory));
  return ReportHeld(business_date, held, table);
}

Result<LimitsAndReports> CheckLimitsAndReport(Date business_date,
                                              const std::vector<LimitPosition>& positions,
                                              const PositionLimitTable& table,
                                              const AccountDirectory& directory,
                                              const std::map<std::string, Date>& last_trade_dates) {
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<HeldPosition> held, ParsePositions(positions, directory));
  LimitsAndReports out;
  EODCLEAR_ASSIGN_OR_RETURN(out.findings,
                            CheckHeld(business_date, held, table, directory, last_trade_dates));
  EODCLEAR_ASSIGN_OR_RETURN(out.reports, ReportHeld(business_date, held, table));
  return out;
}

}  // namespace eodclear
