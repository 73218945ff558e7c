#include "pipeline/refdata/calendar.h"

#include <charconv>
#include <optional>
#include <set>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kCalendarColumns = {"calendar", "description", "covers_from",
                                                   "covers_to", "source"};
const std::vector<std::string> kHolidayColumns = {"calendar",  "name",    "rule", "observance",
                                                  "from_year", "to_year", "kind", "source"};
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2199;

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

bool IsWeekend(Date d) {
  Weekday w = WeekdayOf(d);
  return w == Weekday::kSaturday || w == Weekday::kSunday;
}

enum class Observance { kNone, kSundayToMonday, kWeekendToNearest, kWeekendToNextFree };

// A holiday rule as written in holidays.csv.
struct Rule {
  enum class Kind { kFixed, kNth, kEaster, kDate } kind = Kind::kFixed;
  int month = 0, day = 0;  // kFixed; month also for kNth
  int n = 0;               // kNth
  Weekday weekday = Weekday::kMonday;
  int offset = 0;  // kEaster
  Date date;       // kDate
  Observance observance = Observance::kNone;
  int from_year = 0, to_year = 0;
  std::string name;
  bool unscheduled = false;
  size_t line = 0;

  // The unobserved date in `year`, or nothing when the rule has none that year.
  Result<std::optional<Date>> In(int year) const {
    if (year < from_year || year > to_year) return std::optional<Date>();
    switch (kind) {
      case Kind::kFixed: {
        EODCLEAR_ASSIGN_OR_RETURN(Date d, Date::FromYmd(year, month, day));
        return std::optional<Date>(d);
      }
      case Kind::kNth: {
        EODCLEAR_ASSIGN_OR_RETURN(Date d, NthWeekdayOfMonth(year, month, weekday, n));
        return std::optional<Date>(d);
      }
      case Kind::kEaster:
        return std::optional<Date>(EasterSunday(year).AddDays(offset));
      case Kind::kDate:
        return date.year() == year ? std::optional<Date>(date) : std::optional<Date>();
    }
    return std::optional<Date>();
  }
};

Result<Weekday> ParseWeekday(std::string_view s) {
  static constexpr std::string_view kNames[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
  for (int i = 0; i < 7; ++i) {
    if (s == kNames[i]) return static_cast<Weekday>(i + 1);
  }
  return Err(Status::InvalidArgument("'" + std::string(s) + "' is not a weekday (MON..SUN)"));
}

// Parses the rule column: MM-DD, nth:N:DOW:MM, easter:+N / easter:-N, date:YYYY-MM-DD.
Status ParseRule(std::string_view text, Rule* rule) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("rule '" + std::string(text) + "': " + std::string(why));
  };
  if (text.starts_with("date:")) {
    auto d = Date::Parse(text.substr(5));
    if (!d) return bad(d.error().message());
    rule->kind = Rule::Kind::kDate;
    rule->date = *d;
    return Status::Ok();
  }
  if (text.starts_with("easter:")) {
    std::string_view n = text.substr(7);
    if (n.starts_with('+')) n.remove_prefix(1);
    if (!ParseInt(n, &rule->offset)) return bad("offset must be a whole number of days");
    rule->kind = Rule::Kind::kEaster;
    return Status::Ok();
  }
  if (text.starts_with("nth:")) {
    auto parts = Split(text.substr(4), ':');
    if (parts.size() != 3) return bad("expected nth:N:DOW:MM");
    if (!ParseInt(parts[0], &rule->n) || rule->n == 0 || rule->n < -1 || rule->n > 5) {
      return bad("N must be 1..5 or -1 (last)");
    }
    auto wd = ParseWeekday(parts[1]);
    if (!wd) return bad(wd.error().message());
    rule->weekday = *wd;
    if (!ParseInt(parts[2], &rule->month) || rule->month < 1 || rule->month > 12) {
      return bad("month must be 01..12");
    }
    rule->kind = Rule::Kind::kNth;
    return Status::Ok();
  }
  auto parts = Split(text, '-');
  if (parts.size() != 2 || parts[0].size() != 2 || parts[1].size() != 2 ||
      !ParseInt(parts[0], &rule->month) || !ParseInt(parts[1], &rule->day) ||
      !Date::FromYmd(2000, rule->month, rule->day)) {  // 2000 is a leap year: 02-29 passes
    return bad("expected MM-DD, nth:N:DOW:MM, easter:+N or date:YYYY-MM-DD");
  }
  rule->kind = Rule::Kind::kFixed;
  return Status::Ok();
}

