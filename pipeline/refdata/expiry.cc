#include "pipeline/refdata/expiry.h"

#include <date/tz.h>

#include <chrono>

namespace eodclear {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

Result<const Calendar*> Need(const CalendarSet& calendars, const std::string& name,
                             const Product& p) {
  const Calendar* c = calendars.Find(name);
  if (c == nullptr) {
    return Err(Status::NotFound("product " + p.code + " needs calendar " + name +
                                ", which the reference data does not define"));
  }
  return c;
}

// The nearest day on or before `d` that is a scheduled business day of `c` (unscheduled holidays
// declared later do not change what was scheduled).
Result<Date> OnOrBeforeScheduled(const Calendar& c, Date d) {
  for (;; d = d.AddDays(-1)) {
    EODCLEAR_ASSIGN_OR_RETURN(bool scheduled, c.IsScheduledBusinessDay(d));
    if (scheduled) return d;
  }
}

Result<ContractExpiry> EquityIndex(const Product& p, int year, int month, const Calendar& nyse) {
  EODCLEAR_ASSIGN_OR_RETURN(Date third_friday, NthWeekdayOfMonth(year, month, Weekday::kFriday, 3));
  EODCLEAR_ASSIGN_OR_RETURN(Date fsd, OnOrBeforeScheduled(nyse, third_friday));
  ContractExpiry e;
  const Holiday* h = nyse.HolidayOn(fsd);
  if (h != nullptr && h->unscheduled) {
    // XXX02.G second paragraph and XXX03.A last paragraph.
    EODCLEAR_ASSIGN_OR_RETURN(Date before, nyse.PreviousBusinessDay(fsd));
    e.last_trade_date = before;
    EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates, AtLocalTime(before, 16, 0, "America/New_York"));
    e.final_settlement_date = before;
    e.unscheduled_holiday = true;
    e.final_settlement_basis = "official closing value of " + p.final_reference + " on " +
                               before.ToString() + " (unscheduled holiday " + fsd.ToString() +
                               ": " + h->name + ")";
    return e;
  }
  e.last_trade_date = fsd;
  EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates, AtLocalTime(fsd, 9, 30, "America/New_York"));
  e.final_settlement_date = fsd;
  e.final_settlement_basis =
      "special opening quotation of " + p.final_reference + " on " + fsd.ToString();
  return e;
}

Result<ContractExpiry> Volq(int year, int month, const Calendar& nyse) {
  int next_year = month == 12 ? year + 1 : year;
  int next_month = month == 12 ? 1 : month + 1;
  EODCLEAR_ASSIGN_OR_RETURN(Date third_friday,
                            NthWeekdayOfMonth(next_year, next_month, Weekday::kFriday, 3));
  // 37903.A: options not traded on the third Friday -> the first preceding business day they are.
  EODCLEAR_ASSIGN_OR_RETURN(Date options_day, OnOrBeforeScheduled(nyse, third_friday));
  // Thirty days prior; the index not published that day -> the first preceding day it is.
  EODCLEAR_ASSIGN_OR_RETURN(Date fsd, OnOrBeforeScheduled(nyse, options_day.AddDays(-30)));
  ContractExpiry e;
  const Holiday* h = nyse.HolidayOn(fsd);
  if (h != nullptr && h->unscheduled) {
    EODCLEAR_ASSIGN_OR_RETURN(Date before, nyse.PreviousBusinessDay(fsd));
    EODCLEAR_ASSIGN_OR_RETURN(Date after, nyse.NextBusinessDay(fsd));
    e.last_trade_date = before;
    EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates, AtLocalTime(before, 16, 0, "America/New_York"));
    e.final_settlement_date = after;
    e.unscheduled_holiday = true;
    e.final_settlement_basis = "VolS published on " + after.ToString() + " (unscheduled holiday " +
                               fsd.ToString() + ": " + h->name + ")";
    return e;
  }
  e.last_trade_date = fsd;
  EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates, AtLocalTime(fsd, 9, 30, "America/New_York"));
  e.final_settlement_date = fsd;
  e.final_settlement_basis = "special settlement quotation VolS on " + fsd.ToString();
  return e;
}

Result<ContractExpiry> UsdCnh(int year, int month, const Calendar& hk, const Calendar& us) {
  EODCLEAR_ASSIGN_OR_RETURN(Date third_wednesday,
                            NthWeekdayOfMonth(year, month, Weekday::kWednesday, 3));
  EODCLEAR_ASSIGN_OR_RETURN(Date first_before, hk.PreviousBusinessDay(third_wednesday));
  EODCLEAR_ASSIGN_OR_RETURN(Date second_before, hk.PreviousBusinessDay(first_before));
  ContractExpiry e;
  e.last_trade_date = second_before;
  EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates,
                            AtLocalTime(second_before, 11, 0, "Asia/Hong_Kong"));
  Date delivery = third_wednesday;
  while (true) {
    EODCLEAR_ASSIGN_OR_RETURN(bool both, IsBusinessDayInAll({&hk, &us}, delivery));
    if (both) break;
    delivery = delivery.AddDays(1);
  }
  e.final_settlement_date = delivery;
  e.final_settlement_basis =
      "physical delivery of US dollars against offshore renminbi on " + delivery.ToString();
  return e;
}

