#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/kafka/kafka_options.h"

struct rd_kafka_message_s;
struct rd_kafka_queue_s;
struct rd_kafka_topic_s;

namespace eodclear {

// The offsets a partition holds: [low, high). Messages below `low` were deleted by retention.
struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

// A partition to read from `start` up to, not including, `end` (the cut-off).
struct PartitionRange {
  std::string topic;
  int32_t partition = 0;
  int64_t start = 0;
  int64_t end = 0;
};

// One consumed message. Views into it are valid while the owning MessageBatch lives.
class ConsumedMessage {
 public:
  explicit ConsumedMessage(rd_kafka_message_s* m) : m_(m) {}
  std::string_view topic() const;
  int32_t partition() const;
  int64_t offset() const;
  std::string_view key() const;
  std::string_view value() const;
  // True for a tombstone: a key with a null value (a correction retracting a key).
  bool is_tombstone() const;

 private:
  rd_kafka_message_s* m_;
};

// Messages of one Poll, in partition order per partition. Owns and frees them.
class MessageBatch {
 public:
  MessageBatch() = default;
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;
  ~MessageBatch();
  void Clear();
  size_t size() const { return messages_.size(); }
  bool empty() const { return messages_.empty(); }
  const std::vector<ConsumedMessage>& messages() const { return messages_; }

 private:
  friend class BoundedConsumer;
  std::vector<rd_kafka_message_s*> raw_;
  std::vector<ConsumedMessage> messages_;
};

// Reads assigned partitions exactly over [start, end), in batches, and never past the cut-off:
// consumers stop at watermarks captured at start, never "until quiet". Offsets are those the
// caller stores with its state; the consumer group's committed offsets are written too (Commit),
// but only so lag can be monitored.
//
// Not thread-safe: one thread polls.
class BoundedConsumer {
 public:
  struct Options {
    KafkaOptions kafka;
    std::string group_id = "eodclear";
    // read_committed skips records of aborted transactions on a real cluster.
    bool read_committed = true;
    // Longest single wait inside Poll, in milliseconds.
    int poll_timeout_ms = 500;
    // Largest number of messages one Poll returns.
    size_t max_batch = 10000;
  };

  static Result<std::unique_ptr<BoundedConsumer>> Create(const Options& options);
  BoundedConsumer(const BoundedConsumer&) = delete;
  BoundedConsumer& operator=(const BoundedConsumer&) = delete;
  ~BoundedConsumer();

  // Partition ids of `topic`; kNotFound when the cluster does not know the topic.
  Result<std::vector<int32_t>> Partitions(const std::string& topic);
  Result<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition);
  // Every partition of `topic` from its low to its high watermark, taken now, as ranges for
  // Assign: the whole topic as it stands. kNotFound when the topic does not exist.
  Result<std::vector<PartitionRange>> WholeTopic(const std::string& topic);

  // Starts reading `ranges`. Ranges with start >= end are complete from the outset.
  Status Assign(std::vector<PartitionRange> ranges);

  // Fills `batch` with the next messages below their partition's cut-off (possibly none within
  // the timeout). Fails on a fatal consumer error or when a partition reports its offset out of
  // range (messages were deleted before they were read).
  Status Poll(MessageBatch* batch);

  // True when every assigned partition has been read up to its cut-off.
  bool Done() const { return remaining_ == 0; }

  // Next offset to read of each assigned partition, as reached so far.
  std::map<std::pair<std::string, int32_t>, int64_t> positions() const;
  // Grows whenever a partition's position moves; equal values mean no progress in between.
  uint64_t progress() const { return progress_; }

  // Commits positions() to the consumer group, asynchronously (monitoring only).
  void CommitAsync();

 private:
  BoundedConsumer() = default;
  // Where one assigned partition stands.
  struct Cursor {
    std::string topic;
    int32_t partition = 0;
    int64_t end = 0;   // the cut-off (exclusive)
    int64_t next = 0;  // next offset to read
    bool complete = false;
  };
  // The cursor of a message's partition, or nullptr when it is not assigned. Cached by the
  // librdkafka topic handle, so the hot path builds no strings.
  Cursor* Find(const rd_kafka_topic_s* rkt, int32_t partition);
  void MarkComplete(Cursor* cursor);
  void Advance(Cursor* cursor, int64_t next);

  Options options_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  rd_kafka_queue_s* queue_ = nullptr;
  std::vector<Cursor> cursors_;
  std::map<std::pair<const rd_kafka_topic_s*, int32_t>, Cursor*> by_handle_;
  size_t remaining_ = 0;
  uint64_t progress_ = 0;
};

}  // namespace eodclear
