#pragma once

#include <string_view>

namespace eodclear {

// Named points where a fault test can make the process die as if the machine lost power there.
// When the environment variable EODCLEAR_CRASH_AT equals `point`, the process kills itself with
// SIGKILL on reaching it (no destructor, flush or log line runs). Unset, it does nothing; it is
// read once per process. Points:
//   after-stage:<stage>     a stage's checkpoint is written (ingest, settlement, offsetting,
//                           position_limits)
//   publish:before-commit   every record and the eod-runs record are delivered, the Kafka
//                           transaction is not yet committed
//   publish:after-commit    the transaction is committed, the publish checkpoint is not written
//   republish:after-rewind  a correction has restored the date's start-of-day state
// When EODCLEAR_STOP_AT equals `point`, the process stops itself there with SIGSTOP instead, as a
// process that hangs (a long GC-like pause, a frozen VM) and comes back on SIGCONT: a zombie.
// Operations never set either; the fault tests in tests/integration/ do.
void CrashPoint(std::string_view point);

}  // namespace eodclear
