#include "storage/state_store.h"

#include <filesystem>

#include "storage/keys.h"

namespace eodclear {
namespace {
constexpr std::string_view kCfNames[kStateCfCount] = {
    "default",     "offsets",   "positions",      "contract_days", "quotes",
    "day_trades",  "trade_ids", "pending_trades", "dead_letters",  "runs",
    "settlements", "outbox",    "start_of_day",   "retractions",
};
}  // namespace

std::string_view StateCfName(StateCf cf) { return kCfNames[static_cast<size_t>(cf)]; }

Status StateStore::FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIOError()) {
    // A lock held by another process or an I/O hiccup: the run can be retried.
    return Status::Unavailable(msg);
  }
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  return Status::Internal(msg);
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const StateStoreOptions& options) {
  if (options.path.empty()) return Err(Status::InvalidArgument("state folder is empty"));
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Err(Status::InvalidArgument("state folder " + options.path + ": " + ec.message()));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(options.background_threads);
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto name : kCfNames) descriptors.emplace_back(std::string(name), cf_options);

  std::unique_ptr<StateStore> store(new StateStore());
  rocksdb::DB* raw = nullptr;
  EODCLEAR_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, options.path, descriptors, &store->handles_, &raw),
                "opening state database " + options.path));
  store->db_.reset(raw);

  EODCLEAR_ASSIGN_OR_RETURN(auto version, store->Get(StateCf::kDefault, keys::kFormatVersionKey));
  // A new database, or one of version 2 (version 3 only added the column families `start_of_day`
  // and `retractions`, created empty above), is marked with this version.
  if (!version || *version == keys::kUpgradableFormatVersion) {
    rocksdb::WriteBatch batch;
    batch.Put(store->cf(StateCf::kDefault), keys::kFormatVersionKey, keys::kFormatVersion);
    EODCLEAR_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
  } else if (*version != keys::kFormatVersion) {
    return Err(Status::FailedPrecondition(
        "state database " + options.path + " has format version " + *version +
        ", this eodclear reads version " + std::string(keys::kFormatVersion)));
  }
  return store;
}

StateStore::~StateStore() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Result<std::optional<std::string>> StateStore::Get(StateCf which, std::string_view key) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf(which), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  EODCLEAR_RETURN_IF_ERROR(FromRocks(s, "reading " + std::string(StateCfName(which))));
  return std::optional<std::string>(std::move(value));
}

Status StateStore::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, batch), "writing state");
}

Status StateStore::StageDeleteDate(StateCf which, Date date, rocksdb::WriteBatch* batch) const {
  return FromRocks(
      batch->DeleteRange(cf(which), keys::DatePrefix(date), keys::DatePrefix(date.AddDays(1))),
      "removing " + std::string(StateCfName(which)) + " of " + date.ToString());
}

std::unique_ptr<rocksdb::Iterator> StateStore::NewIterator(StateCf which) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions(), cf(which)));
}

Status StateStore::IteratorStatus(const rocksdb::Iterator& it) {
  return FromRocks(it.status(), "scanning state");
}

}  // namespace eodclear
