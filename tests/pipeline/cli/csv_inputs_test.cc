#include "pipeline/cli/csv_inputs.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearing/v1/quote.pb.h"
#include "clearing/v1/reference_price.pb.h"
#include "clearing/v1/trade.pb.h"
#include "tests/testing/case_name.h"
#include "tests/testing/test_products.h"

namespace eodclear {
namespace {

using testing::CaseName;

using Strings = std::vector<std::string>;

constexpr std::string_view kTradeHeader =
    "trade_id,trade_date,exec_time,contract,price,quantity,buyer_firm,buyer_account,seller_firm,"
    "seller_account\n";
constexpr std::string_view kQuoteHeader = "contract,time,bid,bid_size,ask,ask_size\n";
constexpr std::string_view kReferencePriceHeader = "name,date,kind,value,published_at\n";

using testing::Dec;

// Hand-picked products: ES (tick 0.25) and ME, also known as EMD.
ProductCatalog TestCatalog() {
  std::vector<Product> products = {
      testing::TestProduct("ES", {}, "E-mini S&P 500", "CME", "358", "USD", Dec("50"), Dec("0.25")),
      testing::TestProduct("ME", {"EMD"}, "E-mini S&P MidCap 400", "CME", "362", "USD", Dec("100"),
                           Dec("0.10")),
  };
  return testing::CatalogOf(std::move(products));
}

CsvFile Csv(std::string_view text, std::string path) {
  auto file = CsvFile::Parse(text, std::move(path));
  EXPECT_TRUE(file.has_value()) << file.error().ToString();
  return file ? std::move(*file) : CsvFile();
}

class CsvInputsTest : public ::testing::Test {
 protected:
  std::vector<KeyedMessage> Convert(std::string_view text, InputKind kind, std::string path) {
    CsvFile file = Csv(text, std::move(path));
    return ConvertInputCsv(file, kind, catalog_, &errors_);
  }

