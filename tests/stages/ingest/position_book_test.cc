#include "stages/ingest/position_book.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

constexpr auto& D = testing::Dec;
using testing::At;
using testing::Day;

const Date kBusinessDate = Day("2023-06-16");

// A validated trade: `buyer` buys `quantity` of `contract` at `price` from `seller`. Parties are
// "FIRM/ACCOUNT". Views point at string literals, so the trade outlives nothing it refers to.
struct Party {
  std::string_view firm;
  std::string_view account;
};
constexpr Party kA{"FIRMA", "ACC1"};
constexpr Party kB{"FIRMB", "ACC2"};
constexpr Party kC{"FIRMC", "ACC3"};

ValidTrade Trade(Party buyer, Party seller, std::string_view contract, std::string_view price,
                 int64_t quantity, std::string_view exec_time = "2023-06-16T10:00:00-05:00") {
  ValidTrade t;
  t.trade_id = "T";
  t.trade_date = kBusinessDate;
  t.exec_time = At(exec_time);
  t.exec_time_text = exec_time;
  t.contract = contract;
  t.price = D(price);
  t.price_text = price;
  t.quantity = quantity;
  t.buyer_firm = buyer.firm;
  t.buyer_account = buyer.account;
  t.seller_firm = seller.firm;
  t.seller_account = seller.account;
  return t;
}

// "FIRM/ACCOUNT/CONTRACT" of each entry, sorted.
std::vector<std::string> Names(const std::vector<const PositionEntry*>& entries) {
  std::vector<std::string> out;
  for (const PositionEntry* e : entries)
    out.push_back(e->firm + "/" + e->account + "/" + e->contract);
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<std::string> Names(const std::vector<const ContractDayEntry*>& entries) {
  std::vector<std::string> out;
  for (const ContractDayEntry* e : entries) out.push_back(e->contract);
  std::sort(out.begin(), out.end());
  return out;
}

using Strings = std::vector<std::string>;

class PositionBookTest : public ::testing::Test {
 protected:
  const PositionEntry& Get(Party p, std::string_view contract) {
    const PositionEntry* e = book_.Find(p.firm, p.account, contract);
    if (e == nullptr) {
      ADD_FAILURE() << "no position " << p.firm << "/" << p.account << "/" << contract;
      static const PositionEntry kNone;
      return kNone;
    }
    return *e;
  }
  const ContractDayEntry& TakeDay(std::string_view contract) {
    for (const ContractDayEntry* e : book_.TakeDirtyContractDays()) {
      if (e->contract == contract) return *e;
    }
    ADD_FAILURE() << "contract day " << contract << " did not change";
    static const ContractDayEntry kNone;
    return kNone;
  }

  PositionBook book_{kBusinessDate};
};

// ---------------------------------------------------------------------------------------------
// Positions.

TEST_F(PositionBookTest, BuyerGoesLongAndSellerGoesShort) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 3));

  const PositionEntry& buyer = Get(kA, "ESM23");
  EXPECT_EQ(buyer.firm, "FIRMA");
  EXPECT_EQ(buyer.account, "ACC1");
  EXPECT_EQ(buyer.contract, "ESM23");
  EXPECT_EQ(buyer.net, 3);
  EXPECT_EQ(buyer.bought, 3);
  EXPECT_EQ(buyer.sold, 0);
  EXPECT_EQ(buyer.buy_value, D("13200.75"));  // 4400.25 x 3
  EXPECT_EQ(buyer.sell_value, D("0"));
  EXPECT_EQ(buyer.activity_date, kBusinessDate);

  const PositionEntry& seller = Get(kB, "ESM23");
  EXPECT_EQ(seller.net, -3);
  EXPECT_EQ(seller.bought, 0);
  EXPECT_EQ(seller.sold, 3);
  EXPECT_EQ(seller.buy_value, D("0"));
  EXPECT_EQ(seller.sell_value, D("13200.75"));
  EXPECT_EQ(seller.activity_date, kBusinessDate);
}

