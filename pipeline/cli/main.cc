// eodclear: the end-of-day clearing batch. One binary, one subcommand per job; `--help` on each.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "pipeline/cli/bench_command.h"
#include "pipeline/cli/calendar_command.h"
#include "pipeline/cli/exit_codes.h"
#include "pipeline/cli/limit_study_command.h"
#include "pipeline/cli/run_command.h"
#include "pipeline/cli/settlement_bench.h"
#include "pipeline/cli/topic_io.h"
#include "pipeline/cli/topics_command.h"
#include "pipeline/kafka/broker_control.h"
#include "pipeline/kafka/dev_broker.h"
#include "pipeline/refdata/refdata.h"

#ifndef EODCLEAR_DEFAULT_REFDATA_DIR
#define EODCLEAR_DEFAULT_REFDATA_DIR "ops/refdata"
#endif

namespace eodclear {
namespace {

int Code(ExitCode c) { return static_cast<int>(c); }

int Report(std::string_view command, const Status& status) {
  std::cerr << "eodclear " << command << ": " << status.ToString() << "\n";
  return Code(ExitCodeFor(status));
}

// Splits "host:port" for the development broker.
Status ParseListen(const std::string& listen, DevBrokerOptions* options) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen '" + listen + "' must be HOST:PORT");
  }
  options->host = listen.substr(0, colon);
  try {
    size_t used = 0;
    options->port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return Status::InvalidArgument("--listen '" + listen + "': port is not a number");
  }
  return Status::Ok();
}

int BrokerCommand(const DevBrokerOptions& options, bool control) {
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto broker = DevBroker::Start(options);
  if (!broker) return Report("broker", broker.error());
  std::cout << "bootstrap.servers=" << (*broker)->bootstrap_servers() << std::endl;
  std::cerr << "eodclear broker: development broker (in memory, this process only) with "
            << options.cluster_size << (options.cluster_size == 1 ? " broker, " : " brokers, ")
            << options.partitions << " partitions per topic; stop with Ctrl-C or SIGTERM\n";
  // Fault commands on standard input, answers on standard output; stopped before the broker.
  std::unique_ptr<BrokerControlChannel> channel;
  if (control) {
    channel = BrokerControlChannel::Start((*broker)->cluster(), STDIN_FILENO, std::cout, std::cerr);
    std::cerr << "eodclear broker: reading fault commands from standard input (try help)\n";
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "eodclear broker: stopping on signal " << sig << "\n";
  channel.reset();
  return 0;
}

}  // namespace
}  // namespace eodclear

