#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"

namespace eodclear {

// The daily settlement price of one outright contract: pure functions, no I/O, no clock,
// thread-safe (no shared state).
//
// The tiers (CME equity index daily settlement procedure; the same shape as the Eris procedure of
// CBOT Submission 21-101, whose tiers 2 and 3 are curve logic that lives elsewhere):
//   override  An operator override for the contract and date always wins.
//   tier 1    Trades in the product's settlement window: their VWAP, rounded to the settlement
//             tick; if below the best bid (above the best ask) of the quote snapshot at the
//             window's end, the best bid (ask).
//   tier 2    No trade in the window but a two-sided market at its end: the midpoint of the best
//             bid and ask, rounded to the settlement tick (non-curve products).
//   tier 4    Nothing to go on: the prior settlement carried and flagged stale.
//   parent    A micro contract settles at its parent's settlement; the tiers apply to the parent.
// Every price is rounded to the product's settlement tick; a price exactly between two ticks
// rounds toward the prior settlement (CME Rule 813). See RoundToTick for the exact tie rules.
//
// A contract's first day (no prior settlement):
//   - tiers 1 and 2 work as usual, except that an exact half tick rounds up (toward +infinity);
//   - tier 4 is impossible: SettleOutright returns kFailedPrecondition and an operator override
//     is needed to settle the contract.

// Which rule decided a settlement price. Written to the settlement output record by name
// (SettlementTierName): do not change or reuse the names.
enum class SettlementTier {
  kOverride,      // operator override for the contract and date
  kVwap,          // tier 1: VWAP of the window's trades, clamped to the bid/ask
  kBidAsk,        // tier 2: midpoint of the best bid and ask at the window's end
  kCurveFit,      // Eris tier 2: curve fit within the bid/ask (CBOT 21-101; not decided here)
  kInterpolated,  // Eris tier 3: interpolated from neighbouring tenors (not decided here)
  kCarried,       // tier 4: prior settlement carried, stale
  kParent,        // a micro contract: its parent's settlement
};

// "override", "vwap", "bid_ask", "curve_fit", "interpolated", "carried", "parent".
// Persisted in output records: do not change.
std::string_view SettlementTierName(SettlementTier tier);

// A trade already known to be in the settlement window. quantity > 0 (contracts).
struct WindowTrade {
  Decimal price;
  int64_t quantity = 0;
};

// A two-sided market: best bid and best ask, bid < ask.
struct BidAsk {
  Decimal bid;
  Decimal ask;
};

// What SettleOutright decides from. Prices are in the product's price units.
struct OutrightSettlementInputs {
  std::vector<WindowTrade> window_trades;      // trades in the window (see TradesInWindow)
  std::optional<BidAsk> market_at_window_end;  // absent: no two-sided market at the window's end
  std::optional<Decimal> prior_settlement;     // absent on a contract's first day
  std::optional<Decimal> override_price;       // operator override for the contract and date
};

// A settlement price and what decided it, for the settlement output record.
struct SettlementDecision {
  Decimal price;  // on the settlement tick
  SettlementTier tier = SettlementTier::kCarried;
  bool stale = false;  // true when carried (tier 4), or a micro whose parent was carried

  // Inputs. The exact VWAP is a fraction, not a Decimal: `vwap` is the VWAP rounded to the
  // settlement tick (before clamping to the bid/ask); set for kVwap only.
  std::optional<Decimal> vwap;
  int64_t window_volume = 0;     // contracts traded in the window
  int64_t window_trades = 0;     // trades in the window
  std::optional<Decimal> bid;    // the snapshot's best bid, when a two-sided market was used
  std::optional<Decimal> ask;    // the snapshot's best ask, likewise
  std::optional<Decimal> prior;  // the prior settlement, when there is one

