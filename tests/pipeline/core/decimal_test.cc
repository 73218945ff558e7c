#include "pipeline/core/decimal.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show decimals as text instead of raw bytes.
inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.ToString(); }

namespace {

// 10^n as a 128-bit integer, for expected values beyond int64.
Int128 Pow10(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

constexpr auto& D = testing::Dec;

// ---------------------------------------------------------------------------------------------
// Parse: accepted forms. Expected units are the value times 10^8, worked out by hand.

struct ParseCase {
  std::string_view text;
  int64_t units;
};

class DecimalParseValidTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(DecimalParseValidTest, ParsesToExactUnits) {
  const ParseCase& c = GetParam();
  auto d = Decimal::Parse(c.text);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_TRUE(d->units() == Int128{c.units}) << "'" << c.text << "' parsed to " << d->ToString();
}

INSTANTIATE_TEST_SUITE_P(DecimalTest, DecimalParseValidTest,
                         ::testing::Values(ParseCase{"0", 0},                        //
                                           ParseCase{"1", 100'000'000},              //
                                           ParseCase{"-1", -100'000'000},            //
                                           ParseCase{"0.25", 25'000'000},            //
                                           ParseCase{"4187.25", 418'725'000'000},    //
                                           ParseCase{"-4187.75", -418'775'000'000},  //
                                           ParseCase{"0.0001", 10'000},              //
                                           ParseCase{"0.10", 10'000'000},            //
                                           ParseCase{"100000", 10'000'000'000'000},  //
                                           ParseCase{"7.12345678",
                                                     712'345'678},  // exactly 8 fraction digits
                                           ParseCase{"-0.00000001", -1},      // smallest magnitude
                                           ParseCase{"007.50", 750'000'000},  // leading zeros
                                           ParseCase{"-0", 0},  // negative zero is zero
                                           ParseCase{"-0.0", 0}));

TEST(DecimalTest, ParseAcceptsThirtyIntegerDigits) {
  // 30 nines: (10^30 - 1) * 10^8 units = 10^38 - 10^8.
  std::string text(30, '9');
  auto d = Decimal::Parse(text);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_TRUE(d->units() == Pow10(38) - Pow10(8));
  auto neg = Decimal::Parse("-" + text);
  ASSERT_TRUE(neg.has_value()) << neg.error().ToString();
  EXPECT_TRUE(neg->units() == -(Pow10(38) - Pow10(8)));
}

// ---------------------------------------------------------------------------------------------
// Parse: rejections. Each is an InvalidArgument whose message quotes the text.

class DecimalParseRejectTest : public ::testing::TestWithParam<std::string_view> {};

TEST_P(DecimalParseRejectTest, RejectsWithInvalidArgumentNamingTheText) {
  std::string_view text = GetParam();
  auto d = Decimal::Parse(text);
  ASSERT_FALSE(d.has_value()) << "'" << text << "' parsed to " << d->ToString();
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
  std::string quoted = "'" + std::string(text) + "'";
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, quoted, d.error().message());
}

INSTANTIATE_TEST_SUITE_P(DecimalTest, DecimalParseRejectTest,
                         ::testing::Values("",             // empty
                                           "+1",           // explicit plus sign
                                           "1e5",          // exponent
                                           "1E5",          //
                                           "1.",           // no digits after the point
                                           ".5",           // no digits before the point
                                           "-.5",          //
                                           "-",            // sign only
                                           "--1",          //
                                           "0.123456789",  // 9 fraction digits
                                           "1.000000000",  // 9 fraction digits, all zero
                                           " 1",           // leading space
                                           "1 ",           // trailing space
                                           "1 000",        // inner space
                                           "1.2.3",        // two points
                                           "1..2",         //
                                           "1,5",          // decimal comma
                                           "abc",          //
                                           "0x10",         //
                                           "9999999999999999999999999999999"));  // 31 digits

TEST(DecimalTest, ParseErrorSaysWhyForNineFractionDigits) {
  auto d = Decimal::Parse("0.123456789");
  ASSERT_FALSE(d.has_value());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "more than 8 fraction digits", d.error().message());
}

// ---------------------------------------------------------------------------------------------
// ToString: shortest exact form.

struct ToStringCase {
  int64_t units;
  std::string_view text;
};

class DecimalToStringTest : public ::testing::TestWithParam<ToStringCase> {};

TEST_P(DecimalToStringTest, WritesShortestExactForm) {
  EXPECT_EQ(Decimal::FromUnits(GetParam().units).ToString(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    DecimalTest, DecimalToStringTest,
    ::testing::Values(ToStringCase{0, "0"},                      //
                      ToStringCase{100'000'000, "1"},            //
                      ToStringCase{-100'000'000, "-1"},          //
                      ToStringCase{1'234'500'000'000, "12345"},  // whole: no point
                      ToStringCase{150'000'000, "1.5"},          // trailing zeros dropped
                      ToStringCase{25'000'000, "0.25"},          // below 1 keeps its 0
                      ToStringCase{-25'000'000, "-0.25"},        // negative below 1
                      ToStringCase{10'000'000, "0.1"},           //
                      ToStringCase{10'000, "0.0001"},            // inner zeros kept
                      ToStringCase{1, "0.00000001"},             //
                      ToStringCase{-1, "-0.00000001"},           //
                      ToStringCase{100'000'001, "1.00000001"},   //
                      ToStringCase{-418'775'000'000, "-4187.75"}));

TEST(DecimalTest, ToStringOfThirtyDigitValue) {
  EXPECT_EQ(Decimal::FromUnits(Pow10(38) - Pow10(8)).ToString(), std::string(30, '9'));
  EXPECT_EQ(Decimal::FromUnits(-(Pow10(38) - 1)).ToString(),
            "-" + std::string(30, '9') + "." + std::string(8, '9'));
}

TEST(DecimalTest, ToStringOfMostNegativeValue) {
  // -2^127 units; 2^127 = 170141183460469231731687303715884105728.
  Int128 min = -static_cast<Int128>(static_cast<UInt128>(1) << 126) * 2;
  EXPECT_EQ(Decimal::FromUnits(min).ToString(), "-1701411834604692317316873037158.84105728");
}

TEST(DecimalTest, ToStringNormalizesNonShortestInput) {
  EXPECT_EQ(D("1.50").ToString(), "1.5");
  EXPECT_EQ(D("007").ToString(), "7");
  EXPECT_EQ(D("-0").ToString(), "0");
  EXPECT_EQ(D("0.10000000").ToString(), "0.1");
}

TEST(DecimalTest, ShortestFormsRoundTripThroughParse) {
  for (std::string_view text : {"0", "1", "-3.1", "0.25", "12345.6789", "-0.00000001"}) {
    EXPECT_EQ(D(text).ToString(), text);
  }
}

TEST(DecimalTest, FromIntScalesWholeNumbers) {
  EXPECT_EQ(Decimal::FromInt(50), D("50"));
  EXPECT_EQ(Decimal::FromInt(-3), D("-3"));
  EXPECT_TRUE(Decimal::FromInt(1).units() == Decimal::kOne);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic and comparisons.

TEST(DecimalTest, AdditionIsExactWhereBinaryFloatingPointIsNot) {
  EXPECT_EQ(D("0.1") + D("0.2"), D("0.3"));
  EXPECT_TRUE((D("0.1") + D("0.2")).units() == 30'000'000);
}

TEST(DecimalTest, SubtractionCrossesZero) {
  EXPECT_EQ(D("5") - D("7.25"), D("-2.25"));
  EXPECT_EQ(D("-2.25") - D("-2.25"), Decimal());
}

TEST(DecimalTest, NegationFlipsSign) {
  EXPECT_EQ(-D("4187.25"), D("-4187.25"));
  EXPECT_EQ(-D("-0.5"), D("0.5"));
  EXPECT_EQ(-Decimal(), Decimal());
}

TEST(DecimalTest, CompoundAssignmentAccumulates) {
  Decimal sum;
  sum += D("4187.25");
  sum += D("0.5");
  sum -= D("10");
  EXPECT_EQ(sum, D("4177.75"));
}

TEST(DecimalTest, MultiplicationByWholeNumber) {
  EXPECT_EQ(D("4187.25") * 3, D("12561.75"));
  EXPECT_EQ(D("0.25") * -4, D("-1"));
  EXPECT_EQ(D("0.0001") * 100000, D("10"));
  EXPECT_EQ(D("12.5") * 0, Decimal());
}

TEST(DecimalTest, ComparisonsFollowNumericOrder) {
  EXPECT_LT(D("-0.01"), Decimal());
  EXPECT_LT(Decimal(), D("0.01"));
  EXPECT_LT(D("-10"), D("-9.99999999"));
  EXPECT_GT(D("10"), D("9.99999999"));
  EXPECT_LE(D("1.5"), D("1.50"));
  EXPECT_GE(D("1.5"), D("1.50"));
  EXPECT_EQ(D("1.5"), D("1.50"));
  EXPECT_NE(D("1.5"), D("1.05"));
}

TEST(DecimalTest, ZeroAndSignPredicates) {
  EXPECT_TRUE(Decimal().is_zero());
  EXPECT_TRUE(D("-0").is_zero());
  EXPECT_FALSE(D("0.00000001").is_zero());
  EXPECT_TRUE(D("-0.00000001").is_negative());
  EXPECT_FALSE(Decimal().is_negative());
  EXPECT_FALSE(D("3").is_negative());
}

// ---------------------------------------------------------------------------------------------
// IsMultipleOf: prices on their tick.

struct MultipleCase {
  std::string_view value;
  std::string_view increment;
  bool expected;
};

class DecimalIsMultipleOfTest : public ::testing::TestWithParam<MultipleCase> {};

TEST_P(DecimalIsMultipleOfTest, DecidesWhetherValueIsOnIncrement) {
  const MultipleCase& c = GetParam();
  EXPECT_EQ(D(c.value).IsMultipleOf(D(c.increment)), c.expected)
      << c.value << " on increment " << c.increment;
}

INSTANTIATE_TEST_SUITE_P(
    DecimalTest, DecimalIsMultipleOfTest,
    ::testing::Values(MultipleCase{"4187.25", "0.25", true},     // ES quarter-point tick
                      MultipleCase{"4187.5", "0.25", true},      //
                      MultipleCase{"4187", "0.25", true},        //
                      MultipleCase{"4187.3", "0.25", false},     //
                      MultipleCase{"4187.1", "0.25", false},     //
                      MultipleCase{"-4187.75", "0.25", true},    // negative (spread) price
                      MultipleCase{"-4187.1", "0.25", false},    //
                      MultipleCase{"0", "0.25", true},           //
                      MultipleCase{"7.1234", "0.0001", true},    // CNH tick
                      MultipleCase{"7.12345", "0.0001", false},  //
                      MultipleCase{"0.0001", "0.0001", true},    //
                      MultipleCase{"0.00005", "0.0001", false},  //
                      MultipleCase{"2001.5", "0.5", true},       // MEE half-euro tick
                      MultipleCase{"2001", "0.5", true},         //
                      MultipleCase{"2001.25", "0.5", false},     //
                      MultipleCase{"2650.3", "0.1", true},       // ME tick
                      MultipleCase{"2650.35", "0.1", false},     //
                      MultipleCase{"34512", "1", true},          // YM whole-point tick
                      MultipleCase{"34512.5", "1", false},       //
                      MultipleCase{"0.1", "0.25", false}));      // smaller than the increment

TEST(DecimalTest, IsMultipleOfRejectsNonPositiveIncrement) {
  EXPECT_FALSE(D("1").IsMultipleOf(Decimal()));
  EXPECT_FALSE(D("0").IsMultipleOf(Decimal()));
  EXPECT_FALSE(D("1").IsMultipleOf(D("-0.25")));
  EXPECT_FALSE(D("-0.5").IsMultipleOf(D("-0.25")));
}

// ---------------------------------------------------------------------------------------------
// MultiplyExact.

struct ProductCase {
  std::string_view a;
  std::string_view b;
  std::string_view product;
};

class DecimalMultiplyExactTest : public ::testing::TestWithParam<ProductCase> {};

TEST_P(DecimalMultiplyExactTest, ReturnsExactProduct) {
  const ProductCase& c = GetParam();
  auto p = D(c.a).MultiplyExact(D(c.b));
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(*p, D(c.product));
  auto q = D(c.b).MultiplyExact(D(c.a));
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  EXPECT_EQ(*q, D(c.product)) << "multiplication must commute";
}

INSTANTIATE_TEST_SUITE_P(
    DecimalTest, DecimalMultiplyExactTest,
    ::testing::Values(ProductCase{"4187.25", "50", "209362.5"},       // ES price x multiplier
                      ProductCase{"0.25", "50", "12.5"},              // ES tick value
                      ProductCase{"0.25", "0.25", "0.0625"},          //
                      ProductCase{"7.1234", "100000", "712340"},      // CNH notional
                      ProductCase{"0.0001", "10000", "1"},            // MNH tick value
                      ProductCase{"2001.5", "0.1", "200.15"},         // MEE
                      ProductCase{"-2.5", "4", "-10"},                //
                      ProductCase{"-2.5", "-4", "10"},                //
                      ProductCase{"0.0001", "0.0001", "0.00000001"},  // exactly 8 digits
                      ProductCase{"123456.789", "0", "0"},            //
                      ProductCase{"1", "-0.00000001", "-0.00000001"}));

class DecimalMultiplyExactRejectTest : public ::testing::TestWithParam<ProductCase> {};

TEST_P(DecimalMultiplyExactRejectTest, RejectsProductFinerThanEightDigits) {
  const ProductCase& c = GetParam();
  auto p = D(c.a).MultiplyExact(D(c.b));
  ASSERT_FALSE(p.has_value()) << c.a << " x " << c.b << " gave " << p->ToString();
  EXPECT_EQ(p.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(c.a), p.error().message());
}

INSTANTIATE_TEST_SUITE_P(DecimalTest, DecimalMultiplyExactRejectTest,
                         ::testing::Values(ProductCase{"0.00001", "0.0001", ""},  // 1e-9
                                           ProductCase{"0.00000001", "0.5", ""},  // 5e-9
                                           ProductCase{"1.23456789", "0.1", ""},  // 0.123456789
                                           ProductCase{"-0.00000003", "0.00000003", ""}));

}  // namespace
}  // namespace eodclear
