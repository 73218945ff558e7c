#include "pipeline/cli/settlement_bench.h"

#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "eodclear/state/v1/state.pb.h"
#include "pipeline/cli/temp_folder.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/refdata.h"
#include "pipeline/run_ledger.h"
#include "pipeline/runner/eod_runner.h"
#include "stages/offsetting/offsetting_stage.h"
#include "stages/position_limits/position_limits_stage.h"
#include "stages/settlement/settlement_stage.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

namespace fs = std::filesystem;
namespace pb_state = eodclear::state::v1;
using Clock = std::chrono::steady_clock;

ExitCode Fail(const Status& s) {
  std::cerr << "eodclear bench: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct BenchContract {
  const char* symbol;
  const char* bid;
  const char* ask;
  const char* prior;
  const char* trade_price;
};

// Contracts that do not expire on the bench date (2023-06-14), with quotes on their ticks.
constexpr BenchContract kContracts[] = {
    {"ESU23", "4410.25", "4410.50", "4400.00", "4405.75"},
    {"NQU23", "15120.50", "15120.75", "15100.00", "15110.25"},
    {"RTYU23", "1870.1", "1870.2", "1860.0", "1865.5"},
    {"YMU23", "34300", "34301", "34250", "34280"},
    {"CNHU23", "7.1320", "7.1322", "7.1300", "7.1311"},
};

}  // namespace

ExitCode SettlementBenchCommand(const SettlementBenchOptions& options) {
  if (options.accounts < 2 || options.accounts % 2 != 0) {
    return Fail(Status::InvalidArgument("--accounts must be an even number >= 2"));
  }
  if (options.contracts < 1 || options.contracts > 5) {
    return Fail(Status::InvalidArgument("--contracts must be 1..5"));
  }
  auto refdata = RefData::Load(options.refdata_dir);
  if (!refdata) return Fail(refdata.error());
  auto temp = TempFolder::Make("eodclear-bench-settlement");
  if (!temp) return Fail(temp.error());
  const std::string dir = temp->path();

  StateStoreOptions so;
  so.path = dir;
  auto store = StateStore::Open(so);
  if (!store) return Fail(store.error());
  const Date date = *Date::Parse("2023-06-14");
  const std::string date_text = date.ToString();

  // Pairs of accounts hold equal and opposite positions; every tenth pair traded one lot today.
  Clock::time_point setup = Clock::now();
  rocksdb::WriteBatch batch;
  int64_t positions = 0;
  auto flush = [&]() -> Status {
    Status s = (*store)->Write(&batch, false);
    batch.Clear();
    return s;
  };
  pb_state::PositionState s;
  for (int c = 0; c < options.contracts; ++c) {
    const BenchContract& bc = kContracts[c];
    for (int64_t i = 0; i < options.accounts; i += 2) {
      int64_t q = (i / 2) % 7 + 1;
      bool traded = (i / 2) % 10 == 0;
      for (int side = 0; side < 2; ++side) {
        int64_t sign = side == 0 ? 1 : -1;
        s.Clear();
        s.set_net_quantity(sign * (q + (traded ? 1 : 0)));
        if (traded) {
          s.set_activity_date(date_text);
          s.set_bought(side == 0 ? 1 : 0);
          s.set_sold(side == 0 ? 0 : 1);
          s.set_buy_value(side == 0 ? bc.trade_price : "0");
          s.set_sell_value(side == 0 ? "0" : bc.trade_price);
        } else {
          s.set_activity_date("2023-06-13");
          s.set_buy_value("0");
          s.set_sell_value("0");
        }
        std::string account = "ACC" + std::to_string(i + side);
        std::string firm = "F" + std::to_string((i + side) % 50);
        batch.Put((*store)->cf(StateCf::kPositions), keys::PositionKey(firm, account, bc.symbol),
                  s.SerializeAsString());
        ++positions;
      }
      if (batch.Count() >= 200000) {
        if (Status st = flush(); !st.ok()) return Fail(st);
      }
    }
    pb_state::QuoteState quote;
    quote.set_time(date_text + "T14:59:50-05:00");
    quote.set_bid(bc.bid);
    quote.set_bid_size(10);
    quote.set_ask(bc.ask);
    quote.set_ask_size(10);
    batch.Put((*store)->cf(StateCf::kQuotes), keys::ContractDayKey(date, bc.symbol),
              quote.SerializeAsString());
  }
  if (Status st = flush(); !st.ok()) return Fail(st);
  std::cerr << "bench: wrote " << positions << " positions in "
            << std::chrono::duration<double>(Clock::now() - setup).count() << " s\n";

  SettlementOptions settlement;
  for (int c = 0; c < options.contracts; ++c) {
    clearing::v1::SettlementOverride o;
    o.set_business_date("2023-06-13");
    o.set_contract(kContracts[c].symbol);
    o.set_kind(clearing::v1::SettlementOverride::DAILY);
    o.set_price(kContracts[c].prior);
    o.set_reason("bench prior");
    o.set_entered_by("bench");
    settlement.file_overrides.push_back(o);
  }
  Metrics metrics;
  std::ostringstream progress;
  RunContext ctx =
      MakeRunContext(*refdata, store->get(), date, NewRunId(date, 1), &metrics, &progress);
  SettlementStage stage(settlement, KafkaOptions{});
  double rss_before = PeakRssMiB();
  Clock::time_point t0 = Clock::now();
  auto outcome = RunEndOfDay(ctx, {&stage});
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!outcome) return Fail(outcome.error());
  std::cerr << progress.str();

  int64_t outbox = 0;
  Status counted = (*store)->ScanPrefix(StateCf::kOutbox, keys::OutboxPrefix(date),
                                        [&](std::string_view, std::string_view) {
                                          ++outbox;
                                          return true;
                                        });
  if (!counted.ok()) return Fail(counted);
  std::cout << "settlement bench: " << options.accounts << " accounts x " << options.contracts
            << " contracts = " << positions << " positions\n"
            << "  settlement stage: " << seconds << " s ("
            << static_cast<int64_t>(static_cast<double>(positions) / seconds) << " positions/s), "
            << outbox << " outbox records\n"
            << "  peak memory: " << PeakRssMiB() << " MiB (" << rss_before
            << " MiB before the stage)\n";
  return ExitCode::kSuccess;
}

}  // namespace eodclear

