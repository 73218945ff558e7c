#include "pipeline/cli/calendar_command.h"

#include <iostream>

#include "pipeline/cli/json_lines.h"
#include "pipeline/refdata/expiry.h"
#include "pipeline/refdata/refdata.h"

namespace eodclear {
namespace {

ExitCode Fail(const Status& s, std::string_view command) {
  std::cerr << "eodclear " << command << ": " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

// ",\"spot_month_start\":\"...\"" where the limit table defines a spot month for the product (or
// the product it aggregates into), else nothing.
std::string SpotMonthField(const Product& p, const ContractExpiry& e, const RefData& refdata) {
  const PositionLimit* limit = refdata.limits.Find(p.code);
  if (limit == nullptr || !limit->spot_month_start) return "";
  return ",\"spot_month_start\":" +
         JsonQuote(limit->spot_month_start->FirstDay(e.last_trade_date).ToString());
}

// One contract's facts as a JSON object.
Result<std::string> ContractJson(const Product& p, int year, int month, const RefData& refdata) {
  EODCLEAR_ASSIGN_OR_RETURN(ContractExpiry e, ComputeExpiry(p, year, month, refdata.calendars));
  Contract c{p.code, year, month};
  char ym[16];
  std::snprintf(ym, sizeof ym, "%04d-%02d", year, month);
  std::string j = "{\"contract\":" + JsonQuote(c.ToString()) + ",\"product\":" + JsonQuote(p.code) +
                  ",\"contract_month\":" + JsonQuote(ym) +
                  ",\"last_trade_date\":" + JsonQuote(e.last_trade_date.ToString()) +
                  ",\"trading_terminates\":" + JsonQuote(e.trading_terminates.ToString()) +
                  ",\"final_settlement_date\":" + JsonQuote(e.final_settlement_date.ToString()) +
                  SpotMonthField(p, e, refdata) +
                  ",\"settlement_type\":" + JsonQuote(SettlementTypeName(p.settlement_type)) +
                  ",\"calendars\":[";
  for (size_t i = 0; i < p.calendars.size(); ++i) {
    j += (i > 0 ? "," : "") + JsonQuote(p.calendars[i]);
  }
  j += "],\"unscheduled_holiday\":";
  j += e.unscheduled_holiday ? "true" : "false";
  j += ",\"final_settlement_basis\":" + JsonQuote(e.final_settlement_basis) + "}";
  return j;
}

Result<std::pair<Date, Date>> Span(const CalendarCommandOptions& o) {
  if (o.from.empty() || o.to.empty())
    return Err(Status::InvalidArgument("--from and --to are required"));
  EODCLEAR_ASSIGN_OR_RETURN(Date from, Date::Parse(o.from));
  EODCLEAR_ASSIGN_OR_RETURN(Date to, Date::Parse(o.to));
  if (to < from) return Err(Status::InvalidArgument("--to is before --from"));
  return std::make_pair(from, to);
}

}  // namespace

ExitCode CalendarCommand(const CalendarCommandOptions& o, std::ostream& out) {
  int modes = !o.contract.empty() + !o.product.empty() + !o.calendar.empty();
  if (modes != 1) {
    return Fail(Status::InvalidArgument("give exactly one of --contract, --product or --calendar"),
                "calendar");
  }
  auto refdata = RefData::Load(o.refdata_dir);
  if (!refdata) return Fail(refdata.error(), "calendar");

  if (!o.contract.empty()) {
    auto contract = refdata->products.ResolveContract(o.contract);
    if (!contract) return Fail(contract.error(), "calendar");
    const Product* p = refdata->products.Find(contract->product);
    auto json = ContractJson(*p, contract->year, contract->month, *refdata);
    if (!json) return Fail(json.error().WithContext(o.contract), "calendar");
    out << *json << "\n";
    return ExitCode::kSuccess;
  }

  auto span = Span(o);
  if (!span) return Fail(span.error(), "calendar");
  auto [from, to] = *span;
  if (!o.product.empty()) {
    const Product* p = refdata->products.Find(o.product);
    if (p == nullptr)
      return Fail(Status::NotFound("unknown product '" + o.product + "'"), "calendar");
    // Every listed contract month whose month lies in [from, to].
    for (int y = from.year(); y <= to.year(); ++y) {
      for (int m : p->listed_months) {
        if ((y == from.year() && m < from.month()) || (y == to.year() && m > to.month())) continue;
        auto json = ContractJson(*p, y, m, *refdata);
        if (!json) {
          return Fail(json.error().WithContext(Contract{p->code, y, m}.ToString()), "calendar");
        }
        out << *json << "\n";
      }
    }
    return ExitCode::kSuccess;
  }

  const Calendar* calendar = refdata->calendars.Find(o.calendar);
  if (calendar == nullptr) {
    return Fail(Status::NotFound("unknown calendar '" + o.calendar + "'"), "calendar");
  }
  if (!o.holidays) return Fail(Status::InvalidArgument("--calendar needs --holidays"), "calendar");
  auto holidays = calendar->Holidays(from, to);
  if (!holidays) return Fail(holidays.error(), "calendar");
  for (const Holiday& h : *holidays) {
    out << "{\"date\":" << JsonQuote(h.date.ToString())
        << ",\"name\":" << JsonQuote(h.unscheduled ? h.name + " (unscheduled)" : h.name) << "}\n";
  }
  return ExitCode::kSuccess;
}

ExitCode RefdataCheckCommand(const std::string& refdata_dir, std::ostream& out) {
  auto refdata = RefData::Load(refdata_dir);
  if (!refdata) return Fail(refdata.error(), "refdata check");
  out << "eodclear refdata check: " << refdata_dir << ": " << refdata->products.products().size()
      << " products, " << refdata->offsets.pairs().size() << " offset rows, "
      << refdata->limits.limits().size() << " limit rows, calendars";
  for (const auto& name : refdata->calendars.Names()) {
    const Calendar* c = refdata->calendars.Find(name);
    out << " " << name << " (" << c->covers_from() << "-" << c->covers_to() << ")";
  }
  out << "; OK\n";
  return ExitCode::kSuccess;
}

}  // namespace eodclear
