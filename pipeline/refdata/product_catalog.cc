#include "pipeline/refdata/product_catalog.h"

#include <date/tz.h>

#include <charconv>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kProductColumns = {"code",
                                                  "aliases",
                                                  "name",
                                                  "exchange",
                                                  "chapter",
                                                  "currency",
                                                  "multiplier",
                                                  "tick",
                                                  "settlement_tick",
                                                  "settlement_type",
                                                  "listed_months",
                                                  "settlement_method",
                                                  "settlement_window",
                                                  "settlement_time_zone",
                                                  "parent",
                                                  "expiry_rule",
                                                  "calendars",
                                                  "final_reference",
                                                  "final_reference_kind",
                                                  "source"};

std::vector<std::string> SplitList(const std::string& field) {
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

// "HH:MM:SS" to seconds after midnight, or -1.
int ParseTimeOfDay(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return -1;
  int v[3];
  for (int i = 0; i < 3; ++i) {
    char a = t[static_cast<size_t>(i * 3)], b = t[static_cast<size_t>(i * 3 + 1)];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    v[i] = (a - '0') * 10 + (b - '0');
  }
  if (v[0] > 23 || v[1] > 59 || v[2] > 59) return -1;
  return v[0] * 3600 + v[1] * 60 + v[2];
}

struct NamedExpiryRule {
  std::string_view name;
  ExpiryRule rule;
};
constexpr NamedExpiryRule kExpiryRules[] = {
    {"equity_index", ExpiryRule::kEquityIndex},
    {"volq", ExpiryRule::kVolq},
    {"usd_cnh", ExpiryRule::kUsdCnh},
    {"micro_ether_euro", ExpiryRule::kMicroEtherEuro},
    {"eris", ExpiryRule::kEris},
    {"btic", ExpiryRule::kBtic},
};

// Parses one row's fields into `p`; returns what is wrong, or an empty string.
std::string ParseProductRow(const std::vector<std::string>& f, Product* p) {
  p->code = f[0];
  p->aliases = SplitList(f[1]);
  p->name = f[2];
  p->exchange = f[3];
  p->chapter = f[4];
  p->currency = f[5];
  if (!IsProductCode(p->code))
    return "code '" + p->code + "' must be upper-case letters and digits";
  for (const auto& a : p->aliases) {
    if (!IsProductCode(a)) return "alias '" + a + "' must be upper-case letters and digits";
  }
  if (p->name.empty()) return "name is empty";
  if (p->exchange != "CME" && p->exchange != "CBOT") {
    return "exchange '" + p->exchange + "' must be CME or CBOT";
  }
  if (p->currency.size() != 3) return "currency '" + p->currency + "' must be a 3-letter code";
  struct PositiveDecimal {
    const char* column;
    const std::string& text;
    Decimal* out;
  };
  for (const PositiveDecimal& d : {PositiveDecimal{"multiplier", f[6], &p->multiplier},
                                   PositiveDecimal{"tick", f[7], &p->tick},
                                   PositiveDecimal{"settlement_tick", f[8], &p->settlement_tick}}) {
    auto v = Decimal::Parse(d.text);
    if (!v || !(*v > Decimal())) {
      return std::string(d.column) + " '" + d.text + "' must be a positive decimal";
    }
    *d.out = *v;
  }
  if (f[9] == "cash") {
    p->settlement_type = SettlementType::kCash;
  } else if (f[9] == "physical") {
    p->settlement_type = SettlementType::kPhysical;
  } else {
    return "settlement_type '" + f[9] + "' must be cash or physical";
  }
  for (char c : f[10]) {
    int m = MonthFromCode(c);
    if (m == 0)
      return "listed_months '" + f[10] + "': '" + std::string(1, c) + "' is not a month code";
    if (!p->listed_months.empty() && m <= p->listed_months.back()) {
      return "listed_months '" + f[10] + "' must be month codes in calendar order, once each";
    }
    p->listed_months.push_back(m);
  }
  if (f[11] == "vwap") {
    p->settlement_method = SettlementMethod::kVwap;
  } else if (f[11] == "curve") {
    p->settlement_method = SettlementMethod::kCurve;
  } else if (f[11] == "parent") {
    p->settlement_method = SettlementMethod::kParent;
  } else {
    return "settlement_method '" + f[11] + "' must be vwap, curve or parent";
  }
  if (!f[12].empty()) {
    size_t dash = f[12].find('-');
    int start =
        dash == std::string::npos ? -1 : ParseTimeOfDay(std::string_view(f[12]).substr(0, dash));
    int end =
        dash == std::string::npos ? -1 : ParseTimeOfDay(std::string_view(f[12]).substr(dash + 1));
    if (start < 0 || end < 0 || end <= start) {
      return "settlement_window '" + f[12] + "' must be HH:MM:SS-HH:MM:SS with start before end";
    }
    p->settlement_window = SettlementWindow{start, end};
  } else if (p->settlement_method != SettlementMethod::kParent) {
    return "settlement_window is empty; only products settled from a parent have none";
  }
  p->settlement_time_zone = f[13];
  if (!p->settlement_time_zone.empty()) {
    try {
      (void)date::locate_zone(p->settlement_time_zone);
    } catch (const std::exception&) {
      return "settlement_time_zone '" + p->settlement_time_zone + "' is not a known time zone";
    }
  } else if (p->settlement_window) {
    return "settlement_time_zone is empty but a settlement window is given";
  }
  p->parent = f[14];
  if (p->settlement_method == SettlementMethod::kParent && p->parent.empty()) {
    return "settlement_method parent needs a parent product";
  }
  bool rule_found = false;
  std::string_view rule_text = f[15];
  if (rule_text.starts_with("eris:")) {
    // Eris swap futures carry their tenor: "eris:10" for the 10-year.
    int tenor = 0;
    auto digits = rule_text.substr(5);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), tenor);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || tenor < 1 || tenor > 50) {
      return "expiry_rule '" + f[15] + "': the Eris tenor must be 1..50 years (eris:10)";
    }
    p->tenor_years = tenor;
    rule_text = "eris";
  }
  for (const auto& r : kExpiryRules) {
    if (rule_text == r.name) {
      p->expiry_rule = r.rule;
      rule_found = true;
    }
  }
  if (!rule_found || (p->expiry_rule == ExpiryRule::kEris && p->tenor_years == 0)) {
    return "expiry_rule '" + f[15] +
           "' must be equity_index, volq, usd_cnh, micro_ether_euro, eris:<tenor years> or btic";
  }
  p->calendars = SplitList(f[16]);
  if (p->calendars.empty()) return "calendars is empty";
  p->final_reference = f[17];
  p->final_reference_kind = f[18];
  if (!p->final_reference_kind.empty() && p->final_reference_kind != "SOQ" &&
      p->final_reference_kind != "OFFICIAL_CLOSE" && p->final_reference_kind != "REFERENCE_RATE" &&
      p->final_reference_kind != "SPECIAL_QUOTATION") {
    return "final_reference_kind '" + p->final_reference_kind +
           "' must be SOQ, OFFICIAL_CLOSE, REFERENCE_RATE or SPECIAL_QUOTATION";
  }
  if (p->final_reference.empty() != p->final_reference_kind.empty()) {
    return "final_reference and final_reference_kind are given together or not at all";
  }
  return "";
}

}  // namespace