namespace eodclear {

ExitCode OffsetLimitsBenchCommand(const OffsetLimitsBenchOptions& options) {
  if (options.accounts < 2 || options.accounts % 2 != 0 || options.owners < 1 ||
      options.owners > options.accounts) {
    return Fail(Status::InvalidArgument(
        "--accounts must be even and >= 2, and --owners between 1 and --accounts"));
  }
  auto temp = TempFolder::Make("eodclear-bench-limits");
  if (!temp) return Fail(temp.error());
  const std::string dir = temp->path();
  // Reference data: the shipped folder with the bench's accounts (every account auto-offset).
  fs::path refdir = fs::path(dir) / "refdata";
  fs::create_directories(refdir);
  for (const auto& entry : fs::directory_iterator(options.refdata_dir)) {
    if (entry.path().extension() == ".csv")
      fs::copy_file(entry.path(), refdir / entry.path().filename());
  }
  {
    std::ofstream accounts(refdir / "accounts.csv", std::ios::trunc);
    accounts << "account,firm,owner,origin,auto_offset\n";
    for (int64_t i = 0; i < options.accounts; ++i) {
      accounts << "ACC" << i << ",F" << i % 50 << ",OWNER" << i % options.owners
               << ",customer,true\n";
    }
    std::ofstream exemptions(refdir / "exemptions.csv", std::ios::trunc);
    exemptions << "owner,product,kind,quantity,valid_from,valid_to\n";
  }
  Clock::time_point loading = Clock::now();
  auto refdata = RefData::Load(refdir.string());
  if (!refdata) return Fail(refdata.error());
  std::cerr << "bench: reference data with " << options.accounts << " accounts loaded in "
            << std::chrono::duration<double>(Clock::now() - loading).count() << " s\n";

  StateStoreOptions so;
  so.path = (fs::path(dir) / "state").string();
  auto store = StateStore::Open(so);
  if (!store) return Fail(store.error());
  const Date date = *Date::Parse("2023-06-14");

  // Pairs of accounts hold mirror positions: long 25 MMC / short 2 ME (offsets 20 : 2, 5 MMC
  // remain) against short 25 MMC / long 2 ME; 30 CNH and 40 MNH long against short.
  Clock::time_point setup = Clock::now();
  rocksdb::WriteBatch batch;
  int64_t positions = 0;
  pb_state::PositionState s;
  struct Holding {
    const char* contract;
    int64_t quantity;
  };
  constexpr Holding kHoldings[] = {{"MMCU23", 25}, {"MEU23", -2}, {"CNHU23", 30}, {"MNHU23", 40}};
  for (int64_t i = 0; i < options.accounts; ++i) {
    int64_t sign = i % 2 == 0 ? 1 : -1;
    for (const Holding& h : kHoldings) {
      s.Clear();
      s.set_net_quantity(sign * h.quantity);
      s.set_activity_date("2023-06-13");
      s.set_buy_value("0");
      s.set_sell_value("0");
      batch.Put(
          (*store)->cf(StateCf::kPositions),
          keys::PositionKey("F" + std::to_string(i % 50), "ACC" + std::to_string(i), h.contract),
          s.SerializeAsString());
      ++positions;
    }
    if (batch.Count() >= 200000) {
      Status st = (*store)->Write(&batch, false);
      if (!st.ok()) return Fail(st);
      batch.Clear();
    }
  }
  if (Status st = (*store)->Write(&batch, false); !st.ok()) return Fail(st);
  std::cerr << "bench: wrote " << positions << " positions in "
            << std::chrono::duration<double>(Clock::now() - setup).count() << " s\n";

  Metrics metrics;
  std::ostringstream progress;
  RunContext ctx =
      MakeRunContext(*refdata, store->get(), date, NewRunId(date, 1), &metrics, &progress);
  OffsettingStage offsetting(OffsettingOptions{}, KafkaOptions{});
  PositionLimitsStage limits(PositionLimitsOptions{});
  double rss_before = PeakRssMiB();
  Clock::time_point t0 = Clock::now();
  auto outcome = RunEndOfDay(ctx, {&offsetting, &limits});
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!outcome) return Fail(outcome.error());
  std::cerr << progress.str();
  auto ledger = RunLedger::Load(store->get(), date);
  if (!ledger) return Fail(ledger.error());
  const auto& times = ledger->state().stage_seconds();
  std::cout << "offsetting and limits bench: " << options.accounts << " accounts, "
            << options.owners << " owners, " << positions << " positions\n"
            << "  offsetting: " << times.at("offsetting")
            << " s, position limits: " << times.at("position_limits") << " s, together " << seconds
            << " s\n"
            << "  peak memory: " << PeakRssMiB() << " MiB (" << rss_before
            << " MiB before the stages, reference data included)\n";
  return ExitCode::kSuccess;
}

}  // namespace eodclear
