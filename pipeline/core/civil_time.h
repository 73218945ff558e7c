#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace eodclear {

// A calendar date with no zone (a business date or a trade date), as days since 1970-01-01.
class Date {
 public:
  constexpr Date() = default;
  static constexpr Date FromDays(int32_t days_since_epoch) { return Date(days_since_epoch); }
  static Result<Date> FromYmd(int year, int month, int day);

  // Parses exactly "YYYY-MM-DD" (a real date, years 1900-2199); the error names the text.
  static Result<Date> Parse(std::string_view text);

  // "YYYY-MM-DD".
  std::string ToString() const;

  constexpr int32_t days_since_epoch() const { return days_; }
  int year() const;
  int month() const;
  int day() const;

  constexpr Date AddDays(int32_t n) const { return Date(days_ + n); }
  constexpr auto operator<=>(const Date&) const = default;

 private:
  explicit constexpr Date(int32_t days) : days_(days) {}
  int32_t days_ = 0;
};

// An instant with the UTC offset it was stated in, e.g. "2023-06-16T14:59:45.5-05:00".
struct ZonedTime {
  // Nanoseconds since 1970-01-01T00:00:00Z.
  int64_t unix_nanos = 0;
  // Offset from UTC of the local time as written, in minutes (-05:00 is -300; 'Z' is 0).
  int32_t utc_offset_minutes = 0;

  // Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fraction]" followed by 'Z' or "+HH:MM" / "-HH:MM"; a time
  // without a zone is an error (times must carry their zone). Fractions up to nanoseconds.
  static Result<ZonedTime> Parse(std::string_view text);

  // ISO 8601 in the original offset, fraction only when non-zero ("2023-06-16T14:59:45-05:00").
  std::string ToString() const;

  // The local calendar date in the stated offset.
  Date LocalDate() const;
};

}  // namespace eodclear
