#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"

// Values written as text in a test. Each fails the test (and returns a default value) when its
// `text` does not parse, so a typo in a test input shows as such rather than as a wrong result.

namespace eodclear::testing {

// A decimal, e.g. Dec("4400.25").
inline Decimal Dec(std::string_view text) {
  auto d = Decimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << "test input '" << text << "' does not parse";
  return d.value_or(Decimal());
}

// A calendar date, e.g. Day("2023-06-16").
inline Date Day(std::string_view text) {
  auto d = Date::Parse(text);
  EXPECT_TRUE(d.has_value()) << "test input '" << text << "' does not parse";
  return d.value_or(Date());
}

// A time with its UTC offset, e.g. At("2023-06-16T09:30:00-05:00").
inline ZonedTime At(std::string_view text) {
  auto t = ZonedTime::Parse(text);
  EXPECT_TRUE(t.has_value()) << "test input '" << text << "' does not parse";
  return t.value_or(ZonedTime());
}

}  // namespace eodclear::testing
