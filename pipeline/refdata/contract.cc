#include "pipeline/refdata/contract.h"

namespace eodclear {
namespace {
constexpr std::string_view kMonthCodes = "FGHJKMNQUVXZ";
}  // namespace

char MonthCode(int month) {
  return month >= 1 && month <= 12 ? kMonthCodes[static_cast<size_t>(month - 1)] : '?';
}

int MonthFromCode(char code) {
  size_t i = kMonthCodes.find(code);
  return i == std::string_view::npos ? 0 : static_cast<int>(i) + 1;
}

std::string Contract::ToString() const {
  std::string s = product;
  s += MonthCode(month);
  int yy = year % 100;
  s += static_cast<char>('0' + yy / 10);
  s += static_cast<char>('0' + yy % 10);
  return s;
}

Result<Contract> SplitContractSymbol(std::string_view symbol) {
  auto bad = [&](std::string_view why) {
    return Err(
        Status::InvalidArgument("contract '" + std::string(symbol) + "': " + std::string(why)));
  };
  if (symbol.size() < 4) return bad("expected product code, month code and two-digit year");
  std::string_view product = symbol.substr(0, symbol.size() - 3);
  char month_code = symbol[symbol.size() - 3];
  char y1 = symbol[symbol.size() - 2];
  char y2 = symbol[symbol.size() - 1];
  for (char c : product) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return bad("product code must be upper-case letters and digits");
  }
  int month = MonthFromCode(month_code);
  if (month == 0)
    return bad("'" + std::string(1, month_code) + "' is not a month code (FGHJKMNQUVXZ)");
  if (y1 < '0' || y1 > '9' || y2 < '0' || y2 > '9') return bad("year must be two digits");
  return Contract{std::string(product), 2000 + (y1 - '0') * 10 + (y2 - '0'), month};
}

}  // namespace eodclear
