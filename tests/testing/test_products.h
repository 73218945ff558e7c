#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline/refdata/product_catalog.h"

namespace eodclear::testing {

// A product with the catalog fields trade validation reads (codes, currency, multiplier, tick);
// settlement and expiry fields keep their defaults. For tests that build a catalog in code.
inline Product TestProduct(std::string code, std::vector<std::string> aliases, std::string name,
                           std::string exchange, std::string chapter, std::string currency,
                           Decimal multiplier, Decimal tick) {
  Product p;
  p.code = std::move(code);
  p.aliases = std::move(aliases);
  p.name = std::move(name);
  p.exchange = std::move(exchange);
  p.chapter = std::move(chapter);
  p.currency = std::move(currency);
  p.multiplier = multiplier;
  p.tick = tick;
  return p;
}

}  // namespace eodclear::testing
