#pragma once

#include <rocksdb/write_batch.h>

#include <optional>
#include <string>
#include <string_view>

#include "eodclear/state/v1/state.pb.h"
#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace eodclear {

class StateStore;

// The run state of one business date (column family `runs`): which stages completed, the input
// counts, and the run id whose publish committed. Stages update it only inside their own
// WriteBatch, so it is always consistent with the state it describes.
struct RunContext;

// A stage's last write: marks `stage` completed after `seconds` in the ledger and the metrics, puts
// the run state in `batch` with the stage's last outputs, and writes the batch, synced.
Status CompleteStage(RunContext& ctx, std::string_view stage, double seconds,
                     rocksdb::WriteBatch* batch);

class RunLedger {
 public:
  // Reads the date's state (empty when the date never ran).
  static Result<RunLedger> Load(StateStore* store, Date date);

  Date date() const { return date_; }
  const eodclear::state::v1::RunState& state() const { return state_; }
  eodclear::state::v1::RunState* mutable_state() { return &state_; }

  bool IsCompleted(std::string_view stage) const;
  // Records `stage` as completed after `seconds`, in memory; call Stage() to put it in a batch.
  void MarkCompleted(std::string_view stage, double seconds);
  // Adds the current state to `batch`.
  Status Stage(rocksdb::WriteBatch* batch, StateStore* store) const;

  // The latest business date whose publish committed, if any (a date is closed once published).
  static Result<std::optional<Date>> LastClosedDate(StateStore* store);
  // The earliest date before `date` that started but did not publish, or whose correction is in
  // progress, if any.
  static Result<std::optional<Date>> IncompleteBefore(StateStore* store, Date date);

 private:
  Date date_;
  eodclear::state::v1::RunState state_;
};

}  // namespace eodclear
