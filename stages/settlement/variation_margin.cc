#include "stages/settlement/variation_margin.h"

#include <map>
#include <set>
#include <utility>

namespace eodclear {
namespace {

// Checked Int128 arithmetic: nullopt on overflow.
std::optional<Int128> Add(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<Int128> Sub(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
std::optional<Int128> Mul(Int128 a, Int128 b) {
  Int128 r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::string Where(const VmInputs& in, const VmPosition& p) {
  return "variation margin of " + p.firm + "/" + p.account + " in " + in.contract;
}

// The exact VM of one position, in Decimal units:
// multiplier × [(S − S_prior) × sod + S × (bought − sold) − (buy_value − sell_value)].
Result<Decimal> ExactVm(const VmInputs& in, const VmPosition& p) {
  auto overflow = [&] { return Err(Status::InvalidArgument(Where(in, p) + " overflows")); };
  Int128 sod_term = 0;
  if (p.start_of_day != 0) {
    auto change = Sub(in.settlement.units(), in.prior_settlement->units());
    if (!change) return overflow();
    auto term = Mul(*change, p.start_of_day);
    if (!term) return overflow();
    sod_term = *term;
  }
  auto net_bought = Sub(p.bought, p.sold);  // |bought|, |sold| < 2^63: fits
  auto settled_value = Mul(in.settlement.units(), *net_bought);
  auto traded_value = Sub(p.buy_value.units(), p.sell_value.units());
  if (!settled_value || !traded_value) return overflow();
  auto trade_term = Sub(*settled_value, *traded_value);
  if (!trade_term) return overflow();
  auto bracket = Add(sod_term, *trade_term);
  if (!bracket) return overflow();
  // Both factors carry kScale fraction digits: the raw product carries 2 × kScale.
  auto raw = Mul(in.multiplier.units(), *bracket);
  if (!raw) return overflow();
  if (*raw % Decimal::kOne != 0) {
    return Err(Status::InvalidArgument(Where(in, p) + ": " + in.multiplier.ToString() + " x " +
                                       Decimal::FromUnits(*bracket).ToString() +
                                       " has more than 8 fraction digits"));
  }
  return Decimal::FromUnits(*raw / Decimal::kOne);
}

}  // namespace

Decimal RoundToMinorUnit(Decimal exact, Decimal minor_unit) {
  const Int128 unit = minor_unit.units();
  Int128 whole = exact.units() / unit;       // truncates toward zero
  const Int128 rest = exact.units() % unit;  // same sign as exact
  const Int128 rest_abs = rest < 0 ? -rest : rest;
  if (2 * rest_abs >= unit) whole += exact.is_negative() ? -1 : 1;  // ties away from zero
  return Decimal::FromUnits(whole * unit);
}

Result<ContractVmAccumulator> ContractVmAccumulator::Create(VmInputs in,
                                                            std::string rounding_account_firm,
                                                            std::string rounding_account) {
  const std::string what = "variation margin of " + in.contract;
  if (in.multiplier <= Decimal()) {
    return Err(
        Status::InvalidArgument(what + ": multiplier " + in.multiplier.ToString() + " is not > 0"));
  }
  if (in.minor_unit <= Decimal()) {
    return Err(Status::InvalidArgument(what + ": minor unit " + in.minor_unit.ToString() + " of " +
                                       in.currency + " is not > 0"));
  }
  ContractVmAccumulator acc;
  acc.in_ = std::move(in);
  acc.rounding_firm_ = std::move(rounding_account_firm);
  acc.rounding_account_ = std::move(rounding_account);
  return acc;
}

Result<VmAmount> ContractVmAccumulator::Add(const VmPosition& p) {
  const VmInputs& in = in_;
  if (p.contract != in.contract) {
    return Err(Status::InvalidArgument(Where(in, p) + ": the position is for " + p.contract));
  }
  if (p.firm == rounding_firm_ && p.account == rounding_account_) {
    return Err(
        Status::InvalidArgument(Where(in, p) + ": the rounding account cannot hold a position"));
  }
  if (p.bought < 0 || p.sold < 0) {
    return Err(Status::InvalidArgument(Where(in, p) + ": bought " + std::to_string(p.bought) +
                                       " or sold " + std::to_string(p.sold) + " is negative"));
  }
  if (p.start_of_day != 0 && !in.prior_settlement) {
    return Err(Status::InvalidArgument(
        Where(in, p) + ": start-of-day position " + std::to_string(p.start_of_day) +
        " without a prior settlement price (the contract's first day must start flat)"));
  }
  int64_t end = 0;
  VmTotals& t = totals_;
  if (__builtin_add_overflow(p.start_of_day, p.bought, &end) ||
      __builtin_sub_overflow(end, p.sold, &end) ||
      __builtin_add_overflow(t.open_long, end > 0 ? end : 0, &t.open_long) ||
      // open_short − end adds |end| for a short position.
      __builtin_sub_overflow(t.open_short, end < 0 ? end : 0, &t.open_short)) {
    return Err(Status::InvalidArgument(Where(in, p) + ": position or open interest overflows"));
  }
  EODCLEAR_ASSIGN_OR_RETURN(Decimal exact, ExactVm(in, p));
  Decimal amount = RoundToMinorUnit(exact, in.minor_unit);
  t.exact_sum += exact;
  t.rounded_sum += amount;
  ++t.positions;
  return VmAmount{p.firm, p.account, in.contract, in.currency, exact, amount};
}

VmTotals ContractVmAccumulator::Totals() const {
  VmTotals t = totals_;
  t.residual = -t.rounded_sum;
  return t;
}

Status CheckVmTotals(const VmTotals& totals, std::string_view contract, std::string_view currency) {
  std::string failures;
  auto fail = [&](const std::string& what) {
    failures += failures.empty() ? "" : "; ";
    failures += what;
  };
  if (!(totals.rounded_sum + totals.residual).is_zero()) {
    fail("published amounts sum to " + (totals.rounded_sum + totals.residual).ToString() +
         ", not 0");
  }
  if (!totals.exact_sum.is_zero()) {
    fail("exact amounts sum to " + totals.exact_sum.ToString() + ", not 0");
  }
  if (totals.open_long != totals.open_short) {
    fail("long open interest " + std::to_string(totals.open_long) + " != short open interest " +
         std::to_string(totals.open_short));
  }
  if (failures.empty()) return Status::Ok();
  return Status::InvariantViolation("variation margin of " + std::string(contract) + " in " +
                                    std::string(currency) + ": " + failures);
}

Result<ContractVm> ComputeContractVm(const VmInputs& in, const std::vector<VmPosition>& positions,
                                     std::string_view rounding_account_firm,
                                     std::string_view rounding_account) {
  EODCLEAR_ASSIGN_OR_RETURN(ContractVmAccumulator acc,
                            ContractVmAccumulator::Create(in, std::string(rounding_account_firm),
                                                          std::string(rounding_account)));
  ContractVm vm;
  vm.amounts.reserve(positions.size() + 1);
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const VmPosition& p : positions) {
    if (p.contract == in.contract && !seen.emplace(p.firm, p.account).second) {
      return Err(Status::InvalidArgument(Where(in, p) + ": the position is listed twice"));
    }
    EODCLEAR_ASSIGN_OR_RETURN(VmAmount amount, acc.Add(p));
    vm.amounts.push_back(std::move(amount));
  }
  VmTotals totals = acc.Totals();
  vm.open_long = totals.open_long;
  vm.open_short = totals.open_short;
  vm.rounding_residual = totals.residual;
  if (!vm.rounding_residual.is_zero()) {
    vm.amounts.push_back(VmAmount{std::string(rounding_account_firm), std::string(rounding_account),
                                  in.contract, in.currency, Decimal(), vm.rounding_residual});
  }
  return vm;
}

Status CheckVmInvariants(const ContractVm& vm, std::string_view contract,
                         std::string_view currency) {
  // Every row, the rounding row included, counts as published; nothing is left to book.
  VmTotals totals;
  for (const VmAmount& a : vm.amounts) {
    totals.rounded_sum += a.amount;
    totals.exact_sum += a.exact;
  }
  totals.open_long = vm.open_long;
  totals.open_short = vm.open_short;
  return CheckVmTotals(totals, contract, currency);
}

std::vector<FirmTotal> FirmTotals(const std::vector<ContractVm>& contracts) {
  std::map<std::pair<std::string, std::string>, Decimal> totals;
  for (const ContractVm& vm : contracts) {
    for (const VmAmount& a : vm.amounts) totals[{a.firm, a.currency}] += a.amount;
  }
  std::vector<FirmTotal> out;
  out.reserve(totals.size());
  for (auto& [key, amount] : totals) out.push_back(FirmTotal{key.first, key.second, amount});
  return out;
}

}  // namespace eodclear
