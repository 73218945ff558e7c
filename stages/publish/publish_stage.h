#pragma once

#include <string>
#include <vector>

#include "pipeline/house_accounts.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/stage.h"

namespace eodclear {

struct PublishOptions {
  std::string positions_topic = "positions";
  std::string dead_letters_topic = "dead-letters";
  std::string eod_runs_topic = "eod-runs";
  // Topics of the records other stages leave in the outbox; each is summarised in the run record
  // even when the date has none. Records of other topics in the outbox are published too.
  std::vector<std::string> outbox_topics = {"settlement-prices", "variation-margin",
                                            "final-settlements"};
  // Stable across restarts of this instance, so Kafka fences a crashed predecessor's transaction.
  std::string transactional_id = "eodclear-publish";
  // The clearing house's own accounts (firm, account): never reported as unknown accounts.
  std::vector<std::pair<std::string, std::string>> house_accounts = DefaultHouseAccounts();
  // Consumer group used to read `eod-runs` (nothing is committed with it).
  std::string consumer_group = "eodclear-publish-check";
};

// Stage "publish": the only stage that writes results to Kafka. Follows the run-id protocol:
//  1. reads `eod-runs` (read_committed, up to its high watermark); when the business date already
//     has a record, the date was published (perhaps by an attempt that crashed before its
//     checkpoint): it records that run id and publishes nothing;
//  2. otherwise, in one Kafka transaction, produces every end-of-day record of the date, each
//     carrying this attempt's run id; waits for every delivery report; then produces the date's
//     EodRun record (counts and checksums per topic) as the transaction's last record; commits;
//  3. checkpoints the published run id and the stage, synced.
// Downstream consumers take exactly the records whose run id the date's EodRun names.
class PublishStage : public Stage {
 public:
  PublishStage(PublishOptions options, KafkaOptions kafka)
      : options_(std::move(options)), kafka_(std::move(kafka)) {}
  std::string_view name() const override { return "publish"; }
  Status Run(RunContext& ctx) override;
  // Keeps the Kafka keys of the date's published positions and outbox records (column family
  // `retractions`), so the correction retracts those it no longer has.
  Status PrepareCorrection(RunContext& ctx, rocksdb::WriteBatch* batch) override;

 private:
  PublishOptions options_;
  KafkaOptions kafka_;
};

}  // namespace eodclear
