#include "pipeline/refdata/offset_table.h"

#include "pipeline/core/csv.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kOffsetColumns = {"code", "ratio", "offset_to", "reciprocal_ratio",
                                                 "source"};

std::string Describe(const OffsetPair& p) {
  return p.code + "," + p.ratio.ToString() + "," + p.offset_to + "," +
         p.reciprocal_ratio.ToString();
}

}  // namespace

Result<OffsetTable> OffsetTable::Load(const std::string& path, const ProductCatalog* catalog) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, ReadReferenceCsv(path, kOffsetColumns));
  OffsetTable table;
  for (const auto& row : file.rows()) {
    const auto& f = row.fields;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + what));
    };
    OffsetPair p{.code = f[0],
                 .ratio = Decimal(),
                 .offset_to = f[2],
                 .reciprocal_ratio = Decimal(),
                 .source = f[4],
                 .line = row.line};
    if (!IsProductCode(p.code)) {
      return where("code '" + p.code + "' must be upper-case letters and digits");
    }
    if (!IsProductCode(p.offset_to)) {
      return where("offset_to '" + p.offset_to + "' must be upper-case letters and digits");
    }
    if (p.code == p.offset_to) return where("code '" + p.code + "' is offset to itself");
    auto ratio = Decimal::Parse(f[1]);
    if (!ratio || !(*ratio > Decimal()) || *ratio > kMaxRatio) {
      return where("ratio '" + f[1] + "' must be a positive decimal up to 1000000");
    }
    auto reciprocal = Decimal::Parse(f[3]);
    if (!reciprocal || !(*reciprocal > Decimal()) || *reciprocal > kMaxRatio) {
      return where("reciprocal_ratio '" + f[3] + "' must be a positive decimal up to 1000000");
    }
    p.ratio = *ratio;
    p.reciprocal_ratio = *reciprocal;
    auto product = p.ratio.MultiplyExact(p.reciprocal_ratio);
    if (!product || *product != Decimal::FromInt(1)) {
      return where("ratio " + p.ratio.ToString() + " and reciprocal_ratio " +
                   p.reciprocal_ratio.ToString() + " are not reciprocal (product " +
                   (product ? product->ToString() : "not exact") + ", must be exactly 1)");
    }
    if (p.source.empty()) return where("source is empty");
    if (catalog != nullptr) {
      std::string problem = CatalogProblem(*catalog, "code", p.code);
      if (problem.empty()) problem = CatalogProblem(*catalog, "offset_to", p.offset_to);
      if (!problem.empty()) return where(problem);
    }
    if (const OffsetPair* earlier = table.Find(p.code, p.offset_to)) {
      return where("pair " + p.code + " -> " + p.offset_to + " already defined at line " +
                   std::to_string(earlier->line));
    }
    table.by_code_[p.code].push_back(table.pairs_.size());
    table.pairs_.push_back(std::move(p));
  }
  // Rule 855's table lists each pair from both sides; a missing or contradicting side would make
  // the offset depend on which product the stage starts from.
  for (const OffsetPair& p : table.pairs_) {
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(path + ":" + std::to_string(p.line) + ": " + what));
    };
    const OffsetPair* reverse = table.Find(p.offset_to, p.code);
    OffsetPair expected{p.offset_to, p.reciprocal_ratio, p.code, p.ratio, "", 0};
    if (reverse == nullptr) {
      return where("pair " + p.code + " -> " + p.offset_to + " has no reverse row '" +
                   Describe(expected) + "'");
    }
    if (reverse->ratio != p.reciprocal_ratio || reverse->reciprocal_ratio != p.ratio) {
      return where("reverse row at line " + std::to_string(reverse->line) + " is '" +
                   Describe(*reverse) + "', expected '" + Describe(expected) + "'");
    }
  }
  return table;
}

std::vector<const OffsetPair*> OffsetTable::PairsFor(std::string_view code) const {
  std::vector<const OffsetPair*> out;
  auto it = by_code_.find(code);
  if (it == by_code_.end()) return out;
  for (size_t i : it->second) out.push_back(&pairs_[i]);
  return out;
}

const OffsetPair* OffsetTable::Find(std::string_view code, std::string_view offset_to) const {
  auto it = by_code_.find(code);
  if (it == by_code_.end()) return nullptr;
  for (size_t i : it->second) {
    if (pairs_[i].offset_to == offset_to) return &pairs_[i];
  }
  return nullptr;
}

}  // namespace eodclear
