#include "stages/ingest/input_rules.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/test_products.h"

namespace eodclear {
namespace {

using testing::CaseName;

using clearing::v1::DeadLetter;
using clearing::v1::Quote;
using clearing::v1::Trade;

// Decimals written in these tests.
constexpr auto& D = testing::Dec;

// Hand-picked products (not the operational reference data): ES ticks in 0.25, ME (alias EMD) in
// 0.10, CNH in 0.0001, YM in whole points.
ProductCatalog TestCatalog() {
  std::vector<Product> products = {
      testing::TestProduct("ES", {}, "E-mini S&P 500", "CME", "358", "USD", D("50"), D("0.25")),
      testing::TestProduct("ME", {"EMD"}, "E-mini S&P MidCap 400", "CME", "362", "USD", D("100"),
                           D("0.10")),
      testing::TestProduct("CNH", {}, "USD/Offshore RMB", "CME", "284L", "CNH", D("100000"),
                           D("0.0001")),
      testing::TestProduct("YM", {}, "E-mini Dow ($5)", "CBOT", "27", "USD", D("5"), D("1")),
  };
  return testing::CatalogOf(std::move(products));
}

// A trade that passes every check: FIRMA/ACC1 buys 3 ESM23 at 4400.25 from FIRMB/ACC2.
Trade GoodTrade() {
  Trade t;
  t.set_trade_id("T-1");
  t.set_trade_date("2023-06-16");
  t.set_exec_time("2023-06-16T09:30:00.5-05:00");
  t.set_contract("ESM23");
  t.set_price("4400.25");
  t.set_quantity(3);
  t.mutable_buyer()->set_firm("FIRMA");
  t.mutable_buyer()->set_account("ACC1");
  t.mutable_seller()->set_firm("FIRMB");
  t.mutable_seller()->set_account("ACC2");
  return t;
}

// A two-sided ESM23 quote that passes every check.
Quote GoodQuote() {
  Quote q;
  q.set_contract("ESM23");
  q.set_time("2023-06-16T14:59:59Z");
  q.set_bid("4400.25");
  q.set_bid_size(10);
  q.set_ask("4400.50");
  q.set_ask_size(7);
  return q;
}

std::string ReasonName(DeadLetter::Reason reason) { return DeadLetter::Reason_Name(reason); }

class InputRulesTest : public ::testing::Test {
 protected:
  InputRulesTest() : catalog_(TestCatalog()), contracts_(catalog_) {}

  // The rejection of `t`, or a failure when it was accepted.
  Rejection RejectTrade(const Trade& t) {
    auto result = ValidateTrade(t, contracts_);
    if (!std::holds_alternative<Rejection>(result)) {
      ADD_FAILURE() << "trade was accepted: " << t.ShortDebugString();
      return Rejection{};
    }
    return std::get<Rejection>(result);
  }
  Rejection RejectQuote(const Quote& q) {
    auto result = ValidateQuote(q, contracts_);
    if (!std::holds_alternative<Rejection>(result)) {
      ADD_FAILURE() << "quote was accepted: " << q.ShortDebugString();
      return Rejection{};
    }
    return std::get<Rejection>(result);
  }

  ProductCatalog catalog_;
  ContractResolver contracts_;
};

// ---------------------------------------------------------------------------------------------
// ContractResolver.

TEST_F(InputRulesTest, ResolverMapsAliasToCanonicalSymbolAndProduct) {
  auto resolved = contracts_.Resolve("EMDM23");
  ASSERT_TRUE(resolved.has_value()) << resolved.error().ToString();
  EXPECT_EQ((*resolved)->canonical, "MEM23");
  ASSERT_NE((*resolved)->product, nullptr);
  EXPECT_EQ((*resolved)->product->code, "ME");
}

TEST_F(InputRulesTest, ResolverReturnsTheSameEntryForARepeatedSymbol) {
  auto first = contracts_.Resolve("ESU23");
  auto second = contracts_.Resolve("ESU23");
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ((*second)->canonical, "ESU23");
}

TEST_F(InputRulesTest, ResolverFailsOnUnknownProductEveryTime) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto resolved = contracts_.Resolve("NQM23");
    ASSERT_FALSE(resolved.has_value()) << "attempt " << attempt;
    EXPECT_NE(resolved.error().message().find("NQM23"), std::string::npos)
        << resolved.error().message();
  }
}