bool Product::Lists(int month) const {
  for (int m : listed_months) {
    if (m == month) return true;
  }
  return false;
}

std::string_view ExpiryRuleName(ExpiryRule rule) {
  for (const auto& r : kExpiryRules) {
    if (r.rule == rule) return r.name;
  }
  return "?";
}

std::string_view SettlementTypeName(SettlementType type) {
  return type == SettlementType::kCash ? "cash" : "physical";
}

Result<ProductCatalog> ProductCatalog::Load(const std::string& path) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, ReadReferenceCsv(path, kProductColumns));
  ProductCatalog catalog;
  for (const auto& row : file.rows()) {
    Product p;
    p.source_line = row.line;
    std::string problem = ParseProductRow(row.fields, &p);
    if (!problem.empty()) return Err(Status::InvalidArgument(file.Where(row) + ": " + problem));
    catalog.products_.push_back(std::move(p));
    if (Status s = catalog.IndexNames(catalog.products_.size() - 1); !s.ok()) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + s.message()));
    }
  }
  for (size_t i = 0; i < catalog.products_.size(); ++i) {
    const Product& p = catalog.products_[i];
    if (!p.parent.empty() && catalog.Find(p.parent) == nullptr) {
      return Err(Status::InvalidArgument(path + ":" + std::to_string(p.source_line) + ": parent '" +
                                         p.parent + "' is not a product"));
    }
  }
  catalog.path_ = path;
  return catalog;
}

Result<ProductCatalog> ProductCatalog::FromProducts(std::vector<Product> products) {
  ProductCatalog catalog;
  catalog.products_ = std::move(products);
  for (size_t i = 0; i < catalog.products_.size(); ++i) {
    EODCLEAR_RETURN_IF_ERROR(catalog.IndexNames(i));
  }
  return catalog;
}

Status ProductCatalog::IndexNames(size_t i) {
  const Product& p = products_[i];
  std::vector<std::string> names = p.aliases;
  names.push_back(p.code);
  for (const auto& name : names) {
    auto [it, inserted] = by_code_.emplace(name, i);
    if (!inserted && it->second != i) {
      const Product& first = products_[it->second];
      if (first.code == p.code) return Status::InvalidArgument("duplicate code '" + p.code + "'");
      return Status::InvalidArgument("code '" + name + "' names both " + first.code + " and " +
                                     p.code);
    }
  }
  return Status::Ok();
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
