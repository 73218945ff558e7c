#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/position_limit_table.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// Whose money an account holds, in the CFTC sense: the clearing firm's own (house) or its
// customers' (customer). The names are written in accounts.csv: do not change them.
enum class AccountOrigin {
  kHouse,     // "house"
  kCustomer,  // "customer"
};

// "house" or "customer".
std::string_view AccountOriginName(AccountOrigin origin);

// One clearing account (ops/refdata/accounts.csv).
struct Account {
  std::string account;  // account id as trades name it, e.g. "CLR01-C100"
  std::string firm;     // clearing firm, e.g. "CLR01"
  std::string owner;    // beneficial owner: positions of one owner are aggregated for limits
  AccountOrigin origin = AccountOrigin::kCustomer;
  bool auto_offset = false;  // the offsetting stage applies offsets.csv to this account unasked
  size_t line = 0;           // line of accounts.csv the row was read from
};

// A position-limit exemption granted to a beneficial owner (ops/refdata/exemptions.csv): while in
// force, it raises the owner's limit of `kind` for `product` by `quantity` contracts
// (stages/position_limits/limit_rules.h applies it).
struct Exemption {
  std::string owner;
  std::string product;  // canonical clearing code
  LimitKind kind = LimitKind::kAllMonths;
  int64_t quantity = 0;  // contracts of `product`, > 0
  Date valid_from;       // first business date in force
  Date valid_to;         // last business date in force (inclusive)
  size_t line = 0;       // line of exemptions.csv the row was read from

  bool InForceOn(Date date) const { return valid_from <= date && date <= valid_to; }
};

// Accounts, their beneficial owners and the owners' exemptions. Immutable once loaded;
// thread-safe to read.
//
// An account that accounts.csv does not list is its own owner, with no auto-offset: its
// positions are aggregated with nothing else, and nothing is offset without instruction.
class AccountDirectory {
 public:
  // Loads accounts.csv (columns, exactly: account,firm,owner,origin,auto_offset) and
  // exemptions.csv (columns, exactly: owner,product,kind,quantity,valid_from,valid_to).
  // The first problem stops the load with kInvalidArgument "file:line: what" (a missing file is
  // kNotFound):
  //  - account and owner ids are letters, digits, '-', '_' and '.'; firms are upper-case
  //    letters and digits; origin is house|customer; auto_offset is true|false;
  //  - an account appears once; an owner id that is also a listed account id must be that
  //    account's own owner (an unlisted account is its own owner, so the ids share one space);
  //  - exemptions: kind is spot_month|single_month|all_months; quantity is a positive whole
  //    number (at most 12 digits); valid_from and valid_to are YYYY-MM-DD with valid_from <=
  //    valid_to; two exemptions of one owner, product and kind do not overlap in time;
  //  - with a catalog, every exemption's product is a canonical code in it.
  static Result<AccountDirectory> Load(const std::string& accounts_path,
                                       const std::string& exemptions_path,
                                       const ProductCatalog* catalog = nullptr);

  // The account's row, or nullptr when accounts.csv does not list it.
  const Account* Find(std::string_view account) const;

  // The beneficial owner of `account`; the account id itself when the account is unlisted.
  std::string OwnerOf(std::string_view account) const;

  // Whether offsets are applied to `account` automatically; false when the account is unlisted.
  bool AutoOffset(std::string_view account) const;

  // The listed accounts of `owner`, in file order (empty when none are listed).
  std::vector<const Account*> AccountsOf(std::string_view owner) const;

  // The exemption of `owner` for `product` and `kind` in force on `date`, or nullptr. At most one
  // can be, since exemptions of one owner, product and kind do not overlap.
  const Exemption* ExemptionInForce(std::string_view owner, std::string_view product,
                                    LimitKind kind, Date date) const;

  // All rows in file order.
  const std::vector<Account>& accounts() const { return accounts_; }
  const std::vector<Exemption>& exemptions() const { return exemptions_; }

 private:
  std::vector<Account> accounts_;
  std::map<std::string, size_t, std::less<>> by_account_;
  std::vector<Exemption> exemptions_;
};

}  // namespace eodclear
