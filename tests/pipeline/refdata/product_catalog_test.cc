#include "pipeline/refdata/product_catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/load_errors.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

using testing::ExpectLoadError;
using testing::ExpectNotFound;
using testing::LoadErrorCase;
using testing::Rows;

using Strings = std::vector<std::string>;

constexpr std::string_view kHeader =
    "code,aliases,name,exchange,chapter,currency,multiplier,tick,settlement_tick,settlement_type,"
    "listed_months,settlement_method,settlement_window,settlement_time_zone,parent,expiry_rule,"
    "calendars,final_reference,final_reference_kind,source\n";

// tests/testdata/refdata/products.csv: a fixture owned by these tests, never the ops file.
std::string FixturePath() { return std::string(EODCLEAR_TESTDATA_DIR) + "/refdata/products.csv"; }

constexpr auto& D = testing::Dec;

// ---------------------------------------------------------------------------------------------
// Loading the fixture.

class ProductCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = ProductCatalog::Load(FixturePath());
    ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
  }

  ProductCatalog catalog_;
};

TEST_F(ProductCatalogTest, LoadsEveryRowInFileOrder) {
  Strings codes;
  for (const Product& p : catalog_.products()) codes.push_back(p.code);
  EXPECT_EQ(codes, (Strings{"ES", "ME", "M2K", "CNH", "YM", "MEE"}));
}

TEST_F(ProductCatalogTest, LoadsEveryColumn) {
  const Product* es = catalog_.Find("ES");
  ASSERT_NE(es, nullptr);
  EXPECT_EQ(es->code, "ES");
  EXPECT_TRUE(es->aliases.empty());
  EXPECT_EQ(es->name, "E-mini S&P 500 Futures");
  EXPECT_EQ(es->exchange, "CME");
  EXPECT_EQ(es->chapter, "358");
  EXPECT_EQ(es->currency, "USD");
  EXPECT_EQ(es->multiplier, D("50"));
  EXPECT_EQ(es->tick, D("0.25"));
}

TEST_F(ProductCatalogTest, LoadsQuotedNameWithComma) {
  const Product* cnh = catalog_.Find("CNH");
  ASSERT_NE(cnh, nullptr);
  EXPECT_EQ(cnh->name, "Standard-Size USD/Offshore RMB (CNH) Futures, quoted in CNH per USD");
  EXPECT_EQ(cnh->chapter, "284L");
  EXPECT_EQ(cnh->currency, "CNH");
  EXPECT_EQ(cnh->multiplier, D("100000"));
  EXPECT_EQ(cnh->tick, D("0.0001"));
}

TEST_F(ProductCatalogTest, LoadsFractionalMultiplierAndCbotExchange) {
  const Product* mee = catalog_.Find("MEE");
  ASSERT_NE(mee, nullptr);
  EXPECT_EQ(mee->multiplier, D("0.1"));
  EXPECT_EQ(mee->tick, D("0.5"));
  EXPECT_EQ(mee->currency, "EUR");
  const Product* ym = catalog_.Find("YM");
  ASSERT_NE(ym, nullptr);
  EXPECT_EQ(ym->exchange, "CBOT");
  EXPECT_EQ(ym->tick, D("1"));
}

TEST_F(ProductCatalogTest, AliasesSplitOnBarAndSkipEmptyParts) {
  const Product* ym = catalog_.Find("YM");
  ASSERT_NE(ym, nullptr);
  EXPECT_EQ(ym->aliases, (Strings{"DJ", "MINIDOW"}));  // written "|DJ|MINIDOW|"
}

TEST_F(ProductCatalogTest, FindResolvesCodesAndAliasesToTheSameProduct) {
  const Product* me = catalog_.Find("ME");
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(me->aliases, (Strings{"EMD"}));
  EXPECT_EQ(catalog_.Find("EMD"), me);
  EXPECT_EQ(catalog_.Find("DJ"), catalog_.Find("YM"));
  EXPECT_EQ(catalog_.Find("MINIDOW"), catalog_.Find("YM"));
}

TEST_F(ProductCatalogTest, FindReturnsNullForUnknownCodes) {
  EXPECT_EQ(catalog_.Find("NQ"), nullptr);
  EXPECT_EQ(catalog_.Find("es"), nullptr);  // codes are case-sensitive
  EXPECT_EQ(catalog_.Find("E"), nullptr);   // no prefix match
  EXPECT_EQ(catalog_.Find("ESM"), nullptr);
  EXPECT_EQ(catalog_.Find(""), nullptr);
}

struct ResolveCase {
  std::string_view symbol;
  Contract contract;
};

