#include "pipeline/refdata/calendar.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "tests/testing/temp_dir.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

constexpr auto& D = testing::Day;

std::string EngineDir() { return std::string(EODCLEAR_TESTDATA_DIR) + "/calendar/engine"; }

class CalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = CalendarSet::Load(EngineDir() + "/calendars.csv", EngineDir() + "/holidays.csv");
    ASSERT_TRUE(set.has_value()) << set.error().ToString();
    set_ = std::move(*set);
    nyse_ = set_.Find("NYSE");
    uk_ = set_.Find("UK");
    us_ = set_.Find("US");
    ASSERT_NE(nyse_, nullptr);
    ASSERT_NE(uk_, nullptr);
    ASSERT_NE(us_, nullptr);
  }
  bool Business(const Calendar* c, std::string_view d) {
    auto b = c->IsBusinessDay(D(d));
    EXPECT_TRUE(b.has_value()) << b.error().ToString();
    return b.value_or(false);
  }
  CalendarSet set_;
  const Calendar* nyse_ = nullptr;
  const Calendar* uk_ = nullptr;
  const Calendar* us_ = nullptr;
};

TEST(CalendarArithmeticTest, EasterSundayMatchesPublishedDates) {
  // Western Easter Sundays from the published tables.
  const std::pair<int, std::string_view> cases[] = {
      {2000, "2000-04-23"}, {2019, "2019-04-21"}, {2020, "2020-04-12"}, {2021, "2021-04-04"},
      {2022, "2022-04-17"}, {2023, "2023-04-09"}, {2024, "2024-03-31"}, {2025, "2025-04-20"},
      {2026, "2026-04-05"}, {2038, "2038-04-25"}, {2008, "2008-03-23"}};
  for (const auto& [year, date] : cases) EXPECT_EQ(EasterSunday(year), D(date)) << year;
}

TEST(CalendarArithmeticTest, WeekdayOfKnownDates) {
  EXPECT_EQ(WeekdayOf(D("1970-01-01")), Weekday::kThursday);
  EXPECT_EQ(WeekdayOf(D("2024-03-15")), Weekday::kFriday);
  EXPECT_EQ(WeekdayOf(D("1969-12-31")), Weekday::kWednesday);
  EXPECT_EQ(WeekdayOf(D("2023-01-01")), Weekday::kSunday);
}

TEST(CalendarArithmeticTest, NthWeekdayOfMonth) {
  // January 2024 begins on a Monday: Mondays 1, 8, 15.
  EXPECT_EQ(*NthWeekdayOfMonth(2024, 1, Weekday::kMonday, 3), D("2024-01-15"));
  // March 2024 begins on a Friday: third Friday the 15th.
  EXPECT_EQ(*NthWeekdayOfMonth(2024, 3, Weekday::kFriday, 3), D("2024-03-15"));
  EXPECT_EQ(*NthWeekdayOfMonth(2024, 5, Weekday::kMonday, -1), D("2024-05-27"));
  EXPECT_EQ(*NthWeekdayOfMonth(2024, 11, Weekday::kThursday, 4), D("2024-11-28"));
  EXPECT_EQ(*NthWeekdayOfMonth(2024, 12, Weekday::kFriday, -1), D("2024-12-27"));
  // February 2024 has four Fridays (2, 9, 16, 23).
  EXPECT_FALSE(NthWeekdayOfMonth(2024, 2, Weekday::kFriday, 5).has_value());
}

TEST_F(CalendarTest, WeekendsAreNeverBusinessDays) {
  EXPECT_FALSE(Business(nyse_, "2024-03-16"));
  EXPECT_FALSE(Business(nyse_, "2024-03-17"));
  EXPECT_TRUE(Business(nyse_, "2024-03-18"));
}

TEST_F(CalendarTest, NyseObservesSundayHolidaysOnMondayAndSaturdayOnesOnFriday) {
  EXPECT_FALSE(Business(nyse_, "2023-01-02"));  // New Year's Day 2023 was a Sunday
  EXPECT_TRUE(Business(nyse_, "2021-12-31"));   // 2022-01-01 a Saturday: not observed
  EXPECT_FALSE(Business(nyse_, "2026-07-03"));  // 2026-07-04 a Saturday
  EXPECT_FALSE(Business(nyse_, "2021-12-24"));  // 2021-12-25 a Saturday
  EXPECT_FALSE(Business(nyse_, "2022-12-26"));  // 2022-12-25 a Sunday
  EXPECT_FALSE(Business(nyse_, "2022-06-20"));  // Juneteenth 2022, a Sunday
  EXPECT_TRUE(Business(nyse_, "2021-06-18"));   // Juneteenth rule starts in 2022
  EXPECT_FALSE(Business(nyse_, "2024-03-29"));  // Good Friday
  EXPECT_FALSE(Business(nyse_, "2024-11-28"));  // Thanksgiving
}

