#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace eodclear {

// A weekday on which a calendar's market or banks are closed.
struct Holiday {
  Date date;
  std::string name;
  // A declared unscheduled market holiday (SER 9163), as opposed to a scheduled one.
  bool unscheduled = false;
};

// One business-day calendar: Saturdays, Sundays and its holidays are not business days. It covers
// whole years [covers_from, covers_to]; asking about a date outside them is an error
// (kFailedPrecondition naming the calendar and the date), never a guess. Immutable; thread-safe.
class Calendar {
 public:
  Calendar(std::string name, std::string description, int covers_from, int covers_to,
           std::map<Date, Holiday> holidays);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int covers_from() const { return covers_from_; }
  int covers_to() const { return covers_to_; }
  bool Covers(Date d) const { return d.year() >= covers_from_ && d.year() <= covers_to_; }

  // Not a weekend and not a holiday, scheduled or unscheduled.
  Result<bool> IsBusinessDay(Date d) const;
  // Not a weekend and not a scheduled holiday: what the calendar said before any unscheduled
  // holiday was declared (SER 9163: "scheduled to be published", "scheduled as a Business Day").
  Result<bool> IsScheduledBusinessDay(Date d) const;
  // The holiday on `d`, or nullptr.
  const Holiday* HolidayOn(Date d) const;

  // The nearest business day strictly before / after `d`.
  Result<Date> PreviousBusinessDay(Date d) const;
  Result<Date> NextBusinessDay(Date d) const;
  // `d` itself when it is a business day, else the nearest one before it.
  Result<Date> OnOrBeforeBusinessDay(Date d) const;
  // Holidays in [from, to], in date order; both ends must be covered.
  Result<std::vector<Holiday>> Holidays(Date from, Date to) const;

 private:
  Status CheckCovered(Date d) const;

  std::string name_;
  std::string description_;
  int covers_from_;
  int covers_to_;
  std::map<Date, Holiday> holidays_;
};

// Every calendar of the reference data, by name (ops/refdata/calendars.csv and holidays.csv).
class CalendarSet {
 public:
  // Loads and validates both files; errors are kInvalidArgument "file:line: what" (an unknown
  // calendar, a malformed rule, a year or date outside the calendar's coverage, a duplicate).
  static Result<CalendarSet> Load(const std::string& calendars_csv,
                                  const std::string& holidays_csv);

  // The calendar named `name`, or nullptr.
  const Calendar* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::shared_ptr<const Calendar>, std::less<>> calendars_;
};

// Business days of several calendars together.
// A business day in at least one of `calendars` (e.g. "a business day in either the UK or the US").
Result<bool> IsBusinessDayInAny(const std::vector<const Calendar*>& calendars, Date d);
// A business day in every one of `calendars`.
Result<bool> IsBusinessDayInAll(const std::vector<const Calendar*>& calendars, Date d);

// Calendar arithmetic used by rules and expiry engines.
enum class Weekday { kMonday = 1, kTuesday, kWednesday, kThursday, kFriday, kSaturday, kSunday };
Weekday WeekdayOf(Date d);
// The n-th (1..5) `weekday` of a month, or with n = -1 the last; an error when there is no n-th.
Result<Date> NthWeekdayOfMonth(int year, int month, Weekday weekday, int n);
// Western (Gregorian) Easter Sunday of `year`.
Date EasterSunday(int year);

}  // namespace eodclear
