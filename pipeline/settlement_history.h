#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace eodclear {

class StateStore;

// A contract's settlement as the settlement stage stored it (column family `settlements`).
struct StoredSettlement {
  Date date;
  std::string price;  // exact decimal text
  std::string tier;
  bool stale = false;
  bool final = false;
};

// The Kafka key of a contract's `settlement-prices` (and `final-settlements`) record of a date,
// "YYYY-MM-DD|CONTRACT": the settlement stage writes its outbox record under it, and later stages
// of the date find the record by it.
std::string SettlementRecordKey(Date date, std::string_view contract);

// The contract's latest stored settlement before `date` (the prior settlement of `date`), or
// nullopt when it has none. kInternal when the stored record is corrupt.
Result<std::optional<StoredSettlement>> SettlementBefore(const StateStore& store,
                                                         std::string_view contract, Date date);

}  // namespace eodclear