// ---------------------------------------------------------------------------------------------
// ValidateTrade: accepted trades.

TEST_F(InputRulesTest, ValidTradeCarriesEveryField) {
  Trade t = GoodTrade();
  auto result = ValidateTrade(t, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidTrade>(result)) << std::get<Rejection>(result).detail;
  const ValidTrade& v = std::get<ValidTrade>(result);
  EXPECT_EQ(v.trade_id, "T-1");
  EXPECT_EQ(v.trade_date.ToString(), "2023-06-16");
  // 2023-06-16 is day 19524 after 1970-01-01; 09:30:00.5 at -05:00 is 14:30:00.5Z = 52200.5 s.
  EXPECT_EQ(v.exec_time.unix_nanos, (19524LL * 86400 + 52200) * 1'000'000'000LL + 500'000'000LL);
  EXPECT_EQ(v.exec_time.utc_offset_minutes, -300);
  EXPECT_EQ(v.exec_time_text, "2023-06-16T09:30:00.5-05:00");
  EXPECT_EQ(v.contract, "ESM23");
  ASSERT_NE(v.product, nullptr);
  EXPECT_EQ(v.product->code, "ES");
  EXPECT_EQ(v.price, Decimal::FromUnits(440'025'000'000));  // 4400.25 at 8 fraction digits
  EXPECT_EQ(v.price_text, "4400.25");
  EXPECT_EQ(v.quantity, 3);
  EXPECT_EQ(v.buyer_firm, "FIRMA");
  EXPECT_EQ(v.buyer_account, "ACC1");
  EXPECT_EQ(v.seller_firm, "FIRMB");
  EXPECT_EQ(v.seller_account, "ACC2");
}

TEST_F(InputRulesTest, AliasContractIsResolvedToCanonicalSymbol) {
  Trade t = GoodTrade();
  t.set_contract("EMDM23");
  t.set_price("2500.10");
  auto result = ValidateTrade(t, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidTrade>(result)) << std::get<Rejection>(result).detail;
  const ValidTrade& v = std::get<ValidTrade>(result);
  EXPECT_EQ(v.contract, "MEM23");
  ASSERT_NE(v.product, nullptr);
  EXPECT_EQ(v.product->code, "ME");
}

struct OnTickCase {
  std::string_view contract;
  std::string_view price;
};
void PrintTo(const OnTickCase& c, std::ostream* os) { *os << c.contract << " @ " << c.price; }

class InputRulesOnTickTest : public InputRulesTest,
                             public ::testing::WithParamInterface<OnTickCase> {};

TEST_P(InputRulesOnTickTest, PriceOnTheProductsTickIsAccepted) {
  Trade t = GoodTrade();
  t.set_contract(std::string(GetParam().contract));
  t.set_price(std::string(GetParam().price));
  auto result = ValidateTrade(t, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidTrade>(result))
      << GetParam().contract << " @ " << GetParam().price << ": "
      << std::get<Rejection>(result).detail;
}

INSTANTIATE_TEST_SUITE_P(InputRulesTest, InputRulesOnTickTest,
                         ::testing::Values(OnTickCase{"ESM23", "4400"},      // whole point
                                           OnTickCase{"ESM23", "4400.75"},   // 3 ticks of 0.25
                                           OnTickCase{"ESM23", "4400.250"},  // trailing zero
                                           OnTickCase{"MEM23", "2500.3"},    // 3 ticks of 0.10
                                           OnTickCase{"CNHU23", "7.1234"},   // 71234 ticks
                                           OnTickCase{"YMU23", "34512"}));

// ---------------------------------------------------------------------------------------------
// ValidateTrade: one rejection per reason.

struct MissingFieldCase {
  std::string_view field;  // as named in the detail
  std::function<void(Trade*)> clear;
};
void PrintTo(const MissingFieldCase& c, std::ostream* os) { *os << c.field; }

class InputRulesMissingFieldTest : public InputRulesTest,
                                   public ::testing::WithParamInterface<MissingFieldCase> {};

TEST_P(InputRulesMissingFieldTest, EmptyFieldIsMissingFieldNamingIt) {
  Trade t = GoodTrade();
  GetParam().clear(&t);
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "MISSING_FIELD");
  EXPECT_EQ(r.detail, std::string(GetParam().field) + " is empty");
}

INSTANTIATE_TEST_SUITE_P(
    InputRulesTest, InputRulesMissingFieldTest,
    ::testing::Values(
        MissingFieldCase{"trade_id", [](Trade* m) { m->clear_trade_id(); }},
        MissingFieldCase{"trade_date", [](Trade* m) { m->clear_trade_date(); }},
        MissingFieldCase{"exec_time", [](Trade* m) { m->clear_exec_time(); }},
        MissingFieldCase{"contract", [](Trade* m) { m->clear_contract(); }},
        MissingFieldCase{"price", [](Trade* m) { m->clear_price(); }},
        MissingFieldCase{"buyer.firm", [](Trade* m) { m->mutable_buyer()->clear_firm(); }},
        MissingFieldCase{"buyer.account", [](Trade* m) { m->mutable_buyer()->clear_account(); }},
        MissingFieldCase{"seller.firm", [](Trade* m) { m->mutable_seller()->clear_firm(); }},
        MissingFieldCase{"seller.account", [](Trade* m) { m->mutable_seller()->clear_account(); }},
        // A party absent altogether reads as its first empty field.
        MissingFieldCase{"buyer.firm", [](Trade* m) { m->clear_buyer(); }},
        MissingFieldCase{"seller.firm", [](Trade* m) { m->clear_seller(); }}));

struct InvalidFieldCase {
  std::string_view name;
  std::function<void(Trade*)> spoil;
  std::string_view detail_prefix;  // the field named first in the detail
  std::string_view bad_text;       // the value at fault, quoted in the detail
};
void PrintTo(const InvalidFieldCase& c, std::ostream* os) { *os << c.name; }

class InputRulesInvalidFieldTest : public InputRulesTest,
                                   public ::testing::WithParamInterface<InvalidFieldCase> {};

TEST_P(InputRulesInvalidFieldTest, MalformedValueIsInvalidFieldNamingFieldAndValue) {
  Trade t = GoodTrade();
  GetParam().spoil(&t);
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "INVALID_FIELD");
  EXPECT_EQ(r.detail.rfind(GetParam().detail_prefix, 0), 0u) << r.detail;
  EXPECT_NE(r.detail.find("'" + std::string(GetParam().bad_text) + "'"), std::string::npos)
      << r.detail;
}

INSTANTIATE_TEST_SUITE_P(
    InputRulesTest, InputRulesInvalidFieldTest,
    ::testing::Values(
        InvalidFieldCase{"DateNotADay", [](Trade* m) { m->set_trade_date("2023-02-30"); },
                         "trade_date: ", "2023-02-30"},
        InvalidFieldCase{"DateWithoutDashes", [](Trade* m) { m->set_trade_date("20230616"); },
                         "trade_date: ", "20230616"},
        InvalidFieldCase{"TimeWithoutZone",
                         [](Trade* m) { m->set_exec_time("2023-06-16T09:30:00"); },
                         "exec_time: ", "2023-06-16T09:30:00"},
        InvalidFieldCase{"TimeNotATime", [](Trade* m) { m->set_exec_time("09:30"); },
                         "exec_time: ", "09:30"},
        InvalidFieldCase{"PriceWithLetters", [](Trade* m) { m->set_price("44OO.25"); },
                         "price: ", "44OO.25"},
        InvalidFieldCase{"PriceWithTwoPoints", [](Trade* m) { m->set_price("4400.2.5"); },
                         "price: ", "4400.2.5"},
        InvalidFieldCase{"PriceWithNineFractionDigits",
                         [](Trade* m) { m->set_price("4400.250000000"); },
                         "price: ", "4400.250000000"},
        InvalidFieldCase{"PriceWithPlusSign", [](Trade* m) { m->set_price("+4400.25"); },
                         "price: ", "+4400.25"}),
    CaseName());

TEST_F(InputRulesTest, ZeroQuantityIsNonPositiveQuantity) {
  Trade t = GoodTrade();
  t.set_quantity(0);
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "NON_POSITIVE_QUANTITY");
  EXPECT_EQ(r.detail, "quantity is 0, must be positive");
}

