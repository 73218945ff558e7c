#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/trade.pb.h"
#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
#include "pipeline/core/string_hash.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// Why an input message cannot be applied: the dead-letter reason and a detail naming the field.
struct Rejection {
  clearing::v1::DeadLetter::Reason reason = clearing::v1::DeadLetter::REASON_UNSPECIFIED;
  std::string detail;
};

// Resolves contract symbols to canonical ones through the catalog, remembering every symbol it
// has resolved (a day has few contracts and millions of trades). Not thread-safe.
class ContractResolver {
 public:
  struct Resolved {
    std::string canonical;  // e.g. "MEM23" for "EMDM23"
    const Product* product = nullptr;
  };
  explicit ContractResolver(const ProductCatalog& products) : products_(products) {}
  // The resolution of `symbol` (stable address), or the catalog's error.
  Result<const Resolved*> Resolve(std::string_view symbol);

 private:
  const ProductCatalog& products_;
  std::unordered_map<std::string, Resolved, StringHash, std::equal_to<>> cache_;
};

// A trade that passed validation. Text fields are views into the validated clearing.v1.Trade and
// the resolver's cache: valid while both live.
struct ValidTrade {
  std::string_view trade_id;
  Date trade_date;
  ZonedTime exec_time;
  std::string_view exec_time_text;  // as received (valid ISO 8601 with offset)
  std::string_view contract;        // canonical symbol, e.g. "MEM23" for "EMDM23"
  const Product* product = nullptr;
  Decimal price;
  std::string_view price_text;  // as received (a valid exact decimal)
  int64_t quantity = 0;
  std::string_view buyer_firm;
  std::string_view buyer_account;
  std::string_view seller_firm;
  std::string_view seller_account;
};

// Validates a decoded trade against the product catalog: every field present and well formed,
// quantity positive, contract of a known product, price on the product's trading tick.
// The first failed check decides the rejection.
std::variant<ValidTrade, Rejection> ValidateTrade(const clearing::v1::Trade& trade,
                                                  ContractResolver& contracts);

// A quote that passed validation. A side with no order has size 0 and no price.
struct ValidQuote {
  std::string_view contract;  // canonical symbol (a view into the resolver's cache)
  const Product* product = nullptr;
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
                                                  ContractResolver& contracts);

}  // namespace eodclear
