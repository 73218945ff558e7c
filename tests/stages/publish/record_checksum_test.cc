#include "stages/publish/record_checksum.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace eodclear {
namespace {

// Expected values were computed outside eodclear, with Python's hashlib:
//   python3 -c 'import hashlib; print(hashlib.sha256(b"abc").hexdigest()[:16])'
// and, for sums, int(..., 16) added in Python and reduced modulo 2**64. The first two also match
// the published SHA-256 test vectors (FIPS 180-2): SHA-256("") = e3b0c442 98fc1c14 ...,
// SHA-256("abc") = ba7816bf 8f01cfea ...
constexpr std::string_view kHeadOfEmpty = "e3b0c44298fc1c14";
constexpr std::string_view kHeadOfAbc = "ba7816bf8f01cfea";
constexpr std::string_view kHeadOfHello = "2cf24dba5fb0a30e";
// b"\x00": a value with a zero byte.
constexpr std::string_view kHeadOfZeroByte = "6e340b9cffb37a98";
// 0xe3b0c44298fc1c14 + 0xba7816bf8f01cfea = 0x1_9e28db0227fdebfe, which wraps to:
constexpr std::string_view kEmptyPlusAbc = "9e28db0227fdebfe";
// 0xe3b0c44298fc1c14 + 0xba7816bf8f01cfea + 0x2cf24dba5fb0a30e = 0x1_cb1b28bc87ae8f0c -> wraps:
constexpr std::string_view kEmptyPlusAbcPlusHello = "cb1b28bc87ae8f0c";
// SHA-256("record-17246") begins 00002b34 ce80a3b9: the hex keeps four leading zeros.
constexpr std::string_view kHeadOfRecord17246 = "00002b34ce80a3b9";

TEST(RecordChecksumTest, NoRecordsIsZeroWithSixteenDigits) {
  RecordChecksum c;
  EXPECT_EQ(c.count(), 0);
  EXPECT_EQ(c.Hex(), "0000000000000000");
}

TEST(RecordChecksumTest, OneRecordIsTheFirstEightBytesOfItsSha256) {
  struct Case {
    std::string value;
    std::string_view hex;
  };
  for (const Case& c : {Case{"", kHeadOfEmpty}, Case{"abc", kHeadOfAbc},
                        Case{"hello", kHeadOfHello}, Case{std::string(1, '\0'), kHeadOfZeroByte}}) {
    RecordChecksum checksum;
    checksum.Add(c.value);
    EXPECT_EQ(checksum.Hex(), c.hex) << "record '" << c.value << "'";
    EXPECT_EQ(checksum.count(), 1);
  }
}

TEST(RecordChecksumTest, HexKeepsLeadingZeros) {
  RecordChecksum c;
  c.Add("record-17246");
  EXPECT_EQ(c.Hex(), kHeadOfRecord17246);
  EXPECT_EQ(c.Hex().size(), 16u);
}

TEST(RecordChecksumTest, SumWrapsAroundModulo2To64) {
  RecordChecksum c;
  c.Add("");
  c.Add("abc");
  EXPECT_EQ(c.Hex(), kEmptyPlusAbc);
  c.Add("hello");
  EXPECT_EQ(c.Hex(), kEmptyPlusAbcPlusHello);
  EXPECT_EQ(c.count(), 3);
}

TEST(RecordChecksumTest, OrderOfRecordsDoesNotMatter) {
  RecordChecksum forward, backward, interleaved;
  forward.Add("");
  forward.Add("abc");
  forward.Add("hello");
  backward.Add("hello");
  backward.Add("abc");
  backward.Add("");
  interleaved.Add("abc");
  interleaved.Add("hello");
  interleaved.Add("");
  EXPECT_EQ(forward.Hex(), kEmptyPlusAbcPlusHello);
  EXPECT_EQ(backward.Hex(), kEmptyPlusAbcPlusHello);
  EXPECT_EQ(interleaved.Hex(), kEmptyPlusAbcPlusHello);
}

TEST(RecordChecksumTest, RepeatedRecordCountsEachTime) {
  RecordChecksum c;
  c.Add("abc");
  c.Add("abc");
  // 2 x 0xba7816bf8f01cfea = 0x1_74f02d7f1e039fd4, wrapped.
  EXPECT_EQ(c.Hex(), "74f02d7f1e039fd4");
  EXPECT_EQ(c.count(), 2);
}

TEST(RecordChecksumTest, ValueIsHashedByteForByteIncludingZeros) {
  RecordChecksum with_zero, without;
  with_zero.Add(std::string_view("ab\0c", 4));
  without.Add("abc");
  EXPECT_NE(with_zero.Hex(), without.Hex());
  EXPECT_EQ(without.Hex(), kHeadOfAbc);
}

}  // namespace
}  // namespace eodclear
