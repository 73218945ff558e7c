#include "pipeline/cli/run_command.h"

#include <prometheus/exposer.h>
#include <prometheus/gateway.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include "pipeline/cli/csv_inputs.h"
#include "pipeline/cli/temp_folder.h"
#include "pipeline/cli/topic_io.h"
#include "pipeline/kafka/dev_broker.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/refdata.h"
#include "pipeline/runner/eod_runner.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

namespace fs = std::filesystem;

ExitCode Fail(const Status& status) {
  std::cerr << "eodclear run: " << status.ToString() << "\n";
  return ExitCodeFor(status);
}

}  // namespace

Status ParseKafkaProperties(const std::vector<std::string>& pairs, KafkaOptions* kafka) {
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--kafka-property '" + pair.substr(0, eq) +
                                     "' must be name=value");
    }
    EODCLEAR_ASSIGN_OR_RETURN(std::string value,
                              ExpandEnvironment(pair.substr(eq + 1), pair.substr(0, eq)));
    kafka->properties[pair.substr(0, eq)] = std::move(value);
  }
  return Status::Ok();
}

Result<std::string> ExpandEnvironment(const std::string& value, const std::string& property) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t start = value.find("${", i);
    if (start == std::string::npos) {
      out.append(value, i, std::string::npos);
      break;
    }
    size_t end = value.find('}', start + 2);
    if (end == std::string::npos) {
      return Err(Status::InvalidArgument("--kafka-property " + property +
                                         ": unterminated ${ in its value"));
    }
    out.append(value, i, start - i);
    std::string name = value.substr(start + 2, end - start - 2);
    const char* env = name.empty() ? nullptr : std::getenv(name.c_str());
    if (env == nullptr) {
      // Names the variable, never a value: values may be secrets.
      return Err(Status::InvalidArgument("--kafka-property " + property +
                                         ": environment variable '" + name + "' is not set"));
    }
    out.append(env);
    i = end + 1;
  }
  return out;
}

namespace {

// The business date's stages, reporting to `metrics`.
ExitCode RunDate(const RunCommandOptions& options, Metrics& metrics) {
  // Everything that can be checked is checked before any state or broker is touched.
  auto date = Date::Parse(options.date);
  if (!date) return Fail(date.error().WithContext("--date"));
  auto refdata = RefData::Load(options.refdata_dir);
  if (!refdata) return Fail(refdata.error().WithContext("reference data"));
  const ProductCatalog* products = &refdata->products;
  KafkaOptions kafka;
  kafka.brokers = options.brokers;
  if (Status s = ParseKafkaProperties(options.kafka_properties, &kafka); !s.ok()) return Fail(s);
  if (options.embedded) {
    if (options.input_dir.empty())
      return Fail(Status::InvalidArgument("--embedded needs --input DIR"));
    if (!fs::is_directory(options.input_dir)) {
      return Fail(Status::InvalidArgument("--input " + options.input_dir + " is not a folder"));
    }
  } else if (options.brokers.empty()) {
    return Fail(Status::InvalidArgument("--brokers is required (or --embedded --input DIR)"));
  }
  SettlementOptions settlement = options.settlement;
  OffsettingOptions offsetting;
  offsetting.settlement_prices_topic = settlement.settlement_prices_topic;
  PositionLimitsOptions limits;
  {
    auto split = [](const std::string& flag, const std::string& value, std::string* firm,
                    std::string* account) -> Status {
      size_t slash = value.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == value.size()) {
        return Status::InvalidArgument(flag + " '" + value + "' must be FIRM/ACCOUNT");
      }
      *firm = value.substr(0, slash);
      *account = value.substr(slash + 1);
      return Status::Ok();
    };
    if (Status s = split("--rounding-account", options.rounding_account, &settlement.rounding_firm,
                         &settlement.rounding_account);
        !s.ok()) {
      return Fail(s);
    }
    if (Status s = split("--offset-account", options.offset_account, &offsetting.offset_firm,
                         &offsetting.offset_account);
        !s.ok()) {
      return Fail(s);
    }
    if (options.offset_account == options.rounding_account) {
      return Fail(Status::InvalidArgument(
          "--offset-account and --rounding-account must be different accounts"));
    }
    limits.house_accounts = {{offsetting.offset_firm, offsetting.offset_account},
                             {settlement.rounding_firm, settlement.rounding_account}};
  }

