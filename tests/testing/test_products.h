#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/refdata/product_catalog.h"
#include "tests/testing/test_values.h"

namespace eodclear::testing {

// A catalog of `products`; fails the test (and returns an empty catalog) when they collide.
inline ProductCatalog CatalogOf(std::vector<Product> products) {
  auto catalog = ProductCatalog::FromProducts(std::move(products));
  EXPECT_TRUE(catalog.has_value()) << catalog.error().ToString();
  return catalog ? std::move(*catalog) : ProductCatalog();
}

// A catalog that only names products, for loaders that check the codes they read against one:
// a product of each of `codes`, nothing but its code set, and ME with the alias EMD.
inline ProductCatalog CatalogOfCodes(std::initializer_list<std::string_view> codes) {
  std::vector<Product> products;
  for (std::string_view code : codes) {
    Product p;
    p.code = std::string(code);
    if (p.code == "ME") p.aliases = {"EMD"};
    products.push_back(std::move(p));
  }
  return CatalogOf(std::move(products));
}

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