TEST_F(InputRulesTest, NegativeQuantityIsNonPositiveQuantity) {
  Trade t = GoodTrade();
  t.set_quantity(-5);
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "NON_POSITIVE_QUANTITY");
  EXPECT_EQ(r.detail, "quantity is -5, must be positive");
}

struct UnknownContractCase {
  std::string_view name;
  std::string_view contract;
};
void PrintTo(const UnknownContractCase& c, std::ostream* os) { *os << c.name; }

class InputRulesUnknownContractTest : public InputRulesTest,
                                      public ::testing::WithParamInterface<UnknownContractCase> {};

TEST_P(InputRulesUnknownContractTest, IsUnknownContractNamingTheSymbol) {
  Trade t = GoodTrade();
  t.set_contract(std::string(GetParam().contract));
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "UNKNOWN_CONTRACT");
  EXPECT_NE(r.detail.find("'" + std::string(GetParam().contract) + "'"), std::string::npos)
      << r.detail;
}

INSTANTIATE_TEST_SUITE_P(InputRulesTest, InputRulesUnknownContractTest,
                         ::testing::Values(UnknownContractCase{"ProductNotInCatalog", "NQM23"},
                                           UnknownContractCase{"AliasOfNoProduct", "EMM23"},
                                           UnknownContractCase{"MonthCodeNotAMonth", "ESA23"},
                                           UnknownContractCase{"YearNotTwoDigits", "ESMX3"},
                                           UnknownContractCase{"LowerCase", "esm23"},
                                           UnknownContractCase{"TooShort", "M23"},
                                           UnknownContractCase{"ProductOnly", "ES"}),
                         CaseName());

