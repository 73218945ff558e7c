#include "storage/keys.h"

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>
#include <rocksdb/slice.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show dates as text.
inline void PrintTo(const Date& d, std::ostream* os) {
  *os << d.ToString() << " (day " << d.days_since_epoch() << ")";
}

namespace keys {
namespace {

constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

constexpr auto& D = testing::Day;

// Bytes written as a string: "\x80\x00..." literals need an explicit length because of the NULs.
std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 0xf];
    out += ' ';
  }
  return out;
}

// Byte order as RocksDB's default comparator sees it.
int Compare(const std::string& a, const std::string& b) {
  return rocksdb::BytewiseComparator()->Compare(rocksdb::Slice(a), rocksdb::Slice(b));
}

// Asserts that `keys`, listed in logical order, are strictly increasing in byte order.
void ExpectStrictlyIncreasing(const std::vector<std::string>& keys) {
  for (size_t i = 1; i < keys.size(); ++i) {
    EXPECT_LT(Compare(keys[i - 1], keys[i]), 0)
        << "key " << i - 1 << " [" << Hex(keys[i - 1]) << "] does not sort before key " << i << " ["
        << Hex(keys[i]) << "]";
  }
}

// Asserts that every proper prefix of `key`, and `key` with a byte appended, fails to parse.
template <typename ParseFn>
void ExpectTruncationsAndExtensionsRejected(const std::string& key, ParseFn parse) {
  ASSERT_TRUE(parse(key).has_value()) << "the full key must parse";
  for (size_t n = 0; n < key.size(); ++n) {
    auto r = parse(std::string_view(key).substr(0, n));
    EXPECT_FALSE(r.has_value()) << "prefix of " << n << " of " << key.size() << " bytes parsed";
    if (!r.has_value()) {
      EXPECT_EQ(r.error().code(), Status::Code::kInternal);
    }
  }
  EXPECT_FALSE(parse(key + "x").has_value()) << "key with a trailing byte parsed";
  EXPECT_FALSE(parse(key + std::string(1, '\0')).has_value()) << "key with a trailing NUL parsed";
}

// ---------------------------------------------------------------------------------------------
// Round trips: one test per key type, over edge values of every field.

TEST(KeysTest, OffsetKeyRoundTrips) {
  struct Case {
    std::string topic;
    int32_t partition;
  };
  for (const Case& c : {Case{"trades", 0}, Case{"trades", 7}, Case{"quotes.v1", kI32Max},
                        Case{"t", kI32Min}, Case{"t", -1}, Case{"", 3}}) {
    auto parts = ParseOffsetKey(OffsetKey(c.topic, c.partition));
    ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
    EXPECT_EQ(parts->topic, c.topic);
    EXPECT_EQ(parts->partition, c.partition);
  }
}

TEST(KeysTest, PositionKeyRoundTrips) {
  struct Case {
    std::string firm;
    std::string account;
    std::string contract;
  };
  for (const Case& c :
       {Case{"FIRM1", "ACC-001", "ESM23"}, Case{"F", "A", "M2KU24"}, Case{"", "", ""},
        Case{"CLR", "firm/house", "LIYH19"}, Case{"\xff", "\xff\xfe", "CNHZ99"}}) {
    auto parts = ParsePositionKey(PositionKey(c.firm, c.account, c.contract));
    ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
    EXPECT_EQ(parts->firm, c.firm);
    EXPECT_EQ(parts->account, c.account);
    EXPECT_EQ(parts->contract, c.contract);
  }
}

TEST(KeysTest, ContractDayKeyRoundTrips) {
  struct Case {
    Date date;
    std::string contract;
  };
  for (const Case& c :
       {Case{D("2023-06-16"), "ESM23"}, Case{D("1969-12-31"), "MEM23"}, Case{D("1900-01-01"), "X"},
        Case{D("2199-12-31"), ""}, Case{Date::FromDays(0), "M2KU24"}}) {
    auto parts = ParseContractDayKey(ContractDayKey(c.date, c.contract));
    ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
    EXPECT_EQ(parts->date, c.date);
    EXPECT_EQ(parts->contract, c.contract);
  }
}

