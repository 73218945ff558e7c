#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
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
  const PositionEntry* Find(const std::string& firm, const std::string& account,
                            const std::string& contract) const;
  // Every position, in no particular order.
  std::vector<const PositionEntry*> AllPositions() const;

 private:
  PositionEntry& Entry(const std::string& firm, const std::string& account,
                       const std::string& contract);
  static std::string Key(const std::string& firm, const std::string& account,
                         const std::string& contract);

  Date business_date_;
  std::unordered_map<std::string, PositionEntry> positions_;
  std::unordered_map<std::string, ContractDayEntry> contract_days_;
  std::unordered_set<std::string> dirty_positions_;
  std::unordered_set<std::string> dirty_contract_days_;
};

}  // namespace eodclear
