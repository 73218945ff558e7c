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

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Gauge>& stage_seconds_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& unknown_accounts_;
};

}  // namespace eodclear
