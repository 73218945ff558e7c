#pragma once

#include <string>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "stages/settlement/settlement_price.h"

namespace eodclear {

// The daily settlement of a curve product: all tenors of one contract month of the Eris Swap
// Futures (LIT 2Y, LIC 3Y, LID 4Y, LIW 5Y, LIB 7Y, LIY 10Y, LII 12Y, LIL 15Y, LIO 20Y, LIE 30Y;
// settlement_method `curve` in ops/refdata/products.csv) settle together. Pure functions, no I/O,
// no clock, thread-safe (no shared state).
//
// The rule: CBOT Submission 21-101 (2021), Eris Swap Futures Daily Settlement Procedure, as
// amended (seed 004), in eodclear's reading:
//   override  An operator override for the contract and date always wins (the procedure's Note:
//             staff may determine an alternative settlement price).
//   tier 1    Trades in the settlement window (13:59:00-14:00:00 CT): the VWAP, clamped into the
//             best bid/ask of the snapshot — SettleOutright's tier 1, unchanged.
//   tier 2    No trade in the window but a two-sided market at 14:00:00 CT: a fit of the curve
//             that lies inside every contract's bid/ask (21-101 replaced the bid/ask midpoint by
//             "an algorithm ... to find a set of prices that best fits the market activity and
//             falls within the bid offer market in the outright contracts"). eodclear's fit: the
//             tenor's prior settlement moved by the daily change interpolated from the anchors
//             (below), then moved into [bid, ask]. Tier kCurveFit.
//   tier 3    No trade and no two-sided market: the daily changes of the nearest settled tenors
//             below and above, interpolated linearly in tenor years, applied to the prior
//             (21-101 3a: "interpolate between the daily changes in those adjacent points").
//             The amendment strikes 3a's example ("interpolate (linear)" the 5Y from the 4Y and
//             the 7Y) but keeps 3a; eodclear keeps the example's linear interpolation. 3a's
//             "adjacent points" are read as the nearest settled tenors, skipping tenors that are
//             themselves missing; a stricter reading (the immediately neighbouring tenors must
//             have quotes, else 3b) would carry more tenors. Tier kInterpolated.
//   tier 4    Otherwise the prior settlement carried, stale (tier kCarried).
//
// Daily change of a tenor = its settlement price today - its prior settlement, in price points.
// The seed interpolates to "calculate a rate for the missing point"; eodclear has prices only,
// not each tenor's price sensitivity to its swap rate (which grows with the tenor), so it
// interpolates price changes: an approximation of the seed's rate interpolation, to be revisited
// if CME's rate-based values are ever available as inputs.
//
// Anchors (the tenors whose daily change others are fitted or interpolated from) must have a
// prior settlement:
//   - tier 2 fits from tenors settled by tier 1 or by an override;
//   - tier 3 interpolates from tenors settled by tier 1, tier 2 or an override (all have
//     quotes, trades or a staff-determined price); an interpolated or carried tenor never
//     anchors another (no chaining).
// Interpolation at tenor T between anchors (t_lo, c_lo) and (t_hi, c_hi), t_lo < T < t_hi, the
// nearest anchors on each side (tenors in between that are not anchors are skipped):
//   change = (c_lo x (t_hi - T) + c_hi x (T - t_lo)) / (t_hi - t_lo)
// e.g. 4Y +0.020 and 7Y +0.050 give 5Y (0.020 x 2 + 0.050 x 1) / 3 = +0.030.
// One-sided cases:
//   tier 2  only anchors below (above) T: the nearest anchor's daily change, flat; no anchor at
//           all: no change (the prior). Either way the result is then moved into the tenor's
//           own [bid, ask], so the live market bounds it.
//   tier 3  a missing side is 21-101 3b ("value is determined based on the estimated value of an
//           equivalent interest rate swap along with observations from Eris futures market"),
//           which eodclear cannot compute: the prior is carried, stale (tier kCarried), and the
//           explanation says an override is expected. No extrapolation.
//
// Rounding: the interpolated change is an exact rational; prior + change is kept exact, compared
// exactly with the bid and ask (tier 2), and rounded once to the settlement tick by RoundToTick,
// ties toward the prior settlement (CME Rule 813). A bid or ask used as the price is rounded to
// the tick the same way; bid and ask on the settlement tick (Eris trading ticks 0.001-0.02 on the
// 0.0001 settlement tick) are unchanged, and then the fitted price lies within [bid, ask].
//
// Known gaps, left to the caller or to staff:
//   - 21-101 amends tier 1's clamp to use "the selected snapshot taken during the settlement
//     window" instead of the 14:00:00 CT snapshot (1b plainly; 1a's extracted text is garbled
//     and read like 1b), but tier 2 keeps 14:00:00 CT. Each tenor has
//     one snapshot here (market_at_window_end), used for both; choosing it is the caller's.
//   - A tenor with no prior settlement (its contract's first day) settles only by tier 1 or an
//     override: without a prior there is no daily change to fit or interpolate, and 21-101 no
//     longer allows the bid/ask midpoint. It is never an anchor.

// One tenor of the curve: its contract (e.g. "LIWH21"), the swap tenor in years (the product's
// `eris:<tenor years>` expiry rule) and the settlement inputs of that contract.
struct TenorInputs {
  std::string contract;
  int tenor_years = 0;
  OutrightSettlementInputs inputs;
};

// The settlement of one tenor. `neighbours` are the contracts whose daily changes decided a
// kCurveFit or kInterpolated price (below first, then above; one for a flat tier-2 fit, none when
// a tier-2 fit found no anchor); empty for every other tier. decision.prior is the tenor's prior;
// decision.bid/ask are set for kVwap and kCurveFit when a market was used.
struct TenorDecision {
  std::string contract;
  int tenor_years = 0;
  SettlementDecision decision;
  std::vector<std::string> neighbours;
};

// Settles one contract month's curve by the tiers above. Returns one decision per input tenor, in
// input order. Input order does not matter to the result.
//
// Errors:
//   kInvalidArgument    settlement_tick <= 0; a tenor with an empty contract, tenor_years <= 0,
//                       or the same tenor_years or contract as another; any error
//                       SettleOutright reports for a tenor's inputs (an override off the tick, a
//                       window trade with quantity <= 0, a market with bid >= ask, ...), or
//                       interpolation arithmetic out of range. The message names the contract.
//   kFailedPrecondition a tenor with no override, no trade, and no prior settlement — whether or
//                       not it has a two-sided market (see above): it cannot be settled, an
//                       operator override is needed. The message names the contract and tenor.
// No decision is returned when any tenor fails: a curve settles together or not at all.
Result<std::vector<TenorDecision>> SettleCurve(const std::vector<TenorInputs>& tenors,
                                               Decimal settlement_tick);

}  // namespace eodclear
