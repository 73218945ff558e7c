#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eodclear {

// The set of trade ids already applied, for de-duplication at ingest rates (millions a day).
// Open addressing over 64-bit hashes, ids stored back to back in large chunks: one allocation per
// chunk, not per id. Exact: equal hashes are confirmed by comparing the ids. Not thread-safe.
class TradeIdSet {
 public:
  TradeIdSet();
  // True when `id` was not in the set (it is now).
  bool Insert(std::string_view id);
  bool Contains(std::string_view id) const;
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* data = nullptr;  // nullptr: empty slot
    uint32_t length = 0;
  };
  size_t Find(std::string_view id, uint64_t hash) const;  // slot holding id, or the empty one
  const char* Store(std::string_view id);
  void Grow();

  std::vector<Slot> slots_;
  size_t size_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;
};

}  // namespace eodclear
