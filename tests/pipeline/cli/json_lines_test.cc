#include "pipeline/cli/json_lines.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/eod_run.pb.h"
#include "clearing/v1/position.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/reference_price.pb.h"
#include "clearing/v1/trade.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "tests/testing/case_name.h"

namespace eodclear {
namespace {

using testing::CaseName;

using clearing::v1::DeadLetter;
using clearing::v1::EodRun;

// ---------------------------------------------------------------------------------------------
// Field names, order and kinds.

TEST(JsonLinesTest, TradeFieldsInFieldNumberOrderWithNestedParties) {
  clearing::v1::Trade t;
  t.set_trade_id("T-1");
  t.set_trade_date("2023-06-16");
  t.set_exec_time("2023-06-16T09:30:00-05:00");
  t.set_contract("ESM23");
  t.set_price("4400.25");
  t.set_quantity(3);
  t.mutable_buyer()->set_firm("FIRMA");
  t.mutable_buyer()->set_account("ACC1");
  t.mutable_seller()->set_firm("FIRMB");
  t.mutable_seller()->set_account("ACC2");
  EXPECT_EQ(
      ToJsonLine(t),
      R"({"trade_id":"T-1","trade_date":"2023-06-16","exec_time":"2023-06-16T09:30:00-05:00",)"
      R"("contract":"ESM23","price":"4400.25","quantity":3,)"
      R"("buyer":{"firm":"FIRMA","account":"ACC1"},"seller":{"firm":"FIRMB","account":"ACC2"}})");
}

TEST(JsonLinesTest, DefaultValuesArePrintedSoEveryRecordHasTheSameKeys) {
  EXPECT_EQ(ToJsonLine(clearing::v1::Trade()),
            R"({"trade_id":"","trade_date":"","exec_time":"","contract":"","price":"",)"
            R"("quantity":0,"buyer":{"firm":"","account":""},"seller":{"firm":"","account":""}})");
  EXPECT_EQ(ToJsonLine(EodRun()),
            R"({"business_date":"","run_id":"","status":"STATUS_UNSPECIFIED","topics":[],)"
            R"("stages":[],"messages_consumed":0,"messages_rejected":0,"unknown_accounts":[],"corrects_run_id":""})");
}

TEST(JsonLinesTest, ShortPositionQuantityIsANegativeNumber) {
  clearing::v1::Position p;
  p.set_business_date("2023-06-16");
  p.set_run_id("run-1");
  p.set_firm("FIRMA");
  p.set_account("ACC1");
  p.set_contract("ESM23");
  p.set_quantity(-42);  // sint64 on the wire
  p.set_bought(3);
  p.set_sold(45);
  EXPECT_EQ(ToJsonLine(p),
            R"({"business_date":"2023-06-16","run_id":"run-1","firm":"FIRMA","account":"ACC1",)"
            R"("contract":"ESM23","quantity":-42,"bought":3,"sold":45})");
}

TEST(JsonLinesTest, Int64ExtremesArePrintedInFull) {
  clearing::v1::Position p;
  p.set_quantity(std::numeric_limits<int64_t>::min());
  p.set_bought(std::numeric_limits<int64_t>::max());
  std::string line = ToJsonLine(p);
  EXPECT_NE(line.find(R"("quantity":-9223372036854775808,)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("bought":9223372036854775807,)"), std::string::npos) << line;
}

TEST(JsonLinesTest, QuoteSizesAreNumbersAndDecimalsStayStrings) {
  clearing::v1::Quote q;
  q.set_contract("ESM23");
  q.set_time("2023-06-16T14:59:59Z");
  q.set_bid("4400.25");
  q.set_bid_size(10);
  q.set_ask("4400.50");
  q.set_ask_size(7);
  EXPECT_EQ(ToJsonLine(q),
            R"({"contract":"ESM23","time":"2023-06-16T14:59:59Z","bid":"4400.25","bid_size":10,)"
            R"("ask":"4400.50","ask_size":7})");
}

TEST(JsonLinesTest, EnumsArePrintedByName) {
  clearing::v1::ReferencePrice r;
  r.set_name("SPX");
  r.set_date("2023-06-16");
  r.set_kind(clearing::v1::ReferencePrice::SOQ);
  r.set_value("4425.37");
  r.set_published_at("2023-06-16T09:35:00-04:00");
  EXPECT_EQ(ToJsonLine(r), R"({"name":"SPX","date":"2023-06-16","kind":"SOQ","value":"4425.37",)"
                           R"("published_at":"2023-06-16T09:35:00-04:00"})");
}

TEST(JsonLinesTest, DeadLetterWithEveryKindOfField) {
  DeadLetter dl;
  dl.set_business_date("2023-06-16");
  dl.set_run_id("run-1");
  dl.set_source_topic("trades");
  dl.set_partition(2);
  dl.set_offset(1234567890123);
  dl.set_reason(DeadLetter::OFF_TICK_PRICE);
  dl.set_detail("price 4400.10 is not a multiple of ES's tick 0.25");
  dl.set_original_key("ESM23");
  dl.set_original_value(std::string("\x0a\x03T-1", 5));
  // Base64 by hand: "ESM23" = 45 53 4d 32 33 -> "RVNNMjM=";
  // 0a 03 54 2d 31 -> 000010 100000 001101 010100 | 001011 010011 0001(00) -> "CgNULTE=".
  EXPECT_EQ(ToJsonLine(dl),
            R"({"business_date":"2023-06-16","run_id":"run-1","source_topic":"trades",)"
            R"("partition":2,"offset":1234567890123,"reason":"OFF_TICK_PRICE",)"
            R"("detail":"price 4400.10 is not a multiple of ES's tick 0.25",)"
            R"("original_key":"RVNNMjM=","original_value":"CgNULTE="})");
}

TEST(JsonLinesTest, EodRunWithRepeatedNestedTopicsAndDoubles) {
  EodRun run;
  run.set_business_date("2023-06-16");
  run.set_run_id("run-1");
  run.set_status(EodRun::SUCCEEDED_WITH_DATA_ERRORS);
  auto* positions = run.add_topics();
  positions->set_topic("positions");
  positions->set_records(2);
  positions->set_checksum("00002b34ce80a3b9");
  auto* dead = run.add_topics();
  dead->set_topic("dead-letters");
  dead->set_records(0);
  dead->set_checksum("0000000000000000");
  auto* ingest = run.add_stages();
  ingest->set_stage("ingest");
  ingest->set_seconds(1.5);
  auto* publish = run.add_stages();
  publish->set_stage("publish");
  publish->set_seconds(0.25);
  run.set_messages_consumed(12);
  run.set_messages_rejected(1);
  EXPECT_EQ(
      ToJsonLine(run),
      R"({"business_date":"2023-06-16","run_id":"run-1","status":"SUCCEEDED_WITH_DATA_ERRORS",)"
      R"("topics":[{"topic":"positions","records":2,"checksum":"00002b34ce80a3b9","retracted":0},)"
      R"({"topic":"dead-letters","records":0,"checksum":"0000000000000000","retracted":0}],)"
      R"("stages":[{"stage":"ingest","seconds":1.5},{"stage":"publish","seconds":0.25}],)"
      R"("messages_consumed":12,"messages_rejected":1,"unknown_accounts":[],"corrects_run_id":""})");
}

TEST(JsonLinesTest, RepeatedStringsAndMapsOfTheStateSchema) {
  eodclear::state::v1::RunState s;
  s.add_completed_stages("ingest");
  s.add_completed_stages("settlement");
  (*s.mutable_stage_seconds())["ingest"] = 2.0;
  EXPECT_EQ(ToJsonLine(s),
            R"({"completed_stages":["ingest","settlement"],"published_run_id":"",)"
            R"("messages_consumed":0,"messages_rejected":0,"stage_seconds":{"ingest":2},"correcting_run_id":"","start_of_day_kept":false})");
}

// ---------------------------------------------------------------------------------------------
// Doubles.

struct DoubleCase {
  double value;
  std::string_view json;
};
void PrintTo(const DoubleCase& c, std::ostream* os) { *os << c.json; }

class JsonLinesDoubleTest : public ::testing::TestWithParam<DoubleCase> {};

TEST_P(JsonLinesDoubleTest, PrintsTheShortestTextThatReadsBack) {
  EodRun run;
  run.add_stages()->set_seconds(GetParam().value);
  EXPECT_EQ(ToJsonLine(run),
            R"({"business_date":"","run_id":"","status":"STATUS_UNSPECIFIED","topics":[],)"
            R"("stages":[{"stage":"","seconds":)" +
                std::string(GetParam().json) +
                R"(}],"messages_consumed":0,"messages_rejected":0,"unknown_accounts":[],"corrects_run_id":""})");
}

INSTANTIATE_TEST_SUITE_P(JsonLinesTest, JsonLinesDoubleTest,
                         ::testing::Values(DoubleCase{0.0, "0"}, DoubleCase{1.5, "1.5"},
                                           DoubleCase{0.1, "0.1"}, DoubleCase{-2.75, "-2.75"},
                                           DoubleCase{12345.678, "12345.678"},
                                           DoubleCase{3.0, "3"}));

// ---------------------------------------------------------------------------------------------
// String escaping.

struct EscapeCase {
  std::string_view name;
  std::string raw;
  std::string_view json;  // the JSON string literal, quotes included
};
void PrintTo(const EscapeCase& c, std::ostream* os) { *os << c.name; }

class JsonLinesEscapeTest : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(JsonLinesEscapeTest, StringIsEscaped) {
  clearing::v1::Trade t;
  t.set_trade_id(GetParam().raw);
  std::string line = ToJsonLine(t);
  std::string want = R"({"trade_id":)" + std::string(GetParam().json) + ",";
  EXPECT_EQ(line.substr(0, want.size()), want) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << "a JSON line must stay on one line";
}

INSTANTIATE_TEST_SUITE_P(
    JsonLinesTest, JsonLinesEscapeTest,
    ::testing::Values(EscapeCase{"Plain", "T-1", R"("T-1")"},
                      EscapeCase{"Quote", R"(say "hi")", R"("say \"hi\"")"},
                      EscapeCase{"Backslash", R"(a\b)", R"("a\\b")"},
                      EscapeCase{"Newline", "a\nb", R"("a\nb")"},
                      EscapeCase{"CarriageReturn", "a\rb", R"("a\rb")"},
                      EscapeCase{"Tab", "a\tb", R"("a\tb")"},
                      EscapeCase{"ZeroByte", std::string("a\0b", 3), R"("a\u0000b")"},
                      EscapeCase{"OtherControlChars", "\x01\x1f", R"("\u0001\u001f")"},
                      EscapeCase{"SpaceIsNotControl", " ", R"(" ")"},
                      EscapeCase{"Utf8PassesThrough", "\xe2\x82\xac", "\"\xe2\x82\xac\""},
                      EscapeCase{"SlashIsNotEscaped", "a/b", R"("a/b")"},
                      EscapeCase{"AllTogether", "\"\\\n", R"("\"\\\n")"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// Bytes as base64 (RFC 4648, padded).

struct Base64Case {
  std::string_view name;
  std::string raw;
  std::string_view base64;
};
void PrintTo(const Base64Case& c, std::ostream* os) { *os << c.name; }

class JsonLinesBase64Test : public ::testing::TestWithParam<Base64Case> {};

TEST_P(JsonLinesBase64Test, BytesAreBase64) {
  DeadLetter dl;
  dl.set_original_value(GetParam().raw);
  std::string line = ToJsonLine(dl);
  std::string want = R"("original_value":")" + std::string(GetParam().base64) + R"("})";
  ASSERT_GE(line.size(), want.size());
  EXPECT_EQ(line.substr(line.size() - want.size()), want) << line;
}

INSTANTIATE_TEST_SUITE_P(
    JsonLinesTest, JsonLinesBase64Test,
    ::testing::Values(
        // RFC 4648 section 10 test vectors: remainders 0, 1, 2 after whole groups of three.
        Base64Case{"Empty", "", ""}, Base64Case{"OneByte", "f", "Zg=="},
        Base64Case{"TwoBytes", "fo", "Zm8="}, Base64Case{"ThreeBytes", "foo", "Zm9v"},
        Base64Case{"FourBytes", "foob", "Zm9vYg=="}, Base64Case{"FiveBytes", "fooba", "Zm9vYmE="},
        Base64Case{"SixBytes", "foobar", "Zm9vYmFy"},
        // Zero bytes: 00 -> 000000 00(0000) -> "AA=="; 00 01 -> "AAE="; 00 01 02 -> "AAEC".
        Base64Case{"ZeroByte", std::string(1, '\0'), "AA=="},
        Base64Case{"ZeroOne", std::string("\0\1", 2), "AAE="},
        Base64Case{"ZeroOneTwo", std::string("\0\1\2", 3), "AAEC"},
        // High bytes use the last two letters: ff fe fd -> 111111 111111 111011 111101 -> "//79";
        // fb ff -> 111110 111111 1111(00) -> "+/8=".
        Base64Case{"HighBytes", "\xff\xfe\xfd", "//79"},
        Base64Case{"PlusAndSlash", "\xfb\xff", "+/8="}),
    CaseName());

}  // namespace
}  // namespace eodclear
