#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace rocksdb {
class WriteBatch;
}

namespace eodclear {

class StateStore;
class ProductCatalog;
class CalendarSet;
class OffsetTable;
class PositionLimitTable;
class AccountDirectory;
class Metrics;
class RunLedger;

// What every stage of a run is given. Owned by the runner; stages never keep it.
struct RunContext {
  // The business date being closed; stages never ask the clock.
  Date business_date;
  // This attempt's run id, carried by every record it publishes.
  std::string run_id;
  StateStore* store = nullptr;
  const ProductCatalog* products = nullptr;
  // Calendars of the products' expiry rules; null skips termination checks (tests of one stage).
  const CalendarSet* calendars = nullptr;
  // The Rule 855 offset table and the Chapter 5 limit table (offsetting and limit stages).
  const OffsetTable* offsets = nullptr;
  const PositionLimitTable* limits = nullptr;
  // Accounts and beneficial owners; null when the caller has none (every account its own owner).
  const AccountDirectory* accounts = nullptr;
  Metrics* metrics = nullptr;
  // The date's run state; a stage adds its checkpoint to its last WriteBatch through it.
  RunLedger* ledger = nullptr;
  // Progress lines for operators ("ingest: 120000/500000 messages"); never null.
  std::ostream* progress = nullptr;
};

// One step of the end-of-day batch. A stage reads what earlier stages stored, and writes its
// outputs and its completion checkpoint (RunLedger::MarkCompleted) in one WriteBatch, so a crashed
// run resumes after the last completed stage. Stages never call each other.
class Stage {
 public:
  virtual ~Stage() = default;
  // Stable name, persisted in checkpoints: do not rename.
  virtual std::string_view name() const = 0;
  // Runs the stage for ctx.business_date. On error nothing after the last written batch is kept.
  virtual Status Run(RunContext& ctx) = 0;

  // Corrections (`run --republish`). The runner puts the date's book back as it stood at the
  // start of its end of day (start_of_day) and removes the date's outbox; each stage then puts in
  // `batch` whatever else of its outputs of ctx.business_date a re-run would not replace. Reads see
  // the state before the correction. Every stage for which RerunByCorrection() is true runs again.
  virtual bool RerunByCorrection() const { return true; }
  virtual Status PrepareCorrection(RunContext& /*ctx*/, rocksdb::WriteBatch* /*batch*/) {
    return Status::Ok();
  }
};

}  // namespace eodclear
