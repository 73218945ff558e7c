#include "stages/publish/publish_stage.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <unordered_set>
#include <vector>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/eod_run.pb.h"
#include "clearing/v1/position.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/crash_point.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/kafka/producer.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/account_directory.h"
#include "pipeline/run_ledger.h"
#include "stages/publish/record_checksum.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {
namespace {

using Clock = std::chrono::steady_clock;

struct OutRecord {
  std::string topic;
  std::string key;
  std::string value;
};

// The date's EodRun record already on the topic, if any (the latest one for the date).
Result<std::optional<clearing::v1::EodRun>> FindPublishedRun(const KafkaOptions& kafka,
                                                             const PublishOptions& options,
                                                             Date date) {
  BoundedConsumer::Options co;
  co.kafka = kafka;
  co.group_id = options.consumer_group;
  co.read_committed = true;
  EODCLEAR_ASSIGN_OR_RETURN(auto consumer, BoundedConsumer::Create(co));
  auto ranges = consumer->WholeTopic(options.eod_runs_topic);
  if (!ranges && ranges.error().code() == Status::Code::kNotFound) {
    return std::optional<clearing::v1::EodRun>();
  }
  if (!ranges) return Err(ranges.error());
  EODCLEAR_RETURN_IF_ERROR(consumer->Assign(std::move(*ranges)));
  std::optional<clearing::v1::EodRun> found;
  const std::string wanted = date.ToString();
  MessageBatch batch;
  Clock::time_point start = Clock::now();
  while (!consumer->Done()) {
    EODCLEAR_RETURN_IF_ERROR(consumer->Poll(&batch));
    for (const auto& m : batch.messages()) {
      if (m.key() != wanted) continue;
      clearing::v1::EodRun run;
      if (!run.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) {
        return Err(Status::DataError(options.eod_runs_topic + "[" + std::to_string(m.partition()) +
                                     "]@" + std::to_string(m.offset()) + ": record for " + wanted +
                                     " is not a clearing.v1.EodRun"));
      }
      found = std::move(run);
    }
    if (std::chrono::duration<double>(Clock::now() - start).count() > 120) {
      return Err(
          Status::Unavailable("reading " + options.eod_runs_topic + " did not finish in 120s"));
    }
  }
  return found;
}

// `value` with its message's field 2, `run_id`, set to `run_id`. Every output message declares
// `string run_id = 2`; the outbox holds records without it. A protobuf parser merges concatenated
// encodings and takes the last value of a scalar field, so appending the encoded field sets it.
std::string WithRunId(std::string_view value, const std::string& run_id) {
  std::string out(value);
  out.push_back(static_cast<char>((2 << 3) | 2));  // field 2, length-delimited
  for (uint64_t n = run_id.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  out.append(run_id);
  return out;
}

// Kafka key of a positions record: stable per date and position, so compaction keeps the latest.
std::string PositionRecordKey(const std::string& date_text, const keys::PositionKeyParts& key) {
  return date_text + "|" + key.firm + "|" + key.account + "|" + key.contract;
}

Status Produce(Producer* producer, const OutRecord& r) {
  return producer->Produce(r.topic, r.key, r.value);
}

// Records in the ledger that `run_id` is the date's publication; a correction in progress ends,
// and its retractions go.
Status FinishPublication(RunContext& ctx, const std::string& run_id, rocksdb::WriteBatch* batch) {
  auto* rs = ctx.ledger->mutable_state();
  if (!rs->correcting_run_id().empty()) {
    rs->clear_correcting_run_id();
    EODCLEAR_RETURN_IF_ERROR(
        ctx.store->StageDeleteDate(StateCf::kRetractions, ctx.business_date, batch));
  }
  rs->set_published_run_id(run_id);
  return Status::Ok();
}

}  // namespace

Status PublishStage::PrepareCorrection(RunContext& ctx, rocksdb::WriteBatch* batch) {
  const Date date = ctx.business_date;
  const std::string date_text = date.ToString();
  auto* cf = ctx.store->cf(StateCf::kRetractions);
  EODCLEAR_RETURN_IF_ERROR(ctx.store->StageDeleteDate(StateCf::kRetractions, date, batch));
  // Positions as published: every open position at the end of the date.
  EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanMessages<eodclear::state::v1::PositionState>(
      StateCf::kPositions, "",
      [&](std::string_view k, const eodclear::state::v1::PositionState& s) -> Status {
        if (s.net_quantity() == 0) return Status::Ok();
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        return StateStore::FromRocks(
            batch->Put(cf,
                       keys::RetractionKey(date, options_.positions_topic,
                                           PositionRecordKey(date_text, key)),
                       ""),
            "keeping a retraction");
      }));
  // Every record the other stages left in the outbox.
  Status bad;
  EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanPrefix(
      StateCf::kOutbox, keys::OutboxPrefix(date), [&](std::string_view k, std::string_view) {
        auto key = keys::ParseOutboxKey(k);
        if (!key) {
          bad = key.error();
          return false;
        }
        batch->Put(cf, keys::RetractionKey(date, key->topic, key->record_key), "");
        return true;
      }));
  return bad;
}

