#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace eodclear {

// How a run of one business date is asked for.
struct RunMode {
  // Correct the date's publication (`run --republish`): put the book back as it stood after the
  // date's ingest, run every later stage again with today's reference data, overrides and
  // instructions, and publish the result under a new run id, marked as a correction of the
  // previous one. Only the latest business date that ran can be corrected. A correction in
  // progress (after a crash) is resumed, with or without this flag.
  bool republish = false;
};

// What a run of one business date ended with.
struct RunOutcome {
  // The run id whose records are the date's published records.
  std::string published_run_id;
  // True when the date had already been published before this invocation.
  bool already_published = false;
  // Set when this invocation corrected the date: the run id its publication replaced.
  std::string corrected_run_id;
  int64_t messages_consumed = 0;
  int64_t messages_rejected = 0;
};

// Runs `stages` in order for ctx.business_date, resuming after the last completed stage of an
// earlier attempt (each stage checkpoints itself); see RunMode for corrections. Refuses, with
// kFailedPrecondition and nothing touched, to run a date while an earlier date's run is incomplete,
// or a date before the last closed date that was never run. `ctx.ledger` is set by the runner.
Result<RunOutcome> RunEndOfDay(RunContext ctx, const std::vector<Stage*>& stages,
                               const RunMode& mode = {});

struct RefData;

// A run context for `date` over every table of `refdata` (which must outlive it).
RunContext MakeRunContext(const RefData& refdata, StateStore* store, Date date, std::string run_id,
                          Metrics* metrics, std::ostream* progress);

// A new run id: the business date, '.', and 16 random hex digits ("2023-06-16.9f1c2ab4e5d60718").
std::string NewRunId(Date business_date, uint64_t random_bits);

}  // namespace eodclear
