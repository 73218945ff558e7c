#pragma once

#include <map>
#include <string>
#include <vector>

#include "pipeline/core/status.h"

namespace eodclear {

// A topic as production wants it: partitions, replication and the topic-level configuration
// that eodclear's guarantees rest on (docs/kafka-topics-and-acls.md says why each value).
struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 3;
  std::map<std::string, std::string> configs;  // e.g. cleanup.policy=compact
};

// The knobs of `eodclear topics`. Defaults are production's; each is validated by
// ProductionTopics, never clamped.
struct TopicPlanOptions {
  // Partitions of the high-volume input topics (trades, quotes).
  int input_partitions = 12;
  // Partitions of every other topic (side inputs, outputs, dead letters, eod-runs).
  int output_partitions = 3;
  int replication_factor = 3;
  // Of every topic: with acks=all a write needs this many in-sync replicas.
  int min_insync_replicas = 2;
};

// Retention of the trades and quotes topics: 7 days, so a missed day-end (or a long weekend and
// a missed day after it) can still be consumed; deleted messages stop the run (exit 3).
inline constexpr long long kInputRetentionMs = 7LL * 24 * 3600 * 1000;
// Retention of the side inputs (read in full at every run; keyed by name, so not compacted) and
// of dead letters (an audit log): 90 days, past the Micro Ether Euro deferral (up to 17 business
// days) and a correction of any recent date.
inline constexpr long long kSideInputRetentionMs = 90LL * 24 * 3600 * 1000;

// Every topic eodclear reads or writes (pipeline/kafka/topics.h) with its production settings.
// kInvalidArgument names a bad option (partitions < 1, replication < 1, min ISR < 1 or above the
// replication factor).
Result<std::vector<TopicSpec>> ProductionTopics(const TopicPlanOptions& options);

}  // namespace eodclear
