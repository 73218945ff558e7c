#pragma once

#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/kafka/topic_plan.h"

namespace eodclear {

// What CreateTopics did with one topic.
struct TopicCreation {
  std::string name;
  bool created = false;  // false: it existed already
};

// Creates each topic of `specs` that does not exist, with its partitions, replication and
// configs, through Kafka's Admin API (CreateTopics). A topic that exists is left as it is and
// reported as not created. kInvalidArgument when the cluster refuses a topic's settings (e.g. a
// replication factor above the number of brokers), naming the topic and Kafka's reason;
// kUnavailable when the cluster does not answer within `timeout_ms`.
Result<std::vector<TopicCreation>> CreateTopics(const KafkaOptions& kafka,
                                                const std::vector<TopicSpec>& specs,
                                                int timeout_ms = 30000);

// One way a topic on the cluster differs from its spec.
struct TopicMismatch {
  std::string topic;
  std::string what;    // "missing", "partitions", "replication factor of partition 3", a config
  std::string wanted;  // as the spec says
  std::string found;   // as the cluster has it
};

// Compares every topic of `specs` with the cluster (metadata for partitions and replicas,
// DescribeConfigs for the configs): a missing topic, fewer or more partitions, a partition with
// another replica count, or a config whose value differs. An empty result: all match.
// kUnavailable when the cluster does not answer within `timeout_ms`.
Result<std::vector<TopicMismatch>> CheckTopics(const KafkaOptions& kafka,
                                               const std::vector<TopicSpec>& specs,
                                               int timeout_ms = 30000);

}  // namespace eodclear
