#!/usr/bin/python3
"""End-to-end golden tests of daily settlement, variation margin and final settlement.

Each scenario is a small hand-built input folder (trades.csv, quotes.csv, reference_prices.csv,
settlement_overrides.csv) run once with `eodclear run --date D --embedded` in a fresh temporary
folder, with no state carried over (so every contract is on its first day: start-of-day positions
are 0, and a prior settlement can only come from a DAILY override dated before D). Every expected
price and amount below is worked by hand from the rule texts (the comments show the arithmetic),
never copied from the program's output:

(a) 2023-06-14: tier 1 VWAP inside the bid/ask (window bounds inclusive, a trade 1 s either side
    excluded, a quote before the snapshot and one after the window end both ignored); tier 1 VWAP
    below the bid settles at the bid; tier 2 bid/ask midpoint (snapshot quote before the window
    start still counts, a later one does not); exact half-tick ties rounded toward the prior (a
    DAILY override of the previous business day; the latest such override wins) with the prior
    below and above; a DAILY override for D wins over the tiers; MESU23 settles at ESU23's price
    (tier parent) and its VM uses multiplier 5; per-account VM, firm totals, zero-sum per
    contract, positions.
(b) 2023-06-14: tier 4 carried and stale (prior from a DAILY override of the previous day, no
    trade in the window, only a quote after the window end); and a first day with nothing to
    settle from (no window trade, a one-sided quote, no prior, no override) stops the run with
    exit 6, naming the contract, publishing nothing.
(c) 2023-06-14: the Eris curve (U23): LIDU23 (4Y) and LIBU23 (7Y) tier 1, LIWU23 (5Y) with no
    window trade and no quote interpolated linearly between their daily changes, LICU23 (3Y) with
    a two-sided market only fitted by the flat 4Y change and moved into its bid/ask.
(d) 2023-06-16: ESM23 and MESM23 final settlement at the SPX special opening quotation, VM marked
    to the final price, positions closed (allocations CASH_SETTLED), a trade executed after the
    08:30 CT termination dead-lettered CONTRACT_TERMINATED (exit 1); ESU23 daily-settled alongside.
(e) SER 9163 unscheduled holiday: in a copy of the reference data with an unscheduled NYSE holiday
    declared on 2025-03-21, `eodclear calendar` moves ESH25's termination to 2025-03-20 16:00 New
    York, and the 2025-03-20 run settles ESH25 at that day's SPX official close, dead-lettering a
    trade after the moved termination.
(f) 2023-09-15: a FINAL override wins over the SPX SOQ (status OVERRIDDEN).

The reference data used is --refdata when it has the product rows the figures rest on (checked
column by column, see PRODUCT_TERMS); otherwise the repository's ops/refdata (the ctest fixture
tests/testdata/e2e/refdata has no LIC/LID/LIW/LIB).
"""

import base64
import decimal
import json
import os
import shutil
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import OVERRIDES_HEADER, QUOTES_HEADER, REFERENCE_HEADER  # noqa: E402
from harness import dec, final_view, instant, num, settlement_view, trades_csv  # noqa: E402

Dec = decimal.Decimal

# --------------------------------------------------------------------------------------------------
# The product terms every hand-worked figure below rests on (ops/refdata/products.csv). A refdata
# folder is used only if its rows agree on every one of these columns.
# --------------------------------------------------------------------------------------------------
TERM_COLUMNS = ("currency", "multiplier", "tick", "settlement_tick", "settlement_method",
                "settlement_window", "settlement_time_zone", "parent", "final_reference",
                "final_reference_kind")
PRODUCT_TERMS = {
    "ES": ("USD", "50", "0.25", "0.25", "vwap", "14:59:30-15:00:00", "America/Chicago", "",
           "SPX", "SOQ"),
    "MES": ("USD", "5", "0.25", "0.25", "parent", "", "", "ES", "SPX", "SOQ"),
    "NQ": ("USD", "20", "0.25", "0.25", "vwap", "14:59:30-15:00:00", "America/Chicago", "",
           "NDX", "SOQ"),
    "YM": ("USD", "5", "1", "1", "vwap", "14:59:30-15:00:00", "America/Chicago", "", "INDU",
           "SOQ"),
    "ME": ("USD", "100", "0.10", "0.10", "vwap", "14:59:30-15:00:00", "America/Chicago", "",
           "MID", "SOQ"),
    "RTY": ("USD", "50", "0.10", "0.10", "vwap", "14:59:30-15:00:00", "America/Chicago", "",
            "RUT", "SOQ"),
    "LIC": ("USD", "1000", "0.001", "0.0001", "curve", "13:59:00-14:00:00", "America/Chicago",
            "", "", ""),
    "LID": ("USD", "1000", "0.001", "0.0001", "curve", "13:59:00-14:00:00", "America/Chicago",
            "", "", ""),
    "LIW": ("USD", "1000", "0.001", "0.0001", "curve", "13:59:00-14:00:00", "America/Chicago",
            "", "", ""),
    "LIB": ("USD", "1000", "0.001", "0.0001", "curve", "13:59:00-14:00:00", "America/Chicago",
            "", "", ""),
}
# Eris tenors (expiry_rule eris:<years>) the curve scenario relies on.
ERIS_TENORS = {"LIC": "eris:3", "LID": "eris:4", "LIW": "eris:5", "LIB": "eris:7"}

OUTPUT_TOPICS = ("settlement-prices", "variation-margin", "final-settlements", "positions",
                 "dead-letters", "eod-runs")


def term_problems(refdata: str, codes) -> list:
    """How the products.csv rows of `codes` in `refdata` differ from PRODUCT_TERMS (and
    ERIS_TENORS); [] when they match."""
    rows = harness.product_rows(refdata)
    bad = []
    for code in codes:
        row = rows.get(code)
        if row is None:
            bad.append(f"{code} missing")
            continue
        got = tuple(row[c] for c in TERM_COLUMNS)
        if got != PRODUCT_TERMS[code]:
            bad.append(f"{code}: {dict(zip(TERM_COLUMNS, got))} != "
                       f"{dict(zip(TERM_COLUMNS, PRODUCT_TERMS[code]))}")
        if code in ERIS_TENORS and row["expiry_rule"] != ERIS_TENORS[code]:
            bad.append(f"{code}: expiry_rule {row['expiry_rule']}")
    return bad


def choose_refdata(env: harness.Env, checks: harness.Checks, codes, label: str) -> str:
    """The first of --refdata and ops/refdata whose rows for `codes` match PRODUCT_TERMS."""
    refdata, problems = harness.first_refdata(env, lambda folder: term_problems(folder, codes))
    if refdata is None:
        checks.require(False, f"{label}: setup: a refdata folder with the assumed product terms",
                       "\n  ".join(problems))
    print(f"  ({label}: reference data {refdata})", flush=True)
    return refdata


# --------------------------------------------------------------------------------------------------
# Checks of one run's outputs (harness.RunOutputs: the JSON-lines files, restricted to the date's
# run id) against the hand-worked figures
# --------------------------------------------------------------------------------------------------

def check_settlements(checks, label, records, expected: dict, optional=()) -> None:
    """expected: contract -> {field: value as the record would carry it}. Every expected contract
    has exactly one record with those fields; contracts neither expected nor in `optional` have
    none."""
    by_contract = {}
    for r in records:
        by_contract.setdefault(r.get("contract"), []).append(r)
    dupes = {c: len(v) for c, v in by_contract.items() if len(v) > 1}
    checks.check(not dupes, f"{label}: one settlement-prices record per contract",
                 f"contracts with several records: {dupes}")
    extra = sorted(set(by_contract) - set(expected) - set(optional))
    missing = sorted(set(expected) - set(by_contract))
    checks.check(not extra and not missing,
                 f"{label}: settlement-prices has exactly the contracts to settle "
                 f"{sorted(expected)}",
                 f"missing {missing}; unexpected {extra}")
    for contract, fields in expected.items():
        if contract not in by_contract:
            continue
        got = settlement_view(by_contract[contract][0], fields.keys())
        want = settlement_view(fields, fields.keys())
        checks.equal(got, want, f"{label}: settlement of {contract}")