  std::string explanation;  // one sentence naming the tier and its inputs
};

// Rounds the exact rational numerator / denominator to the nearest multiple of `tick`, with exact
// integer arithmetic on Decimal units (Int128); no floating point.
//
// Ties (the value exactly halfway between two ticks lo < hi), CME Rule 813: toward the prior
// settlement —
//   - prior <= lo, or lo < prior < the halfway value: lo;
//   - prior >= hi, or the halfway value < prior < hi: hi;
//   - prior exactly equal to the halfway value (it gives no direction): hi, as with no prior;
//   - no prior (a contract's first day): hi, i.e. an exact half rounds up, toward +infinity —
//     also for negative prices (-0.125 on a 0.25 tick rounds to 0, not to -0.25).
// Negative values round by the same rules (floor-based, not truncation toward zero).
//
// Errors: kInvalidArgument when denominator <= 0, tick <= 0, or the arithmetic would leave the
// Int128 range (denominator x tick, or the rounded result).
Result<Decimal> RoundToTick(Decimal numerator, int64_t denominator, Decimal tick,
                            std::optional<Decimal> prior);

// The daily settlement of one outright contract by the tiers above, from the first that applies:
//   1. override_price present: the override, tier kOverride (not stale). The other inputs are
//      not used or checked (an override exists for when they are unusable). Only the prior is
//      recorded.
//   2. window_trades non-empty: tier kVwap. The VWAP sum(price x qty) / sum(qty) is rounded to the
//      settlement tick (ties toward the prior). With a two-sided market, the rounded VWAP is
//      clamped into [bid, ask]: below the bid settles at the bid, above the ask at the ask. When
//      bid and ask are on the settlement tick (the trading tick is a multiple of it), clamping the
//      rounded VWAP gives the same price as comparing the exact VWAP. A bid or ask used as the
//      price is itself rounded to the settlement tick (ties toward the prior), so the price is
//      always on the tick. Without a two-sided market the rounded VWAP stands.
//   3. market_at_window_end present: tier kBidAsk, (bid + ask) / 2 rounded to the settlement
//      tick; a midpoint on a half tick rounds toward the prior.
//   4. prior_settlement present: tier kCarried, stale = true; the prior rounded to the
//      settlement tick (unchanged when it is on the tick, the normal case; a prior off the tick
//      happens only when the product's settlement tick changed).
// Errors:
//   kInvalidArgument    settlement_tick <= 0; an override not a multiple of settlement_tick;
//                       a window trade with quantity <= 0; a market with bid >= ask; window
//                       notional or volume out of range.
//   kFailedPrecondition no trade, no two-sided market and no prior settlement (a first day with
//                       nothing to go on): no settlement possible, an operator override is
//                       needed.
//
// A micro contract's own override is applied by calling this with only override_price set;
// otherwise a micro is settled by SettleFromParent.
Result<SettlementDecision> SettleOutright(const OutrightSettlementInputs& in,
                                          Decimal settlement_tick);

// A micro contract's settlement (MES at ES, ...): the parent's price, tier kParent, stale when
// the parent's is. The input fields (vwap, volume, trades, bid, ask, prior) are the parent's,
// since they decided the price; the explanation names the parent contract and its tier. The
// caller ensures the micro's settlement tick divides the parent's (true for every micro in the
// reference data, where they are equal), so the price is on the micro's tick.
SettlementDecision SettleFromParent(const SettlementDecision& parent,
                                    std::string_view parent_contract);

// A print (trade) of one contract with its execution time.
struct TimedPrint {
  int64_t exec_time_unix_nanos = 0;  // nanoseconds since 1970-01-01T00:00:00Z
  Decimal price;
  int64_t quantity = 0;
};

// The prints executed within the settlement window [window_start, window_end], both ends
// inclusive (a trade at exactly 15:00:00.000000000 CT is in the CME equity window 14:59:30–
// 15:00:00), in input order. Times are unix nanoseconds; converting the product's local window to
// instants for the business date is the caller's. Error: kInvalidArgument when start > end.
Result<std::vector<WindowTrade>> TradesInWindow(std::span<const TimedPrint> prints,
                                                int64_t window_start_unix_nanos,
                                                int64_t window_end_unix_nanos);

}  // namespace eodclear
