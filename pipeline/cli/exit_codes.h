#pragma once

#include "pipeline/core/status.h"

namespace eodclear {

// Process exit codes, for schedulers (systemd, cron). The one table; documented in README.md.
enum class ExitCode : int {
  kSuccess = 0,                  // completed; every input message applied
  kCompletedWithDataErrors = 1,  // completed and published; some input went to dead letters
  kBadConfig = 2,           // bad command line, configuration or reference data; nothing touched
  kDataError = 3,           // input data stopped the run (e.g. messages lost to retention)
  kRetryable = 4,           // broker or storage unavailable; run again later
  kInvariantViolation = 5,  // the books did not balance; nothing was published
  kPrecondition = 6,        // an earlier date is incomplete, or the date is already closed
  kInternal = 7,            // a bug or corrupt state; needs an engineer
  kFenced = 8,              // another publisher with the same transactional id took over
};

// The exit code of a run that ended with `status` (not OK).
ExitCode ExitCodeFor(const Status& status);

}  // namespace eodclear