def vm_records(records):
    """ACCOUNT/ROUNDING records as {(kind, firm, account, contract): record}, FIRM_TOTAL records
    as {(firm, currency): record}, and the list of records of any other kind."""
    rows, totals, other = {}, {}, []
    for r in records:
        kind = r.get("kind", "KIND_UNSPECIFIED")
        if kind in ("ACCOUNT", "ROUNDING"):
            rows[(kind, r.get("firm", ""), r.get("account", ""), r.get("contract", ""))] = r
        elif kind == "FIRM_TOTAL":
            totals[(r.get("firm", ""), r.get("currency", ""))] = r
        else:
            other.append(r)
    return rows, totals, other


def check_vm(checks, label, records, contracts: dict, rows: list, totals: dict) -> None:
    """contracts: contract -> (currency, settlement_price, prior_price or "");
    rows: (kind, firm, account, contract, amount, start_of_day, bought, sold) — the exact set of
    ACCOUNT and ROUNDING records (start_of_day/bought/sold are not checked on ROUNDING rows);
    totals: (firm, currency) -> amount — the exact set of FIRM_TOTAL records."""
    got_rows, got_totals, other = vm_records(records)
    checks.check(not other, f"{label}: every variation-margin record is ACCOUNT, ROUNDING or "
                 "FIRM_TOTAL", f"others: {other[:3]}")
    keys = [(r.get("kind", ""), r.get("firm", ""), r.get("account", ""), r.get("contract", ""))
            for r in records if r.get("kind") in ("ACCOUNT", "ROUNDING")]
    checks.check(len(keys) == len(set(keys)), f"{label}: no VM record appears twice",
                 f"{len(keys)} records, {len(set(keys))} distinct")
    want_amounts = {(k, f, a, c): Dec(amt) for k, f, a, c, amt, *_ in rows}
    have_amounts = {k: dec(r.get("amount")) or Dec(0) for k, r in got_rows.items()}
    checks.equal(have_amounts, want_amounts,
                 f"{label}: VM amounts per (kind, firm, account, contract)")
    want_fields, have_fields = {}, {}
    for kind, firm, account, contract, _, sod, bought, sold in rows:
        key = (kind, firm, account, contract)
        currency, price, prior = contracts[contract]
        want_fields[key] = (currency, Dec(price), dec(prior)) + (
            (sod, bought, sold) if kind == "ACCOUNT" else ())
        r = got_rows.get(key)
        if r is not None:
            have_fields[key] = (r.get("currency", ""), dec(r.get("settlement_price")),
                                dec(r.get("prior_price"))) + (
                (num(r.get("start_of_day")), num(r.get("bought")), num(r.get("sold")))
                if kind == "ACCOUNT" else ())
    checks.equal({k: v for k, v in have_fields.items()},
                 {k: v for k, v in want_fields.items() if k in have_fields},
                 f"{label}: VM records' (currency, settlement_price, prior_price[, start_of_day, "
                 "bought, sold])")
    sums = {}
    for (kind, _, _, contract), r in got_rows.items():
        sums[contract] = sums.get(contract, Dec(0)) + (dec(r.get("amount")) or Dec(0))
    checks.equal({c: s for c, s in sums.items() if s != 0}, {},
                 f"{label}: VM amounts sum to exactly 0 per contract")
    have_totals = {k: dec(r.get("amount")) or Dec(0) for k, r in got_totals.items()}
    checks.equal(have_totals, {k: Dec(v) for k, v in totals.items()},
                 f"{label}: FIRM_TOTAL per (firm, currency)")
    checks.check(all(not r.get("contract") for r in got_totals.values()),
                 f"{label}: FIRM_TOTAL records have an empty contract")


def check_positions(checks, label, records, expected: dict) -> None:
    """expected: (firm, account, contract) -> (quantity, bought, sold), the exact set."""
    got = {}
    for r in records:
        got[(r.get("firm", ""), r.get("account", ""), r.get("contract", ""))] = (
            num(r.get("quantity")), num(r.get("bought")), num(r.get("sold")))
    checks.equal(got, expected, f"{label}: positions (quantity, bought, sold)")
    harness.check_open_interest(checks, label, got)


def check_finals(checks, label, records, expected: dict) -> None:
    """expected: contract -> {field: value}; the exact set of contracts."""
    by_contract = {}
    for r in records:
        by_contract.setdefault(r.get("contract"), []).append(r)
    checks.equal(sorted(by_contract), sorted(expected),
                 f"{label}: final-settlements contracts")
    checks.check(all(len(v) == 1 for v in by_contract.values()),
                 f"{label}: one final-settlements record per contract",
                 f"{ {c: len(v) for c, v in by_contract.items()} }")
    for contract, fields in expected.items():
        if contract in by_contract:
            checks.equal(final_view(by_contract[contract][0], fields.keys()),
                         final_view(fields, fields.keys()),
                         f"{label}: final settlement of {contract}")


def check_run_record(checks, label, out: harness.RunOutputs, status: str,
                     rejected: int) -> None:
    checks.equal(len(out.runs), 1, f"{label}: one eod-runs record for {out.date}")
    if out.runs:
        run = out.runs[-1]
        checks.equal((run.get("status"), num(run.get("messages_rejected"))), (status, rejected),
                     f"{label}: eod-runs (status, messages_rejected)")
        # Every output topic's record count; a topic the run wrote nothing to may be left out.
        summary = {t.get("topic"): num(t.get("records")) for t in run.get("topics", [])}
        got = {t: summary.get(t, 0) for t in ("settlement-prices", "variation-margin",
                                              "final-settlements", "positions", "dead-letters")}
        checks.equal(got, {t: len(out.of_run(t)) for t in got},
                     f"{label}: eod-runs record counts per topic == records of the run")


def check_dead_letters(checks, label, env, out: harness.RunOutputs, want: dict) -> None:
    """want: trade_id -> reason; the exact set of dead letters of the run."""
    got = {}
    for d in out.of_run("dead-letters"):
        trade = env.pb.Trade()
        try:
            trade.ParseFromString(base64.b64decode(d.get("original_value", "")))
            tid = trade.trade_id
        except Exception as e:  # noqa: BLE001 - reported as the trade id
            tid = f"<undecodable: {e}>"
        got[tid] = (d.get("source_topic"), d.get("reason"))
    checks.equal(got, {t: ("trades", r) for t, r in want.items()},
                 f"{label}: dead letters (trade id -> (source_topic, reason))")


def run_embedded(s: harness.Session, name: str, date: str, refdata: str, files: dict) -> tuple:
    """Writes the scenario's input folder and runs it; returns (Completed, RunOutputs of
    OUTPUT_TOPICS)."""
    return harness.run_embedded(s, name, date, refdata, OUTPUT_TOPICS, files)