struct OffTickCase {
  std::string_view name;
  std::string_view contract;
  std::string_view price;
  std::string_view detail;
};
void PrintTo(const OffTickCase& c, std::ostream* os) { *os << c.name; }

class InputRulesOffTickTest : public InputRulesTest,
                              public ::testing::WithParamInterface<OffTickCase> {};

TEST_P(InputRulesOffTickTest, PriceOffTheTickIsOffTickPrice) {
  Trade t = GoodTrade();
  t.set_contract(std::string(GetParam().contract));
  t.set_price(std::string(GetParam().price));
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), "OFF_TICK_PRICE");
  EXPECT_EQ(r.detail, GetParam().detail);
}

INSTANTIATE_TEST_SUITE_P(
    InputRulesTest, InputRulesOffTickTest,
    ::testing::Values(OffTickCase{"EsTenCents", "ESM23", "4400.10",
                                  "price 4400.10 is not a multiple of ES's tick 0.25"},
                      OffTickCase{"EsOneCentBelowTick", "ESM23", "4400.24",
                                  "price 4400.24 is not a multiple of ES's tick 0.25"},
                      // Through the alias: the detail names the canonical product.
                      OffTickCase{"EmdFiveCents", "EMDM23", "2500.05",
                                  "price 2500.05 is not a multiple of ME's tick 0.1"},
                      OffTickCase{"CnhFifthDecimal", "CNHU23", "7.12345",
                                  "price 7.12345 is not a multiple of CNH's tick 0.0001"},
                      OffTickCase{"YmHalfPoint", "YMU23", "34512.5",
                                  "price 34512.5 is not a multiple of YM's tick 1"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// ValidateTrade: with several faults, the first check in the documented order decides:
// fields present, fields well formed, quantity positive, contract known, price on tick.

struct OrderCase {
  std::string_view name;
  std::function<void(Trade*)> spoil;
  std::string_view reason;
  std::string_view detail_prefix;
};
void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name; }

class InputRulesCheckOrderTest : public InputRulesTest,
                                 public ::testing::WithParamInterface<OrderCase> {};

TEST_P(InputRulesCheckOrderTest, FirstFailedCheckDecides) {
  Trade t = GoodTrade();
  GetParam().spoil(&t);
  Rejection r = RejectTrade(t);
  EXPECT_EQ(ReasonName(r.reason), GetParam().reason) << r.detail;
  EXPECT_EQ(r.detail.rfind(GetParam().detail_prefix, 0), 0u) << r.detail;
}

INSTANTIATE_TEST_SUITE_P(
    InputRulesTest, InputRulesCheckOrderTest,
    ::testing::Values(
        OrderCase{"MissingFieldBeforeEverythingElse",
                  [](Trade* m) {
                    m->set_trade_date("2023-02-30");
                    m->set_quantity(0);
                    m->set_contract("NQM23");
                    m->set_price("4400.10");
                    m->mutable_seller()->clear_account();
                  },
                  "MISSING_FIELD", "seller.account is empty"},
        OrderCase{"FirstEmptyFieldInMessageOrder",
                  [](Trade* m) {
                    m->clear_price();
                    m->clear_trade_id();
                  },
                  "MISSING_FIELD", "trade_id is empty"},
        OrderCase{"BadDateBeforeBadTime",
                  [](Trade* m) {
                    m->set_trade_date("2023-13-01");
                    m->set_exec_time("noon");
                  },
                  "INVALID_FIELD", "trade_date: "},
        OrderCase{"BadTimeBeforeZeroQuantity",
                  [](Trade* m) {
                    m->set_exec_time("noon");
                    m->set_quantity(0);
                  },
                  "INVALID_FIELD", "exec_time: "},
        OrderCase{"ZeroQuantityBeforeUnknownContract",
                  [](Trade* m) {
                    m->set_quantity(0);
                    m->set_contract("NQM23");
                  },
                  "NON_POSITIVE_QUANTITY", "quantity is 0"},
        OrderCase{"UnknownContractBeforeOffTick",
                  [](Trade* m) {
                    m->set_contract("NQM23");
                    m->set_price("4400.10");
                  },
                  "UNKNOWN_CONTRACT", ""},
        // A malformed price is a malformed field: it is found before the quantity and contract
        // checks (header: "every field present and well formed, quantity positive, contract of a
        // known product, price on the product's trading tick").
        OrderCase{"BadPriceBeforeZeroQuantity",
                  [](Trade* m) {
                    m->set_price("4400.2.5");
                    m->set_quantity(0);
                  },
                  "INVALID_FIELD", "price: "},
        OrderCase{"BadPriceBeforeUnknownContract",
                  [](Trade* m) {
                    m->set_price("4400.2.5");
                    m->set_contract("NQM23");
                  },
                  "INVALID_FIELD", "price: "}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// ValidateQuote.

TEST_F(InputRulesTest, TwoSidedQuoteCarriesBothSides) {
  Quote q = GoodQuote();
  auto result = ValidateQuote(q, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidQuote>(result)) << std::get<Rejection>(result).detail;
  const ValidQuote& v = std::get<ValidQuote>(result);
  EXPECT_EQ(v.contract, "ESM23");
  // 2023-06-16 is day 19524; 14:59:59Z is 53999 s into it.
  EXPECT_EQ(v.time.unix_nanos, (19524LL * 86400 + 53999) * 1'000'000'000LL);
  EXPECT_EQ(v.time.utc_offset_minutes, 0);
  EXPECT_TRUE(v.has_bid);
  EXPECT_TRUE(v.has_ask);
  EXPECT_EQ(v.bid, D("4400.25"));
  EXPECT_EQ(v.ask, D("4400.5"));
  EXPECT_EQ(v.bid_size, 10);
  EXPECT_EQ(v.ask_size, 7);
}

TEST_F(InputRulesTest, QuoteContractAliasIsResolved) {
  Quote q = GoodQuote();
  q.set_contract("EMDU23");
  q.set_bid("2500.1");
  q.set_ask("2500.2");
  auto result = ValidateQuote(q, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidQuote>(result)) << std::get<Rejection>(result).detail;
  EXPECT_EQ(std::get<ValidQuote>(result).contract, "MEU23");
}

TEST_F(InputRulesTest, QuoteWithBothSidesEmptyIsAccepted) {
  Quote q = GoodQuote();
  q.clear_bid();
  q.clear_bid_size();
  q.clear_ask();
  q.clear_ask_size();
  auto result = ValidateQuote(q, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidQuote>(result)) << std::get<Rejection>(result).detail;
  const ValidQuote& v = std::get<ValidQuote>(result);
  EXPECT_FALSE(v.has_bid);
  EXPECT_FALSE(v.has_ask);
  EXPECT_EQ(v.bid_size, 0);
  EXPECT_EQ(v.ask_size, 0);
}

TEST_F(InputRulesTest, QuoteWithOnlyAnAskIsAccepted) {
  Quote q = GoodQuote();
  q.clear_bid();
  q.clear_bid_size();
  auto result = ValidateQuote(q, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidQuote>(result)) << std::get<Rejection>(result).detail;
  const ValidQuote& v = std::get<ValidQuote>(result);
  EXPECT_FALSE(v.has_bid);
  EXPECT_TRUE(v.has_ask);
  EXPECT_EQ(v.ask, D("4400.5"));
  EXPECT_EQ(v.ask_size, 7);
}

TEST_F(InputRulesTest, QuoteWithOnlyABidIsAccepted) {
  Quote q = GoodQuote();
  q.clear_ask();
  q.clear_ask_size();
  auto result = ValidateQuote(q, contracts_);
  ASSERT_TRUE(std::holds_alternative<ValidQuote>(result)) << std::get<Rejection>(result).detail;
  const ValidQuote& v = std::get<ValidQuote>(result);
  EXPECT_TRUE(v.has_bid);
  EXPECT_FALSE(v.has_ask);
  EXPECT_EQ(v.bid, D("4400.25"));
}

struct QuoteRejectCase {
  std::string_view name;
  std::function<void(Quote*)> spoil;
  std::string_view reason;
  std::string_view detail;  // exact, or a prefix when it ends with '*'
};
void PrintTo(const QuoteRejectCase& c, std::ostream* os) { *os << c.name; }

class InputRulesQuoteRejectTest : public InputRulesTest,
                                  public ::testing::WithParamInterface<QuoteRejectCase> {};

TEST_P(InputRulesQuoteRejectTest, IsRejected) {
  Quote q = GoodQuote();
  GetParam().spoil(&q);
  Rejection r = RejectQuote(q);
  EXPECT_EQ(ReasonName(r.reason), GetParam().reason) << r.detail;
  std::string_view want = GetParam().detail;
  if (!want.empty() && want.back() == '*') {
    want.remove_suffix(1);
    EXPECT_EQ(r.detail.rfind(want, 0), 0u) << r.detail;
  } else {
    EXPECT_EQ(r.detail, want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    InputRulesTest, InputRulesQuoteRejectTest,
    ::testing::Values(
        QuoteRejectCase{"EmptyContract", [](Quote* m) { m->clear_contract(); }, "MISSING_FIELD",
                        "contract is empty"},
        QuoteRejectCase{"EmptyTime", [](Quote* m) { m->clear_time(); }, "MISSING_FIELD",
                        "time is empty"},
        QuoteRejectCase{"UnknownProduct", [](Quote* m) { m->set_contract("NQM23"); },
                        "UNKNOWN_CONTRACT", "*"},
        QuoteRejectCase{"MalformedMonth", [](Quote* m) { m->set_contract("ESA23"); },
                        "UNKNOWN_CONTRACT", "*"},
        QuoteRejectCase{"TimeWithoutZone", [](Quote* m) { m->set_time("2023-06-16T14:59:59"); },
                        "INVALID_FIELD", "time: *"},
        QuoteRejectCase{"BidSizeWithoutBidPrice", [](Quote* m) { m->clear_bid(); }, "INVALID_FIELD",
                        "bid has size 10 but no price"},
        QuoteRejectCase{"AskSizeWithoutAskPrice", [](Quote* m) { m->clear_ask(); }, "INVALID_FIELD",
                        "ask has size 7 but no price"},
        QuoteRejectCase{"NegativeSizeWithoutPrice",
                        [](Quote* m) {
                          m->clear_bid();
                          m->set_bid_size(-2);
                        },
                        "INVALID_FIELD", "bid has size -2 but no price"},
        QuoteRejectCase{"MalformedBid", [](Quote* m) { m->set_bid("4400,25"); }, "INVALID_FIELD",
                        "bid: *"},
        QuoteRejectCase{"MalformedAsk", [](Quote* m) { m->set_ask("4400.5x"); }, "INVALID_FIELD",
                        "ask: *"},
        QuoteRejectCase{"NegativeBidSize", [](Quote* m) { m->set_bid_size(-1); },
                        "NON_POSITIVE_QUANTITY", "bid_size is -1, must be positive"},
        QuoteRejectCase{"NegativeAskSize", [](Quote* m) { m->set_ask_size(-3); },
                        "NON_POSITIVE_QUANTITY", "ask_size is -3, must be positive"},
        QuoteRejectCase{"BidPriceWithZeroSize", [](Quote* m) { m->set_bid_size(0); },
                        "NON_POSITIVE_QUANTITY", "bid_size is 0, must be positive"},
        QuoteRejectCase{"CrossedQuote",
                        [](Quote* m) {
                          m->set_bid("4400.75");
                          m->set_ask("4400.50");
                        },
                        "INVALID_FIELD",
                        "crossed or locked quote: bid 4400.75 is not below ask 4400.50"},
        // Locked: equal values in different spellings are still equal.
        QuoteRejectCase{"LockedQuote",
                        [](Quote* m) {
                          m->set_bid("4400.5");
                          m->set_ask("4400.50");
                        },
                        "INVALID_FIELD",
                        "crossed or locked quote: bid 4400.5 is not below ask 4400.50"},
        // Order of checks: an empty time is found before an unknown contract.
        QuoteRejectCase{"EmptyTimeBeforeUnknownContract",
                        [](Quote* m) {
                          m->clear_time();
                          m->set_contract("NQM23");
                        },
                        "MISSING_FIELD", "time is empty"},
        QuoteRejectCase{"UnknownContractBeforeBadTime",
                        [](Quote* m) {
                          m->set_contract("NQM23");
                          m->set_time("later");
                        },
                        "UNKNOWN_CONTRACT", "*"}),
    CaseName());

}  // namespace
}  // namespace eodclear
