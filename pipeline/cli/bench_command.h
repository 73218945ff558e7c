#pragma once

#include <cstdint>
#include <string>

#include "pipeline/cli/exit_codes.h"

namespace eodclear {

struct BenchOptions {
  int64_t trades = 1'000'000;
  // The development broker keeps about 5 MiB per partition: 1 M trades need 32 or more.
  int partitions = 64;
  int accounts = 2000;
  // Empty: start a development broker in this process. Otherwise the bootstrap servers of a running
  // broker, whose `trades` topic must be empty (the bench produces into it).
  std::string brokers;
  std::string refdata_dir;
};

// `eodclear bench`: starts a development broker in this process, produces `trades` random valid
// trades, then measures (1) a bare librdkafka batch consumer reading the topic to its end and
// (2) the ingest stage consuming the same topic into a fresh RocksDB database, exactly once
// (state and offsets per WriteBatch). Prints both rates and their ratio.
ExitCode BenchCommand(const BenchOptions& options);

}  // namespace eodclear
