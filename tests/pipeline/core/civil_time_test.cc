#include "pipeline/core/civil_time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show dates as text.
inline void PrintTo(const Date& d, std::ostream* os) {
  *os << d.ToString() << " (day " << d.days_since_epoch() << ")";
}

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

constexpr auto& D = testing::Day;

// ---------------------------------------------------------------------------------------------
// Date: parsing, fields and formatting. Day numbers are worked out by hand: 2023-01-01 is day
// 19358 (53 years of 365 days plus 13 leap days), 2000-01-01 is day 10957.

struct DateCase {
  std::string_view text;
  int32_t days;
  int year;
  int month;
  int day;
};

class DateParseValidTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(DateParseValidTest, ParsesToDayNumberAndFields) {
  const DateCase& c = GetParam();
  auto d = Date::Parse(c.text);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->days_since_epoch(), c.days);
  EXPECT_EQ(d->year(), c.year);
  EXPECT_EQ(d->month(), c.month);
  EXPECT_EQ(d->day(), c.day);
  EXPECT_EQ(d->ToString(), c.text);
  EXPECT_EQ(Date::FromDays(c.days), *d);
}

INSTANTIATE_TEST_SUITE_P(
    DateTest, DateParseValidTest,
    ::testing::Values(DateCase{"1970-01-01", 0, 1970, 1, 1},          //
                      DateCase{"1970-01-02", 1, 1970, 1, 2},          //
                      DateCase{"1969-12-31", -1, 1969, 12, 31},       // before the epoch
                      DateCase{"2000-01-01", 10957, 2000, 1, 1},      //
                      DateCase{"2023-01-01", 19358, 2023, 1, 1},      //
                      DateCase{"2023-06-16", 19524, 2023, 6, 16},     // 19358 + 151 + 15
                      DateCase{"2023-12-31", 19722, 2023, 12, 31},    //
                      DateCase{"2024-02-29", 19782, 2024, 2, 29},     // leap day
                      DateCase{"2024-03-01", 19783, 2024, 3, 1},      //
                      DateCase{"1900-01-01", -25567, 1900, 1, 1},     // first accepted date
                      DateCase{"2199-12-31", 84005, 2199, 12, 31}));  // last accepted date

class DateParseRejectTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(DateParseRejectTest, RejectsWithInvalidArgumentNamingTheText) {
  std::string_view text = GetParam();
  auto d = Date::Parse(text);
  ASSERT_FALSE(d.has_value()) << "'" << text << "' parsed to " << d->ToString();
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'" + std::string(text) + "'", d.error().message());
}

INSTANTIATE_TEST_SUITE_P(DateTest, DateParseRejectTest,
                         ::testing::Values("2023-02-29",   // not a leap year
                                           "1900-02-29",   // century, not a leap year
                                           "2023-04-31",   // April has 30 days
                                           "2023-13-01",   //
                                           "2023-00-10",   //
                                           "2023-06-00",   //
                                           "2023-06-32",   //
                                           "1899-12-31",   // before the accepted range
                                           "2200-01-01",   // after the accepted range
                                           "2023-6-16",    // not zero-padded
                                           "2023-06-1",    //
                                           "2023/06/16",   //
                                           "20230616",     //
                                           "2023-06-16 ",  // trailing space
                                           " 2023-06-16",  //
                                           "2023-06-16T00:00:00Z",
                                           "2023-06-1a",  //
                                           "+023-06-16",  //
                                           ""));

TEST(DateTest, FromYmdAcceptsLeapDayOnlyInLeapYears) {
  auto leap = Date::FromYmd(2024, 2, 29);
  ASSERT_TRUE(leap.has_value()) << leap.error().ToString();
  EXPECT_EQ(*leap, D("2024-02-29"));
  EXPECT_FALSE(Date::FromYmd(2023, 2, 29).has_value());
  EXPECT_TRUE(Date::FromYmd(2000, 2, 29).has_value());   // divisible by 400
  EXPECT_FALSE(Date::FromYmd(2100, 2, 29).has_value());  // divisible by 100 only
}

TEST(DateTest, FromYmdRejectsOutOfRangeFields) {
  EXPECT_FALSE(Date::FromYmd(2024, 0, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 13, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 1, 0).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 1, 32).has_value());
  EXPECT_FALSE(Date::FromYmd(1899, 12, 31).has_value());
  EXPECT_FALSE(Date::FromYmd(2200, 1, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, -1, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 1, -1).has_value());
  auto bad = Date::FromYmd(2023, 2, 29);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "2023-02-29", bad.error().message());
}

