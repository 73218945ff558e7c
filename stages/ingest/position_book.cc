#include "stages/ingest/position_book.h"

namespace eodclear {

const std::string& PositionBook::Key(std::string_view firm, std::string_view account,
                                     std::string_view contract) {
  key_buf_.clear();
  key_buf_ += firm;
  key_buf_ += '\0';
  key_buf_ += account;
  key_buf_ += '\0';
  key_buf_ += contract;
  return key_buf_;
}

void PositionBook::LoadPosition(PositionEntry entry) {
  positions_[Key(entry.firm, entry.account, entry.contract)] = std::move(entry);
}

void PositionBook::LoadContractDay(ContractDayEntry entry) {
  std::string key = entry.contract;
  contract_days_[std::move(key)] = std::move(entry);
}

PositionEntry& PositionBook::Entry(std::string_view firm, std::string_view account,
                                   std::string_view contract) {
  const std::string& key = Key(firm, account, contract);
  auto it = positions_.find(key);
  if (it == positions_.end()) {
    it = positions_.emplace(key, PositionEntry{}).first;
    PositionEntry& e = it->second;
    e.firm = firm;
    e.account = account;
    e.contract = contract;
    e.activity_date = business_date_;
  }
  PositionEntry& e = it->second;
  if (e.activity_date != business_date_) {
    e.activity_date = business_date_;
    e.bought = 0;
    e.sold = 0;
    e.buy_value = Decimal();
    e.sell_value = Decimal();
  }
  if (!e.dirty) {
    e.dirty = true;
    dirty_positions_.push_back(&e);
  }
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

  auto it = contract_days_.find(t.contract);
  if (it == contract_days_.end()) {
    it = contract_days_.emplace(std::string(t.contract), ContractDayEntry{}).first;
  }
  ContractDayEntry& day = it->second;
  if (day.trade_count == 0) {
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
  if (!day.dirty) {
    day.dirty = true;
    dirty_contract_days_.push_back(&day);
  }
}

std::vector<const PositionEntry*> PositionBook::TakeDirtyPositions() {
  std::vector<const PositionEntry*> out(dirty_positions_.begin(), dirty_positions_.end());
  for (PositionEntry* e : dirty_positions_) e->dirty = false;
  dirty_positions_.clear();
  return out;
}

std::vector<const ContractDayEntry*> PositionBook::TakeDirtyContractDays() {
  std::vector<const ContractDayEntry*> out(dirty_contract_days_.begin(),
                                           dirty_contract_days_.end());
  for (ContractDayEntry* e : dirty_contract_days_) e->dirty = false;
  dirty_contract_days_.clear();
  return out;
}

const PositionEntry* PositionBook::Find(std::string_view firm, std::string_view account,
                                        std::string_view contract) {
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
