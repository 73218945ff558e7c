#include "pipeline/cli/bench_command.h"

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

#include "clearing/v1/trade.pb.h"
#include "pipeline/cli/temp_folder.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/kafka/dev_broker.h"
#include "pipeline/kafka/producer.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/refdata.h"
#include "pipeline/run_ledger.h"
#include "stages/ingest/ingest_stage.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

ExitCode Fail(const Status& s) {
  std::cerr << "eodclear bench: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

}  // namespace

ExitCode BenchCommand(const BenchOptions& options) {
  auto refdata = RefData::Load(options.refdata_dir);
  if (!refdata) return Fail(refdata.error());
  const ProductCatalog* products = &refdata->products;
  std::unique_ptr<DevBroker> broker;
  KafkaOptions kafka;
  kafka.brokers = options.brokers;
  if (kafka.brokers.empty()) {
    DevBrokerOptions bo;
    bo.partitions = options.partitions;
    auto started = DevBroker::Start(bo);
    if (!started) return Fail(started.error());
    broker = std::move(*started);
    kafka.brokers = broker->bootstrap_servers();
  }

  // Random valid trades over a handful of contracts; prices on the contract's tick.
  struct Instrument {
    const char* contract;
    int64_t base_ticks;
    const char* tick;
  };
  const Instrument instruments[] = {{"ESM23", 17600, "0.25"},
                                    {"NQM23", 58000, "0.25"},
                                    {"MESM23", 17600, "0.25"},
                                    {"RTYM23", 18000, "0.1"},
                                    {"YMM23", 33500, "1"}};
  std::mt19937_64 rng(42);
  Producer::Options po;
  po.kafka = kafka;
  auto producer = Producer::Create(po);
  if (!producer) return Fail(producer.error());
  std::cerr << "bench: producing " << options.trades << " trades to " << options.partitions
            << " partitions\n";
  Clock::time_point t0 = Clock::now();
  clearing::v1::Trade t;
  for (int64_t i = 0; i < options.trades; ++i) {
    const Instrument& inst = instruments[rng() % 5];
    auto tick = Decimal::Parse(inst.tick);
    Decimal price = *tick * (inst.base_ticks + static_cast<int64_t>(rng() % 200));
    t.set_trade_id("T" + std::to_string(i));
    t.set_trade_date("2023-06-16");
    t.set_exec_time("2023-06-16T14:" + std::to_string(10 + rng() % 50) + ":00-05:00");
    t.set_contract(inst.contract);
    t.set_price(price.ToString());
    t.set_quantity(1 + static_cast<int64_t>(rng() % 20));
    uint64_t a = rng() % static_cast<uint64_t>(options.accounts);
    uint64_t b = (a + 1 + rng() % static_cast<uint64_t>(options.accounts - 1)) %
                 static_cast<uint64_t>(options.accounts);
    t.mutable_buyer()->set_firm("F" + std::to_string(a % 20));
    t.mutable_buyer()->set_account("A" + std::to_string(a));
    t.mutable_seller()->set_firm("F" + std::to_string(b % 20));
    t.mutable_seller()->set_account("A" + std::to_string(b));
    // Spread keys so every partition gets its share (the broker caps a partition's size).
    std::string key = std::string(inst.contract) + "#" + std::to_string(i % 4096);
    if (Status s = (*producer)->Produce("trades", key, t.SerializeAsString()); !s.ok())
      return Fail(s);
  }
  if (Status s = (*producer)->Flush(); !s.ok()) return Fail(s);
  double produce_secs = Since(t0);
  producer->reset();

  // (1) A bare batch consumer: the rate the broker and librdkafka allow on this machine.
  BoundedConsumer::Options co;
  co.kafka = kafka;
  co.group_id = "eodclear-bench-raw";
  co.read_committed = false;
  auto consumer = BoundedConsumer::Create(co);
  if (!consumer) return Fail(consumer.error());
  auto ranges = (*consumer)->WholeTopic("trades");
  if (!ranges) return Fail(ranges.error());
  int64_t on_broker = 0;
  const size_t partitions = ranges->size();
  for (const PartitionRange& r : *ranges) {
    if (r.start > 0) {
      return Fail(
          Status::InvalidArgument("partition " + std::to_string(r.partition) +
                                  " overflowed the development broker; use more --partitions"));
    }
    on_broker += r.end;
  }
  if (Status s = (*consumer)->Assign(std::move(*ranges)); !s.ok()) return Fail(s);
  MessageBatch batch;
  int64_t raw_count = 0;
  size_t raw_bytes = 0;
  t0 = Clock::now();
  while (!(*consumer)->Done()) {
    if (Status s = (*consumer)->Poll(&batch); !s.ok()) return Fail(s);
    raw_count += static_cast<int64_t>(batch.size());
    for (const auto& m : batch.messages()) raw_bytes += m.value().size();
  }
  double raw_secs = Since(t0);
  batch.Clear();
  consumer->reset();

  // (2) The ingest stage into a fresh database.
  auto temp = TempFolder::Make("eodclear-bench");
  if (!temp) return Fail(temp.error());
  StateStoreOptions so;
  so.path = temp->path();
  double ingest_secs = 0;
  int64_t consumed = 0;
  {
    auto store = StateStore::Open(so);
    if (!store) return Fail(store.error());
    Metrics metrics;
    auto date = Date::Parse("2023-06-16");
    auto ledger = RunLedger::Load(store->get(), *date);
    if (!ledger) return Fail(ledger.error());
    std::ostringstream progress;
    RunContext ctx;
    ctx.business_date = *date;
    ctx.run_id = "bench";
    ctx.store = store->get();
    ctx.products = products;
    ctx.metrics = &metrics;
    ctx.ledger = &*ledger;
    ctx.progress = &progress;
    IngestOptions io;
    io.quotes_topic = "quotes";
    if (const char* e = std::getenv("EODCLEAR_BENCH_COMMIT"))
      io.commit_every_messages = std::stoul(e);
    IngestStage ingest(io, kafka);
    t0 = Clock::now();
    if (Status s = ingest.Run(ctx); !s.ok()) return Fail(s);
    ingest_secs = Since(t0);
    std::cerr << progress.str();
    consumed = ledger->state().messages_consumed();
    if (ledger->state().messages_rejected() != 0) {
      return Fail(Status::Internal("bench trades were rejected: " +
                                   std::to_string(ledger->state().messages_rejected())));
    }
  }

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double raw_rate = static_cast<double>(raw_count) / raw_secs;
  double ingest_rate = static_cast<double>(consumed) / ingest_secs;
  std::cout.setf(std::ios::fixed);
  std::cout.precision(0);
  std::cout << "trades on broker:          " << on_broker << " (" << partitions << " partitions, "
            << raw_bytes / (raw_count > 0 ? raw_count : 1) << " bytes each)\n"
            << "produce:                   " << static_cast<double>(options.trades) / produce_secs
            << " msg/s\n"
            << "bare batch consumer:       " << raw_rate << " msg/s (" << raw_count << " in "
            << std::setprecision(2) << raw_secs << " s)\n"
            << std::setprecision(0) << "ingest, exactly once:      " << ingest_rate << " trades/s ("
            << consumed << " in " << std::setprecision(2) << ingest_secs
            << " s, state and offsets per WriteBatch)\n"
            << "ingest / bare consumer:    " << ingest_rate / raw_rate << "\n"
            << "peak resident memory:      " << static_cast<double>(usage.ru_maxrss) / 1024.0
            << " MiB\n";
  return ExitCode::kSuccess;
}

}  // namespace eodclear
