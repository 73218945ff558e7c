#include "storage/state_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keys.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

constexpr auto& D = testing::Day;

// Each test gets a fresh folder under the system temp folder, removed at the end; the database
// lives in a sub-folder that Open must create.
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    options_.path = (dir_ / "state").string();
    options_.background_threads = 1;
    options_.write_buffer_bytes = 1u << 20;
  }
  std::unique_ptr<StateStore> OpenOrDie() {
    auto store = StateStore::Open(options_);
    EXPECT_TRUE(store.has_value()) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }

  // The value under `key`, "<absent>" when there is none, "<error: ...>" on a read error.
  static std::string GetText(const StateStore& store, StateCf cf, std::string_view key) {
    auto value = store.Get(cf, key);
    if (!value) return "<error: " + value.error().ToString() + ">";
    return value->has_value() ? **value : std::string("<absent>");
  }

  testing::TempDir temp_{"state_store_test"};
  std::filesystem::path dir_ = temp_.path();
  StateStoreOptions options_;
};

TEST_F(StateStoreTest, ColumnFamilyNamesArePinned) {
  // Persisted names: changing one orphans existing data.
  ASSERT_EQ(kStateCfCount, 14);
  EXPECT_EQ(StateCfName(StateCf::kDefault), "default");
  EXPECT_EQ(StateCfName(StateCf::kOffsets), "offsets");
  EXPECT_EQ(StateCfName(StateCf::kPositions), "positions");
  EXPECT_EQ(StateCfName(StateCf::kContractDays), "contract_days");
  EXPECT_EQ(StateCfName(StateCf::kQuotes), "quotes");
  EXPECT_EQ(StateCfName(StateCf::kSettlements), "settlements");
  EXPECT_EQ(StateCfName(StateCf::kOutbox), "outbox");
  EXPECT_EQ(StateCfName(StateCf::kDayTrades), "day_trades");
  EXPECT_EQ(StateCfName(StateCf::kTradeIds), "trade_ids");
  EXPECT_EQ(StateCfName(StateCf::kPendingTrades), "pending_trades");
  EXPECT_EQ(StateCfName(StateCf::kDeadLetters), "dead_letters");
  EXPECT_EQ(StateCfName(StateCf::kRuns), "runs");
  EXPECT_EQ(StateCfName(StateCf::kStartOfDay), "start_of_day");
  EXPECT_EQ(StateCfName(StateCf::kRetractions), "retractions");
}

TEST_F(StateStoreTest, OpenCreatesFolderAndRecordsFormatVersion) {
  ASSERT_FALSE(std::filesystem::exists(options_.path));
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(options_.path));
  EXPECT_EQ(GetText(*store, StateCf::kDefault, keys::kFormatVersionKey), "3");
  for (int i = 0; i < kStateCfCount; ++i) {
    EXPECT_NE(store->cf(static_cast<StateCf>(i)), nullptr) << "column family " << i;
  }
}

TEST_F(StateStoreTest, GetOfAbsentKeyIsEmpty) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto value = store->Get(StateCf::kPositions, keys::PositionKey("FIRM", "ACC", "ESM23"));
  ASSERT_TRUE(value.has_value()) << value.error().ToString();
  EXPECT_FALSE(value->has_value());
}

TEST_F(StateStoreTest, StageDeleteDateRemovesExactlyThatDatesKeys) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const Date day = D("2023-06-16");
  rocksdb::WriteBatch setup;
  for (Date d : {day.AddDays(-1), day, day.AddDays(1)}) {
    for (const char* key : {"", "a", "\xff\xff"}) {
      setup.Put(store->cf(StateCf::kOutbox), keys::OutboxKey(d, "positions", key), d.ToString());
    }
  }
  ASSERT_TRUE(store->Write(&setup, /*sync=*/false).ok());
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(store->StageDeleteDate(StateCf::kOutbox, day, &batch).ok());
  ASSERT_TRUE(store->Write(&batch, /*sync=*/false).ok());
  for (const char* key : {"", "a", "\xff\xff"}) {
    EXPECT_EQ(GetText(*store, StateCf::kOutbox, keys::OutboxKey(day.AddDays(-1), "positions", key)),
              "2023-06-15");
    EXPECT_EQ(GetText(*store, StateCf::kOutbox, keys::OutboxKey(day, "positions", key)),
              "<absent>");
    EXPECT_EQ(GetText(*store, StateCf::kOutbox, keys::OutboxKey(day.AddDays(1), "positions", key)),
              "2023-06-17");
  }
}