# ==================================================================================================
# (a) 2023-06-14: tiers 1 and 2, ties toward the prior, override, parent
# ==================================================================================================
# Previous business day 2023-06-13 (NYSE and US calendars). CDT: America/Chicago is UTC-5, so the
# ES/NQ/YM/ME/RTY window 14:59:30-15:00:00 CT is 19:59:30Z-20:00:00Z.
A_DATE = "2023-06-14"
A_TRADES = [
    # ESU23. In the window (both bounds inclusive): A-ES-2 (14:59:30), A-ES-3 (19:59:45Z =
    # 14:59:45 CT), A-ES-4 (15:00:00). Outside: A-ES-1 (10:00), A-ES-5 (14:59:29, 1 s early),
    # A-ES-6 (15:00:01, 1 s late).
    ("A-ES-1", "2023-06-14T10:00:00-05:00", "ESU23", "4400.00", 5, "FA/FA-1", "FB/FB-1"),
    ("A-ES-2", "2023-06-14T14:59:30-05:00", "ESU23", "4410.25", 3, "FA/FA-1", "FB/FB-1"),
    ("A-ES-3", "2023-06-14T19:59:45Z", "ESU23", "4410.50", 1, "FB/FB-1", "FA/FA-2"),
    ("A-ES-4", "2023-06-14T15:00:00-05:00", "ESU23", "4410.75", 2, "FA/FA-2", "FB/FB-1"),
    ("A-ES-5", "2023-06-14T14:59:29-05:00", "ESU23", "4390.00", 4, "FB/FB-1", "FA/FA-1"),
    ("A-ES-6", "2023-06-14T15:00:01-05:00", "ESU23", "4430.00", 1, "FA/FA-2", "FB/FB-1"),
    # MESU23: settles at ESU23's price; its own window trade and quote are not used.
    ("A-MES-1", "2023-06-14T11:00:00-05:00", "MESU23", "4405.00", 10, "FA/FA-1", "FB/FB-1"),
    ("A-MES-2", "2023-06-14T14:59:50-05:00", "MESU23", "4412.00", 2, "FB/FB-1", "FA/FA-2"),
    # NQU23: tier 1, VWAP below the bid.
    ("A-NQ-1", "2023-06-14T14:59:40-05:00", "NQU23", "15000.00", 2, "FA/FA-1", "FB/FB-1"),
    ("A-NQ-2", "2023-06-14T14:59:55-05:00", "NQU23", "15000.50", 1, "FA/FA-2", "FB/FB-1"),
    # YMU23: no trade in the window (09:00, and 15:00:02 just after it): tier 2.
    ("A-YM-1", "2023-06-14T09:00:00-05:00", "YMU23", "34000", 3, "FB/FB-1", "FA/FA-1"),
    ("A-YM-2", "2023-06-14T15:00:02-05:00", "YMU23", "34050", 1, "FA/FA-2", "FB/FB-1"),
    # MEU23: tier 1 whose VWAP is an exact half tick; prior below.
    ("A-ME-1", "2023-06-14T14:59:35-05:00", "MEU23", "2505.10", 1, "FA/FA-1", "FB/FB-1"),
    ("A-ME-2", "2023-06-14T14:59:50-05:00", "MEU23", "2505.20", 1, "FB/FB-1", "FA/FA-2"),
    # RTYU23: tier 2 whose midpoint is an exact half tick; prior above.
    ("A-RTY-1", "2023-06-14T10:30:00-05:00", "RTYU23", "1849.00", 2, "FA/FA-1", "FB/FB-1"),
    # ESZ23: a window trade, but a DAILY override for D decides.
    ("A-ESZ-1", "2023-06-14T14:59:50-05:00", "ESZ23", "4450.00", 1, "FA/FA-1", "FB/FB-1"),
]
A_QUOTES = QUOTES_HEADER + """\
ESU23,2023-06-14T14:50:00-05:00,4411.00,5,4411.50,5
ESU23,2023-06-14T14:59:58-05:00,4410.25,8,4410.75,6
ESU23,2023-06-14T15:05:00-05:00,4415.00,3,4415.25,4
MESU23,2023-06-14T14:59:59-05:00,4420.00,9,4420.25,9
NQU23,2023-06-14T14:59:59-05:00,15001.00,4,15001.50,4
YMU23,2023-06-14T14:59:00-05:00,34010,2,34014,2
YMU23,2023-06-14T15:10:00-05:00,34100,1,34104,1
MEU23,2023-06-14T14:59:59-05:00,2505.00,3,2505.30,3
RTYU23,2023-06-14T14:59:59-05:00,1850.00,6,1850.10,6
ESZ23,2023-06-14T14:59:59-05:00,4449.75,1,4450.25,1
"""
A_OVERRIDES = OVERRIDES_HEADER + """\
2023-06-12,MEU23,DAILY,2510.00,older opening price,golden-test
2023-06-13,MEU23,DAILY,2500.00,opening price,golden-test
2023-06-13,RTYU23,DAILY,1900.00,opening price,golden-test
2023-06-14,ESZ23,DAILY,4455.50,operator override,golden-test
"""
A_WINDOW = {"window_start": "2023-06-14T14:59:30-05:00", "window_end": "2023-06-14T15:00:00-05:00"}
A_SETTLEMENTS = {
    # ESU23 tier 1. Window trades 4410.25 x3, 4410.50 x1, 4410.75 x2: volume 6, 3 trades,
    # VWAP = (13230.75 + 4410.50 + 8821.50) / 6 = 26462.75 / 6 = 4410.458333...
    # -> nearest 0.25: 4410.50 (0.0417 away; 4410.25 is 0.2083 away).
    # Snapshot = latest quote at or before 15:00:00: the 14:59:58 one, 4410.25 / 4410.75 (the
    # 14:50 quote is older, the 15:05 one is after the window end). 4410.25 <= 4410.50 <= 4410.75:
    # settles 4410.50. (With A-ES-5 in: 44022.75/10 -> 4402.25; with A-ES-6: 30892.75/7 ->
    # 4413.25; with the 15:05 quote: the bid 4415.00; with the 14:50 one: the bid 4411.00.)
    "ESU23": dict(price="4410.50", tier="vwap", stale=False, prior_price="", vwap="4410.50",
                  bid="4410.25", ask="4410.75", window_volume=6, window_trades=3, **A_WINDOW),
    # MESU23 tier parent: ESU23's 4410.50 (its own VWAP 4412.00 clamped to its 4420.00 bid would
    # give 4420.00).
    "MESU23": dict(price="4410.50", tier="parent", stale=False, neighbours=["ESU23"]),
    # NQU23 tier 1. VWAP = (15000.00 x2 + 15000.50 x1) / 3 = 45000.50 / 3 = 15000.1667
    # -> nearest 0.25: 15000.25 (0.0833 away). Below the bid 15001.00: settles at the bid.
    "NQU23": dict(price="15001.00", tier="vwap", stale=False, prior_price="", vwap="15000.25",
                  bid="15001.00", ask="15001.50", window_volume=3, window_trades=2, **A_WINDOW),
    # YMU23 tier 2: snapshot = the 14:59:00 quote (before the window start, still the latest at or
    # before 15:00:00; the 15:10 one is ignored): (34010 + 34014) / 2 = 34012, on the 1 tick.
    "YMU23": dict(price="34012", tier="bid_ask", stale=False, prior_price="", bid="34010",
                  ask="34014", window_volume=0, window_trades=0, **A_WINDOW),
    # MEU23 tier 1: VWAP = (2505.10 + 2505.20) / 2 = 2505.15, exactly between the 0.10 ticks
    # 2505.10 and 2505.20. Prior = the latest DAILY override before D: 2500.00 (2023-06-13, not
    # 2023-06-12's 2510.00) <= 2505.10 -> toward the prior: 2505.10 (half-up and half-even would
    # give 2505.20). Inside 2505.00 / 2505.30.
    "MEU23": dict(price="2505.10", tier="vwap", stale=False, prior_price="2500.00",
                  vwap="2505.10", bid="2505.00", ask="2505.30", window_volume=2, window_trades=2),
    # RTYU23 tier 2: (1850.00 + 1850.10) / 2 = 1850.05, between 1850.00 and 1850.10. Prior
    # 1900.00 >= 1850.10 -> toward the prior: 1850.10 (half-even and half-down give 1850.00).
    "RTYU23": dict(price="1850.10", tier="bid_ask", stale=False, prior_price="1900.00",
                   bid="1850.00", ask="1850.10"),
    # ESZ23: the DAILY override for D wins over its window trade (4450.00). override_reason
    # ("the override's reason and author", settlement.proto) is checked in scenario_a.
    "ESZ23": dict(price="4455.50", tier="override", stale=False),
}
A_VM_CONTRACTS = {  # contract -> (currency, settlement price, prior price)
    "ESU23": ("USD", "4410.50", ""), "MESU23": ("USD", "4410.50", ""),
    "NQU23": ("USD", "15001.00", ""), "YMU23": ("USD", "34012", ""),
    "MEU23": ("USD", "2505.10", "2500.00"), "RTYU23": ("USD", "1850.10", "1900.00"),
    "ESZ23": ("USD", "4455.50", ""),
}
# First day: start_of_day 0, so VM = multiplier x sum over the account's trades of
# (S - price) x signed quantity (buy +, sell -).
A_VM_ROWS = [
    # ESU23, S = 4410.50, x50.
    # FA-1: +5@4400.00: 10.50x5 = 52.50; +3@4410.25: 0.25x3 = 0.75; -4@4390.00: 20.50x-4 = -82.00
    #       -> -28.75 x 50 = -1437.50
    ("ACCOUNT", "FA", "FA-1", "ESU23", "-1437.50", 0, 8, 4),
    # FA-2: -1@4410.50: 0; +2@4410.75: -0.25x2 = -0.50; +1@4430.00: -19.50 -> -20.00 x 50 = -1000
    ("ACCOUNT", "FA", "FA-2", "ESU23", "-1000.00", 0, 3, 1),
    # FB-1: -52.50 - 0.75 + 0 (+1@4410.50) + 0.50 (-2@4410.75) + 82.00 (+4@4390) + 19.50
    #       (-1@4430) = 48.75 x 50 = 2437.50
    ("ACCOUNT", "FB", "FB-1", "ESU23", "2437.50", 0, 5, 11),
    # MESU23, S = 4410.50, x5.
    # FA-1: +10@4405.00: 5.50x10 = 55.00 x 5 = 275.00
    ("ACCOUNT", "FA", "FA-1", "MESU23", "275.00", 0, 10, 0),
    # FA-2: -2@4412.00: -1.50x-2 = 3.00 x 5 = 15.00
    ("ACCOUNT", "FA", "FA-2", "MESU23", "15.00", 0, 0, 2),
    # FB-1: -55.00 + (+2@4412.00: -1.50x2 = -3.00) = -58.00 x 5 = -290.00
    ("ACCOUNT", "FB", "FB-1", "MESU23", "-290.00", 0, 2, 10),
    # NQU23, S = 15001.00, x20.
    # FA-1: +2@15000.00: 1.00x2 = 2.00 x 20 = 40.00; FA-2: +1@15000.50: 0.50 x 20 = 10.00;
    # FB-1: -2.00 - 0.50 = -2.50 x 20 = -50.00
    ("ACCOUNT", "FA", "FA-1", "NQU23", "40.00", 0, 2, 0),
    ("ACCOUNT", "FA", "FA-2", "NQU23", "10.00", 0, 1, 0),
    ("ACCOUNT", "FB", "FB-1", "NQU23", "-50.00", 0, 0, 3),
    # YMU23, S = 34012, x5.
    # FB-1: +3@34000: 12x3 = 36; -1@34050: -38x-1 = 38 -> 74 x 5 = 370.00
    # FA-1: -3@34000: -36 x 5 = -180.00; FA-2: +1@34050: -38 x 5 = -190.00
    ("ACCOUNT", "FB", "FB-1", "YMU23", "370.00", 0, 3, 1),
    ("ACCOUNT", "FA", "FA-1", "YMU23", "-180.00", 0, 0, 3),
    ("ACCOUNT", "FA", "FA-2", "YMU23", "-190.00", 0, 1, 0),
    # MEU23, S = 2505.10, x100.
    # FA-1: +1@2505.10: 0 -> 0.00 (a record all the same: activity on D)
    # FA-2: -1@2505.20: -0.10x-1 = 0.10 x 100 = 10.00
    # FB-1: -1@2505.10: 0; +1@2505.20: -0.10 -> -10.00 (net 0 at the end, activity on D)
    ("ACCOUNT", "FA", "FA-1", "MEU23", "0.00", 0, 1, 0),
    ("ACCOUNT", "FA", "FA-2", "MEU23", "10.00", 0, 0, 1),
    ("ACCOUNT", "FB", "FB-1", "MEU23", "-10.00", 0, 1, 1),
    # RTYU23, S = 1850.10, x50. FA-1: +2@1849.00: 1.10x2 = 2.20 x 50 = 110.00; FB-1: -110.00
    ("ACCOUNT", "FA", "FA-1", "RTYU23", "110.00", 0, 2, 0),
    ("ACCOUNT", "FB", "FB-1", "RTYU23", "-110.00", 0, 0, 2),
    # ESZ23, S = 4455.50, x50. FA-1: +1@4450.00: 5.50 x 50 = 275.00; FB-1: -275.00
    ("ACCOUNT", "FA", "FA-1", "ESZ23", "275.00", 0, 1, 0),
    ("ACCOUNT", "FB", "FB-1", "ESZ23", "-275.00", 0, 0, 1),
]
# Every amount is a whole cent (multiplier x tick: 12.50, 1.25, 5.00, 5, 10.00, 5.00): no
# ROUNDING record.
A_TOTALS = {
    # FA: ES -1437.50 - 1000.00 = -2437.50; MES +290.00 -> -2147.50; NQ +50.00 -> -2097.50;
    #     YM -370.00 -> -2467.50; ME +10.00 -> -2457.50; RTY +110.00 -> -2347.50;
    #     ESZ +275.00 -> -2072.50
    ("FA", "USD"): "-2072.50",
    # FB: 2437.50 - 290.00 - 50.00 + 370.00 - 10.00 - 110.00 - 275.00 = 2072.50
    ("FB", "USD"): "2072.50",
}
A_POSITIONS = {
    # ESU23: FA-1 +5+3-4 = 4; FA-2 -1+2+1 = 2; FB-1 -5-3+1-2+4-1 = -6
    ("FA", "FA-1", "ESU23"): (4, 8, 4), ("FA", "FA-2", "ESU23"): (2, 3, 1),
    ("FB", "FB-1", "ESU23"): (-6, 5, 11),
    ("FA", "FA-1", "MESU23"): (10, 10, 0), ("FA", "FA-2", "MESU23"): (-2, 0, 2),
    ("FB", "FB-1", "MESU23"): (-8, 2, 10),
    ("FA", "FA-1", "NQU23"): (2, 2, 0), ("FA", "FA-2", "NQU23"): (1, 1, 0),
    ("FB", "FB-1", "NQU23"): (-3, 0, 3),
    ("FB", "FB-1", "YMU23"): (2, 3, 1), ("FA", "FA-1", "YMU23"): (-3, 0, 3),
    ("FA", "FA-2", "YMU23"): (1, 1, 0),
    # MEU23: FB-1 bought 1 and sold 1: net 0, not published.
    ("FA", "FA-1", "MEU23"): (1, 1, 0), ("FA", "FA-2", "MEU23"): (-1, 0, 1),
    ("FA", "FA-1", "RTYU23"): (2, 2, 0), ("FB", "FB-1", "RTYU23"): (-2, 0, 2),
    ("FA", "FA-1", "ESZ23"): (1, 1, 0), ("FB", "FB-1", "ESZ23"): (-1, 0, 1),
}


