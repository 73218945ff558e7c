#include "pipeline/core/civil_time.h"

#include <chrono>
#include <cstdio>

namespace eodclear {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::chrono::year_month_day Ymd(int32_t days) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<Date> Date::FromYmd(int year, int month, int day) {
  // Range-check as ints first: std::chrono::month/day keep only the low byte of their argument.
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d is not a valid date", year, month, day);
    return Err(Status::InvalidArgument(buf));
  }
  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || year < 1900 || year > 2199) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d is not a valid date", year, month, day);
    return Err(Status::InvalidArgument(buf));
  }
  return Date(static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count()));
}

Result<Date> Date::Parse(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !ReadDigits(text, 0, 4, &y) ||
      !ReadDigits(text, 5, 2, &m) || !ReadDigits(text, 8, 2, &d)) {
    return Err(Status::InvalidArgument("'" + std::string(text) + "' is not a date YYYY-MM-DD"));
  }
  auto date = FromYmd(y, m, d);
  if (!date) return Err(Status::InvalidArgument("'" + std::string(text) + "' is not a valid date"));
  return date;
}

int Date::year() const { return static_cast<int>(Ymd(days_).year()); }
int Date::month() const { return static_cast<int>(static_cast<unsigned>(Ymd(days_).month())); }
int Date::day() const { return static_cast<int>(static_cast<unsigned>(Ymd(days_).day())); }

std::string Date::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year(), month(), day());
  return buf;
}

Result<ZonedTime> ZonedTime::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Err(Status::InvalidArgument(
        "'" + std::string(text) + "' is not an ISO 8601 time with offset: " + std::string(why)));
  };
  if (text.size() < 20) return bad("too short");
  auto date = Date::Parse(text.substr(0, 10));
  if (!date) return bad("bad date");
  int hh = 0, mm = 0, ss = 0;
  if (text[10] != 'T' || !ReadDigits(text, 11, 2, &hh) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, &mm) || text[16] != ':' || !ReadDigits(text, 17, 2, &ss)) {
    return bad("expected THH:MM:SS");
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad("time of day out of range");
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return bad("fraction finer than nanoseconds");
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int k = digits; k < 9; ++k) nanos *= 10;
  }
  if (pos >= text.size()) return bad("no UTC offset or Z");
  int offset = 0;
  if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (!ReadDigits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadDigits(text, pos + 4, 2, &om) || oh > 18 || om > 59) {
      return bad("offset must be +HH:MM or -HH:MM");
    }
    offset = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("no UTC offset or Z");
  }
  if (pos != text.size()) return bad("trailing characters");
  int64_t local_seconds =
      int64_t{date->days_since_epoch()} * kSecondsPerDay + hh * 3600 + mm * 60 + ss;
  int64_t utc_seconds = local_seconds - int64_t{offset} * 60;
  return ZonedTime{utc_seconds * kNanosPerSecond + nanos, offset};
}

Date ZonedTime::LocalDate() const {
  int64_t local_seconds = FloorDiv(unix_nanos, kNanosPerSecond) + int64_t{utc_offset_minutes} * 60;
  return Date::FromDays(static_cast<int32_t>(FloorDiv(local_seconds, kSecondsPerDay)));
}

std::string ZonedTime::ToString() const {
  int64_t secs = FloorDiv(unix_nanos, kNanosPerSecond);
  int64_t nanos = unix_nanos - secs * kNanosPerSecond;
  int64_t local = secs + int64_t{utc_offset_minutes} * 60;
  Date date = Date::FromDays(static_cast<int32_t>(FloorDiv(local, kSecondsPerDay)));
  int64_t sod = local - int64_t{date.days_since_epoch()} * kSecondsPerDay;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d", date.ToString().c_str(),
                        static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                        static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  if (utc_offset_minutes == 0) {
    out += 'Z';
  } else {
    int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+', off / 60,
                  off % 60);
    out += buf;
  }
  return out;
}

}  // namespace eodclear
