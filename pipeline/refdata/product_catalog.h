#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/contract.h"

namespace eodclear {

enum class SettlementType { kCash, kPhysical };
// How the daily settlement price is found (stages/settlement).
enum class SettlementMethod {
  kVwap,    // VWAP in the window, else bid/ask, else carried
  kCurve,   // a tenor of a curve settled together (Eris swap futures, CBOT 21-101)
  kParent,  // a micro contract settles at its parent's settlement
};
// Which rule decides a contract's last trade and final settlement (pipeline/refdata/expiry.h).
enum class ExpiryRule {
  kEquityIndex,     // SER 9163, Rules XXX02.G and XXX03.A
  kVolq,            // CME Chapter 379
  kUsdCnh,          // CME Submission 13-543 (Chapters 284L and 344L)
  kMicroEtherEuro,  // CME Chapter 447
  kEris,            // CBOT Chapter 61
  kBtic,            // CME Chapter 358B: contracts per delivery day, not per month
};

// A daily settlement window in local time: [start, end] in seconds after midnight.
struct SettlementWindow {
  int start_seconds = 0;
  int end_seconds = 0;
};

// One futures product of the reference data (ops/refdata/products.csv).
struct Product {
  std::string code;                  // canonical clearing code, e.g. "ME"
  std::vector<std::string> aliases;  // other codes it is known by, e.g. "EMD"
  std::string name;
  std::string exchange;     // "CME" or "CBOT"
  std::string chapter;      // rulebook chapter, e.g. "362"
  std::string currency;     // ISO 4217 (or "CNH") of prices and variation margin
  Decimal multiplier;       // currency units per 1.0 of price per contract
  Decimal tick;             // minimum price increment of outright trades
  Decimal settlement_tick;  // increment daily settlement prices are rounded to
  SettlementType settlement_type = SettlementType::kCash;
  std::vector<int> listed_months;  // 1..12, ascending
  SettlementMethod settlement_method = SettlementMethod::kVwap;
  std::optional<SettlementWindow> settlement_window;  // absent for kParent
  std::string settlement_time_zone;                   // IANA name, e.g. "America/Chicago"
  std::string parent;                                 // product whose settlement a micro takes
  ExpiryRule expiry_rule = ExpiryRule::kEquityIndex;
  int tenor_years = 0;                 // kEris: the swap's tenor, written "eris:10" in products.csv
  std::vector<std::string> calendars;  // calendar names the product's rules use
  std::string final_reference;         // e.g. "SPX", "ETHEUR_RR"; empty when none
  std::string final_reference_kind;    // "SOQ", "REFERENCE_RATE", ...; empty when none
  // Line of products.csv the product was read from (0 when built in code), for error messages.
  size_t source_line = 0;

  bool Lists(int month) const;
};

std::string_view ExpiryRuleName(ExpiryRule rule);
std::string_view SettlementTypeName(SettlementType type);

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
  // The file the catalog was loaded from (empty when built in code).
  const std::string& path() const { return path_; }

 private:
  // Adds the code and aliases of products_[i] to the name index; fails on a name another product
  // already has.
  Status IndexNames(size_t i);

  std::vector<Product> products_;
  std::map<std::string, size_t, std::less<>> by_code_;
  std::string path_;  // codes and aliases -> index
};

}  // namespace eodclear
