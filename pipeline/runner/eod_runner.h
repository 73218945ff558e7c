#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace eodclear {

// What a run of one business date ended with.
struct RunOutcome {
  // The run id whose records are the date's published records.
  std::string published_run_id;
  // True when the date had already been published before this invocation.
  bool already_published = false;
  int64_t messages_consumed = 0;
  int64_t messages_rejected = 0;
};

// Runs `stages` in order for ctx.business_date, resuming after the last completed stage of an
// earlier attempt (each stage checkpoints itself). Refuses, with kFailedPrecondition and nothing
// touched, to run a date while an earlier date's run is incomplete, or a date before the last
// closed date that was never run. `ctx.ledger` is set by the runner.
Result<RunOutcome> RunEndOfDay(RunContext ctx, const std::vector<Stage*>& stages);

// A new run id: the business date, '.', and 16 random hex digits ("2023-06-16.9f1c2ab4e5d60718").
std::string NewRunId(Date business_date, uint64_t random_bits);

}  // namespace eodclear
