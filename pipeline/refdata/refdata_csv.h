#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/csv.h"
#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"

namespace eodclear {

class ProductCatalog;

// Helpers every reference-data loader shares.

// Reads a reference-data CSV file and checks its header is exactly `header`. Reference data
// problems are configuration errors: kInvalidArgument "file:line: what" whatever the CSV reader
// called them; a missing file stays kNotFound.
Result<CsvFile> ReadReferenceCsv(const std::string& path, const std::vector<std::string>& header);

// A product code: upper-case letters and digits, not empty ("ES", "M2K").
bool IsProductCode(std::string_view code);

// A quantity of contracts in reference data (limits, levels, exemptions): a positive whole number,
// digits only, at most 12 of them, so a quantity times a ratio of at most 1,000,000 stays inside
// Decimal's exact range. nullopt otherwise.
std::optional<int64_t> ParseContracts(std::string_view text);

// The largest ratio reference data may hold (offset ratios, aggregation ratios, and a chain's
// product of them): a whole int64 quantity times it, or a ratio times its reciprocal, stays inside
// Decimal's exact range. Real ratios are small numbers (10, 0.1).
inline constexpr Decimal kMaxRatio = Decimal::FromInt(1'000'000);

// Empty when `code` is a canonical product code of `catalog`; otherwise what is wrong with it
// ("<column> 'X' is not in the catalog", or an alias naming the canonical code to write).
std::string CatalogProblem(const ProductCatalog& catalog, std::string_view column,
                           const std::string& code);

}  // namespace eodclear
