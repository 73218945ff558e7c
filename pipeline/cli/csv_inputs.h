#pragma once

#include <string>
#include <vector>

#include "pipeline/core/csv.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// The input files `eodclear load` reads, recognised by their header row.
enum class InputKind {
  kTrades,
  kQuotes,
  kReferencePrices,
  kSettlementOverrides,
  kOffsetInstructions
};

// The header each kind must have, exactly.
const std::vector<std::string>& InputHeader(InputKind kind);
// The kind whose header `file` has; kInvalidArgument listing the accepted headers otherwise.
Result<InputKind> DetectInputKind(const CsvFile& file);

// One message to produce.
struct KeyedMessage {
  std::string key;
  std::string value;  // serialized clearing.v1 message
};

// Converts every row of `file` to its clearing.v1 message (Trade, Quote, ReferencePrice or
// SettlementOverride), keyed by canonical contract (trades, quotes), by name (reference prices) or
// by "business_date|contract|kind" (settlement overrides, whose price must be on the product's
// settlement tick). Rows that are malformed —
// an unparsable date, time, decimal or integer, an empty required field, an unknown product, a
// non-positive trade quantity, an unknown reference-price kind — are reported in `errors` as
// "file:line: what" and produce nothing; so are the rows `file` could not split (a wrong field
// count, a stray quote; read it with CsvFile::Mode::kCollectBadRows), all in line order.
std::vector<KeyedMessage> ConvertInputCsv(const CsvFile& file, InputKind kind,
                                          const ProductCatalog& products,
                                          std::vector<std::string>* errors);

}  // namespace eodclear
