#include "pipeline/kafka/broker_control.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/kafka/dev_broker.h"

// The development broker's fault commands: parsing without a cluster, then their effect on a
// development broker started in this process (librdkafka's mock cluster on a loopback port it
// picks), seen by a plain librdkafka client. Label "kafka".

namespace eodclear {
namespace {

using Clock = std::chrono::steady_clock;

TEST(BrokerControlParse, ApiKeysByNameInAnyCaseOrNumber) {
  EXPECT_EQ(ParseApiKey("Produce").value_or(-1), 0);
  EXPECT_EQ(ParseApiKey("Fetch").value_or(-1), 1);
  EXPECT_EQ(ParseApiKey("ListOffsets").value_or(-1), 2);
  EXPECT_EQ(ParseApiKey("metadata").value_or(-1), 3);
  EXPECT_EQ(ParseApiKey("OffsetCommit").value_or(-1), 8);
  EXPECT_EQ(ParseApiKey("OffsetFetch").value_or(-1), 9);
  EXPECT_EQ(ParseApiKey("FINDCOORDINATOR").value_or(-1), 10);
  EXPECT_EQ(ParseApiKey("JoinGroup").value_or(-1), 11);
  EXPECT_EQ(ParseApiKey("Heartbeat").value_or(-1), 12);
  EXPECT_EQ(ParseApiKey("LeaveGroup").value_or(-1), 13);
  EXPECT_EQ(ParseApiKey("SyncGroup").value_or(-1), 14);
  EXPECT_EQ(ParseApiKey("ApiVersions").value_or(-1), 18);
  EXPECT_EQ(ParseApiKey("InitProducerId").value_or(-1), 22);
  EXPECT_EQ(ParseApiKey("AddPartitionsToTxn").value_or(-1), 24);
  EXPECT_EQ(ParseApiKey("AddOffsetsToTxn").value_or(-1), 25);
  EXPECT_EQ(ParseApiKey("EndTxn").value_or(-1), 26);
  EXPECT_EQ(ParseApiKey("TxnOffsetCommit").value_or(-1), 28);
  EXPECT_EQ(ParseApiKey("24").value_or(-1), 24);
  EXPECT_EQ(ParseApiKey("0").value_or(-1), 0);
  EXPECT_EQ(ApiKeyName(26), "EndTxn");
  EXPECT_EQ(ApiKeyName(99), "99");
}

TEST(BrokerControlParse, BadApiKeysNameWhatWasWrong) {
  auto unknown = ParseApiKey("Produced");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown API 'Produced'"), std::string::npos)
      << unknown.error().message();
  EXPECT_FALSE(ParseApiKey("-1").has_value());
  EXPECT_FALSE(ParseApiKey("40000").has_value());
  EXPECT_FALSE(ParseApiKey("").has_value());
}

TEST(BrokerControlParse, ErrorsByLibrdkafkaNameOrNumber) {
  EXPECT_EQ(ParseErrorCode("NOT_LEADER_FOR_PARTITION").value_or(-9999),
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  EXPECT_EQ(ParseErrorCode("request_timed_out").value_or(-9999),
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  EXPECT_EQ(ParseErrorCode("RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE").value_or(-9999),
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
  EXPECT_EQ(ParseErrorCode("NOT_COORDINATOR").value_or(-9999), RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  EXPECT_EQ(ParseErrorCode("CONCURRENT_TRANSACTIONS").value_or(-9999),
            RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
  EXPECT_EQ(ParseErrorCode("COORDINATOR_LOAD_IN_PROGRESS").value_or(-9999),
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
  EXPECT_EQ(ParseErrorCode("PRODUCER_FENCED").value_or(-9999), RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  EXPECT_EQ(ParseErrorCode("INVALID_PRODUCER_EPOCH").value_or(-9999),
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
  EXPECT_EQ(ParseErrorCode("TOPIC_AUTHORIZATION_FAILED").value_or(-9999),
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  EXPECT_EQ(ParseErrorCode("_TRANSPORT").value_or(-9999), RD_KAFKA_RESP_ERR__TRANSPORT);
  EXPECT_EQ(ParseErrorCode("7").value_or(-9999), RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  EXPECT_EQ(ParseErrorCode("-195").value_or(-9999), RD_KAFKA_RESP_ERR__TRANSPORT);
}

TEST(BrokerControlParse, BadErrorsNameWhatWasWrong) {
  auto unknown = ParseErrorCode("NOT_AN_ERROR");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown error 'NOT_AN_ERROR'"), std::string::npos)
      << unknown.error().message();
  EXPECT_FALSE(ParseErrorCode("99999").has_value());
  EXPECT_FALSE(ParseErrorCode("12345").has_value());
  EXPECT_FALSE(ParseErrorCode("").has_value());
}

TEST(BrokerControlParse, NumbersAndWords) {
  EXPECT_EQ(ParseBoundedInt("42", 0, 100, "n").value_or(-1), 42);
  EXPECT_EQ(ParseBoundedInt("+7", 0, 100, "n").value_or(-1), 7);
  auto high = ParseBoundedInt("101", 0, 100, "rtt");
  ASSERT_FALSE(high.has_value());
  EXPECT_EQ(high.error().message(), "rtt 101 is out of range 0..100");
  auto junk = ParseBoundedInt("4x", 0, 100, "partition");
  ASSERT_FALSE(junk.has_value());
  EXPECT_EQ(junk.error().message(), "partition '4x' is not a whole number");
  EXPECT_FALSE(ParseBoundedInt("", 0, 100, "n").has_value());

  std::vector<std::string_view> want = {"request-errors", "Produce", "A", "B"};
  EXPECT_EQ(SplitCommandWords("  request-errors\tProduce  A B \r"), want);
  EXPECT_TRUE(SplitCommandWords("   ").empty());
}

// A development broker of `size` brokers in this process.
std::unique_ptr<DevBroker> StartBroker(int size = 1) {
  DevBrokerOptions options;
  options.partitions = 1;
  options.cluster_size = size;
  auto broker = DevBroker::Start(options);
  EXPECT_TRUE(broker.has_value()) << broker.error().ToString();
  return broker ? std::move(*broker) : nullptr;
}

// `line` applied to the broker's cluster: "ok ..." or "error ...", as the control channel answers.
std::string Apply(DevBroker& broker, std::string_view line) {
  std::string reply;
  Status s = ApplyBrokerCommand(broker.cluster(), line, &reply);
  return s.ok() ? "ok " + reply : "error " + s.message();
}

TEST(BrokerControl, BadCommandsAreAnsweredWithWhatWasWrong) {
  auto broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(Apply(*broker, "frobnicate 1"), "error unknown command 'frobnicate' (try help)");
  EXPECT_EQ(Apply(*broker, "broker-down"), "error usage: broker-down ID");
  EXPECT_EQ(Apply(*broker, "broker-down 2"), "error broker id 2 is out of range 1..1");
  EXPECT_EQ(Apply(*broker, "broker-up x"), "error broker id 'x' is not a whole number");
  EXPECT_EQ(Apply(*broker, "rtt 1 -5"), "error round-trip time (ms) -5 is out of range 0..600000");
  EXPECT_EQ(Apply(*broker, "request-errors Produce"),
            "error usage: request-errors API ERROR [ERROR...]");
  EXPECT_NE(Apply(*broker, "request-errors Prodce NOT_COORDINATOR").find("unknown API 'Prodce'"),
            std::string::npos);
  EXPECT_NE(Apply(*broker, "request-errors Produce NOT_COORDINATOR BOGUS")
                .find("error unknown error 'BOGUS'"),
            std::string::npos);
  EXPECT_EQ(Apply(*broker, "coordinator txn eodclear 1"),
            "error coordinator type 'txn' must be transaction or group");
  EXPECT_EQ(Apply(*broker, "leader positions"), "error usage: leader TOPIC PARTITION ID");
  EXPECT_EQ(Apply(*broker, "leader positions 7 1"),
            "error positions[7]: Broker: Unknown topic or partition");
  EXPECT_EQ(Apply(*broker, "help").rfind("ok commands: request-errors API ERROR", 0), 0u);
  EXPECT_EQ(Apply(*broker, ""), "ok ");
  EXPECT_EQ(Apply(*broker, "# a comment"), "ok ");
}

TEST(BrokerControl, GoodCommandsSayWhatTheyDid) {
  auto broker = StartBroker(3);
  ASSERT_NE(broker, nullptr);
  EXPECT_EQ(Apply(*broker, "request-errors EndTxn producer_fenced 51"),
            "ok the next 2 EndTxn requests fail with: PRODUCER_FENCED CONCURRENT_TRANSACTIONS");
  EXPECT_EQ(Apply(*broker, "clear-errors 26"), "ok no errors pending for EndTxn");
  EXPECT_EQ(Apply(*broker, "rtt 3 250"), "ok broker 3 answers after 250 ms");
  EXPECT_EQ(Apply(*broker, "rtt 3 0"), "ok broker 3 answers after 0 ms");
  EXPECT_EQ(Apply(*broker, "leader positions 0 2"), "ok positions[0] is led by broker 2");
  EXPECT_EQ(Apply(*broker, "coordinator transaction eodclear-publish 3"),
            "ok broker 3 coordinates transaction eodclear-publish");
  EXPECT_EQ(Apply(*broker, "coordinator GROUP g1 1"), "ok broker 1 coordinates group g1");
  EXPECT_EQ(Apply(*broker, "broker-down 3"), "ok broker 3 is down");
  EXPECT_EQ(Apply(*broker, "broker-up 3"), "ok broker 3 is up");
}

// A plain librdkafka producer of the broker, with short timeouts and reconnect backoff.
struct Client {
  rd_kafka_t* rk = nullptr;
  ~Client() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

std::unique_ptr<Client> MakeClient(const DevBroker& broker) {
  auto client = std::make_unique<Client>();
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", broker.bootstrap_servers().c_str()},
      {"enable.idempotence", "false"},
      {"acks", "1"},
      {"linger.ms", "0"},
      {"message.timeout.ms", "10000"},
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "200"},
      {"log_level", "0"},
  };
  for (const auto& [name, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr), RD_KAFKA_CONF_OK)
        << name << ": " << errstr;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    *static_cast<rd_kafka_resp_err_t*>(m->_private) = m->err;
  });
  client->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  EXPECT_NE(client->rk, nullptr) << errstr;
  return client;
}

// Produces one message to `topic` and waits for its delivery report; returns its error.
rd_kafka_resp_err_t ProduceOne(Client& client, const char* topic) {
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(client.rk, topic, nullptr);
  char value[] = "v";
  int rc = rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, 1, nullptr, 0,
                            &result);
  rd_kafka_topic_destroy(rkt);
  if (rc != 0) return rd_kafka_last_error();
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(20);
  while (result == RD_KAFKA_RESP_ERR__IN_PROGRESS && Clock::now() < deadline) {
    rd_kafka_poll(client.rk, 100);
  }
  return result;
}

TEST(BrokerControl, RequestErrorsFailTheNextRequestsThenClear) {
  auto broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  auto client = MakeClient(*broker);
  ASSERT_NE(client->rk, nullptr);
  ASSERT_EQ(ProduceOne(*client, "positions"), RD_KAFKA_RESP_ERR_NO_ERROR)
      << "the broker works before any fault";

  // A non-retriable error fails the next Produce request, and only that one.
  EXPECT_EQ(Apply(*broker, "request-errors Produce MSG_SIZE_TOO_LARGE"),
            "ok the next 1 Produce requests fail with: MSG_SIZE_TOO_LARGE");
  EXPECT_EQ(ProduceOne(*client, "positions"), RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_EQ(ProduceOne(*client, "positions"), RD_KAFKA_RESP_ERR_NO_ERROR);

  // Errors cleared before any request are never seen.
  EXPECT_EQ(Apply(*broker, "request-errors 0 MSG_SIZE_TOO_LARGE 10"),
            "ok the next 2 Produce requests fail with: MSG_SIZE_TOO_LARGE "
            "MSG_SIZE_TOO_LARGE");
  EXPECT_EQ(Apply(*broker, "clear-errors Produce"), "ok no errors pending for Produce");
  EXPECT_EQ(ProduceOne(*client, "positions"), RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST(BrokerControl, BrokerDownRefusesClientsUntilItIsUpAgain) {
  auto broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  auto client = MakeClient(*broker);
  ASSERT_NE(client->rk, nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(client->rk, 0, nullptr, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(md);

  EXPECT_EQ(Apply(*broker, "broker-down 1"), "ok broker 1 is down");
  md = nullptr;
  rd_kafka_resp_err_t down = rd_kafka_metadata(client->rk, 0, nullptr, &md, 1500);
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  EXPECT_NE(down, RD_KAFKA_RESP_ERR_NO_ERROR) << "a metadata request answered by a broker down";

  EXPECT_EQ(Apply(*broker, "broker-up 1"), "ok broker 1 is up");
  rd_kafka_resp_err_t up = RD_KAFKA_RESP_ERR__TIMED_OUT;
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
  while (up != RD_KAFKA_RESP_ERR_NO_ERROR && Clock::now() < deadline) {
    md = nullptr;
    up = rd_kafka_metadata(client->rk, 0, nullptr, &md, 1000);
    if (md != nullptr) rd_kafka_metadata_destroy(md);
  }
  EXPECT_EQ(up, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2name(up);
}

TEST(BrokerControl, ChannelAnswersEveryLineInOrder) {
  auto broker = StartBroker(2);
  ASSERT_NE(broker, nullptr);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::ostringstream replies, log;
  auto channel = BrokerControlChannel::Start(broker->cluster(), fds[0], replies, log);
  const std::string input =
      "help\nbroker-down 2\n\nbroker-up 2\nnonsense\nrequest-errors Fetch 6 6\nrtt 9 1";
  ASSERT_EQ(write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fds[1]);  // end of input; the last line has no newline
  channel->WaitForEnd();
  close(fds[0]);

  std::vector<std::string> lines;
  std::istringstream in(replies.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 7u) << replies.str();
  EXPECT_EQ(lines[0].rfind("ok commands: ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1], "ok broker 2 is down");
  EXPECT_EQ(lines[2], "ok");
  EXPECT_EQ(lines[3], "ok broker 2 is up");
  EXPECT_EQ(lines[4], "error unknown command 'nonsense' (try help)");
  EXPECT_EQ(lines[5],
            "ok the next 2 Fetch requests fail with: NOT_LEADER_FOR_PARTITION "
            "NOT_LEADER_FOR_PARTITION");
  EXPECT_EQ(lines[6], "error broker id 9 is out of range 1..2");
  EXPECT_NE(log.str().find("eodclear broker: control: broker-down 2 -> ok broker 2 is down"),
            std::string::npos)
      << log.str();
}

}  // namespace
}  // namespace eodclear
