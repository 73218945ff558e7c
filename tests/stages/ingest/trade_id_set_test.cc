#include "stages/ingest/trade_id_set.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace eodclear {
namespace {

// The set starts with 65,536 slots and keeps its load factor at or below one half, so these
// counts force several doublings.
constexpr int kManyIds = 300'000;

std::string PresentId(int i) { return "T" + std::to_string(i); }
// Never inserted: another prefix, and numbers past the inserted range.
std::string AbsentId(int i) {
  return i % 2 == 0 ? "U" + std::to_string(i) : PresentId(kManyIds + i);
}

TEST(TradeIdSetTest, EmptySetContainsNothing) {
  TradeIdSet ids;
  EXPECT_EQ(ids.size(), 0u);
  EXPECT_FALSE(ids.Contains("T1"));
  EXPECT_FALSE(ids.Contains(""));
}

TEST(TradeIdSetTest, InsertedIdIsContained) {
  TradeIdSet ids;
  EXPECT_TRUE(ids.Insert("T1"));
  EXPECT_TRUE(ids.Contains("T1"));
  EXPECT_EQ(ids.size(), 1u);
}

TEST(TradeIdSetTest, SecondInsertOfTheSameIdIsADuplicate) {
  TradeIdSet ids;
  EXPECT_TRUE(ids.Insert("T1"));
  EXPECT_FALSE(ids.Insert("T1"));
  EXPECT_FALSE(ids.Insert(std::string("T1")));
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.Contains("T1"));
}

TEST(TradeIdSetTest, IdsThatShareAPrefixAreDistinct) {
  TradeIdSet ids;
  EXPECT_TRUE(ids.Insert("T1"));
  EXPECT_TRUE(ids.Insert("T10"));
  EXPECT_TRUE(ids.Insert("t1"));  // ids are case-sensitive
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(ids.Contains("T"));
  EXPECT_FALSE(ids.Contains("T100"));
  EXPECT_FALSE(ids.Contains("T1 "));
}

TEST(TradeIdSetTest, EmptyIdIsAnIdLikeAnyOther) {
  TradeIdSet ids;
  EXPECT_TRUE(ids.Insert(""));
  EXPECT_TRUE(ids.Contains(""));
  EXPECT_FALSE(ids.Insert(""));
  EXPECT_FALSE(ids.Contains("T1"));
  EXPECT_TRUE(ids.Insert("T1"));
  EXPECT_EQ(ids.size(), 2u);
}

TEST(TradeIdSetTest, IdWithEmbeddedZeroByteIsComparedInFull) {
  TradeIdSet ids;
  const std::string with_zero("T\0001", 3);
  EXPECT_TRUE(ids.Insert(with_zero));
  EXPECT_TRUE(ids.Contains(with_zero));
  EXPECT_FALSE(ids.Contains("T"));
  EXPECT_FALSE(ids.Contains(std::string("T\0002", 3)));
}

TEST(TradeIdSetTest, KeepsItsOwnCopyOfEachId) {
  TradeIdSet ids;
  std::string buffer = "T-0001";
  ASSERT_TRUE(ids.Insert(buffer));
  buffer = "T-9999";  // the caller reuses its buffer
  EXPECT_TRUE(ids.Contains("T-0001"));
  EXPECT_FALSE(ids.Contains("T-9999"));
}

TEST(TradeIdSetTest, GrowsPastInitialSlotsAndFindsEveryIdWithNoFalsePositives) {
  TradeIdSet ids;
  for (int i = 0; i < kManyIds; ++i) {
    ASSERT_TRUE(ids.Insert(PresentId(i))) << "id " << PresentId(i) << " reported as duplicate";
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kManyIds));
  int missing = 0, false_positives = 0;
  for (int i = 0; i < kManyIds; ++i) {
    if (!ids.Contains(PresentId(i))) ++missing;
    if (ids.Contains(AbsentId(i))) ++false_positives;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(false_positives, 0);
  // After growing, every id is still a duplicate.
  int accepted_again = 0;
  for (int i = 0; i < kManyIds; i += 7) {
    if (ids.Insert(PresentId(i))) ++accepted_again;
  }
  EXPECT_EQ(accepted_again, 0);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kManyIds));
}

TEST(TradeIdSetTest, IdsLongerThanAStorageChunkAreStoredWhole) {
  constexpr size_t kMiB = 1 << 20;
  TradeIdSet ids;
  ASSERT_TRUE(ids.Insert("short-before"));
  std::string huge(2 * kMiB + 3, 'x');
  huge.back() = 'a';
  std::string exactly_chunk(kMiB, 'y');
  std::string chunk_plus_one(kMiB + 1, 'z');
  ASSERT_TRUE(ids.Insert(huge));
  ASSERT_TRUE(ids.Insert(exactly_chunk));
  ASSERT_TRUE(ids.Insert(chunk_plus_one));
  // Short ids stored after the long ones go to fresh chunks and are found too.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(ids.Insert(PresentId(i)));

  EXPECT_TRUE(ids.Contains("short-before"));
  EXPECT_TRUE(ids.Contains(huge));
  EXPECT_TRUE(ids.Contains(exactly_chunk));
  EXPECT_TRUE(ids.Contains(chunk_plus_one));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(ids.Contains(PresentId(i))) << PresentId(i);
  EXPECT_EQ(ids.size(), 1004u);

  // Same length, last byte different: compared in full, not just by length and hash.
  std::string huge_other = huge;
  huge_other.back() = 'b';
  EXPECT_FALSE(ids.Contains(huge_other));
  EXPECT_FALSE(ids.Contains(std::string_view(huge).substr(0, huge.size() - 1)));
  EXPECT_FALSE(ids.Insert(huge));
  EXPECT_TRUE(ids.Insert(huge_other));
  EXPECT_TRUE(ids.Contains(huge));
  EXPECT_TRUE(ids.Contains(huge_other));
}

}  // namespace
}  // namespace eodclear
