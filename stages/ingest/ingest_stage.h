#pragma once

#include <cstddef>
#include <string>

#include "pipeline/kafka/kafka_options.h"
#include "pipeline/stage.h"

namespace eodclear {

struct IngestOptions {
  std::string trades_topic = "trades";
  std::string quotes_topic = "quotes";
  // Consumer group whose committed offsets mirror the stored ones (for lag monitoring only).
  std::string consumer_group = "eodclear";
  // Most messages one poll of the consumer returns.
  size_t max_poll = 10000;
  // Messages applied per RocksDB WriteBatch (state and offsets commit together). Larger batches
  // rewrite each touched position less often; a crash replays at most one batch. A batch is
  // written on a writer thread while the next one is built; writes stay ordered.
  size_t commit_every_messages = 200000;
  // A batch is also committed when it is this old, in milliseconds.
  int commit_every_ms = 1000;
  // With no message and no progress for this long, the run stops as unavailable (seconds).
  int idle_timeout_seconds = 120;
  // Print a progress line every this many messages; 0 prints at most one a second.
  size_t progress_every_messages = 0;
};

// Stage "ingest": consumes `trades` and `quotes` from the offsets stored in RocksDB up to the
// high watermarks taken when it starts, and applies them to positions, the day's contract
// statistics and trade prints, and the latest quotes. Each batch's state change and its offsets are
// one WriteBatch, so a restarted run resumes exactly where the last batch ended.
//
// Rules (stages/ingest/input_rules.h): a trade is applied once per trade id; a trade for a later
// trade date is held in `pending_trades` and applied by that date's run; a trade for a date whose
// run has completed, and every message that cannot be decoded or validated, is stored as a dead
// letter (published by the publish stage) and counted. If retention deleted messages below the
// stored offset, the stage fails with kDataError naming the partition and the offsets lost.
class IngestStage : public Stage {
 public:
  IngestStage(IngestOptions options, KafkaOptions kafka)
      : options_(std::move(options)), kafka_(std::move(kafka)) {}
  std::string_view name() const override { return "ingest"; }
  Status Run(RunContext& ctx) override;
  // A correction keeps the day's ingest: its trades are not consumed again.
  bool RerunByCorrection() const override { return false; }

 private:
  IngestOptions options_;
  KafkaOptions kafka_;
};

}  // namespace eodclear
