#include "pipeline/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>

namespace eodclear {

namespace {

// A plain librdkafka handle for Admin API calls (the C++ API has none).
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

Result<Handle> MakeHandle(const KafkaOptions& kafka) {
  EODCLEAR_ASSIGN_OR_RETURN(auto conf, MakeKafkaConf(kafka, {{"log_level", "3"}}));
  rd_kafka_conf_t* c = rd_kafka_conf_dup(conf->c_ptr_global());
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(c);
    return Err(Status::InvalidArgument(std::string("creating Kafka admin client: ") + err));
  }
  return Handle(rk);
}

AdminOptions MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms) {
  AdminOptions o(rd_kafka_AdminOptions_new(rk, op));
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(o.get(), timeout_ms, err, sizeof(err));
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS) {
    rd_kafka_AdminOptions_set_operation_timeout(o.get(), timeout_ms, err, sizeof(err));
  }
  return o;
}

// Waits for the result event of one admin call; kUnavailable when none comes in time.
Result<Event> WaitResult(rd_kafka_queue_t* q, int timeout_ms, const KafkaOptions& kafka,
                         std::string_view what) {
  Event ev(rd_kafka_queue_poll(q, timeout_ms + 5000));
  if (!ev) {
    return Err(Status::Unavailable(std::string(what) + ": no answer from " + kafka.brokers +
                                   " in " + std::to_string(timeout_ms / 1000) + " s"));
  }
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Status s = FromKafka(static_cast<RdKafka::ErrorCode>(rd_kafka_event_error(ev.get())),
                         std::string(what) + " on " + kafka.brokers);
    return Err(Status(s.code() == Status::Code::kInternal ? Status::Unavailable(s.message()) : s));
  }
  return ev;
}

}  // namespace

Result<std::vector<TopicCreation>> CreateTopics(const KafkaOptions& kafka,
                                                const std::vector<TopicSpec>& specs,
                                                int timeout_ms) {
  EODCLEAR_ASSIGN_OR_RETURN(Handle rk, MakeHandle(kafka));
  std::vector<rd_kafka_NewTopic_t*> topics;
  auto free_topics = [&] {
    for (rd_kafka_NewTopic_t* t : topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const TopicSpec& spec : specs) {
    char err[512];
    rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                                   spec.replication_factor, err, sizeof(err));
    if (t == nullptr) {
      free_topics();
      return Err(Status::InvalidArgument("topic " + spec.name + ": " + err));
    }
    topics.push_back(t);
    for (const auto& [name, value] : spec.configs) {
      rd_kafka_NewTopic_set_config(t, name.c_str(), value.c_str());
    }
  }
  Queue q(rd_kafka_queue_new(rk.get()));
  AdminOptions o = MakeOptions(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
  rd_kafka_CreateTopics(rk.get(), topics.data(), topics.size(), o.get(), q.get());
  free_topics();
  EODCLEAR_ASSIGN_OR_RETURN(Event ev, WaitResult(q.get(), timeout_ms, kafka, "creating topics"));
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  std::vector<TopicCreation> out;
  for (size_t i = 0; i < n; ++i) {
    const char* name = rd_kafka_topic_result_name(results[i]);
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      out.push_back(TopicCreation{name, err == RD_KAFKA_RESP_ERR_NO_ERROR});
      continue;
    }
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    std::string msg = std::string("creating topic ") + name + ": " + rd_kafka_err2name(err) +
                      (detail != nullptr ? std::string(" (") + detail + ")" : "");
    Status s = FromKafka(static_cast<RdKafka::ErrorCode>(err), msg);
    if (s.code() == Status::Code::kUnavailable) return Err(s);
    return Err(Status::InvalidArgument(msg));  // the cluster refuses these settings
  }
  return out;
}

Result<std::vector<TopicMismatch>> CheckTopics(const KafkaOptions& kafka,
                                               const std::vector<TopicSpec>& specs,
                                               int timeout_ms) {
  EODCLEAR_ASSIGN_OR_RETURN(Handle rk, MakeHandle(kafka));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 1, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Status s = FromKafka(static_cast<RdKafka::ErrorCode>(err),
                         "reading the metadata of " + kafka.brokers);
    return Err(Status::Unavailable(s.message()));
  }
  std::map<std::string, const rd_kafka_metadata_topic_t*> present;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      present[md->topics[i].topic] = &md->topics[i];
    }
  }
  std::vector<TopicMismatch> out;
  std::vector<const TopicSpec*> existing;
  for (const TopicSpec& spec : specs) {
    auto it = present.find(spec.name);
    if (it == present.end()) {
      out.push_back({spec.name, "topic", "present", "missing"});
      continue;
    }
    existing.push_back(&spec);
    const rd_kafka_metadata_topic_t* t = it->second;
    if (t->partition_cnt != spec.partitions) {
      out.push_back({spec.name, "partitions", std::to_string(spec.partitions),
                     std::to_string(t->partition_cnt)});
    }
    for (int p = 0; p < t->partition_cnt; ++p) {
      if (t->partitions[p].replica_cnt != spec.replication_factor) {
        out.push_back({spec.name,
                       "replication factor of partition " + std::to_string(t->partitions[p].id),
                       std::to_string(spec.replication_factor),
                       std::to_string(t->partitions[p].replica_cnt)});
      }
    }
  }
  rd_kafka_metadata_destroy(md);
  if (existing.empty()) return out;

  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const TopicSpec* spec : existing) {
    resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, spec->name.c_str()));
  }
  Queue q(rd_kafka_queue_new(rk.get()));
  AdminOptions o = MakeOptions(rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
  rd_kafka_DescribeConfigs(rk.get(), resources.data(), resources.size(), o.get(), q.get());
  for (rd_kafka_ConfigResource_t* r : resources) rd_kafka_ConfigResource_destroy(r);
  EODCLEAR_ASSIGN_OR_RETURN(Event ev,
                            WaitResult(q.get(), timeout_ms, kafka, "describing topic configs"));
  const rd_kafka_DescribeConfigs_result_t* res = rd_kafka_event_DescribeConfigs_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConfigResource_t** described = rd_kafka_DescribeConfigs_result_resources(res, &n);
  std::map<std::string, std::map<std::string, std::string>> found;
  for (size_t i = 0; i < n; ++i) {
    std::string name = rd_kafka_ConfigResource_name(described[i]);
    if (rd_kafka_ConfigResource_error(described[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* e = rd_kafka_ConfigResource_error_string(described[i]);
      return Err(Status::Unavailable("describing the configs of " + name + ": " +
                                     (e != nullptr ? e : "error")));
    }
    size_t cnt = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(described[i], &cnt);
    for (size_t j = 0; j < cnt; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      found[name][rd_kafka_ConfigEntry_name(entries[j])] = value != nullptr ? value : "";
    }
  }
  for (const TopicSpec* spec : existing) {
    const auto& have = found[spec->name];
    for (const auto& [key, want] : spec->configs) {
      auto it = have.find(key);
      std::string value = it == have.end() ? "(not set)" : it->second;
      if (value != want) out.push_back({spec->name, key, want, value});
    }
  }
  return out;
}

}  // namespace eodclear