Result<ContractExpiry> MicroEtherEuro(const Product& p, int year, int month, const Calendar& uk,
                                      const Calendar& us) {
  EODCLEAR_ASSIGN_OR_RETURN(Date day, NthWeekdayOfMonth(year, month, Weekday::kFriday, -1));
  while (true) {
    EODCLEAR_ASSIGN_OR_RETURN(bool either, IsBusinessDayInAny({&uk, &us}, day));
    if (either) break;
    day = day.AddDays(-1);
  }
  ContractExpiry e;
  e.last_trade_date = day;
  EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates, AtLocalTime(day, 16, 0, "Europe/London"));
  e.final_settlement_date = day;
  e.final_settlement_basis = p.final_reference + " published at 16:00 London on " + day.ToString();
  return e;
}

Result<ContractExpiry> Eris(const Product& p, int year, int month, const Calendar& us) {
  // The contract month names the IMM effective date, its third Wednesday; the swap matures tenor
  // years later, adjusted by ISDA modified following on New York business days; trading ends on the
  // business day before maturity (CME Eris Swap Futures contract specifications).
  EODCLEAR_ASSIGN_OR_RETURN(Date effective, NthWeekdayOfMonth(year, month, Weekday::kWednesday, 3));
  EODCLEAR_ASSIGN_OR_RETURN(Date nominal,
                            Date::FromYmd(year + p.tenor_years, month, effective.day()));
  Date maturity = nominal;
  EODCLEAR_ASSIGN_OR_RETURN(bool business, us.IsBusinessDay(nominal));
  if (!business) {
    EODCLEAR_ASSIGN_OR_RETURN(maturity, us.NextBusinessDay(nominal));
    if (maturity.month() != nominal.month()) {
      EODCLEAR_ASSIGN_OR_RETURN(maturity, us.PreviousBusinessDay(nominal));
    }
  }
  EODCLEAR_ASSIGN_OR_RETURN(Date last, us.PreviousBusinessDay(maturity));
  ContractExpiry e;
  e.last_trade_date = last;
  // CME names no termination time; the end of the daily settlement window is used.
  int end = p.settlement_window ? p.settlement_window->end_seconds : 14 * 3600;
  std::string zone = p.settlement_time_zone.empty() ? "America/Chicago" : p.settlement_time_zone;
  EODCLEAR_ASSIGN_OR_RETURN(e.trading_terminates,
                            AtLocalTime(last, end / 3600, end / 60 % 60, zone));
  e.final_settlement_date = maturity;
  e.final_settlement_basis = std::to_string(p.tenor_years) + "-year swap effective " +
                             effective.ToString() + " maturing " + maturity.ToString();
  return e;
}

}  // namespace

Result<ZonedTime> AtLocalTime(Date date, int hour, int minute, const std::string& zone) {
  try {
    const date::time_zone* tz = date::locate_zone(zone);
    auto local = date::local_days{date::days{date.days_since_epoch()}} + std::chrono::hours{hour} +
                 std::chrono::minutes{minute};
    auto zoned = date::make_zoned(tz, local, date::choose::earliest);
    auto info = zoned.get_info();
    int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(zoned.get_sys_time().time_since_epoch())
            .count();
    return ZonedTime{seconds * kNanosPerSecond, static_cast<int32_t>(info.offset.count() / 60)};
  } catch (const std::exception& e) {
    return Err(Status::InvalidArgument("time zone '" + zone + "': " + e.what()));
  }
}

Result<WindowInstants> SettlementWindowOn(const Product& p, Date date) {
  if (!p.settlement_window) {
    return Err(Status::InvalidArgument(p.code + " has no settlement window of its own"));
  }
  auto at = [&](int seconds) -> Result<ZonedTime> {
    EODCLEAR_ASSIGN_OR_RETURN(ZonedTime t, AtLocalTime(date, seconds / 3600, seconds % 3600 / 60,
                                                       p.settlement_time_zone));
    t.unix_nanos += static_cast<int64_t>(seconds % 60) * kNanosPerSecond;
    return t;
  };
  WindowInstants w;
  EODCLEAR_ASSIGN_OR_RETURN(w.start, at(p.settlement_window->start_seconds));
  EODCLEAR_ASSIGN_OR_RETURN(w.end, at(p.settlement_window->end_seconds));
  return w;
}

Result<ContractExpiry> ComputeExpiry(const Product& p, int year, int month,
                                     const CalendarSet& calendars) {
  if (!p.Lists(month)) {
    return Err(Status::InvalidArgument(
        p.code + " does not list contract month " + std::to_string(month) +
        " (listed months: " + std::to_string(p.listed_months.size()) + ")"));
  }
  switch (p.expiry_rule) {
    case ExpiryRule::kEquityIndex: {
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* nyse, Need(calendars, "NYSE", p));
      return EquityIndex(p, year, month, *nyse);
    }
    case ExpiryRule::kVolq: {
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* nyse, Need(calendars, "NYSE", p));
      return Volq(year, month, *nyse);
    }
    case ExpiryRule::kUsdCnh: {
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* hk, Need(calendars, "HK", p));
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* us, Need(calendars, "US", p));
      return UsdCnh(year, month, *hk, *us);
    }
    case ExpiryRule::kMicroEtherEuro: {
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* uk, Need(calendars, "UK", p));
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* us, Need(calendars, "US", p));
      return MicroEtherEuro(p, year, month, *uk, *us);
    }
    case ExpiryRule::kEris: {
      EODCLEAR_ASSIGN_OR_RETURN(const Calendar* us, Need(calendars, "US", p));
      return Eris(p, year, month, *us);
    }
    case ExpiryRule::kBtic:
      break;
  }
  return Err(Status::InvalidArgument(p.code + ": expiry rule " +
                                     std::string(ExpiryRuleName(p.expiry_rule)) +
                                     " has no monthly expiry computation"));
}

}  // namespace eodclear