  ProductCatalog catalog_ = TestCatalog();
  Strings errors_;
};

// ---------------------------------------------------------------------------------------------
// DetectInputKind.

struct DetectCase {
  std::string_view header;
  InputKind kind;
};
void PrintTo(const DetectCase& c, std::ostream* os) { *os << c.header; }

class CsvInputsDetectTest : public ::testing::TestWithParam<DetectCase> {};

TEST_P(CsvInputsDetectTest, RecognisesTheKindByItsHeader) {
  CsvFile file = Csv(GetParam().header, "in.csv");
  auto kind = DetectInputKind(file);
  ASSERT_TRUE(kind.has_value()) << kind.error().ToString();
  EXPECT_EQ(*kind, GetParam().kind);
  EXPECT_EQ(InputHeader(GetParam().kind), file.header());
}

INSTANTIATE_TEST_SUITE_P(CsvInputsTest, CsvInputsDetectTest,
                         ::testing::Values(DetectCase{kTradeHeader, InputKind::kTrades},
                                           DetectCase{kQuoteHeader, InputKind::kQuotes},
                                           DetectCase{kReferencePriceHeader,
                                                      InputKind::kReferencePrices}));

struct BadHeaderCase {
  std::string_view name;
  std::string_view text;
  std::string_view where;  // "file:line: " of the header
};
void PrintTo(const BadHeaderCase& c, std::ostream* os) { *os << c.name; }

class CsvInputsBadHeaderTest : public ::testing::TestWithParam<BadHeaderCase> {};

TEST_P(CsvInputsBadHeaderTest, UnknownHeaderIsInvalidArgumentListingTheFormats) {
  CsvFile file = Csv(GetParam().text, "odd.csv");
  auto kind = DetectInputKind(file);
  ASSERT_FALSE(kind.has_value());
  EXPECT_EQ(kind.error().code(), Status::Code::kInvalidArgument);
  const std::string& m = kind.error().message();
  EXPECT_EQ(m.rfind(std::string(GetParam().where) + "header is not one of the input formats", 0),
            0u)
      << m;
  EXPECT_NE(m.find("trade_id,trade_date,exec_time"), std::string::npos) << m;
  EXPECT_NE(m.find("contract,time,bid,bid_size,ask,ask_size"), std::string::npos) << m;
  EXPECT_NE(m.find("name,date,kind,value,published_at"), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(
    CsvInputsTest, CsvInputsBadHeaderTest,
    ::testing::Values(
        BadHeaderCase{"Unrelated", "a,b,c\n", "odd.csv:1: "},
        BadHeaderCase{"ColumnsOutOfOrder", "time,contract,bid,bid_size,ask,ask_size\n",
                      "odd.csv:1: "},
        BadHeaderCase{"ColumnMissing", "contract,time,bid,bid_size,ask\n", "odd.csv:1: "},
        BadHeaderCase{"UpperCase", "CONTRACT,TIME,BID,BID_SIZE,ASK,ASK_SIZE\n", "odd.csv:1: "},
        BadHeaderCase{"AfterCommentAndBlankLine", "# quotes\n\nname,date,kind\n", "odd.csv:3: "}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// Good rows.

TEST_F(CsvInputsTest, TradeRowBecomesATradeKeyedByCanonicalContract) {
  auto out = Convert(std::string(kTradeHeader) +
                         "T-1,2023-06-16,2023-06-16T09:30:00-05:00,ESM23,4400.250,3,FIRMA,ACC1,"
                         "FIRMB,ACC2\n",
                     InputKind::kTrades, "trades.csv");
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "ESM23");
  clearing::v1::Trade t;
  ASSERT_TRUE(t.ParseFromString(out[0].value));
  EXPECT_EQ(t.trade_id(), "T-1");
  EXPECT_EQ(t.trade_date(), "2023-06-16");
  EXPECT_EQ(t.exec_time(), "2023-06-16T09:30:00-05:00");
  EXPECT_EQ(t.contract(), "ESM23");
  EXPECT_EQ(t.price(), "4400.25");
  EXPECT_EQ(t.quantity(), 3);
  EXPECT_EQ(t.buyer().firm(), "FIRMA");
  EXPECT_EQ(t.buyer().account(), "ACC1");
  EXPECT_EQ(t.seller().firm(), "FIRMB");
  EXPECT_EQ(t.seller().account(), "ACC2");
}

TEST_F(CsvInputsTest, TradeContractAliasAndPriceAreCanonicalised) {
  struct Case {
    std::string_view contract, price;
    std::string_view want_contract, want_price;
  };
  for (const Case& c :
       {Case{"EMDM23", "2500.10", "MEM23", "2500.1"}, Case{"MEU23", "2500.00", "MEU23", "2500"},
        Case{"ESZ23", "0.50", "ESZ23", "0.5"}, Case{"ESZ23", "-1.250", "ESZ23", "-1.25"},
        Case{"ESZ23", "4400", "ESZ23", "4400"}}) {
    errors_.clear();
    auto out = Convert(std::string(kTradeHeader) + "T-1,2023-06-16,2023-06-16T09:30:00Z," +
                           std::string(c.contract) + "," + std::string(c.price) +
                           ",1,FIRMA,ACC1,FIRMB,ACC2\n",
                       InputKind::kTrades, "trades.csv");
    EXPECT_TRUE(errors_.empty()) << errors_.front();
    ASSERT_EQ(out.size(), 1u) << c.contract << " " << c.price;
    clearing::v1::Trade t;
    ASSERT_TRUE(t.ParseFromString(out[0].value));
    EXPECT_EQ(out[0].key, c.want_contract);
    EXPECT_EQ(t.contract(), c.want_contract);
    EXPECT_EQ(t.price(), c.want_price) << "from " << c.price;
  }
}

TEST_F(CsvInputsTest, QuoteRowBecomesAQuote) {
  auto out =
      Convert(std::string(kQuoteHeader) + "EMDU23,2023-06-16T14:59:59Z,2500.100,10,2500.20,7\n",
              InputKind::kQuotes, "quotes.csv");
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "MEU23");
  clearing::v1::Quote q;
  ASSERT_TRUE(q.ParseFromString(out[0].value));
  EXPECT_EQ(q.contract(), "MEU23");
  EXPECT_EQ(q.time(), "2023-06-16T14:59:59Z");
  EXPECT_EQ(q.bid(), "2500.1");
  EXPECT_EQ(q.bid_size(), 10);
  EXPECT_EQ(q.ask(), "2500.2");
  EXPECT_EQ(q.ask_size(), 7);
}

TEST_F(CsvInputsTest, QuoteWithAnEmptySideHasNoPriceAndSizeZero) {
  auto out = Convert(std::string(kQuoteHeader) + "ESM23,2023-06-16T14:59:59Z,,,4400.50,5\n",
                     InputKind::kQuotes, "quotes.csv");
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_EQ(out.size(), 1u);
  clearing::v1::Quote q;
  ASSERT_TRUE(q.ParseFromString(out[0].value));
  EXPECT_EQ(q.bid(), "");
  EXPECT_EQ(q.bid_size(), 0);
  EXPECT_EQ(q.ask(), "4400.5");
  EXPECT_EQ(q.ask_size(), 5);
}

TEST_F(CsvInputsTest, ReferencePriceRowBecomesAReferencePriceKeyedByName) {
  auto out = Convert(std::string(kReferencePriceHeader) +
                         "SPX,2023-06-16,SOQ,4425.370,2023-06-16T09:35:00-04:00\n"
                         "ETHEUR_RR,2023-06-16,REFERENCE_RATE,1581.25,2023-06-16T16:00:00+01:00\n",
                     InputKind::kReferencePrices, "refs.csv");
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].key, "SPX");
  clearing::v1::ReferencePrice r;
  ASSERT_TRUE(r.ParseFromString(out[0].value));
  EXPECT_EQ(r.name(), "SPX");
  EXPECT_EQ(r.date(), "2023-06-16");
  EXPECT_EQ(r.kind(), clearing::v1::ReferencePrice::SOQ);
  EXPECT_EQ(r.value(), "4425.37");
  EXPECT_EQ(r.published_at(), "2023-06-16T09:35:00-04:00");
  EXPECT_EQ(out[1].key, "ETHEUR_RR");
  ASSERT_TRUE(r.ParseFromString(out[1].value));
  EXPECT_EQ(r.kind(), clearing::v1::ReferencePrice::REFERENCE_RATE);
  EXPECT_EQ(r.value(), "1581.25");
}

TEST_F(CsvInputsTest, EveryReferencePriceKindNameIsAccepted) {
  auto out = Convert(std::string(kReferencePriceHeader) +
                         "A,2023-06-16,SOQ,1,2023-06-16T09:35:00Z\n"
                         "B,2023-06-16,OFFICIAL_CLOSE,1,2023-06-16T09:35:00Z\n"
                         "C,2023-06-16,REFERENCE_RATE,1,2023-06-16T09:35:00Z\n"
                         "D,2023-06-16,SPECIAL_QUOTATION,1,2023-06-16T09:35:00Z\n",
                     InputKind::kReferencePrices, "refs.csv");
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  ASSERT_EQ(out.size(), 4u);
  clearing::v1::ReferencePrice r;
  ASSERT_TRUE(r.ParseFromString(out[3].value));
  EXPECT_EQ(r.kind(), clearing::v1::ReferencePrice::SPECIAL_QUOTATION);
}

// ---------------------------------------------------------------------------------------------
// Malformed rows: one "file:line: what" per row, and no message.

struct BadRowCase {
  std::string_view name;
  InputKind kind;
  std::string_view row;
  // The whole error after "<file>:3: ", or its start when it ends with '*'.
  std::string_view what;
};
void PrintTo(const BadRowCase& c, std::ostream* os) { *os << c.name; }

class CsvInputsBadRowTest : public CsvInputsTest,
                            public ::testing::WithParamInterface<BadRowCase> {};

TEST_P(CsvInputsBadRowTest, IsReportedWithItsLineAndProducesNothing) {
  const BadRowCase& c = GetParam();
  std::string_view header = c.kind == InputKind::kTrades   ? kTradeHeader
                            : c.kind == InputKind::kQuotes ? kQuoteHeader
                                                           : kReferencePriceHeader;
  // Header on line 1, a comment on line 2: the row is on line 3.
  auto out =
      Convert(std::string(header) + "# one row\n" + std::string(c.row) + "\n", c.kind, "in.csv");
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(errors_.size(), 1u);
  std::string want = "in.csv:3: " + std::string(c.what);
  if (want.back() == '*') {
    want.pop_back();
    EXPECT_EQ(errors_[0].rfind(want, 0), 0u) << errors_[0];
  } else {
    EXPECT_EQ(errors_[0], want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    CsvInputsTest, CsvInputsBadRowTest,
    ::testing::Values(
        BadRowCase{"TradeIdEmpty", InputKind::kTrades,
                   ",2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1,F,A,G,B", "trade_id is empty"},
        BadRowCase{"TradeDateNotADay", InputKind::kTrades,
                   "T,2023-02-30,2023-06-16T09:30:00Z,ESM23,4400.25,1,F,A,G,B",
                   "trade_date: '2023-02-30'*"},
        BadRowCase{"TradeTimeWithoutZone", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00,ESM23,4400.25,1,F,A,G,B",
                   "exec_time: '2023-06-16T09:30:00'*"},
        BadRowCase{"TradeUnknownProduct", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,NQM23,4400.25,1,F,A,G,B",
                   "contract 'NQM23'*"},
        BadRowCase{"TradeMalformedMonth", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESA23,4400.25,1,F,A,G,B",
                   "contract 'ESA23'*"},
        BadRowCase{"TradePriceNotADecimal", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.2.5,1,F,A,G,B",
                   "price: '4400.2.5'*"},
        BadRowCase{"TradePriceEmpty", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,,1,F,A,G,B", "price: ''*"},
        BadRowCase{"TradeQuantityFraction", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1.5,F,A,G,B",
                   "quantity: '1.5' is not a whole number"},
        BadRowCase{"TradeQuantityEmpty", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,,F,A,G,B",
                   "quantity: '' is not a whole number"},
        BadRowCase{"TradeQuantityTooLarge", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,99999999999999999999,F,A,G,B",
                   "quantity: '99999999999999999999' is not a whole number"},
        BadRowCase{"TradeQuantityZero", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,0,F,A,G,B",
                   "quantity 0 must be positive"},
        BadRowCase{"TradeQuantityNegative", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,-2,F,A,G,B",
                   "quantity -2 must be positive"},
        BadRowCase{"TradeBuyerFirmEmpty", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1,,A,G,B",
                   "buyer_firm is empty"},
        BadRowCase{"TradeSellerAccountEmpty", InputKind::kTrades,
                   "T,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1,F,A,G,",
                   "seller_account is empty"},
        // Only the first problem of a row is reported.
        BadRowCase{"TradeFirstProblemWins", InputKind::kTrades, ",2023-02-30,noon,NQM23,x,0,,,,",
                   "trade_id is empty"},
        BadRowCase{"QuoteUnknownContract", InputKind::kQuotes, "NQM23,2023-06-16T14:59:59Z,1,1,2,1",
                   "contract 'NQM23'*"},
        BadRowCase{"QuoteTimeEmpty", InputKind::kQuotes, "ESM23,,4400.25,1,4400.5,1", "time: ''*"},
        BadRowCase{"QuoteBidNotADecimal", InputKind::kQuotes,
                   "ESM23,2023-06-16T14:59:59Z,4400.2x,1,4400.5,1", "bid: '4400.2x'*"},
        BadRowCase{"QuoteAskSizeNotANumber", InputKind::kQuotes,
                   "ESM23,2023-06-16T14:59:59Z,4400.25,1,4400.5,five",
                   "ask_size: 'five' is not a whole number"},
        BadRowCase{"QuoteNegativeSize", InputKind::kQuotes,
                   "ESM23,2023-06-16T14:59:59Z,4400.25,-1,4400.5,1", "sizes must not be negative"},
        BadRowCase{"ReferenceNameEmpty", InputKind::kReferencePrices,
                   ",2023-06-16,SOQ,4425.37,2023-06-16T09:35:00Z", "name is empty"},
        BadRowCase{"ReferenceDateMalformed", InputKind::kReferencePrices,
                   "SPX,16/06/2023,SOQ,4425.37,2023-06-16T09:35:00Z", "date: '16/06/2023'*"},
        BadRowCase{"ReferenceKindUnknown", InputKind::kReferencePrices,
                   "SPX,2023-06-16,CLOSE,4425.37,2023-06-16T09:35:00Z",
                   "kind 'CLOSE' is not one of SOQ, OFFICIAL_CLOSE, REFERENCE_RATE, "
                   "SPECIAL_QUOTATION"},
        BadRowCase{"ReferenceKindUnspecified", InputKind::kReferencePrices,
                   "SPX,2023-06-16,KIND_UNSPECIFIED,4425.37,2023-06-16T09:35:00Z",
                   "kind 'KIND_UNSPECIFIED' is not one of SOQ, OFFICIAL_CLOSE, REFERENCE_RATE, "
                   "SPECIAL_QUOTATION"},
        BadRowCase{"ReferenceKindLowerCase", InputKind::kReferencePrices,
                   "SPX,2023-06-16,soq,4425.37,2023-06-16T09:35:00Z",
                   "kind 'soq' is not one of SOQ, OFFICIAL_CLOSE, REFERENCE_RATE, "
                   "SPECIAL_QUOTATION"},
        BadRowCase{"ReferenceValueEmpty", InputKind::kReferencePrices,
                   "SPX,2023-06-16,SOQ,,2023-06-16T09:35:00Z", "value: ''*"},
        BadRowCase{"ReferencePublishedAtWithoutZone", InputKind::kReferencePrices,
                   "SPX,2023-06-16,SOQ,4425.37,2023-06-16T09:35:00",
                   "published_at: '2023-06-16T09:35:00'*"}),
    CaseName());

TEST_F(CsvInputsTest, GoodRowsAroundBadOnesAreKeptAndErrorsNameTheirLines) {
  // Line numbers count the header, comments and blank lines.
  std::string text = std::string(kTradeHeader) +                                      // 1
                     "# morning session\n" +                                          // 2
                     "T-1,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1,F,A,G,B\n"  // 3
                     "T-2,2023-06-16,2023-06-16T09:31:00Z,ESM23,4400.25,0,F,A,G,B\n"  // 4
                     "\n"                                                             // 5
                     "T-3,2023-06-16,2023-06-16T09:32:00Z,EMDM23,2500.1,2,F,A,G,B\n"  // 6
                     "T-4,2023-06-16,2023-06-16T09:33:00Z,XXM23,1,2,F,A,G,B\r\n"      // 7
                     "T-5,2023-06-16,2023-06-16T09:34:00Z,ESU23,4450,3,F,A,G,B\n";    // 8
  auto out = Convert(text, InputKind::kTrades, "day/trades.csv");
  EXPECT_EQ(errors_, (Strings{"day/trades.csv:4: quantity 0 must be positive",
                              "day/trades.csv:7: contract 'XXM23': unknown product 'XX'"}));
  Strings ids, keys;
  for (const KeyedMessage& m : out) {
    clearing::v1::Trade t;
    ASSERT_TRUE(t.ParseFromString(m.value));
    ids.push_back(t.trade_id());
    keys.push_back(m.key);
  }
  EXPECT_EQ(ids, (Strings{"T-1", "T-3", "T-5"}));
  EXPECT_EQ(keys, (Strings{"ESM23", "MEM23", "ESU23"}));
}

TEST_F(CsvInputsTest, RowsTheReaderCouldNotSplitAreReportedInLineOrderWithTheOthers) {
  std::string text = std::string(kTradeHeader) +                                      // 1
                     "T-1,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,1,F,A,G,B\n"  // 2
                     "T-2,too,few\n"                                                  // 3
                     "T-3,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.25,0,F,A,G,B\n"  // 4
                     "T-4,\"unterminated\n"                                           // 5
                     "T-5,2023-06-16,2023-06-16T09:30:00Z,ESM23,4400.5,2,F,A,G,B\n"   // 6
                     "T-6,x\n";                                                       // 7
  auto file = CsvFile::Parse(text, "in.csv", CsvFile::Mode::kCollectBadRows);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  auto out = ConvertInputCsv(*file, InputKind::kTrades, catalog_, &errors_);
  EXPECT_EQ(errors_,
            (Strings{"in.csv:3: 3 fields, header has 10", "in.csv:4: quantity 0 must be positive",
                     "in.csv:5: unterminated quoted field", "in.csv:7: 2 fields, header has 10"}));
  Strings ids;
  for (const KeyedMessage& m : out) {
    clearing::v1::Trade t;
    ASSERT_TRUE(t.ParseFromString(m.value));
    ids.push_back(t.trade_id());
  }
  EXPECT_EQ(ids, (Strings{"T-1", "T-5"}));
}

TEST_F(CsvInputsTest, ErrorsAreAppendedToThoseAlreadyCollected) {
  errors_.push_back("earlier.csv:2: something");
  auto out = Convert(std::string(kQuoteHeader) + "ESM23,bad,,,,\n", InputKind::kQuotes, "q.csv");
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_EQ(errors_[0], "earlier.csv:2: something");
  EXPECT_EQ(errors_[1].rfind("q.csv:2: time: 'bad'", 0), 0u) << errors_[1];
}

TEST_F(CsvInputsTest, FileWithOnlyAHeaderProducesNothing) {
  auto out = Convert(kTradeHeader, InputKind::kTrades, "empty.csv");
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(errors_.empty());
}

}  // namespace
}  // namespace eodclear
