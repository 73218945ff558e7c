#include "stages/settlement/curve_settlement.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

namespace eodclear {
namespace {

std::string Str(Decimal d) { return d.ToString(); }

// A daily change with its sign: "+0.02", "-0.0013", "0".
std::string SignedStr(Decimal d) { return (d.units() > 0 ? "+" : "") + Str(d); }

// "LIWH21 (5Y)".
std::string Label(const TenorInputs& t) {
  return t.contract + " (" + std::to_string(t.tenor_years) + "Y)";
}

Int128 Gcd(Int128 a, Int128 b) {
  if (a < 0) a = -a;
  while (b != 0) {
    const Int128 r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// The exact value numerator / denominator (denominator > 0) as text: a decimal when it is one,
// else the reduced fraction, e.g. "0.0041/3".
std::string RationalStr(Decimal numerator, int64_t denominator) {
  const Int128 g = Gcd(numerator.units(), denominator);  // >= 1 as denominator > 0
  const Decimal num = Decimal::FromUnits(numerator.units() / g);
  const Int128 den = Int128{denominator} / g;
  if (den == 1) return Str(num);
  return Str(num) + "/" + std::to_string(static_cast<int64_t>(den));
}

// The same with a sign, for a daily change: "+0.0041/3".
std::string SignedRationalStr(Decimal numerator, int64_t denominator) {
  return (numerator.units() > 0 ? "+" : "") + RationalStr(numerator, denominator);
}

// sum of value x weight, exactly; kInvalidArgument when it leaves the Int128 range.
Result<Decimal> WeightedSum(std::initializer_list<std::pair<Decimal, int64_t>> terms) {
  Int128 total = 0;
  for (const auto& [value, weight] : terms) {
    Int128 product = 0;
    if (__builtin_mul_overflow(value.units(), Int128{weight}, &product) ||
        __builtin_add_overflow(total, product, &total)) {
      return Err(Status::InvalidArgument("curve interpolation out of range"));
    }
  }
  return Decimal::FromUnits(total);
}

// A tenor whose daily change others are fitted or interpolated from.
struct Anchor {
  std::size_t index = 0;  // into the input tenors
  int tenor_years = 0;
  Decimal change;  // settlement - prior
};

// The nearest anchors strictly below and above `tenor_years`.
struct Bracket {
  const Anchor* below = nullptr;
  const Anchor* above = nullptr;
};

Bracket Nearest(const std::vector<Anchor>& anchors, int tenor_years) {
  Bracket b;
  for (const Anchor& a : anchors) {
    if (a.tenor_years < tenor_years && (!b.below || a.tenor_years > b.below->tenor_years)) {
      b.below = &a;
    }
    if (a.tenor_years > tenor_years && (!b.above || a.tenor_years < b.above->tenor_years)) {
      b.above = &a;
    }
  }
  return b;
}

// An exact daily change numerator / denominator, with the anchors it came from and a phrase
// saying how.
struct ChangeEstimate {
  Decimal numerator;
  int64_t denominator = 1;
  std::vector<const Anchor*> used;
  std::string how;
};

std::string AnchorText(const Anchor& a, const std::vector<TenorInputs>& tenors,
                       const std::vector<SettlementDecision>& decisions) {
  return tenors[a.index].contract + " (" + std::to_string(a.tenor_years) + "Y, " +
         std::string(SettlementTierName(decisions[a.index].tier)) + ", daily change " +
         SignedStr(a.change) + ")";
}

// Linear interpolation in tenor years between b.below and b.above (both set).
Result<ChangeEstimate> Interpolate(const Bracket& b, int tenor_years,
                                   const std::vector<TenorInputs>& tenors,
                                   const std::vector<SettlementDecision>& decisions) {
  const int64_t lo = b.below->tenor_years;
  const int64_t hi = b.above->tenor_years;
  const int64_t t = tenor_years;
  ChangeEstimate e;
  e.denominator = hi - lo;
  EODCLEAR_ASSIGN_OR_RETURN(e.numerator,
                            WeightedSum({{b.below->change, hi - t}, {b.above->change, t - lo}}));
  e.used = {b.below, b.above};
  e.how = "daily change " + SignedRationalStr(e.numerator, e.denominator) +
          " interpolated linearly in tenor years between " +
          AnchorText(*b.below, tenors, decisions) + " and " +
          AnchorText(*b.above, tenors, decisions);
  return e;
}

// prior + numerator / denominator, as an exact numerator over the same denominator.
Result<Decimal> PriorPlus(Decimal prior, const ChangeEstimate& e) {
  return WeightedSum({{prior, e.denominator}, {e.numerator, 1}});
}

std::vector<std::string> Contracts(const std::vector<const Anchor*>& used,
                                   const std::vector<TenorInputs>& tenors) {
  std::vector<std::string> names;
  for (const Anchor* a : used) names.push_back(tenors[a->index].contract);
  return names;
}

// Tier 2 for tenor i: prior moved by the change estimated from `anchors`, then into [bid, ask].
Result<TenorDecision> FitToMarket(std::size_t i, const std::vector<TenorInputs>& tenors,
                                  const std::vector<SettlementDecision>& decisions,
                                  const std::vector<Anchor>& anchors, Decimal tick) {
  const TenorInputs& t = tenors[i];
  const Decimal prior = *t.inputs.prior_settlement;
  const BidAsk& market = *t.inputs.market_at_window_end;
  const Bracket b = Nearest(anchors, t.tenor_years);

  ChangeEstimate e;
  if (b.below && b.above) {
    EODCLEAR_ASSIGN_OR_RETURN(e, Interpolate(b, t.tenor_years, tenors, decisions));
  } else if (b.below || b.above) {
    const Anchor& a = b.below ? *b.below : *b.above;
    e.numerator = a.change;
    e.used = {&a};
    e.how = "the daily change of the nearest anchor " + AnchorText(a, tenors, decisions) +
            ", flat (no anchor " + (b.below ? "above" : "below") + " " +
            std::to_string(t.tenor_years) + "Y)";
  } else {
    e.how = "no change (no tenor settled by trades or override with a prior to fit from)";
  }

  EODCLEAR_ASSIGN_OR_RETURN(const Decimal fitted, PriorPlus(prior, e));
  EODCLEAR_ASSIGN_OR_RETURN(const Decimal bid_scaled, WeightedSum({{market.bid, e.denominator}}));
  EODCLEAR_ASSIGN_OR_RETURN(const Decimal ask_scaled, WeightedSum({{market.ask, e.denominator}}));

  TenorDecision out{t.contract, t.tenor_years, SettlementDecision{}, Contracts(e.used, tenors)};
  SettlementDecision& d = out.decision;
  d.tier = SettlementTier::kCurveFit;
  d.prior = prior;
  d.bid = market.bid;
  d.ask = market.ask;
  const std::string head = "curve_fit: no trade in the window; CBOT 21-101 tier 2 fit: " + e.how +
                           "; prior settlement " + Str(prior) + " moved by it is " +
                           RationalStr(fitted, e.denominator);
  std::string where;
  if (fitted < bid_scaled) {
    EODCLEAR_ASSIGN_OR_RETURN(d.price, RoundToTick(market.bid, 1, tick, prior));
    where = ", below the best bid " + Str(market.bid) + ": moved to the bid";
  } else if (fitted > ask_scaled) {
    EODCLEAR_ASSIGN_OR_RETURN(d.price, RoundToTick(market.ask, 1, tick, prior));
    where = ", above the best ask " + Str(market.ask) + ": moved to the ask";
  } else {
    EODCLEAR_ASSIGN_OR_RETURN(d.price, RoundToTick(fitted, e.denominator, tick, prior));
    where = ", within bid " + Str(market.bid) + " / ask " + Str(market.ask);
  }
  d.explanation = head + where + "; settles at " + Str(d.price) + " on the " + Str(tick) + " tick";
  return out;
}

// Tier 3 for tenor i, or tier 4 (carried, stale) when an anchor side is missing.
Result<TenorDecision> InterpolateOrCarry(std::size_t i, const std::vector<TenorInputs>& tenors,
                                         const std::vector<SettlementDecision>& decisions,
                                         const std::vector<Anchor>& anchors, Decimal tick) {
  const TenorInputs& t = tenors[i];
  const Decimal prior = *t.inputs.prior_settlement;
  const Bracket b = Nearest(anchors, t.tenor_years);
  TenorDecision out{t.contract, t.tenor_years, decisions[i], {}};
  SettlementDecision& d = out.decision;

  if (!b.below || !b.above) {
    // decisions[i] is SettleOutright's carried prior (no trade, no market, a prior).
    std::string missing;
    if (!b.below && !b.above) {
      missing = "no settled tenor below or above " + std::to_string(t.tenor_years) + "Y";
    } else {
      missing = std::string("no settled tenor ") + (b.below ? "above " : "below ") +
                std::to_string(t.tenor_years) + "Y";
    }
    d.explanation = "carried: no trade in the window and no two-sided market at its end, and " +
                    missing +
                    " to interpolate from (CBOT 21-101 tier 3b: an equivalent interest rate "
                    "swap valuation, which eodclear cannot compute); prior settlement " +
                    Str(prior) + " carried" +
                    (d.price != prior ? " as " + Str(d.price) + " on the " + Str(tick) + " tick"
                                      : std::string()) +
                    ", stale; an operator override is expected";
    return out;
  }

  EODCLEAR_ASSIGN_OR_RETURN(const ChangeEstimate e,
                            Interpolate(b, t.tenor_years, tenors, decisions));
  EODCLEAR_ASSIGN_OR_RETURN(const Decimal value, PriorPlus(prior, e));
  d = SettlementDecision{};
  d.tier = SettlementTier::kInterpolated;
  d.prior = prior;
  EODCLEAR_ASSIGN_OR_RETURN(d.price, RoundToTick(value, e.denominator, tick, prior));
  d.explanation =
      "interpolated: no trade in the window and no two-sided market at its end; "
      "CBOT 21-101 tier 3a: " +
      e.how + "; prior settlement " + Str(prior) + " moved by it is " +
      RationalStr(value, e.denominator) + ", rounds to " + Str(d.price) + " on the " + Str(tick) +
      " tick";
  out.neighbours = Contracts(e.used, tenors);
  return out;
}

Status ValidateTenors(const std::vector<TenorInputs>& tenors) {
  for (std::size_t i = 0; i < tenors.size(); ++i) {
    const TenorInputs& t = tenors[i];
    if (t.contract.empty()) {
      return Status::InvalidArgument("curve tenor " + std::to_string(t.tenor_years) +
                                     "Y has an empty contract");
    }
    if (t.tenor_years <= 0) {
      return Status::InvalidArgument(t.contract + ": tenor " + std::to_string(t.tenor_years) +
                                     " years must be positive");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tenors[j].tenor_years == t.tenor_years) {
        return Status::InvalidArgument("tenor " + std::to_string(t.tenor_years) +
                                       "Y appears twice in the curve: " + tenors[j].contract +
                                       " and " + t.contract);
      }
      if (tenors[j].contract == t.contract) {
        return Status::InvalidArgument("contract " + t.contract + " appears twice in the curve");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<TenorDecision>> SettleCurve(const std::vector<TenorInputs>& tenors,
                                               Decimal settlement_tick) {
  if (settlement_tick.units() <= 0) {
    return Err(
        Status::InvalidArgument("settlement tick " + Str(settlement_tick) + " must be positive"));
  }
  EODCLEAR_RETURN_IF_ERROR(ValidateTenors(tenors));

  // Pass 1: each tenor on its own. SettleOutright validates the inputs and decides the override
  // and tier 1; its kBidAsk marks a tier-2 tenor and its kCarried a tier-3 one, decided below.
  std::vector<SettlementDecision> decisions;
  decisions.reserve(tenors.size());
  for (const TenorInputs& t : tenors) {
    Result<SettlementDecision> d = SettleOutright(t.inputs, settlement_tick);
    if (!d) return Err(d.error().WithContext(Label(t)));
    if (d->tier == SettlementTier::kBidAsk && !t.inputs.prior_settlement) {
      return Err(Status::FailedPrecondition(
          Label(t) +
          ": no trade in the window and no prior settlement: the tier-2 curve fit moves the prior "
          "by a daily change, and CBOT 21-101 no longer allows the bid/ask midpoint; an operator "
          "override is needed"));
    }
    decisions.push_back(*std::move(d));
  }

  auto anchor_of = [&](std::size_t i) -> Result<std::optional<Anchor>> {
    const std::optional<Decimal>& prior = tenors[i].inputs.prior_settlement;
    if (!prior) return std::optional<Anchor>();
    Int128 change = 0;
    if (__builtin_sub_overflow(decisions[i].price.units(), prior->units(), &change)) {
      return Err(Status::InvalidArgument(Label(tenors[i]) + ": daily change out of range"));
    }
    return std::optional<Anchor>(Anchor{i, tenors[i].tenor_years, Decimal::FromUnits(change)});
  };
  auto is_tier = [&](std::size_t i, SettlementTier tier) { return decisions[i].tier == tier; };

  // Anchors of the tier-2 fit: tier 1 and overrides, with a prior.
  std::vector<Anchor> fit_anchors;
  for (std::size_t i = 0; i < tenors.size(); ++i) {
    if (!is_tier(i, SettlementTier::kVwap) && !is_tier(i, SettlementTier::kOverride)) continue;
    EODCLEAR_ASSIGN_OR_RETURN(const std::optional<Anchor> a, anchor_of(i));
    if (a) fit_anchors.push_back(*a);
  }

  std::vector<TenorDecision> out(tenors.size());
  for (std::size_t i = 0; i < tenors.size(); ++i) {
    if (!is_tier(i, SettlementTier::kBidAsk)) continue;
    Result<TenorDecision> fit = FitToMarket(i, tenors, decisions, fit_anchors, settlement_tick);
    if (!fit) return Err(fit.error().WithContext(Label(tenors[i])));
    decisions[i] = fit->decision;
    out[i] = *std::move(fit);
  }

  // Anchors of tier 3: tier 1, overrides and tier 2, with a prior (tier 2 always has one).
  std::vector<Anchor> interpolation_anchors = fit_anchors;
  for (std::size_t i = 0; i < tenors.size(); ++i) {
    if (!is_tier(i, SettlementTier::kCurveFit)) continue;
    EODCLEAR_ASSIGN_OR_RETURN(const std::optional<Anchor> a, anchor_of(i));
    if (a) interpolation_anchors.push_back(*a);
  }

  for (std::size_t i = 0; i < tenors.size(); ++i) {
    if (is_tier(i, SettlementTier::kCarried)) {
      Result<TenorDecision> d =
          InterpolateOrCarry(i, tenors, decisions, interpolation_anchors, settlement_tick);
      if (!d) return Err(d.error().WithContext(Label(tenors[i])));
      out[i] = *std::move(d);
    } else if (is_tier(i, SettlementTier::kVwap) || is_tier(i, SettlementTier::kOverride)) {
      out[i] = TenorDecision{tenors[i].contract, tenors[i].tenor_years, decisions[i], {}};
    }
  }
  return out;
}

}  // namespace eodclear
