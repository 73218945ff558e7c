#include "stages/settlement/settlement_stage.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "clearing/v1/settlement.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/core/decimal.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/product_catalog.h"
#include "pipeline/refdata/refdata.h"
#include "pipeline/run_ledger.h"
#include "pipeline/runner/eod_runner.h"
#include "storage/keys.h"
#include "storage/state_store.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_products.h"

// The settlement stage end to end on a real RocksDB state store (in a fresh temporary folder) and
// the shipped e2e reference data, without Kafka (empty brokers: no side topics are read). Each test
// writes what ingest would have stored (positions, quote snapshots) plus DAILY overrides as the
// priors of the first day, runs the stage through RunEndOfDay, and checks the outbox.
//
// The property test keeps its own position book from random trades, computes every account's
// variation margin exactly from the individual trades (not from the stage's aggregated
// buy/sell values, and without the production VM functions), and checks the published records
// against it over several consecutive business days and seeds.

namespace eodclear {
namespace {

namespace st = eodclear::state::v1;
using clearing::v1::SettlementOverride;
using clearing::v1::SettlementPrice;
using clearing::v1::VariationMargin;
using testing::Day;
using testing::Dec;

constexpr std::string_view kSettlementPricesTopic = "settlement-prices";
constexpr std::string_view kVariationMarginTopic = "variation-margin";
constexpr std::string_view kFinalSettlementsTopic = "final-settlements";
constexpr std::string_view kRoundingFirm = "CH";
constexpr std::string_view kRoundingAccount = "CH-ROUNDING";

Result<RefData> LoadShippedRefData() {
  return RefData::Load(std::string(EODCLEAR_TESTDATA_DIR) + "/e2e/refdata");
}

SettlementOverride DailyOverride(Date date, std::string_view contract, Decimal price) {
  SettlementOverride o;
  o.set_business_date(date.ToString());
  o.set_contract(std::string(contract));
  o.set_kind(SettlementOverride::DAILY);
  o.set_price(price.ToString());
  o.set_reason("opening price of the book");
  o.set_entered_by("settlement_stage_test");
  return o;
}

// What the stage left in the outbox for one date.
struct Outbox {
  std::map<std::string, SettlementPrice> prices;            // by contract
  std::vector<std::pair<std::string, VariationMargin>> vm;  // record key, record
  std::vector<std::string> final_settlements;               // record keys
  std::vector<std::string> other;                           // "topic|key" of anything else
  size_t total() const {
    return prices.size() + vm.size() + final_settlements.size() + other.size();
  }
};

// A state store in a temporary folder, and the calls that drive the stage over it.
class StageHarness {
 public:
  explicit StageHarness(std::string_view prefix) : dir_(prefix) {}

  Status Open() {
    StateStoreOptions so;
    so.path = dir_.path().string();
    so.write_buffer_bytes = 4u << 20;
    EODCLEAR_ASSIGN_OR_RETURN(store_, StateStore::Open(so));
    return Status::Ok();
  }
  StateStore* store() const { return store_.get(); }
  const std::string& progress() const { return progress_; }

  Status PutPosition(std::string_view firm, std::string_view account, std::string_view contract,
                     const st::PositionState& s) {
    rocksdb::WriteBatch batch;
    batch.Put(store_->cf(StateCf::kPositions), keys::PositionKey(firm, account, contract),
              s.SerializeAsString());
    return store_->Write(&batch, false);
  }

  Status PutQuote(Date date, std::string_view contract, Decimal bid, Decimal ask) {
    st::QuoteState q;
    q.set_time(date.ToString() + "T14:59:58-05:00");
    q.set_bid(bid.ToString());
    q.set_bid_size(7);
    q.set_ask(ask.ToString());
    q.set_ask_size(9);
    rocksdb::WriteBatch batch;
    batch.Put(store_->cf(StateCf::kQuotes), keys::ContractDayKey(date, contract),
              q.SerializeAsString());
    return store_->Write(&batch, false);
  }

  // Runs the settlement stage alone for `date`, as `eodclear run` would (RunEndOfDay).
  Status Run(Date date, const RefData& refdata, const ProductCatalog& products,
             const SettlementOptions& options, uint64_t run_bits) {
    Metrics metrics;
    std::ostringstream progress;
    RunContext ctx;
    ctx.business_date = date;
    ctx.run_id = NewRunId(date, run_bits);
    ctx.store = store_.get();
    ctx.products = &products;
    ctx.calendars = &refdata.calendars;
    ctx.accounts = &refdata.accounts;
    ctx.metrics = &metrics;
    ctx.progress = &progress;
    SettlementStage stage(options, KafkaOptions{});
    auto outcome = RunEndOfDay(ctx, {&stage});
    progress_ += progress.str();
    last_run_id_ = ctx.run_id;
    if (!outcome) return outcome.error();
    return Status::Ok();
  }

  // What the publish stage records once the date's records are out: the date is closed, so the
  // runner accepts the next date (RunLedger::IncompleteBefore).
  Status MarkPublished(Date date) {
    EODCLEAR_ASSIGN_OR_RETURN(RunLedger ledger, RunLedger::Load(store_.get(), date));
    ledger.mutable_state()->set_published_run_id(last_run_id_);
    rocksdb::WriteBatch batch;
    EODCLEAR_RETURN_IF_ERROR(ledger.Stage(&batch, store_.get()));
    return store_->Write(&batch, true);
  }

