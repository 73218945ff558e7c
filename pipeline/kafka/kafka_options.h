#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "pipeline/core/status.h"

namespace eodclear {

// How eodclear reaches Kafka. Loaded from the command line and the config file in one place.
struct KafkaOptions {
  // bootstrap.servers, "host:port[,host:port...]".
  std::string brokers;
  // Further librdkafka properties passed through verbatim (security.protocol, sasl.*, ssl.*,
  // timeouts...). They override eodclear's defaults; a property librdkafka rejects fails the run.
  std::map<std::string, std::string> properties;
};

// Builds a librdkafka global configuration: `defaults` first, then options.properties, then
// bootstrap.servers. A rejected property fails with kInvalidArgument naming it (never its value,
// which may be a secret).
Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const KafkaOptions& options, const std::map<std::string, std::string>& defaults);

// Converts a librdkafka error code to Status: transport, timeout and leader errors are kUnavailable
// (the run may be retried); a fenced producer is kFenced; everything else is kInternal. `what`
// says what was being done.
Status FromKafka(RdKafka::ErrorCode code, std::string_view what);

// True for the errors of a producer fenced by a newer one with the same transactional.id (on
// Kafka, InitTransactions of the newer producer bumps the epoch and aborts the older one's open
// transaction).
bool IsFencedError(RdKafka::ErrorCode code);

// Appended to the message of a fenced status: what it means for the operator.
inline constexpr char kFencedAdvice[] =
    " (fenced: another eodclear run with the same --transactional-id started publishing, and "
    "Kafka aborted this run's transaction; that run publishes the date, this one stops)";

}  // namespace eodclear
