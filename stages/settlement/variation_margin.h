#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"

namespace eodclear {

// Daily variation margin (CME: "settlement variation", CME Rule 814) of futures positions.
//
// The rule. Per account and contract, in the product's currency:
//   VM = multiplier × [(S_today − S_prior) × start_of_day
//                      + Σ today's trades (S_today − price) × signed quantity]
// where a buy's quantity is positive and a sell's negative. Today's trades arrive aggregated as the
// position book keeps them (stages/ingest/position_book.h), so the trade term is computed as
//   S_today × (bought − sold) − (buy_value − sell_value).
// Both terms follow CME Clearing, "Money Calculations for CME-cleared Futures and Options" (updated
// 11 June 2015): a position's variation is the mark-to-market of the start-of-day position from the
// previous settlement plus that of each trade cleared today from its trade price, both to today's
// settlement price. Positive amounts are paid to the account, negative ones collected from it.
//
// Rounding, and where this differs from CME. CME rounds per single contract and at price levels:
// round(settlement × multiplier) and round(trade price × multiplier) to the currency's precision,
// subtract, then multiply by the quantity (same document, "normal futures rounding"). CME,
// "Marks-to-Market in U.S. Treasury Futures and Options: Conventions for Computing Variation
// Margin Amounts", §1.1: rounding applies to single contracts, not to contract positions; §1.2: to
// contract price levels, not to price changes. That needs every trade's own price; with the
// trades aggregated into buy_value/sell_value it cannot be reproduced. This module therefore:
//   1. computes each account-and-contract amount exactly (`VmAmount::exact`, 8 fraction digits);
//   2. rounds it once to the currency's minor unit (USD/EUR/CNH: 0.01), half away from zero
//      (RoundToMinorUnit). CME's "round normally" rounds a half cent up on the positive price
//      levels it rounds (CBOT 2-Year T-Note specifications: a tick of "$15.625/contract rounded
//      up to the nearest cent"); on signed amounts, half away from zero is that rule made
//      symmetric, so positions that mirror each other get exactly opposite amounts;
//   3. books the residual −Σ rounded amounts, exactly, to the clearing-house rounding account
//      named by the caller, so the published amounts of a contract sum to exactly zero. Under
//      CME's per-contract rounding no residual arises (a trade's buyer and seller get opposite
//      amounts, and balanced open interest carries equal and opposite marks); the residual is
//      the price of aggregated trades. No public clearing-house rule for booking it was found;
//      the rounding account is this project's decision.
// When multiplier × trading tick and multiplier × settlement tick are whole minor units (e.g. a
// multiplier of 50 with 0.25 ticks: 12.50 USD) every exact amount is already whole, no residual
// arises, and the amounts equal CME's to the cent. Otherwise (a multiplier of 0.1 with a 0.01
// settlement tick: 0.001 per contract) they can differ from CME's by a few minor units: CME's
// per-contract rounding is off the exact value by up to one minor unit per contract, this
// module's by at most half a minor unit per account and contract.
//
// All functions are pure and thread-compatible; no floating point anywhere.

// One account's position in one contract on the business date, as the position book keeps it.
struct VmPosition {
  std::string firm, account, contract;
  // Net contracts before today's trades: positive long, negative short.
  int64_t start_of_day = 0;
  // Contracts bought and sold today (each ≥ 0).
  int64_t bought = 0, sold = 0;
  // Σ price × quantity of today's buys and of today's sells (exact, in price units).
  Decimal buy_value, sell_value;
};

// One contract's settlement data and product terms.
struct VmInputs {
  std::string contract;
  std::string currency;  // ISO 4217 (or "CNH") of the amounts
  Decimal multiplier;    // currency units per 1.0 of price per contract; > 0
  Decimal settlement;    // today's settlement price
  // The previous business date's settlement price; absent on the contract's first day, when
  // every start-of-day position must be 0.
  std::optional<Decimal> prior_settlement;
  Decimal minor_unit;  // smallest unit of `currency` (USD, EUR, CNH: 0.01); > 0
};

// The variation margin of one account in one contract.
struct VmAmount {
  std::string firm, account, contract, currency;
  // The rule's amount before rounding. 0 on the clearing-house rounding row.
  Decimal exact;
  // What is published and paid: `exact` rounded to the minor unit, or on the rounding row the
  // residual. Always a whole multiple of the minor unit.
  Decimal amount;
};

// One contract's variation margin.
struct ContractVm {
  // One row per input position, in input order, then — only when the residual is not zero — one
  // row for the clearing-house rounding account.
  std::vector<VmAmount> amounts;
  // The amount booked to the rounding account: −Σ rounded account amounts (0 when they already
  // sum to zero). |residual| ≤ positions × minor_unit / 2 when the exact amounts sum to zero.
  Decimal rounding_residual;
  // End-of-day open interest: Σ of positive end positions, and Σ of |negative| ones (both ≥ 0).
  // A position's end is start_of_day + bought − sold.
  int64_t open_long = 0, open_short = 0;
};

// The sums a contract's variation margin is checked by.
struct VmTotals {
  Decimal exact_sum;    // Σ exact amounts of the account rows
  Decimal rounded_sum;  // Σ rounded amounts of the account rows
  Decimal residual;     // −rounded_sum: what the rounding account is booked
  int64_t open_long = 0, open_short = 0;
  int64_t positions = 0;
};

// ComputeContractVm one position at a time, for books too large to hold in memory: Add each
// position (each account once: the caller guarantees uniqueness, as the position store's keys do),
// then Totals. Same rules, rounding and errors as ComputeContractVm.
class ContractVmAccumulator {
 public:
  // kInvalidArgument when the multiplier or the minor unit is not > 0.
  static Result<ContractVmAccumulator> Create(VmInputs in, std::string rounding_account_firm,
                                              std::string rounding_account);
  // The position's amount (firm, account, contract and currency set).
  Result<VmAmount> Add(const VmPosition& p);
  // The sums so far, with the residual the rounding account is booked.
  VmTotals Totals() const;
  const VmInputs& inputs() const { return in_; }

