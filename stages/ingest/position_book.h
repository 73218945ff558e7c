#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
#include "pipeline/core/string_hash.h"
#include "stages/ingest/input_rules.h"

namespace eodclear {

// One account's position in one contract, with the business date's activity.
struct PositionEntry {
  std::string firm;
  std::string account;
  std::string contract;
  // Net contracts: positive long, negative short.
  int64_t net = 0;
  // The business date bought/sold/values refer to; activity of an earlier date reads as none.
  Date activity_date;
  int64_t bought = 0;
  int64_t sold = 0;
  // Σ price × quantity of the day's buys and sells (exact).
  Decimal buy_value;
  Decimal sell_value;
  // Changed since the last TakeDirtyPositions.
  bool dirty = false;
};

// One contract's trading on one business date. Open and last are by execution time (ties keep the
// trade applied first), not by arrival order.
struct ContractDayEntry {
  std::string contract;
  int64_t trade_count = 0;
  int64_t volume = 0;
  Decimal turnover;  // Σ price × quantity
  Decimal open, high, low, last;
  ZonedTime first_time, last_time;
  bool dirty = false;
};

// The positions and contract statistics that ingest keeps in memory while it applies a business
// date's trades, tracking which entries changed since the last TakeDirty*. Pure: no I/O.
class PositionBook {
 public:
  explicit PositionBook(Date business_date) : business_date_(business_date) {}

  // Seeds an entry read from state (does not mark it dirty).
  void LoadPosition(PositionEntry entry);
  void LoadContractDay(ContractDayEntry entry);

  // Applies a trade on the business date: the buyer's account goes long by the quantity, the
  // seller's short; both record the day's activity; the contract's statistics take the trade.
  void ApplyTrade(const ValidTrade& trade);

  // Entries changed since the previous call.
  std::vector<const PositionEntry*> TakeDirtyPositions();
  std::vector<const ContractDayEntry*> TakeDirtyContractDays();

  // The position of (firm, account, contract), or nullptr.
  const PositionEntry* Find(std::string_view firm, std::string_view account,
                            std::string_view contract);
  // Every position, in no particular order.
  std::vector<const PositionEntry*> AllPositions() const;

 private:
  PositionEntry& Entry(std::string_view firm, std::string_view account, std::string_view contract);
  // Builds the map key of a position into key_buf_ (reused, so lookups do not allocate).
  const std::string& Key(std::string_view firm, std::string_view account,
                         std::string_view contract);

  Date business_date_;
  std::string key_buf_;
  // Node-based maps: entry addresses are stable, so the dirty lists can point at them.
  std::unordered_map<std::string, PositionEntry> positions_;
  std::unordered_map<std::string, ContractDayEntry, StringHash, std::equal_to<>> contract_days_;
  std::vector<PositionEntry*> dirty_positions_;
  std::vector<ContractDayEntry*> dirty_contract_days_;
};

}  // namespace eodclear
