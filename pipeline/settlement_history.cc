#include "pipeline/settlement_history.h"

#include "eodclear/state/v1/state.pb.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

std::string SettlementRecordKey(Date date, std::string_view contract) {
  return date.ToString() + "|" + std::string(contract);
}

Result<std::optional<StoredSettlement>> SettlementBefore(const StateStore& store,
                                                         std::string_view contract, Date date) {
  auto it = store.NewIterator(StateCf::kSettlements);
  it->Seek(keys::SettlementKey(contract, date));
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  EODCLEAR_RETURN_IF_ERROR(StateStore::IteratorStatus(*it));
  if (!it->Valid() || !it->key().starts_with(keys::SettlementPrefix(contract))) {
    return std::optional<StoredSettlement>();
  }
  EODCLEAR_ASSIGN_OR_RETURN(keys::SettlementKeyParts k, keys::ParseSettlementKey(std::string_view(
                                                            it->key().data(), it->key().size())));
  eodclear::state::v1::SettlementState s;
  if (!s.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    return Err(Status::Internal("settlement of " + std::string(contract) + " on " +
                                k.date.ToString() + " is corrupt"));
  }
  return StoredSettlement{k.date, s.price(), s.tier(), s.stale(), s.final()};
}

}  // namespace eodclear