// A month or day beyond 255 must not wrap around to a valid one: 257 is not January and not the
// 1st. (std::chrono::month and std::chrono::day keep only the low byte of their argument.)
TEST(DateTest, FromYmdRejectsMonthOrDayThatWrapsPastAByte) {
  auto day257 = Date::FromYmd(2024, 1, 257);
  EXPECT_FALSE(day257.has_value()) << "2024-01-257 accepted as " << day257->ToString();
  auto month257 = Date::FromYmd(2024, 257, 1);
  EXPECT_FALSE(month257.has_value()) << "2024-257-01 accepted as " << month257->ToString();
  auto day_minus255 = Date::FromYmd(2024, 1, -255);
  EXPECT_FALSE(day_minus255.has_value()) << "2024-01--255 accepted as " << day_minus255->ToString();
}

TEST(DateTest, DefaultIsTheEpoch) {
  EXPECT_EQ(Date().days_since_epoch(), 0);
  EXPECT_EQ(Date().ToString(), "1970-01-01");
}

TEST(DateTest, OrderingFollowsTheCalendar) {
  EXPECT_LT(D("1969-12-31"), D("1970-01-01"));
  EXPECT_LT(D("2023-12-31"), D("2024-01-01"));
  EXPECT_LT(D("2024-02-28"), D("2024-02-29"));
  EXPECT_GT(D("2024-03-01"), D("2024-02-29"));
  EXPECT_EQ(D("2023-06-16"), Date::FromDays(19524));
  EXPECT_NE(D("2023-06-16"), D("2023-06-17"));
}

struct AddDaysCase {
  std::string_view from;
  int32_t n;
  std::string_view to;
};

class DateAddDaysTest : public ::testing::TestWithParam<AddDaysCase> {};

TEST_P(DateAddDaysTest, MovesAcrossMonthsYearsAndTheEpoch) {
  const AddDaysCase& c = GetParam();
  EXPECT_EQ(D(c.from).AddDays(c.n), D(c.to));
}

INSTANTIATE_TEST_SUITE_P(DateTest, DateAddDaysTest,
                         ::testing::Values(AddDaysCase{"2024-02-28", 1, "2024-02-29"},
                                           AddDaysCase{"2024-02-28", 2, "2024-03-01"},
                                           AddDaysCase{"2023-02-28", 1, "2023-03-01"},
                                           AddDaysCase{"2023-12-31", 1, "2024-01-01"},
                                           AddDaysCase{"2024-01-01", -1, "2023-12-31"},
                                           AddDaysCase{"1970-01-01", -1, "1969-12-31"},
                                           AddDaysCase{"2023-06-16", 0, "2023-06-16"},
                                           AddDaysCase{"2023-06-16", 366, "2024-06-16"},
                                           AddDaysCase{"2024-06-16", -366, "2023-06-16"}));

// ---------------------------------------------------------------------------------------------
// ZonedTime: parsing. Expected instants worked out by hand: 2023-06-16 is day 19524, so its
// midnight UTC is 19524 * 86400 = 1'686'873'600 seconds.

constexpr int64_t kMidnight20230616 = 1'686'873'600;

struct ZonedCase {
  std::string_view text;
  int64_t unix_seconds;
  int64_t nanos;  // fraction of the second
  int32_t offset_minutes;
};

class ZonedTimeParseValidTest : public ::testing::TestWithParam<ZonedCase> {};

TEST_P(ZonedTimeParseValidTest, ParsesInstantAndOffset) {
  const ZonedCase& c = GetParam();
  auto t = ZonedTime::Parse(c.text);
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->unix_nanos, c.unix_seconds * kNanosPerSecond + c.nanos);
  EXPECT_EQ(t->utc_offset_minutes, c.offset_minutes);
}

