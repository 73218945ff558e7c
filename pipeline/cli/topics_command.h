#pragma once

#include <iosfwd>

#include "pipeline/cli/exit_codes.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/kafka/topic_plan.h"

namespace eodclear {

struct TopicsCommandOptions {
  KafkaOptions kafka;
  TopicPlanOptions plan;
  bool check_only = false;  // --check: create nothing, report each mismatch
};

// `eodclear topics`: creates the missing topics with production settings (unless check_only),
// then checks every topic against them, one line each on `out`:
//   created NAME: P partitions, replication factor R, k=v, ...   |   exists NAME
//   ok NAME   |   mismatch NAME: WHAT, wanted X, found Y
// and a last line "topics: N checked, M with mismatches". Exit 0 when every topic matches, 2 when
// one does not or the cluster refuses a setting, 4 when the cluster does not answer.
ExitCode TopicsCommand(const TopicsCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace eodclear