TEST_F(PositionBookTest, BuysAndSellsAccumulateSeparatelyAndNet) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 2));  // A buys 2: 8800.50
  book_.ApplyTrade(Trade(kB, kA, "ESM23", "4401.50", 5));  // A sells 5: 22007.50
  book_.ApplyTrade(Trade(kA, kC, "ESM23", "4399.75", 1));  // A buys 1: 4399.75

  const PositionEntry& a = Get(kA, "ESM23");
  EXPECT_EQ(a.net, -2);  // +2 -5 +1
  EXPECT_EQ(a.bought, 3);
  EXPECT_EQ(a.sold, 5);
  EXPECT_EQ(a.buy_value, D("13200.25"));  // 8800.50 + 4399.75
  EXPECT_EQ(a.sell_value, D("22007.5"));

  const PositionEntry& b = Get(kB, "ESM23");
  EXPECT_EQ(b.net, 3);  // -2 +5
  EXPECT_EQ(b.bought, 5);
  EXPECT_EQ(b.sold, 2);
  EXPECT_EQ(b.buy_value, D("22007.5"));
  EXPECT_EQ(b.sell_value, D("8800.5"));

  const PositionEntry& c = Get(kC, "ESM23");
  EXPECT_EQ(c.net, -1);
  EXPECT_EQ(c.sell_value, D("4399.75"));
}

TEST_F(PositionBookTest, ValuesAreExactDecimalsWithoutBinaryRounding) {
  // Ten buys of 1 at 0.1 sum to exactly 1 (binary floating point gives 0.9999999999999999).
  for (int i = 0; i < 10; ++i) book_.ApplyTrade(Trade(kA, kB, "MEM23", "0.1", 1));
  EXPECT_EQ(Get(kA, "MEM23").buy_value, D("1"));
  // 7.1234 x 7 = 49.8638 and 7.1235 x 3 = 21.3705, together 71.2343.
  book_.ApplyTrade(Trade(kC, kB, "CNHU23", "7.1234", 7));
  book_.ApplyTrade(Trade(kC, kB, "CNHU23", "7.1235", 3));
  EXPECT_EQ(Get(kC, "CNHU23").buy_value, D("71.2343"));
  EXPECT_EQ(Get(kB, "CNHU23").sell_value, D("71.2343"));
  // Eight fraction digits survive: 0.00000001 x 3 = 0.00000003.
  book_.ApplyTrade(Trade(kA, kC, "XXU23", "0.00000001", 3));
  EXPECT_EQ(Get(kA, "XXU23").buy_value, Decimal::FromUnits(3));
}

TEST_F(PositionBookTest, PositionsAreKeptPerFirmAccountAndContract) {
  constexpr Party kSameFirmOtherAccount{"FIRMA", "ACC9"};
  constexpr Party kSameAccountOtherFirm{"FIRMZ", "ACC1"};
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400", 1));
  book_.ApplyTrade(Trade(kA, kB, "ESU23", "4450", 2));
  book_.ApplyTrade(Trade(kSameFirmOtherAccount, kB, "ESM23", "4400", 4));
  book_.ApplyTrade(Trade(kSameAccountOtherFirm, kB, "ESM23", "4400", 8));

  EXPECT_EQ(Get(kA, "ESM23").net, 1);
  EXPECT_EQ(Get(kA, "ESU23").net, 2);
  EXPECT_EQ(Get(kSameFirmOtherAccount, "ESM23").net, 4);
  EXPECT_EQ(Get(kSameAccountOtherFirm, "ESM23").net, 8);
  EXPECT_EQ(Get(kB, "ESM23").net, -13);
  EXPECT_EQ(Get(kB, "ESU23").net, -2);
  EXPECT_EQ(book_.Find("FIRMA", "ACC1", "ESZ23"), nullptr);
  EXPECT_EQ(book_.Find("FIRMC", "ACC3", "ESM23"), nullptr);
  // Key parts are not confused by concatenation: "FIRMA"+"ACC1" is not "FIRM"+"AACC1".
  EXPECT_EQ(book_.Find("FIRM", "AACC1", "ESM23"), nullptr);
  EXPECT_EQ(Names(book_.AllPositions()),
            (Strings{"FIRMA/ACC1/ESM23", "FIRMA/ACC1/ESU23", "FIRMA/ACC9/ESM23", "FIRMB/ACC2/ESM23",
                     "FIRMB/ACC2/ESU23", "FIRMZ/ACC1/ESM23"}));
}

