// Checks the calendars that ship in ops/refdata against the exchanges' and governments' published
// holiday lists (tests/testdata/calendar/published_holidays.csv, with a source per row): for every
// year the published fixture covers, the weekday holidays the engine generates from the shipped
// rules and dates are exactly the published ones. This tests the shipped data, so it reads the
// ops folder on purpose.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/calendar.h"

namespace eodclear {
namespace {

TEST(ShippedCalendarsTest, HolidaysEqualThePublishedListsForEveryPublishedYear) {
  std::string ops = EODCLEAR_OPS_REFDATA_DIR;
  auto set = CalendarSet::Load(ops + "/calendars.csv", ops + "/holidays.csv");
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  auto published =
      CsvFile::Read(std::string(EODCLEAR_TESTDATA_DIR) + "/calendar/published_holidays.csv");
  ASSERT_TRUE(published.has_value()) << published.error().ToString();
  ASSERT_TRUE(published->ExpectHeader({"calendar", "date", "name", "source"}).ok());

  std::map<std::string, std::map<int, std::set<Date>>> want;  // calendar -> year -> dates
  for (const auto& row : published->rows()) {
    auto d = Date::Parse(row.fields[1]);
    ASSERT_TRUE(d.has_value()) << published->Where(row);
    want[row.fields[0]][d->year()].insert(*d);
  }
  ASSERT_EQ(want.size(), 3u) << "NYSE, UK and HK are published";
  for (const auto& [name, years] : want) {
    const Calendar* c = set->Find(name);
    ASSERT_NE(c, nullptr) << name;
    for (const auto& [year, dates] : years) {
      auto holidays = c->Holidays(*Date::FromYmd(year, 1, 1), *Date::FromYmd(year, 12, 31));
      ASSERT_TRUE(holidays.has_value())
          << name << " " << year << ": " << holidays.error().ToString();
      std::set<Date> got;
      for (const Holiday& h : *holidays) got.insert(h.date);
      for (Date d : dates) EXPECT_TRUE(got.contains(d)) << name << " misses " << d.ToString();
      for (Date d : got) EXPECT_TRUE(dates.contains(d)) << name << " adds " << d.ToString();
    }
  }
  // The CME Group US calendar is the NYSE's scheduled holidays without its unscheduled closures.
  const Calendar* nyse = set->Find("NYSE");
  const Calendar* us = set->Find("US");
  ASSERT_NE(us, nullptr);
  for (Date d = *Date::FromYmd(2013, 1, 1); d <= *Date::FromYmd(2030, 12, 31); d = d.AddDays(1)) {
    EXPECT_EQ(*us->IsBusinessDay(d), *nyse->IsScheduledBusinessDay(d)) << d.ToString();
  }
  EXPECT_FALSE(*nyse->IsBusinessDay(*Date::Parse("2018-12-05")));
  EXPECT_FALSE(*nyse->IsBusinessDay(*Date::Parse("2025-01-09")));
}

}  // namespace
}  // namespace eodclear