INSTANTIATE_TEST_SUITE_P(
    ZonedTimeTest, ZonedTimeParseValidTest,
    ::testing::Values(
        // 14:59:45Z = 53985 s after midnight.
        ZonedCase{"2023-06-16T14:59:45Z", kMidnight20230616 + 53'985, 0, 0},
        // 14:59:45-05:00 is 19:59:45Z = 71985 s.
        ZonedCase{"2023-06-16T14:59:45-05:00", kMidnight20230616 + 71'985, 0, -300},
        // 14:59:45+05:30 is 09:29:45Z = 34185 s.
        ZonedCase{"2023-06-16T14:59:45+05:30", kMidnight20230616 + 34'185, 0, 330},
        ZonedCase{"2023-06-16T14:59:45.5-05:00", kMidnight20230616 + 71'985, 500'000'000, -300},
        ZonedCase{"2023-06-16T14:59:45.123456789Z", kMidnight20230616 + 53'985, 123'456'789, 0},
        ZonedCase{"2023-06-16T14:59:45.000000001Z", kMidnight20230616 + 53'985, 1, 0},
        ZonedCase{"2023-06-16T14:59:45,25Z", kMidnight20230616 + 53'985, 250'000'000, 0},
        ZonedCase{"2023-06-16T14:59:45.120Z", kMidnight20230616 + 53'985, 120'000'000, 0},
        ZonedCase{"2023-06-16T14:59:45+00:00", kMidnight20230616 + 53'985, 0, 0},
        ZonedCase{"2023-06-16T14:59:45-00:00", kMidnight20230616 + 53'985, 0, 0},
        // 23:30-05:00 is 04:30Z on the next day: 86400 + 16200.
        ZonedCase{"2023-06-16T23:30:00-05:00", kMidnight20230616 + 102'600, 0, -300},
        // 00:30+02:00 is 22:30Z on the previous day: -5400.
        ZonedCase{"2023-06-17T00:30:00+02:00", kMidnight20230616 + 81'000, 0, 120},
        ZonedCase{"2023-06-16T00:00:00+18:00", kMidnight20230616 - 64'800, 0, 1080},
        ZonedCase{"2023-06-16T00:00:00-18:00", kMidnight20230616 + 64'800, 0, -1080},
        ZonedCase{"1970-01-01T00:00:00Z", 0, 0, 0},
        // Half a second before the epoch: -1 s + 0.5 s.
        ZonedCase{"1969-12-31T23:59:59.5Z", -1, 500'000'000, 0},
        ZonedCase{"2023-06-16T23:59:59Z", kMidnight20230616 + 86'399, 0, 0}));

class ZonedTimeParseRejectTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(ZonedTimeParseRejectTest, RejectsWithInvalidArgumentNamingTheText) {
  std::string_view text = GetParam();
  auto t = ZonedTime::Parse(text);
  ASSERT_FALSE(t.has_value()) << "'" << text << "' parsed to " << t->ToString();
  EXPECT_EQ(t.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'" + std::string(text) + "'", t.error().message());
}

INSTANTIATE_TEST_SUITE_P(ZonedTimeTest, ZonedTimeParseRejectTest,
                         ::testing::Values("2023-06-16T14:59:45",         // no zone
                                           "2023-06-16T14:59:45.5",       // no zone
                                           "2023-06-16T14:59:45+0500",    // offset without colon
                                           "2023-06-16T14:59:45+05",      // offset without minutes
                                           "2023-06-16T14:59:45+5:00",    //
                                           "2023-06-16T14:59:45+05:60",   // minutes out of range
                                           "2023-06-16T14:59:45+19:00",   // hours out of range
                                           "2023-06-16T14:59:45 +05:00",  //
                                           "2023-06-16T14:59:45ZZ",       // trailing characters
                                           "2023-06-16T14:59:45Z ",       //
                                           "2023-06-16T14:59:45-05:00x",  //
                                           "2023-06-16T14:59:45+05:00:00",  //
                                           "2023-06-16T14:59:45z",          // lower-case zone
                                           "2023-06-16T24:00:00Z",          // 24:00 is not a time
                                           "2023-06-16T23:60:00Z",          //
                                           "2023-06-16T23:59:60Z",          // leap second
                                           "2023-06-16 14:59:45Z",          // space for T
                                           "2023-06-16t14:59:45Z",          //
                                           "2023-06-16T14:59Z",             // no seconds
                                           "2023-06-16T1:59:45Z",           //
                                           "2023-06-16T14:59:45.Z",         // empty fraction
                                           "2023-06-16T14:59:45.1234567890Z",  // finer than ns
                                           "2023-02-29T00:00:00Z",             // invalid date
                                           "2023-06-16",                       //
                                           ""));

// ---------------------------------------------------------------------------------------------
// ZonedTime: formatting.

class ZonedTimeRoundTripTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(ZonedTimeRoundTripTest, ToStringReproducesCanonicalText) {
  auto t = ZonedTime::Parse(GetParam());
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->ToString(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(ZonedTimeTest, ZonedTimeRoundTripTest,
                         ::testing::Values("2023-06-16T14:59:45Z",                 //
                                           "2023-06-16T14:59:45-05:00",            //
                                           "2023-06-16T14:59:45.5-05:00",          //
                                           "2023-06-16T23:30:00.123456789+05:30",  //
                                           "2023-06-16T00:00:00.000000001-09:30",  //
                                           "2023-06-16T23:30:00-05:00",            //
                                           "2023-06-17T00:30:00+02:00",            //
                                           "1969-12-31T23:59:59.5Z",               //
                                           "1969-12-31T19:00:00-05:00",            //
                                           "2024-02-29T23:59:59.999999999+14:00"));

TEST(ZonedTimeTest, ToStringCanonicalizesFractionAndUtcOffset) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  for (const Case& c : {Case{"2023-06-16T14:59:45.500Z", "2023-06-16T14:59:45.5Z"},
                        Case{"2023-06-16T14:59:45.000Z", "2023-06-16T14:59:45Z"},
                        Case{"2023-06-16T14:59:45,25Z", "2023-06-16T14:59:45.25Z"},
                        Case{"2023-06-16T14:59:45+00:00", "2023-06-16T14:59:45Z"},
                        Case{"2023-06-16T14:59:45-00:00", "2023-06-16T14:59:45Z"}}) {
    auto t = ZonedTime::Parse(c.in);
    ASSERT_TRUE(t.has_value()) << t.error().ToString();
    EXPECT_EQ(t->ToString(), c.out) << "from " << c.in;
  }
}

TEST(ZonedTimeTest, ToStringWritesLocalTimeOfTheStatedOffset) {
  EXPECT_EQ((ZonedTime{0, 0}).ToString(), "1970-01-01T00:00:00Z");
  EXPECT_EQ((ZonedTime{0, -300}).ToString(), "1969-12-31T19:00:00-05:00");
  EXPECT_EQ((ZonedTime{0, 90}).ToString(), "1970-01-01T01:30:00+01:30");
  EXPECT_EQ((ZonedTime{-1, 0}).ToString(), "1969-12-31T23:59:59.999999999Z");
}

// ---------------------------------------------------------------------------------------------
// ZonedTime: local date.

struct LocalDateCase {
  std::string_view text;
  std::string_view local_date;
  std::string_view utc_date;
};

class ZonedTimeLocalDateTest : public ::testing::TestWithParam<LocalDateCase> {};

TEST_P(ZonedTimeLocalDateTest, IsTheCalendarDateInTheStatedOffset) {
  const LocalDateCase& c = GetParam();
  auto t = ZonedTime::Parse(c.text);
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->LocalDate(), D(c.local_date));
  EXPECT_EQ((ZonedTime{t->unix_nanos, 0}).LocalDate(), D(c.utc_date)) << "same instant in UTC";
}

INSTANTIATE_TEST_SUITE_P(
    ZonedTimeTest, ZonedTimeLocalDateTest,
    ::testing::Values(
        LocalDateCase{"2023-06-16T23:30:00-05:00", "2023-06-16", "2023-06-17"},  // UTC is tomorrow
        LocalDateCase{"2023-06-17T00:30:00+02:00", "2023-06-17", "2023-06-16"},  // UTC is yesterday
        LocalDateCase{"2023-06-16T00:00:00Z", "2023-06-16", "2023-06-16"},
        LocalDateCase{"2023-06-16T23:59:59.999999999Z", "2023-06-16", "2023-06-16"},
        LocalDateCase{"2023-06-16T00:00:00-05:00", "2023-06-16", "2023-06-16"},
        LocalDateCase{"2023-06-16T19:00:00-05:00", "2023-06-16", "2023-06-17"},
        LocalDateCase{"2023-12-31T20:00:00-05:00", "2023-12-31", "2024-01-01"},
        LocalDateCase{"1969-12-31T23:59:59.5Z", "1969-12-31", "1969-12-31"},
        LocalDateCase{"1970-01-01T00:30:00+01:00", "1970-01-01", "1969-12-31"}));

}  // namespace
}  // namespace eodclear
