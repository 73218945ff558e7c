#include "pipeline/start_of_day.h"

#include <rocksdb/write_batch.h>

#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

Status StartOfDayLog::Keep(std::string_view position_key, const std::optional<std::string>& before,
                           rocksdb::WriteBatch* batch) {
  const std::string key = keys::StartOfDayKey(date_, position_key);
  EODCLEAR_ASSIGN_OR_RETURN(auto existing, store_.Get(StateCf::kStartOfDay, key));
  if (existing) return Status::Ok();
  std::string value = before ? "P" + *before : std::string("N");
  return StateStore::FromRocks(batch->Put(store_.cf(StateCf::kStartOfDay), key, value),
                               "keeping a start-of-day position");
}

Result<int64_t> RestoreStartOfDay(const StateStore& store, Date date, rocksdb::WriteBatch* batch) {
  int64_t restored = 0;
  Status bad;
  EODCLEAR_RETURN_IF_ERROR(store.ScanPrefix(
      StateCf::kStartOfDay, keys::DatePrefix(date), [&](std::string_view k, std::string_view v) {
        auto key = keys::ParseStartOfDayKey(k);
        if (!key || v.empty() || (v[0] != 'P' && v[0] != 'N')) {
          bad = Status::Internal("a start_of_day entry of " + date.ToString() + " is corrupt");
          return false;
        }
        if (v[0] == 'P') {
          batch->Put(store.cf(StateCf::kPositions), key->position_key, v.substr(1));
        } else {
          batch->Delete(store.cf(StateCf::kPositions), key->position_key);
        }
        batch->Delete(store.cf(StateCf::kStartOfDay), k);
        ++restored;
        return true;
      }));
  EODCLEAR_RETURN_IF_ERROR(bad);
  return restored;
}

void ForgetStartOfDayBefore(const StateStore& store, Date date, rocksdb::WriteBatch* batch) {
  // Date fields sort first and in date order, so every earlier date's key is below the prefix.
  batch->DeleteRange(store.cf(StateCf::kStartOfDay), std::string(), keys::DatePrefix(date));
}

}  // namespace eodclear
