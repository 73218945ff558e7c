#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipeline/core/status.h"

struct rd_kafka_mock_cluster_s;

namespace eodclear {

// Fault commands for the development broker (`eodclear broker --control`), one per line, so a test
// can make the broker misbehave while clients run against it. The commands:
//
//   request-errors API ERROR [ERROR...]   the next requests of API (to any broker) fail with these
//                                          errors, in order, one error per request
//   clear-errors API                       forget the errors still pending for API
//   broker-down ID / broker-up ID          take a broker off the network (connections closed,
//                                          new ones refused) or bring it back
//   rtt ID MS                              delay every response of a broker by MS milliseconds
//   leader TOPIC PARTITION ID              move a partition's leadership to a broker
//   coordinator transaction|group KEY ID   make a broker the coordinator of a transactional.id or
//                                          consumer group
//   help                                   list the commands
//
// API is a Kafka protocol request name (Produce, Fetch, Metadata, FindCoordinator, InitProducerId,
// AddPartitionsToTxn, EndTxn, ...; any case) or its ApiKey number. ERROR is an error name as
// librdkafka spells it without the RD_KAFKA_RESP_ERR_ prefix (NOT_LEADER_FOR_PARTITION,
// COORDINATOR_NOT_AVAILABLE, PRODUCER_FENCED, ...; any case) or its number. Broker ids are 1..N.

// The words of a command line, split on spaces and tabs.
std::vector<std::string_view> SplitCommandWords(std::string_view line);

// The Kafka protocol ApiKey of a request name ("Produce" -> 0, "EndTxn" -> 26; case-insensitive)
// or of a number 0..32767.
Result<int16_t> ParseApiKey(std::string_view text);

// The request name of an ApiKey ("Produce"), or its number as text when it has no name here.
std::string ApiKeyName(int16_t api_key);

// A librdkafka error code (rd_kafka_resp_err_t) by name, with or without the RD_KAFKA_RESP_ERR_
// prefix ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT"; case-insensitive), or by number. Only codes
// librdkafka knows are accepted.
Result<int> ParseErrorCode(std::string_view text);

// A whole number in [min, max]; `what` names it in the error.
Result<int64_t> ParseBoundedInt(std::string_view text, int64_t min, int64_t max,
                                std::string_view what);

// The one-line list of commands `help` answers.
std::string BrokerControlHelp();

// Parses and applies one command line to `cluster`. On success `reply` says what was done (one
// line, no newline); on failure the status says what was wrong with the line, and nothing was
// changed. Blank lines and lines starting with '#' do nothing and succeed.
Status ApplyBrokerCommand(rd_kafka_mock_cluster_s* cluster, std::string_view line,
                          std::string* reply);

// Reads commands from a file descriptor (a line each) on its own thread until end of file, and
// answers each line on `replies` with one line, flushed: "ok[ <what was done>]" or
// "error <reason>". Each command and its answer are also logged to `log`. Stops reading when
// destroyed; destroy it before the cluster.
class BrokerControlChannel {
 public:
  static std::unique_ptr<BrokerControlChannel> Start(rd_kafka_mock_cluster_s* cluster, int fd,
                                                     std::ostream& replies, std::ostream& log);
  BrokerControlChannel(const BrokerControlChannel&) = delete;
  BrokerControlChannel& operator=(const BrokerControlChannel&) = delete;
  ~BrokerControlChannel();

  // Waits until the input ends and every line read has been answered.
  void WaitForEnd();

 private:
  BrokerControlChannel(rd_kafka_mock_cluster_s* cluster, int fd, std::ostream& replies,
                       std::ostream& log)
      : cluster_(cluster), fd_(fd), replies_(replies), log_(log) {}
  void ReadLoop();
  void Answer(std::string_view line);

  rd_kafka_mock_cluster_s* cluster_;
  int fd_;
  std::ostream& replies_;
  std::ostream& log_;
  std::atomic<bool> stopping_{false};
  std::thread reader_;
};

}  // namespace eodclear
