#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/refdata/product_catalog.h"

namespace eodclear::testing {

// A product with the catalog fields trade validation reads (codes, currency, multiplier, tick);
// settlement and expiry fields keep their defaults. For tests that build a catalog in code.
// A decimal written in a test; fails the test when `text` does not parse.
inline Decimal Dec(std::string_view text) {
  auto d = Decimal::Parse(text);
  EXPECT_TRUE(d.has_value()) << "test input '" << text << "' does not parse";
  return d.value_or(Decimal());
}

// A catalog of `products`; fails the test (and returns an empty catalog) when they collide.
inline ProductCatalog CatalogOf(std::vector<Product> products) {
  auto catalog = ProductCatalog::FromProducts(std::move(products));
  EXPECT_TRUE(catalog.has_value()) << catalog.error().ToString();
  return catalog ? std::move(*catalog) : ProductCatalog();
}

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
