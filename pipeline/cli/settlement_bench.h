#pragma once

#include <cstdint>
#include <string>

#include "pipeline/cli/exit_codes.h"

namespace eodclear {

struct SettlementBenchOptions {
  int64_t accounts = 1'000'000;
  // Contracts every account holds (at most 5: ESU23, NQU23, RTYU23, YMU23, CNHU23).
  int contracts = 5;
  std::string refdata_dir;
};

// `eodclear bench --stage settlement`: writes `accounts` × `contracts` open positions (one tenth of
// them also traded on the day) into a fresh RocksDB database, then runs the settlement stage on
// them: settlement prices, variation margin per account and contract, invariants, outbox records.
// Prints the stage's time, records per second and the process's peak memory.
ExitCode SettlementBenchCommand(const SettlementBenchOptions& options);

}  // namespace eodclear

namespace eodclear {

struct OffsetLimitsBenchOptions {
  int64_t accounts = 1'000'000;
  int64_t owners = 200'000;
  std::string refdata_dir;
};

// `eodclear bench --stage offsetting`: writes `accounts` accounts (grouped into `owners` beneficial
// owners, all auto-offset) each holding MMCU23/MEU23 (offsettable, 10 : 1) and CNHU23/MNHU23 (limit
// checked, 10 MNH : 1 CNH) into a fresh RocksDB database, then runs the offsetting and
// position-limit stages on them. Prints each stage's time and the process's peak memory.
ExitCode OffsetLimitsBenchCommand(const OffsetLimitsBenchOptions& options);

}  // namespace eodclear
