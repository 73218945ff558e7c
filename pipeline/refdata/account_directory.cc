#include "pipeline/refdata/account_directory.h"

#include <charconv>
#include <optional>

#include "pipeline/core/csv.h"
#include "pipeline/refdata/refdata_csv.h"

namespace eodclear {
namespace {

const std::vector<std::string> kAccountColumns = {"account", "firm", "owner", "origin",
                                                  "auto_offset"};
const std::vector<std::string> kExemptionColumns = {"owner",    "product",    "kind",
                                                    "quantity", "valid_from", "valid_to"};

// Account and owner ids: letters, digits, '-', '_' and '.'.
bool IsId(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<AccountOrigin> ParseOrigin(std::string_view text) {
  for (AccountOrigin origin : {AccountOrigin::kHouse, AccountOrigin::kCustomer}) {
    if (text == AccountOriginName(origin)) return origin;
  }
  return std::nullopt;
}

// The accounts of accounts.csv, and `index`: account id -> position in them.
Result<std::vector<Account>> LoadAccounts(const std::string& path,
                                          std::map<std::string, size_t, std::less<>>* index) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, ReadReferenceCsv(path, kAccountColumns));
  std::vector<Account> accounts;
  auto& by_account = *index;
  for (const auto& row : file.rows()) {
    const auto& f = row.fields;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + what));
    };
    Account a;
    a.account = f[0];
    a.firm = f[1];
    a.owner = f[2];
    a.line = row.line;
    if (!IsId(a.account)) {
      return where("account '" + a.account + "' must be letters, digits, '-', '_' or '.'");
    }
    if (!IsProductCode(a.firm))
      return where("firm '" + a.firm + "' must be upper-case letters and digits");
    if (!IsId(a.owner)) {
      return where("owner '" + a.owner + "' must be letters, digits, '-', '_' or '.'");
    }
    auto origin = ParseOrigin(f[3]);
    if (!origin) return where("origin '" + f[3] + "' must be house or customer");
    a.origin = *origin;
    if (f[4] == "true") {
      a.auto_offset = true;
    } else if (f[4] == "false") {
      a.auto_offset = false;
    } else {
      return where("auto_offset '" + f[4] + "' must be true or false");
    }
    auto [it, inserted] = by_account.emplace(a.account, accounts.size());
    if (!inserted) {
      return where("account '" + a.account + "' already listed at line " +
                   std::to_string(accounts[it->second].line));
    }
    accounts.push_back(std::move(a));
  }
  // An unlisted account is its own owner, so owner ids and account ids share one space: an owner
  // named like another owner's account would merge two owners' positions.
  for (const Account& a : accounts) {
    auto it = by_account.find(a.owner);
    if (it == by_account.end()) continue;
    const Account& named = accounts[it->second];
    if (named.owner != a.owner) {
      return Err(Status::InvalidArgument(path + ":" + std::to_string(a.line) + ": owner '" +
                                         a.owner + "' is the id of account " + named.account +
                                         " (line " + std::to_string(named.line) +
                                         "), whose owner is '" + named.owner + "'"));
    }
  }
  return accounts;
}

Result<std::vector<Exemption>> LoadExemptions(const std::string& path,
                                              const ProductCatalog* catalog) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, ReadReferenceCsv(path, kExemptionColumns));
  std::vector<Exemption> exemptions;
  for (const auto& row : file.rows()) {
    const auto& f = row.fields;
    auto where = [&](const std::string& what) {
      return Err(Status::InvalidArgument(file.Where(row) + ": " + what));
    };
    Exemption e;
    e.owner = f[0];
    e.product = f[1];
    e.line = row.line;
    if (!IsId(e.owner)) {
      return where("owner '" + e.owner + "' must be letters, digits, '-', '_' or '.'");
    }
    if (!IsProductCode(e.product)) {
      return where("product '" + e.product + "' must be upper-case letters and digits");
    }
    if (catalog != nullptr) {
      if (std::string problem = CatalogProblem(*catalog, "product", e.product); !problem.empty()) {
        return where(problem);
      }
    }
    auto kind = ParseLimitKind(f[2]);
    if (!kind) return where(kind.error().message());
    e.kind = *kind;
    auto quantity = ParseContracts(f[3]);
    if (!quantity)
      return where("quantity '" + f[3] + "' must be a positive whole number (at most 12 digits)");
    e.quantity = *quantity;
    auto from = Date::Parse(f[4]);
    if (!from) return where("valid_from: " + from.error().message());
    auto to = Date::Parse(f[5]);
    if (!to) return where("valid_to: " + to.error().message());
    e.valid_from = *from;
    e.valid_to = *to;
    if (e.valid_to < e.valid_from) {
      return where("valid_to " + e.valid_to.ToString() + " is before valid_from " +
                   e.valid_from.ToString());
    }
    for (const Exemption& other : exemptions) {
      if (other.owner == e.owner && other.product == e.product && other.kind == e.kind &&
          other.valid_from <= e.valid_to && e.valid_from <= other.valid_to) {
        return where(std::string(LimitKindName(e.kind)) + " exemption of '" + e.owner + "' for " +
                     e.product + " overlaps the one at line " + std::to_string(other.line) + " (" +
                     other.valid_from.ToString() + " to " + other.valid_to.ToString() + ")");
      }
    }
    exemptions.push_back(std::move(e));
  }
  return exemptions;
}

}  // namespace

std::string_view AccountOriginName(AccountOrigin origin) {
  switch (origin) {
    case AccountOrigin::kHouse:
      return "house";
    case AccountOrigin::kCustomer:
      return "customer";
  }
  return "unknown";
}

Result<AccountDirectory> AccountDirectory::Load(const std::string& accounts_path,
                                                const std::string& exemptions_path,
                                                const ProductCatalog* catalog) {
  AccountDirectory directory;
  EODCLEAR_ASSIGN_OR_RETURN(directory.accounts_,
                            LoadAccounts(accounts_path, &directory.by_account_));
  EODCLEAR_ASSIGN_OR_RETURN(directory.exemptions_, LoadExemptions(exemptions_path, catalog));
  return directory;
}

const Account* AccountDirectory::Find(std::string_view account) const {
  auto it = by_account_.find(account);
  return it == by_account_.end() ? nullptr : &accounts_[it->second];
}

std::string AccountDirectory::OwnerOf(std::string_view account) const {
  const Account* a = Find(account);
  return a == nullptr ? std::string(account) : a->owner;
}

bool AccountDirectory::AutoOffset(std::string_view account) const {
  const Account* a = Find(account);
  return a != nullptr && a->auto_offset;
}

std::vector<const Account*> AccountDirectory::AccountsOf(std::string_view owner) const {
  std::vector<const Account*> out;
  for (const Account& a : accounts_) {
    if (a.owner == owner) out.push_back(&a);
  }
  return out;
}

const Exemption* AccountDirectory::ExemptionInForce(std::string_view owner,
                                                    std::string_view product, LimitKind kind,
                                                    Date date) const {
  for (const Exemption& e : exemptions_) {
    if (e.owner == owner && e.product == product && e.kind == kind && e.InForceOn(date)) return &e;
  }
  return nullptr;
}

}  // namespace eodclear