TEST_F(StateStoreTest, BatchAcrossColumnFamiliesSurvivesReopen) {
  Date day = D("2023-06-16");
  std::string offset_key = keys::OffsetKey("trades", 0);
  std::string position_key = keys::PositionKey("FIRM", "ACC", "ESM23");
  std::string contract_day_key = keys::ContractDayKey(day, "ESM23");
  std::string run_key = keys::RunKey(day);
  std::string dead_key = keys::DatedSourceKey(day, {"trades", 0, 17});
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    rocksdb::WriteBatch batch;
    batch.Put(store->cf(StateCf::kOffsets), offset_key, keys::EncodeOffset(1234));
    batch.Put(store->cf(StateCf::kPositions), position_key, "long 3");
    batch.Put(store->cf(StateCf::kContractDays), contract_day_key, "vwap 4187.25");
    batch.Put(store->cf(StateCf::kRuns), run_key, "settled");
    batch.Put(store->cf(StateCf::kDeadLetters), dead_key, "bad price");
    // The same key in another column family is a different record.
    batch.Put(store->cf(StateCf::kQuotes), contract_day_key, "bid 4187 ask 4187.25");
    Status s = store->Write(&batch, /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto offset = store->Get(StateCf::kOffsets, offset_key);
  ASSERT_TRUE(offset.has_value()) << offset.error().ToString();
  ASSERT_TRUE(offset->has_value());
  auto decoded = keys::DecodeOffset(**offset);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, 1234);
  EXPECT_EQ(GetText(*store, StateCf::kPositions, position_key), "long 3");
  EXPECT_EQ(GetText(*store, StateCf::kContractDays, contract_day_key), "vwap 4187.25");
  EXPECT_EQ(GetText(*store, StateCf::kQuotes, contract_day_key), "bid 4187 ask 4187.25");
  EXPECT_EQ(GetText(*store, StateCf::kRuns, run_key), "settled");
  EXPECT_EQ(GetText(*store, StateCf::kDeadLetters, dead_key), "bad price");
  // Nothing leaked into column families the batch did not name.
  EXPECT_EQ(GetText(*store, StateCf::kPositions, offset_key), "<absent>");
  EXPECT_EQ(GetText(*store, StateCf::kDayTrades, contract_day_key), "<absent>");
  EXPECT_EQ(GetText(*store, StateCf::kDefault, run_key), "<absent>");
  EXPECT_EQ(GetText(*store, StateCf::kDefault, keys::kFormatVersionKey), "3");
}

TEST_F(StateStoreTest, UnsyncedBatchSurvivesCleanReopen) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    rocksdb::WriteBatch batch;
    batch.Put(store->cf(StateCf::kPositions), "k", "v1");
    batch.Put(store->cf(StateCf::kPositions), "k", "v2");  // later put in a batch wins
    batch.Put(store->cf(StateCf::kPositions), "gone", "x");
    batch.Delete(store->cf(StateCf::kPositions), "gone");
    Status s = store->Write(&batch, /*sync=*/false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(GetText(*store, StateCf::kPositions, "k"), "v2");
  EXPECT_EQ(GetText(*store, StateCf::kPositions, "gone"), "<absent>");
}

// ---------------------------------------------------------------------------------------------
// ScanPrefix.

