#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eodclear {

// The per-topic checksum of the run marker (clearing.v1.EodRun.TopicSummary.checksum): the sum,
// modulo 2^64, of the first 8 bytes (big-endian) of SHA-256 of each record's value. Order-
// independent, so a consumer can check it over records read from any number of partitions.
class RecordChecksum {
 public:
  void Add(std::string_view record_value);
  int64_t count() const { return count_; }
  // 16 lower-case hex digits.
  std::string Hex() const;

 private:
  uint64_t sum_ = 0;
  int64_t count_ = 0;
};

}  // namespace eodclear
