#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/core/status.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace eodclear {

struct DevBrokerOptions {
  // Address clients bootstrap from. Port 0 picks a free port.
  std::string host = "127.0.0.1";
  int port = 0;
  // Partitions of each topic created up front (every topic eodclear uses, plus `extra_topics`).
  int partitions = 3;
  std::vector<std::string> extra_topics;
  // Brokers in the cluster, ids 1..cluster_size; each topic's partition leaders are spread over
  // them. Clients bootstrap from the first and learn the others from metadata.
  int cluster_size = 1;
};

// A development Kafka-protocol broker on loopback: librdkafka's mock cluster (one broker unless
// asked for more), in memory, in this process. Any Kafka client can produce and consume through it,
// with consumer groups and the transactional API. It is not Kafka: nothing is persisted, each
// partition keeps at most about 5 MiB (older messages are dropped and the low watermark moves), and
// read_committed does not hide aborted transactions (see README, "The development broker").
// Production points
// --brokers at a real Kafka cluster instead.
//
// When a fixed port is asked for, a small forwarder listens there and passes bootstrap connections
// on to the first mock broker; the brokers' own (advertised) addresses are on other loopback
// ports, which clients learn from metadata and connect to directly. Without a fixed port,
// bootstrap_servers() lists every broker's own address.
class DevBroker {
 public:
  static Result<std::unique_ptr<DevBroker>> Start(const DevBrokerOptions& options);
  DevBroker(const DevBroker&) = delete;
  DevBroker& operator=(const DevBroker&) = delete;
  ~DevBroker();

  // "host:port[,host:port...]" clients bootstrap from.
  const std::string& bootstrap_servers() const { return bootstrap_; }
  // The mock cluster, for tests that inject faults (rdkafka_mock.h).
  rd_kafka_mock_cluster_s* cluster() const { return cluster_; }

 private:
  DevBroker() = default;
  void ForwardLoop();

  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
  std::string mock_host_;
  int mock_port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread forwarder_;
};

}  // namespace eodclear
