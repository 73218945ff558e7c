#pragma once

#include <string>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/calendar.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

// When a contract stops trading and settles finally, by its product's expiry rule.
struct ContractExpiry {
  // The last day the contract trades.
  Date last_trade_date;
  // The instant trading terminates, in the zone of the place the rule names (New York, Hong Kong,
  // London): an 11:00 Hong Kong termination is the previous evening in Chicago.
  ZonedTime trading_terminates;
  // The day the final settlement price is determined (cash) or delivery is made (physical).
  Date final_settlement_date;
  // True when a declared unscheduled holiday moved termination and final settlement (SER 9163).
  bool unscheduled_holiday = false;
  // How the final settlement price is found, in words ("special opening quotation of SPX on
  // 2024-03-15"), for reports.
  std::string final_settlement_basis;
};

// Computes the expiry of `product`'s contract of `year`/`month` with the calendars it names.
// Errors: kInvalidArgument for a month the product does not list or a rule with no monthly expiry
// (BTIC+/TACO+); kFailedPrecondition when a date the rule needs is outside a calendar's coverage;
// kNotFound when a calendar the product names is missing.
//
// Rules (the seeds):
// - equity_index (SER 9163, XXX02.G and XXX03.A): final settlement on the third Friday, or the
// first
//   preceding day the index is scheduled to be published (an NYSE scheduled business day); trading
//   terminates at the scheduled NYSE open (09:30 New York) that day. When an unscheduled holiday is
//   declared on that day, trading terminates at the NYSE close (16:00) of the preceding business
//   day, whose official index close becomes the final settlement price.
// - volq (Chapter 379): VolS 30 days before the third Friday of the following month (or of the
//   first preceding day index options trade), moved to the first preceding day the index is
//   published; an unscheduled holiday on that day moves VolS to the next business day and
//   termination to the close of the preceding one.
// - usd_cnh (Submission 13-543; Chapters 284L, 344L): trading terminates at 11:00 Hong Kong time on
//   the second Hong Kong business day before the third Wednesday; delivery on the third Wednesday,
//   or the next day that is a business day in both Hong Kong and the US.
// - micro_ether_euro (Chapter 447, 44702.F): 16:00 London on the last Friday of the month when it
//   is a business day in the UK or the US, else the nearest preceding day that is; final settlement
//   the same day (44703.A).
// - eris (CBOT Chapter 61; CME contract specifications): the contract month names the IMM
//   effective date (its third Wednesday); the swap matures tenor years later, ISDA modified
//   following on US business days; trading terminates on the business day before maturity (CME
//   names no time: the end of the daily settlement window is used); final settlement at maturity.
Result<ContractExpiry> ComputeExpiry(const Product& product, int year, int month,
                                     const CalendarSet& calendars);

// A product's daily settlement window on one date, as instants.
struct WindowInstants {
  ZonedTime start;
  ZonedTime end;
};

// The window [start, end] of `product`'s daily settlement on `date`: its local window
// (settlement_window) in its settlement_time_zone, converted on that date (so the UTC offset is the
// date's, daylight saving included). kInvalidArgument for a product without a window (kParent) or
// a bad zone.
Result<WindowInstants> SettlementWindowOn(const Product& product, Date date);

// The instant `hour`:`minute` local time on `date` in the IANA zone `zone`.
Result<ZonedTime> AtLocalTime(Date date, int hour, int minute, const std::string& zone);

}  // namespace eodclear