TEST(KeysTest, DayTradesKeyRoundTrips) {
  struct Case {
    Date date;
    std::string contract;
    SourcePosition first;
  };
  for (const Case& c : {Case{D("2023-06-16"), "ESM23", {"trades", 2, 42}},
                        Case{D("1969-12-31"), "LIYH19", {"trades", 0, 0}},
                        Case{D("2024-02-29"), "", {"", kI32Max, kI64Max}},
                        Case{D("2024-02-29"), "CNHF24", {"t", kI32Min, kI64Min}},
                        Case{D("2024-02-29"), "CNHF24", {"t", -1, -1}}}) {
    auto parts = ParseDayTradesKey(DayTradesKey(c.date, c.contract, c.first));
    ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
    EXPECT_EQ(parts->date, c.date);
    EXPECT_EQ(parts->contract, c.contract);
    EXPECT_EQ(parts->first, c.first);
  }
}

TEST(KeysTest, DatedSourceKeyRoundTrips) {
  struct Case {
    Date date;
    SourcePosition source;
  };
  for (const Case& c :
       {Case{D("2023-06-16"), {"trades", 2, 42}}, Case{D("1900-01-01"), {"dead", 0, 0}},
        Case{D("2199-12-31"), {"", kI32Max, kI64Max}},
        Case{D("1969-12-31"), {"x", kI32Min, kI64Min}}}) {
    auto parts = ParseDatedSourceKey(DatedSourceKey(c.date, c.source));
    ASSERT_TRUE(parts.has_value()) << parts.error().ToString();
    EXPECT_EQ(parts->date, c.date);
    EXPECT_EQ(parts->source, c.source);
  }
}

TEST(KeysTest, RunKeyRoundTrips) {
  for (Date d : {D("2023-06-16"), D("1969-12-31"), D("1970-01-01"), D("1900-01-01"),
                 D("2199-12-31"), Date::FromDays(kI32Min), Date::FromDays(kI32Max)}) {
    auto parsed = ParseRunKey(RunKey(d));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(*parsed, d);
  }
}

TEST(KeysTest, OffsetValueRoundTrips) {
  for (int64_t offset : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{255}, int64_t{256},
                         int64_t{1} << 40, kI64Min, kI64Max}) {
    std::string value = EncodeOffset(offset);
    EXPECT_EQ(value.size(), 8u);
    auto decoded = DecodeOffset(value);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(*decoded, offset);
  }
}

// ---------------------------------------------------------------------------------------------
// Exact layouts. The format is persisted: these bytes must never change. Worked out by hand from
// keys.h: big-endian fixed width, signed numbers with the sign bit flipped, text + 0x00.
// 2023-06-16 is day 19524 = 0x4C44.

