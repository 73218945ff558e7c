#include "stages/ingest/position_book.h"

namespace eodclear {

std::string PositionBook::Key(const std::string& firm, const std::string& account,
                              const std::string& contract) {
  std::string k;
  k.reserve(firm.size() + account.size() + contract.size() + 2);
  k += firm;
  k += '\0';
  k += account;
  k += '\0';
  k += contract;
  return k;
}

void PositionBook::LoadPosition(PositionEntry entry) {
  std::string key = Key(entry.firm, entry.account, entry.contract);
  positions_[std::move(key)] = std::move(entry);
}

void PositionBook::LoadContractDay(ContractDayEntry entry) {
  std::string key = entry.contract;
  contract_days_[std::move(key)] = std::move(entry);
}

PositionEntry& PositionBook::Entry(const std::string& firm, const std::string& account,
                                   const std::string& contract) {
  std::string key = Key(firm, account, contract);
  auto [it, inserted] = positions_.try_emplace(key);
  PositionEntry& e = it->second;
  if (inserted) {
    e.firm = firm;
    e.account = account;
    e.contract = contract;
    e.activity_date = business_date_;
  }
  if (e.activity_date != business_date_) {
    e.activity_date = business_date_;
    e.bought = 0;
    e.sold = 0;
    e.buy_value = Decimal();
    e.sell_value = Decimal();
  }
  dirty_positions_.insert(std::move(key));
  return e;
}

void PositionBook::ApplyTrade(const ValidTrade& t) {
  Decimal value = t.price * t.quantity;
  PositionEntry& buyer = Entry(t.buyer_firm, t.buyer_account, t.contract);
  buyer.net += t.quantity;
  buyer.bought += t.quantity;
  buyer.buy_value += value;
  PositionEntry& seller = Entry(t.seller_firm, t.seller_account, t.contract);
  seller.net -= t.quantity;
  seller.sold += t.quantity;
  seller.sell_value += value;

  auto [it, inserted] = contract_days_.try_emplace(t.contract);
  ContractDayEntry& day = it->second;
  if (inserted || day.trade_count == 0) {
    day.contract = t.contract;
    day.open = day.high = day.low = day.last = t.price;
    day.first_time = day.last_time = t.exec_time;
  } else {
    if (t.price > day.high) day.high = t.price;
    if (t.price < day.low) day.low = t.price;
    if (t.exec_time.unix_nanos < day.first_time.unix_nanos) {
      day.first_time = t.exec_time;
      day.open = t.price;
    }
    if (t.exec_time.unix_nanos > day.last_time.unix_nanos) {
      day.last_time = t.exec_time;
      day.last = t.price;
    }
  }
  ++day.trade_count;
  day.volume += t.quantity;
  day.turnover += value;
  dirty_contract_days_.insert(t.contract);
}

std::vector<const PositionEntry*> PositionBook::TakeDirtyPositions() {
  std::vector<const PositionEntry*> out;
  out.reserve(dirty_positions_.size());
  for (const auto& k : dirty_positions_) out.push_back(&positions_.at(k));
  dirty_positions_.clear();
  return out;
}

std::vector<const ContractDayEntry*> PositionBook::TakeDirtyContractDays() {
  std::vector<const ContractDayEntry*> out;
  out.reserve(dirty_contract_days_.size());
  for (const auto& k : dirty_contract_days_) out.push_back(&contract_days_.at(k));
  dirty_contract_days_.clear();
  return out;
}

const PositionEntry* PositionBook::Find(const std::string& firm, const std::string& account,
                                        const std::string& contract) const {
  auto it = positions_.find(Key(firm, account, contract));
  return it == positions_.end() ? nullptr : &it->second;
}

std::vector<const PositionEntry*> PositionBook::AllPositions() const {
  std::vector<const PositionEntry*> out;
  out.reserve(positions_.size());
  for (const auto& [k, e] : positions_) out.push_back(&e);
  return out;
}

}  // namespace eodclear
