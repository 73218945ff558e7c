#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eodclear {

// The clearing house's own accounts, by default: the account booked each contract's
// variation-margin rounding residual, and the counterparty of every Rule 855 offset. They hold
// nobody's position, so limits and reports leave them out and publish never calls them unknown.
// `eodclear run --rounding-account / --offset-account` name others.
inline constexpr std::string_view kHouseFirm = "CH";
inline constexpr std::string_view kRoundingAccount = "CH-ROUNDING";
inline constexpr std::string_view kOffsetAccount = "CH-OFFSET";

// (firm, account) of each default house account.
inline std::vector<std::pair<std::string, std::string>> DefaultHouseAccounts() {
  return {{std::string(kHouseFirm), std::string(kOffsetAccount)},
          {std::string(kHouseFirm), std::string(kRoundingAccount)}};
}

}  // namespace eodclear
