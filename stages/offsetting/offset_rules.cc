#include "stages/offsetting/offset_rules.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <string_view>
#include <tuple>
#include <utility>

#include "pipeline/core/decimal.h"
#include "pipeline/refdata/contract.h"

namespace eodclear {
namespace {

// A pair as it is applied: its first table row, the block of whole contracts and the name.
struct CanonicalPair {
  const OffsetPair* row = nullptr;  // first, second product: row->code, row->offset_to
  int64_t first_block = 0;          // contracts of row->code per block
  int64_t second_block = 0;         // contracts of row->offset_to per block
  std::string name;                 // "MMC/ME"
};

// The smallest whole a (of the row's code) and b (of offset_to) with a = ratio x b. The ratio is
// at most 1,000,000 (OffsetTable::Load), so its units fit int64.
CanonicalPair MakeCanonical(const OffsetPair& row) {
  const auto units = static_cast<int64_t>(row.ratio.units());
  const auto one = static_cast<int64_t>(Decimal::kOne);
  const int64_t g = std::gcd(units, one);
  return CanonicalPair{&row, units / g, one / g, row.code + "/" + row.offset_to};
}

// The pair of (code, offset_to) oriented by its first table row, or nothing when not a pair.
const OffsetPair* CanonicalRow(const OffsetTable& table, std::string_view code,
                               std::string_view offset_to) {
  const OffsetPair* row = table.Find(code, offset_to);
  if (row == nullptr) return nullptr;
  const OffsetPair* reverse = table.Find(offset_to, code);
  // Both point into table.pairs(), which is in file order.
  return reverse != nullptr && std::less<const OffsetPair*>()(reverse, row) ? reverse : row;
}

// Every pair once, in the order of its first table row.
std::vector<CanonicalPair> CanonicalPairs(const OffsetTable& table) {
  std::vector<CanonicalPair> out;
  for (const OffsetPair& row : table.pairs()) {
    if (CanonicalRow(table, row.code, row.offset_to) == &row) out.push_back(MakeCanonical(row));
  }
  return out;
}

std::string Signed(int64_t q) { return (q > 0 ? "+" : "") + std::to_string(q); }

using AccountKey = std::pair<std::string, std::string>;  // firm, account
using ContractPositions = std::map<Contract, int64_t>;

// Positions grouped by account, keyed by the split contract.
Result<std::map<AccountKey, ContractPositions>> GroupPositions(
    const std::vector<AccountPosition>& positions) {
  std::map<AccountKey, ContractPositions> out;
  for (const AccountPosition& p : positions) {
    std::string where = "position of " + p.firm + "/" + p.account + " in '" + p.contract + "'";
    auto contract = SplitContractSymbol(p.contract);
    if (!contract) {
      return Err(Status::InvalidArgument(where + ": " + contract.error().message()));
    }
    if (p.quantity == std::numeric_limits<int64_t>::min()) {
      return Err(Status::InvalidArgument(where + ": quantity out of range"));
    }
    auto [it, inserted] = out[{p.firm, p.account}].emplace(std::move(*contract), p.quantity);
    if (!inserted) return Err(Status::InvalidArgument(where + " is listed twice"));
  }
  return out;
}

int64_t PositionIn(const ContractPositions& positions, const Contract& contract) {
  auto it = positions.find(contract);
  return it == positions.end() ? 0 : it->second;
}

// Whole blocks both sides allow: 0 unless one side is long and the other short.
int64_t AllowedBlocks(const CanonicalPair& pair, int64_t first, int64_t second) {
  bool opposite = (first > 0 && second < 0) || (first < 0 && second > 0);
  if (!opposite) return 0;
  return std::min((first < 0 ? -first : first) / pair.first_block,
                  (second < 0 ? -second : second) / pair.second_block);
}

// The offset of `blocks` blocks; each leg reduces its side toward flat.
Offset MakeOffset(const AccountKey& account, const CanonicalPair& pair, const Contract& first,
                  int64_t first_quantity, const Contract& second, int64_t second_quantity,
                  int64_t blocks) {
  int64_t first_change = blocks * pair.first_block;
  int64_t second_change = blocks * pair.second_block;
  return Offset{
      .firm = account.first,
      .account = account.second,
      .legs = {{first.ToString(), first_quantity > 0 ? -first_change : first_change},
               {second.ToString(), second_quantity > 0 ? -second_change : second_change}},
      .pair = pair.name,
  };
}

Contract InMonth(const Contract& month, const std::string& product) {
  return Contract{product, month.year, month.month};
}

}  // namespace

Result<std::vector<Offset>> AutoOffsets(const std::vector<AccountPosition>& positions,
                                        const OffsetTable& table) {
  EODCLEAR_ASSIGN_OR_RETURN(auto by_account, GroupPositions(positions));
  const std::vector<CanonicalPair> pairs = CanonicalPairs(table);
  std::vector<Offset> out;
  for (auto& [account, held] : by_account) {
    for (const CanonicalPair& pair : pairs) {
      const std::string& first_code = pair.row->code;
      // The months of the first product, in date order (Contract orders product, year, month).
      std::vector<Contract> months;
      for (auto it = held.lower_bound(Contract{first_code, 0, 0});
           it != held.end() && it->first.product == first_code; ++it) {
        months.push_back(it->first);
      }
      for (const Contract& first : months) {
        Contract second = InMonth(first, pair.row->offset_to);
        int64_t& first_quantity = held[first];
        auto second_it = held.find(second);
        if (second_it == held.end()) continue;
        int64_t& second_quantity = second_it->second;
        int64_t blocks = AllowedBlocks(pair, first_quantity, second_quantity);
        if (blocks == 0) continue;
        Offset offset =
            MakeOffset(account, pair, first, first_quantity, second, second_quantity, blocks);
        first_quantity += offset.legs[0].quantity;
        second_quantity += offset.legs[1].quantity;
        out.push_back(std::move(offset));
      }
    }
  }
  return out;
}

Result<Offset> ApplyInstruction(const std::vector<AccountPosition>& positions,
                                const OffsetInstruction& instruction, const OffsetTable& table) {
  auto invalid = [&](const std::string& why) {
    return Err(Status::InvalidArgument("offset instruction for account '" + instruction.account +
                                       "', " + std::to_string(instruction.quantity) + " " +
                                       instruction.code + " against " + instruction.offset_to +
                                       ": " + why));
  };
  const OffsetPair* row = CanonicalRow(table, instruction.code, instruction.offset_to);
  if (row == nullptr) {
    return invalid("pair " + instruction.code + "/" + instruction.offset_to +
                   " is not in the offset table");
  }
  if (instruction.month < 1 || instruction.month > 12) {
    return invalid("month " + std::to_string(instruction.month) + " is not 1..12");
  }
  if (instruction.year < 2000 || instruction.year > 2099) {
    return invalid("year " + std::to_string(instruction.year) + " is not 2000..2099");
  }
  if (instruction.quantity <= 0) return invalid("quantity must be > 0");
  const CanonicalPair pair = MakeCanonical(*row);
  const bool code_is_first = instruction.code == row->code;
  const int64_t code_block = code_is_first ? pair.first_block : pair.second_block;
  const int64_t other_block = code_is_first ? pair.second_block : pair.first_block;
  if (instruction.quantity % code_block != 0) {
    return invalid("quantity is not a whole multiple of " + std::to_string(code_block) + " " +
                   instruction.code + " (" + std::to_string(code_block) + " " + instruction.code +
                   " offset " + std::to_string(other_block) + " " + instruction.offset_to + ")");
  }
  const int64_t blocks = instruction.quantity / code_block;

  std::vector<AccountPosition> own;
  for (const AccountPosition& p : positions) {
    if (p.account != instruction.account) continue;
    if (!own.empty() && own.front().firm != p.firm) {
      return invalid("account positions name two firms, " + own.front().firm + " and " + p.firm);
    }
    own.push_back(p);
  }
  auto grouped = GroupPositions(own);
  if (!grouped) return invalid(grouped.error().message());
  const AccountKey account{own.empty() ? std::string() : own.front().firm, instruction.account};
  const ContractPositions& held = (*grouped)[account];

  const Contract first{row->code, instruction.year, instruction.month};
  const Contract second = InMonth(first, row->offset_to);
  const int64_t first_quantity = PositionIn(held, first);
  const int64_t second_quantity = PositionIn(held, second);
  const std::string holdings = first.ToString() + " " + Signed(first_quantity) + ", " +
                               second.ToString() + " " + Signed(second_quantity);
  const bool opposite =
      (first_quantity > 0 && second_quantity < 0) || (first_quantity < 0 && second_quantity > 0);
  if (!opposite) return invalid("not long one and short the other (" + holdings + ")");
  const int64_t allowed = AllowedBlocks(pair, first_quantity, second_quantity);
  if (blocks > allowed) {
    return invalid("more than the positions allow: at most " +
                   std::to_string(allowed * code_block) + " " + instruction.code + " (" + holdings +
                   ")");
  }
  return MakeOffset(account, pair, first, first_quantity, second, second_quantity, blocks);
}

std::vector<AccountPosition> PositionsAfterOffsets(std::vector<AccountPosition> positions,
                                                   const std::vector<Offset>& offsets) {
  for (const Offset& offset : offsets) {
    for (const OffsetLeg& leg : offset.legs) {
      auto it = std::find_if(positions.begin(), positions.end(), [&](const AccountPosition& p) {
        return p.firm == offset.firm && p.account == offset.account && p.contract == leg.contract;
      });
      if (it == positions.end()) {
        positions.push_back({offset.firm, offset.account, leg.contract, leg.quantity});
      } else {
        it->quantity += leg.quantity;
      }
    }
  }
  return positions;
}

std::vector<OffsetLeg> OffsetAccountTransfers(const std::vector<Offset>& offsets) {
  std::vector<OffsetLeg> out;
  for (const Offset& offset : offsets) {
    for (const OffsetLeg& leg : offset.legs) out.push_back({leg.contract, -leg.quantity});
  }
  return out;
}

Status CheckOffsetAccountFlat(const std::vector<Offset>& offsets, const OffsetTable& table) {
  struct Bucket {
    Decimal net;             // in contracts of the pair's first product
    std::string transfers;   // "MMCZ23 +20, MEZ23 -2"
    std::string first_code;  // "MMC"
  };
  // (pair name, year, month) -> net of the offset account's transfers.
  std::map<std::tuple<std::string, int, int>, Bucket> buckets;
  for (const Offset& offset : offsets) {
    auto violation = [&](const std::string& why) {
      return Status::InvariantViolation("offset of " + offset.firm + "/" + offset.account +
                                        " in pair '" + offset.pair + "': " + why);
    };
    size_t slash = offset.pair.find('/');
    const OffsetPair* row =
        slash == std::string::npos
            ? nullptr
            : CanonicalRow(table, std::string_view(offset.pair).substr(0, slash),
                           std::string_view(offset.pair).substr(slash + 1));
    if (row == nullptr) return violation("the pair is not in the offset table");
    const CanonicalPair pair = MakeCanonical(*row);
    for (const OffsetLeg& leg : offset.legs) {
      auto contract = SplitContractSymbol(leg.contract);
      if (!contract) return violation(contract.error().message());
      if (leg.quantity == std::numeric_limits<int64_t>::min()) {
        return violation("leg '" + leg.contract + "' quantity out of range");
      }
      // The account's change in first-product contracts; the offset account's is its negation.
      Decimal account_change;
      if (contract->product == row->code) {
        account_change = Decimal::FromInt(leg.quantity);
      } else if (contract->product == row->offset_to) {
        account_change = row->ratio * leg.quantity;
      } else {
        return violation("leg '" + leg.contract + "' is not a contract of pair " + pair.name);
      }
      Bucket& bucket = buckets[{pair.name, contract->year, contract->month}];
      bucket.first_code = row->code;
      bucket.net -= account_change;
      if (!bucket.transfers.empty()) bucket.transfers += ", ";
      bucket.transfers += leg.contract + " " + Signed(-leg.quantity);
    }
  }
  for (const auto& [key, bucket] : buckets) {
    if (bucket.net.is_zero()) continue;
    const auto& [name, year, month] = key;
    return Status::InvariantViolation("offset account is not flat in pair " + name + ", month " +
                                      Contract{"", year, month}.ToString() + ": net " +
                                      bucket.net.ToString() + " " + bucket.first_code +
                                      " equivalents (transfers " + bucket.transfers + ")");
  }
  return Status::Ok();
}

}  // namespace eodclear
