#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/trade.pb.h"
#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// Why an input message cannot be applied: the dead-letter reason and a detail naming the field.
struct Rejection {
  clearing::v1::DeadLetter::Reason reason = clearing::v1::DeadLetter::REASON_UNSPECIFIED;
  std::string detail;
};

// A trade that passed validation, in canonical form (contract aliases resolved).
struct ValidTrade {
  std::string trade_id;
  Date trade_date;
  ZonedTime exec_time;
  std::string contract;  // canonical symbol, e.g. "MEM23" for "EMDM23"
  const Product* product = nullptr;
  Decimal price;
  int64_t quantity = 0;
  std::string buyer_firm;
  std::string buyer_account;
  std::string seller_firm;
  std::string seller_account;
};

// Validates a decoded trade against the product catalog: every field present and well formed,
// quantity positive, contract of a known product, price on the product's trading tick.
// The first failed check decides the rejection.
std::variant<ValidTrade, Rejection> ValidateTrade(const clearing::v1::Trade& trade,
                                                  const ProductCatalog& products);

// A quote that passed validation. A side with no order has size 0 and no price.
struct ValidQuote {
  std::string contract;  // canonical symbol
  ZonedTime time;
  bool has_bid = false;
  bool has_ask = false;
  Decimal bid;
  Decimal ask;
  int64_t bid_size = 0;
  int64_t ask_size = 0;
};

// Validates a decoded quote: known contract, time with zone, each side either empty (no price,
// size 0) or a decimal with a positive size, and bid below ask when both are present.
std::variant<ValidQuote, Rejection> ValidateQuote(const clearing::v1::Quote& quote,
                                                  const ProductCatalog& products);

}  // namespace eodclear