TEST_F(CalendarTest, UnscheduledHolidayIsClosedButWasScheduledAsBusinessDay) {
  EXPECT_FALSE(Business(nyse_, "2025-01-09"));
  EXPECT_TRUE(*nyse_->IsScheduledBusinessDay(D("2025-01-09")));
  EXPECT_FALSE(*nyse_->IsScheduledBusinessDay(D("2025-01-01")));
  ASSERT_NE(nyse_->HolidayOn(D("2025-01-09")), nullptr);
  EXPECT_TRUE(nyse_->HolidayOn(D("2025-01-09"))->unscheduled);
  EXPECT_FALSE(nyse_->HolidayOn(D("2025-01-01"))->unscheduled);
}

TEST_F(CalendarTest, EnglishChristmasAndBoxingDaySubstitutesNeverCollide) {
  // 2016: Christmas on Sunday, Boxing Day on Monday 26 -> Christmas substitute Tuesday 27.
  EXPECT_FALSE(Business(uk_, "2016-12-26"));
  EXPECT_FALSE(Business(uk_, "2016-12-27"));
  EXPECT_TRUE(Business(uk_, "2016-12-28"));
  // 2021: Christmas on Saturday, Boxing Day on Sunday -> Monday 27 and Tuesday 28.
  EXPECT_FALSE(Business(uk_, "2021-12-27"));
  EXPECT_FALSE(Business(uk_, "2021-12-28"));
  EXPECT_TRUE(Business(uk_, "2021-12-29"));
  EXPECT_EQ(uk_->HolidayOn(D("2021-12-27"))->name, "Christmas Day");
  EXPECT_EQ(uk_->HolidayOn(D("2021-12-28"))->name, "Boxing Day");
  // 2022: Christmas on Sunday, Boxing Day Monday 26 -> Christmas substitute Tuesday 27.
  EXPECT_EQ(uk_->HolidayOn(D("2022-12-26"))->name, "Boxing Day");
  EXPECT_EQ(uk_->HolidayOn(D("2022-12-27"))->name, "Christmas Day");
  // New Year's Day 2022 on a Saturday -> Monday 3 January.
  EXPECT_FALSE(Business(uk_, "2022-01-03"));
}

TEST_F(CalendarTest, RulesApplyOnlyInTheirYears) {
  EXPECT_FALSE(Business(uk_, "2020-05-08"));  // VE Day moved the early May bank holiday
  EXPECT_TRUE(Business(uk_, "2020-05-04"));   // so the first Monday of May 2020 was open
  EXPECT_FALSE(Business(uk_, "2019-05-06"));
  EXPECT_FALSE(Business(uk_, "2021-05-03"));
}

TEST_F(CalendarTest, NeighbouringBusinessDays) {
  EXPECT_EQ(*nyse_->PreviousBusinessDay(D("2024-04-01")), D("2024-03-28"));  // over Good Friday
  EXPECT_EQ(*nyse_->NextBusinessDay(D("2024-03-28")), D("2024-04-01"));
  EXPECT_EQ(*nyse_->OnOrBeforeBusinessDay(D("2024-03-29")), D("2024-03-28"));
  EXPECT_EQ(*nyse_->OnOrBeforeBusinessDay(D("2024-03-28")), D("2024-03-28"));
}

TEST_F(CalendarTest, DatesOutsideCoverageAreErrorsNotGuesses) {
  auto before = nyse_->IsBusinessDay(D("2020-12-31"));
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(before.error().message(), "calendar NYSE covers 2021-2026, not 2020-12-31");
  // 2021-01-01 is a holiday, so the search for the previous business day leaves coverage.
  EXPECT_FALSE(nyse_->PreviousBusinessDay(D("2021-01-04")).has_value());
  EXPECT_FALSE(nyse_->IsBusinessDay(D("2027-01-04")).has_value());
}

