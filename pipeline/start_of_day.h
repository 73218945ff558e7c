#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace rocksdb {
class WriteBatch;
}

namespace eodclear {

class StateStore;

// The start-of-day positions of a business date's end of day: each position the settlement or
// offsetting stage changes is first kept (column family `start_of_day`) as it stood after ingest,
// so a correction of the date (`run --republish`) can put the book back and run those stages
// again. Only changed positions are kept; the rest are unchanged by the end of day anyway.
//
// Value: 'P' followed by the PositionState bytes, or 'N' when the position did not exist (an offset
// account's first position in a contract).
class StartOfDayLog {
 public:
  StartOfDayLog(const StateStore& store, Date date) : store_(store), date_(date) {}

  // Puts in `batch` the position `position_key` as it stood before this date changed it:
  // `before` is its stored value, or nullopt if it did not exist. A position already kept for the
  // date by an earlier stage is left as kept. Call at most once per key and batch (the stages
  // change each position once, in their last batch).
  Status Keep(std::string_view position_key, const std::optional<std::string>& before,
              rocksdb::WriteBatch* batch);

 private:
  const StateStore& store_;
  Date date_;
};

// Puts in `batch` the restoration of every position kept for `date` (put back, or deleted if it
// did not exist) and the removal of those entries. Returns the number of positions restored.
Result<int64_t> RestoreStartOfDay(const StateStore& store, Date date, rocksdb::WriteBatch* batch);

// Puts in `batch` the removal of the start-of-day entries of every date before `date`: only the
// latest business date can be corrected.
void ForgetStartOfDayBefore(const StateStore& store, Date date, rocksdb::WriteBatch* batch);

}  // namespace eodclear