class StateStoreScanTest : public StateStoreTest {
 protected:
  void SetUp() override {
    StateStoreTest::SetUp();
    store_ = OpenOrDie();
    ASSERT_NE(store_, nullptr);
    rocksdb::WriteBatch batch;
    auto* cf = store_->cf(StateCf::kContractDays);
    // Written out of order; neighbouring dates on both sides of the scanned one.
    for (std::string_view c : {"NQZ23", "ES", "ESM23", "ESZ23", "ESM23A"}) {
      batch.Put(cf, keys::ContractDayKey(day_, c), "d:" + std::string(c));
    }
    batch.Put(cf, keys::ContractDayKey(day_.AddDays(-1), "ZZZZZ"), "before");
    batch.Put(cf, keys::ContractDayKey(day_.AddDays(1), "AAAAA"), "after");
    batch.Put(store_->cf(StateCf::kQuotes), keys::ContractDayKey(day_, "ESM23"), "quote");
    Status s = store_->Write(&batch, /*sync=*/false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The contracts of the contract_days keys visited under `prefix`, in visiting order.
  std::vector<std::string> Scan(std::string_view prefix, size_t stop_after = SIZE_MAX) {
    std::vector<std::string> seen;
    Status s = store_->ScanPrefix(StateCf::kContractDays, prefix,
                                  [&](std::string_view key, std::string_view value) {
                                    auto parts = keys::ParseContractDayKey(key);
                                    EXPECT_TRUE(parts.has_value());
                                    EXPECT_EQ(value, parts ? "d:" + parts->contract : "");
                                    seen.push_back(parts ? parts->contract : "?");
                                    return seen.size() < stop_after;
                                  });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return seen;
  }

  Date day_ = D("2023-06-16");
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreScanTest, VisitsExactlyTheKeysOfOneDateInByteOrder) {
  EXPECT_EQ(Scan(keys::DatePrefix(day_)),
            (std::vector<std::string>{"ES", "ESM23", "ESM23A", "ESZ23", "NQZ23"}));
}

TEST_F(StateStoreScanTest, StopsWhenVisitorReturnsFalse) {
  EXPECT_EQ(Scan(keys::DatePrefix(day_), 2), (std::vector<std::string>{"ES", "ESM23"}));
}

TEST_F(StateStoreScanTest, PrefixIncludingTextTerminatorExcludesLongerContracts) {
  EXPECT_EQ(Scan(keys::ContractDayKey(day_, "ESM23")), (std::vector<std::string>{"ESM23"}));
}

TEST_F(StateStoreScanTest, PrefixWithoutMatchesVisitsNothing) {
  EXPECT_TRUE(Scan(keys::DatePrefix(day_.AddDays(10))).empty());
  EXPECT_TRUE(Scan(keys::ContractDayKey(day_, "CL")).empty());
}

TEST_F(StateStoreScanTest, EmptyPrefixVisitsWholeColumnFamily) {
  std::vector<std::string> seen;
  Status s =
      store_->ScanPrefix(StateCf::kContractDays, "", [&](std::string_view key, std::string_view) {
        seen.emplace_back(key);
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front(), keys::ContractDayKey(day_.AddDays(-1), "ZZZZZ"));
  EXPECT_EQ(seen.back(), keys::ContractDayKey(day_.AddDays(1), "AAAAA"));
}

// ---------------------------------------------------------------------------------------------
// Format version and open failures.

TEST_F(StateStoreTest, DifferentFormatVersionFailsPreconditionAndIsLeftUntouched) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    rocksdb::WriteBatch batch;
    batch.Put(store->cf(StateCf::kDefault), keys::kFormatVersionKey, "999");
    Status s = store->Write(&batch, /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // the failed open must not rewrite the version
    auto store = StateStore::Open(options_);
    ASSERT_FALSE(store.has_value()) << "opened a version 999 database, attempt " << attempt;
    EXPECT_EQ(store.error().code(), Status::Code::kFailedPrecondition);
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "999", store.error().message());
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, options_.path, store.error().message());
  }
}

TEST_F(StateStoreTest, VersionTwoDatabaseIsUpgradedInPlaceKeepingItsData) {
  // A version-2 database as that format left it: twelve column families, version "2".
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name :
         {"default", "offsets", "positions", "contract_days", "quotes", "day_trades", "trade_ids",
          "pending_trades", "dead_letters", "runs", "settlements", "outbox"}) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, options_.path, cfs, &handles, &raw).ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[0], "format_version", "2").ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[2], "position-key", "kept").ok());
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(GetText(*store, StateCf::kDefault, keys::kFormatVersionKey), "3");
  EXPECT_EQ(GetText(*store, StateCf::kPositions, "position-key"), "kept");
  rocksdb::WriteBatch batch;
  batch.Put(store->cf(StateCf::kStartOfDay), "k", "v");
  ASSERT_TRUE(store->Write(&batch, /*sync=*/true).ok());
  EXPECT_EQ(GetText(*store, StateCf::kStartOfDay, "k"), "v");
}

TEST_F(StateStoreTest, EmptyPathIsInvalidArgument) {
  options_.path.clear();
  auto store = StateStore::Open(options_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Status::Code::kInvalidArgument);
}

TEST_F(StateStoreTest, PathThatIsAFileIsInvalidArgument) {
  std::string file = (dir_ / "not_a_folder").string();
  std::ofstream(file) << "x";
  options_.path = file;
  auto store = StateStore::Open(options_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, file, store.error().message());
}

TEST_F(StateStoreTest, SecondOpenWhileLockedIsUnavailable) {
  auto first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  auto second = StateStore::Open(options_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Status::Code::kUnavailable) << second.error().ToString();
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr) << "the lock must be released when the first store closes";
}

}  // namespace
}  // namespace eodclear
