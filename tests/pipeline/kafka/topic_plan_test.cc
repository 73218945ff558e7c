#include "pipeline/kafka/topic_plan.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pipeline/kafka/topics.h"

namespace eodclear {
namespace {

std::map<std::string, TopicSpec> ByName(const std::vector<TopicSpec>& specs) {
  std::map<std::string, TopicSpec> out;
  for (const TopicSpec& s : specs) out[s.name] = s;
  return out;
}

TEST(TopicPlanTest, EveryTopicEodclearUsesHasExactlyOneSpec) {
  auto specs = ProductionTopics({});
  ASSERT_TRUE(specs.has_value());
  std::set<std::string> want;
  for (std::string_view t : topics::kAll) want.insert(std::string(t));
  std::set<std::string> got;
  for (const TopicSpec& s : *specs) EXPECT_TRUE(got.insert(s.name).second) << s.name;
  EXPECT_EQ(got, want);
}

TEST(TopicPlanTest, DefaultsAreProductionReplicationAndPartitions) {
  auto specs = ProductionTopics({});
  ASSERT_TRUE(specs.has_value());
  auto by = ByName(*specs);
  for (const auto& [name, s] : by) {
    EXPECT_EQ(s.replication_factor, 3) << name;
    EXPECT_EQ(s.configs.at("min.insync.replicas"), "2") << name;
  }
  EXPECT_EQ(by["trades"].partitions, 12);
  EXPECT_EQ(by["quotes"].partitions, 12);
  EXPECT_EQ(by["positions"].partitions, 3);
}

TEST(TopicPlanTest, KeyedOutputsAreCompactedInputsAndSideInputsAreNot) {
  auto by = ByName(*ProductionTopics({}));
  for (const char* t : {"positions", "settlement-prices", "variation-margin", "final-settlements",
                        "offsets", "position-limit-findings", "large-trader-reports",
                        "eod-runs"}) {
    EXPECT_EQ(by[t].configs.at("cleanup.policy"), "compact") << t;
    EXPECT_FALSE(by[t].configs.contains("retention.ms")) << t;
  }
  // 7 days = 7 x 86,400,000 ms = 604,800,000 ms; 90 days = 7,776,000,000 ms.
  for (const char* t : {"trades", "quotes"}) {
    EXPECT_EQ(by[t].configs.at("cleanup.policy"), "delete") << t;
    EXPECT_EQ(by[t].configs.at("retention.ms"), "604800000") << t;
  }
  for (const char* t :
       {"reference-prices", "settlement-overrides", "offset-instructions", "dead-letters"}) {
    EXPECT_EQ(by[t].configs.at("cleanup.policy"), "delete") << t;
    EXPECT_EQ(by[t].configs.at("retention.ms"), "7776000000") << t;
  }
}

TEST(TopicPlanTest, OptionsApplyAndBadOnesAreRejectedByName) {
  TopicPlanOptions o;
  o.input_partitions = 5;
  o.output_partitions = 2;
  o.replication_factor = 1;
  o.min_insync_replicas = 1;
  auto by = ByName(*ProductionTopics(o));
  EXPECT_EQ(by["trades"].partitions, 5);
  EXPECT_EQ(by["eod-runs"].partitions, 2);
  EXPECT_EQ(by["eod-runs"].replication_factor, 1);

  TopicPlanOptions above;
  above.replication_factor = 2;
  above.min_insync_replicas = 3;
  auto r = ProductionTopics(above);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("--min-insync-replicas"), std::string::npos);
  TopicPlanOptions zero;
  zero.output_partitions = 0;
  r = ProductionTopics(zero);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("--output-partitions"), std::string::npos);
}

}  // namespace
}  // namespace eodclear