def scenario_a(env, checks, s):
    label = "(a) tiers"
    refdata = choose_refdata(env, checks, ["ES", "MES", "NQ", "YM", "ME", "RTY"], label)
    done, out = run_embedded(s, "a", A_DATE, refdata, {
        "trades.csv": trades_csv(A_DATE, A_TRADES), "quotes.csv": A_QUOTES,
        "settlement_overrides.csv": A_OVERRIDES})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_settlements(checks, label, out.of_run("settlement-prices"), A_SETTLEMENTS)
    # settlement.proto: override_reason is "the override's reason and author" (no format given):
    # both the override row's reason and its entered_by must be there.
    esz = [r for r in out.of_run("settlement-prices") if r.get("contract") == "ESZ23"]
    reason = esz[0].get("override_reason", "") if esz else ""
    checks.check("operator override" in reason and "golden-test" in reason,
                 f"{label}: ESZ23 override_reason names the reason and the author",
                 f"override_reason: {reason!r}")
    check_vm(checks, label, out.of_run("variation-margin"), A_VM_CONTRACTS, A_VM_ROWS, A_TOTALS)
    check_positions(checks, label, out.of_run("positions"), A_POSITIONS)
    check_finals(checks, label, out.of_run("final-settlements"), {})


# ==================================================================================================
# (b) tier 4 carried; a first day with nothing to settle from
# ==================================================================================================
B_DATE = "2023-06-14"
B1_TRADES = [
    # ESZ23: activity on D, but outside the window.
    ("B-ESZ-1", "2023-06-14T10:00:00-05:00", "ESZ23", "4455.25", 2, "FA/FA-1", "FB/FB-1"),
]
# The only quote is after the window end (15:10 CT): ignored, so no two-sided market.
B1_QUOTES = QUOTES_HEADER + "ESZ23,2023-06-14T15:10:00-05:00,4460.00,1,4460.50,1\n"
B1_OVERRIDES = OVERRIDES_HEADER + "2023-06-13,ESZ23,DAILY,4450.00,opening price,golden-test\n"
B1_SETTLEMENTS = {
    # No trade in the window, no two-sided market at its end: tier 4, the prior (the 2023-06-13
    # DAILY override) 4450.00 carried, stale. (Using the 15:10 quote would give 4460.25 bid_ask.)
    "ESZ23": dict(price="4450.00", tier="carried", stale=True, prior_price="4450.00",
                  window_volume=0, window_trades=0),
}
B1_VM_ROWS = [
    # S = 4450.00, x50. FA-1: +2@4455.25: -5.25x2 = -10.50 x 50 = -525.00; FB-1: +525.00
    ("ACCOUNT", "FA", "FA-1", "ESZ23", "-525.00", 0, 2, 0),
    ("ACCOUNT", "FB", "FB-1", "ESZ23", "525.00", 0, 0, 2),
]

