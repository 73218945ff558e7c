#include "pipeline/kafka/broker_control.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>

namespace eodclear {
namespace {

// Kafka protocol request types by ApiKey (the protocol's own numbering).
struct ApiKeyEntry {
  int16_t key;
  std::string_view name;
};
constexpr ApiKeyEntry kApiKeys[] = {
    {0, "Produce"},
    {1, "Fetch"},
    {2, "ListOffsets"},
    {3, "Metadata"},
    {8, "OffsetCommit"},
    {9, "OffsetFetch"},
    {10, "FindCoordinator"},
    {11, "JoinGroup"},
    {12, "Heartbeat"},
    {13, "LeaveGroup"},
    {14, "SyncGroup"},
    {15, "DescribeGroups"},
    {16, "ListGroups"},
    {17, "SaslHandshake"},
    {18, "ApiVersions"},
    {19, "CreateTopics"},
    {20, "DeleteTopics"},
    {21, "DeleteRecords"},
    {22, "InitProducerId"},
    {23, "OffsetForLeaderEpoch"},
    {24, "AddPartitionsToTxn"},
    {25, "AddOffsetsToTxn"},
    {26, "EndTxn"},
    {28, "TxnOffsetCommit"},
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Upper-case error name (without prefix) -> code, and the codes librdkafka knows; built once
// from librdkafka's own table.
struct ErrorTable {
  std::map<std::string, int> by_name;
  std::map<int, std::string> by_code;
};

const ErrorTable& Errors() {
  static const ErrorTable* table = [] {
    auto* t = new ErrorTable();
    const rd_kafka_err_desc* descs = nullptr;
    size_t count = 0;
    rd_kafka_get_err_descs(&descs, &count);
    for (size_t i = 0; i < count; ++i) {
      if (descs[i].name == nullptr || descs[i].name[0] == '\0') continue;
      t->by_name.emplace(Upper(descs[i].name), static_cast<int>(descs[i].code));
      t->by_code.emplace(static_cast<int>(descs[i].code), descs[i].name);
    }
    return t;
  }();
  return *table;
}

bool IsNumber(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The number of brokers in the cluster: its bootstrap list has one address per broker.
int BrokerCount(rd_kafka_mock_cluster_t* cluster) {
  std::string_view list = rd_kafka_mock_cluster_bootstraps(cluster);
  if (list.empty()) return 0;
  return static_cast<int>(std::count(list.begin(), list.end(), ',')) + 1;
}

Result<int32_t> ParseBrokerId(rd_kafka_mock_cluster_t* cluster, std::string_view text) {
  const int brokers = BrokerCount(cluster);
  auto id = ParseBoundedInt(text, 1, brokers, "broker id");
  if (!id) return Err(id.error());
  return static_cast<int32_t>(*id);
}

Status FromMock(rd_kafka_resp_err_t err, std::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + ": " + rd_kafka_err2str(err));
}

Status Usage(std::string_view usage) {
  return Status::InvalidArgument("usage: " + std::string(usage));
}

}  // namespace

std::vector<std::string_view> SplitCommandWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

Result<int64_t> ParseBoundedInt(std::string_view text, int64_t min, int64_t max,
                                std::string_view what) {
  int64_t value = 0;
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return Err(Status::InvalidArgument(std::string(what) + " '" + std::string(text) +
                                       "' is not a whole number"));
  }
  if (value < min || value > max) {
    return Err(Status::InvalidArgument(std::string(what) + " " + std::string(text) +
                                       " is out of range " + std::to_string(min) + ".." +
                                       std::to_string(max)));
  }
  return value;
}

Result<int16_t> ParseApiKey(std::string_view text) {
  if (IsNumber(text)) {
    auto key = ParseBoundedInt(text, 0, 32767, "API key");
    if (!key) return Err(key.error());
    return static_cast<int16_t>(*key);
  }
  const std::string wanted = Upper(text);
  for (const ApiKeyEntry& e : kApiKeys) {
    if (Upper(e.name) == wanted) return e.key;
  }
  std::string known;
  for (const ApiKeyEntry& e : kApiKeys) {
    if (!known.empty()) known += ", ";
    known += e.name;
  }
  return Err(Status::InvalidArgument("unknown API '" + std::string(text) +
                                     "' (a number, or one of " + known + ")"));
}

std::string ApiKeyName(int16_t api_key) {
  for (const ApiKeyEntry& e : kApiKeys) {
    if (e.key == api_key) return std::string(e.name);
  }
  return std::to_string(api_key);
}

Result<int> ParseErrorCode(std::string_view text) {
  const ErrorTable& table = Errors();
  if (IsNumber(text)) {
    auto code = ParseBoundedInt(text, -32768, 32767, "error code");
    if (!code) return Err(code.error());
    if (!table.by_code.contains(static_cast<int>(*code))) {
      return Err(Status::InvalidArgument("unknown error code " + std::string(text)));
    }
    return static_cast<int>(*code);
  }
  std::string name = Upper(text);
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  auto it = table.by_name.find(name);
  if (it == table.by_name.end()) {
    return Err(Status::InvalidArgument(
        "unknown error '" + std::string(text) +
        "' (librdkafka's name without RD_KAFKA_RESP_ERR_, e.g. NOT_LEADER_FOR_PARTITION, or a "
        "number)"));
  }
  return it->second;
}

std::string BrokerControlHelp() {
  return "commands: request-errors API ERROR [ERROR...]; clear-errors API; broker-down ID; "
         "broker-up ID; rtt ID MS; leader TOPIC PARTITION ID; coordinator transaction|group KEY "
         "ID; help (API: a request name such as Produce, FindCoordinator, InitProducerId, "
         "AddPartitionsToTxn, EndTxn, or its ApiKey; ERROR: librdkafka's error name without "
         "RD_KAFKA_RESP_ERR_, or its number; ID: a broker, 1..N)";
}

Status ApplyBrokerCommand(rd_kafka_mock_cluster_t* cluster, std::string_view line,
                          std::string* reply) {
  reply->clear();
  line = Trim(line);
  if (line.empty() || line.front() == '#') return Status::Ok();
  std::vector<std::string_view> w = SplitCommandWords(line);
  const std::string command = Upper(w[0]);
  const size_t args = w.size() - 1;

  if (command == "HELP") {
    *reply = BrokerControlHelp();
    return Status::Ok();
  }

  if (command == "REQUEST-ERRORS") {
    if (args < 2) return Usage("request-errors API ERROR [ERROR...]");
    auto api = ParseApiKey(w[1]);
    if (!api) return api.error();
    std::vector<rd_kafka_resp_err_t> errors;
    std::string names;
    for (size_t i = 2; i < w.size(); ++i) {
      auto code = ParseErrorCode(w[i]);
      if (!code) return code.error();
      errors.push_back(static_cast<rd_kafka_resp_err_t>(*code));
      names += " ";
      names += rd_kafka_err2name(errors.back());
    }
    rd_kafka_mock_push_request_errors_array(cluster, *api, errors.size(), errors.data());
    *reply = "the next " + std::to_string(errors.size()) + " " + ApiKeyName(*api) +
             " requests fail with:" + names;
    return Status::Ok();
  }

  if (command == "CLEAR-ERRORS") {
    if (args != 1) return Usage("clear-errors API");
    auto api = ParseApiKey(w[1]);
    if (!api) return api.error();
    rd_kafka_mock_clear_request_errors(cluster, *api);
    *reply = "no errors pending for " + ApiKeyName(*api);
    return Status::Ok();
  }

  if (command == "BROKER-DOWN" || command == "BROKER-UP") {
    const bool down = command == "BROKER-DOWN";
    if (args != 1) return Usage(down ? "broker-down ID" : "broker-up ID");
    auto id = ParseBrokerId(cluster, w[1]);
    if (!id) return id.error();
    rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(cluster, *id)
                                   : rd_kafka_mock_broker_set_up(cluster, *id);
    if (Status s = FromMock(err, "broker " + std::to_string(*id)); !s.ok()) return s;
    *reply = "broker " + std::to_string(*id) + (down ? " is down" : " is up");
    return Status::Ok();
  }

  if (command == "RTT") {
    if (args != 2) return Usage("rtt ID MS");
    auto id = ParseBrokerId(cluster, w[1]);
    if (!id) return id.error();
    auto ms = ParseBoundedInt(w[2], 0, 600000, "round-trip time (ms)");
    if (!ms) return ms.error();
    if (Status s = FromMock(rd_kafka_mock_broker_set_rtt(cluster, *id, static_cast<int>(*ms)),
                            "broker " + std::to_string(*id));
        !s.ok()) {
      return s;
    }
    *reply = "broker " + std::to_string(*id) + " answers after " + std::to_string(*ms) + " ms";
    return Status::Ok();
  }

  if (command == "LEADER") {
    if (args != 3) return Usage("leader TOPIC PARTITION ID");
    const std::string topic(w[1]);
    auto partition = ParseBoundedInt(w[2], 0, 999999, "partition");
    if (!partition) return partition.error();
    auto id = ParseBrokerId(cluster, w[3]);
    if (!id) return id.error();
    rd_kafka_resp_err_t err = rd_kafka_mock_partition_set_leader(
        cluster, topic.c_str(), static_cast<int32_t>(*partition), *id);
    if (Status s = FromMock(err, topic + "[" + std::to_string(*partition) + "]"); !s.ok()) {
      return s;
    }
    *reply = topic + "[" + std::to_string(*partition) + "] is led by broker " + std::to_string(*id);
    return Status::Ok();
  }

  if (command == "COORDINATOR") {
    if (args != 3) return Usage("coordinator transaction|group KEY ID");
    const std::string type = Upper(w[1]) == "TRANSACTION" ? "transaction"
                             : Upper(w[1]) == "GROUP"     ? "group"
                                                          : "";
    if (type.empty()) {
      return Status::InvalidArgument("coordinator type '" + std::string(w[1]) +
                                     "' must be transaction or group");
    }
    const std::string key(w[2]);
    auto id = ParseBrokerId(cluster, w[3]);
    if (!id) return id.error();
    if (Status s = FromMock(rd_kafka_mock_coordinator_set(cluster, type.c_str(), key.c_str(), *id),
                            type + " coordinator of " + key);
        !s.ok()) {
      return s;
    }
    *reply = "broker " + std::to_string(*id) + " coordinates " + type + " " + key;
    return Status::Ok();
  }

  return Status::InvalidArgument("unknown command '" + std::string(w[0]) + "' (try help)");
}

std::unique_ptr<BrokerControlChannel> BrokerControlChannel::Start(rd_kafka_mock_cluster_t* cluster,
                                                                  int fd, std::ostream& replies,
                                                                  std::ostream& log) {
  std::unique_ptr<BrokerControlChannel> channel(
      new BrokerControlChannel(cluster, fd, replies, log));
  channel->reader_ = std::thread([c = channel.get()] { c->ReadLoop(); });
  return channel;
}

void BrokerControlChannel::WaitForEnd() {
  if (reader_.joinable()) reader_.join();
}

BrokerControlChannel::~BrokerControlChannel() {
  stopping_ = true;
  if (reader_.joinable()) reader_.join();
}

void BrokerControlChannel::Answer(std::string_view line) {
  std::string reply;
  Status s = ApplyBrokerCommand(cluster_, line, &reply);
  std::string answer = s.ok() ? (reply.empty() ? "ok" : "ok " + reply) : "error " + s.message();
  replies_ << answer << std::endl;
  if (!Trim(line).empty())
    log_ << "eodclear broker: control: " << Trim(line) << " -> " << answer << std::endl;
}

void BrokerControlChannel::ReadLoop() {
  std::string pending;
  char buf[4096];
  while (!stopping_) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, 200);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // end of input: the broker keeps running without a control channel
    pending.append(buf, static_cast<size_t>(n));
    for (size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      Answer(std::string_view(pending).substr(0, eol));
      pending.erase(0, eol + 1);
    }
  }
  if (!stopping_ && !pending.empty()) Answer(pending);
}

}  // namespace eodclear
