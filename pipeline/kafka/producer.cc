#include "pipeline/kafka/producer.h"

#include <iostream>
#include <thread>

namespace eodclear {

void Producer::DeliveryReports::dr_cb(RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    owner_->delivered_.fetch_add(1);
    return;
  }
  owner_->failed_.fetch_add(1);
  std::lock_guard<std::mutex> lock(owner_->first_failure_mu_);
  if (owner_->first_failure_.empty()) {
    owner_->first_failure_ =
        message.topic_name() + "[" + std::to_string(message.partition()) + "]: " + message.errstr();
    owner_->first_failure_code_ = message.err();
  }
}

void Producer::Events::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_LOG: {
      std::cerr << "%" << static_cast<int>(event.severity()) << "|" << event.fac() << "| "
                << event.str() << "\n";
      if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
        std::lock_guard<std::mutex> lock(owner_->first_failure_mu_);
        if (owner_->first_error_log_.empty()) owner_->first_error_log_ = event.str();
      }
      break;
    }
    case RdKafka::Event::EVENT_ERROR: {
      std::lock_guard<std::mutex> lock(owner_->first_failure_mu_);
      if (owner_->first_error_event_ == RdKafka::ERR_NO_ERROR) {
        owner_->first_error_event_ = event.err();
        owner_->first_error_event_text_ = RdKafka::err2str(event.err()) + ": " + event.str();
      }
      break;
    }
    default:
      break;
  }
}

namespace {

// Errors a retry cannot cure: the principal lacks a permission, or its credentials are refused.
constexpr RdKafka::ErrorCode kAuthorizationErrors[] = {
    RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED,   RdKafka::ERR_GROUP_AUTHORIZATION_FAILED,
    RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED, RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    RdKafka::ERR_SASL_AUTHENTICATION_FAILED,   RdKafka::ERR__AUTHENTICATION,
};

bool IsAuthorizationError(RdKafka::ErrorCode code) {
  for (RdKafka::ErrorCode c : kAuthorizationErrors) {
    if (code == c) return true;
  }
  return false;
}

// A transaction failed by the broker is reported only in librdkafka's log line, which quotes the
// error's description (RdKafka::err2str): found there, the error is known.
bool LogNamesAuthorizationError(const std::string& log) {
  for (RdKafka::ErrorCode c : kAuthorizationErrors) {
    if (log.find(RdKafka::err2str(c)) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Status Producer::FlushFailure(std::string what) {
  std::lock_guard<std::mutex> lock(first_failure_mu_);
  if (!first_error_event_text_.empty()) what += "; Kafka reported " + first_error_event_text_;
  if (!first_error_log_.empty()) what += "; Kafka logged: " + first_error_log_;
  if (IsAuthorizationError(first_failure_code_) || IsAuthorizationError(first_error_event_) ||
      LogNamesAuthorizationError(first_error_log_)) {
    return Status::InvalidArgument(what + " (not permitted: check the principal's ACLs)");
  }
  if (IsFencedError(first_failure_code_) || IsFencedError(first_error_event_)) {
    return Status::Fenced(what + kFencedAdvice);
  }
  return Status::Unavailable(what);
}

Result<std::unique_ptr<Producer>> Producer::Create(const Options& options) {
  std::map<std::string, std::string> defaults = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"compression.type", "none"},
      {"log_level", "3"},
  };
  if (options.transactional_id) {
    defaults["transactional.id"] = *options.transactional_id;
    defaults["transaction.timeout.ms"] = "120000";
  }
  EODCLEAR_ASSIGN_OR_RETURN(auto conf, MakeKafkaConf(options.kafka, defaults));
  std::unique_ptr<Producer> p(new Producer());
  p->options_ = options;
  std::string err;
  if (conf->set("dr_cb", &p->reports_, err) != RdKafka::Conf::CONF_OK) {
    return Err(Status::Internal("setting the delivery report callback: " + err));
  }
  if (conf->set("event_cb", &p->events_, err) != RdKafka::Conf::CONF_OK) {
    return Err(Status::Internal("setting the event callback: " + err));
  }
  p->producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!p->producer_) return Err(Status::InvalidArgument("creating Kafka producer: " + err));
  return p;
}

Producer::~Producer() {
  if (producer_) producer_->flush(options_.timeout_ms);
}

Status Producer::Produce(std::string_view topic, std::string_view key, std::string_view value) {
  // An empty value is an empty record, never a tombstone.
  return ProduceValue(topic, key, value.data() == nullptr ? "" : value.data(), value.size());
}

Status Producer::ProduceTombstone(std::string_view topic, std::string_view key) {
  return ProduceValue(topic, key, nullptr, 0);
}

Status Producer::ProduceValue(std::string_view topic, std::string_view key, const char* value,
                              size_t size) {
  // RK_MSG_COPY: librdkafka copies the value; a null value (no flag needed) is a tombstone.
  const int flags = value == nullptr ? 0 : RdKafka::Producer::RK_MSG_COPY;
  while (true) {
    RdKafka::ErrorCode code =
        producer_->produce(std::string(topic), RdKafka::Topic::PARTITION_UA, flags,
                           const_cast<char*>(value), size, key.data(), key.size(), 0, nullptr);
    if (code == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);
      continue;
    }
    producer_->poll(0);
    return FromKafka(code, "producing to " + std::string(topic));
  }
}

Status Producer::Flush() {
  RdKafka::ErrorCode code = producer_->flush(options_.timeout_ms);
  if (code == RdKafka::ERR__TIMED_OUT || producer_->outq_len() > 0) {
    return FlushFailure("producer flush timed out with " + std::to_string(producer_->outq_len()) +
                        " messages undelivered");
  }
  EODCLEAR_RETURN_IF_ERROR(FromKafka(code, "flushing producer"));
  if (failed_.load() > 0) {
    std::string first;
    {
      std::lock_guard<std::mutex> lock(first_failure_mu_);
      first = first_failure_;
    }
    return FlushFailure(std::to_string(failed_.load()) +
                        " messages were not delivered; first: " + first);
  }
  return Status::Ok();
}

Status Producer::FromTxnError(RdKafka::Error* error, std::string_view what) {
  if (error == nullptr) return Status::Ok();
  std::unique_ptr<RdKafka::Error> owned(error);
  std::string msg = std::string(what) + ": " + error->str();
  if (IsFencedError(error->code())) return Status::Fenced(msg + kFencedAdvice);
  if (error->is_fatal()) return Status::Internal(msg + " (fatal)");
  return Status::Unavailable(msg);
}

Status Producer::InitTransactions() {
  return FromTxnError(producer_->init_transactions(options_.timeout_ms),
                      "initialising transactions");
}
Status Producer::BeginTransaction() {
  return FromTxnError(producer_->begin_transaction(), "beginning transaction");
}
Status Producer::CommitTransaction() {
  // librdkafka: a commit that fails with a retriable error (its outcome unknown, e.g. a timeout)
  // may be retried; one that requires an abort may not.
  for (int attempt = 1;; ++attempt) {
    RdKafka::Error* error = producer_->commit_transaction(options_.timeout_ms);
    if (error == nullptr) return Status::Ok();
    if (attempt < 3 && error->is_retriable() && !error->txn_requires_abort() &&
        !error->is_fatal()) {
      delete error;
      continue;
    }
    return FromTxnError(error, "committing transaction");
  }
}
Status Producer::AbortTransaction() {
  return FromTxnError(producer_->abort_transaction(options_.timeout_ms), "aborting transaction");
}

}  // namespace eodclear
