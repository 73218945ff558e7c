#include "pipeline/kafka/topic_plan.h"

#include <set>

#include "pipeline/kafka/topics.h"

namespace eodclear {

Result<std::vector<TopicSpec>> ProductionTopics(const TopicPlanOptions& options) {
  auto positive = [](int v, const char* name) -> Status {
    if (v < 1) return Status::InvalidArgument(std::string(name) + " must be at least 1");
    return Status::Ok();
  };
  EODCLEAR_RETURN_IF_ERROR(positive(options.input_partitions, "--partitions"));
  EODCLEAR_RETURN_IF_ERROR(positive(options.output_partitions, "--output-partitions"));
  EODCLEAR_RETURN_IF_ERROR(positive(options.replication_factor, "--replication-factor"));
  EODCLEAR_RETURN_IF_ERROR(positive(options.min_insync_replicas, "--min-insync-replicas"));
  if (options.min_insync_replicas > options.replication_factor) {
    return Err(Status::InvalidArgument(
        "--min-insync-replicas " + std::to_string(options.min_insync_replicas) +
        " is above --replication-factor " + std::to_string(options.replication_factor) +
        ": no write could ever be acknowledged"));
  }
  const std::set<std::string_view> inputs = {topics::kTrades, topics::kQuotes};
  const std::set<std::string_view> side_inputs = {
      topics::kReferencePrices, topics::kSettlementOverrides, topics::kOffsetInstructions};
  std::vector<TopicSpec> out;
  for (std::string_view name : topics::kAll) {
    TopicSpec spec;
    spec.name = std::string(name);
    spec.replication_factor = options.replication_factor;
    spec.configs["min.insync.replicas"] = std::to_string(options.min_insync_replicas);
    if (inputs.contains(name)) {
      spec.partitions = options.input_partitions;
      spec.configs["cleanup.policy"] = "delete";
      spec.configs["retention.ms"] = std::to_string(kInputRetentionMs);
    } else if (side_inputs.contains(name) || name == topics::kDeadLetters) {
      spec.partitions = options.output_partitions;
      spec.configs["cleanup.policy"] = "delete";
      spec.configs["retention.ms"] = std::to_string(kSideInputRetentionMs);
    } else {
      // Keyed outputs and eod-runs: the latest record per business date and entity is the one
      // that counts, and a correction's tombstones retract keys.
      spec.partitions = options.output_partitions;
      spec.configs["cleanup.policy"] = "compact";
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace eodclear