TEST(KeysTest, OffsetKeyLayout) {
  EXPECT_EQ(OffsetKey("t", 1), Bytes({'t', 0, 0x80, 0, 0, 1}));
  EXPECT_EQ(OffsetKey("t", -1), Bytes({'t', 0, 0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(OffsetKey("", 0), Bytes({0, 0x80, 0, 0, 0}));
}

TEST(KeysTest, PositionKeyLayout) {
  EXPECT_EQ(PositionKey("F", "A1", "ESM23"),
            Bytes({'F', 0, 'A', '1', 0, 'E', 'S', 'M', '2', '3', 0}));
}

TEST(KeysTest, DateLayoutsAroundTheEpoch) {
  EXPECT_EQ(RunKey(D("1970-01-01")), Bytes({0x80, 0, 0, 0}));
  EXPECT_EQ(RunKey(D("1969-12-31")), Bytes({0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(RunKey(D("2023-06-16")), Bytes({0x80, 0, 0x4c, 0x44}));
  EXPECT_EQ(DatePrefix(D("2023-06-16")), Bytes({0x80, 0, 0x4c, 0x44}));
  EXPECT_EQ(ContractDayKey(D("2023-06-16"), "ES"), Bytes({0x80, 0, 0x4c, 0x44, 'E', 'S', 0}));
}

TEST(KeysTest, DayTradesKeyLayout) {
  EXPECT_EQ(DayTradesKey(D("2023-06-16"), "ES", {"t", 2, 42}),
            Bytes({0x80, 0,   0x4c, 0x44,                    // date
                   'E',  'S', 0,                             // contract
                   't',  0,                                  // topic
                   0x80, 0,   0,    2,                       // partition
                   0x80, 0,   0,    0,    0, 0, 0, 0x2a}));  // offset 42
}

TEST(KeysTest, DatedSourceKeyLayout) {
  EXPECT_EQ(DatedSourceKey(D("1970-01-02"), {"t", 0, -1}),
            Bytes({0x80, 0, 0, 1,                                      // date: day 1
                   't', 0,                                             // topic
                   0x80, 0, 0, 0,                                      // partition 0
                   0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));  // offset -1
}

TEST(KeysTest, OffsetValueLayout) {
  EXPECT_EQ(EncodeOffset(0), Bytes({0x80, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(EncodeOffset(258), Bytes({0x80, 0, 0, 0, 0, 0, 1, 2}));
  EXPECT_EQ(EncodeOffset(-1), Bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(KeysTest, OutboxTopicRangeHoldsExactlyThatDatesTopic) {
  const Date d = *Date::Parse("2023-06-16");
  const auto [begin, end] = OutboxTopicRange(d, "positions");
  auto inside = [&](const std::string& k) { return begin <= k && k < end; };
  for (const std::string& record :
       std::vector<std::string>{"", "a", "2023-06-16|F|A|ESU23", std::string("\xff\xff", 2)}) {
    EXPECT_TRUE(inside(OutboxKey(d, "positions", record))) << record;
  }
  EXPECT_FALSE(inside(OutboxKey(d, "position", "x")));
  EXPECT_FALSE(inside(OutboxKey(d, "positionsx", "")));
  EXPECT_FALSE(inside(OutboxKey(d.AddDays(1), "positions", "")));
  EXPECT_FALSE(inside(OutboxKey(d.AddDays(-1), "positions", std::string("\xff", 1))));
}

TEST(KeysTest, FormatVersionConstants) {
  EXPECT_EQ(kFormatVersionKey, "format_version");
  EXPECT_EQ(kFormatVersion, "3");
  EXPECT_EQ(kUpgradableFormatVersion, "2");
}

TEST(KeysTest, SettlementKeyRoundTripsAndSortsByContractThenDate) {
  Date d1 = *Date::Parse("2023-06-15"), d2 = *Date::Parse("2023-06-16");
  auto parts = ParseSettlementKey(SettlementKey("ESU23", d2));
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->contract, "ESU23");
  EXPECT_EQ(parts->date, d2);
  // A contract's settlements are adjacent and in date order; "ES" sorts before "ESU23".
  EXPECT_LT(SettlementKey("ESU23", d1), SettlementKey("ESU23", d2));
  EXPECT_LT(SettlementKey("ESU23", d2), SettlementKey("ESZ23", d1));
  EXPECT_TRUE(SettlementKey("ESU23", d1).starts_with(SettlementPrefix("ESU23")));
  EXPECT_FALSE(SettlementKey("ESU230", d1).starts_with(SettlementPrefix("ESU23")));
  EXPECT_FALSE(ParseSettlementKey("ESU23").has_value());
}

TEST(KeysTest, OutboxKeyKeepsAnyRecordKeyAndGroupsByDateAndTopic) {
  Date d = *Date::Parse("2023-06-16");
  std::string record_key = std::string("2023-06-16|F|A\0x|ESU23", 23);
  auto parts = ParseOutboxKey(OutboxKey(d, "variation-margin", record_key));
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->date, d);
  EXPECT_EQ(parts->topic, "variation-margin");
  EXPECT_EQ(parts->record_key, record_key);
  EXPECT_TRUE(OutboxKey(d, "settlement-prices", "k").starts_with(OutboxPrefix(d)));
  EXPECT_FALSE(OutboxKey(d.AddDays(1), "settlement-prices", "k").starts_with(OutboxPrefix(d)));
}

// ---------------------------------------------------------------------------------------------
// Byte order is logical order.

TEST(KeysTest, DatesSortAcrossTheEpoch) {
  std::vector<std::string> keys;
  for (std::string_view d : {"1900-01-01", "1969-12-30", "1969-12-31", "1970-01-01", "1970-01-02",
                             "2023-06-16", "2024-02-29", "2199-12-31"}) {
    keys.push_back(RunKey(D(d)));
  }
  ExpectStrictlyIncreasing(keys);
}

TEST(KeysTest, ExtremeDayNumbersSortAtTheEnds) {
  ExpectStrictlyIncreasing({RunKey(Date::FromDays(kI32Min)), RunKey(Date::FromDays(-256)),
                            RunKey(Date::FromDays(-1)), RunKey(Date::FromDays(0)),
                            RunKey(Date::FromDays(255)), RunKey(Date::FromDays(256)),
                            RunKey(Date::FromDays(kI32Max))});
}

TEST(KeysTest, PartitionsSortNumericallyIncludingNegatives) {
  ExpectStrictlyIncreasing({OffsetKey("t", kI32Min), OffsetKey("t", -256), OffsetKey("t", -1),
                            OffsetKey("t", 0), OffsetKey("t", 1), OffsetKey("t", 255),
                            OffsetKey("t", 256), OffsetKey("t", 65536), OffsetKey("t", kI32Max)});
}

TEST(KeysTest, OffsetsSortNumericallyIncludingNegatives) {
  Date d = D("2023-06-16");
  std::vector<std::string> day_trades;
  std::vector<std::string> dated_source;
  std::vector<std::string> values;
  for (int64_t offset : {kI64Min, int64_t{-256}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{255},
                         int64_t{256}, int64_t{1} << 32, kI64Max}) {
    day_trades.push_back(DayTradesKey(d, "ESM23", {"trades", 0, offset}));
    dated_source.push_back(DatedSourceKey(d, {"trades", 0, offset}));
    values.push_back(EncodeOffset(offset));
  }
  ExpectStrictlyIncreasing(day_trades);
  ExpectStrictlyIncreasing(dated_source);
  ExpectStrictlyIncreasing(values);
}

TEST(KeysTest, SourcePositionsSortByTopicThenPartitionThenOffset) {
  Date d = D("2023-06-16");
  ExpectStrictlyIncreasing({DatedSourceKey(d, {"t", -1, kI64Max}), DatedSourceKey(d, {"t", 0, 5}),
                            DatedSourceKey(d, {"t", 0, 6}), DatedSourceKey(d, {"t", 1, kI64Min}),
                            DatedSourceKey(d, {"t", kI32Max, kI64Max}),
                            DatedSourceKey(d, {"t2", kI32Min, kI64Min})});
}

TEST(KeysTest, ShorterTextSortsBeforeItsExtension) {
  // "ES" < "ESM" whatever follows the text, because the terminator 0x00 is the smallest byte.
  ExpectStrictlyIncreasing({OffsetKey("ES", kI32Max), OffsetKey("ESM", kI32Min)});
  ExpectStrictlyIncreasing({PositionKey("CL", "ZZZ", "ZZZZZ"), PositionKey("CLR", "A", "A")});
  ExpectStrictlyIncreasing({PositionKey("F", "ACC", "ZZZZZ"), PositionKey("F", "ACC1", "A")});
  ExpectStrictlyIncreasing({PositionKey("F", "A", "ES"), PositionKey("F", "A", "ESM23")});
  Date d = D("2023-06-16");
  ExpectStrictlyIncreasing({ContractDayKey(d, ""), ContractDayKey(d, "ES"),
                            ContractDayKey(d, "ESM23"), ContractDayKey(d, "ESM23A"),
                            ContractDayKey(d, "ESZ23"), ContractDayKey(d, "\xff")});
  ExpectStrictlyIncreasing({DayTradesKey(d, "ES", {"\xff", kI32Max, kI64Max}),
                            DayTradesKey(d, "ESM23", {"", kI32Min, kI64Min})});
  ExpectStrictlyIncreasing({DatedSourceKey(d, {"trade", kI32Max, kI64Max}),
                            DatedSourceKey(d, {"trades", kI32Min, kI64Min})});
}

TEST(KeysTest, DayTradesPrefixCoversOnlyItsContract) {
  Date d = D("2023-06-16");
  std::string prefix = DayTradesPrefix(d, "ES");
  EXPECT_TRUE(rocksdb::Slice(DayTradesKey(d, "ES", {"t", 0, 1})).starts_with(prefix));
  EXPECT_FALSE(rocksdb::Slice(DayTradesKey(d, "ESM23", {"t", 0, 1})).starts_with(prefix));
  EXPECT_FALSE(rocksdb::Slice(DayTradesKey(d.AddDays(1), "ES", {"t", 0, 1})).starts_with(prefix));
  EXPECT_TRUE(rocksdb::Slice(DayTradesKey(d, "ES", {"t", 0, 1})).starts_with(DatePrefix(d)));
}

// Every key of one date starts with DatePrefix(date) and sorts after every key of the day before
// and before every key of the day after, whatever its other fields hold.
TEST(KeysTest, AllKeysOfADateShareItsPrefixAndSortBetweenNeighbouringDates) {
  for (std::string_view text : {"1969-12-31", "1970-01-01", "2023-06-16", "2023-12-31"}) {
    Date d = D(text);
    auto keys_of = [](Date date) {
      return std::vector<std::string>{
          RunKey(date),
          ContractDayKey(date, ""),
          ContractDayKey(date, "ESM23"),
          ContractDayKey(date, "\xff\xff\xff"),
          DayTradesKey(date, "", {"", kI32Min, kI64Min}),
          DayTradesKey(date, "\xff\xff", {"\xff", kI32Max, kI64Max}),
          DatedSourceKey(date, {"", kI32Min, kI64Min}),
          DatedSourceKey(date, {"\xff\xff", kI32Max, kI64Max}),
      };
    };
    std::string prefix = DatePrefix(d);
    for (const std::string& key : keys_of(d)) {
      EXPECT_TRUE(rocksdb::Slice(key).starts_with(prefix)) << text << ": " << Hex(key);
      for (const std::string& before : keys_of(d.AddDays(-1))) {
        EXPECT_LT(Compare(before, key), 0) << text << ": " << Hex(before) << "vs " << Hex(key);
        EXPECT_FALSE(rocksdb::Slice(before).starts_with(prefix));
      }
      for (const std::string& after : keys_of(d.AddDays(1))) {
        EXPECT_LT(Compare(key, after), 0) << text << ": " << Hex(key) << "vs " << Hex(after);
        EXPECT_FALSE(rocksdb::Slice(after).starts_with(prefix));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parse rejections: truncated keys, trailing bytes, keys of another type.

TEST(KeysTest, TruncatedOrExtendedOffsetKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(OffsetKey("trades", 3), ParseOffsetKey);
}

TEST(KeysTest, TruncatedOrExtendedPositionKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(PositionKey("FIRM", "ACC", "ESM23"), ParsePositionKey);
  ExpectTruncationsAndExtensionsRejected(PositionKey("", "", ""), ParsePositionKey);
}

TEST(KeysTest, TruncatedOrExtendedContractDayKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(ContractDayKey(D("2023-06-16"), "ESM23"),
                                         ParseContractDayKey);
}

TEST(KeysTest, TruncatedOrExtendedDayTradesKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(DayTradesKey(D("2023-06-16"), "ESM23", {"trades", 1, 9}),
                                         ParseDayTradesKey);
}

TEST(KeysTest, TruncatedOrExtendedDatedSourceKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(DatedSourceKey(D("2023-06-16"), {"trades", 1, 9}),
                                         ParseDatedSourceKey);
}

TEST(KeysTest, TruncatedOrExtendedRunKeyIsRejected) {
  ExpectTruncationsAndExtensionsRejected(RunKey(D("2023-06-16")), ParseRunKey);
}

TEST(KeysTest, TruncatedOrExtendedOffsetValueIsRejected) {
  std::string value = EncodeOffset(42);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(DecodeOffset(std::string_view(value).substr(0, n)).has_value()) << n << " bytes";
  }
  auto longer = DecodeOffset(value + "x");
  ASSERT_FALSE(longer.has_value());
  EXPECT_EQ(longer.error().code(), Status::Code::kInternal);
}

TEST(KeysTest, KeyOfAnotherTypeIsRejected) {
  Date d = D("2023-06-16");
  EXPECT_FALSE(ParseRunKey(ContractDayKey(d, "ESM23")).has_value());
  EXPECT_FALSE(ParseContractDayKey(DayTradesKey(d, "ESM23", {"t", 0, 1})).has_value());
  EXPECT_FALSE(ParseDayTradesKey(ContractDayKey(d, "ESM23")).has_value());
  EXPECT_FALSE(ParseDatedSourceKey(RunKey(d)).has_value());
  EXPECT_FALSE(ParseOffsetKey(PositionKey("F", "A", "ESM23")).has_value());
}

TEST(KeysTest, MalformedKeyErrorGivesKindAndLength) {
  auto r = ParseRunKey("abc");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Status::Code::kInternal);
  EXPECT_EQ(r.error().message(), "malformed run key of 3 bytes");
}

}  // namespace
}  // namespace keys
}  // namespace eodclear