TEST_F(PositionBookTest, TradeWithItselfBuysAndSellsTheSameEntry) {
  book_.ApplyTrade(Trade(kA, kA, "ESM23", "4400.25", 2));
  const PositionEntry& a = Get(kA, "ESM23");
  EXPECT_EQ(a.net, 0);
  EXPECT_EQ(a.bought, 2);
  EXPECT_EQ(a.sold, 2);
  EXPECT_EQ(a.buy_value, D("8800.5"));
  EXPECT_EQ(a.sell_value, D("8800.5"));
  EXPECT_EQ(Names(book_.TakeDirtyPositions()), (Strings{"FIRMA/ACC1/ESM23"}));
}

// ---------------------------------------------------------------------------------------------
// Positions loaded from state.

PositionEntry Loaded(Party p, std::string_view contract, int64_t net, Date activity_date) {
  PositionEntry e;
  e.firm = p.firm;
  e.account = p.account;
  e.contract = contract;
  e.net = net;
  e.activity_date = activity_date;
  e.bought = 4;
  e.sold = 2;
  e.buy_value = D("17600");
  e.sell_value = D("8801.5");
  return e;
}

TEST_F(PositionBookTest, LoadedPositionFromAnEarlierDateStartsTheDaysActivityAfresh) {
  book_.LoadPosition(Loaded(kA, "ESM23", 10, Day("2023-06-15")));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 1));

  const PositionEntry& a = Get(kA, "ESM23");
  EXPECT_EQ(a.net, 11);  // the net position carries over
  EXPECT_EQ(a.activity_date, kBusinessDate);
  EXPECT_EQ(a.bought, 1);  // yesterday's 4 do not count
  EXPECT_EQ(a.sold, 0);
  EXPECT_EQ(a.buy_value, D("4400.25"));
  EXPECT_EQ(a.sell_value, D("0"));
}

TEST_F(PositionBookTest, LoadedPositionFromAnEarlierDateResetsOnTheSellingSideToo) {
  book_.LoadPosition(Loaded(kB, "ESM23", 10, Day("2023-06-15")));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 3));

  const PositionEntry& b = Get(kB, "ESM23");
  EXPECT_EQ(b.net, 7);
  EXPECT_EQ(b.activity_date, kBusinessDate);
  EXPECT_EQ(b.bought, 0);
  EXPECT_EQ(b.sold, 3);
  EXPECT_EQ(b.buy_value, D("0"));
  EXPECT_EQ(b.sell_value, D("13200.75"));
}

TEST_F(PositionBookTest, LoadedPositionOfTheBusinessDateKeepsAccumulating) {
  // A restarted run reloads what the day's earlier batches stored.
  book_.LoadPosition(Loaded(kA, "ESM23", 10, kBusinessDate));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 1));
  book_.ApplyTrade(Trade(kB, kA, "ESM23", "4400.50", 2));

  const PositionEntry& a = Get(kA, "ESM23");
  EXPECT_EQ(a.net, 9);  // 10 + 1 - 2
  EXPECT_EQ(a.bought, 5);
  EXPECT_EQ(a.sold, 4);
  EXPECT_EQ(a.buy_value, D("22000.25"));  // 17600 + 4400.25
  EXPECT_EQ(a.sell_value, D("17602.5"));  // 8801.5 + 8801
}

TEST_F(PositionBookTest, LoadedPositionWithoutTradesIsUnchangedAndNotDirty) {
  book_.LoadPosition(Loaded(kA, "ESM23", -6, Day("2023-06-14")));
  book_.ApplyTrade(Trade(kB, kC, "ESM23", "4400", 1));

  const PositionEntry& a = Get(kA, "ESM23");
  EXPECT_EQ(a.net, -6);
  EXPECT_EQ(a.activity_date, Day("2023-06-14"));
  EXPECT_EQ(a.bought, 4);
  EXPECT_EQ(a.buy_value, D("17600"));
  EXPECT_EQ(Names(book_.TakeDirtyPositions()), (Strings{"FIRMB/ACC2/ESM23", "FIRMC/ACC3/ESM23"}));
  EXPECT_EQ(Names(book_.AllPositions()),
            (Strings{"FIRMA/ACC1/ESM23", "FIRMB/ACC2/ESM23", "FIRMC/ACC3/ESM23"}));
}

// ---------------------------------------------------------------------------------------------
// Dirty tracking.