Status PublishStage::Run(RunContext& ctx) {
  Clock::time_point started = Clock::now();
  const Date date = ctx.business_date;
  const std::string date_text = date.ToString();

  // The producer registers its transactional id first: on Kafka that fences a crashed attempt's
  // producer and aborts the transaction it left open, so the read of eod-runs below (read
  // committed) is not held up by it and cannot see an uncommitted run marker.
  Producer::Options po;
  po.kafka = kafka_;
  po.transactional_id = options_.transactional_id;
  EODCLEAR_ASSIGN_OR_RETURN(auto producer, Producer::Create(po));
  EODCLEAR_RETURN_IF_ERROR(producer->InitTransactions());

  // A correction replaces the publication of `correcting`; otherwise this is the date's first.
  const std::string correcting = ctx.ledger->state().correcting_run_id();
  EODCLEAR_ASSIGN_OR_RETURN(auto published, FindPublishedRun(kafka_, options_, date));
  if (published && !correcting.empty() && published->run_id() != correcting &&
      published->corrects_run_id() != correcting) {
    return Status::FailedPrecondition(
        options_.eod_runs_topic + " names run " + published->run_id() + " for " + date_text +
        ", neither the publication being corrected (" + correcting + ") nor a correction of it");
  }
  const bool done = published && (correcting.empty() || published->run_id() != correcting);
  if (done) {
    *ctx.progress << "publish: " << date_text << " was already published by run "
                  << published->run_id() << "; nothing published again\n";
    rocksdb::WriteBatch batch;
    EODCLEAR_RETURN_IF_ERROR(FinishPublication(ctx, published->run_id(), &batch));
    return CompleteStage(ctx, name(), std::chrono::duration<double>(Clock::now() - started).count(),
                         &batch);
  }

  // Every record of the date, read from state, in key order.
  std::vector<OutRecord> records;
  RecordChecksum positions_sum, dead_letters_sum;
  std::set<std::string> unknown_accounts;
  const std::set<std::pair<std::string, std::string>> house(options_.house_accounts.begin(),
                                                            options_.house_accounts.end());
  EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanMessages<eodclear::state::v1::PositionState>(
      StateCf::kPositions, "",
      [&](std::string_view k, const eodclear::state::v1::PositionState& s) -> Status {
        bool traded_today = s.activity_date() == date_text;
        if (s.net_quantity() == 0 && !traded_today) return Status::Ok();
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        if (ctx.accounts != nullptr && ctx.accounts->Find(key.account) == nullptr &&
            !house.contains({key.firm, key.account})) {
          unknown_accounts.insert(key.account);
        }
        if (s.net_quantity() == 0) return Status::Ok();
        clearing::v1::Position p;
        p.set_business_date(date_text);
        p.set_run_id(ctx.run_id);
        p.set_firm(key.firm);
        p.set_account(key.account);
        p.set_contract(key.contract);
        p.set_quantity(s.net_quantity());
        if (traded_today) {
          p.set_bought(s.bought());
          p.set_sold(s.sold());
        }
        OutRecord r{options_.positions_topic, PositionRecordKey(date_text, key),
                    p.SerializeAsString()};
        positions_sum.Add(r.value);
        records.push_back(std::move(r));
        return Status::Ok();
      }));
  EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanMessages<clearing::v1::DeadLetter>(
      StateCf::kDeadLetters, keys::DatePrefix(date),
      [&](std::string_view, const clearing::v1::DeadLetter& stored) -> Status {
        clearing::v1::DeadLetter dl = stored;
        dl.set_run_id(ctx.run_id);
        OutRecord r{options_.dead_letters_topic,
                    dl.source_topic() + "|" + std::to_string(dl.partition()) + "|" +
                        std::to_string(dl.offset()),
                    dl.SerializeAsString()};
        dead_letters_sum.Add(r.value);
        records.push_back(std::move(r));
        return Status::Ok();
      }));

  // Records the other stages left in the outbox for this date, each given this attempt's run id.
  std::map<std::string, RecordChecksum> outbox_sums;
  for (const auto& topic : options_.outbox_topics) outbox_sums[topic];
  Status bad_outbox;
  EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanPrefix(
      StateCf::kOutbox, keys::OutboxPrefix(date), [&](std::string_view k, std::string_view v) {
        auto key = keys::ParseOutboxKey(k);
        if (!key) {
          bad_outbox = key.error();
          return false;
        }
        OutRecord r{key->topic, key->record_key, WithRunId(v, ctx.run_id)};
        outbox_sums[r.topic].Add(r.value);
        records.push_back(std::move(r));
        return true;
      }));
  EODCLEAR_RETURN_IF_ERROR(bad_outbox);

  EODCLEAR_RETURN_IF_ERROR(producer->BeginTransaction());
  auto abort_with = [&](Status s) {
    Status aborted = producer->AbortTransaction();
    if (!aborted.ok()) *ctx.progress << "publish: abort failed too: " << aborted.ToString() << "\n";
    return s;
  };
  *ctx.progress << "publish: producing " << records.size() << " records for " << date_text
                << " under run " << ctx.run_id << "\n";
  for (const auto& r : records) {
    Status s = Produce(producer.get(), r);
    if (!s.ok()) return abort_with(s);
  }
  // A correction retracts the keys of the corrected publication that it no longer has.
  std::map<std::string, int64_t> retracted;
  if (!correcting.empty()) {
    std::map<std::string, std::unordered_set<std::string_view>, std::less<>> produced;
    for (const auto& r : records) produced[r.topic].insert(r.key);
    Status bad_retraction;
    EODCLEAR_RETURN_IF_ERROR(ctx.store->ScanPrefix(
        StateCf::kRetractions, keys::DatePrefix(date), [&](std::string_view k, std::string_view) {
          auto key = keys::ParseOutboxKey(k);
          if (!key) {
            bad_retraction = key.error();
            return false;
          }
          auto it = produced.find(key->topic);
          if (it != produced.end() && it->second.contains(key->record_key)) return true;
          bad_retraction = producer->ProduceTombstone(key->topic, key->record_key);
          if (!bad_retraction.ok()) return false;
          ++retracted[key->topic];
          return true;
        }));
    if (!bad_retraction.ok()) return abort_with(bad_retraction);
  }
  // Only once every record's delivery is confirmed does the run marker follow.
  if (Status s = producer->Flush(); !s.ok()) return abort_with(s);

  clearing::v1::EodRun run;
  run.set_business_date(date_text);
  run.set_run_id(ctx.run_id);
  const auto& rs = ctx.ledger->state();
  run.set_status(rs.messages_rejected() > 0 ? clearing::v1::EodRun::SUCCEEDED_WITH_DATA_ERRORS
                                            : clearing::v1::EodRun::SUCCEEDED);
  run.set_messages_consumed(rs.messages_consumed());
  run.set_messages_rejected(rs.messages_rejected());
  for (const auto& account : unknown_accounts) run.add_unknown_accounts(account);
  ctx.metrics->SetUnknownAccounts(static_cast<double>(unknown_accounts.size()));
  struct Summary {
    const std::string& topic;
    const RecordChecksum& sum;
  };
  std::vector<Summary> summaries = {Summary{options_.positions_topic, positions_sum},
                                    Summary{options_.dead_letters_topic, dead_letters_sum}};
  for (const auto& [topic, sum] : outbox_sums) summaries.push_back(Summary{topic, sum});
  for (const Summary& s : summaries) {
    auto* t = run.add_topics();
    t->set_topic(s.topic);
    t->set_records(s.sum.count());
    t->set_checksum(s.sum.Hex());
    if (auto it = retracted.find(s.topic); it != retracted.end()) t->set_retracted(it->second);
  }
  run.set_corrects_run_id(correcting);
  for (const auto& stage : rs.completed_stages()) {
    auto* st = run.add_stages();
    st->set_stage(stage);
    auto it = rs.stage_seconds().find(stage);
    st->set_seconds(it == rs.stage_seconds().end() ? 0.0 : it->second);
  }
  auto* own = run.add_stages();
  own->set_stage(std::string(name()));
  own->set_seconds(std::chrono::duration<double>(Clock::now() - started).count());
  if (Status s = Produce(producer.get(),
                         OutRecord{options_.eod_runs_topic, date_text, run.SerializeAsString()});
      !s.ok()) {
    return abort_with(s);
  }
  if (Status s = producer->Flush(); !s.ok()) return abort_with(s);
  CrashPoint("publish:before-commit");
  if (Status s = producer->CommitTransaction(); !s.ok()) return abort_with(s);
  CrashPoint("publish:after-commit");

  ctx.metrics->Published(options_.positions_topic)
      .Increment(static_cast<double>(positions_sum.count()));
  ctx.metrics->Published(options_.dead_letters_topic)
      .Increment(static_cast<double>(dead_letters_sum.count()));
  for (const auto& [topic, sum] : outbox_sums) {
    ctx.metrics->Published(topic).Increment(static_cast<double>(sum.count()));
  }
  ctx.metrics->Published(options_.eod_runs_topic).Increment();
  *ctx.progress << "publish: committed " << positions_sum.count() << " positions, "
                << dead_letters_sum.count() << " dead letters, ";
  for (const auto& [topic, sum] : outbox_sums) *ctx.progress << sum.count() << " " << topic << ", ";
  *ctx.progress << "and the run marker of " << date_text;
  if (!correcting.empty()) {
    int64_t total = 0;
    for (const auto& [topic, n] : retracted) total += n;
    *ctx.progress << ", a correction of run " << correcting << " retracting " << total
                  << " records";
  }
  *ctx.progress << "\n";

  rocksdb::WriteBatch batch;
  EODCLEAR_RETURN_IF_ERROR(FinishPublication(ctx, ctx.run_id, &batch));
  return CompleteStage(ctx, name(), std::chrono::duration<double>(Clock::now() - started).count(),
                       &batch);
}

}  // namespace eodclear
