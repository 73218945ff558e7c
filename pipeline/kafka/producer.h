#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"
#include "pipeline/kafka/kafka_options.h"

namespace eodclear {

// A Kafka producer that knows when it is done: a message counts only once its delivery report
// came back without error, and Flush() fails unless every produced message was delivered.
// Idempotent always (acks=all); transactional when given a transactional id.
//
// Not thread-safe: one thread produces.
class Producer {
 public:
  struct Options {
    KafkaOptions kafka;
    // Set for a transactional producer; one id per logical publisher, stable across restarts,
    // so a restarted run fences (on Kafka) the transaction its crashed predecessor left open.
    std::optional<std::string> transactional_id;
    // How long a transactional call or a flush may take, in milliseconds.
    int timeout_ms = 60000;
  };

  static Result<std::unique_ptr<Producer>> Create(const Options& options);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  ~Producer();

  // Queues one message (key and value are copied). Waits while the local queue is full.
  Status Produce(std::string_view topic, std::string_view key, std::string_view value);

  // Queues a tombstone: `key` with a null value (a compacted topic then drops the key).
  Status ProduceTombstone(std::string_view topic, std::string_view key);

  // Waits until every queued message has its delivery report; fails if any delivery failed.
  Status Flush();

  // Messages delivered successfully so far.
  int64_t delivered() const { return delivered_.load(); }

  // Transactions (transactional producers only). A failed transactional call returns kUnavailable
  // when retrying the whole run may succeed, kInternal when the producer is fatally fenced.
  Status InitTransactions();
  Status BeginTransaction();
  Status CommitTransaction();
  Status AbortTransaction();

 private:
  class DeliveryReports : public RdKafka::DeliveryReportCb {
   public:
    explicit DeliveryReports(Producer* owner) : owner_(owner) {}
    void dr_cb(RdKafka::Message& message) override;

   private:
    Producer* owner_;
  };

  // librdkafka's log lines and error events: logs are printed to stderr as librdkafka would, and
  // the first error of each kind is kept to name the cause of a failed flush (a transaction that
  // failed purges its messages, whose delivery reports then only say "purged").
  class Events : public RdKafka::EventCb {
   public:
    explicit Events(Producer* owner) : owner_(owner) {}
    void event_cb(RdKafka::Event& event) override;

   private:
    Producer* owner_;
  };

  Producer() : reports_(this), events_(this) {}
  // Queues `value` (copied), or a null value when `value` is null.
  Status ProduceValue(std::string_view topic, std::string_view key, const char* value, size_t size);
  // The failure of a flush: `what`, with the cause librdkafka reported, classified.
  Status FlushFailure(std::string what);
  Status FromTxnError(RdKafka::Error* error, std::string_view what);

  Options options_;
  DeliveryReports reports_;
  Events events_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex first_failure_mu_;
  std::string first_failure_;
  RdKafka::ErrorCode first_failure_code_ = RdKafka::ERR_NO_ERROR;
  std::string first_error_log_;                                   // guarded by first_failure_mu_
  RdKafka::ErrorCode first_error_event_ = RdKafka::ERR_NO_ERROR;  // guarded by first_failure_mu_
  std::string first_error_event_text_;                            // guarded by first_failure_mu_
};

}  // namespace eodclear
