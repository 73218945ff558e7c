#include "stages/ingest/trade_id_set.h"

#include <cstring>
#include <functional>

namespace eodclear {
namespace {
constexpr size_t kInitialSlots = 1 << 16;
constexpr size_t kChunkBytes = 1 << 20;
}  // namespace

TradeIdSet::TradeIdSet() : slots_(kInitialSlots) {}

size_t TradeIdSet::Find(std::string_view id, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.data == nullptr) return i;
    if (s.hash == hash && s.length == id.size() && std::memcmp(s.data, id.data(), id.size()) == 0) {
      return i;
    }
  }
}

bool TradeIdSet::Contains(std::string_view id) const {
  return slots_[Find(id, std::hash<std::string_view>{}(id))].data != nullptr;
}

const char* TradeIdSet::Store(std::string_view id) {
  if (chunks_.empty() || chunk_used_ + id.size() > chunk_size_) {
    chunk_size_ = id.size() > kChunkBytes ? id.size() : kChunkBytes;
    chunks_.push_back(std::make_unique<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  if (!id.empty()) std::memcpy(at, id.data(), id.size());
  chunk_used_ += id.size();
  return at;
}

void TradeIdSet::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.data == nullptr) continue;
    size_t i = s.hash & mask;
    while (slots_[i].data != nullptr) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool TradeIdSet::Insert(std::string_view id) {
  uint64_t hash = std::hash<std::string_view>{}(id);
  size_t i = Find(id, hash);
  if (slots_[i].data != nullptr) return false;
  // Keep the load factor at or below one half.
  if ((size_ + 1) * 2 > slots_.size()) {
    Grow();
    i = Find(id, hash);
  }
  slots_[i] = Slot{hash, Store(id), static_cast<uint32_t>(id.size())};
  ++size_;
  return true;
}

}  // namespace eodclear
