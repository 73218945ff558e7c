#include "pipeline/run_ledger.h"

#include <algorithm>

#include "pipeline/metrics.h"
#include "pipeline/stage.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

Status CompleteStage(RunContext& ctx, std::string_view stage, double seconds,
                     rocksdb::WriteBatch* batch) {
  ctx.ledger->MarkCompleted(stage, seconds);
  ctx.metrics->SetStageSeconds(stage, seconds);
  EODCLEAR_RETURN_IF_ERROR(ctx.ledger->Stage(batch, ctx.store));
  return ctx.store->Write(batch, /*sync=*/true);
}

Result<RunLedger> RunLedger::Load(StateStore* store, Date date) {
  RunLedger ledger;
  ledger.date_ = date;
  EODCLEAR_ASSIGN_OR_RETURN(auto value, store->Get(StateCf::kRuns, keys::RunKey(date)));
  if (value && !ledger.state_.ParseFromString(*value)) {
    return Err(Status::Internal("run state of " + date.ToString() + " is corrupt"));
  }
  return ledger;
}

bool RunLedger::IsCompleted(std::string_view stage) const {
  const auto& done = state_.completed_stages();
  return std::find(done.begin(), done.end(), stage) != done.end();
}

void RunLedger::MarkCompleted(std::string_view stage, double seconds) {
  if (!IsCompleted(stage)) state_.add_completed_stages(std::string(stage));
  (*state_.mutable_stage_seconds())[std::string(stage)] = seconds;
}

Status RunLedger::Stage(rocksdb::WriteBatch* batch, StateStore* store) const {
  return StateStore::FromRocks(
      batch->Put(store->cf(StateCf::kRuns), keys::RunKey(date_), state_.SerializeAsString()),
      "staging run state");
}

Result<std::optional<Date>> RunLedger::LastClosedDate(StateStore* store) {
  auto it = store->NewIterator(StateCf::kRuns);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    eodclear::state::v1::RunState s;
    if (!s.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Err(Status::Internal("run state is corrupt"));
    }
    if (!s.published_run_id().empty()) {
      EODCLEAR_ASSIGN_OR_RETURN(
          Date d, keys::ParseRunKey(std::string_view(it->key().data(), it->key().size())));
      return std::optional<Date>(d);
    }
  }
  EODCLEAR_RETURN_IF_ERROR(StateStore::IteratorStatus(*it));
  return std::optional<Date>();
}

Result<std::optional<Date>> RunLedger::IncompleteBefore(StateStore* store, Date date) {
  // Run keys sort by date: walk forward until `date` or the first date not published.
  auto it = store->NewIterator(StateCf::kRuns);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EODCLEAR_ASSIGN_OR_RETURN(
        Date d, keys::ParseRunKey(std::string_view(it->key().data(), it->key().size())));
    if (!(d < date)) break;
    eodclear::state::v1::RunState s;
    if (!s.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Err(Status::Internal("run state of " + d.ToString() + " is corrupt"));
    }
    if (s.published_run_id().empty() || !s.correcting_run_id().empty()) {
      return std::optional<Date>(d);
    }
  }
  EODCLEAR_RETURN_IF_ERROR(StateStore::IteratorStatus(*it));
  return std::optional<Date>();
}

}  // namespace eodclear