Result<Observance> ParseObservance(std::string_view s) {
  if (s == "none") return Observance::kNone;
  if (s == "sunday_to_monday") return Observance::kSundayToMonday;
  if (s == "weekend_to_nearest") return Observance::kWeekendToNearest;
  if (s == "weekend_to_next_free") return Observance::kWeekendToNextFree;
  return Err(Status::InvalidArgument("observance '" + std::string(s) +
                                     "' is not none, sunday_to_monday, weekend_to_nearest or "
                                     "weekend_to_next_free"));
}

struct CalendarHeader {
  std::string description;
  int from = 0, to = 0;
  std::vector<Rule> rules;
};

// Generates the holidays of one calendar. Holidays that stay where they fall go first; holidays
// moved to "the next free weekday" are placed afterwards in file order, so a substitute never lands
// on a day another holiday of the calendar already takes (England's Christmas and Boxing Day).
Result<std::map<Date, Holiday>> Generate(const CalendarHeader& h,
                                         const std::string& holidays_path) {
  std::map<Date, Holiday> out;
  auto where = [&](const Rule& r) { return holidays_path + ":" + std::to_string(r.line); };
  auto add = [&](const Rule& r, Date d) -> Status {
    if (d.year() < h.from || d.year() > h.to) return Status::Ok();  // observed across coverage edge
    if (IsWeekend(d)) return Status::Ok();
    auto [it, inserted] = out.emplace(d, Holiday{d, r.name, r.unscheduled});
    if (!inserted && it->second.name != r.name) it->second.name += " / " + r.name;
    return Status::Ok();
  };
  std::vector<std::pair<const Rule*, Date>> to_move;
  for (int year = h.from; year <= h.to; ++year) {
    for (const Rule& r : h.rules) {
      auto day = r.In(year);
      if (!day) return Err(Status::InvalidArgument(where(r) + ": " + day.error().message()));
      if (!*day) continue;
      Date d = **day;
      Weekday w = WeekdayOf(d);
      switch (r.observance) {
        case Observance::kNone:
          break;
        case Observance::kSundayToMonday:
          if (w == Weekday::kSunday) d = d.AddDays(1);
          break;
        case Observance::kWeekendToNearest:
          if (w == Weekday::kSaturday) d = d.AddDays(-1);
          if (w == Weekday::kSunday) d = d.AddDays(1);
          break;
        case Observance::kWeekendToNextFree:
          if (IsWeekend(d)) {
            to_move.emplace_back(&r, d);
            continue;
          }
          break;
      }
      EODCLEAR_RETURN_IF_ERROR(add(r, d));
    }
  }
  for (auto& [r, d] : to_move) {
    Date moved = d;
    do {
      moved = moved.AddDays(1);
    } while (IsWeekend(moved) || out.contains(moved));
    EODCLEAR_RETURN_IF_ERROR(add(*r, moved));
  }
  return out;
}

}  // namespace

Weekday WeekdayOf(Date d) {
  // 1970-01-01 was a Thursday.
  int w = (d.days_since_epoch() % 7 + 7 + 3) % 7;  // 0 = Monday
  return static_cast<Weekday>(w + 1);
}

