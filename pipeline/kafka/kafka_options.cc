#include "pipeline/kafka/kafka_options.h"

namespace eodclear {

Result<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const KafkaOptions& options, const std::map<std::string, std::string>& defaults) {
  if (options.brokers.empty())
    return Err(Status::InvalidArgument("no Kafka brokers given (--brokers)"));
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  auto set = [&](const std::string& name, const std::string& value) -> Status {
    std::string err;
    if (conf->set(name, value, err) != RdKafka::Conf::CONF_OK) {
      return Status::InvalidArgument("Kafka property '" + name + "' rejected: " + err);
    }
    return Status::Ok();
  };
  for (const auto& [k, v] : defaults) EODCLEAR_RETURN_IF_ERROR(set(k, v));
  for (const auto& [k, v] : options.properties) EODCLEAR_RETURN_IF_ERROR(set(k, v));
  EODCLEAR_RETURN_IF_ERROR(set("bootstrap.servers", options.brokers));
  return conf;
}

bool IsFencedError(RdKafka::ErrorCode code) {
  return code == RdKafka::ERR__FENCED || code == RdKafka::ERR_PRODUCER_FENCED ||
         code == RdKafka::ERR_INVALID_PRODUCER_EPOCH;
}

Status FromKafka(RdKafka::ErrorCode code, std::string_view what) {
  if (code == RdKafka::ERR_NO_ERROR) return Status::Ok();
  std::string msg = std::string(what) + ": " + RdKafka::err2str(code);
  if (IsFencedError(code)) return Status::Fenced(msg + kFencedAdvice);
  switch (code) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_NOT_COORDINATOR:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RdKafka::ERR_NETWORK_EXCEPTION:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_CONCURRENT_TRANSACTIONS:
      return Status::Unavailable(msg);
    default:
      return Status::Internal(msg);
  }
}

}  // namespace eodclear
