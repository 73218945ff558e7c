#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"
#include "pipeline/core/status.h"
#include "pipeline/refdata/account_directory.h"
#include "pipeline/refdata/position_limit_table.h"

namespace eodclear {

// Position limits, accountability levels and reportable positions of the end-of-day books.
//
// Sources. CME Chapter 5 "Position Limit, Position Accountability and Reportable Level Table" as
// loaded into PositionLimitTable (ops/refdata/position_limits.csv); for USD/CNH, CME Submission
// 13-543 (seed 002): spot-month limit 5,000 CNH "in the spot month on or after the day one week
// prior to the termination of trading day", all-months limit 10,000 CNH, no single-month limit,
// "10 MNH : 1 CNH" aggregation, reporting levels 25 CNH and 250 MNH. Reportable positions: CFTC
// 17 CFR 15.00 and 15.03 (reportable position, reporting levels) and Part 17 (17.00(a): the report
// shows every futures position of the reportable account, and all positions in all months of the
// same commodity on the same market).
//
// Both functions are pure and thread-compatible: no I/O, no clock, no floating point. Quantities
// in the results are exact decimals (pipeline/core/decimal.h).

// One account's end-of-day position in one contract, as the position book keeps it
// (stages/ingest/position_book.h: net contracts per firm, account and contract).
struct LimitPosition {
  std::string firm;      // clearing firm, e.g. "CLR01"
  std::string account;   // account id; its beneficial owner comes from the AccountDirectory
  std::string contract;  // canonical contract symbol, e.g. "CNHZ23"
  int64_t net = 0;       // contracts of `contract`: positive long, negative short
};

// What a finding reports. The names are written in reports: do not change them.
enum class FindingKind {
  kSpotMonth,       // "spot_month": a spot-month limit is exceeded (a violation)
  kSingleMonth,     // "single_month": a single-month limit is exceeded (a violation)
  kAllMonths,       // "all_months": an all-months limit is exceeded (a violation)
  kAccountability,  // "accountability": an accountability level is exceeded (for review only)
};

// "spot_month", "single_month", "all_months" or "accountability".
std::string_view FindingKindName(FindingKind kind);

// One contract an owner's checked position is made of.
struct AggregatedContract {
  std::string contract;  // e.g. "MNHZ23"
  Decimal ratio;         // base contracts per contract of `contract` (CNH 1, MNH 0.1)
  int64_t quantity = 0;  // the owner's net contracts of `contract`, all accounts summed
  Decimal equivalent;    // quantity × ratio, in base contracts (exact: 5 MNH = 0.5 CNH)
};

// A position over a limit or an accountability level.
struct LimitFinding {
  Date business_date;
  std::string owner;  // beneficial owner
  FindingKind kind = FindingKind::kSpotMonth;
  // The period of the level exceeded: the kind's own for the three limits; for accountability,
  // kSingleMonth or kAllMonths (the table has no spot-month accountability level).
  LimitKind period = LimitKind::kSpotMonth;
  std::string base_product;  // e.g. "CNH": the row whose limits were applied
  // The base contract month ("CNHZ23") for spot-month and single-month findings; the base product
  // ("CNH") for all-months findings, which cover every month.
  std::string base_contract;
  // The owner's non-zero net contracts that make up `position`, ordered by delivery month then
  // contract symbol; the base's own contracts and those of every product aggregating into it.
  std::vector<AggregatedContract> aggregated;
  Decimal position;       // signed net futures equivalent, in base contracts (Σ equivalents)
  int64_t limit = 0;      // the table's limit or accountability level, in base contracts
  int64_t exemption = 0;  // the exemption in force added to the limit; 0 for none and always 0
                          // for accountability
  Decimal excess;         // |position| − (limit + exemption), > 0
};

// Checks every beneficial owner's positions against the limits and accountability levels of
// `table` on `business_date`.
//
// The rule (CME Chapter 5 table; Submission 13-543 for CNH/MNH):
//  - Owners. Accounts are grouped by beneficial owner (AccountDirectory::OwnerOf: an unlisted
//    account is its own owner). Firms do not split an owner.
//  - Net futures equivalents. A product whose row aggregates into another (MNH -> CNH at 0.1)
//    counts toward its base at the row's ratio; chains (MES -> ES -> SP) multiply their ratios
//    and count toward the last product, which has no aggregate_into. Long and short net: across
//    accounts, and across a base and its aggregating products. The result is kept exact and may
//    be fractional in base contracts (5 MNH = 0.5 CNH); nothing is rounded.
//  - Checked once, at the base. A product that aggregates into a base is never checked against
//    its own row: its row's limits are the base's limits in its own units (the loader checks they
//    agree), so a second test would double count. Findings are in base contracts.
//  - Spot month. Per base contract month (CNHZ23 with MNHZ23), the net equivalent is checked
//    against the base's spot_month_limit on business dates in the spot month:
//    SpotMonthStart::Contains(business_date, last trading day), i.e. from N calendar days before
//    the termination of trading day through that day (CNH: "termination-7d").
//  - Single month. Per base contract month, against single_month_limit, on every date (the spot
//    month included).
//  - All months. The owner's net over every month of the base and its aggregating products
//    (a long in one month nets a short in another), against all_months_limit.
//  - Exceeded means |position| > limit + exemption (at the limit is not over it). Exemptions:
//    the owner's exemption of the base product and the limit's kind in force on `business_date`
//    (AccountDirectory::ExemptionInForce) RAISES the limit by its quantity, as the issue states:
//    effective limit = limit + exemption. (The Exemption comment in
//    pipeline/refdata/account_directory.h says the quantity replaces the limit; this module
//    follows the issue.) Exemptions are looked up under the base product only, because the limit
//    is checked once, in base contracts: an exemption recorded under an aggregating product
//    (MNH) is not applied.
//  - Accountability. A position over the base's single_month_accountability (per base contract
//    month) or all_months_accountability (all months) is reported with kind kAccountability for
//    review; it is not a violation. Exemptions do not raise accountability levels.
//  - A product with no row in `table`, or whose base has no level of a kind, is not checked for
//    that kind.
//
// `last_trade_dates` maps a contract symbol to its last trading day (the termination of trading
// day), computed by the caller with the expiry engine (pipeline/refdata/expiry.h). It must hold
// every contract with a non-zero position whose base has a spot-month limit.
//
// Findings are ordered by owner, then base product; within those, spot-month findings by month,
// single-month findings by month, the all-months finding, single-month accountability by month,
// then all-months accountability.
//
// Errors, with nothing returned:
//  - kDataError: a contract symbol is not "<product><month code><2-digit year>";
//  - kInvalidArgument: a (firm, account, contract) is listed twice; a net of INT64_MIN or an
//    owner total outside int64; a contract missing from `last_trade_dates`; two contracts of one
//    base month (CNHZ23, MNHZ23) with different last trading days; a row that aggregates into a
//    base which has no level of a kind the row has (its level would be silently ignored); a
//    chain of ratios whose product is not exact or exceeds 1,000,000.
[[nodiscard]] Result<std::vector<LimitFinding>> CheckLimits(
    Date business_date, const std::vector<LimitPosition>& positions,
    const PositionLimitTable& table, const AccountDirectory& directory,
    const std::map<std::string, Date>& last_trade_dates);

// One account's position in one contract of a reportable owner and product.
struct ReportableRecord {
  Date business_date;
  std::string owner, account, firm, contract;
  int64_t long_quantity = 0;   // open long contracts at the close, ≥ 0
  int64_t short_quantity = 0;  // open short contracts at the close, ≥ 0
};

// The reportable positions of `business_date` (CFTC 17 CFR 15.00, 15.03, 17.00; CME Chapter 5
// reporting levels; the table's reportable_level).
//
// The rule:
//  - An owner (accounts grouped by AccountDirectory::OwnerOf) is reportable in a product when, in
//    any single contract month of that product, the owner's open long contracts (Σ of the
//    accounts' long positions) or open short contracts (Σ of the short ones) reach the product's
//    reporting level: "reaches" is >= (CNH: 25; MNH: 250). Long and short are not netted across
//    accounts: a reportable position is a long or a short open position, and 17.00(a) reports
//    each account's long and short as they are; this can only report more than netting would.
//  - Levels are per product, in the product's own contracts: aggregation (MNH -> CNH) applies to
//    limits, not to reporting levels, so 10 MNH never count toward the 25 CNH level and an
//    owner's MNH positions are reported only when MNH itself reaches 250.
//  - Months are not summed: 13 CNHZ23 and 12 CNHH24 do not reach 25.
//  - When reportable, every one of the owner's non-zero positions in that product is reported,
//    every month and every account: one record per (firm, account, contract), long = max(net, 0),
//    short = max(−net, 0).
//  - Products with no row in `table`, or no reportable_level, are never reported.
//
// Records are ordered by owner, product, delivery month, firm, account.
//
// Errors, with nothing returned: kDataError for a contract symbol that does not parse;
// kInvalidArgument for a (firm, account, contract) listed twice, a net of INT64_MIN, or an owner
// total outside int64.
[[nodiscard]] Result<std::vector<ReportableRecord>> ReportablePositions(
    Date business_date, const std::vector<LimitPosition>& positions,
    const PositionLimitTable& table, const AccountDirectory& directory);

// CheckLimits and ReportablePositions of the same positions, which are parsed and checked once.
struct LimitsAndReports {
  std::vector<LimitFinding> findings;
  std::vector<ReportableRecord> reports;
};
[[nodiscard]] Result<LimitsAndReports> CheckLimitsAndReport(
    Date business_date, const std::vector<LimitPosition>& positions,
    const PositionLimitTable& table, const AccountDirectory& directory,
    const std::map<std::string, Date>& last_trade_dates);

}  // namespace eodclear