Result<Date> NthWeekdayOfMonth(int year, int month, Weekday weekday, int n) {
  EODCLEAR_ASSIGN_OR_RETURN(Date first, Date::FromYmd(year, month, 1));
  if (n == -1) {
    Date next_month =
        month == 12 ? *Date::FromYmd(year + 1, 1, 1) : *Date::FromYmd(year, month + 1, 1);
    Date d = next_month.AddDays(-1);
    while (WeekdayOf(d) != weekday) d = d.AddDays(-1);
    return d;
  }
  int shift = (static_cast<int>(weekday) - static_cast<int>(WeekdayOf(first)) + 7) % 7;
  Date d = first.AddDays(shift + 7 * (n - 1));
  if (n < 1 || d.month() != month) {
    return Err(Status::InvalidArgument("no occurrence " + std::to_string(n) +
                                       " of that weekday in " + std::to_string(year) + "-" +
                                       std::to_string(month)));
  }
  return d;
}

Date EasterSunday(int year) {
  // The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
  int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return *Date::FromYmd(year, month, day);
}

Calendar::Calendar(std::string name, std::string description, int covers_from, int covers_to,
                   std::map<Date, Holiday> holidays)
    : name_(std::move(name)),
      description_(std::move(description)),
      covers_from_(covers_from),
      covers_to_(covers_to),
      holidays_(std::move(holidays)) {}

Status Calendar::CheckCovered(Date d) const {
  if (Covers(d)) return Status::Ok();
  return Status::FailedPrecondition("calendar " + name_ + " covers " +
                                    std::to_string(covers_from_) + "-" +
                                    std::to_string(covers_to_) + ", not " + d.ToString());
}

const Holiday* Calendar::HolidayOn(Date d) const {
  auto it = holidays_.find(d);
  return it == holidays_.end() ? nullptr : &it->second;
}

Result<bool> Calendar::IsBusinessDay(Date d) const {
  EODCLEAR_RETURN_IF_ERROR(CheckCovered(d));
  return !IsWeekend(d) && HolidayOn(d) == nullptr;
}

Result<bool> Calendar::IsScheduledBusinessDay(Date d) const {
  EODCLEAR_RETURN_IF_ERROR(CheckCovered(d));
  const Holiday* h = HolidayOn(d);
  return !IsWeekend(d) && (h == nullptr || h->unscheduled);
}

Result<Date> Calendar::PreviousBusinessDay(Date d) const {
  for (Date p = d.AddDays(-1);; p = p.AddDays(-1)) {
    EODCLEAR_ASSIGN_OR_RETURN(bool business, IsBusinessDay(p));
    if (business) return p;
  }
}

Result<Date> Calendar::NextBusinessDay(Date d) const {
  for (Date n = d.AddDays(1);; n = n.AddDays(1)) {
    EODCLEAR_ASSIGN_OR_RETURN(bool business, IsBusinessDay(n));
    if (business) return n;
  }
}

Result<Date> Calendar::OnOrBeforeBusinessDay(Date d) const {
  EODCLEAR_ASSIGN_OR_RETURN(bool business, IsBusinessDay(d));
  if (business) return d;
  return PreviousBusinessDay(d);
}