B2_TRADES = [
    # NQZ23: activity on D outside the window; its only quote is one-sided; no override, no prior.
    ("B2-NQZ-1", "2023-06-14T10:00:00-05:00", "NQZ23", "15100.00", 1, "FA/FA-1", "FB/FB-1"),
    # ESU23 could be settled (tier 1), so the failure must name NQZ23, not just "a contract".
    ("B2-ESU-1", "2023-06-14T14:59:45-05:00", "ESU23", "4410.00", 1, "FA/FA-2", "FB/FB-1"),
]
B2_QUOTES = QUOTES_HEADER + """\
NQZ23,2023-06-14T14:59:59-05:00,15090.00,5,,0
ESU23,2023-06-14T14:59:59-05:00,4409.75,2,4410.25,2
"""
# A prior for another month of NQ does not help NQZ23.
B2_OVERRIDES = OVERRIDES_HEADER + "2023-06-13,NQU23,DAILY,15000.00,opening price,golden-test\n"


def scenario_b(env, checks, s):
    label = "(b1) carried"
    refdata = choose_refdata(env, checks, ["ES", "NQ"], "(b)")
    done, out = run_embedded(s, "b1", B_DATE, refdata, {
        "trades.csv": trades_csv(B_DATE, B1_TRADES), "quotes.csv": B1_QUOTES,
        "settlement_overrides.csv": B1_OVERRIDES})
    if checks.check(done.returncode == 0, f"{label}: run exits 0", done.describe()):
        check_run_record(checks, label, out, "SUCCEEDED", 0)
        check_settlements(checks, label, out.of_run("settlement-prices"), B1_SETTLEMENTS)
        check_vm(checks, label, out.of_run("variation-margin"),
                 {"ESZ23": ("USD", "4450.00", "4450.00")}, B1_VM_ROWS,
                 {("FA", "USD"): "-525.00", ("FB", "USD"): "525.00"})
        check_positions(checks, label, out.of_run("positions"),
                        {("FA", "FA-1", "ESZ23"): (2, 2, 0), ("FB", "FB-1", "ESZ23"): (-2, 0, 2)})

    label = "(b2) nothing to settle from"
    done, out = run_embedded(s, "b2", B_DATE, refdata, {
        "trades.csv": trades_csv(B_DATE, B2_TRADES), "quotes.csv": B2_QUOTES,
        "settlement_overrides.csv": B2_OVERRIDES})
    checks.equal(done.returncode, 6, f"{label}: NQZ23 cannot be settled: run exits 6")
    checks.check("NQZ23" in done.stderr + done.stdout,
                 f"{label}: the error names the contract NQZ23", done.describe())
    published = {t: len(out.files[t]) for t in OUTPUT_TOPICS if out.files[t]}
    checks.equal(published, {}, f"{label}: nothing published (records per output file)")


