#include "stages/settlement/settlement_price.h"

#include <utility>

namespace eodclear {
namespace {

std::string Str(Decimal d) { return d.ToString(); }

std::string PriorText(const std::optional<Decimal>& prior) {
  return prior ? "prior settlement " + Str(*prior) : "no prior settlement";
}

// k x tick in units, or an error when it leaves the Int128 range.
Result<Int128> TimesTick(Int128 k, Int128 tick_units) {
  Int128 units = 0;
  if (__builtin_mul_overflow(k, tick_units, &units)) {
    return Err(Status::InvalidArgument("RoundToTick: result out of range"));
  }
  return units;
}

// The tick index an exact half between ticks q and q + 1 rounds to (CME Rule 813; see the header).
Result<Int128> BreakTie(Int128 q, Int128 tick_units, const std::optional<Decimal>& prior) {
  if (!prior) return q + 1;  // first day: an exact half rounds up (toward +infinity)
  EODCLEAR_ASSIGN_OR_RETURN(Int128 lo, TimesTick(q, tick_units));
  EODCLEAR_ASSIGN_OR_RETURN(Int128 hi, TimesTick(q + 1, tick_units));
  const Int128 p = prior->units();
  if (p <= lo) return q;
  if (p >= hi) return q + 1;
  // lo < p < hi: whichever tick the prior is nearer to; exactly halfway gives no direction.
  const Int128 to_lo = p - lo;
  const Int128 to_hi = hi - p;
  return to_lo < to_hi ? q : q + 1;
}

}  // namespace

std::string_view SettlementTierName(SettlementTier tier) {
  switch (tier) {
    case SettlementTier::kOverride:
      return "override";
    case SettlementTier::kVwap:
      return "vwap";
    case SettlementTier::kBidAsk:
      return "bid_ask";
    case SettlementTier::kCurveFit:
      return "curve_fit";
    case SettlementTier::kInterpolated:
      return "interpolated";
    case SettlementTier::kCarried:
      return "carried";
    case SettlementTier::kParent:
      return "parent";
  }
  return "unknown";
}

Result<Decimal> RoundToTick(Decimal numerator, int64_t denominator, Decimal tick,
                            std::optional<Decimal> prior) {
  if (denominator <= 0) {
    return Err(Status::InvalidArgument("RoundToTick: denominator " + std::to_string(denominator) +
                                       " must be positive"));
  }
  if (tick.units() <= 0) {
    return Err(Status::InvalidArgument("RoundToTick: tick " + Str(tick) + " must be positive"));
  }
  const Int128 n = numerator.units();
  const Int128 t = tick.units();
  // value / tick = n / (denominator x t), in ticks.
  Int128 m = 0;
  if (__builtin_mul_overflow(Int128{denominator}, t, &m)) {
    return Err(Status::InvalidArgument("RoundToTick: denominator x tick out of range"));
  }
  // Floor division: n = q x m + r with 0 <= r < m, also for negative n.
  Int128 q = n / m;
  Int128 r = n % m;
  if (r < 0) {
    q -= 1;
    r += m;
  }
  Int128 k = q;
  if (r != 0) {
    const Int128 to_hi = m - r;  // r vs m - r avoids computing 2r
    if (r > to_hi) {
      k = q + 1;
    } else if (r == to_hi) {
      EODCLEAR_ASSIGN_OR_RETURN(k, BreakTie(q, t, prior));
    }
  }
  EODCLEAR_ASSIGN_OR_RETURN(Int128 units, TimesTick(k, t));
  return Decimal::FromUnits(units);
}

Result<SettlementDecision> SettleOutright(const OutrightSettlementInputs& in,
                                          Decimal settlement_tick) {
  if (settlement_tick.units() <= 0) {
    return Err(
        Status::InvalidArgument("settlement tick " + Str(settlement_tick) + " must be positive"));
  }
  const std::string tick_text = Str(settlement_tick);
  SettlementDecision d;
  d.prior = in.prior_settlement;

  if (in.override_price) {
    if (!in.override_price->IsMultipleOf(settlement_tick)) {
      return Err(Status::InvalidArgument("override " + Str(*in.override_price) +
                                         " is not a multiple of the settlement tick " + tick_text));
    }
    d.price = *in.override_price;
    d.tier = SettlementTier::kOverride;
    d.explanation =
        "override: operator override " + Str(d.price) + " (" + PriorText(in.prior_settlement) + ")";
    return d;
  }

  if (in.market_at_window_end && in.market_at_window_end->bid >= in.market_at_window_end->ask) {
    return Err(Status::InvalidArgument("market at the window's end is not two-sided: bid " +
                                       Str(in.market_at_window_end->bid) + " >= ask " +
                                       Str(in.market_at_window_end->ask)));
  }

  if (!in.window_trades.empty()) {
    Int128 notional = 0;
    int64_t volume = 0;
    for (const WindowTrade& trade : in.window_trades) {
      if (trade.quantity <= 0) {
        return Err(Status::InvalidArgument("window trade at " + Str(trade.price) +
                                           " has quantity " + std::to_string(trade.quantity) +
                                           ", must be positive"));
      }
      Int128 amount = 0;
      if (__builtin_mul_overflow(trade.price.units(), Int128{trade.quantity}, &amount) ||
          __builtin_add_overflow(notional, amount, &notional) ||
          __builtin_add_overflow(volume, trade.quantity, &volume)) {
        return Err(Status::InvalidArgument("window notional or volume out of range"));
      }
    }
    EODCLEAR_ASSIGN_OR_RETURN(Decimal vwap, RoundToTick(Decimal::FromUnits(notional), volume,
                                                        settlement_tick, in.prior_settlement));
    d.tier = SettlementTier::kVwap;
    d.vwap = vwap;
    d.window_volume = volume;
    d.window_trades = static_cast<int64_t>(in.window_trades.size());
    d.price = vwap;
    std::string head = "vwap: VWAP of " + std::to_string(d.window_trades) + " trades (" +
                       std::to_string(volume) + " contracts) in the window rounds to " + Str(vwap) +
                       " on the " + tick_text + " tick";
    const std::string tail = "; " + PriorText(in.prior_settlement);
    if (!in.market_at_window_end) {
      d.explanation = head + ", no two-sided market at the window's end" + tail;
      return d;
    }
    const BidAsk& market = *in.market_at_window_end;
    d.bid = market.bid;
    d.ask = market.ask;
    if (vwap < market.bid) {
      EODCLEAR_ASSIGN_OR_RETURN(d.price,
                                RoundToTick(market.bid, 1, settlement_tick, in.prior_settlement));
      d.explanation = head + ", below the best bid " + Str(market.bid) + ": settles at the bid " +
                      Str(d.price) + tail;
    } else if (vwap > market.ask) {
      EODCLEAR_ASSIGN_OR_RETURN(d.price,
                                RoundToTick(market.ask, 1, settlement_tick, in.prior_settlement));
      d.explanation = head + ", above the best ask " + Str(market.ask) + ": settles at the ask " +
                      Str(d.price) + tail;
    } else {
      d.explanation = head + ", within bid " + Str(market.bid) + " / ask " + Str(market.ask) + tail;
    }
    return d;
  }

  if (in.market_at_window_end) {
    const BidAsk& market = *in.market_at_window_end;
    EODCLEAR_ASSIGN_OR_RETURN(
        d.price, RoundToTick(market.bid + market.ask, 2, settlement_tick, in.prior_settlement));
    d.tier = SettlementTier::kBidAsk;
    d.bid = market.bid;
    d.ask = market.ask;
    d.explanation = "bid_ask: no trade in the window; the midpoint of bid " + Str(market.bid) +
                    " and ask " + Str(market.ask) + " rounds to " + Str(d.price) + " on the " +
                    tick_text + " tick; " + PriorText(in.prior_settlement);
    return d;
  }

  if (in.prior_settlement) {
    EODCLEAR_ASSIGN_OR_RETURN(
        d.price, RoundToTick(*in.prior_settlement, 1, settlement_tick, in.prior_settlement));
    d.tier = SettlementTier::kCarried;
    d.stale = true;
    d.explanation =
        "carried: no trade in the window and no two-sided market at its end; prior "
        "settlement " +
        Str(*in.prior_settlement) + " carried";
    if (d.price != *in.prior_settlement) {
      d.explanation += " as " + Str(d.price) + " on the " + tick_text + " tick";
    }
    d.explanation += ", stale";
    return d;
  }

  return Err(Status::FailedPrecondition(
      "no settlement possible: no trade in the window, no two-sided market at its end and no "
      "prior settlement (a contract's first day); an operator override is needed"));
}

SettlementDecision SettleFromParent(const SettlementDecision& parent,
                                    std::string_view parent_contract) {
  SettlementDecision d = parent;
  d.tier = SettlementTier::kParent;
  d.explanation = "parent: settles at " + std::string(parent_contract) + "'s settlement " +
                  Str(parent.price) + ", decided by tier " +
                  std::string(SettlementTierName(parent.tier)) + " (" + parent.explanation + ")";
  return d;
}

Result<std::vector<WindowTrade>> TradesInWindow(std::span<const TimedPrint> prints,
                                                int64_t window_start_unix_nanos,
                                                int64_t window_end_unix_nanos) {
  if (window_start_unix_nanos > window_end_unix_nanos) {
    return Err(Status::InvalidArgument(
        "settlement window starts (" + std::to_string(window_start_unix_nanos) +
        " ns) after it ends (" + std::to_string(window_end_unix_nanos) + " ns)"));
  }
  std::vector<WindowTrade> in_window;
  for (const TimedPrint& print : prints) {
    if (print.exec_time_unix_nanos >= window_start_unix_nanos &&
        print.exec_time_unix_nanos <= window_end_unix_nanos) {
      in_window.push_back(WindowTrade{print.price, print.quantity});
    }
  }
  return in_window;
}

}  // namespace eodclear