  Result<bool> SettlementCompleted(Date date) const {
    EODCLEAR_ASSIGN_OR_RETURN(RunLedger ledger, RunLedger::Load(store_.get(), date));
    return ledger.IsCompleted("settlement");
  }

  Result<Outbox> ReadOutbox(Date date) const {
    Outbox out;
    Status problem;
    Status scanned = store_->ScanPrefix(
        StateCf::kOutbox, keys::OutboxPrefix(date), [&](std::string_view k, std::string_view v) {
          auto key = keys::ParseOutboxKey(k);
          if (!key) {
            problem = key.error();
            return false;
          }
          if (key->date != date) {
            problem = Status::Internal("outbox key of " + key->date.ToString() + " under " +
                                       date.ToString());
            return false;
          }
          if (key->topic == kSettlementPricesTopic) {
            SettlementPrice sp;
            if (!sp.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
              problem = Status::Internal("settlement price " + key->record_key + " is corrupt");
              return false;
            }
            if (out.prices.contains(sp.contract())) {
              problem = Status::Internal("two settlement prices of " + sp.contract());
              return false;
            }
            if (key->record_key != date.ToString() + "|" + sp.contract()) {
              problem = Status::Internal("settlement price keyed " + key->record_key);
              return false;
            }
            out.prices.emplace(sp.contract(), std::move(sp));
          } else if (key->topic == kVariationMarginTopic) {
            VariationMargin vm;
            if (!vm.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
              problem = Status::Internal("variation margin " + key->record_key + " is corrupt");
              return false;
            }
            out.vm.emplace_back(key->record_key, std::move(vm));
          } else if (key->topic == kFinalSettlementsTopic) {
            out.final_settlements.push_back(key->record_key);
          } else {
            out.other.push_back(key->topic + "|" + key->record_key);
          }
          return true;
        });
    EODCLEAR_RETURN_IF_ERROR(scanned);
    EODCLEAR_RETURN_IF_ERROR(problem);
    return out;
  }

  // The `settlements` records (the next dates' priors) written for `date`.
  Result<int> SettlementsOn(Date date, const std::vector<std::string>& contracts) const {
    int n = 0;
    for (const auto& c : contracts) {
      EODCLEAR_ASSIGN_OR_RETURN(auto v,
                                store_->Get(StateCf::kSettlements, keys::SettlementKey(c, date)));
      if (v) ++n;
    }
    return n;
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::string progress_;
  std::string last_run_id_;
};

// ---------------------------------------------------------------------------------------------
// The in-test position book.

// One fill of one account: a buy (quantity > 0) or a sell (quantity < 0) at `price`.
struct Fill {
  Decimal price;
  int64_t quantity = 0;
};

// One account's position in one contract, as PositionState documents it, plus the day's fills.
struct BookEntry {
  int64_t net = 0;
  int64_t start_of_day = 0;  // net before the current business date's trades
  std::string activity_date;
  int64_t bought = 0, sold = 0;
  Decimal buy_value, sell_value;
  std::vector<Fill> fills;  // the current business date's fills

  st::PositionState ToState() const {
    st::PositionState s;
    s.set_net_quantity(net);
    s.set_activity_date(activity_date);
    s.set_bought(bought);
    s.set_sold(sold);
    s.set_buy_value(buy_value.ToString());
    s.set_sell_value(sell_value.ToString());
    return s;
  }
};

struct AccountId {
  std::string firm, account;
  auto operator<=>(const AccountId&) const = default;
};

class Book {
 public:
  // A new business date: every position's start of day is its net; the day's fills restart.
  // bought/sold/values are left as they are (older activity), exactly like the ingest book.
  void StartDay(const std::string& day) {
    day_ = day;
    for (auto& [k, e] : entries_) {
      e.start_of_day = e.net;
      e.fills.clear();
    }
  }

  void Trade(const AccountId& buyer, const AccountId& seller, const std::string& contract,
             Decimal price, int64_t quantity) {
    Apply(buyer, contract, price, quantity);
    Apply(seller, contract, price, -quantity);
  }

  const BookEntry* Find(const AccountId& a, const std::string& contract) const {
    auto it = entries_.find({contract, a});
    return it == entries_.end() ? nullptr : &it->second;
  }
  int64_t Net(const AccountId& a, const std::string& contract) const {
    const BookEntry* e = Find(a, contract);
    return e == nullptr ? 0 : e->net;
  }

  const std::map<std::pair<std::string, AccountId>, BookEntry>& entries() const { return entries_; }

  Status WriteAll(StageHarness& h) const {
    rocksdb::WriteBatch batch;
    for (const auto& [k, e] : entries_) {
      batch.Put(h.store()->cf(StateCf::kPositions),
                keys::PositionKey(k.second.firm, k.second.account, k.first),
                e.ToState().SerializeAsString());
    }
    return h.store()->Write(&batch, false);
  }

