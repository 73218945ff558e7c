#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/contract.h"

namespace eodclear {

// One futures product of the reference data (ops/refdata/products.csv).
struct Product {
  std::string code;                  // canonical clearing code, e.g. "ME"
  std::vector<std::string> aliases;  // other codes it is known by, e.g. "EMD"
  std::string name;
  std::string exchange;  // "CME" or "CBOT"
  std::string chapter;   // rulebook chapter, e.g. "362"
  std::string currency;  // ISO 4217 (or "CNH") of prices and variation margin
  Decimal multiplier;    // currency units per 1.0 of price per contract
  Decimal tick;          // minimum price increment of outright trades
};

// The products a run accepts, with their aliases. Immutable once loaded; thread-safe to read.
class ProductCatalog {
 public:
  // Loads products.csv. Columns: code,aliases,name,exchange,chapter,currency,multiplier,tick,source
  // (aliases separated by '|'; source says where the values come from). Any malformed row,
  // duplicate code or alias that collides with another product stops the load with "file:line:
  // what".
  static Result<ProductCatalog> Load(const std::string& path);
  static Result<ProductCatalog> FromProducts(std::vector<Product> products);

  // The product by code or alias, or nullptr.
  const Product* Find(std::string_view code_or_alias) const;

  // Parses "EMDM23" into the canonical contract {ME, 2023, 6}. Fails on a malformed symbol or an
  // unknown product (the message names the symbol).
  Result<Contract> ResolveContract(std::string_view symbol) const;

  const std::vector<Product>& products() const { return products_; }

 private:
  std::vector<Product> products_;
  std::map<std::string, size_t, std::less<>> by_code_;  // codes and aliases -> index
};

}  // namespace eodclear
