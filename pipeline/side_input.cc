#include "pipeline/side_input.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <vector>

#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

Status ReadSideTopic(const KafkaOptions& kafka, const std::string& group_id,
                     const std::string& topic, const StateStore& store,
                     const std::function<void(const ConsumedMessage&, bool fresh)>& fn,
                     std::map<std::pair<std::string, int32_t>, int64_t>* next_offsets) {
  if (kafka.brokers.empty() || topic.empty()) return Status::Ok();
  BoundedConsumer::Options co;
  co.kafka = kafka;
  co.group_id = group_id;
  co.read_committed = true;
  EODCLEAR_ASSIGN_OR_RETURN(auto consumer, BoundedConsumer::Create(co));
  auto ranges = consumer->WholeTopic(topic);
  if (!ranges && ranges.error().code() == Status::Code::kNotFound) return Status::Ok();
  if (!ranges) return ranges.error();
  std::map<int32_t, int64_t> examined;  // partition -> first offset no earlier run examined
  for (const PartitionRange& r : *ranges) {
    EODCLEAR_ASSIGN_OR_RETURN(examined[r.partition], StoredOffset(store, topic, r.partition));
    (*next_offsets)[{topic, r.partition}] = r.end;
  }
  EODCLEAR_RETURN_IF_ERROR(consumer->Assign(std::move(*ranges)));
  MessageBatch batch;
  auto start = std::chrono::steady_clock::now();
  while (!consumer->Done()) {
    EODCLEAR_RETURN_IF_ERROR(consumer->Poll(&batch));
    for (const auto& m : batch.messages()) fn(m, m.offset() >= examined[m.partition()]);
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(120)) {
      return Status::Unavailable("reading " + topic + " did not finish in 120s");
    }
  }
  return Status::Ok();
}

Result<int64_t> StoredOffset(const StateStore& store, std::string_view topic, int32_t partition) {
  EODCLEAR_ASSIGN_OR_RETURN(auto stored,
                            store.Get(StateCf::kOffsets, keys::OffsetKey(topic, partition)));
  if (!stored) return int64_t{0};
  return keys::DecodeOffset(*stored);
}

void StageOffsets(const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets,
                  const StateStore& store, rocksdb::WriteBatch* batch) {
  for (const auto& [tp, next] : next_offsets) {
    batch->Put(store.cf(StateCf::kOffsets), keys::OffsetKey(tp.first, tp.second),
               keys::EncodeOffset(next));
  }
}

void StageDeadLetter(Date business_date, const ConsumedMessage& m,
                     clearing::v1::DeadLetter::Reason reason, std::string detail,
                     const StateStore& store, rocksdb::WriteBatch* batch) {
  StageDeadLetter(business_date, m.topic(), m.partition(), m.offset(), m.key(), m.value(), reason,
                  std::move(detail), store, batch);
}

void StageDeadLetter(Date business_date, std::string_view topic, int32_t partition, int64_t offset,
                     std::string_view key, std::string_view value,
                     clearing::v1::DeadLetter::Reason reason, std::string detail,
                     const StateStore& store, rocksdb::WriteBatch* batch) {
  clearing::v1::DeadLetter dl;
  dl.set_business_date(business_date.ToString());
  dl.set_source_topic(std::string(topic));
  dl.set_partition(partition);
  dl.set_offset(offset);
  dl.set_reason(reason);
  dl.set_detail(std::move(detail));
  dl.set_original_key(std::string(key));
  dl.set_original_value(std::string(value));
  batch->Put(store.cf(StateCf::kDeadLetters),
             keys::DatedSourceKey(business_date, {std::string(topic), partition, offset}),
             dl.SerializeAsString());
}

}  // namespace eodclear