# ==================================================================================================
# (c) the Eris curve
# ==================================================================================================
C_DATE = "2023-06-14"
C_TRADES = [
    # LIDU23 (4Y): two window trades (13:59:00-14:00:00 CT).
    ("C-LID-1", "2023-06-14T13:59:10-05:00", "LIDU23", "98.520", 3, "FA/FA-1", "FB/FB-1"),
    ("C-LID-2", "2023-06-14T13:59:40-05:00", "LIDU23", "98.530", 1, "FB/FB-1", "FA/FA-2"),
    # LIBU23 (7Y): one trade at the window start (inclusive).
    ("C-LIB-1", "2023-06-14T13:59:00-05:00", "LIBU23", "96.250", 2, "FA/FA-1", "FB/FB-1"),
    # LIWU23 (5Y): trades at 10:00 and 14:00:01 (1 s after the window): no window trade, no quote.
    ("C-LIW-1", "2023-06-14T10:00:00-05:00", "LIWU23", "97.810", 5, "FA/FA-2", "FB/FB-1"),
    ("C-LIW-2", "2023-06-14T14:00:01-05:00", "LIWU23", "97.900", 1, "FA/FA-1", "FB/FB-1"),
    # LICU23 (3Y): a trade outside the window and a two-sided market.
    ("C-LIC-1", "2023-06-14T09:30:00-05:00", "LICU23", "99.100", 4, "FB/FB-1", "FA/FA-1"),
]
C_QUOTES = QUOTES_HEADER + """\
LIDU23,2023-06-14T13:59:59-05:00,98.510,10,98.540,10
LIBU23,2023-06-14T13:59:59-05:00,96.240,10,96.260,10
LICU23,2023-06-14T13:59:58-05:00,99.130,5,99.150,5
"""
C_OVERRIDES = OVERRIDES_HEADER + """\
2023-06-13,LICU23,DAILY,99.1000,opening price,golden-test
2023-06-13,LIDU23,DAILY,98.5000,opening price,golden-test
2023-06-13,LIWU23,DAILY,97.8000,opening price,golden-test
2023-06-13,LIBU23,DAILY,96.2000,opening price,golden-test
"""
C_SETTLEMENTS = {
    # LIDU23 tier 1: VWAP = (98.520x3 + 98.530x1) / 4 = (295.560 + 98.530) / 4 = 394.090 / 4
    # = 98.5225, on the 0.0001 settlement tick; inside 98.510 / 98.540. Daily change
    # 98.5225 - 98.5000 = +0.0225.
    "LIDU23": dict(price="98.5225", tier="vwap", stale=False, prior_price="98.5000",
                   vwap="98.5225", bid="98.510", ask="98.540", window_volume=4, window_trades=2,
                   window_start="2023-06-14T13:59:00-05:00",
                   window_end="2023-06-14T14:00:00-05:00"),
    # LIBU23 tier 1: VWAP 96.250 inside 96.240 / 96.260. Change 96.2500 - 96.2000 = +0.0500.
    "LIBU23": dict(price="96.2500", tier="vwap", stale=False, prior_price="96.2000",
                   vwap="96.2500", bid="96.240", ask="96.260", window_volume=2, window_trades=1),
    # LIWU23 tier 3 (no window trade, no market): between the nearest anchors 4Y and 7Y,
    # change = (0.0225 x (7 - 5) + 0.0500 x (5 - 4)) / (7 - 4) = (0.0450 + 0.0500) / 3
    #        = 0.031666...; 97.8000 + 0.031666... = 97.831666... -> 0.0001 tick: 97.8317.
    # (With C-LIW-2 wrongly in the window it would be tier 1 at 97.9000.)
    "LIWU23": dict(price="97.8317", tier="interpolated", stale=False, prior_price="97.8000",
                   neighbours=["LIDU23", "LIBU23"]),
    # LICU23 tier 2 (no window trade, two-sided market 99.130 / 99.150): anchors (tier 1 or
    # override) only above 3Y; the nearest is 4Y: flat change +0.0225 -> 99.1000 + 0.0225 =
    # 99.1225, below the bid 99.130 -> moved into the market: 99.1300. (The old midpoint rule
    # would give 99.1400.)
    "LICU23": dict(price="99.1300", tier="curve_fit", stale=False, prior_price="99.1000",
                   bid="99.130", ask="99.150", neighbours=["LIDU23"]),
}
C_VM_CONTRACTS = {
    "LIDU23": ("USD", "98.5225", "98.5000"), "LIBU23": ("USD", "96.2500", "96.2000"),
    "LIWU23": ("USD", "97.8317", "97.8000"), "LICU23": ("USD", "99.1300", "99.1000"),
}
C_VM_ROWS = [
    # LIDU23, S = 98.5225, x1000.
    # FA-1: +3@98.520: 0.0025x3 = 0.0075 x 1000 = 7.50; FA-2: -1@98.530: -0.0075x-1 -> 7.50;
    # FB-1: -0.0075 (-3@98.520) - 0.0075 (+1@98.530) = -0.0150 -> -15.00
    ("ACCOUNT", "FA", "FA-1", "LIDU23", "7.50", 0, 3, 0),
    ("ACCOUNT", "FA", "FA-2", "LIDU23", "7.50", 0, 0, 1),
    ("ACCOUNT", "FB", "FB-1", "LIDU23", "-15.00", 0, 1, 3),
    # LIBU23, S = 96.2500 = the trade price: 0.00 both.
    ("ACCOUNT", "FA", "FA-1", "LIBU23", "0.00", 0, 2, 0),
    ("ACCOUNT", "FB", "FB-1", "LIBU23", "0.00", 0, 0, 2),
    # LIWU23, S = 97.8317, x1000.
    # FA-2: +5@97.810: 0.0217x5 = 0.1085 -> 108.50; FA-1: +1@97.900: -0.0683 -> -68.30;
    # FB-1: -108.50 + 68.30 = -40.20
    ("ACCOUNT", "FA", "FA-2", "LIWU23", "108.50", 0, 5, 0),
    ("ACCOUNT", "FA", "FA-1", "LIWU23", "-68.30", 0, 1, 0),
    ("ACCOUNT", "FB", "FB-1", "LIWU23", "-40.20", 0, 0, 6),
    # LICU23, S = 99.1300, x1000. FB-1: +4@99.100: 0.0300x4 = 0.12 -> 120.00; FA-1: -120.00
    ("ACCOUNT", "FB", "FB-1", "LICU23", "120.00", 0, 4, 0),
    ("ACCOUNT", "FA", "FA-1", "LICU23", "-120.00", 0, 0, 4),
]
C_TOTALS = {
    # FA: 7.50 + 7.50 + 0.00 + 108.50 - 68.30 - 120.00 = -64.80; FB: -15.00 + 0.00 - 40.20 +
    # 120.00 = 64.80
    ("FA", "USD"): "-64.80", ("FB", "USD"): "64.80",
}
C_POSITIONS = {
    ("FA", "FA-1", "LIDU23"): (3, 3, 0), ("FA", "FA-2", "LIDU23"): (-1, 0, 1),
    ("FB", "FB-1", "LIDU23"): (-2, 1, 3),
    ("FA", "FA-1", "LIBU23"): (2, 2, 0), ("FB", "FB-1", "LIBU23"): (-2, 0, 2),
    ("FA", "FA-2", "LIWU23"): (5, 5, 0), ("FA", "FA-1", "LIWU23"): (1, 1, 0),
    ("FB", "FB-1", "LIWU23"): (-6, 0, 6),
    ("FB", "FB-1", "LICU23"): (4, 4, 0), ("FA", "FA-1", "LICU23"): (-4, 0, 4),
}


def scenario_c(env, checks, s):
    label = "(c) Eris curve"
    refdata = choose_refdata(env, checks, ["LIC", "LID", "LIW", "LIB"], label)
    done, out = run_embedded(s, "c", C_DATE, refdata, {
        "trades.csv": trades_csv(C_DATE, C_TRADES), "quotes.csv": C_QUOTES,
        "settlement_overrides.csv": C_OVERRIDES})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_settlements(checks, label, out.of_run("settlement-prices"), C_SETTLEMENTS)
    check_vm(checks, label, out.of_run("variation-margin"), C_VM_CONTRACTS, C_VM_ROWS, C_TOTALS)
    check_positions(checks, label, out.of_run("positions"), C_POSITIONS)


