#include "pipeline/start_of_day.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string>

#include "storage/keys.h"
#include "storage/state_store.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

constexpr auto& D = testing::Day;

class StartOfDayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StateStoreOptions o;
    o.path = (dir_.path() / "state").string();
    auto s = StateStore::Open(o);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
  }
  void Write(rocksdb::WriteBatch* batch) {
    Status s = store_->Write(batch, /*sync=*/false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::optional<std::string> Position(const std::string& key) {
    auto v = store_->Get(StateCf::kPositions, key);
    EXPECT_TRUE(v.has_value());
    return v.has_value() ? *v : std::nullopt;
  }
  int CountKept() {
    int n = 0;
    Status s =
        store_->ScanPrefix(StateCf::kStartOfDay, "", [&](std::string_view, std::string_view) {
          ++n;
          return true;
        });
    EXPECT_TRUE(s.ok());
    return n;
  }

  testing::TempDir dir_{"eodclear-start-of-day"};
  std::unique_ptr<StateStore> store_;
  const std::string a_ = keys::PositionKey("F1", "A", "ESU23");
  const std::string b_ = keys::PositionKey("CH", "CH-OFFSET", "ESU23");
};

TEST_F(StartOfDayTest, RestorePutsBackTheFirstKeptValueAndRemovesWhatDidNotExist) {
  const Date day = D("2023-06-16");
  rocksdb::WriteBatch setup;
  setup.Put(store_->cf(StateCf::kPositions), a_, "after-ingest");
  Write(&setup);

  // Settlement changes A; offsetting then changes A again and creates B.
  {
    rocksdb::WriteBatch batch;
    StartOfDayLog log(*store_, day);
    ASSERT_TRUE(log.Keep(a_, std::string("after-ingest"), &batch).ok());
    batch.Put(store_->cf(StateCf::kPositions), a_, "closed");
    Write(&batch);
  }
  {
    rocksdb::WriteBatch batch;
    StartOfDayLog log(*store_, day);
    ASSERT_TRUE(log.Keep(a_, std::string("closed"), &batch).ok());  // already kept: ignored
    ASSERT_TRUE(log.Keep(b_, std::nullopt, &batch).ok());
    batch.Put(store_->cf(StateCf::kPositions), a_, "offset");
    batch.Put(store_->cf(StateCf::kPositions), b_, "offset account");
    Write(&batch);
  }
  EXPECT_EQ(CountKept(), 2);

  rocksdb::WriteBatch restore;
  auto restored = RestoreStartOfDay(*store_, day, &restore);
  ASSERT_TRUE(restored.has_value()) << restored.error().ToString();
  EXPECT_EQ(*restored, 2);
  Write(&restore);
  EXPECT_EQ(Position(a_), std::optional<std::string>("after-ingest"));
  EXPECT_EQ(Position(b_), std::nullopt);
  EXPECT_EQ(CountKept(), 0);
}

TEST_F(StartOfDayTest, AnEmptyPositionValueIsKeptAsExistingNotAsAbsent) {
  // A PositionState with every field at its default serialises to no bytes at all.
  const Date day = D("2023-06-16");
  rocksdb::WriteBatch batch;
  StartOfDayLog log(*store_, day);
  ASSERT_TRUE(log.Keep(a_, std::string(), &batch).ok());
  batch.Put(store_->cf(StateCf::kPositions), a_, "changed");
  Write(&batch);
  rocksdb::WriteBatch restore;
  ASSERT_TRUE(RestoreStartOfDay(*store_, day, &restore).has_value());
  Write(&restore);
  EXPECT_EQ(Position(a_), std::optional<std::string>(""));
}

TEST_F(StartOfDayTest, RestoreTouchesOnlyItsDateAndForgetDropsEarlierDates) {
  const Date d1 = D("2023-06-15"), d2 = D("2023-06-16"), d3 = D("2023-06-19");
  for (Date d : {d1, d2, d3}) {
    rocksdb::WriteBatch batch;
    StartOfDayLog log(*store_, d);
    ASSERT_TRUE(log.Keep(a_, std::string("kept ") + d.ToString(), &batch).ok());
    Write(&batch);
  }
  rocksdb::WriteBatch restore;
  ASSERT_EQ(RestoreStartOfDay(*store_, d2, &restore).value_or(-1), 1);
  Write(&restore);
  EXPECT_EQ(Position(a_), std::optional<std::string>("kept 2023-06-16"));
  EXPECT_EQ(CountKept(), 2);

  rocksdb::WriteBatch forget;
  ForgetStartOfDayBefore(*store_, d3, &forget);
  Write(&forget);
  EXPECT_EQ(CountKept(), 1);
  rocksdb::WriteBatch last;
  ASSERT_EQ(RestoreStartOfDay(*store_, d3, &last).value_or(-1), 1);
}

}  // namespace
}  // namespace eodclear