class ProductCatalogResolveTest : public ProductCatalogTest,
                                  public ::testing::WithParamInterface<ResolveCase> {};

TEST_P(ProductCatalogResolveTest, ResolvesToCanonicalContract) {
  auto c = catalog_.ResolveContract(GetParam().symbol);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->product, GetParam().contract.product);
  EXPECT_EQ(c->year, GetParam().contract.year);
  EXPECT_EQ(c->month, GetParam().contract.month);
}

INSTANTIATE_TEST_SUITE_P(ProductCatalogTest, ProductCatalogResolveTest,
                         ::testing::Values(ResolveCase{"EMDM23", {"ME", 2023, 6}},  // alias
                                           ResolveCase{"MEM23", {"ME", 2023, 6}},   // code
                                           ResolveCase{"ESZ24", {"ES", 2024, 12}},
                                           ResolveCase{"M2KU24", {"M2K", 2024, 9}},
                                           ResolveCase{"DJH25", {"YM", 2025, 3}},
                                           ResolveCase{"CNHF24", {"CNH", 2024, 1}}));

TEST_F(ProductCatalogTest, ResolveUnknownProductIsNotFoundNamingSymbol) {
  auto c = catalog_.ResolveContract("NQZ24");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), Status::Code::kNotFound);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'NQZ24'", c.error().message());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'NQ'", c.error().message());
}

TEST_F(ProductCatalogTest, ResolveMalformedSymbolIsInvalidArgument) {
  for (std::string_view symbol : {"ES", "ESA23", "emdm23", "ESM2"}) {
    auto c = catalog_.ResolveContract(symbol);
    ASSERT_FALSE(c.has_value()) << symbol;
    EXPECT_EQ(c.error().code(), Status::Code::kInvalidArgument) << symbol;
  }
}

// ---------------------------------------------------------------------------------------------
// FromProducts.

Product MakeProduct(std::string code, Strings aliases) {
  Product p;
  p.code = std::move(code);
  p.aliases = std::move(aliases);
  p.name = "n";
  p.exchange = "CME";
  p.currency = "USD";
  p.multiplier = Decimal::FromInt(1);
  p.tick = Decimal::FromInt(1);
  return p;
}

TEST(ProductCatalogFromProductsTest, AliasEqualToOwnCodeIsAllowed) {
  auto catalog = ProductCatalog::FromProducts({MakeProduct("ME", {"ME", "EMD", "EMD"})});
  ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
  EXPECT_EQ(catalog->Find("EMD"), catalog->Find("ME"));
}

TEST(ProductCatalogFromProductsTest, NameUsedByTwoProductsIsRejected) {
  auto catalog = ProductCatalog::FromProducts({MakeProduct("ME", {"EMD"}), MakeProduct("EMD", {})});
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog.error().message(), "code 'EMD' names both ME and EMD");
}

// ---------------------------------------------------------------------------------------------
// Load errors, from files written into a fresh temporary folder.

class ProductCatalogLoadErrorTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view text) { return temp_.Write("products.csv", text); }

  testing::TempDir temp_{"product_catalog_test"};
  std::filesystem::path dir_ = temp_.path();
};

class ProductCatalogBadRowTest : public ProductCatalogLoadErrorTest,
                                 public ::testing::WithParamInterface<LoadErrorCase> {};

TEST_P(ProductCatalogBadRowTest, StopsWithInvalidArgumentNamingFileAndLine) {
  const LoadErrorCase& c = GetParam();
  std::string path = Write(std::string(kHeader) + c.body);
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value()) << "loaded " << catalog->products().size() << " products";
  ExpectLoadError(catalog.error(), path, c.line, c.what);
}

constexpr std::string_view kEs =
    "ES,,E-mini S&P "
    "500,CME,358,USD,50,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
    "Chicago,,equity_index,NYSE,,,s\n";
constexpr std::string_view kMe =
    "ME,EMD,E-mini S&P MidCap "
    "400,CME,362,USD,100,0.10,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
    "Chicago,,equity_index,NYSE,,,s\n";