# ==================================================================================================
# (d) ESM23 / MESM23 final settlement at the SPX SOQ, 2023-06-16
# ==================================================================================================
# ESM23 and MESM23: third Friday 2023-06-16; trading terminates at the NYSE open, 09:30 New York =
# 08:30 Chicago (CDT, UTC-5) = 13:30Z. Final settlement price: SPX SOQ of 2023-06-16, 4432.74.
D_DATE = "2023-06-16"
D_TRADES = [
    ("D-ESM-1", "2023-06-16T08:00:00-05:00", "ESM23", "4430.00", 4, "FA/FA-1", "FB/FB-1"),
    # 09:29:59 New York = 08:29:59 CT, one second before the termination.
    ("D-ESM-2", "2023-06-16T09:29:59-04:00", "ESM23", "4431.25", 2, "FB/FB-1", "FA/FA-2"),
    # 08:30:01 CT: after the termination -> dead letter CONTRACT_TERMINATED.
    ("D-ESM-LATE", "2023-06-16T08:30:01-05:00", "ESM23", "4435.00", 1, "FA/FA-1", "FB/FB-1"),
    ("D-MESM-1", "2023-06-16T07:45:00-05:00", "MESM23", "4428.50", 10, "FB/FB-1", "FA/FA-1"),
    # ESU23 trades on, daily-settled.
    ("D-ESU-1", "2023-06-16T08:15:00-05:00", "ESU23", "4460.00", 3, "FA/FA-2", "FB/FB-1"),
    ("D-ESU-2", "2023-06-16T14:59:45-05:00", "ESU23", "4462.25", 1, "FB/FB-1", "FA/FA-1"),
]
D_QUOTES = QUOTES_HEADER + "ESU23,2023-06-16T14:59:59-05:00,4462.00,5,4462.50,5\n"
D_REFERENCE = REFERENCE_HEADER + """\
SPX,2023-06-15,OFFICIAL_CLOSE,4425.84,2023-06-15T16:30:00-04:00
SPX,2023-06-16,SOQ,4432.74,2023-06-16T10:05:00-04:00
"""
D_FINALS = {
    # Allocations = the positions closed: ESM23 FA-1 +4, FA-2 -2, FB-1 -4+2 = -2 (the late trade
    # is not applied).
    "ESM23": dict(price="4432.74", status="SETTLED", last_trade_date="2023-06-16",
                  trading_terminated="2023-06-16T09:30:00-04:00", reference_name="SPX",
                  reference_kind="SOQ", reference_date="2023-06-16", settlement_type="cash",
                  awaiting_deadline="",
                  allocations=[dict(firm="FA", account="FA-1", quantity=4,
                                    disposition="CASH_SETTLED"),
                               dict(firm="FA", account="FA-2", quantity=-2,
                                    disposition="CASH_SETTLED"),
                               dict(firm="FB", account="FB-1", quantity=-2,
                                    disposition="CASH_SETTLED")]),
    "MESM23": dict(price="4432.74", status="SETTLED", last_trade_date="2023-06-16",
                   trading_terminated="2023-06-16T09:30:00-04:00", reference_name="SPX",
                   reference_kind="SOQ", reference_date="2023-06-16", settlement_type="cash",
                   allocations=[dict(firm="FB", account="FB-1", quantity=10,
                                     disposition="CASH_SETTLED"),
                                dict(firm="FA", account="FA-1", quantity=-10,
                                     disposition="CASH_SETTLED")]),
}
D_VM_CONTRACTS = {
    "ESM23": ("USD", "4432.74", ""), "MESM23": ("USD", "4432.74", ""),
    "ESU23": ("USD", "4462.25", ""),
}
D_VM_ROWS = [
    # ESM23 marked to the final 4432.74, x50.
    # FA-1: +4@4430.00: 2.74x4 = 10.96 x 50 = 548.00
    # FA-2: -2@4431.25: 1.49x-2 = -2.98 x 50 = -149.00
    # FB-1: -10.96 + 2.98 = -7.98 x 50 = -399.00
    ("ACCOUNT", "FA", "FA-1", "ESM23", "548.00", 0, 4, 0),
    ("ACCOUNT", "FA", "FA-2", "ESM23", "-149.00", 0, 0, 2),
    ("ACCOUNT", "FB", "FB-1", "ESM23", "-399.00", 0, 2, 4),
    # MESM23 marked to 4432.74, x5. FB-1: +10@4428.50: 4.24x10 = 42.40 x 5 = 212.00; FA-1: -212.00
    ("ACCOUNT", "FB", "FB-1", "MESM23", "212.00", 0, 10, 0),
    ("ACCOUNT", "FA", "FA-1", "MESM23", "-212.00", 0, 0, 10),
    # ESU23: tier 1 VWAP 4462.25 (one window trade), inside 4462.00 / 4462.50, x50.
    # FA-2: +3@4460.00: 2.25x3 = 6.75 x 50 = 337.50; FA-1: -1@4462.25: 0.00;
    # FB-1: -6.75 + 0 = -337.50
    ("ACCOUNT", "FA", "FA-2", "ESU23", "337.50", 0, 3, 0),
    ("ACCOUNT", "FA", "FA-1", "ESU23", "0.00", 0, 0, 1),
    ("ACCOUNT", "FB", "FB-1", "ESU23", "-337.50", 0, 1, 3),
]
D_TOTALS = {
    # FA: 548.00 - 149.00 - 212.00 + 337.50 + 0.00 = 524.50; FB: -399.00 + 212.00 - 337.50
    ("FA", "USD"): "524.50", ("FB", "USD"): "-524.50",
}
D_POSITIONS = {
    # ESM23 and MESM23 are closed; only ESU23 remains.
    ("FA", "FA-2", "ESU23"): (3, 3, 0), ("FA", "FA-1", "ESU23"): (-1, 0, 1),
    ("FB", "FB-1", "ESU23"): (-2, 1, 3),
}


def scenario_d(env, checks, s):
    label = "(d) ESM23 final"
    refdata = choose_refdata(env, checks, ["ES", "MES"], label)
    done, out = run_embedded(s, "d", D_DATE, refdata, {
        "trades.csv": trades_csv(D_DATE, D_TRADES), "quotes.csv": D_QUOTES,
        "reference_prices.csv": D_REFERENCE})
    checks.require(done.returncode == 1, f"{label}: run exits 1 (published, with a dead letter)",
                   done.describe())
    check_run_record(checks, label, out, "SUCCEEDED_WITH_DATA_ERRORS", 1)
    check_dead_letters(checks, label, env, out, {"D-ESM-LATE": "CONTRACT_TERMINATED"})
    check_finals(checks, label, out.of_run("final-settlements"), D_FINALS)
    # ESM23/MESM23 are marked to the final price, not daily-settled: whether they also get a
    # settlement-prices record is not specified, so only ESU23 is required.
    check_settlements(checks, label, out.of_run("settlement-prices"), {
        "ESU23": dict(price="4462.25", tier="vwap", stale=False, vwap="4462.25", bid="4462.00",
                      ask="4462.50", window_volume=1, window_trades=1)},
        optional=("ESM23", "MESM23"))
    check_vm(checks, label, out.of_run("variation-margin"), D_VM_CONTRACTS, D_VM_ROWS, D_TOTALS)
    check_positions(checks, label, out.of_run("positions"), D_POSITIONS)


# ==================================================================================================
# (e) SER 9163: an unscheduled NYSE holiday on ESH25's final settlement day
# ==================================================================================================
# ESH25: third Friday of March 2025 = 2025-03-21 (1 March is a Saturday: Fridays 7, 14, 21). With
# an unscheduled NYSE holiday declared on 2025-03-21, trading terminates at the NYSE close of the
# preceding business day, Thursday 2025-03-20 16:00 New York (EDT since 9 March: UTC-4) = 15:00
# Chicago, and the final settlement price is SPX's official close of 2025-03-20: 5662.89.
E_DATE = "2025-03-20"
E_HOLIDAY_ROW = ("NYSE,Unscheduled closure (golden test),date:2025-03-21,none,2025,2025,"
                 "unscheduled,settlement_golden_test")
E_TRADES = [
    ("E-ESH-1", "2025-03-20T10:00:00-05:00", "ESH25", "5700.00", 2, "FA/FA-1", "FB/FB-1"),
    ("E-ESH-2", "2025-03-20T14:30:00-05:00", "ESH25", "5710.25", 1, "FB/FB-1", "FA/FA-2"),
    # 15:10 CT: after the moved termination (15:00 CT) -> dead letter CONTRACT_TERMINATED.
    ("E-ESH-LATE", "2025-03-20T15:10:00-05:00", "ESH25", "5705.00", 1, "FA/FA-1", "FB/FB-1"),
    ("E-ESM-1", "2025-03-20T14:59:50-05:00", "ESM25", "5740.00", 1, "FA/FA-1", "FB/FB-1"),
]
E_QUOTES = QUOTES_HEADER + "ESM25,2025-03-20T14:59:59-05:00,5739.75,2,5740.25,2\n"
# The 2025-03-19 close and a 2025-03-21 SOQ are there to be ignored.
E_REFERENCE = REFERENCE_HEADER + """\
SPX,2025-03-19,OFFICIAL_CLOSE,5675.29,2025-03-19T16:30:00-04:00
SPX,2025-03-20,OFFICIAL_CLOSE,5662.89,2025-03-20T16:30:00-04:00
SPX,2025-03-21,SOQ,5800.00,2025-03-21T10:05:00-04:00
"""
E_VM_ROWS = [
    # ESH25 marked to 5662.89, x50.
    # FA-1: +2@5700.00: -37.11x2 = -74.22 x 50 = -3711.00
    # FA-2: -1@5710.25: -47.36x-1 = 47.36 x 50 = 2368.00
    # FB-1: 74.22 - 47.36 = 26.86 x 50 = 1343.00
    ("ACCOUNT", "FA", "FA-1", "ESH25", "-3711.00", 0, 2, 0),
    ("ACCOUNT", "FA", "FA-2", "ESH25", "2368.00", 0, 0, 1),
    ("ACCOUNT", "FB", "FB-1", "ESH25", "1343.00", 0, 1, 2),
    # ESM25: tier 1 at 5740.00 = the trade price: 0.00 both.
    ("ACCOUNT", "FA", "FA-1", "ESM25", "0.00", 0, 1, 0),
    ("ACCOUNT", "FB", "FB-1", "ESM25", "0.00", 0, 0, 1),
]