TEST_F(PositionBookTest, LoadingMarksNothingDirty) {
  book_.LoadPosition(Loaded(kA, "ESM23", 1, Day("2023-06-15")));
  ContractDayEntry day;
  day.contract = "ESM23";
  day.trade_count = 1;
  book_.LoadContractDay(day);
  EXPECT_TRUE(book_.TakeDirtyPositions().empty());
  EXPECT_TRUE(book_.TakeDirtyContractDays().empty());
}

TEST_F(PositionBookTest, TakeDirtyReturnsEachChangedEntryOnceThenNothing) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400", 1));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4401", 1));
  book_.ApplyTrade(Trade(kB, kA, "ESM23", "4402", 1));
  book_.ApplyTrade(Trade(kA, kC, "MEM23", "2500.1", 1));

  auto positions = book_.TakeDirtyPositions();
  EXPECT_EQ(Names(positions), (Strings{"FIRMA/ACC1/ESM23", "FIRMA/ACC1/MEM23", "FIRMB/ACC2/ESM23",
                                       "FIRMC/ACC3/MEM23"}));
  // The pointers show the state after every trade so far.
  for (const PositionEntry* e : positions) {
    if (e->account == "ACC1" && e->contract == "ESM23") {
      EXPECT_EQ(e->net, 1);
    }
  }
  EXPECT_EQ(Names(book_.TakeDirtyContractDays()), (Strings{"ESM23", "MEM23"}));

  EXPECT_TRUE(book_.TakeDirtyPositions().empty());
  EXPECT_TRUE(book_.TakeDirtyContractDays().empty());
}

TEST_F(PositionBookTest, OnlyEntriesChangedSinceTheLastTakeAreDirty) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400", 1));
  book_.ApplyTrade(Trade(kA, kC, "MEM23", "2500.1", 1));
  (void)book_.TakeDirtyPositions();
  (void)book_.TakeDirtyContractDays();

  book_.ApplyTrade(Trade(kC, kA, "MEM23", "2500.2", 2));
  EXPECT_EQ(Names(book_.TakeDirtyPositions()), (Strings{"FIRMA/ACC1/MEM23", "FIRMC/ACC3/MEM23"}));
  EXPECT_EQ(Names(book_.TakeDirtyContractDays()), (Strings{"MEM23"}));
  EXPECT_TRUE(book_.TakeDirtyPositions().empty());
}

TEST_F(PositionBookTest, LoadedEntryBecomesDirtyWhenItTrades) {
  book_.LoadPosition(Loaded(kA, "ESM23", 1, Day("2023-06-15")));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400", 1));
  auto dirty = book_.TakeDirtyPositions();
  EXPECT_EQ(Names(dirty), (Strings{"FIRMA/ACC1/ESM23", "FIRMB/ACC2/ESM23"}));
  for (const PositionEntry* e : dirty) {
    if (e->firm == "FIRMA") {
      EXPECT_EQ(e->net, 2);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Contract day statistics.

TEST_F(PositionBookTest, SingleTradeIsOpenHighLowAndLast) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 3, "2023-06-16T08:30:00-05:00"));
  const ContractDayEntry& d = TakeDay("ESM23");
  EXPECT_EQ(d.contract, "ESM23");
  EXPECT_EQ(d.trade_count, 1);
  EXPECT_EQ(d.volume, 3);
  EXPECT_EQ(d.turnover, D("13200.75"));
  EXPECT_EQ(d.open, D("4400.25"));
  EXPECT_EQ(d.high, D("4400.25"));
  EXPECT_EQ(d.low, D("4400.25"));
  EXPECT_EQ(d.last, D("4400.25"));
  EXPECT_EQ(d.first_time.unix_nanos, At("2023-06-16T13:30:00Z").unix_nanos);
  EXPECT_EQ(d.last_time.unix_nanos, At("2023-06-16T13:30:00Z").unix_nanos);
}

