#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// One direction of a row of the Contracts Eligible for Offset table of CME Rule 855 ("Offsetting
// Positions for Different-Sized Contracts"), as ops/refdata/offsets.csv writes it. The table lists
// every pair twice, once from each side: {MMC, 10, ME, 0.1} and {ME, 0.1, MMC, 10}.
struct OffsetPair {
  // Canonical clearing code of the product offset, e.g. "MMC".
  std::string code;
  // Rule 855 "Offset Ratio": contracts of `code` that offset one contract of `offset_to`
  // (MMC -> ME: 10).
  Decimal ratio;
  // Canonical clearing code of the other product, e.g. "ME".
  std::string offset_to;
  // Contracts of `offset_to` that one contract of `code` is worth: exactly 1 / ratio
  // (MMC -> ME: 0.1).
  Decimal reciprocal_ratio;
  // Where the row comes from, for audit; not interpreted.
  std::string source;
  // Line of offsets.csv the row was read from.
  size_t line = 0;
};

// The CME Rule 855 offset pairs a run applies. Immutable once loaded; thread-safe to read.
class OffsetTable {
 public:
  // Loads offsets.csv. Columns, exactly: code,ratio,offset_to,reciprocal_ratio,source.
  // Every row is checked, and the first problem stops the load with kInvalidArgument
  // "file:line: what" (a missing file is kNotFound):
  //  - codes are upper-case letters and digits, and a row does not offset a product to itself;
  //  - ratio and reciprocal_ratio are positive exact decimals, at most 1,000,000, whose product
  //    is exactly 1 (Decimal::MultiplyExact; 3 and 0.33333333 are rejected, not rounded);
  //  - no (code, offset_to) pair appears twice (the message names the earlier line);
  //  - the reverse row {offset_to, reciprocal_ratio, code, ratio} exists and agrees;
  //  - with a catalog, both codes are canonical product codes in it (an alias such as EMD is
  //    rejected naming its canonical code). `catalog` is only read during the call.
  static Result<OffsetTable> Load(const std::string& path, const ProductCatalog* catalog = nullptr);

  // Every pair in which `code` is the product offset, in file order (empty when none).
  std::vector<const OffsetPair*> PairsFor(std::string_view code) const;

  // The row offsetting `code` against `offset_to`, or nullptr.
  const OffsetPair* Find(std::string_view code, std::string_view offset_to) const;

  // All rows in file order.
  const std::vector<OffsetPair>& pairs() const { return pairs_; }

 private:
  std::vector<OffsetPair> pairs_;
  std::map<std::string, std::vector<size_t>, std::less<>> by_code_;  // code -> rows, file order
};

}  // namespace eodclear
