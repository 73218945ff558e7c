#include "pipeline/kafka/dev_broker.h"

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pipeline/kafka/topics.h"

namespace eodclear {
namespace {

// Copies bytes both ways between two sockets until either side closes.
void Pump(int a, int b) {
  char buf[64 * 1024];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, 500) < 0 && errno != EINTR) break;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          closed = true;
          break;
        }
        ssize_t off = 0;
        while (off < n) {
          ssize_t w = write(fds[1 - i].fd, buf + off, static_cast<size_t>(n - off));
          if (w <= 0) {
            closed = true;
            break;
          }
          off += w;
        }
      }
    }
    if (closed) break;
  }
  close(a);
  close(b);
}

}  // namespace

Result<std::unique_ptr<DevBroker>> DevBroker::Start(const DevBrokerOptions& options) {
  if (options.partitions < 1 || options.partitions > 1000) {
    return Err(Status::InvalidArgument("--partitions must be 1..1000, got " +
                                       std::to_string(options.partitions)));
  }
  if (options.cluster_size < 1 || options.cluster_size > 9) {
    return Err(Status::InvalidArgument("--cluster-size must be 1..9, got " +
                                       std::to_string(options.cluster_size)));
  }
  if (options.port < 0 || options.port > 65535) {
    return Err(
        Status::InvalidArgument("port must be 0..65535, got " + std::to_string(options.port)));
  }
  std::unique_ptr<DevBroker> broker(new DevBroker());
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  broker->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (broker->rk_ == nullptr) {
    return Err(Status::Internal(std::string("creating the mock cluster's handle: ") + errstr));
  }
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->rk_, options.cluster_size);
  if (broker->cluster_ == nullptr) return Err(Status::Internal("creating the mock cluster failed"));

  std::vector<std::string> topic_names(std::begin(topics::kAll), std::end(topics::kAll));
  topic_names.insert(topic_names.end(), options.extra_topics.begin(), options.extra_topics.end());
  for (const auto& t : topic_names) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(broker->cluster_, t.c_str(), options.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Err(Status::Internal("creating topic " + t + ": " + rd_kafka_err2str(err)));
    }
  }

  // "host:port,host:port,...", one address per broker, broker 1 first.
  std::string mock = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  std::string first = mock.substr(0, mock.find(','));
  size_t colon = first.rfind(':');
  broker->mock_host_ = first.substr(0, colon);
  broker->mock_port_ = std::stoi(first.substr(colon + 1));
  if (options.port == 0 && (options.host == "127.0.0.1" || options.host == "localhost")) {
    broker->bootstrap_ = mock;
    return broker;
  }

  // A fixed port (or another loopback address): forward bootstrap connections to the mock broker.
  broker->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(broker->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Err(
        Status::InvalidArgument("listen address '" + options.host + "' is not an IPv4 address"));
  }
  if (bind(broker->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(broker->listen_fd_, 64) != 0) {
    return Err(Status::Unavailable("cannot listen on " + options.host + ":" +
                                   std::to_string(options.port) + ": " + std::strerror(errno)));
  }
  socklen_t len = sizeof addr;
  getsockname(broker->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  broker->bootstrap_ = host + ":" + std::to_string(ntohs(addr.sin_port));
  broker->forwarder_ = std::thread([b = broker.get()] { b->ForwardLoop(); });
  return broker;
}

void DevBroker::ForwardLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(mock_port_));
    inet_pton(AF_INET, mock_host_.c_str(), &addr.sin_addr);
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(upstream);
      continue;
    }
    std::thread(Pump, client, upstream).detach();
  }
}

DevBroker::~DevBroker() {
  stopping_ = true;
  if (forwarder_.joinable()) forwarder_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

}  // namespace eodclear
