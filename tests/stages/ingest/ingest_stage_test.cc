#include "stages/ingest/ingest_stage.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/trade.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/kafka/dev_broker.h"
#include "pipeline/kafka/producer.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/product_catalog.h"
#include "pipeline/run_ledger.h"
#include "pipeline/stage.h"
#include "storage/keys.h"
#include "storage/state_store.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_products.h"

// The ingest stage against real components: the development broker (librdkafka's mock cluster,
// in this process, on a loopback port it picks), the real producer and consumer, and RocksDB in a
// fresh temporary folder. Label "kafka".

namespace eodclear {
namespace {

using clearing::v1::DeadLetter;
using eodclear::state::v1::ContractDayStats;
using eodclear::state::v1::PositionState;
using eodclear::state::v1::RunState;
using TopicPartition = std::pair<std::string, int32_t>;

using testing::Day;
using testing::Dec;

struct Party {
  std::string_view firm;
  std::string_view account;
};
constexpr Party kA{"FIRMA", "ACC1"};
constexpr Party kB{"FIRMB", "ACC2"};
constexpr Party kC{"FIRMC", "ACC3"};

// `buyer` buys `quantity` of `contract` at `price` from `seller`.
clearing::v1::Trade MakeTrade(std::string_view id, std::string_view trade_date, Party buyer,
                              Party seller, std::string_view contract, std::string_view price,
                              int64_t quantity,
                              std::string_view exec_time = "2023-06-16T09:30:00-05:00") {
  clearing::v1::Trade t;
  t.set_trade_id(std::string(id));
  t.set_trade_date(std::string(trade_date));
  t.set_exec_time(std::string(exec_time));
  t.set_contract(std::string(contract));
  t.set_price(std::string(price));
  t.set_quantity(quantity);
  t.mutable_buyer()->set_firm(std::string(buyer.firm));
  t.mutable_buyer()->set_account(std::string(buyer.account));
  t.mutable_seller()->set_firm(std::string(seller.firm));
  t.mutable_seller()->set_account(std::string(seller.account));
  return t;
}

class IngestStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DevBrokerOptions broker_options;
    broker_options.partitions = 2;
    auto broker = DevBroker::Start(broker_options);
    ASSERT_TRUE(broker.has_value()) << broker.error().ToString();
    broker_ = std::move(*broker);
    kafka_.brokers = broker_->bootstrap_servers();

    Producer::Options producer_options;
    producer_options.kafka = kafka_;
    producer_options.timeout_ms = 30000;
    auto producer = Producer::Create(producer_options);
    ASSERT_TRUE(producer.has_value()) << producer.error().ToString();
    producer_ = std::move(*producer);

    ASSERT_FALSE(dir_.empty());
    StateStoreOptions store_options;
    store_options.path = (dir_ / "state").string();
    store_options.background_threads = 1;
    store_options.write_buffer_bytes = 1u << 20;
    auto store = StateStore::Open(store_options);
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store_ = std::move(*store);

    std::vector<Product> products = {
        testing::TestProduct("ES", {}, "E-mini S&P 500", "CME", "358", "USD", Dec("50"),
                             Dec("0.25")),
        testing::TestProduct("ME", {"EMD"}, "E-mini S&P MidCap 400", "CME", "362", "USD",
                             Dec("100"), Dec("0.10")),
    };
    auto catalog = ProductCatalog::FromProducts(std::move(products));
    ASSERT_TRUE(catalog.has_value()) << catalog.error().ToString();
    catalog_ = std::move(*catalog);
  }

  void TearDown() override {
    producer_.reset();
    store_.reset();
    broker_.reset();
  }