int main(int argc, char** argv) {
  using namespace eodclear;
  CLI::App app{
      "eodclear: end-of-day clearing for futures — ingest trades and quotes from Kafka, "
      "keep positions in RocksDB, publish results to Kafka."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "eodclear 0.1.0");
  app.set_config("--config", "",
                 "Read options from this file (INI/TOML: a [run] section with brokers=..., "
                 "state=..., kafka-property=[...], ...; see ops/eodclear.conf.example); command "
                 "line options win");

  std::string refdata_dir = EODCLEAR_DEFAULT_REFDATA_DIR;
  std::vector<std::string> kafka_properties;

  // run
  RunCommandOptions run;
  run.refdata_dir = refdata_dir;
  auto* run_cmd = app.add_subcommand("run", "Run the end-of-day batch of one business date");
  run_cmd->add_option("--date", run.date, "Business date to close, YYYY-MM-DD")->required();
  run_cmd->add_option("--brokers", run.brokers, "Kafka bootstrap servers, host:port[,host:port]");
  run_cmd->add_option("--state", run.state_dir,
                      "State folder (RocksDB); default ./eodclear-state, or a temporary folder "
                      "with --embedded");
  run_cmd->add_option("--refdata", run.refdata_dir, "Reference data folder")->capture_default_str();
  run_cmd->add_option("--kafka-property", run.kafka_properties,
                      "librdkafka property name=value (repeatable), e.g. security.protocol=SSL");
  run_cmd->add_option("--metrics-listen", run.metrics_listen,
                      "Serve Prometheus /metrics on HOST:PORT while running, e.g. 127.0.0.1:9464");
  run_cmd->add_flag(
      "--republish", run.republish,
      "Correct the date, already published: put its book back as it stood after ingest, settle, "
      "offset and check limits again with today's reference data, overrides and instructions, and "
      "publish under a new run id marked as a correction (only the latest date that ran)");
  run_cmd->add_flag("--embedded", run.embedded,
                    "Start an in-process development broker and load --input into it first");
  run_cmd->add_option("--input", run.input_dir,
                      "With --embedded: folder of trades.csv, quotes.csv, reference_prices.csv, "
                      "settlement_overrides.csv, offset_instructions.csv");
  run_cmd->add_option("--output", run.output_dir,
                      "With --embedded: folder for <topic>.jsonl of each output topic "
                      "(default ./eodclear-output)");
  run_cmd
      ->add_option("--embedded-partitions", run.embedded_partitions,
                   "With --embedded: partitions per topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  run_cmd
      ->add_option("--batch-size", run.ingest.commit_every_messages,
                   "Messages applied per state write (state and offsets commit together)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  run_cmd
      ->add_option("--progress-every", run.ingest.progress_every_messages,
                   "Print ingest progress every N messages (0: once a second)")
      ->capture_default_str();
  run_cmd
      ->add_option("--idle-timeout", run.ingest.idle_timeout_seconds,
                   "Seconds without progress before the cut-off before giving up")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  run_cmd
      ->add_option("--rounding-account", run.rounding_account,
                   "FIRM/ACCOUNT booked each contract's variation-margin rounding residual")
      ->capture_default_str();
  run_cmd->add_option("--pushgateway", run.pushgateway,
                      "Push the run's metrics to this Prometheus Pushgateway ([http://]HOST:PORT) "
                      "at the end of every run, success or failure");
  run_cmd->add_option("--instance", run.instance,
                      "The `instance` label of the pushed metrics (default: the host name)");
  run_cmd
      ->add_option("--offset-account", run.offset_account,
                   "FIRM/ACCOUNT of the clearing house's Rule 855 offset account")
      ->capture_default_str();
  run_cmd
      ->add_option("--transactional-id", run.publish.transactional_id,
                   "Kafka transactional.id of the publisher (stable per instance)")
      ->capture_default_str();

  // broker
  std::string listen = "127.0.0.1:0";
  DevBrokerOptions broker;
  auto* broker_cmd = app.add_subcommand(
      "broker",
      "Run a development Kafka-protocol broker on loopback (in memory; for tests and trials)");
  broker_cmd->add_option("--listen", listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->capture_default_str();
  broker_cmd->add_option("--partitions", broker.partitions, "Partitions of each topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  broker_cmd->add_option("--topic", broker.extra_topics, "Another topic to create (repeatable)");
  broker_cmd->add_option("--cluster-size", broker.cluster_size, "Number of brokers (ids 1..N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 9));
  bool broker_control = false;
  broker_cmd->add_flag(
      "--control", broker_control,
      "Read fault commands from standard input, one per line, and answer each on standard "
      "output with one line, 'ok ...' or 'error <reason>': request-errors API ERROR [ERROR...], "
      "clear-errors API, broker-down ID, broker-up ID, rtt ID MS, leader TOPIC PARTITION ID, "
      "coordinator transaction|group KEY ID, help. For fault tests; see README");

  // load
  std::string brokers, topic, file, type_name;
  bool skip_bad = false;
  auto* load_cmd = app.add_subcommand(
      "load", "Produce a CSV file of trades, quotes or reference prices to a topic");
  load_cmd->add_option("--brokers", brokers, "Kafka bootstrap servers")->required();
  load_cmd->add_option("--topic", topic, "Topic to produce to")->required();
  load_cmd->add_option("--file", file, "CSV file with a header row (see README)")->required();
  load_cmd->add_option("--refdata", refdata_dir, "Reference data folder")->capture_default_str();
  load_cmd->add_flag("--skip-bad", skip_bad,
                     "Produce the good rows of a file that has malformed rows");
  load_cmd->add_option("--kafka-property", kafka_properties,
                       "librdkafka property name=value (repeatable)");

  // topics
  TopicsCommandOptions topics_options;
  auto* topics_cmd = app.add_subcommand(
      "topics",
      "Create eodclear's Kafka topics with production settings, or --check an existing cluster "
      "and report each mismatch (docs/kafka-topics-and-acls.md)");
  topics_cmd->add_option("--brokers", brokers, "Kafka bootstrap servers")->required();
  topics_cmd->add_flag("--check", topics_options.check_only,
                       "Create nothing; report every topic that differs from its settings");
  topics_cmd
      ->add_option("--partitions", topics_options.plan.input_partitions,
                   "Partitions of the input topics trades and quotes")
      ->capture_default_str();
  topics_cmd
      ->add_option("--output-partitions", topics_options.plan.output_partitions,
                   "Partitions of every other topic")
      ->capture_default_str();
  topics_cmd
      ->add_option("--replication-factor", topics_options.plan.replication_factor,
                   "Replicas of every partition")
      ->capture_default_str();
  topics_cmd
      ->add_option("--min-insync-replicas", topics_options.plan.min_insync_replicas,
                   "min.insync.replicas of every topic (acks=all waits for this many)")
      ->capture_default_str();
  topics_cmd->add_option("--kafka-property", kafka_properties,
                         "librdkafka property name=value (repeatable)");

  // dump
  auto* dump_cmd =
      app.add_subcommand("dump", "Print every committed message of a topic as JSON lines");
  dump_cmd->add_option("--brokers", brokers, "Kafka bootstrap servers")->required();
  dump_cmd->add_option("--topic", topic, "Topic to read")->required();
  dump_cmd->add_option("--type", type_name,
                       "Message type when the topic name does not tell (Trade, Quote, "
                       "ReferencePrice, Position, DeadLetter, EodRun)");
  dump_cmd->add_option("--kafka-property", kafka_properties,
                       "librdkafka property name=value (repeatable)");

  // bench
  BenchOptions bench;
  auto* bench_cmd = app.add_subcommand(
      "bench",
      "Measure ingest throughput (trades/s into RocksDB, exactly once) against a bare consumer");
  bench_cmd->add_option("--trades", bench.trades, "Trades to produce")->capture_default_str();
  bench_cmd->add_option("--partitions", bench.partitions, "Partitions of the trades topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  bench_cmd->add_option("--accounts", bench.accounts, "Distinct accounts")->capture_default_str();
  bench_cmd->add_option("--refdata", refdata_dir, "Reference data folder")->capture_default_str();
  bench_cmd->add_option("--brokers", bench.brokers,
                        "Benchmark against this broker (empty topics) instead of one in-process");
  std::string bench_stage = "ingest";
  SettlementBenchOptions settlement_bench;
  bench_cmd
      ->add_option("--stage", bench_stage,
                   "ingest: trades/s into RocksDB; settlement: settlement and variation margin of "
                   "--accounts (default 1000000) x --contracts open positions; offsetting: Rule "
                   "855 offsets and position limits of --accounts accounts in --owners owners")
      ->capture_default_str()
      ->check(CLI::IsMember({"ingest", "settlement", "offsetting"}));
  bench_cmd
      ->add_option("--contracts", settlement_bench.contracts,
                   "With --stage settlement: contracts per account (1..5)")
      ->capture_default_str();
  OffsetLimitsBenchOptions limits_bench;
  bench_cmd
      ->add_option("--owners", limits_bench.owners,
                   "With --stage offsetting: beneficial owners the accounts belong to")
      ->capture_default_str();

  // calendar
  CalendarCommandOptions calendar;
  auto* calendar_cmd = app.add_subcommand(
      "calendar",
      "A contract's calendar facts (last trade, termination, final settlement) as JSON");
  calendar_cmd->add_option("--contract", calendar.contract, "One contract, e.g. ESM23");
  calendar_cmd->add_option("--product", calendar.product,
                           "Every listed contract of a product whose month lies in --from..--to");
  calendar_cmd->add_option("--calendar", calendar.calendar,
                           "A calendar (NYSE, US, UK, HK); with --holidays lists its holidays");
  calendar_cmd->add_flag(
      "--holidays", calendar.holidays,
      "With --calendar: every weekday in --from..--to that is not a business day");
  calendar_cmd->add_option("--from", calendar.from, "First date, YYYY-MM-DD");
  calendar_cmd->add_option("--to", calendar.to, "Last date, YYYY-MM-DD");
  calendar_cmd->add_option("--refdata", refdata_dir, "Reference data folder")
      ->capture_default_str();

  // refdata check
  auto* refdata_cmd = app.add_subcommand("refdata", "Reference data tools");
  refdata_cmd->require_subcommand(1);
  auto* check_cmd = refdata_cmd->add_subcommand(
      "check", "Load and cross-check the reference data; change nothing");
  check_cmd->add_option("--refdata", refdata_dir, "Reference data folder")->capture_default_str();

  // limits study
  std::string supply_path;
  std::string limits_format = "text";
  auto* limits_cmd = app.add_subcommand("limits", "Position-limit tools");
  limits_cmd->require_subcommand(1);
  auto* study_cmd = limits_cmd->add_subcommand(
      "study",
      "Spot-month (1 %) and all-months (2 %) limits of USD/CNH futures from a monthly series of "
      "deliverable supply, by CME Submission 13-543 Exhibit 2");
  study_cmd
      ->add_option("--supply", supply_path,
                   "CSV of month,deliverable_supply_cnh,spot_rate_cnh_per_usd,source_note "
                   "(e.g. ops/limit_study/cnh_deliverable_supply.csv)")
      ->required();
  study_cmd->add_option("--format", limits_format, "Output: text, csv or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "csv", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : Code(ExitCode::kBadConfig);
  }

  if (run_cmd->parsed()) return Code(RunCommand(run));

  if (calendar_cmd->parsed()) {
    calendar.refdata_dir = refdata_dir;
    return Code(CalendarCommand(calendar, std::cout));
  }
  if (check_cmd->parsed()) return Code(RefdataCheckCommand(refdata_dir, std::cout));
  if (study_cmd->parsed()) return Code(LimitStudyCommand(supply_path, limits_format, std::cout));

  if (broker_cmd->parsed()) {
    if (Status s = ParseListen(listen, &broker); !s.ok()) return Report("broker", s);
    return BrokerCommand(broker, broker_control);
  }

  KafkaOptions kafka;
  kafka.brokers = brokers;
  if (Status s = ParseKafkaProperties(kafka_properties, &kafka); !s.ok()) {
    return Report(app.get_subcommands().front()->get_name(), s);
  }

  if (load_cmd->parsed()) {
    auto products =
        ProductCatalog::Load((std::filesystem::path(refdata_dir) / "products.csv").string());
    if (!products) return Report("load", products.error());
    auto report = LoadCsvToTopic(kafka, topic, file, *products, skip_bad, std::cerr);
    if (!report) return Report("load", report.error());
    std::cerr << "eodclear load: " << report->produced << " messages produced to " << topic
              << " from " << report->rows << " rows";
    if (report->skipped > 0) std::cerr << " (" << report->skipped << " malformed rows skipped)";
    std::cerr << "\n";
    return Code(report->skipped > 0 ? ExitCode::kCompletedWithDataErrors : ExitCode::kSuccess);
  }

  if (topics_cmd->parsed()) {
    topics_options.kafka = kafka;
    return Code(TopicsCommand(topics_options, std::cout, std::cerr));
  }

  if (dump_cmd->parsed()) {
    auto prototype = MessageForTopic(topic, type_name);
    if (!prototype) return Report("dump", prototype.error());
    auto n = DumpTopic(kafka, topic, **prototype, std::cout);
    if (!n) return Report("dump", n.error());
    std::cerr << "eodclear dump: " << *n << " messages from " << topic << "\n";
    return 0;
  }

  if (bench_cmd->parsed()) {
    bench.refdata_dir = refdata_dir;
    if (bench_stage == "settlement") {
      settlement_bench.refdata_dir = refdata_dir;
      if (bench_cmd->count("--accounts") > 0) settlement_bench.accounts = bench.accounts;
      return Code(SettlementBenchCommand(settlement_bench));
    }
    if (bench_stage == "offsetting") {
      limits_bench.refdata_dir = refdata_dir;
      if (bench_cmd->count("--accounts") > 0) limits_bench.accounts = bench.accounts;
      return Code(OffsetLimitsBenchCommand(limits_bench));
    }
    return Code(BenchCommand(bench));
  }
  return Code(ExitCode::kBadConfig);
}