 private:
  void Apply(const AccountId& a, const std::string& contract, Decimal price, int64_t quantity) {
    BookEntry& e = entries_[{contract, a}];
    if (e.activity_date != day_) {
      e.activity_date = day_;
      e.bought = e.sold = 0;
      e.buy_value = e.sell_value = Decimal();
    }
    e.net += quantity;
    if (quantity > 0) {
      e.bought += quantity;
      e.buy_value += price * quantity;
    } else {
      e.sold += -quantity;
      e.sell_value += price * -quantity;
    }
    e.fills.push_back(Fill{price, quantity});
  }

  std::string day_;
  std::map<std::pair<std::string, AccountId>, BookEntry> entries_;  // (contract, account)
};

// ---------------------------------------------------------------------------------------------
// Exact helpers (Int128 on Decimal units; no floating point, no production VM code).

// `price` in whole ticks; the price must be on the tick.
Int128 Ticks(Decimal price, Decimal tick) {
  EXPECT_TRUE(price.IsMultipleOf(tick)) << price.ToString() << " not on tick " << tick.ToString();
  return price.units() / tick.units();
}

Decimal AbsDecimal(Decimal d) { return d.is_negative() ? -d : d; }

// The bid/ask tier's price (settlement_price.h tier 2): the midpoint rounded to the settlement
// tick, an exact half tick toward the prior (CME Rule 813), up when there is none. Bid, ask and
// prior are on the tick here, so a prior is never strictly between the two candidate ticks.
Decimal ExpectedMidpointSettlement(Decimal bid, Decimal ask, Decimal tick,
                                   std::optional<Decimal> prior) {
  Int128 sum = Ticks(bid, tick) + Ticks(ask, tick);
  if (sum % 2 == 0) return Decimal::FromUnits(sum / 2 * tick.units());
  Decimal lo = Decimal::FromUnits((sum - 1) / 2 * tick.units());
  Decimal hi = lo + tick;
  if (prior && *prior <= lo) return lo;
  return hi;
}

// The rule of stages/settlement/variation_margin.h, from the individual fills:
//   multiplier × [(S − S_prior) × start_of_day + Σ (S − price) × signed quantity].
Decimal ExactVm(const BookEntry& e, Decimal multiplier, Decimal settlement,
                std::optional<Decimal> prior) {
  Decimal bracket;
  if (e.start_of_day != 0) {
    EXPECT_TRUE(prior.has_value());
    bracket += (settlement - prior.value_or(settlement)) * e.start_of_day;
  }
  for (const Fill& f : e.fills) bracket += (settlement - f.price) * f.quantity;
  auto exact = bracket.MultiplyExact(multiplier);
  EXPECT_TRUE(exact.has_value()) << exact.error().ToString();
  return exact.value_or(Decimal());
}

// ---------------------------------------------------------------------------------------------
// The property.

struct Instrument {
  std::string symbol;
  const Product* product = nullptr;
  Decimal center;          // today's price level
  bool own_window = true;  // settles from its own quote (false: a micro at its parent's price)
};

struct PropertyStats {
  int64_t account_rows = 0;
  int64_t rounding_rows = 0;
  int64_t firm_total_rows = 0;
  int64_t flat_positions_skipped = 0;  // book entries flat and inactive on a date
  int64_t half_unit_ties = 0;          // exact amounts exactly half a cent off their rounding
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  // Uniform in [lo, hi]. (Modulo bias is irrelevant here; this keeps runs identical everywhere.)
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(gen_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Between(1, 100) <= percent; }

 private:
  std::mt19937_64 gen_;
};

constexpr int kAccounts = 200;
constexpr int kFirms = 4;

AccountId AccountNo(int64_t i) {
  char name[16];
  std::snprintf(name, sizeof name, "A%03lld", static_cast<long long>(i));
  return AccountId{"F" + std::to_string(i % kFirms), name};
}

// Random trades of one day in the book: plain trades between two accounts, and close-outs that
// take an account's whole position flat (so flat, inactive positions exist on later days).
void RandomTrades(Rng& rng, Book& book, std::vector<Instrument>& instruments, int trades) {
  for (int t = 0; t < trades; ++t) {
    Instrument& in = instruments[static_cast<size_t>(
        rng.Between(0, static_cast<int64_t>(instruments.size()) - 1))];
    const Decimal tick = in.product->tick;
    Decimal price = in.center + tick * rng.Between(-12, 12);
    int64_t a = rng.Between(0, kAccounts - 1);
    int64_t b = rng.Between(0, kAccounts - 2);
    if (b >= a) ++b;
    AccountId first = AccountNo(a), second = AccountNo(b);
    int64_t net = book.Net(first, in.symbol);
    if (net != 0 && rng.Chance(25)) {
      // `first` closes its whole position against `second`.
      if (net > 0) {
        book.Trade(second, first, in.symbol, price, net);
      } else {
        book.Trade(first, second, in.symbol, price, -net);
      }
      continue;
    }
    int64_t quantity = rng.Between(1, 20);
    if (rng.Chance(50)) {
      book.Trade(first, second, in.symbol, price, quantity);
    } else {
      book.Trade(second, first, in.symbol, price, quantity);
    }
  }
}

Decimal ParseOrFail(const std::string& text, std::string_view what) {
  auto d = Decimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << what << " '" << text << "' does not parse";
  return d.value_or(Decimal());
}

// Runs five consecutive business days of random trades through the stage and checks every
// published record. `products` is the catalog the stage runs with (the shipped one, or a variant).
void CheckSettlementProperty(uint64_t seed, const RefData& refdata, const ProductCatalog& products,
                             size_t records_per_batch, PropertyStats* stats) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  StageHarness h("eodclear-settlement-stage-property");
  ASSERT_TRUE(h.Open().ok());
  Rng rng(seed);