  std::unique_ptr<prometheus::Exposer> exposer;
  if (!options.metrics_listen.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(options.metrics_listen);
    } catch (const std::exception& e) {
      return Fail(
          Status::InvalidArgument("--metrics-listen " + options.metrics_listen + ": " + e.what()));
    }
    exposer->RegisterCollectable(metrics.registry());
    exposer->RegisterCollectable(metrics.success_registry());
    std::cerr << "eodclear run: metrics on http://" << options.metrics_listen << "/metrics\n";
  }

  std::unique_ptr<DevBroker> broker;
  std::optional<TempFolder> temp_state;
  std::string state_dir = options.state_dir;
  if (options.embedded) {
    DevBrokerOptions bo;
    bo.partitions = options.embedded_partitions;
    auto started = DevBroker::Start(bo);
    if (!started) return Fail(started.error());
    broker = std::move(*started);
    kafka.brokers = broker->bootstrap_servers();
    std::cerr << "eodclear run: embedded broker at " << kafka.brokers << "\n";
    struct Input {
      const char* file;
      const std::string& topic;
    };
    for (const Input& in : {Input{"trades.csv", options.ingest.trades_topic},
                            Input{"quotes.csv", options.ingest.quotes_topic},
                            Input{"reference_prices.csv", settlement.reference_prices_topic},
                            Input{"settlement_overrides.csv", settlement.overrides_topic},
                            Input{"offset_instructions.csv", offsetting.instructions_topic}}) {
      fs::path path = fs::path(options.input_dir) / in.file;
      if (!fs::exists(path)) continue;
      auto loaded = LoadCsvToTopic(kafka, in.topic, path.string(), *products, false, std::cerr);
      if (!loaded) return Fail(loaded.error());
      std::cerr << "eodclear run: loaded " << loaded->produced << " messages from " << path.string()
                << " to " << in.topic << "\n";
    }
    if (state_dir.empty()) {
      auto tmp = TempFolder::Make("eodclear-state");
      if (!tmp) return Fail(tmp.error());
      temp_state.emplace(std::move(*tmp));
      state_dir = temp_state->path();
    }
  }
  if (state_dir.empty()) state_dir = "eodclear-state";

  // The state folder's settlement-overrides.csv, validated before any state is touched.
  fs::path overrides_file = fs::path(state_dir) / "settlement-overrides.csv";
  if (fs::exists(overrides_file)) {
    CsvFile::Mode mode = CsvFile::Mode::kCollectBadRows;
    auto csv = CsvFile::Read(overrides_file.string(), mode);
    if (!csv) return Fail(csv.error());
    auto kind = DetectInputKind(*csv);
    if (!kind || *kind != InputKind::kSettlementOverrides) {
      return Fail(Status::InvalidArgument(overrides_file.string() +
                                          ": header must be business_date,contract,kind,price,"
                                          "reason,entered_by"));
    }
    std::vector<std::string> errors;
    auto messages = ConvertInputCsv(*csv, *kind, *products, &errors);
    if (!errors.empty()) {
      for (const auto& e : errors) std::cerr << "eodclear run: " << e << "\n";
      return Fail(Status::InvalidArgument(overrides_file.string() + ": " +
                                          std::to_string(errors.size()) + " malformed row(s)"));
    }
    for (const auto& m : messages) {
      clearing::v1::SettlementOverride o;
      o.ParseFromString(m.value);
      settlement.file_overrides.push_back(std::move(o));
    }
    std::cerr << "eodclear run: " << messages.size() << " settlement overrides from "
              << overrides_file.string() << "\n";
  }

  StateStoreOptions so;
  so.path = state_dir;
  auto store = StateStore::Open(so);
  if (!store) return Fail(store.error());

  std::random_device rd;
  uint64_t bits = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  RunContext ctx =
      MakeRunContext(*refdata, store->get(), *date, NewRunId(*date, bits), &metrics, &std::cerr);

  IngestStage ingest(options.ingest, kafka);
  SettlementStage settle(settlement, kafka);
  PublishOptions publish_options = options.publish;
  publish_options.outbox_topics = {settlement.settlement_prices_topic,
                                   settlement.variation_margin_topic,
                                   settlement.final_settlements_topic,
                                   offsetting.offsets_topic,
                                   limits.findings_topic,
                                   limits.reports_topic};
  OffsettingStage offset(offsetting, kafka);
  PositionLimitsStage check_limits(limits);
  publish_options.house_accounts = limits.house_accounts;
  PublishStage publish(publish_options, kafka);
  RunMode mode;
  mode.republish = options.republish;
  auto outcome = RunEndOfDay(ctx, {&ingest, &settle, &offset, &check_limits, &publish}, mode);
  if (!outcome) return Fail(outcome.error());

  if (options.embedded) {
    std::string out_dir = options.output_dir.empty() ? "eodclear-output" : options.output_dir;
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return Fail(Status::InvalidArgument("--output " + out_dir + ": " + ec.message()));
    for (const std::string& topic :
         {options.publish.positions_topic, options.publish.dead_letters_topic,
          options.publish.eod_runs_topic, settlement.settlement_prices_topic,
          settlement.variation_margin_topic, settlement.final_settlements_topic,
          offsetting.offsets_topic, limits.findings_topic, limits.reports_topic}) {
      auto prototype = MessageForTopic(topic, "");
      if (!prototype) return Fail(prototype.error());
      fs::path path = fs::path(out_dir) / (topic + ".jsonl");
      std::ofstream out(path);
      auto n = DumpTopic(kafka, topic, **prototype, out);
      if (!n) return Fail(n.error());
      if (!out) return Fail(Status::Unavailable("writing " + path.string() + " failed"));
      std::cerr << "eodclear run: wrote " << *n << " records to " << path.string() << "\n";
    }
  }

  std::cout << "eodclear run: " << date->ToString() << " "
            << (outcome->already_published          ? "already published"
                : outcome->corrected_run_id.empty() ? "published"
                                                    : "corrected")
            << " by run " << outcome->published_run_id;
  if (!outcome->corrected_run_id.empty()) {
    std::cout << " (replacing run " << outcome->corrected_run_id << ")";
  }
  std::cout << "; " << outcome->messages_consumed << " messages consumed, "
            << outcome->messages_rejected << " to dead letters" << std::endl;
  return outcome->messages_rejected > 0 ? ExitCode::kCompletedWithDataErrors : ExitCode::kSuccess;
}

}  // namespace

