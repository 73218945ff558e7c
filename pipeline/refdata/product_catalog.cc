#include "pipeline/refdata/product_catalog.h"

#include "pipeline/core/csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kProductColumns = {
    "code", "aliases", "name", "exchange", "chapter", "currency", "multiplier", "tick", "source"};

std::vector<std::string> SplitAliases(const std::string& field) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= field.size()) {
    size_t bar = field.find('|', start);
    if (bar == std::string::npos) bar = field.size();
    if (bar > start) out.push_back(field.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

bool IsCode(std::string_view code) {
  if (code.empty()) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

Result<ProductCatalog> ProductCatalog::Load(const std::string& path) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, CsvFile::Read(path));
  EODCLEAR_RETURN_IF_ERROR(file.ExpectHeader(kProductColumns));
  std::vector<Product> products;
  for (const auto& row : file.rows()) {
    const auto& f = row.fields;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + what));
    };
    Product p;
    p.code = f[0];
    p.aliases = SplitAliases(f[1]);
    p.name = f[2];
    p.exchange = f[3];
    p.chapter = f[4];
    p.currency = f[5];
    if (!IsCode(p.code))
      return where("code '" + p.code + "' must be upper-case letters and digits");
    for (const auto& a : p.aliases) {
      if (!IsCode(a)) return where("alias '" + a + "' must be upper-case letters and digits");
    }
    if (p.name.empty()) return where("name is empty");
    if (p.exchange != "CME" && p.exchange != "CBOT") {
      return where("exchange '" + p.exchange + "' must be CME or CBOT");
    }
    if (p.currency.size() != 3)
      return where("currency '" + p.currency + "' must be a 3-letter code");
    auto multiplier = Decimal::Parse(f[6]);
    if (!multiplier || !(*multiplier > Decimal())) {
      return where("multiplier '" + f[6] + "' must be a positive decimal");
    }
    auto tick = Decimal::Parse(f[7]);
    if (!tick || !(*tick > Decimal()))
      return where("tick '" + f[7] + "' must be a positive decimal");
    p.multiplier = *multiplier;
    p.tick = *tick;
    products.push_back(std::move(p));
    auto catalog = FromProducts(products);
    if (!catalog) return where(catalog.error().message());
  }
  return FromProducts(std::move(products));
}

Result<ProductCatalog> ProductCatalog::FromProducts(std::vector<Product> products) {
  ProductCatalog catalog;
  catalog.products_ = std::move(products);
  for (size_t i = 0; i < catalog.products_.size(); ++i) {
    const Product& p = catalog.products_[i];
    std::vector<std::string> names = p.aliases;
    names.push_back(p.code);
    for (const auto& name : names) {
      auto [it, inserted] = catalog.by_code_.emplace(name, i);
      if (!inserted && it->second != i) {
        return Err(Status::InvalidArgument("code '" + name + "' names both " +
                                           catalog.products_[it->second].code + " and " + p.code));
      }
    }
  }
  return catalog;
}

const Product* ProductCatalog::Find(std::string_view code_or_alias) const {
  auto it = by_code_.find(code_or_alias);
  return it == by_code_.end() ? nullptr : &products_[it->second];
}

Result<Contract> ProductCatalog::ResolveContract(std::string_view symbol) const {
  EODCLEAR_ASSIGN_OR_RETURN(Contract contract, SplitContractSymbol(symbol));
  const Product* product = Find(contract.product);
  if (product == nullptr) {
    return Err(Status::NotFound("contract '" + std::string(symbol) + "': unknown product '" +
                                contract.product + "'"));
  }
  contract.product = product->code;
  return contract;
}

}  // namespace eodclear