  auto product = [&](std::string_view code) {
    const Product* p = products.Find(code);
    EXPECT_NE(p, nullptr) << code;
    return p;
  };
  std::vector<Instrument> instruments = {
      {"ESU23", product("ES"), Dec("4300.00"), true},
      {"MESU23", product("MES"), Dec("4300.00"), false},
      {"MEEU23", product("MEE"), Dec("1700.00"), true},
      {"CNHU23", product("CNH"), Dec("7.1500"), true},
  };
  for (const auto& in : instruments) ASSERT_NE(in.product, nullptr);
  auto find = [&](const std::string& symbol) -> Instrument& {
    for (auto& in : instruments) {
      if (in.symbol == symbol) return in;
    }
    ADD_FAILURE() << "no instrument " << symbol;
    return instruments.front();
  };
  // The random centers wander on each product's settlement tick; keep them there.
  for (auto& in : instruments) {
    ASSERT_TRUE(in.center.IsMultipleOf(in.product->settlement_tick)) << in.symbol;
    ASSERT_TRUE(in.product->tick.IsMultipleOf(in.product->settlement_tick)) << in.symbol;
  }

  // The book eodclear takes over: opened on Friday 2023-06-02, priced by DAILY overrides.
  const Date opening = Day("2023-06-02");
  const std::vector<Date> days = {Day("2023-06-05"), Day("2023-06-06"), Day("2023-06-07"),
                                  Day("2023-06-08"), Day("2023-06-09")};
  Book book;
  book.StartDay(opening.ToString());
  RandomTrades(rng, book, instruments, 300);
  SettlementOptions options;
  options.records_per_batch = records_per_batch;
  std::map<std::string, Decimal> prior;  // contract -> prior settlement
  for (const auto& in : instruments) {
    // The micro's opening price is its parent's, like its settlements.
    Decimal p = in.own_window ? in.center : find("ESU23").center;
    prior[in.symbol] = p;
    options.file_overrides.push_back(DailyOverride(opening, in.symbol, p));
  }

