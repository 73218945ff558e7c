#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "clearing/v1/dead_letter.pb.h"
#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/kafka/kafka_options.h"

namespace rocksdb {
class WriteBatch;
}

namespace eodclear {

class StateStore;

// A small keyed input topic that a stage reads in full at every run (reference prices, settlement
// overrides, offset instructions): every message from the low to the high watermark, read
// committed. `fresh` is true for messages at or past the offsets stored in the `offsets` column
// family for the topic — those no earlier completed stage examined — so a malformed message is
// dead-lettered once, by the first run that reads it. `next_offsets` receives each partition's high
// watermark, to be stored with the stage's checkpoint. Empty brokers or topic read nothing; a
// missing topic is empty. kUnavailable when reading does not finish in two minutes.
Status ReadSideTopic(const KafkaOptions& kafka, const std::string& group_id,
                     const std::string& topic, const StateStore& store,
                     const std::function<void(const ConsumedMessage&, bool fresh)>& fn,
                     std::map<std::pair<std::string, int32_t>, int64_t>* next_offsets);

// The next offset to consume (ingest) or to examine (side topics) of topic[partition] as stored in
// the `offsets` column family; 0 when none is stored.
Result<int64_t> StoredOffset(const StateStore& store, std::string_view topic, int32_t partition);

// Stores `next_offsets` (topic, partition -> next offset) in `batch`: the offsets ReadSideTopic
// returned, in the stage's last batch, or ingest's consumed offsets with the batch they belong to.
void StageOffsets(const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets,
                  const StateStore& store, rocksdb::WriteBatch* batch);

// Puts a dead letter of `business_date` for the message at topic[partition]@offset in `batch`
// (column family `dead_letters`; the publish stage publishes it).
void StageDeadLetter(Date business_date, const ConsumedMessage& m,
                     clearing::v1::DeadLetter::Reason reason, std::string detail,
                     const StateStore& store, rocksdb::WriteBatch* batch);

// The same for a message whose coordinates and bytes were kept.
void StageDeadLetter(Date business_date, std::string_view topic, int32_t partition, int64_t offset,
                     std::string_view key, std::string_view value,
                     clearing::v1::DeadLetter::Reason reason, std::string detail,
                     const StateStore& store, rocksdb::WriteBatch* batch);

}  // namespace eodclear
