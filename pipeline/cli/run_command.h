#pragma once

#include <string>
#include <vector>

#include "pipeline/cli/exit_codes.h"
#include "pipeline/house_accounts.h"
#include "stages/ingest/ingest_stage.h"
#include "stages/offsetting/offsetting_stage.h"
#include "stages/position_limits/position_limits_stage.h"
#include "stages/publish/publish_stage.h"
#include "stages/settlement/settlement_stage.h"

namespace eodclear {

struct RunCommandOptions {
  std::string date;
  std::string brokers;
  std::string state_dir;  // empty: ./eodclear-state, or a temporary folder with --embedded
  std::string refdata_dir;
  // "name=value" librdkafka properties passed through.
  std::vector<std::string> kafka_properties;
  std::string metrics_listen;  // "host:port"; empty: no /metrics endpoint
  // "[http://]host:port" of a Prometheus Pushgateway pushed to at the end of every run; empty:
  // none.
  std::string pushgateway;
  // The `instance` label of the push (default: the host name).
  std::string instance;
  // --republish: correct the date's publication (RunMode::republish).
  bool republish = false;
  bool embedded = false;
  // --embedded: trades.csv, quotes.csv, reference_prices.csv, settlement_overrides.csv,
  // offset_instructions.csv
  std::string input_dir;
  std::string output_dir;  // --embedded: <topic>.jsonl per output topic
  int embedded_partitions = 3;
  // "FIRM/ACCOUNT" of the clearing house's rounding account.
  std::string rounding_account = std::string(kHouseFirm) + "/" + std::string(kRoundingAccount);
  // "FIRM/ACCOUNT" of the clearing house's Rule 855 offset account.
  std::string offset_account = std::string(kHouseFirm) + "/" + std::string(kOffsetAccount);
  IngestOptions ingest;
  SettlementOptions settlement;
  PublishOptions publish;
};

// `eodclear run`: validates everything first (date, reference data, state folder), then runs the
// business date's stages. Progress goes to stderr; a one-line summary to stdout.
ExitCode RunCommand(const RunCommandOptions& options);

struct PushgatewayAddress {
  std::string host;
  std::string port;
};
// "[http://]HOST:PORT" of a Pushgateway; kInvalidArgument naming the flag otherwise.
Result<PushgatewayAddress> ParsePushgateway(const std::string& url);

// Parses "name=value" pairs into KafkaOptions properties; kInvalidArgument names a bad one. In a
// value, ${NAME} is replaced by the environment variable NAME, so secrets (sasl.password, key
// passwords) can stay out of command lines and config files; an unset variable is an error that
// names it.
Result<std::string> ExpandEnvironment(const std::string& value, const std::string& property);
Status ParseKafkaProperties(const std::vector<std::string>& pairs, KafkaOptions* kafka);

}  // namespace eodclear
