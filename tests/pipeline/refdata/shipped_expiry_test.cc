// The expiry engine on the shipped calendars against CME's last trade dates
// (tests/testdata/calendar/cme_last_trade_dates.csv, every row with its source; see its README):
// 2023-2025 for every seed product family, plus the edge cases.

#include <gtest/gtest.h>

#include <map>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/contract.h"
#include "pipeline/refdata/expiry.h"

namespace eodclear {
namespace {

// The product facts the expiry rules read, per family (as in ops/refdata/products.csv).
Product FamilyProduct(const std::string& code) {
  Product p;
  p.code = code;
  p.listed_months = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  p.settlement_time_zone = "America/Chicago";
  const std::map<std::string, int> eris_tenors = {
      {"LIT", 2},  {"LIC", 3},  {"LID", 4},  {"LIW", 5},  {"LIB", 7},
      {"LIY", 10}, {"LII", 12}, {"LIL", 15}, {"LIO", 20}, {"LIE", 30}};
  if (code == "VLQ") {
    p.expiry_rule = ExpiryRule::kVolq;
  } else if (code == "CNH" || code == "MNH") {
    p.expiry_rule = ExpiryRule::kUsdCnh;
    p.settlement_type = SettlementType::kPhysical;
  } else if (code == "MEE") {
    p.expiry_rule = ExpiryRule::kMicroEtherEuro;
    p.final_reference = "ETHEUR_RR";
  } else if (eris_tenors.contains(code)) {
    p.expiry_rule = ExpiryRule::kEris;
    p.tenor_years = eris_tenors.at(code);
    p.settlement_window = SettlementWindow{13 * 3600 + 59 * 60, 14 * 3600};
  } else {
    p.expiry_rule = ExpiryRule::kEquityIndex;
    p.final_reference = "SPX";
  }
  return p;
}

TEST(ShippedExpiryTest, LastTradeDatesMatchCmeForEverySeedFamily) {
  std::string ops = EODCLEAR_OPS_REFDATA_DIR;
  auto calendars = CalendarSet::Load(ops + "/calendars.csv", ops + "/holidays.csv");
  ASSERT_TRUE(calendars.has_value()) << calendars.error().ToString();
  auto file =
      CsvFile::Read(std::string(EODCLEAR_TESTDATA_DIR) + "/calendar/cme_last_trade_dates.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_TRUE(file->ExpectHeader({"contract", "product", "last_trade_date", "trading_terminates",
                                  "final_settlement_date", "source"})
                  .ok());
  std::map<std::string, int> checked;
  for (const auto& row : file->rows()) {
    const auto& f = row.fields;
    SCOPED_TRACE(file->Where(row) + " " + f[0]);
    auto symbol = SplitContractSymbol(f[0]);
    ASSERT_TRUE(symbol.has_value()) << symbol.error().ToString();
    Product p = FamilyProduct(f[1]);
    auto e = ComputeExpiry(p, symbol->year, symbol->month, *calendars);
    if (symbol->year < 2013) {
      // Before the shipped calendars' coverage: the engine refuses rather than guesses.
      ASSERT_FALSE(e.has_value());
      EXPECT_EQ(e.error().code(), Status::Code::kFailedPrecondition) << e.error().ToString();
      continue;
    }
    ASSERT_TRUE(e.has_value()) << e.error().ToString();
    EXPECT_EQ(e->last_trade_date.ToString(), f[2]);
    if (!f[3].empty()) {
      auto want = ZonedTime::Parse(f[3]);
      ASSERT_TRUE(want.has_value()) << want.error().ToString();
      EXPECT_EQ(e->trading_terminates.unix_nanos, want->unix_nanos)
          << e->trading_terminates.ToString();
      EXPECT_EQ(e->trading_terminates.utc_offset_minutes, want->utc_offset_minutes);
    }
    // USD/CNH is physically delivered: eodclear's final settlement date is the delivery day (the
    // third Wednesday), where the fixture gives the day the final price is fixed.
    if (p.expiry_rule != ExpiryRule::kUsdCnh) {
      EXPECT_EQ(e->final_settlement_date.ToString(), f[4]);
    }
    ++checked[f[1]];
  }
  // Every seed family is represented.
  for (const char* family : {"ES", "VLQ", "CNH", "MNH", "MEE", "LIC"}) {
    EXPECT_GT(checked[family], 0) << family;
  }
}

}  // namespace
}  // namespace eodclear
