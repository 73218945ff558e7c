#include "pipeline/runner/eod_runner.h"

#include <cstdio>
#include <ostream>

#include "pipeline/run_ledger.h"

namespace eodclear {

std::string NewRunId(Date business_date, uint64_t random_bits) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random_bits));
  return business_date.ToString() + "." + hex;
}

Result<RunOutcome> RunEndOfDay(RunContext ctx, const std::vector<Stage*>& stages) {
  const Date date = ctx.business_date;
  EODCLEAR_ASSIGN_OR_RETURN(RunLedger ledger, RunLedger::Load(ctx.store, date));
  RunOutcome outcome;
  if (!ledger.state().published_run_id().empty()) {
    outcome.already_published = true;
  } else {
    EODCLEAR_ASSIGN_OR_RETURN(auto incomplete, RunLedger::IncompleteBefore(ctx.store, date));
    if (incomplete) {
      return Err(Status::FailedPrecondition("the run of " + incomplete->ToString() +
                                            " did not complete; run that date first (" +
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
    }
  }
  outcome.published_run_id = ledger.state().published_run_id();
  outcome.messages_consumed = ledger.state().messages_consumed();
  outcome.messages_rejected = ledger.state().messages_rejected();
  return outcome;
}

}  // namespace eodclear