INSTANTIATE_TEST_SUITE_P(
    ProductCatalogTest, ProductCatalogBadRowTest,
    ::testing::Values(
        LoadErrorCase{"DuplicateCode",
                      Rows({kEs, kMe,
                            "ES,,Again,CME,358,USD,50,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      4, "duplicate code 'ES'"},
        LoadErrorCase{"AliasCollidesWithEarlierCode",
                      Rows({kEs,
                            "XX,ES,Other,CME,1,USD,1,1,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      3, "code 'ES' names both ES and XX"},
        LoadErrorCase{"AliasCollidesWithEarlierAlias",
                      Rows({kMe,
                            "XX,EMD,Other,CME,1,USD,1,1,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      3, "code 'EMD' names both ME and XX"},
        LoadErrorCase{"CodeCollidesWithEarlierAlias",
                      Rows({kMe,
                            "EMD,,Other,CME,1,USD,1,1,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      3, "code 'EMD' names both ME and EMD"},
        LoadErrorCase{"LineCountsCommentsAndBlankLines",
                      Rows({"# comment\n", kEs, "\n",
                            "ES,,Again,CME,358,USD,50,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      5, "code 'ES'"},
        LoadErrorCase{"ZeroTick",
                      Rows({kEs,
                            "NQ,,N,CME,359,USD,20,0,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
                            "Chicago,,equity_index,NYSE,,,s\n"}),
                      3, "tick '0' must be a positive decimal"},
        LoadErrorCase{"NegativeTick",
                      Rows({"NQ,,N,CME,359,USD,20,-0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "tick '-0.25' must be a positive decimal"},
        LoadErrorCase{"TextTick",
                      Rows({"NQ,,N,CME,359,USD,20,quarter,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "tick 'quarter' must be a positive decimal"},
        LoadErrorCase{"EmptyTick",
                      Rows({"NQ,,N,CME,359,USD,20,,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
                            "Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "tick '' must be a positive decimal"},
        LoadErrorCase{"TickWithNineDigits",
                      Rows({"NQ,,N,CME,359,USD,20,0.000000001,0.01,cash,HMUZ,vwap,14:59:30-15:00:"
                            "00,America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "tick '0.000000001' must be a positive decimal"},
        LoadErrorCase{"ZeroMultiplier",
                      Rows({"NQ,,N,CME,359,USD,0,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "multiplier '0' must be a positive decimal"},
        LoadErrorCase{"NegativeMultiplier",
                      Rows({"NQ,,N,CME,359,USD,-20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "multiplier '-20' must be a positive decimal"},
        LoadErrorCase{"DollarMultiplier",
                      Rows({"NQ,,N,CME,359,USD,$20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "multiplier '$20' must be a positive decimal"},
        LoadErrorCase{"EmptyMultiplier",
                      Rows({"NQ,,N,CME,359,USD,,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
                            "Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "multiplier '' must be a positive decimal"},
        LoadErrorCase{"LowerCaseCode",
                      Rows({"nq,,N,CME,359,USD,20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "code 'nq' must be upper-case letters and digits"},
        LoadErrorCase{"EmptyCode",
                      Rows({",,N,CME,359,USD,20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,America/"
                            "Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "code '' must be upper-case letters and digits"},
        LoadErrorCase{"BadAlias",
                      Rows({"ME,EMD|e-md,N,CME,362,USD,100,0.1,0.01,cash,HMUZ,vwap,14:59:30-15:00:"
                            "00,America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "alias 'e-md' must be upper-case letters and digits"},
        LoadErrorCase{"EmptyName",
                      Rows({"NQ,,,CME,359,USD,20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "name is empty"},
        LoadErrorCase{"UnknownExchange",
                      Rows({"CL,,Crude,NYMEX,200,USD,1000,0.01,0.01,cash,HMUZ,vwap,14:59:30-15:00:"
                            "00,America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "exchange 'NYMEX' must be CME or CBOT"},
        LoadErrorCase{"TwoLetterCurrency",
                      Rows({"NQ,,N,CME,359,US,20,0.25,0.01,cash,HMUZ,vwap,14:59:30-15:00:00,"
                            "America/Chicago,,equity_index,NYSE,,,s\n"}),
                      2, "currency 'US' must be a 3-letter code"}),
    testing::CaseName());

TEST_F(ProductCatalogLoadErrorTest, WrongFieldCountNamesFileAndLine) {
  std::string path = Write(std::string(kHeader) + std::string(kEs) + "NQ,,N,CME,359,USD,20,0.25\n");
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  // Reference data problems are configuration errors, whatever the CSV reader called them.
  EXPECT_EQ(catalog.error().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog.error().message(), path + ":3: 8 fields, header has 20");
}

TEST_F(ProductCatalogLoadErrorTest, WrongHeaderNamesFileAndBothHeaders) {
  std::string path = Write(
      "code,alias,name,exchange,chapter,currency,multiplier,tick,settlement_tick,settlement_type,"
      "listed_months,settlement_method,settlement_window,settlement_time_zone,parent,expiry_rule,"
      "calendars,final_reference,final_reference_kind,source\n" +
      std::string(kEs));
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  // Reference data problems are configuration errors, whatever the CSV reader called them.
  EXPECT_EQ(catalog.error().code(), Status::Code::kInvalidArgument);
  const std::string& msg = catalog.error().message();
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, path, msg);
  EXPECT_PRED_FORMAT2(
      ::testing::IsSubstring,
      "'code,alias,name,exchange,chapter,currency,multiplier,tick,settlement_tick,settlement_type,"
      "listed_months,settlement_method,settlement_window,settlement_time_zone,parent,expiry_rule,"
      "calendars,final_reference,final_reference_kind,source'",
      msg);
  EXPECT_PRED_FORMAT2(
      ::testing::IsSubstring,
      "expected "
      "'code,aliases,name,exchange,chapter,currency,multiplier,tick,settlement_tick,settlement_"
      "type,listed_months,settlement_method,settlement_window,settlement_time_zone,parent,expiry_"
      "rule,calendars,final_reference,final_reference_kind,source'",
      msg);
}

// Like every other load error, a wrong header says where it is: the header is on line 2 here.
TEST_F(ProductCatalogLoadErrorTest, WrongHeaderNamesFileAndLine) {
  std::string path = Write("# products\ncode,name\n");
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  EXPECT_TRUE(catalog.error().message().starts_with(path + ":2: "))
      << "message '" << catalog.error().message() << "' does not start with '" << path << ":2: '";
}

TEST_F(ProductCatalogLoadErrorTest, MissingColumnInHeaderIsAnError) {
  std::string path = Write("code,aliases,name,exchange,chapter,currency,multiplier,tick\n");
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, path, catalog.error().message());
}

TEST_F(ProductCatalogLoadErrorTest, MissingFileIsNotFound) {
  std::string path = (dir_ / "absent.csv").string();
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  ExpectNotFound(catalog.error(), path);
}

TEST_F(ProductCatalogLoadErrorTest, HeaderOnlyFileIsAnEmptyCatalog) {
  auto catalog = ProductCatalog::Load(Write(kHeader));
  ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
  EXPECT_TRUE(catalog->products().empty());
  EXPECT_EQ(catalog->Find("ES"), nullptr);
}

}  // namespace
}  // namespace eodclear

namespace eodclear {
namespace {

// A valid products.csv row of product NQ with `column` set to `value` (source "s").
std::string RowWith(std::map<std::string, std::string> changes) {
  std::vector<std::pair<std::string, std::string>> columns = {
      {"code", "NQ"},
      {"aliases", ""},
      {"name", "E-mini Nasdaq-100"},
      {"exchange", "CME"},
      {"chapter", "359"},
      {"currency", "USD"},
      {"multiplier", "20"},
      {"tick", "0.25"},
      {"settlement_tick", "0.25"},
      {"settlement_type", "cash"},
      {"listed_months", "HMUZ"},
      {"settlement_method", "vwap"},
      {"settlement_window", "14:59:30-15:00:00"},
      {"settlement_time_zone", "America/Chicago"},
      {"parent", ""},
      {"expiry_rule", "equity_index"},
      {"calendars", "NYSE"},
      {"final_reference", "NDX"},
      {"final_reference_kind", "SOQ"},
      {"source", "s"},
  };
  std::string row;
  for (auto& [name, value] : columns) {
    if (changes.contains(name)) value = changes.at(name);
    row += (row.empty() ? "" : ",") + value;
  }
  return row + "\n";
}

struct ColumnCase {
  std::string_view name;
  std::map<std::string, std::string> changes;
  std::string_view what;
};

class ProductCatalogColumnTest : public ProductCatalogLoadErrorTest,
                                 public ::testing::WithParamInterface<ColumnCase> {};

TEST_F(ProductCatalogLoadErrorTest, ValidRowWithEveryColumnLoads) {
  auto catalog = ProductCatalog::Load(Write(std::string(kHeader) + RowWith({})));
  ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
  const Product* nq = catalog->Find("NQ");
  ASSERT_NE(nq, nullptr);
  EXPECT_EQ(nq->listed_months, (std::vector<int>{3, 6, 9, 12}));
  ASSERT_TRUE(nq->settlement_window.has_value());
  EXPECT_EQ(nq->settlement_window->start_seconds, 14 * 3600 + 59 * 60 + 30);
  EXPECT_EQ(nq->settlement_window->end_seconds, 15 * 3600);
  EXPECT_EQ(nq->expiry_rule, ExpiryRule::kEquityIndex);
  EXPECT_EQ(nq->calendars, (std::vector<std::string>{"NYSE"}));
  EXPECT_TRUE(nq->Lists(9));
  EXPECT_FALSE(nq->Lists(10));
  EXPECT_EQ(nq->source_line, 2u);
}

TEST_F(ProductCatalogLoadErrorTest, ErisTenorAndParentAreRead) {
  auto catalog = ProductCatalog::Load(Write(std::string(kHeader) + RowWith({}) +
                                            RowWith({{"code", "MNQ"},
                                                     {"settlement_method", "parent"},
                                                     {"settlement_window", ""},
                                                     {"settlement_time_zone", ""},
                                                     {"parent", "NQ"}}) +
                                            RowWith({{"code", "LIY"},
                                                     {"settlement_method", "curve"},
                                                     {"expiry_rule", "eris:10"},
                                                     {"calendars", "US"},
                                                     {"final_reference", ""},
                                                     {"final_reference_kind", ""}})));
  ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
  EXPECT_EQ(catalog->Find("MNQ")->parent, "NQ");
  EXPECT_FALSE(catalog->Find("MNQ")->settlement_window.has_value());
  EXPECT_EQ(catalog->Find("LIY")->expiry_rule, ExpiryRule::kEris);
  EXPECT_EQ(catalog->Find("LIY")->tenor_years, 10);
}

TEST_P(ProductCatalogColumnTest, BadValueStopsTheLoadNamingFileLineAndColumn) {
  const ColumnCase& c = GetParam();
  std::string path = Write(std::string(kHeader) + RowWith(c.changes));
  auto catalog = ProductCatalog::Load(path);
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(catalog.error().message(), path + ":2: " + std::string(c.what));
}

INSTANTIATE_TEST_SUITE_P(
    ProductCatalogTest, ProductCatalogColumnTest,
    ::testing::Values(
        ColumnCase{"SettlementType",
                   {{"settlement_type", "cashish"}},
                   "settlement_type 'cashish' must be cash or physical"},
        ColumnCase{"NotAMonthCode",
                   {{"listed_months", "HMUA"}},
                   "listed_months 'HMUA': 'A' is not a month code"},
        ColumnCase{"MonthsOutOfOrder",
                   {{"listed_months", "ZH"}},
                   "listed_months 'ZH' must be month codes in calendar order, once each"},
        ColumnCase{"Method",
                   {{"settlement_method", "twap"}},
                   "settlement_method 'twap' must be vwap, curve or parent"},
        ColumnCase{"WindowBackwards",
                   {{"settlement_window", "15:00:00-14:59:30"}},
                   "settlement_window '15:00:00-14:59:30' must be HH:MM:SS-HH:MM:SS with start "
                   "before end"},
        ColumnCase{"WindowMissing",
                   {{"settlement_window", ""}},
                   "settlement_window is empty; only products settled from a parent have none"},
        ColumnCase{"TimeZone",
                   {{"settlement_time_zone", "America/Chicagoo"}},
                   "settlement_time_zone 'America/Chicagoo' is not a known time zone"},
        ColumnCase{"ParentMethodWithoutParent",
                   {{"settlement_method", "parent"}, {"settlement_window", ""}},
                   "settlement_method parent needs a parent product"},
        ColumnCase{"ExpiryRule",
                   {{"expiry_rule", "monthly"}},
                   "expiry_rule 'monthly' must be equity_index, volq, usd_cnh, micro_ether_euro, "
                   "eris:<tenor years> or btic"},
        ColumnCase{"ErisWithoutTenor",
                   {{"expiry_rule", "eris"}},
                   "expiry_rule 'eris' must be equity_index, volq, usd_cnh, micro_ether_euro, "
                   "eris:<tenor years> or btic"},
        ColumnCase{"ErisTenorZero",
                   {{"expiry_rule", "eris:0"}},
                   "expiry_rule 'eris:0': the Eris tenor must be 1..50 years (eris:10)"},
        ColumnCase{"NoCalendars", {{"calendars", ""}}, "calendars is empty"},
        ColumnCase{"ReferenceKind",
                   {{"final_reference_kind", "CLOSE"}},
                   "final_reference_kind 'CLOSE' must be SOQ, OFFICIAL_CLOSE, REFERENCE_RATE or "
                   "SPECIAL_QUOTATION"},
        ColumnCase{"KindWithoutReference",
                   {{"final_reference", ""}},
                   "final_reference and final_reference_kind are given together or not at all"},
        ColumnCase{"UnknownParent",
                   {{"settlement_method", "parent"}, {"settlement_window", ""}, {"parent", "ES2"}},
                   "parent 'ES2' is not a product"}),
    testing::CaseName());

}  // namespace
}  // namespace eodclear
