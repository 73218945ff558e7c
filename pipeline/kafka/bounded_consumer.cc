#include "pipeline/kafka/bounded_consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <iostream>

namespace eodclear {

std::string_view ConsumedMessage::topic() const { return rd_kafka_topic_name(m_->rkt); }
int32_t ConsumedMessage::partition() const { return m_->partition; }
int64_t ConsumedMessage::offset() const { return m_->offset; }
std::string_view ConsumedMessage::key() const {
  return m_->key == nullptr ? std::string_view()
                            : std::string_view(static_cast<const char*>(m_->key), m_->key_len);
}
std::string_view ConsumedMessage::value() const {
  return m_->payload == nullptr ? std::string_view()
                                : std::string_view(static_cast<const char*>(m_->payload), m_->len);
}

bool ConsumedMessage::is_tombstone() const { return m_->payload == nullptr; }

MessageBatch::~MessageBatch() { Clear(); }

void MessageBatch::Clear() {
  for (auto* m : raw_) rd_kafka_message_destroy(m);
  raw_.clear();
  messages_.clear();
}

Result<std::unique_ptr<BoundedConsumer>> BoundedConsumer::Create(const Options& options) {
  std::map<std::string, std::string> defaults = {
      {"group.id", options.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Never jump silently when an offset is gone: the caller checks low watermarks and stops.
      {"auto.offset.reset", "error"},
      {"enable.partition.eof", "true"},
      {"isolation.level", options.read_committed ? "read_committed" : "read_uncommitted"},
      {"fetch.max.bytes", "67108864"},
      {"max.partition.fetch.bytes", "8388608"},
      // librdkafka compares queued.min.messages with the length of the consumer queue that every
      // partition forwards to, not with each partition's own; at its default a busy application
      // stalls all fetching and waits out a fetch backoff. Prefetch is bounded by bytes instead.
      {"queued.min.messages", "10000000"},
      {"queued.max.messages.kbytes", "262144"},
      {"fetch.wait.max.ms", "50"},
      {"log_level", "3"},
  };
  EODCLEAR_ASSIGN_OR_RETURN(auto conf, MakeKafkaConf(options.kafka, defaults));
  std::string err;
  std::unique_ptr<BoundedConsumer> c(new BoundedConsumer());
  c->options_ = options;
  c->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c->consumer_) return Err(Status::InvalidArgument("creating Kafka consumer: " + err));
  c->queue_ = rd_kafka_queue_get_consumer(c->consumer_->c_ptr());
  return c;
}

BoundedConsumer::~BoundedConsumer() {
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  if (consumer_) consumer_->close();
}

Result<std::vector<int32_t>> BoundedConsumer::Partitions(const std::string& topic) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer_.get(), topic, nullptr, err));
  if (!t) return Err(Status::InvalidArgument("topic " + topic + ": " + err));
  RdKafka::Metadata* raw = nullptr;
  EODCLEAR_RETURN_IF_ERROR(
      FromKafka(consumer_->metadata(false, t.get(), &raw, 10000), "metadata of topic " + topic));
  std::unique_ptr<RdKafka::Metadata> md(raw);
  for (const auto* tm : *md->topics()) {
    if (tm->topic() != topic) continue;
    if (tm->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
      return Err(Status::NotFound("topic " + topic + " does not exist"));
    }
    EODCLEAR_RETURN_IF_ERROR(FromKafka(tm->err(), "metadata of topic " + topic));
    std::vector<int32_t> ids;
    for (const auto* pm : *tm->partitions()) ids.push_back(pm->id());
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  return Err(Status::NotFound("topic " + topic + " does not exist"));
}

Result<std::vector<PartitionRange>> BoundedConsumer::WholeTopic(const std::string& topic) {
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<int32_t> partitions, Partitions(topic));
  std::vector<PartitionRange> ranges;
  ranges.reserve(partitions.size());
  for (int32_t p : partitions) {
    EODCLEAR_ASSIGN_OR_RETURN(Watermarks w, QueryWatermarks(topic, p));
    ranges.push_back(PartitionRange{topic, p, w.low, w.high});
  }
  return ranges;
}

Result<Watermarks> BoundedConsumer::QueryWatermarks(const std::string& topic, int32_t partition) {
  Watermarks w;
  EODCLEAR_RETURN_IF_ERROR(
      FromKafka(consumer_->query_watermark_offsets(topic, partition, &w.low, &w.high, 10000),
                "watermarks of " + topic + "[" + std::to_string(partition) + "]"));
  return w;
}

