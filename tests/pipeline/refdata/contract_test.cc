#include "pipeline/refdata/contract.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

namespace eodclear {

// Failure messages show contracts by their fields.
inline void PrintTo(const Contract& c, std::ostream* os) {
  *os << "{" << c.product << ", " << c.year << ", " << c.month << "}";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Month codes.

struct MonthCase {
  int month;
  char code;
};

class ContractMonthCodeTest : public ::testing::TestWithParam<MonthCase> {};

TEST_P(ContractMonthCodeTest, MapsMonthToCmeCodeAndBack) {
  EXPECT_EQ(MonthCode(GetParam().month), GetParam().code);
  EXPECT_EQ(MonthFromCode(GetParam().code), GetParam().month);
}

INSTANTIATE_TEST_SUITE_P(ContractTest, ContractMonthCodeTest,
                         ::testing::Values(MonthCase{1, 'F'}, MonthCase{2, 'G'}, MonthCase{3, 'H'},
                                           MonthCase{4, 'J'}, MonthCase{5, 'K'}, MonthCase{6, 'M'},
                                           MonthCase{7, 'N'}, MonthCase{8, 'Q'}, MonthCase{9, 'U'},
                                           MonthCase{10, 'V'}, MonthCase{11, 'X'},
                                           MonthCase{12, 'Z'}));

TEST(ContractTest, MonthCodeOfNonMonthIsQuestionMark) {
  EXPECT_EQ(MonthCode(0), '?');
  EXPECT_EQ(MonthCode(13), '?');
  EXPECT_EQ(MonthCode(-1), '?');
}

TEST(ContractTest, MonthFromCodeOfNonCodeIsZero) {
  for (char c : {'A', 'B', 'I', 'L', 'O', 'Y', 'f', 'm', 'z', '1', ' ', '?', '\0'}) {
    EXPECT_EQ(MonthFromCode(c), 0) << "code '" << c << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// SplitContractSymbol.

struct SplitCase {
  std::string_view symbol;
  Contract contract;
};

class ContractSplitTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(ContractSplitTest, SplitsProductMonthAndYear) {
  auto c = SplitContractSymbol(GetParam().symbol);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(*c, GetParam().contract);
}

INSTANTIATE_TEST_SUITE_P(
    ContractTest, ContractSplitTest,
    ::testing::Values(SplitCase{"ESM23", {"ES", 2023, 6}},
                      SplitCase{"M2KU24", {"M2K", 2024, 9}},   // product contains a digit
                      SplitCase{"EMDM23", {"EMD", 2023, 6}},   // alias kept as written
                      SplitCase{"MEM23", {"ME", 2023, 6}},     //
                      SplitCase{"LIYH19", {"LIY", 2019, 3}},   //
                      SplitCase{"CNHF00", {"CNH", 2000, 1}},   //
                      SplitCase{"MNHZ99", {"MNH", 2099, 12}},  //
                      SplitCase{"YMZ23", {"YM", 2023, 12}},    //
                      SplitCase{"EH23", {"E", 2023, 3}},       // one-letter product
                      SplitCase{"6EM23", {"6E", 2023, 6}}));   // product starting with a digit

struct RejectCase {
  std::string_view symbol;
  std::string_view why;
};

class ContractSplitRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ContractSplitRejectTest, RejectsWithInvalidArgumentNamingTheSymbol) {
  auto c = SplitContractSymbol(GetParam().symbol);
  ASSERT_FALSE(c.has_value()) << "'" << GetParam().symbol << "' split into " << c->product;
  EXPECT_EQ(c.error().code(), Status::Code::kInvalidArgument);
  std::string quoted = "contract '" + std::string(GetParam().symbol) + "'";
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, quoted, c.error().message());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(GetParam().why), c.error().message());
}

INSTANTIATE_TEST_SUITE_P(
    ContractTest, ContractSplitRejectTest,
    ::testing::Values(RejectCase{"", "expected product code"},
                      RejectCase{"M23", "expected product code"},  // no product
                      RejectCase{"ESM", "expected product code"},
                      RejectCase{"ESA23", "not a month code"},
                      RejectCase{"ESm23", "not a month code"},  // lower-case month code
                      RejectCase{"ESM2X", "year must be two digits"},
                      RejectCase{"ESMXX", "year must be two digits"},
                      RejectCase{"YMZ5", "year must be two digits"},  // one-digit year
                      RejectCase{"ESM2023", "not a month code"},      // four-digit year
                      RejectCase{"esM23", "upper-case letters and digits"},
                      RejectCase{"E-SM23", "upper-case letters and digits"},
                      RejectCase{"ES M23", "upper-case letters and digits"},
                      RejectCase{" ESM23", "upper-case letters and digits"}));

// ---------------------------------------------------------------------------------------------
// Contract::ToString and ordering.

TEST(ContractTest, ToStringWritesCmeSymbol) {
  EXPECT_EQ((Contract{"ES", 2023, 6}).ToString(), "ESM23");
  EXPECT_EQ((Contract{"M2K", 2024, 9}).ToString(), "M2KU24");
  EXPECT_EQ((Contract{"LIY", 2019, 3}).ToString(), "LIYH19");
  EXPECT_EQ((Contract{"CNH", 2005, 1}).ToString(), "CNHF05");  // year keeps its leading zero
  EXPECT_EQ((Contract{"ME", 2030, 12}).ToString(), "MEZ30");
}

TEST(ContractTest, SymbolRoundTripsThroughSplitAndToString) {
  for (std::string_view symbol : {"ESM23", "M2KU24", "MESH25", "CNHF05", "LIEZ31"}) {
    auto c = SplitContractSymbol(symbol);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->ToString(), symbol);
  }
}

TEST(ContractTest, OrderingIsByProductThenYearThenMonth) {
  EXPECT_LT((Contract{"ES", 2023, 12}), (Contract{"ES", 2024, 3}));
  EXPECT_LT((Contract{"ES", 2024, 3}), (Contract{"ES", 2024, 6}));
  EXPECT_LT((Contract{"ES", 2030, 12}), (Contract{"NQ", 2023, 3}));
  EXPECT_EQ((Contract{"ES", 2023, 6}), (Contract{"ES", 2023, 6}));
  EXPECT_NE((Contract{"ES", 2023, 6}), (Contract{"ME", 2023, 6}));
}

}  // namespace
}  // namespace eodclear
