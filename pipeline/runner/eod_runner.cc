#include "pipeline/runner/eod_runner.h"

#include <rocksdb/write_batch.h>

#include <cstdio>
#include <optional>
#include <ostream>

#include "pipeline/crash_point.h"
#include "pipeline/refdata/refdata.h"
#include "pipeline/run_ledger.h"
#include "pipeline/start_of_day.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

RunContext MakeRunContext(const RefData& refdata, StateStore* store, Date date, std::string run_id,
                          Metrics* metrics, std::ostream* progress) {
  RunContext ctx;
  ctx.business_date = date;
  ctx.run_id = std::move(run_id);
  ctx.store = store;
  ctx.products = &refdata.products;
  ctx.calendars = &refdata.calendars;
  ctx.offsets = &refdata.offsets;
  ctx.limits = &refdata.limits;
  ctx.accounts = &refdata.accounts;
  ctx.metrics = metrics;
  ctx.progress = progress;
  return ctx;
}

std::string NewRunId(Date business_date, uint64_t random_bits) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random_bits));
  return business_date.ToString() + "." + hex;
}

namespace {

// The first business date after `date` that has run state, if any.
Result<std::optional<Date>> LaterRunDate(StateStore* store, Date date) {
  auto it = store->NewIterator(StateCf::kRuns);
  it->Seek(keys::RunKey(date.AddDays(1)));
  if (it->Valid()) {
    EODCLEAR_ASSIGN_OR_RETURN(
        Date d, keys::ParseRunKey(std::string_view(it->key().data(), it->key().size())));
    return std::optional<Date>(d);
  }
  EODCLEAR_RETURN_IF_ERROR(StateStore::IteratorStatus(*it));
  return std::optional<Date>();
}

// Starts a correction of ctx.business_date: checks it can be corrected, then in one synced batch
// puts the book back as it stood after ingest, removes the date's outbox and each re-run stage's
// other outputs, and marks the correction in the ledger with only the kept stages completed.
Status BeginCorrection(RunContext& ctx, RunLedger& ledger, const std::vector<Stage*>& stages) {
  const Date date = ctx.business_date;
  const std::string d = date.ToString();
  auto* rs = ledger.mutable_state();
  if (rs->published_run_id().empty()) {
    return Status::FailedPrecondition(
        d + " was never published, so there is nothing to correct; run it without --republish");
  }
  EODCLEAR_ASSIGN_OR_RETURN(auto later, LaterRunDate(ctx.store, date));
  if (later) {
    return Status::FailedPrecondition(
        "cannot correct " + d + ": " + later->ToString() +
        " has already run on its results; only the latest business date that ran can be "
        "corrected (see ops/RUNBOOK.md, Correcting a published date)");
  }
  if (!rs->start_of_day_kept()) {
    return Status::FailedPrecondition("cannot correct " + d +
                                      ": its start-of-day positions were not kept (it was settled "
                                      "before this state format kept them)");
  }
  rocksdb::WriteBatch batch;
  EODCLEAR_ASSIGN_OR_RETURN(int64_t restored, RestoreStartOfDay(*ctx.store, date, &batch));
  EODCLEAR_RETURN_IF_ERROR(ctx.store->StageDeleteDate(StateCf::kOutbox, date, &batch));
  ctx.ledger = &ledger;
  for (Stage* stage : stages) {
    if (stage->RerunByCorrection()) {
      EODCLEAR_RETURN_IF_ERROR(
          stage->PrepareCorrection(ctx, &batch).WithContext(std::string(stage->name())));
    }
  }
  eodclear::state::v1::RunState next = *rs;
  next.clear_completed_stages();
  next.clear_stage_seconds();
  for (Stage* stage : stages) {
    if (!stage->RerunByCorrection() && ledger.IsCompleted(stage->name())) {
      next.add_completed_stages(std::string(stage->name()));
      auto it = rs->stage_seconds().find(std::string(stage->name()));
      if (it != rs->stage_seconds().end()) (*next.mutable_stage_seconds())[it->first] = it->second;
    }
  }
  next.set_correcting_run_id(rs->published_run_id());
  next.set_start_of_day_kept(false);
  *rs = std::move(next);
  EODCLEAR_RETURN_IF_ERROR(ledger.Stage(&batch, ctx.store));
  EODCLEAR_RETURN_IF_ERROR(ctx.store->Write(&batch, /*sync=*/true));
  *ctx.progress << "run: correcting " << d << " (published by run " << rs->correcting_run_id()
                << "): " << restored << " positions put back as they stood after ingest\n";
  CrashPoint("republish:after-rewind");
  return Status::Ok();
}

}  // namespace

Result<RunOutcome> RunEndOfDay(RunContext ctx, const std::vector<Stage*>& stages,
                               const RunMode& mode) {
  const Date date = ctx.business_date;
  EODCLEAR_ASSIGN_OR_RETURN(RunLedger ledger, RunLedger::Load(ctx.store, date));
  RunOutcome outcome;
  bool correcting = !ledger.state().correcting_run_id().empty();
  if (correcting) {
    *ctx.progress << "run: resuming the correction of " << date.ToString() << " (published by run "
                  << ledger.state().correcting_run_id() << ")\n";
  } else if (mode.republish) {
    EODCLEAR_RETURN_IF_ERROR(BeginCorrection(ctx, ledger, stages));
    correcting = true;
  }
  if (correcting) {
    outcome.corrected_run_id = ledger.state().correcting_run_id();
  } else if (!ledger.state().published_run_id().empty()) {
    outcome.already_published = true;
  } else {
    EODCLEAR_ASSIGN_OR_RETURN(auto incomplete, RunLedger::IncompleteBefore(ctx.store, date));
    if (incomplete) {
      return Err(Status::FailedPrecondition(
          "the run of " + incomplete->ToString() +
          " did not complete (or its correction is in progress); run that date first (" +
          "eodclear run --date " + incomplete->ToString() + ")"));
    }
    EODCLEAR_ASSIGN_OR_RETURN(auto last_closed, RunLedger::LastClosedDate(ctx.store));
    if (last_closed && date < *last_closed) {
      return Err(Status::FailedPrecondition(
          date.ToString() + " is before " + last_closed->ToString() +
          ", the last business date already closed; dates are closed in order"));
    }
  }
  ctx.ledger = &ledger;
  if (outcome.already_published) {
    *ctx.progress << "run: " << date.ToString() << " was already published by run "
                  << ledger.state().published_run_id() << "; nothing to do\n";
  } else {
    for (Stage* stage : stages) {
      if (ledger.IsCompleted(stage->name())) {
        *ctx.progress << "run: stage " << stage->name() << " already completed for "
                      << date.ToString() << "; resuming after it\n";
        continue;
      }
      *ctx.progress << "run: stage " << stage->name() << " of " << date.ToString() << " (run "
                    << ctx.run_id << ")\n";
      EODCLEAR_RETURN_IF_ERROR(stage->Run(ctx).WithContext(std::string(stage->name())));
      CrashPoint("after-stage:" + std::string(stage->name()));
    }
  }
  outcome.published_run_id = ledger.state().published_run_id();
  // The publish stage found the date published by an earlier attempt (killed after its commit).
  if (outcome.corrected_run_id.empty() && outcome.published_run_id != ctx.run_id) {
    outcome.already_published = true;
  }
  outcome.messages_consumed = ledger.state().messages_consumed();
  outcome.messages_rejected = ledger.state().messages_rejected();
  return outcome;
}

}  // namespace eodclear
