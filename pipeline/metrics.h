#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

namespace eodclear {

// Every metric family eodclear exports, declared in this one place (Prometheus naming: `_total` for
// counters, `_seconds` for durations, base units). Made by main and passed to stages; thread-safe.
class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // eodclear_last_success_timestamp_seconds alone: pushed to its own Pushgateway group, only by a
  // successful run, so a failed run's push (which replaces the run's group) does not erase it.
  std::shared_ptr<prometheus::Registry> success_registry() const { return success_registry_; }

  // eodclear_messages_consumed_total{topic}: input messages read up to the cut-off.
  prometheus::Counter& Consumed(std::string_view topic);
  // eodclear_messages_rejected_total{topic,reason}: input messages sent to dead letters.
  prometheus::Counter& Rejected(std::string_view topic, std::string_view reason);
  // eodclear_records_published_total{topic}: output records whose delivery was confirmed.
  prometheus::Counter& Published(std::string_view topic);
  // eodclear_stage_duration_seconds{stage}: how long the stage took in this process.
  void SetStageSeconds(std::string_view stage, double seconds);
  // eodclear_consumer_lag_messages{topic,partition}: messages between the stored offset and the
  // high watermark when the run's cut-off was taken.
  void SetLagAtCutoff(std::string_view topic, int partition, double messages);
  // eodclear_unknown_accounts: accounts with positions that the reference data does not list.
  void SetUnknownAccounts(double accounts);
  // eodclear_settlement_prices_total{tier}: daily settlement prices decided, by tier (override,
  // vwap, bid_ask, curve_fit, interpolated, carried, parent, final).
  prometheus::Counter& SettlementTier(std::string_view tier);
  // eodclear_final_settlements_total{status}: final settlement records (SETTLED, AWAITING,
  // OVERRIDDEN).
  prometheus::Counter& FinalSettlementStatus(std::string_view status);
  // eodclear_variation_margin_paid_total{currency}: variation margin paid to firms with a positive
  // total (equal to what is collected from the others), in the currency's units.
  prometheus::Counter& VariationMarginTotal(std::string_view currency);
  // eodclear_invariant_checks_total{invariant,result}: invariant checks run, by result (pass,
  // fail).
  void InvariantCheck(std::string_view invariant, bool passed);
  // eodclear_position_limit_findings_total{kind}: findings (spot_month, single_month, all_months,
  // accountability).
  prometheus::Counter& LimitFindings(std::string_view kind);
  // eodclear_offsets_total{source}: Rule 855 offsets booked (auto, instruction).
  prometheus::Counter& Offsets(std::string_view source);
  // The end of a run: eodclear_run_exit_code (the exit code, see pipeline/cli/exit_codes.h),
  // eodclear_run_success (1 when the date is published: exit 0 or 1),
  // eodclear_run_business_date_seconds (the business date's midnight UTC, unix seconds) and, on
  // success, eodclear_last_success_timestamp_seconds (unix seconds when the run ended).
  void SetRunOutcome(int exit_code, bool published, double business_date_seconds,
                     double now_seconds);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Registry> success_registry_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Gauge>& stage_seconds_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& unknown_accounts_;
  prometheus::Family<prometheus::Counter>& settlement_tiers_;
  prometheus::Family<prometheus::Counter>& final_settlements_;
  prometheus::Family<prometheus::Counter>& vm_paid_;
  prometheus::Family<prometheus::Counter>& invariant_checks_;
  prometheus::Family<prometheus::Counter>& limit_findings_;
  prometheus::Family<prometheus::Counter>& offsets_;
  prometheus::Family<prometheus::Gauge>& run_exit_code_;
  prometheus::Family<prometheus::Gauge>& run_success_;
  prometheus::Family<prometheus::Gauge>& run_business_date_;
  prometheus::Family<prometheus::Gauge>& last_success_;
};

}  // namespace eodclear