def scenario_e(env, checks, s):
    label = "(e) unscheduled holiday"
    base = choose_refdata(env, checks, ["ES"], label)
    refdata = s.path("e-refdata")
    shutil.copytree(base, refdata)
    with open(os.path.join(refdata, "holidays.csv"), "a+") as f:
        f.seek(0)
        text = f.read()
        f.write(("" if text.endswith("\n") else "\n") + E_HOLIDAY_ROW + "\n")
    check = s.run_eodclear(["refdata", "check", "--refdata", refdata])
    checks.require(check.returncode == 0, f"{label}: refdata check accepts the declared holiday",
                   check.describe())

    before = s.run_eodclear(["calendar", "--contract", "ESH25", "--refdata", base])
    after = s.run_eodclear(["calendar", "--contract", "ESH25", "--refdata", refdata])
    facts = {}
    for name, done in (("before", before), ("after", after)):
        try:
            facts[name] = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            facts[name] = {}
            checks.check(False, f"{label}: calendar ({name}) prints a JSON object",
                         done.describe())
    b, a = facts["before"], facts["after"]
    checks.equal((b.get("last_trade_date"), instant(b.get("trading_terminates"))),
                 ("2025-03-21", instant("2025-03-21T09:30:00-04:00")),
                 f"{label}: without the holiday ESH25 terminates 2025-03-21 09:30 New York")
    checks.equal((a.get("last_trade_date"), instant(a.get("trading_terminates")),
                  a.get("unscheduled_holiday")),
                 ("2025-03-20", instant("2025-03-20T16:00:00-04:00"), True),
                 f"{label}: with it ESH25 terminates 2025-03-20 16:00 New York "
                 "(unscheduled_holiday true)")

    done, out = run_embedded(s, "e", E_DATE, refdata, {
        "trades.csv": trades_csv(E_DATE, E_TRADES), "quotes.csv": E_QUOTES,
        "reference_prices.csv": E_REFERENCE})
    checks.require(done.returncode == 1, f"{label}: run exits 1 (published, with a dead letter)",
                   done.describe())
    check_run_record(checks, label, out, "SUCCEEDED_WITH_DATA_ERRORS", 1)
    check_dead_letters(checks, label, env, out, {"E-ESH-LATE": "CONTRACT_TERMINATED"})
    check_finals(checks, label, out.of_run("final-settlements"), {
        # Allocations: FA-1 +2, FA-2 -1, FB-1 -2+1 = -1.
        "ESH25": dict(price="5662.89", status="SETTLED", last_trade_date="2025-03-20",
                      trading_terminated="2025-03-20T16:00:00-04:00", reference_name="SPX",
                      reference_kind="OFFICIAL_CLOSE", reference_date="2025-03-20",
                      settlement_type="cash",
                      allocations=[dict(firm="FA", account="FA-1", quantity=2,
                                        disposition="CASH_SETTLED"),
                                   dict(firm="FA", account="FA-2", quantity=-1,
                                        disposition="CASH_SETTLED"),
                                   dict(firm="FB", account="FB-1", quantity=-1,
                                        disposition="CASH_SETTLED")])})
    check_vm(checks, label, out.of_run("variation-margin"),
             {"ESH25": ("USD", "5662.89", ""), "ESM25": ("USD", "5740.00", "")}, E_VM_ROWS,
             # FA: -3711.00 + 2368.00 + 0.00 = -1343.00; FB: 1343.00 + 0.00
             {("FA", "USD"): "-1343.00", ("FB", "USD"): "1343.00"})
    check_positions(checks, label, out.of_run("positions"),
                    {("FA", "FA-1", "ESM25"): (1, 1, 0), ("FB", "FB-1", "ESM25"): (-1, 0, 1)})


# ==================================================================================================
# (f) a FINAL override wins over the SOQ
# ==================================================================================================
# ESU23: third Friday 2023-09-15, terminates 09:30 New York = 08:30 CT (CDT).
F_DATE = "2023-09-15"
F_TRADES = [
    ("F-ESU-1", "2023-09-15T08:00:00-05:00", "ESU23", "4498.50", 3, "FA/FA-1", "FB/FB-1"),
    ("F-ESZ-1", "2023-09-15T14:59:45-05:00", "ESZ23", "4520.00", 1, "FA/FA-2", "FB/FB-1"),
]
F_QUOTES = QUOTES_HEADER + "ESZ23,2023-09-15T14:59:59-05:00,4519.75,2,4520.25,2\n"
F_REFERENCE = REFERENCE_HEADER + "SPX,2023-09-15,SOQ,4500.12,2023-09-15T10:05:00-04:00\n"
F_OVERRIDES = OVERRIDES_HEADER + "2023-09-15,ESU23,FINAL,4501.00,SOQ under review,golden-test\n"


def scenario_f(env, checks, s):
    label = "(f) FINAL override"
    refdata = choose_refdata(env, checks, ["ES"], label)
    done, out = run_embedded(s, "f", F_DATE, refdata, {
        "trades.csv": trades_csv(F_DATE, F_TRADES), "quotes.csv": F_QUOTES,
        "reference_prices.csv": F_REFERENCE, "settlement_overrides.csv": F_OVERRIDES})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_finals(checks, label, out.of_run("final-settlements"), {
        "ESU23": dict(price="4501.00", status="OVERRIDDEN", last_trade_date="2023-09-15",
                      trading_terminated="2023-09-15T09:30:00-04:00", settlement_type="cash",
                      allocations=[dict(firm="FA", account="FA-1", quantity=3,
                                        disposition="CASH_SETTLED"),
                                   dict(firm="FB", account="FB-1", quantity=-3,
                                        disposition="CASH_SETTLED")])})
    # settlement.proto: the reference fields are empty when an override decided.
    finals = {r.get("contract"): r for r in out.of_run("final-settlements")}
    if "ESU23" in finals:
        checks.equal(final_view(finals["ESU23"], ("reference_name", "reference_kind")),
                     {"reference_name": "", "reference_kind": ""},
                     f"{label}: no reference named when the override decided (settlement.proto)")
    check_vm(checks, label, out.of_run("variation-margin"),
             {"ESU23": ("USD", "4501.00", ""), "ESZ23": ("USD", "4520.00", "")}, [
                 # ESU23 marked to the override 4501.00 (not the SOQ 4500.12, which would give
                 # 1.62x3 x 50 = 243.00). FA-1: +3@4498.50: 2.50x3 = 7.50 x 50 = 375.00
                 ("ACCOUNT", "FA", "FA-1", "ESU23", "375.00", 0, 3, 0),
                 ("ACCOUNT", "FB", "FB-1", "ESU23", "-375.00", 0, 0, 3),
                 # ESZ23 tier 1 at 4520.00 = the trade price: 0.00 both.
                 ("ACCOUNT", "FA", "FA-2", "ESZ23", "0.00", 0, 1, 0),
                 ("ACCOUNT", "FB", "FB-1", "ESZ23", "0.00", 0, 0, 1),
             ], {("FA", "USD"): "375.00", ("FB", "USD"): "-375.00"})
    check_positions(checks, label, out.of_run("positions"),
                    {("FA", "FA-2", "ESZ23"): (1, 1, 0), ("FB", "FB-1", "ESZ23"): (-1, 0, 1)})


def main(env: harness.Env, checks: harness.Checks) -> None:
    with harness.Session(env) as s:
        for scenario in (scenario_a, scenario_b, scenario_c, scenario_d, scenario_e, scenario_f):
            print(f"--- {scenario.__name__}", flush=True)
            try:
                scenario(env, checks, s)
            except harness.SetupError as e:
                print(f"  {scenario.__name__} stopped: required check failed: {e}", flush=True)
            except Exception:  # noqa: BLE001 - one broken scenario does not hide the others
                traceback.print_exc()
                checks.check(False, f"{scenario.__name__} ran without an unexpected error")


if __name__ == "__main__":
    harness.main(main, __doc__)