TEST_F(CalendarTest, HolidaysInASpanAreListedInOrder) {
  auto h = nyse_->Holidays(D("2024-01-01"), D("2024-02-29"));
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].date, D("2024-01-01"));
  EXPECT_EQ((*h)[1].date, D("2024-01-15"));
  EXPECT_EQ((*h)[1].name, "Martin Luther King Jr. Day");
  EXPECT_EQ((*h)[2].date, D("2024-02-19"));
}

TEST_F(CalendarTest, CombinedCalendars) {
  // 2022-12-26: Boxing Day in England, Christmas observed in the US.
  EXPECT_FALSE(*IsBusinessDayInAny({uk_, us_}, D("2022-12-26")));
  // 2022-12-27: Christmas substitute in England only.
  EXPECT_TRUE(*IsBusinessDayInAny({uk_, us_}, D("2022-12-27")));
  EXPECT_FALSE(*IsBusinessDayInAll({uk_, us_}, D("2022-12-27")));
  EXPECT_TRUE(*IsBusinessDayInAll({uk_, us_}, D("2022-12-28")));
}

// Load errors name the file and line.
class CalendarLoadErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_.Write("calendars.csv",
                "calendar,description,covers_from,covers_to,source\nNYSE,x,2021,2026,s\n");
  }
  Status LoadHolidays(const std::string& rows) {
    temp_.Write("holidays.csv",
                "calendar,name,rule,observance,from_year,to_year,kind,source\n" + rows);
    auto set =
        CalendarSet::Load((dir_ / "calendars.csv").string(), (dir_ / "holidays.csv").string());
    return set.has_value() ? Status::Ok() : set.error();
  }
  std::string Where(int line) {
    return (dir_ / "holidays.csv").string() + ":" + std::to_string(line) + ": ";
  }
  testing::TempDir temp_{"calendar_test"};
  std::filesystem::path dir_ = temp_.path();
};

TEST_F(CalendarLoadErrorTest, UnknownCalendar) {
  Status s =
      LoadHolidays("NYSE,a,01-01,none,2021,,scheduled,s\nLSE,b,01-01,none,2021,,scheduled,s\n");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), Where(3) + "unknown calendar 'LSE' (not in calendars.csv)");
}

TEST_F(CalendarLoadErrorTest, DateOutsideCoverage) {
  Status s = LoadHolidays("NYSE,a,date:2030-01-02,none,2030,2030,scheduled,s\n");
  EXPECT_EQ(s.message(),
            Where(2) + "years 2030-2030 are outside calendar NYSE's coverage 2021-2026");
}

TEST_F(CalendarLoadErrorTest, MalformedRulesAndFields) {
  EXPECT_EQ(LoadHolidays("NYSE,a,13-01,none,2021,,scheduled,s\n").message(),
            Where(2) + "rule '13-01': expected MM-DD, nth:N:DOW:MM, easter:+N or date:YYYY-MM-DD");
  EXPECT_EQ(LoadHolidays("NYSE,a,nth:6:MON:01,none,2021,,scheduled,s\n").message(),
            Where(2) + "rule 'nth:6:MON:01': N must be 1..5 or -1 (last)");
  EXPECT_EQ(LoadHolidays("NYSE,a,nth:1:MOO:01,none,2021,,scheduled,s\n").message(),
            Where(2) + "rule 'nth:1:MOO:01': 'MOO' is not a weekday (MON..SUN)");
  EXPECT_EQ(LoadHolidays("NYSE,a,01-01,sideways,2021,,scheduled,s\n").message(),
            Where(2) +
                "observance 'sideways' is not none, sunday_to_monday, weekend_to_nearest or "
                "weekend_to_next_free");
  EXPECT_EQ(LoadHolidays("NYSE,a,01-01,none,2021,,maybe,s\n").message(),
            Where(2) + "kind 'maybe' is not scheduled or unscheduled");
  EXPECT_EQ(LoadHolidays("NYSE,a,01-01,none,2021,,unscheduled,s\n").message(),
            Where(2) + "an unscheduled holiday must be a date: rule");
  EXPECT_EQ(LoadHolidays("NYSE,a,date:2024-01-02,none,2023,2024,scheduled,s\n").message(),
            Where(2) + "a date: rule's from_year and to_year must be the date's year");
  EXPECT_EQ(
      LoadHolidays("NYSE,a,01-01,none,2021,,scheduled,s\nNYSE,b,01-01,none,2021,,scheduled,s\n")
          .message(),
      Where(3) + "duplicate rule 01-01");
}

}  // namespace
}  // namespace eodclear
