#include "pipeline/core/decimal.h"

#include <algorithm>

namespace eodclear {
namespace {

// Largest magnitude accepted from text: 30 integer digits.
constexpr int kMaxIntegerDigits = 30;

}  // namespace

Result<Decimal> Decimal::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Err(Status::InvalidArgument("'" + std::string(text) +
                                       "' is not a decimal: " + std::string(why)));
  };
  if (text.empty()) return bad("empty");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  Int128 units = 0;
  int int_digits = 0;
  int frac_digits = 0;
  bool seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_point) return bad("two decimal points");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return bad("unexpected character");
    if (seen_point) {
      if (++frac_digits > kScale) return bad("more than 8 fraction digits");
    } else if (++int_digits > kMaxIntegerDigits) {
      return bad("out of range");
    }
    units = units * 10 + (c - '0');
  }
  if (int_digits == 0) return bad("no digits before the decimal point");
  if (seen_point && frac_digits == 0) return bad("no digits after the decimal point");
  for (int k = frac_digits; k < kScale; ++k) units *= 10;
  return Decimal(negative ? -units : units);
}

std::string Decimal::ToString() const {
  UInt128 mag = units_ < 0 ? static_cast<UInt128>(-(units_ + 1)) + 1 : static_cast<UInt128>(units_);
  UInt128 whole = mag / static_cast<UInt128>(kOne);
  auto frac = static_cast<uint64_t>(mag % static_cast<UInt128>(kOne));
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  } while (whole != 0);
  if (units_ < 0) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  if (frac != 0) {
    std::string f(kScale, '0');
    for (int k = kScale - 1; k >= 0; --k) {
      f[static_cast<size_t>(k)] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    while (f.back() == '0') f.pop_back();
    digits += '.';
    digits += f;
  }
  return digits;
}

bool Decimal::IsMultipleOf(Decimal increment) const {
  return increment.units_ > 0 && units_ % increment.units_ == 0;
}

Result<Decimal> Decimal::MultiplyExact(Decimal other) const {
  Int128 raw = units_ * other.units_;
  if (raw % kOne != 0) {
    return Err(Status::InvalidArgument(ToString() + " x " + other.ToString() +
                                       " has more than 8 fraction digits"));
  }
  return Decimal(raw / kOne);
}

}  // namespace eodclear
