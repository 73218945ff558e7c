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
