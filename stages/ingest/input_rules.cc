#include "stages/ingest/input_rules.h"

namespace eodclear {
namespace {

using clearing::v1::DeadLetter;

Rejection Reject(DeadLetter::Reason reason, std::string detail) {
  return Rejection{reason, std::move(detail)};
}

}  // namespace

Result<const ContractResolver::Resolved*> ContractResolver::Resolve(std::string_view symbol) {
  auto it = cache_.find(symbol);
  if (it != cache_.end()) return &it->second;
  EODCLEAR_ASSIGN_OR_RETURN(Contract contract, products_.ResolveContract(symbol));
  Resolved r{contract.ToString(), products_.Find(contract.product)};
  return &cache_.emplace(std::string(symbol), std::move(r)).first->second;
}

std::variant<ValidTrade, Rejection> ValidateTrade(const clearing::v1::Trade& t,
                                                  ContractResolver& contracts) {
  struct Required {
    const char* name;
    const std::string& value;
  };
  const Required required[] = {
      {"trade_id", t.trade_id()},
      {"trade_date", t.trade_date()},
      {"exec_time", t.exec_time()},
      {"contract", t.contract()},
      {"price", t.price()},
      {"buyer.firm", t.buyer().firm()},
      {"buyer.account", t.buyer().account()},
      {"seller.firm", t.seller().firm()},
      {"seller.account", t.seller().account()},
  };
  for (const auto& r : required) {
    if (r.value.empty())
      return Reject(DeadLetter::MISSING_FIELD, std::string(r.name) + " is empty");
  }
  ValidTrade v;
  v.trade_id = t.trade_id();
  auto date = Date::Parse(t.trade_date());
  if (!date) return Reject(DeadLetter::INVALID_FIELD, "trade_date: " + date.error().message());
  v.trade_date = *date;
  auto time = ZonedTime::Parse(t.exec_time());
  if (!time) return Reject(DeadLetter::INVALID_FIELD, "exec_time: " + time.error().message());
  v.exec_time = *time;
  v.exec_time_text = t.exec_time();
  auto price = Decimal::Parse(t.price());
  if (!price) return Reject(DeadLetter::INVALID_FIELD, "price: " + price.error().message());
  if (t.quantity() <= 0) {
    return Reject(DeadLetter::NON_POSITIVE_QUANTITY,
                  "quantity is " + std::to_string(t.quantity()) + ", must be positive");
  }
  v.quantity = t.quantity();
  auto contract = contracts.Resolve(t.contract());
  if (!contract) return Reject(DeadLetter::UNKNOWN_CONTRACT, contract.error().message());
  v.contract = (*contract)->canonical;
  v.product = (*contract)->product;
  if (!price->IsMultipleOf(v.product->tick)) {
    return Reject(DeadLetter::OFF_TICK_PRICE, "price " + t.price() + " is not a multiple of " +
                                                  v.product->code + "'s tick " +
                                                  v.product->tick.ToString());
  }
  v.price = *price;
  v.price_text = t.price();
  v.buyer_firm = t.buyer().firm();
  v.buyer_account = t.buyer().account();
  v.seller_firm = t.seller().firm();
  v.seller_account = t.seller().account();
  return v;
}

std::variant<ValidQuote, Rejection> ValidateQuote(const clearing::v1::Quote& q,
                                                  ContractResolver& contracts) {
  if (q.contract().empty()) return Reject(DeadLetter::MISSING_FIELD, "contract is empty");
  if (q.time().empty()) return Reject(DeadLetter::MISSING_FIELD, "time is empty");
  ValidQuote v;
  auto contract = contracts.Resolve(q.contract());
  if (!contract) return Reject(DeadLetter::UNKNOWN_CONTRACT, contract.error().message());
  v.contract = (*contract)->canonical;
  v.product = (*contract)->product;
  auto time = ZonedTime::Parse(q.time());
  if (!time) return Reject(DeadLetter::INVALID_FIELD, "time: " + time.error().message());
  v.time = *time;
  struct Side {
    const char* name;
    const std::string& price;
    int64_t size;
    bool* has;
    Decimal* out;
  };
  Side sides[] = {{"bid", q.bid(), q.bid_size(), &v.has_bid, &v.bid},
                  {"ask", q.ask(), q.ask_size(), &v.has_ask, &v.ask}};
  for (auto& s : sides) {
    if (s.price.empty()) {
      if (s.size != 0) {
        return Reject(DeadLetter::INVALID_FIELD, std::string(s.name) + " has size " +
                                                     std::to_string(s.size) + " but no price");
      }
      continue;
    }
    auto price = Decimal::Parse(s.price);
    if (!price)
      return Reject(DeadLetter::INVALID_FIELD,
                    std::string(s.name) + ": " + price.error().message());
    if (s.size <= 0) {
      return Reject(
          DeadLetter::NON_POSITIVE_QUANTITY,
          std::string(s.name) + "_size is " + std::to_string(s.size) + ", must be positive");
    }
    *s.has = true;
    *s.out = *price;
  }
  v.bid_size = q.bid_size();
  v.ask_size = q.ask_size();
  if (v.has_bid && v.has_ask && !(v.bid < v.ask)) {
    return Reject(DeadLetter::INVALID_FIELD,
                  "crossed or locked quote: bid " + q.bid() + " is not below ask " + q.ask());
  }
  return v;
}

}  // namespace eodclear
