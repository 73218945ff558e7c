#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace eodclear {

// The column families of the state database. Names are persisted: do not rename; add new ones.
enum class StateCf {
  kDefault = 0,    // "default": format version
  kOffsets,        // "offsets": next offset per input partition
  kPositions,      // "positions": per account and contract
  kContractDays,   // "contract_days": per date and contract trade statistics
  kQuotes,         // "quotes": per date and contract latest quote
  kDayTrades,      // "day_trades": per date and contract, blocks of trade prints
  kTradeIds,       // "trade_ids": per trade date, blocks of applied trade ids
  kPendingTrades,  // "pending_trades": trades held for a later trade date
  kDeadLetters,    // "dead_letters": rejected messages per business date
  kRuns,           // "runs": per business date run state and stage checkpoints
  kSettlements,    // "settlements": per contract and date, the daily settlement price
  kOutbox,         // "outbox": per date, topic and key, records for the publish stage
  kStartOfDay,     // "start_of_day": per date, positions as they stood before settlement
  kRetractions,    // "retractions": per date, keys a correction must retract
};
inline constexpr int kStateCfCount = 14;
std::string_view StateCfName(StateCf cf);

struct StateStoreOptions {
  // Folder of the RocksDB database; created when missing.
  std::string path;
  // RocksDB background threads for flush and compaction.
  int background_threads = 2;
  // Memtable size per column family, in bytes.
  size_t write_buffer_bytes = 64u << 20;
};

// The one RocksDB database of an eodclear instance (storage/FORMAT.md). Converts every RocksDB
// error to Status here. Thread-safe as rocksdb::DB is; not copyable.
class StateStore {
 public:
  // Opens or creates the database and its column families and checks the format version: a
  // database written by a different format fails with kFailedPrecondition, untouched.
  static Result<std::unique_ptr<StateStore>> Open(const StateStoreOptions& options);

  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;
  ~StateStore();

  rocksdb::ColumnFamilyHandle* cf(StateCf which) const {
    return handles_[static_cast<size_t>(which)];
  }

  // The value of `key`, std::nullopt when absent.
  Result<std::optional<std::string>> Get(StateCf which, std::string_view key) const;

  // Applies `batch` atomically. `sync` fsyncs the write-ahead log before returning: use it for
  // stage checkpoints; batches without it survive a process crash but may be lost, together with
  // every later batch, by an operating-system crash (point-in-time recovery keeps a consistent
  // prefix).
  Status Write(rocksdb::WriteBatch* batch, bool sync);

  // Puts in `batch` the removal of every key of `date` in `which`, a column family whose keys start
  // with a date field (outbox, retractions, start_of_day, dead_letters...).
  Status StageDeleteDate(StateCf which, Date date, rocksdb::WriteBatch* batch) const;

  // An iterator over `which`; callers check it with IteratorStatus when done.
  std::unique_ptr<rocksdb::Iterator> NewIterator(StateCf which) const;
  static Status IteratorStatus(const rocksdb::Iterator& it);

  // Visits every key with `prefix` in order; `fn` returns false to stop early.
  template <typename Fn>
  Status ScanPrefix(StateCf which, std::string_view prefix, Fn&& fn) const {
    auto it = NewIterator(which);
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Next()) {
      if (!fn(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return IteratorStatus(*it);
  }

  // Visits every record with `prefix` whose value is a `Message` protobuf: `fn(key, message)`
  // returns a Status, and a non-OK one stops the scan and is returned. A value that does not parse
  // stops it with kInternal naming the column family.
  template <typename Message, typename Fn>
  Status ScanMessages(StateCf which, std::string_view prefix, Fn&& fn) const {
    Status result;
    Message message;
    Status scanned = ScanPrefix(which, prefix, [&](std::string_view k, std::string_view v) {
      if (!message.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        result = Status::Internal("a record of " + std::string(StateCfName(which)) + " is corrupt");
        return false;
      }
      result = fn(k, message);
      return result.ok();
    });
    return scanned.ok() ? result : scanned;
  }

  // Converts a RocksDB status; `what` says what was being done.
  static Status FromRocks(const rocksdb::Status& s, std::string_view what);

 private:
  StateStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace eodclear