Status BoundedConsumer::Assign(std::vector<PartitionRange> ranges) {
  std::vector<RdKafka::TopicPartition*> tps;
  cursors_.clear();
  by_handle_.clear();
  cursors_.reserve(ranges.size());
  remaining_ = 0;
  for (const auto& r : ranges) {
    cursors_.push_back(Cursor{r.topic, r.partition, r.end, r.start, r.start >= r.end});
    if (r.start < r.end) {
      ++remaining_;
      tps.push_back(RdKafka::TopicPartition::create(r.topic, r.partition, r.start));
    }
  }
  RdKafka::ErrorCode code = consumer_->assign(tps);
  RdKafka::TopicPartition::destroy(tps);
  return FromKafka(code, "assigning partitions");
}

BoundedConsumer::Cursor* BoundedConsumer::Find(const rd_kafka_topic_s* rkt, int32_t partition) {
  if (rkt == nullptr) return nullptr;
  auto key = std::make_pair(rkt, partition);
  auto it = by_handle_.find(key);
  if (it != by_handle_.end()) return it->second;
  std::string_view topic = rd_kafka_topic_name(rkt);
  Cursor* found = nullptr;
  for (Cursor& c : cursors_) {
    if (c.partition == partition && c.topic == topic) found = &c;
  }
  by_handle_.emplace(key, found);
  return found;
}

void BoundedConsumer::Advance(Cursor* cursor, int64_t next) {
  if (next <= cursor->next) return;
  cursor->next = next;
  ++progress_;
}

void BoundedConsumer::MarkComplete(Cursor* cursor) {
  if (cursor->complete) return;
  cursor->complete = true;
  --remaining_;
  ++progress_;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, cursor->topic.c_str(), cursor->partition);
  rd_kafka_pause_partitions(consumer_->c_ptr(), list);
  rd_kafka_topic_partition_list_destroy(list);
}

std::map<std::pair<std::string, int32_t>, int64_t> BoundedConsumer::positions() const {
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (const Cursor& c : cursors_) out[{c.topic, c.partition}] = c.next;
  return out;
}

Status BoundedConsumer::Poll(MessageBatch* batch) {
  batch->Clear();
  if (Done()) return Status::Ok();
  std::vector<rd_kafka_message_t*> raw(options_.max_batch);
  // Take what is ready without waiting; only when nothing is, wait for the first message (a batch
  // call with a timeout would wait for the whole batch to fill, stalling at the end of the log).
  ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, raw.data(), raw.size());
  if (n == 0) {
    n = rd_kafka_consume_batch_queue(queue_, options_.poll_timeout_ms, raw.data(), 1);
    if (n == 1) {
      ssize_t more = rd_kafka_consume_batch_queue(queue_, 0, raw.data() + 1, raw.size() - 1);
      if (more > 0) n += more;
    }
  }
  if (n < 0) return FromKafka(static_cast<RdKafka::ErrorCode>(rd_kafka_last_error()), "consuming");
  Status failure;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = raw[static_cast<size_t>(i)];
    Cursor* c = Find(m->rkt, m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (c != nullptr) {
        // The end of the log: everything below `m->offset` was read (control records included).
        Advance(c, std::min(m->offset, c->end));
        if (m->offset >= c->end) MarkComplete(c);
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string where = m->rkt == nullptr ? "consumer"
                                            : std::string(rd_kafka_topic_name(m->rkt)) + "[" +
                                                  std::to_string(m->partition) + "]";
      if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
          m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        if (failure.ok()) {
          failure = Status::DataError(
              where + ": offset " + (c != nullptr ? std::to_string(c->next) : "?") +
              " is no longer on the broker (deleted by retention before it was consumed): " +
              rd_kafka_message_errstr(m));
        }
      } else if (rd_kafka_fatal_error(consumer_->c_ptr(), nullptr, 0) !=
                 RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (failure.ok()) {
          failure =
              FromKafka(static_cast<RdKafka::ErrorCode>(m->err), where + ": fatal consumer error");
        }
      } else {
        std::cerr << "eodclear: " << where << ": " << rd_kafka_message_errstr(m) << " (retrying)\n";
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (c == nullptr || c->complete || m->offset < c->next) {
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->offset >= c->end) {
      MarkComplete(c);
      rd_kafka_message_destroy(m);
      continue;
    }
    Advance(c, m->offset + 1);
    if (c->next >= c->end) MarkComplete(c);
    batch->raw_.push_back(m);
    batch->messages_.emplace_back(m);
  }
  return failure;
}

void BoundedConsumer::CommitAsync() {
  std::vector<RdKafka::TopicPartition*> tps;
  for (const Cursor& c : cursors_) {
    tps.push_back(RdKafka::TopicPartition::create(c.topic, c.partition, c.next));
  }
  if (!tps.empty()) consumer_->commitAsync(tps);
  RdKafka::TopicPartition::destroy(tps);
}
}  // namespace eodclear
