#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace eodclear {

// A futures contract: a product (by its canonical clearing code) and a delivery month.
// Written CME style: product code + month code + two-digit year, "ESM23" = E-mini S&P 500, June
// 2023.
struct Contract {
  std::string product;  // canonical clearing code, e.g. "ME" (never the alias "EMD")
  int year = 0;         // four digits; the two-digit year is read as 20YY
  int month = 0;        // 1..12

  // "ESM23".
  std::string ToString() const;
  auto operator<=>(const Contract&) const = default;
};

// CME month codes: F G H J K M N Q U V X Z for January..December.
char MonthCode(int month);
// 1..12, or 0 when `code` is not a month code.
int MonthFromCode(char code);

// Splits "ESM23" into product text "ES", month 6 and year 2023, without checking the product
// exists. The product part keeps the caller's spelling (aliases are resolved by ProductCatalog).
Result<Contract> SplitContractSymbol(std::string_view symbol);

}  // namespace eodclear