TEST_F(PositionBookTest, OpenAndLastFollowExecutionTimeNotArrivalOrder) {
  // Arrival order: 10:00:05, 10:00:01, 10:00:09, 10:00:03.
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.50", 1, "2023-06-16T10:00:05-05:00"));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 2, "2023-06-16T10:00:01-05:00"));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4399.75", 3, "2023-06-16T10:00:09-05:00"));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4401.00", 4, "2023-06-16T10:00:03-05:00"));

  const ContractDayEntry& d = TakeDay("ESM23");
  EXPECT_EQ(d.open, D("4400.25"));  // 10:00:01
  EXPECT_EQ(d.last, D("4399.75"));  // 10:00:09
  EXPECT_EQ(d.high, D("4401"));
  EXPECT_EQ(d.low, D("4399.75"));
  EXPECT_EQ(d.first_time.unix_nanos, At("2023-06-16T10:00:01-05:00").unix_nanos);
  EXPECT_EQ(d.last_time.unix_nanos, At("2023-06-16T10:00:09-05:00").unix_nanos);
  EXPECT_EQ(d.trade_count, 4);
  EXPECT_EQ(d.volume, 10);
  // 4400.50 + 8800.50 + 13199.25 + 17604.00
  EXPECT_EQ(d.turnover, D("44004.25"));
}

TEST_F(PositionBookTest, ExecutionTimesInDifferentZonesCompareAsInstants) {
  // 10:00 at -05:00 is 15:00Z; 14:30Z is earlier although its clock reads later.
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.00", 1, "2023-06-16T10:00:00-05:00"));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4410.00", 1, "2023-06-16T14:30:00Z"));
  const ContractDayEntry& d = TakeDay("ESM23");
  EXPECT_EQ(d.open, D("4410"));
  EXPECT_EQ(d.last, D("4400"));
  EXPECT_EQ(d.first_time.utc_offset_minutes, 0);
  EXPECT_EQ(d.last_time.utc_offset_minutes, -300);
}

TEST_F(PositionBookTest, TradesAtTheSameTimeKeepTheFirstAppliedAsOpenAndLast) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.00", 1, "2023-06-16T10:00:00-05:00"));
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.50", 1, "2023-06-16T10:00:00-05:00"));
  const ContractDayEntry& d = TakeDay("ESM23");
  EXPECT_EQ(d.open, D("4400"));
  EXPECT_EQ(d.last, D("4400"));
  EXPECT_EQ(d.high, D("4400.5"));
}

TEST_F(PositionBookTest, StatisticsAreKeptPerContract) {
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4400.25", 2));
  book_.ApplyTrade(Trade(kA, kB, "MEM23", "2500.10", 5));
  auto days = book_.TakeDirtyContractDays();
  ASSERT_EQ(days.size(), 2u);
  for (const ContractDayEntry* d : days) {
    if (d->contract == "ESM23") {
      EXPECT_EQ(d->volume, 2);
      EXPECT_EQ(d->turnover, D("8800.5"));
    } else {
      EXPECT_EQ(d->contract, "MEM23");
      EXPECT_EQ(d->volume, 5);
      EXPECT_EQ(d->turnover, D("12500.5"));
    }
  }
}

TEST_F(PositionBookTest, LoadedContractDayTakesLaterTrades) {
  ContractDayEntry loaded;
  loaded.contract = "ESM23";
  loaded.trade_count = 2;
  loaded.volume = 5;
  loaded.turnover = D("22010");
  loaded.open = D("4400");
  loaded.high = D("4404");
  loaded.low = D("4399");
  loaded.last = D("4402");
  loaded.first_time = At("2023-06-16T09:30:00-05:00");
  loaded.last_time = At("2023-06-16T10:00:00-05:00");
  book_.LoadContractDay(loaded);

  // Earlier than the loaded open, below the loaded low.
  book_.ApplyTrade(Trade(kA, kB, "ESM23", "4398.50", 2, "2023-06-16T09:00:00-05:00"));
  const ContractDayEntry& d = TakeDay("ESM23");
  EXPECT_EQ(d.trade_count, 3);
  EXPECT_EQ(d.volume, 7);
  EXPECT_EQ(d.turnover, D("30807"));  // 22010 + 8797
  EXPECT_EQ(d.open, D("4398.5"));
  EXPECT_EQ(d.low, D("4398.5"));
  EXPECT_EQ(d.high, D("4404"));
  EXPECT_EQ(d.last, D("4402"));  // still the 10:00 trade
  EXPECT_EQ(d.first_time.unix_nanos, At("2023-06-16T14:00:00Z").unix_nanos);
  EXPECT_EQ(d.last_time.unix_nanos, At("2023-06-16T15:00:00Z").unix_nanos);
}

}  // namespace
}  // namespace eodclear
