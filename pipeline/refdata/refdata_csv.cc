#include "pipeline/refdata/refdata_csv.h"

#include <charconv>

#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

Result<CsvFile> ReadReferenceCsv(const std::string& path, const std::vector<std::string>& header) {
  auto file = CsvFile::Read(path);
  if (!file) {
    if (file.error().code() == Status::Code::kNotFound) return Err(file.error());
    return Err(Status::InvalidArgument(file.error().message()));
  }
  Status status = file->ExpectHeader(header);
  if (!status.ok()) return Err(Status::InvalidArgument(status.message()));
  return file;
}

bool IsProductCode(std::string_view code) {
  if (code.empty()) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::optional<int64_t> ParseContracts(std::string_view text) {
  constexpr size_t kMaxDigits = 12;
  if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);  // 12 digits always fit
  if (value <= 0) return std::nullopt;
  return value;
}

std::string CatalogProblem(const ProductCatalog& catalog, std::string_view column,
                           const std::string& code) {
  const Product* product = catalog.Find(code);
  if (product == nullptr) return std::string(column) + " '" + code + "' is not in the catalog";
  if (product->code != code) {
    return std::string(column) + " '" + code + "' is an alias; write the canonical code '" +
           product->code + "'";
  }
  return "";
}

}  // namespace eodclear
