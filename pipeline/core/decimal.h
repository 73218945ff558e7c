#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace eodclear {

// 128-bit integers (a GCC extension; -Wpedantic would flag the bare keyword).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// An exact decimal number with 8 fraction digits, for prices, values and money. Never binary
// floating point. The range (about ±1.7e30) covers any sum of money a clearing house handles.
//
// Arithmetic is exact: +, - and multiplication by a whole number never round. Rounding happens only
// in the rule that calls for it (stages/settlement: RoundToTick for CME Rule 813,
// RoundToMinorUnit for variation margin), with that rule cited there.
class Decimal {
 public:
  static constexpr int kScale = 8;
  static constexpr Int128 kOne = 100'000'000;

  constexpr Decimal() = default;
  static constexpr Decimal FromUnits(Int128 units) { return Decimal(units); }
  static constexpr Decimal FromInt(int64_t whole) { return Decimal(Int128{whole} * kOne); }

  // Parses "[-]digits[.digits]" with at most kScale fraction digits. Rejects empty strings,
  // exponents, '+', spaces, more fraction digits than kScale (they would need a rounding rule)
  // and values out of range; the error names the text.
  static Result<Decimal> Parse(std::string_view text);

  // Shortest exact form: no trailing fraction zeros, no '.' for whole numbers, "-" for negatives.
  std::string ToString() const;

  constexpr Int128 units() const { return units_; }
  constexpr bool is_zero() const { return units_ == 0; }
  constexpr bool is_negative() const { return units_ < 0; }

  constexpr Decimal operator-() const { return Decimal(-units_); }
  constexpr Decimal operator+(Decimal o) const { return Decimal(units_ + o.units_); }
  constexpr Decimal operator-(Decimal o) const { return Decimal(units_ - o.units_); }
  constexpr Decimal& operator+=(Decimal o) {
    units_ += o.units_;
    return *this;
  }
  constexpr Decimal& operator-=(Decimal o) {
    units_ -= o.units_;
    return *this;
  }
  constexpr Decimal operator*(int64_t n) const { return Decimal(units_ * n); }
  constexpr auto operator<=>(const Decimal&) const = default;

  // True when this is a whole multiple of `increment` (> 0), e.g. a price on its tick.
  bool IsMultipleOf(Decimal increment) const;

  // The exact product, or an error when it has more than kScale fraction digits.
  Result<Decimal> MultiplyExact(Decimal other) const;

 private:
  explicit constexpr Decimal(Int128 units) : units_(units) {}
  Int128 units_ = 0;
};

}  // namespace eodclear