  uint64_t run_bits = seed << 8;
  for (const Date& date : days) {
    const std::string day = date.ToString();
    SCOPED_TRACE("business date " + day);
    // The day's market: centers move, trades at random ticks around them, a two-sided quote
    // snapshot per windowed contract. The micro trades around its parent's level; its own quote
    // is deliberately far off (a parent-settled micro ignores it).
    for (auto& in : instruments) {
      if (in.own_window) in.center += in.product->settlement_tick * rng.Between(-8, 8);
    }
    find("MESU23").center = find("ESU23").center;
    book.StartDay(day);
    RandomTrades(rng, book, instruments, 400);
    ASSERT_TRUE(book.WriteAll(h).ok());

    std::map<std::string, Decimal> expected_price;
    std::map<std::string, std::pair<Decimal, Decimal>> quote;
    for (const auto& in : instruments) {
      const Decimal tick = in.product->settlement_tick;
      if (!in.own_window) continue;
      Decimal bid = in.center + tick * rng.Between(-3, 3);
      Decimal ask = bid + tick * rng.Between(1, 3);
      quote[in.symbol] = {bid, ask};
      ASSERT_TRUE(h.PutQuote(date, in.symbol, bid, ask).ok());
      expected_price[in.symbol] = ExpectedMidpointSettlement(bid, ask, tick, prior.at(in.symbol));
    }
    {
      const Decimal tick = find("MESU23").product->tick;
      Decimal bid = find("MESU23").center + tick * 40;
      ASSERT_TRUE(h.PutQuote(date, "MESU23", bid, bid + tick).ok());
    }
    expected_price["MESU23"] = expected_price.at("ESU23");

    Status ran = h.Run(date, refdata, products, options, ++run_bits);
    ASSERT_TRUE(ran.ok()) << ran.ToString() << "\n" << h.progress();
    auto completed = h.SettlementCompleted(date);
    ASSERT_TRUE(completed.has_value());
    EXPECT_TRUE(*completed);
    auto outbox = h.ReadOutbox(date);
    ASSERT_TRUE(outbox.has_value()) << outbox.error().ToString();
    EXPECT_TRUE(outbox->other.empty());
    EXPECT_TRUE(outbox->final_settlements.empty()) << "no contract expires this week";

    // Settlement prices: one per contract, by the bid/ask tier (the micro at its parent's).
    ASSERT_EQ(outbox->prices.size(), instruments.size());
    std::map<std::string, Decimal> settled;
    for (const auto& in : instruments) {
      SCOPED_TRACE(in.symbol);
      auto it = outbox->prices.find(in.symbol);
      ASSERT_NE(it, outbox->prices.end());
      const SettlementPrice& sp = it->second;
      EXPECT_EQ(sp.business_date(), day);
      EXPECT_EQ(sp.tier(), in.own_window ? "bid_ask" : "parent");
      EXPECT_FALSE(sp.stale());
      Decimal price = ParseOrFail(sp.price(), "settlement price");
      EXPECT_EQ(price, expected_price.at(in.symbol))
          << "published " << sp.price() << ", expected " << expected_price.at(in.symbol).ToString();
      EXPECT_TRUE(price.IsMultipleOf(in.product->settlement_tick));
      EXPECT_EQ(sp.prior_price(), prior.at(in.symbol).ToString());
      if (in.own_window) {
        EXPECT_EQ(sp.bid(), quote.at(in.symbol).first.ToString());
        EXPECT_EQ(sp.ask(), quote.at(in.symbol).second.ToString());
      } else {
        ASSERT_EQ(sp.neighbours_size(), 1);
        EXPECT_EQ(sp.neighbours(0), "ESU23");
      }
      settled[in.symbol] = price;
    }

    // Variation margin.
    const Decimal cent = Dec("0.01");
    const Decimal half_cent = Dec("0.005");
    std::map<std::string, std::map<AccountId, const VariationMargin*>> account_rows;
    std::map<std::string, std::vector<const VariationMargin*>> rounding_rows;
    std::map<std::pair<std::string, std::string>, Decimal> firm_sums;    // from account + rounding
    std::map<std::pair<std::string, std::string>, Decimal> firm_totals;  // published
    for (const auto& [key, vm] : outbox->vm) {
      SCOPED_TRACE(key);
      EXPECT_EQ(vm.business_date(), day);
      EXPECT_TRUE(vm.run_id().empty()) << "the outbox holds records without their run id";
      Decimal amount = ParseOrFail(vm.amount(), "amount");
      EXPECT_TRUE(amount.IsMultipleOf(cent)) << vm.amount() << " is not whole cents";
      switch (vm.kind()) {
        case VariationMargin::ACCOUNT: {
          EXPECT_EQ(key, day + "|" + vm.firm() + "|" + vm.account() + "|" + vm.contract());
          bool fresh =
              account_rows[vm.contract()].emplace(AccountId{vm.firm(), vm.account()}, &vm).second;
          EXPECT_TRUE(fresh) << "two records of one account and contract";
          firm_sums[{vm.firm(), vm.currency()}] += amount;
          break;
        }
        case VariationMargin::ROUNDING:
          EXPECT_EQ(key, day + "|" + std::string(kRoundingFirm) + "|" +
                             std::string(kRoundingAccount) + "|" + vm.contract());
          EXPECT_EQ(vm.firm(), kRoundingFirm);
          EXPECT_EQ(vm.account(), kRoundingAccount);
          EXPECT_FALSE(amount.is_zero()) << "a rounding row is written only for a residual";
          rounding_rows[vm.contract()].push_back(&vm);
          firm_sums[{vm.firm(), vm.currency()}] += amount;
          break;
        case VariationMargin::FIRM_TOTAL:
          EXPECT_EQ(key, day + "|" + vm.firm() + "|" + vm.currency());
          EXPECT_TRUE(vm.contract().empty());
          EXPECT_TRUE(firm_totals.emplace(std::make_pair(vm.firm(), vm.currency()), amount).second)
              << "two totals of one firm and currency";
          break;
        default:
          ADD_FAILURE() << "unexpected kind " << VariationMargin::Kind_Name(vm.kind());
      }
    }

    for (const auto& in : instruments) {
      SCOPED_TRACE(in.symbol);
      const Decimal s = settled.at(in.symbol);
      const Decimal p = prior.at(in.symbol);
      const std::string& currency = in.product->currency;
      // The positions the VM must cover: a non-zero start of day, or activity today.
      std::map<AccountId, const BookEntry*> covered;
      for (const auto& [k, e] : book.entries()) {
        if (k.first != in.symbol) continue;
        if (e.start_of_day != 0 || e.activity_date == day) {
          covered.emplace(k.second, &e);
        } else {
          ++stats->flat_positions_skipped;
        }
      }
      const auto& rows = account_rows[in.symbol];
      std::set<AccountId> want, got;
      for (const auto& [a, e] : covered) want.insert(a);
      for (const auto& [a, r] : rows) got.insert(a);
      EXPECT_EQ(got, want) << "VM covers " << got.size() << " accounts, the book " << want.size();

      Decimal exact_sum, published_sum;
      for (const auto& [a, r] : rows) {
        auto e = covered.find(a);
        if (e == covered.end()) continue;
        SCOPED_TRACE(a.firm + "/" + a.account);
        const BookEntry& entry = *e->second;
        Decimal amount = ParseOrFail(r->amount(), "amount");
        Decimal exact = ExactVm(entry, in.product->multiplier, s, p);
        exact_sum += exact;
        published_sum += amount;
        Decimal off = amount - exact;
        EXPECT_LE(AbsDecimal(off), half_cent)
            << "published " << r->amount() << ", exact " << exact.ToString();
        if (AbsDecimal(off) == half_cent) {
          ++stats->half_unit_ties;
          EXPECT_EQ(off.is_negative(), exact.is_negative())
              << "a half cent rounds away from zero: " << exact.ToString() << " -> " << r->amount();
        }
        EXPECT_EQ(r->currency(), currency);
        EXPECT_EQ(r->settlement_price(), s.ToString());
        EXPECT_EQ(r->prior_price(), p.ToString());
        EXPECT_EQ(r->start_of_day(), entry.start_of_day);
        bool active = entry.activity_date == day;
        EXPECT_EQ(r->bought(), active ? entry.bought : 0);
        EXPECT_EQ(r->sold(), active ? entry.sold : 0);
        ++stats->account_rows;
      }
      // Every trade has a buyer and a seller: the exact amounts of a balanced book sum to zero.
      ASSERT_TRUE(exact_sum.is_zero()) << "the test's own book is broken: " << exact_sum.ToString();

      const auto& rounding = rounding_rows[in.symbol];
      ASSERT_LE(rounding.size(), 1u);
      if (!rounding.empty()) {
        const VariationMargin& r = *rounding.front();
        EXPECT_EQ(r.currency(), currency);
        EXPECT_EQ(r.settlement_price(), s.ToString());
        EXPECT_EQ(r.prior_price(), p.ToString());
        Decimal residual = ParseOrFail(r.amount(), "residual");
        // At most half a cent per account row.
        EXPECT_LE(AbsDecimal(residual), half_cent * static_cast<int64_t>(rows.size()));
        published_sum += residual;
        ++stats->rounding_rows;
      }
      EXPECT_TRUE(published_sum.is_zero())
          << in.symbol << " " << currency << ": published amounts sum to "
          << published_sum.ToString();
    }
    for (const auto& [k, sum] : firm_sums) {
      auto t = firm_totals.find(k);
      if (t == firm_totals.end()) {
        ADD_FAILURE() << "no FIRM_TOTAL of " << k.first << " in " << k.second;
        continue;
      }
      EXPECT_EQ(t->second, sum) << "FIRM_TOTAL of " << k.first << " in " << k.second << " is "
                                << t->second.ToString() << ", its rows sum to " << sum.ToString();
    }
    for (const auto& [k, total] : firm_totals) {
      EXPECT_TRUE(firm_sums.contains(k))
          << "FIRM_TOTAL of " << k.first << " in " << k.second << " without rows";
    }
    stats->firm_total_rows += static_cast<int64_t>(firm_totals.size());

    ASSERT_TRUE(h.MarkPublished(date).ok());
    prior = settled;
  }
}

// A copy of `products` in which Micro Ether Euro trades and settles on a 0.01 tick: with its 0.1
// multiplier a tick is worth 0.001 EUR, so exact amounts are fractions of a cent and rounding
// residuals arise (the case variation_margin.h describes). The shipped 0.50 tick is 0.05 EUR:
// whole cents.
Result<ProductCatalog> WithCentFractionTicks(const ProductCatalog& products) {
  std::vector<Product> copy = products.products();
  for (Product& p : copy) {
    if (p.code == "MEE") p.tick = p.settlement_tick = Dec("0.01");
  }
  return ProductCatalog::FromProducts(std::move(copy));
}

TEST(SettlementStageProperty, RandomBooksOverAWeekWithShippedRefData) {
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  // The premises of the choice of contracts.
  const Product* mee = refdata->products.Find("MEE");
  ASSERT_NE(mee, nullptr);
  EXPECT_EQ(mee->currency, "EUR");
  EXPECT_EQ(mee->multiplier, Dec("0.1"));
  EXPECT_EQ(refdata->products.Find("MES")->parent, "ES");
  PropertyStats stats;
  for (uint64_t seed : {1u, 2u, 3u}) {
    CheckSettlementProperty(seed, *refdata, refdata->products,
                            SettlementOptions{}.records_per_batch, &stats);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(stats.account_rows, 3 * 5 * 400);
  EXPECT_GT(stats.flat_positions_skipped, 0) << "the book never left a flat, inactive position";
  EXPECT_EQ(stats.half_unit_ties, 0);
  // Every product's tick value is whole cents (MEE: 0.1 x 0.50 = 0.05 EUR): every exact amount
  // is, so no residual ever arises (variation_margin.h).
  EXPECT_EQ(stats.rounding_rows, 0);
  std::cout << "account rows " << stats.account_rows << ", firm totals " << stats.firm_total_rows
            << ", flat positions skipped " << stats.flat_positions_skipped << "\n";
}

TEST(SettlementStageProperty, FractionOfACentTicksBookResidualsToTheRoundingAccount) {
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  auto products = WithCentFractionTicks(refdata->products);
  ASSERT_TRUE(products.has_value()) << products.error().ToString();
  PropertyStats stats;
  for (uint64_t seed : {11u, 12u, 13u}) {
    CheckSettlementProperty(seed, *refdata, *products, SettlementOptions{}.records_per_batch,
                            &stats);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(stats.rounding_rows, 0) << "no rounding residual was exercised";
  std::cout << "account rows " << stats.account_rows << ", rounding rows " << stats.rounding_rows
            << ", half-cent ties " << stats.half_unit_ties << "\n";
}

TEST(SettlementStageProperty, SmallWriteBatchesPublishTheSame) {
  // VM records are written in several batches while the next is built (FlushIfFull); the result
  // must not depend on where the batches are cut.
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  auto products = WithCentFractionTicks(refdata->products);
  ASSERT_TRUE(products.has_value()) << products.error().ToString();
  PropertyStats stats;
  CheckSettlementProperty(21, *refdata, *products, 7, &stats);
  EXPECT_GT(stats.rounding_rows, 0);
}

// ---------------------------------------------------------------------------------------------
// Focused tests.

st::PositionState Held(int64_t net, std::string_view activity_date = "2023-06-02") {
  st::PositionState s;
  s.set_net_quantity(net);
  s.set_activity_date(std::string(activity_date));
  s.set_bought(net > 0 ? net : 0);
  s.set_sold(net < 0 ? -net : 0);
  s.set_buy_value(net > 0 ? (Dec("4290") * net).ToString() : "0");
  s.set_sell_value(net < 0 ? (Dec("4290") * -net).ToString() : "0");
  return s;
}

// A balanced book in `contract`: F1/A1 long `quantity`, F2/A2 short as many.
Status PutBalancedPositions(StageHarness& h, std::string_view contract, int64_t quantity,
                            std::string_view activity_date = "2023-06-02") {
  EODCLEAR_RETURN_IF_ERROR(h.PutPosition("F1", "A1", contract, Held(quantity, activity_date)));
  return h.PutPosition("F2", "A2", contract, Held(-quantity, activity_date));
}

class SettlementStageFailureTest : public ::testing::TestWithParam<size_t> {};

TEST_P(SettlementStageFailureTest, UnbalancedBookIsAnInvariantViolationAndPublishesNothing) {
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  StageHarness h("eodclear-settlement-stage-broken");
  ASSERT_TRUE(h.Open().ok());
  const Date date = Day("2023-06-05");
  // A balanced book in ES and CNH, plus one long ES position nobody is short against.
  ASSERT_TRUE(PutBalancedPositions(h, "ESU23", 5).ok());
  ASSERT_TRUE(PutBalancedPositions(h, "CNHU23", 2).ok());
  ASSERT_TRUE(h.PutPosition("F3", "EXTRA", "ESU23", Held(3)).ok());
  ASSERT_TRUE(h.PutQuote(date, "ESU23", Dec("4300.00"), Dec("4300.50")).ok());
  ASSERT_TRUE(h.PutQuote(date, "CNHU23", Dec("7.1500"), Dec("7.1502")).ok());
  SettlementOptions options;
  options.records_per_batch = GetParam();
  options.file_overrides = {DailyOverride(Day("2023-06-02"), "ESU23", Dec("4300.25")),
                            DailyOverride(Day("2023-06-02"), "CNHU23", Dec("7.1500"))};

  Status s = h.Run(date, *refdata, refdata->products, options, 1);
  ASSERT_FALSE(s.ok()) << h.progress();
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation) << s.ToString();
  EXPECT_NE(s.message().find("ESU23"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("long open interest 8 != short open interest 5"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("CNHU23"), std::string::npos) << "CNH is balanced: " << s.message();

  auto completed = h.SettlementCompleted(date);
  ASSERT_TRUE(completed.has_value());
  EXPECT_FALSE(*completed) << "no settlement checkpoint after a failed invariant";
  auto outbox = h.ReadOutbox(date);
  ASSERT_TRUE(outbox.has_value()) << outbox.error().ToString();
  EXPECT_TRUE(outbox->prices.empty()) << outbox->prices.size() << " settlement prices written";
  EXPECT_TRUE(outbox->final_settlements.empty());
  auto settlements = h.SettlementsOn(date, {"ESU23", "CNHU23"});
  ASSERT_TRUE(settlements.has_value());
  EXPECT_EQ(*settlements, 0) << "no prior for the next date may be stored";
  // VM records: none with one batch; with small batches the ones already flushed stay in the
  // outbox (Stage::Run: "nothing after the last written batch is kept"), not checkpointed, and
  // replaced by the next attempt. No FIRM_TOTAL is ever written.
  for (const auto& [key, vm] : outbox->vm) {
    EXPECT_NE(vm.kind(), VariationMargin::FIRM_TOTAL) << key;
  }
  if (GetParam() >= 100) {
    EXPECT_TRUE(outbox->vm.empty()) << outbox->vm.size() << " VM records";
  }
  std::cout << "records_per_batch " << GetParam() << ": " << outbox->vm.size()
            << " VM records left in the outbox by the failed attempt\n";
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, SettlementStageFailureTest,
                         ::testing::Values(size_t{100000}, size_t{1}));

TEST(SettlementStageTest, OpenContractWithNothingToSettleByFailsNamingIt) {
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  StageHarness h("eodclear-settlement-stage-unsettleable");
  ASSERT_TRUE(h.Open().ok());
  const Date date = Day("2023-06-05");
  // ES settles (quote, prior); CNH is held open with no quote, no trade and no prior or override.
  ASSERT_TRUE(PutBalancedPositions(h, "ESU23", 5).ok());
  ASSERT_TRUE(PutBalancedPositions(h, "CNHU23", 2).ok());
  ASSERT_TRUE(h.PutQuote(date, "ESU23", Dec("4300.00"), Dec("4300.50")).ok());
  SettlementOptions options;
  options.file_overrides = {DailyOverride(Day("2023-06-02"), "ESU23", Dec("4300.25"))};

  Status s = h.Run(date, *refdata, refdata->products, options, 1);
  ASSERT_FALSE(s.ok()) << h.progress();
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("CNHU23"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("1 contract(s) cannot be settled on 2023-06-05"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("ESU23"), std::string::npos) << s.message();

  // Stopped before anything is written.
  auto completed = h.SettlementCompleted(date);
  ASSERT_TRUE(completed.has_value());
  EXPECT_FALSE(*completed);
  auto outbox = h.ReadOutbox(date);
  ASSERT_TRUE(outbox.has_value()) << outbox.error().ToString();
  EXPECT_EQ(outbox->total(), 0u);
  auto settlements = h.SettlementsOn(date, {"ESU23", "CNHU23"});
  ASSERT_TRUE(settlements.has_value());
  EXPECT_EQ(*settlements, 0);

  // The operator's DAILY override for the date settles CNH, and the retried run completes.
  options.file_overrides.push_back(DailyOverride(date, "CNHU23", Dec("7.1510")));
  options.file_overrides.push_back(DailyOverride(Day("2023-06-02"), "CNHU23", Dec("7.1500")));
  s = h.Run(date, *refdata, refdata->products, options, 2);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << h.progress();
  outbox = h.ReadOutbox(date);
  ASSERT_TRUE(outbox.has_value()) << outbox.error().ToString();
  ASSERT_TRUE(outbox->prices.contains("CNHU23"));
  EXPECT_EQ(outbox->prices.at("CNHU23").tier(), "override");
  EXPECT_EQ(outbox->prices.at("CNHU23").price(), "7.151");
}

TEST(SettlementStageTest, OpenPositionsWithoutAPriorFailNamingTheContract) {
  // CNH has a two-sided market (tier 2 gives a price), but its positions were open at the start of
  // the day and it has no prior settlement: the start-of-day mark (S - S_prior) is undefined, so
  // the run stops as a precondition naming the contract, not as bad configuration.
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  StageHarness h("eodclear-settlement-stage-no-prior");
  ASSERT_TRUE(h.Open().ok());
  const Date date = Day("2023-06-05");
  ASSERT_TRUE(PutBalancedPositions(h, "CNHU23", 2).ok());
  ASSERT_TRUE(h.PutQuote(date, "CNHU23", Dec("7.1500"), Dec("7.1502")).ok());
  SettlementOptions options;
  Status s = h.Run(date, *refdata, refdata->products, options, 1);
  ASSERT_FALSE(s.ok()) << h.progress();
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("CNHU23 (positions open at the start of the day but no prior"),
            std::string::npos)
      << s.message();
  auto completed = h.SettlementCompleted(date);
  ASSERT_TRUE(completed.has_value());
  EXPECT_FALSE(*completed);
}

// Micro Ether Euro June 2023: last trade date Friday 2023-06-30 (last Friday of June, a business
// day in the UK and the US). CME Rule 44703.A (seed 003): with no ETHEUR_RR, final settlement may
// be deferred up to 14 consecutive calendar days, i.e. through 2023-07-14. The last settlement (the
// 2023-06-30 daily, here an operator's DAILY override) is carried meanwhile.
class MeeDeferralTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MeeDeferralTest, AwaitsThroughDay14ThenStopsNamingTheContract) {
  auto refdata = LoadShippedRefData();
  ASSERT_TRUE(refdata.has_value()) << refdata.error().ToString();
  StageHarness h(std::string("eodclear-settlement-mee-deferral-") + GetParam());
  ASSERT_TRUE(h.Open().ok());
  const Date date = Day(GetParam());
  ASSERT_TRUE(PutBalancedPositions(h, "MEEM23", 3, "2023-06-30").ok());
  SettlementOptions options;
  options.file_overrides = {DailyOverride(Day("2023-06-30"), "MEEM23", Dec("1718.50"))};
  Status s = h.Run(date, *refdata, refdata->products, options, 1);
  if (std::string(GetParam()) == "2023-07-14") {
    // Day 14: still awaiting; the prior is carried (VM zero) and reported.
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << h.progress();
    auto outbox = h.ReadOutbox(date);
    ASSERT_TRUE(outbox.has_value()) << outbox.error().ToString();
    ASSERT_TRUE(outbox->prices.contains("MEEM23"));
    EXPECT_EQ(outbox->prices.at("MEEM23").tier(), "carried");
    EXPECT_TRUE(outbox->prices.at("MEEM23").stale());
    EXPECT_EQ(outbox->prices.at("MEEM23").price(), "1718.5");
  } else {
    // Day 17 (Monday 2023-07-17), past the deferral: the run stops until a price is entered.
    ASSERT_FALSE(s.ok()) << h.progress();
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_NE(s.message().find("MEEM23"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("deferral ended 2023-07-14"), std::string::npos) << s.message();
  }
}

INSTANTIATE_TEST_SUITE_P(Days, MeeDeferralTest, ::testing::Values("2023-07-14", "2023-07-17"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           return std::string(param_info.param) == "2023-07-14" ? "Day14Awaits"
                                                                                : "Day17Stops";
                         });

}  // namespace
}  // namespace eodclear