  // Produces to `trades`, keyed by contract as the exchange feed is, and waits for delivery.
  void ProduceTrades(const std::vector<clearing::v1::Trade>& trades) {
    for (const auto& t : trades) {
      Status s = producer_->Produce("trades", t.contract(), t.SerializeAsString());
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    Status s = producer_->Flush();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void ProduceRaw(std::string_view topic, std::string_view key, std::string_view value) {
    Status s = producer_->Produce(topic, key, value);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = producer_->Flush();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Runs the ingest stage for `date` with that date's ledger as stored, as the runner would.
  Status RunIngest(Date date) {
    auto ledger = RunLedger::Load(store_.get(), date);
    if (!ledger) return ledger.error();
    RunContext ctx;
    ctx.business_date = date;
    ctx.run_id = "run-" + date.ToString();
    ctx.store = store_.get();
    ctx.products = &catalog_;
    ctx.metrics = &metrics_;
    ctx.ledger = &*ledger;
    ctx.progress = &progress_;
    IngestOptions options;
    options.idle_timeout_seconds = 30;  // fail rather than hang if the broker stalls
    IngestStage stage(options, kafka_);
    return stage.Run(ctx);
  }

  std::optional<PositionState> Position(Party p, std::string_view contract) {
    auto value = store_->Get(StateCf::kPositions, keys::PositionKey(p.firm, p.account, contract));
    EXPECT_TRUE(value.has_value()) << value.error().ToString();
    if (!value || !value->has_value()) return std::nullopt;
    PositionState s;
    EXPECT_TRUE(s.ParseFromString(**value));
    return s;
  }

  std::optional<ContractDayStats> ContractDay(Date date, std::string_view contract) {
    auto value = store_->Get(StateCf::kContractDays, keys::ContractDayKey(date, contract));
    EXPECT_TRUE(value.has_value()) << value.error().ToString();
    if (!value || !value->has_value()) return std::nullopt;
    ContractDayStats s;
    EXPECT_TRUE(s.ParseFromString(**value));
    return s;
  }

  RunState StoredRunState(Date date) {
    auto ledger = RunLedger::Load(store_.get(), date);
    EXPECT_TRUE(ledger.has_value()) << ledger.error().ToString();
    return ledger ? ledger->state() : RunState();
  }

  // Every key of `cf`.
  std::vector<std::string> Keys(StateCf cf) {
    std::vector<std::string> out;
    Status s = store_->ScanPrefix(cf, "", [&](std::string_view k, std::string_view) {
      out.emplace_back(k);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::vector<std::pair<keys::DatedSourceKeyParts, DeadLetter>> DeadLetters() {
    std::vector<std::pair<keys::DatedSourceKeyParts, DeadLetter>> out;
    Status s =
        store_->ScanPrefix(StateCf::kDeadLetters, "", [&](std::string_view k, std::string_view v) {
          auto key = keys::ParseDatedSourceKey(k);
          EXPECT_TRUE(key.has_value());
          DeadLetter dl;
          EXPECT_TRUE(dl.ParseFromArray(v.data(), static_cast<int>(v.size())));
          if (key) out.emplace_back(*key, dl);
          return true;
        });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::vector<std::pair<keys::DatedSourceKeyParts, std::string>> PendingTrades() {
    std::vector<std::pair<keys::DatedSourceKeyParts, std::string>> out;
    Status s = store_->ScanPrefix(StateCf::kPendingTrades, "",
                                  [&](std::string_view k, std::string_view v) {
                                    auto key = keys::ParseDatedSourceKey(k);
                                    EXPECT_TRUE(key.has_value());
                                    if (key) out.emplace_back(*key, std::string(v));
                                    return true;
                                  });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // The stored next offset of every input partition.
  std::map<TopicPartition, int64_t> StoredOffsets() {
    std::map<TopicPartition, int64_t> out;
    Status s =
        store_->ScanPrefix(StateCf::kOffsets, "", [&](std::string_view k, std::string_view v) {
          auto key = keys::ParseOffsetKey(k);
          auto offset = keys::DecodeOffset(v);
          EXPECT_TRUE(key.has_value() && offset.has_value());
          if (key && offset) out[{key->topic, key->partition}] = *offset;
          return true;
        });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // The high watermark of every partition of `trades` and `quotes`, asked of the broker.
  std::map<TopicPartition, int64_t> HighWatermarks() {
    std::map<TopicPartition, int64_t> out;
    BoundedConsumer::Options options;
    options.kafka = kafka_;
    options.group_id = "ingest-stage-test-watermarks";
    auto consumer = BoundedConsumer::Create(options);
    EXPECT_TRUE(consumer.has_value()) << consumer.error().ToString();
    if (!consumer) return out;
    for (std::string_view name : {"trades", "quotes"}) {
      const std::string topic(name);
      auto partitions = (*consumer)->Partitions(topic);
      EXPECT_TRUE(partitions.has_value()) << partitions.error().ToString();
      if (!partitions) continue;
      for (int32_t p : *partitions) {
        auto w = (*consumer)->QueryWatermarks(topic, p);
        EXPECT_TRUE(w.has_value()) << w.error().ToString();
        if (w) out[{topic, p}] = w->high;
      }
    }
    return out;
  }

  // Every partition's stored offset is its high watermark (a partition never read may have no
  // stored offset, which reads as 0). Returns the number of messages on `trades`.
  int64_t ExpectOffsetsAtHighWatermarks() {
    auto stored = StoredOffsets();
    auto high = HighWatermarks();
    EXPECT_EQ(high.size(), 4u) << "2 partitions each of trades and quotes";
    int64_t trades = 0;
    for (const auto& [tp, h] : high) {
      auto it = stored.find(tp);
      EXPECT_EQ(it == stored.end() ? 0 : it->second, h) << tp.first << "[" << tp.second << "]";
      if (tp.first == "trades") trades += h;
    }
    for (const auto& [tp, offset] : stored) {
      EXPECT_TRUE(high.count(tp)) << "offset stored for unknown partition " << tp.first;
    }
    return trades;
  }

  std::unique_ptr<DevBroker> broker_;
  KafkaOptions kafka_;
  std::unique_ptr<Producer> producer_;
  testing::TempDir temp_{"ingest_stage_test"};
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<StateStore> store_;
  ProductCatalog catalog_;
  Metrics metrics_;
  std::ostringstream progress_;
};

void ExpectPosition(const std::optional<PositionState>& s, int64_t net, std::string_view date,
                    int64_t bought, int64_t sold, std::string_view buy_value,
                    std::string_view sell_value) {
  ASSERT_TRUE(s.has_value()) << "no position stored";
  EXPECT_EQ(s->net_quantity(), net);
  EXPECT_EQ(s->activity_date(), date);
  EXPECT_EQ(s->bought(), bought);
  EXPECT_EQ(s->sold(), sold);
  EXPECT_EQ(s->buy_value(), buy_value);
  EXPECT_EQ(s->sell_value(), sell_value);
}

// ---------------------------------------------------------------------------------------------

TEST_F(IngestStageTest, AppliesTradesToPositionsAndStoresOffsetsAtTheWatermarks) {
  const Date date = Day("2023-06-16");
  ProduceTrades({
      MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4400.25", 3, "2023-06-16T09:30:00-05:00"),
      MakeTrade("T-2", "2023-06-16", kB, kA, "ESM23", "4400.50", 1, "2023-06-16T09:31:00-05:00"),
      MakeTrade("T-3", "2023-06-16", kA, kC, "EMDM23", "2500.10", 2, "2023-06-16T09:32:00-05:00"),
  });

  Status s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  // A: bought 3 x 4400.25 = 13200.75, sold 1 x 4400.50.
  ExpectPosition(Position(kA, "ESM23"), 2, "2023-06-16", 3, 1, "13200.75", "4400.5");
  ExpectPosition(Position(kB, "ESM23"), -2, "2023-06-16", 1, 3, "4400.5", "13200.75");
  // EMDM23 is stored under its canonical symbol MEM23: 2 x 2500.10 = 5000.20.
  ExpectPosition(Position(kA, "MEM23"), 2, "2023-06-16", 2, 0, "5000.2", "0");
  ExpectPosition(Position(kC, "MEM23"), -2, "2023-06-16", 0, 2, "0", "5000.2");
  EXPECT_FALSE(Position(kA, "EMDM23").has_value());
  EXPECT_EQ(Keys(StateCf::kPositions).size(), 4u);

  auto es = ContractDay(date, "ESM23");
  ASSERT_TRUE(es.has_value());
  EXPECT_EQ(es->trade_count(), 2);
  EXPECT_EQ(es->volume(), 4);
  EXPECT_EQ(es->turnover(), "17601.25");  // 13200.75 + 4400.50
  EXPECT_EQ(es->open_price(), "4400.25");
  EXPECT_EQ(es->last_price(), "4400.5");
  EXPECT_EQ(es->high_price(), "4400.5");
  EXPECT_EQ(es->low_price(), "4400.25");

  EXPECT_EQ(ExpectOffsetsAtHighWatermarks(), 3);
  RunState run = StoredRunState(date);
  EXPECT_EQ(std::vector<std::string>(run.completed_stages().begin(), run.completed_stages().end()),
            std::vector<std::string>{"ingest"});
  EXPECT_EQ(run.messages_consumed(), 3);
  EXPECT_EQ(run.messages_rejected(), 0);
  EXPECT_TRUE(DeadLetters().empty());
  EXPECT_TRUE(PendingTrades().empty());
}

TEST_F(IngestStageTest, RerunOfTheSameDateReadsOnlyMessagesAfterTheStoredOffsets) {
  const Date date = Day("2023-06-16");
  ProduceTrades({MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4400.25", 3)});
  Status s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();
  ExpectPosition(Position(kA, "ESM23"), 3, "2023-06-16", 3, 0, "13200.75", "0");

  ProduceTrades({MakeTrade("T-2", "2023-06-16", kB, kA, "ESM23", "4400.50", 1)});
  s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  ExpectPosition(Position(kA, "ESM23"), 2, "2023-06-16", 3, 1, "13200.75", "4400.5");
  ExpectPosition(Position(kB, "ESM23"), -2, "2023-06-16", 1, 3, "4400.5", "13200.75");
  // T-1 was not read again: no duplicate dead letter, and the date counts 1 + 1 messages.
  EXPECT_TRUE(DeadLetters().empty());
  EXPECT_EQ(StoredRunState(date).messages_consumed(), 2);
  EXPECT_EQ(ExpectOffsetsAtHighWatermarks(), 2);
}

TEST_F(IngestStageTest, NextDateResumesFromStoredOffsetsAndStartsTheDaysActivityAfresh) {
  ProduceTrades(
      {MakeTrade("T-1", "2023-06-15", kA, kB, "ESM23", "4400.25", 3, "2023-06-15T10:00:00-05:00")});
  Status s = RunIngest(Day("2023-06-15"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();
  ExpectPosition(Position(kA, "ESM23"), 3, "2023-06-15", 3, 0, "13200.75", "0");

  // 2023-06-15 was never published, so it is not closed; the next date's run starts anyway.
  ProduceTrades(
      {MakeTrade("T-2", "2023-06-16", kB, kA, "ESM23", "4410", 1, "2023-06-16T10:00:00-05:00")});
  s = RunIngest(Day("2023-06-16"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  // Net carries over; bought/sold and values are the 16th's only.
  ExpectPosition(Position(kA, "ESM23"), 2, "2023-06-16", 0, 1, "0", "4410");
  ExpectPosition(Position(kB, "ESM23"), -2, "2023-06-16", 1, 0, "4410", "0");
  EXPECT_EQ(StoredRunState(Day("2023-06-16")).messages_consumed(), 1);
  EXPECT_EQ(StoredRunState(Day("2023-06-15")).messages_consumed(), 1);
  EXPECT_TRUE(DeadLetters().empty());

  auto day1 = ContractDay(Day("2023-06-15"), "ESM23");
  auto day2 = ContractDay(Day("2023-06-16"), "ESM23");
  ASSERT_TRUE(day1.has_value() && day2.has_value());
  EXPECT_EQ(day1->volume(), 3);
  EXPECT_EQ(day2->volume(), 1);
  EXPECT_EQ(day2->open_price(), "4410");
  EXPECT_EQ(ExpectOffsetsAtHighWatermarks(), 2);
}

TEST_F(IngestStageTest, DuplicateTradeIdIsDeadLetteredAndAppliedOnce) {
  const Date date = Day("2023-06-16");
  const auto first = MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4400.25", 3);
  const auto again = MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4401.00", 5);
  ProduceTrades({first, again});

  Status s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  ExpectPosition(Position(kA, "ESM23"), 3, "2023-06-16", 3, 0, "13200.75", "0");
  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  const auto& [key, dl] = dead[0];
  EXPECT_EQ(DeadLetter::Reason_Name(dl.reason()), "DUPLICATE_TRADE_ID");
  EXPECT_EQ(dl.detail(), "trade id T-1 was already applied");
  EXPECT_EQ(dl.business_date(), "2023-06-16");
  EXPECT_EQ(dl.source_topic(), "trades");
  // Same key, same partition: the duplicate is the partition's second message.
  EXPECT_EQ(dl.offset(), 1);
  EXPECT_EQ(dl.original_key(), "ESM23");
  EXPECT_EQ(dl.original_value(), again.SerializeAsString());
  EXPECT_EQ(key.date, date);
  EXPECT_EQ(key.source.topic, "trades");
  EXPECT_EQ(key.source.partition, dl.partition());
  EXPECT_EQ(key.source.offset, 1);

  RunState run = StoredRunState(date);
  EXPECT_EQ(run.messages_consumed(), 2);
  EXPECT_EQ(run.messages_rejected(), 1);
}

TEST_F(IngestStageTest, DuplicateOfATradeAppliedByAnEarlierRunIsDeadLettered) {
  const auto trade = MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4400.25", 3);
  ProduceTrades({trade});
  Status s = RunIngest(Day("2023-06-16"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  // The feed sends it again; the next date's run knows the id from the stored trade ids.
  ProduceTrades({trade});
  s = RunIngest(Day("2023-06-19"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  ExpectPosition(Position(kA, "ESM23"), 3, "2023-06-16", 3, 0, "13200.75", "0");
  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(DeadLetter::Reason_Name(dead[0].second.reason()), "DUPLICATE_TRADE_ID");
  EXPECT_EQ(dead[0].second.business_date(), "2023-06-19");
  EXPECT_EQ(dead[0].first.date, Day("2023-06-19"));
  EXPECT_EQ(StoredRunState(Day("2023-06-19")).messages_rejected(), 1);
}

TEST_F(IngestStageTest, TradeForALaterDateIsHeldAndAppliedByThatDatesRun) {
  const auto later =
      MakeTrade("T-9", "2023-06-19", kA, kB, "ESM23", "4400", 2, "2023-06-16T16:30:00-05:00");
  ProduceTrades({
      MakeTrade("T-1", "2023-06-16", kC, kB, "ESM23", "4399.75", 1),
      later,
  });
  Status s = RunIngest(Day("2023-06-16"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  EXPECT_FALSE(Position(kA, "ESM23").has_value());
  ExpectPosition(Position(kB, "ESM23"), -1, "2023-06-16", 0, 1, "0", "4399.75");
  auto pending = PendingTrades();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first.date, Day("2023-06-19"));
  EXPECT_EQ(pending[0].first.source.topic, "trades");
  EXPECT_EQ(pending[0].first.source.offset, 1);  // second message of the ESM23 partition
  EXPECT_EQ(pending[0].second, later.SerializeAsString());
  EXPECT_TRUE(DeadLetters().empty());
  EXPECT_EQ(StoredRunState(Day("2023-06-16")).messages_rejected(), 0);

  // The 19th's run applies it with no new message on the topic, and drops it from pending.
  s = RunIngest(Day("2023-06-19"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();
  ExpectPosition(Position(kA, "ESM23"), 2, "2023-06-19", 2, 0, "8800", "0");
  ExpectPosition(Position(kB, "ESM23"), -3, "2023-06-19", 0, 2, "0", "8800");
  EXPECT_TRUE(PendingTrades().empty());
  auto day = ContractDay(Day("2023-06-19"), "ESM23");
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(day->trade_count(), 1);
  EXPECT_EQ(day->volume(), 2);
}

TEST_F(IngestStageTest, TradeForADateAlreadyPublishedIsDeadLettered) {
  ProduceTrades({MakeTrade("T-1", "2023-06-15", kA, kB, "ESM23", "4400.25", 3)});
  Status s = RunIngest(Day("2023-06-15"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();
  {
    // The 15th's publish committed (what the publish stage records).
    auto ledger = RunLedger::Load(store_.get(), Day("2023-06-15"));
    ASSERT_TRUE(ledger.has_value());
    ledger->mutable_state()->set_published_run_id("run-2023-06-15");
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(ledger->Stage(&batch, store_.get()).ok());
    ASSERT_TRUE(store_->Write(&batch, true).ok());
  }

  ProduceTrades({MakeTrade("T-2", "2023-06-15", kA, kB, "ESM23", "4400.25", 4)});
  s = RunIngest(Day("2023-06-16"));
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  ExpectPosition(Position(kA, "ESM23"), 3, "2023-06-15", 3, 0, "13200.75", "0");
  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(DeadLetter::Reason_Name(dead[0].second.reason()), "TRADE_DATE_CLOSED");
  EXPECT_EQ(StoredRunState(Day("2023-06-16")).messages_rejected(), 1);
}

TEST_F(IngestStageTest, InvalidMessagesAreDeadLetteredWithTheirReasons) {
  const Date date = Day("2023-06-16");
  ProduceTrades({
      MakeTrade("T-1", "2023-06-16", kA, kB, "ESM23", "4400.10", 1),  // off tick
      MakeTrade("T-2", "2023-06-16", kA, kB, "ESM23", "4400.25", 0),  // zero quantity
      MakeTrade("T-3", "2023-06-16", kA, kB, "NQM23", "15000", 1),    // unknown product
      MakeTrade("", "2023-06-16", kA, kB, "ESM23", "4400.25", 1),     // missing id
      MakeTrade("T-5", "2023-06-16", kA, kB, "ESM23", "4400.25", 1),  // the only good one
  });
  ProduceRaw("trades", "ESM23", "\xff\xff\xff");  // not a protobuf

  Status s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  ExpectPosition(Position(kA, "ESM23"), 1, "2023-06-16", 1, 0, "4400.25", "0");
  std::multiset<std::string> reasons;
  for (const auto& [key, dl] : DeadLetters()) {
    reasons.insert(DeadLetter::Reason_Name(dl.reason()));
    EXPECT_EQ(key.date, date);
    if (dl.reason() == DeadLetter::UNDECODABLE) {
      EXPECT_EQ(dl.original_value(), "\xff\xff\xff");
    }
  }
  EXPECT_EQ(reasons,
            (std::multiset<std::string>{"MISSING_FIELD", "NON_POSITIVE_QUANTITY", "OFF_TICK_PRICE",
                                        "UNDECODABLE", "UNKNOWN_CONTRACT"}));
  RunState run = StoredRunState(date);
  EXPECT_EQ(run.messages_consumed(), 6);
  EXPECT_EQ(run.messages_rejected(), 5);
  EXPECT_EQ(ExpectOffsetsAtHighWatermarks(), 6);
}

clearing::v1::Quote MakeQuote(std::string_view contract, std::string_view time,
                              std::string_view bid, std::string_view ask) {
  clearing::v1::Quote q;
  q.set_contract(std::string(contract));
  q.set_time(std::string(time));
  q.set_bid(std::string(bid));
  q.set_bid_size(bid.empty() ? 0 : 4);
  q.set_ask(std::string(ask));
  q.set_ask_size(ask.empty() ? 0 : 6);
  return q;
}

TEST_F(IngestStageTest, LatestQuoteByTimeIsKeptPerContractAndBadQuotesAreDeadLettered) {
  const Date date = Day("2023-06-16");
  // Arrival order differs from time order: the 14:59:30 quote is the latest.
  for (const auto& q : {MakeQuote("EMDM23", "2023-06-16T14:59:00-05:00", "2500.1", "2500.2"),
                        MakeQuote("EMDM23", "2023-06-16T14:59:30-05:00", "2500.3", "2500.4"),
                        MakeQuote("EMDM23", "2023-06-16T14:59:10-05:00", "2500.5", "2500.6"),
                        MakeQuote("EMDM23", "2023-06-16T14:59:40-05:00", "2500.9", "2500.8")}) {
    ProduceRaw("quotes", q.contract(), q.SerializeAsString());
  }

  Status s = RunIngest(date);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << progress_.str();

  // Stored under the canonical symbol; the crossed 14:59:40 quote is not applied.
  auto value = store_->Get(StateCf::kQuotes, keys::ContractDayKey(date, "MEM23"));
  ASSERT_TRUE(value.has_value()) << value.error().ToString();
  ASSERT_TRUE(value->has_value()) << "no quote stored for MEM23";
  eodclear::state::v1::QuoteState quote;
  ASSERT_TRUE(quote.ParseFromString(**value));
  EXPECT_EQ(quote.time(), "2023-06-16T14:59:30-05:00");
  EXPECT_EQ(quote.bid(), "2500.3");
  EXPECT_EQ(quote.ask(), "2500.4");
  EXPECT_EQ(quote.bid_size(), 4);
  EXPECT_EQ(quote.ask_size(), 6);

  auto dead = DeadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].second.source_topic(), "quotes");
  EXPECT_EQ(DeadLetter::Reason_Name(dead[0].second.reason()), "INVALID_FIELD");
  EXPECT_EQ(dead[0].second.offset(), 3);
  RunState run = StoredRunState(date);
  EXPECT_EQ(run.messages_consumed(), 4);
  EXPECT_EQ(run.messages_rejected(), 1);
  EXPECT_EQ(ExpectOffsetsAtHighWatermarks(), 0);
}

}  // namespace
}  // namespace eodclear