Result<std::vector<Holiday>> Calendar::Holidays(Date from, Date to) const {
  EODCLEAR_RETURN_IF_ERROR(CheckCovered(from));
  EODCLEAR_RETURN_IF_ERROR(CheckCovered(to));
  std::vector<Holiday> out;
  for (auto it = holidays_.lower_bound(from); it != holidays_.end() && !(to < it->first); ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<CalendarSet> CalendarSet::Load(const std::string& calendars_csv,
                                      const std::string& holidays_csv) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile cals, ReadReferenceCsv(calendars_csv, kCalendarColumns));
  std::map<std::string, CalendarHeader> headers;
  for (const auto& row : cals.rows()) {
    auto bad = [&](const std::string& what) {
      return Err(Status::InvalidArgument(cals.Where(row) + ": " + what));
    };
    const auto& f = row.fields;
    if (f[0].empty()) return bad("calendar name is empty");
    CalendarHeader h;
    h.description = f[1];
    if (!ParseInt(f[2], &h.from) || !ParseInt(f[3], &h.to) || h.from < kMinYear ||
        h.to > kMaxYear || h.to < h.from) {
      return bad("covers_from/covers_to must be years with covers_from <= covers_to");
    }
    if (!headers.emplace(f[0], std::move(h)).second) return bad("duplicate calendar " + f[0]);
  }

  EODCLEAR_ASSIGN_OR_RETURN(CsvFile hols, ReadReferenceCsv(holidays_csv, kHolidayColumns));
  std::set<std::pair<std::string, std::string>> seen;  // (calendar, rule) within overlapping years
  for (const auto& row : hols.rows()) {
    auto bad = [&](const std::string& what) {
      return Err(Status::InvalidArgument(hols.Where(row) + ": " + what));
    };
    const auto& f = row.fields;
    auto it = headers.find(f[0]);
    if (it == headers.end()) return bad("unknown calendar '" + f[0] + "' (not in calendars.csv)");
    CalendarHeader& h = it->second;
    Rule r;
    r.line = row.line;
    r.name = f[1];
    if (r.name.empty()) return bad("name is empty");
    if (Status s = ParseRule(f[2], &r); !s.ok()) return bad(s.message());
    auto obs = ParseObservance(f[3]);
    if (!obs) return bad(obs.error().message());
    r.observance = *obs;
    if (!ParseInt(f[4], &r.from_year)) return bad("from_year '" + f[4] + "' is not a year");
    if (f[5].empty()) {
      r.to_year = h.to;
    } else if (!ParseInt(f[5], &r.to_year)) {
      return bad("to_year '" + f[5] + "' is not a year");
    }
    if (r.to_year < r.from_year) return bad("to_year is before from_year");
    if (r.from_year < h.from || r.to_year > h.to) {
      return bad("years " + f[4] + "-" + std::to_string(r.to_year) + " are outside calendar " +
                 f[0] + "'s coverage " + std::to_string(h.from) + "-" + std::to_string(h.to));
    }
    if (r.kind == Rule::Kind::kDate) {
      if (r.date.year() != r.from_year || r.date.year() != r.to_year) {
        return bad("a date: rule's from_year and to_year must be the date's year");
      }
      if (r.observance != Observance::kNone)
        return bad("a date: rule is the observed date: use none");
    }
    if (f[6] == "unscheduled") {
      r.unscheduled = true;
      if (r.kind != Rule::Kind::kDate) return bad("an unscheduled holiday must be a date: rule");
    } else if (f[6] != "scheduled") {
      return bad("kind '" + f[6] + "' is not scheduled or unscheduled");
    }
    if (!seen.emplace(f[0], f[2] + "@" + f[4]).second) return bad("duplicate rule " + f[2]);
    h.rules.push_back(std::move(r));
  }

  CalendarSet set;
  for (auto& [name, h] : headers) {
    EODCLEAR_ASSIGN_OR_RETURN(auto holidays, Generate(h, holidays_csv));
    set.calendars_.emplace(name, std::make_shared<const Calendar>(name, h.description, h.from, h.to,
                                                                  std::move(holidays)));
  }
  return set;
}

const Calendar* CalendarSet::Find(std::string_view name) const {
  auto it = calendars_.find(name);
  return it == calendars_.end() ? nullptr : it->second.get();
}

std::vector<std::string> CalendarSet::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, c] : calendars_) names.push_back(name);
  return names;
}

Result<bool> IsBusinessDayInAny(const std::vector<const Calendar*>& calendars, Date d) {
  for (const Calendar* c : calendars) {
    EODCLEAR_ASSIGN_OR_RETURN(bool business, c->IsBusinessDay(d));
    if (business) return true;
  }
  return false;
}

Result<bool> IsBusinessDayInAll(const std::vector<const Calendar*>& calendars, Date d) {
  for (const Calendar* c : calendars) {
    EODCLEAR_ASSIGN_OR_RETURN(bool business, c->IsBusinessDay(d));
    if (!business) return false;
  }
  return !calendars.empty();
}

}  // namespace eodclear