Result<PushgatewayAddress> ParsePushgateway(const std::string& url) {
  std::string rest = url;
  for (const char* scheme : {"http://", "https://"}) {
    if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::string(scheme).size());
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (rest.empty() || colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string::npos) {
    return Err(Status::InvalidArgument("--pushgateway '" + url + "' must be [http://]HOST:PORT"));
  }
  for (char c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9') {
      return Err(Status::InvalidArgument("--pushgateway '" + url + "': port is not a number"));
    }
  }
  return PushgatewayAddress{rest.substr(0, colon), rest.substr(colon + 1)};
}

ExitCode RunCommand(const RunCommandOptions& options) {
  std::optional<PushgatewayAddress> gateway;
  if (!options.pushgateway.empty()) {
    auto parsed = ParsePushgateway(options.pushgateway);
    if (!parsed) return Fail(parsed.error());
    gateway = *parsed;
  }
  Metrics metrics;
  ExitCode code = RunDate(options, metrics);
  auto date = Date::Parse(options.date);
  double date_seconds = date ? static_cast<double>(date->days_since_epoch()) * 86400.0 : 0.0;
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const bool published = code == ExitCode::kSuccess || code == ExitCode::kCompletedWithDataErrors;
  metrics.SetRunOutcome(static_cast<int>(code), published, date_seconds, now);
  if (gateway) {
    // Pushed at the end of every run, success or failure, replacing the instance's group (HTTP
    // PUT: prometheus-cpp's PushAdd), so no series of an earlier run lingers. The last-success
    // time has a group of its own, replaced only by a successful run.
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string instance = options.instance.empty() ? std::string(host) : options.instance;
    auto push = [&](const std::shared_ptr<prometheus::Registry>& registry,
                    const prometheus::Labels& labels) {
      try {
        prometheus::Gateway gw(gateway->host, gateway->port, "eodclear", labels);
        gw.RegisterCollectable(registry);
        int http = gw.PushAdd();
        if (http < 200 || http >= 300) {
          std::cerr << "eodclear run: pushing metrics to " << options.pushgateway
                    << " failed (HTTP " << http << "); the run's outcome is unchanged\n";
          return false;
        }
        return true;
      } catch (const std::exception& e) {
        std::cerr << "eodclear run: pushing metrics to " << options.pushgateway
                  << " failed: " << e.what() << "; the run's outcome is unchanged\n";
        return false;
      }
    };
    bool pushed = push(metrics.registry(), {{"instance", instance}});
    if (published)
      pushed =
          push(metrics.success_registry(), {{"instance", instance}, {"group", "last_success"}}) &&
          pushed;
    if (pushed) std::cerr << "eodclear run: metrics pushed to " << options.pushgateway << "\n";
  }
  return code;
}

}  // namespace eodclear
