#include "pipeline/metrics.h"

namespace eodclear {

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      success_registry_(std::make_shared<prometheus::Registry>()),
      consumed_(prometheus::BuildCounter()
                    .Name("eodclear_messages_consumed_total")
                    .Help("Input messages consumed up to the run's cut-off")
                    .Register(*registry_)),
      rejected_(prometheus::BuildCounter()
                    .Name("eodclear_messages_rejected_total")
                    .Help("Input messages sent to the dead-letter topic, by reason")
                    .Register(*registry_)),
      published_(prometheus::BuildCounter()
                     .Name("eodclear_records_published_total")
                     .Help("Output records whose delivery the broker confirmed")
                     .Register(*registry_)),
      stage_seconds_(prometheus::BuildGauge()
                         .Name("eodclear_stage_duration_seconds")
                         .Help("Wall-clock duration of each stage of the last run")
                         .Register(*registry_)),
      lag_(prometheus::BuildGauge()
               .Name("eodclear_consumer_lag_messages")
               .Help("Messages between the stored offset and the high watermark at the cut-off")
               .Register(*registry_)),
      unknown_accounts_(prometheus::BuildGauge()
                            .Name("eodclear_unknown_accounts")
                            .Help("Accounts with positions that accounts.csv does not list")
                            .Register(*registry_)),
      settlement_tiers_(prometheus::BuildCounter()
                            .Name("eodclear_settlement_prices_total")
                            .Help("Settlement prices decided, by the tier that decided them")
                            .Register(*registry_)),
      final_settlements_(prometheus::BuildCounter()
                             .Name("eodclear_final_settlements_total")
                             .Help("Final settlement records, by status")
                             .Register(*registry_)),
      vm_paid_(prometheus::BuildCounter()
                   .Name("eodclear_variation_margin_paid_total")
                   .Help("Variation margin paid to firms with a positive total, by currency")
                   .Register(*registry_)),
      invariant_checks_(prometheus::BuildCounter()
                            .Name("eodclear_invariant_checks_total")
                            .Help("Invariant checks run before publishing, by result")
                            .Register(*registry_)),
      limit_findings_(prometheus::BuildCounter()
                          .Name("eodclear_position_limit_findings_total")
                          .Help("Position-limit findings, by kind")
                          .Register(*registry_)),
      offsets_(prometheus::BuildCounter()
                   .Name("eodclear_offsets_total")
                   .Help("Rule 855 offsets booked, by source")
                   .Register(*registry_)),
      run_exit_code_(prometheus::BuildGauge()
                         .Name("eodclear_run_exit_code")
                         .Help("Exit code of the run (0 ok, 1 data errors, 2-7 failures)")
                         .Register(*registry_)),
      run_success_(prometheus::BuildGauge()
                       .Name("eodclear_run_success")
                       .Help("1 when the run published its business date (exit 0 or 1), else 0")
                       .Register(*registry_)),
      run_business_date_(prometheus::BuildGauge()
                             .Name("eodclear_run_business_date_seconds")
                             .Help("Business date of the run, as unix time of its midnight UTC")
                             .Register(*registry_)),
      last_success_(prometheus::BuildGauge()
                        .Name("eodclear_last_success_timestamp_seconds")
                        .Help("Unix time at which the last successful run ended")
                        .Register(*success_registry_)) {}

void Metrics::SetRunOutcome(int exit_code, bool published, double business_date_seconds,
                            double now_seconds) {
  run_exit_code_.Add({}).Set(exit_code);
  run_success_.Add({}).Set(published ? 1 : 0);
  if (business_date_seconds > 0) run_business_date_.Add({}).Set(business_date_seconds);
  if (published) last_success_.Add({}).Set(now_seconds);
}

prometheus::Counter& Metrics::LimitFindings(std::string_view kind) {
  return limit_findings_.Add({{"kind", std::string(kind)}});
}

prometheus::Counter& Metrics::Offsets(std::string_view source) {
  return offsets_.Add({{"source", std::string(source)}});
}

prometheus::Counter& Metrics::SettlementTier(std::string_view tier) {
  return settlement_tiers_.Add({{"tier", std::string(tier)}});
}

prometheus::Counter& Metrics::FinalSettlementStatus(std::string_view status) {
  return final_settlements_.Add({{"status", std::string(status)}});
}

prometheus::Counter& Metrics::VariationMarginTotal(std::string_view currency) {
  return vm_paid_.Add({{"currency", std::string(currency)}});
}

void Metrics::InvariantCheck(std::string_view invariant, bool passed) {
  invariant_checks_
      .Add({{"invariant", std::string(invariant)}, {"result", passed ? "pass" : "fail"}})
      .Increment();
}

prometheus::Counter& Metrics::Consumed(std::string_view topic) {
  return consumed_.Add({{"topic", std::string(topic)}});
}

prometheus::Counter& Metrics::Rejected(std::string_view topic, std::string_view reason) {
  return rejected_.Add({{"topic", std::string(topic)}, {"reason", std::string(reason)}});
}

prometheus::Counter& Metrics::Published(std::string_view topic) {
  return published_.Add({{"topic", std::string(topic)}});
}

void Metrics::SetStageSeconds(std::string_view stage, double seconds) {
  stage_seconds_.Add({{"stage", std::string(stage)}}).Set(seconds);
}

void Metrics::SetLagAtCutoff(std::string_view topic, int partition, double messages) {
  lag_.Add({{"topic", std::string(topic)}, {"partition", std::to_string(partition)}}).Set(messages);
}

void Metrics::SetUnknownAccounts(double accounts) { unknown_accounts_.Add({}).Set(accounts); }

}  // namespace eodclear