 private:
  ContractVmAccumulator() = default;
  VmInputs in_;
  std::string rounding_firm_, rounding_account_;
  VmTotals totals_;
};

// The invariants of CheckVmInvariants on streamed totals: the exact amounts sum to zero, and end-of-
// day long open interest equals short (the published amounts sum to zero by construction of the
// residual). kInvariantViolation naming the contract, currency and sums.
Status CheckVmTotals(const VmTotals& totals, std::string_view contract, std::string_view currency);

// `exact` rounded to a whole multiple of `minor_unit` (> 0), ties away from zero:
// 0.015 → 0.02, −0.015 → −0.02, 0.0149 → 0.01. Exact; no floating point.
Decimal RoundToMinorUnit(Decimal exact, Decimal minor_unit);

// Computes one contract's VM for every position and books the rounding residual to
// (rounding_account_firm, rounding_account). Does not check the invariants; CheckVmInvariants does.
// Errors, all kInvalidArgument, naming the contract and the account:
//   - a start-of-day position is not 0 but there is no prior settlement;
//   - the multiplier or the minor unit is not > 0;
//   - a position is for another contract, is listed twice, or is the rounding account itself;
//   - bought or sold is negative;
//   - an amount overflows, or its exact value needs more than 8 fraction digits (refdata whose
//     multiplier × price does not fit the money type).
Result<ContractVm> ComputeContractVm(const VmInputs& in, const std::vector<VmPosition>& positions,
                                     std::string_view rounding_account_firm,
                                     std::string_view rounding_account);

// The invariants checked before anything is published. A run that breaks one publishes nothing and
// exits with ExitCode::kInvariantViolation (pipeline/cli/exit_codes.h). Returns kInvariantViolation
// naming the contract, the currency and the failing sums when:
//   - the published amounts do not sum to exactly zero;
//   - the exact amounts do not sum to exactly zero — every trade has a buyer and a seller and
//     yesterday's open interest balanced, so a non-zero sum means a broken book, which the
//     rounding residual must never absorb;
//   - end-of-day long open interest differs from short (open_long != open_short).
Status CheckVmInvariants(const ContractVm& vm, std::string_view contract,
                         std::string_view currency);

// Total published amount per firm and currency.
struct FirmTotal {
  std::string firm, currency;
  Decimal amount;
};

// Sums the amounts of `contracts` (including rounding rows) per firm and currency, sorted by firm
// then currency. Firms whose total is zero are kept.
std::vector<FirmTotal> FirmTotals(const std::vector<ContractVm>& contracts);

}  // namespace eodclear
