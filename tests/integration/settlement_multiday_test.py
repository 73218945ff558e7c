#!/usr/bin/python3
"""End-to-end: settlement across consecutive business days on one broker and one state folder.

One `eodclear broker`, one --state folder, six business dates 2023-06-28, 06-29, 06-30, 07-03,
07-05, 07-06 (2023-07-04, Independence Day, is skipped: not a US business day). Before each run the
date's trades, quotes, reference prices and settlement overrides are loaded with `eodclear load`;
the outputs are read back with python3-kafka and the generated schema modules, taking the records
whose run id the date's eod-runs record names. Every expected figure is worked by hand in the
comments, never copied from the program's output. Checked each day:

- settlement prices (tier, stale, prior = the previous run date's settlement; on the first day the
  prior comes from a DAILY override dated 2023-06-27) for ESU23, MESU23 (its parent's price) and
  MEEM23: tier 1 VWAP, VWAP above the ask, tier 2 midpoint, tier 4 carried (07-03: no quote on the
  date, yesterday's does not count), half-tick ties toward the prior, both directions;
- variation margin per account with start-of-day positions carried across runs:
  multiplier x [(S - S_prior) x start_of_day + sum (S - price) x signed qty], ACCOUNT records
  only for positions with a start-of-day position or activity on the date, FIRM_TOTAL per firm
  and currency, amounts summing to exactly 0 per contract, long OI == short OI;
- the Micro Ether Euro deferral (CME Chapter 447): MEEM23's last trade date is 2023-06-30
  (termination 16:00 London); with no ETHEUR_RR for that date it is daily-settled that day and
  reported AWAITING (allocations OPEN, deadline 2023-07-14), a trade after the termination goes
  to dead letters CONTRACT_TERMINATED (exit 1); on 07-03 still AWAITING (a rate dated 07-03 does
  not count); on 07-05 the rate dated 2023-06-30 arrives: SETTLED, VM = 0.1 x (rate - last
  settlement) x position, whose cent rounding leaves a residual on the clearing-house rounding
  account (default CH/CH-ROUNDING), and the positions are closed;
- one eod-runs record per date, whose per-topic record counts and checksums match the records.
"""

import collections
import decimal
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import OVERRIDES_HEADER, QUOTES_HEADER, REFERENCE_HEADER  # noqa: E402
from harness import dec, final_view, num, settlement_view  # noqa: E402

Dec = decimal.Decimal

TERM_COLUMNS = ("currency", "multiplier", "tick", "settlement_tick", "settlement_method",
                "settlement_window", "settlement_time_zone", "parent", "expiry_rule", "calendars",
                "final_reference", "final_reference_kind")
# The product terms the figures below rest on (ops/refdata/products.csv).
PRODUCT_TERMS = {
    "ES": ("USD", "50", "0.25", "0.25", "vwap", "14:59:30-15:00:00", "America/Chicago", "",
           "equity_index", "NYSE", "SPX", "SOQ"),
    "MES": ("USD", "5", "0.25", "0.25", "parent", "", "", "ES", "equity_index", "NYSE", "SPX",
            "SOQ"),
    "MEE": ("EUR", "0.1", "0.50", "0.50", "vwap", "14:59:00-15:00:00", "America/Chicago", "",
            "micro_ether_euro", "UK|US", "ETHEUR_RR", "REFERENCE_RATE"),
}
ROUNDING = ("CH", "CH-ROUNDING")  # the default --rounding-account


# --------------------------------------------------------------------------------------------------
# The business dates: inputs and hand-worked expectations
# --------------------------------------------------------------------------------------------------
# Accounts FA-1 and FA-2 (firm FA), FB-1 (firm FB). CDT: Chicago is UTC-5; London (BST) UTC+1.
# ES window 14:59:30-15:00:00 CT; MEE window 14:59:00-15:00:00 CT.
# Trades: (trade_id, exec_time, contract, price, quantity, buyer, seller).
# VM rows: (kind, firm, account, contract, amount, start_of_day, bought, sold).
# Settlement/VM contract map: contract -> (currency, settlement price, prior price; None = not
# checked).

DAYS = []


def day(**kw):
    DAYS.append(kw)


# ---- Day 1: 2023-06-28 (Wed). First day: every start-of-day position is 0; priors from the
# DAILY overrides of 2023-06-27 (ESU23 4400.00, MEEM23 1700.00).
day(date="2023-06-28", exit=0, status="SUCCEEDED", rejected=0,
    overrides="""\
2023-06-27,ESU23,DAILY,4400.00,opening price,multiday-test
2023-06-27,MEEM23,DAILY,1700.00,opening price,multiday-test
""",
    trades=[
        ("M1-ES-1", "2023-06-28T09:00:00-05:00", "ESU23", "4400.00", 10, "FA/FA-1", "FB/FB-1"),
        ("M1-ES-2", "2023-06-28T14:59:40-05:00", "ESU23", "4405.25", 2, "FB/FB-1", "FA/FA-2"),
        ("M1-MES-1", "2023-06-28T10:00:00-05:00", "MESU23", "4401.00", 4, "FA/FA-2", "FB/FB-1"),
        ("M1-MEE-1", "2023-06-28T08:00:00-05:00", "MEEM23", "1700.00", 20, "FA/FA-1",
         "FB/FB-1"),
        ("M1-MEE-2", "2023-06-28T14:59:30-05:00", "MEEM23", "1710.50", 3, "FB/FB-1", "FA/FA-2"),
    ],
    quotes="""\
ESU23,2023-06-28T14:59:59-05:00,4405.00,5,4405.50,5
MEEM23,2023-06-28T14:59:50-05:00,1710.00,2,1711.00,2
""",
    settlements={
        # ESU23: one window trade, 4405.25, inside 4405.00 / 4405.50.
        "ESU23": dict(price="4405.25", tier="vwap", stale=False, prior_price="4400.00",
                      vwap="4405.25", bid="4405.00", ask="4405.50", window_volume=2,
                      window_trades=1),
        "MESU23": dict(price="4405.25", tier="parent", stale=False, neighbours=["ESU23"]),
        # MEEM23: one window trade (14:59:30, window from 14:59:00), 1710.50, inside the market.
        "MEEM23": dict(price="1710.50", tier="vwap", stale=False, prior_price="1700.00",
                       vwap="1710.50", bid="1710.00", ask="1711.00", window_volume=3,
                       window_trades=1, window_start="2023-06-28T14:59:00-05:00",
                       window_end="2023-06-28T15:00:00-05:00"),
    },
    vm_contracts={"ESU23": ("USD", "4405.25", "4400.00"),
                  # MESU23 has no prior of its own on its first day (its parent's is 4400.00):
                  # not checked.
                  "MESU23": ("USD", "4405.25", None),
                  "MEEM23": ("EUR", "1710.50", "1700.00")},
    vm_rows=[
        # ESU23 x50: FA-1 +10@4400.00: 5.25x10 = 52.50 -> 2625.00; FA-2 -2@4405.25: 0.00;
        # FB-1: -52.50 + 0 -> -2625.00
        ("ACCOUNT", "FA", "FA-1", "ESU23", "2625.00", 0, 10, 0),
        ("ACCOUNT", "FA", "FA-2", "ESU23", "0.00", 0, 0, 2),
        ("ACCOUNT", "FB", "FB-1", "ESU23", "-2625.00", 0, 2, 10),
        # MESU23 x5: FA-2 +4@4401.00: 4.25x4 = 17.00 -> 85.00; FB-1 -85.00
        ("ACCOUNT", "FA", "FA-2", "MESU23", "85.00", 0, 4, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "-85.00", 0, 0, 4),
        # MEEM23 x0.1: FA-1 +20@1700.00: 10.50x20 = 210.00 -> 21.00; FA-2 -3@1710.50: 0.00;
        # FB-1: -210.00 + 0 -> -21.00
        ("ACCOUNT", "FA", "FA-1", "MEEM23", "21.00", 0, 20, 0),
        ("ACCOUNT", "FA", "FA-2", "MEEM23", "0.00", 0, 0, 3),
        ("ACCOUNT", "FB", "FB-1", "MEEM23", "-21.00", 0, 3, 20),
    ],
    # USD: FA 2625.00 + 0.00 + 85.00 = 2710.00; FB -2625.00 - 85.00. EUR: FA 21.00 + 0.00; FB.
    totals={("FA", "USD"): "2710.00", ("FB", "USD"): "-2710.00",
            ("FA", "EUR"): "21.00", ("FB", "EUR"): "-21.00"},
    positions={
        ("FA", "FA-1", "ESU23"): (10, 10, 0), ("FA", "FA-2", "ESU23"): (-2, 0, 2),
        ("FB", "FB-1", "ESU23"): (-8, 2, 10),
        ("FA", "FA-2", "MESU23"): (4, 4, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 4),
        ("FA", "FA-1", "MEEM23"): (20, 20, 0), ("FA", "FA-2", "MEEM23"): (-3, 0, 3),
        ("FB", "FB-1", "MEEM23"): (-17, 3, 20),
    },
    finals={}, dead_letters={})

# ---- Day 2: 2023-06-29 (Thu). Priors: ESU23/MESU23 4405.25, MEEM23 1710.50.
day(date="2023-06-29", exit=0, status="SUCCEEDED", rejected=0,
    trades=[
        ("M2-ES-1", "2023-06-29T11:00:00-05:00", "ESU23", "4410.00", 3, "FB/FB-1", "FA/FA-1"),
        ("M2-MEE-1", "2023-06-29T09:30:00-05:00", "MEEM23", "1711.50", 5, "FB/FB-1", "FA/FA-1"),
    ],
    quotes="""\
ESU23,2023-06-29T14:59:59-05:00,4412.00,3,4412.50,3
MEEM23,2023-06-29T14:59:55-05:00,1712.00,1,1712.50,1
""",
    settlements={
        # ESU23 tier 2: no window trade; (4412.00 + 4412.50) / 2 = 4412.25, on the 0.25 tick.
        "ESU23": dict(price="4412.25", tier="bid_ask", stale=False, prior_price="4405.25",
                      bid="4412.00", ask="4412.50", window_volume=0, window_trades=0),
        "MESU23": dict(price="4412.25", tier="parent", stale=False, prior_price="4405.25",
                       neighbours=["ESU23"]),
        # MEEM23 tier 2: (1712.00 + 1712.50) / 2 = 1712.25, exactly between the 0.50 ticks
        # 1712.00 and 1712.50; prior 1710.50 <= 1712.00 -> toward the prior: 1712.00.
        "MEEM23": dict(price="1712.00", tier="bid_ask", stale=False, prior_price="1710.50",
                       bid="1712.00", ask="1712.50"),
    },
    vm_contracts={"ESU23": ("USD", "4412.25", "4405.25"),
                  "MESU23": ("USD", "4412.25", "4405.25"),
                  "MEEM23": ("EUR", "1712.00", "1710.50")},
    vm_rows=[
        # ESU23 x50, S - prior = 7.00.
        # FA-1: sod +10: 70.00; -3@4410.00: 2.25x-3 = -6.75 -> 63.25 x 50 = 3162.50
        ("ACCOUNT", "FA", "FA-1", "ESU23", "3162.50", 10, 0, 3),
        # FA-2: sod -2: -14.00 x 50 = -700.00
        ("ACCOUNT", "FA", "FA-2", "ESU23", "-700.00", -2, 0, 0),
        # FB-1: sod -8: -56.00; +3@4410.00: 6.75 -> -49.25 x 50 = -2462.50
        ("ACCOUNT", "FB", "FB-1", "ESU23", "-2462.50", -8, 3, 0),
        # MESU23 x5: FA-2 sod +4: 7.00x4 = 28.00 -> 140.00; FB-1 -140.00
        ("ACCOUNT", "FA", "FA-2", "MESU23", "140.00", 4, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "-140.00", -4, 0, 0),
        # MEEM23 x0.1, S - prior = 1.50.
        # FA-1: sod +20: 30.00; -5@1711.50: 0.50x-5 = -2.50 -> 27.50 x 0.1 = 2.75
        ("ACCOUNT", "FA", "FA-1", "MEEM23", "2.75", 20, 0, 5),
        # FA-2: sod -3: -4.50 x 0.1 = -0.45
        ("ACCOUNT", "FA", "FA-2", "MEEM23", "-0.45", -3, 0, 0),
        # FB-1: sod -17: -25.50; +5@1711.50: 2.50 -> -23.00 x 0.1 = -2.30
        ("ACCOUNT", "FB", "FB-1", "MEEM23", "-2.30", -17, 5, 0),
    ],
    # USD: FA 3162.50 - 700.00 + 140.00 = 2602.50; FB -2462.50 - 140.00 = -2602.50.
    # EUR: FA 2.75 - 0.45 = 2.30; FB -2.30.
    totals={("FA", "USD"): "2602.50", ("FB", "USD"): "-2602.50",
            ("FA", "EUR"): "2.30", ("FB", "EUR"): "-2.30"},
    positions={
        ("FA", "FA-1", "ESU23"): (7, 0, 3), ("FA", "FA-2", "ESU23"): (-2, 0, 0),
        ("FB", "FB-1", "ESU23"): (-5, 3, 0),
        ("FA", "FA-2", "MESU23"): (4, 0, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 0),
        ("FA", "FA-1", "MEEM23"): (15, 0, 5), ("FA", "FA-2", "MEEM23"): (-3, 0, 0),
        ("FB", "FB-1", "MEEM23"): (-12, 5, 0),
    },
    finals={}, dead_letters={})

# ---- Day 3: 2023-06-30 (Fri), MEEM23's last trade date: the last Friday of June, a UK and US
# business day; trading terminates 16:00 London = 15:00Z = 10:00 CT. No ETHEUR_RR for the date.
MEEM23_TERMINATED = "2023-06-30T16:00:00+01:00"
day(date="2023-06-30", exit=1, status="SUCCEEDED_WITH_DATA_ERRORS", rejected=1,
    trades=[
        ("M3-ES-1", "2023-06-30T14:59:50-05:00", "ESU23", "4420.00", 1, "FA/FA-2", "FB/FB-1"),
        ("M3-ES-2", "2023-06-30T14:59:55-05:00", "ESU23", "4420.50", 1, "FA/FA-1", "FB/FB-1"),
        # 15:59:59 London, one second before the termination: applied.
        ("M3-MEE-1", "2023-06-30T15:59:59+01:00", "MEEM23", "1715.00", 2, "FA/FA-2", "FB/FB-1"),
        # 16:00:01 London: after the termination -> dead letter CONTRACT_TERMINATED.
        ("M3-MEE-LATE", "2023-06-30T16:00:01+01:00", "MEEM23", "1716.00", 1, "FA/FA-1",
         "FB/FB-1"),
    ],
    quotes="""\
ESU23,2023-06-30T14:59:58-05:00,4419.50,2,4420.00,2
MEEM23,2023-06-30T09:55:00-05:00,1718.00,1,1719.00,1
""",
    settlements={
        # ESU23 tier 1: VWAP (4420.00 + 4420.50) / 2 = 4420.25, above the ask 4420.00 -> 4420.00.
        "ESU23": dict(price="4420.00", tier="vwap", stale=False, prior_price="4412.25",
                      vwap="4420.25", bid="4419.50", ask="4420.00", window_volume=2,
                      window_trades=2),
        "MESU23": dict(price="4420.00", tier="parent", stale=False, prior_price="4412.25",
                       neighbours=["ESU23"]),
        # MEEM23's normal daily settlement of its last trade date: no trade in the window (it
        # terminated at 10:00 CT); latest quote at or before 15:00 CT is the 09:55 one:
        # (1718.00 + 1719.00) / 2 = 1718.50, on the 0.50 tick.
        "MEEM23": dict(price="1718.50", tier="bid_ask", stale=False, prior_price="1712.00",
                       bid="1718.00", ask="1719.00"),
    },
    vm_contracts={"ESU23": ("USD", "4420.00", "4412.25"),
                  "MESU23": ("USD", "4420.00", "4412.25"),
                  "MEEM23": ("EUR", "1718.50", "1712.00")},
    vm_rows=[
        # ESU23 x50, S - prior = 7.75.
        # FA-1: sod +7: 54.25; +1@4420.50: -0.50 -> 53.75 x 50 = 2687.50
        ("ACCOUNT", "FA", "FA-1", "ESU23", "2687.50", 7, 1, 0),
        # FA-2: sod -2: -15.50; +1@4420.00: 0 -> -775.00
        ("ACCOUNT", "FA", "FA-2", "ESU23", "-775.00", -2, 1, 0),
        # FB-1: sod -5: -38.75; -1@4420.00: 0; -1@4420.50: 0.50 -> -38.25 x 50 = -1912.50
        ("ACCOUNT", "FB", "FB-1", "ESU23", "-1912.50", -5, 0, 2),
        # MESU23 x5: FA-2 sod +4: 7.75x4 = 31.00 -> 155.00; FB-1 -155.00
        ("ACCOUNT", "FA", "FA-2", "MESU23", "155.00", 4, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "-155.00", -4, 0, 0),
        # MEEM23 x0.1, S - prior = 6.50.
        # FA-1: sod +15: 97.50 x 0.1 = 9.75 (the late trade is not applied)
        ("ACCOUNT", "FA", "FA-1", "MEEM23", "9.75", 15, 0, 0),
        # FA-2: sod -3: -19.50; +2@1715.00: 3.50x2 = 7.00 -> -12.50 x 0.1 = -1.25
        ("ACCOUNT", "FA", "FA-2", "MEEM23", "-1.25", -3, 2, 0),
        # FB-1: sod -12: -78.00; -2@1715.00: -7.00 -> -85.00 x 0.1 = -8.50
        ("ACCOUNT", "FB", "FB-1", "MEEM23", "-8.50", -12, 0, 2),
    ],
    # USD: FA 2687.50 - 775.00 + 155.00 = 2067.50; FB -1912.50 - 155.00 = -2067.50.
    # EUR: FA 9.75 - 1.25 = 8.50; FB -8.50.
    totals={("FA", "USD"): "2067.50", ("FB", "USD"): "-2067.50",
            ("FA", "EUR"): "8.50", ("FB", "EUR"): "-8.50"},
    positions={
        ("FA", "FA-1", "ESU23"): (8, 1, 0), ("FA", "FA-2", "ESU23"): (-1, 1, 0),
        ("FB", "FB-1", "ESU23"): (-7, 0, 2),
        ("FA", "FA-2", "MESU23"): (4, 0, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 0),
        # MEEM23 stays open while awaiting its final price.
        ("FA", "FA-1", "MEEM23"): (15, 0, 0), ("FA", "FA-2", "MEEM23"): (-1, 2, 0),
        ("FB", "FB-1", "MEEM23"): (-14, 0, 2),
    },
    finals={
        # AWAITING: no price; deadline 2023-06-30 + 14 calendar days = 2023-07-14.
        "MEEM23": dict(price="", status="AWAITING", last_trade_date="2023-06-30",
                       trading_terminated=MEEM23_TERMINATED, awaiting_deadline="2023-07-14",
                       settlement_type="cash",
                       allocations=[dict(firm="FA", account="FA-1", quantity=15,
                                         disposition="OPEN"),
                                    dict(firm="FA", account="FA-2", quantity=-1,
                                         disposition="OPEN"),
                                    dict(firm="FB", account="FB-1", quantity=-14,
                                         disposition="OPEN")]),
    },
    dead_letters={"M3-MEE-LATE": "CONTRACT_TERMINATED"})

# ---- Day 4: 2023-07-03 (Mon). ESU23: no quote dated 07-03 (06-30's does not count) and no
# window trade: tier 4. MEEM23 still AWAITING: the only ETHEUR_RR loaded is dated 2023-07-03.
day(date="2023-07-03", exit=0, status="SUCCEEDED", rejected=0,
    reference="ETHEUR_RR,2023-07-03,REFERENCE_RATE,1690.00,2023-07-03T16:00:00+01:00\n",
    trades=[
        ("M4-ES-1", "2023-07-03T10:00:00-05:00", "ESU23", "4418.00", 2, "FB/FB-1", "FA/FA-1"),
    ],
    quotes="",
    settlements={
        # Tier 4: the prior 4420.00 carried, stale (06-30's quote would give 4419.75 bid_ask).
        "ESU23": dict(price="4420.00", tier="carried", stale=True, prior_price="4420.00"),
        "MESU23": dict(price="4420.00", tier="parent", stale=True, prior_price="4420.00",
                       neighbours=["ESU23"]),
    },
    vm_contracts={"ESU23": ("USD", "4420.00", "4420.00"),
                  "MESU23": ("USD", "4420.00", "4420.00")},
    vm_rows=[
        # ESU23 x50, S - prior = 0.
        # FA-1: sod +8: 0; -2@4418.00: 2.00x-2 = -4.00 x 50 = -200.00
        ("ACCOUNT", "FA", "FA-1", "ESU23", "-200.00", 8, 0, 2),
        # FA-2: sod -1: 0.00 (a record: start-of-day position)
        ("ACCOUNT", "FA", "FA-2", "ESU23", "0.00", -1, 0, 0),
        # FB-1: sod -7: 0; +2@4418.00: 4.00 x 50 = 200.00
        ("ACCOUNT", "FB", "FB-1", "ESU23", "200.00", -7, 2, 0),
        ("ACCOUNT", "FA", "FA-2", "MESU23", "0.00", 4, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "0.00", -4, 0, 0),
    ],
    totals={("FA", "USD"): "-200.00", ("FB", "USD"): "200.00"},
    # Rule 1 (a contract with open interest is settled on D) read literally for the contract
    # awaiting its final price: MEEM23 has no trade, no quote: tier 4, 1718.50 carried; its VM
    # with S - prior = 0 is 0.00 for each start-of-day position. Checked apart from the rest.
    awaiting_settlements={
        "MEEM23": dict(price="1718.50", tier="carried", stale=True, prior_price="1718.50"),
    },
    awaiting_vm_contracts={"MEEM23": ("EUR", "1718.50", "1718.50")},
    awaiting_vm_rows=[
        ("ACCOUNT", "FA", "FA-1", "MEEM23", "0.00", 15, 0, 0),
        ("ACCOUNT", "FA", "FA-2", "MEEM23", "0.00", -1, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MEEM23", "0.00", -14, 0, 0),
    ],
    awaiting_totals={("FA", "EUR"): "0.00", ("FB", "EUR"): "0.00"},
    positions={
        ("FA", "FA-1", "ESU23"): (6, 0, 2), ("FA", "FA-2", "ESU23"): (-1, 0, 0),
        ("FB", "FB-1", "ESU23"): (-5, 2, 0),
        ("FA", "FA-2", "MESU23"): (4, 0, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 0),
        ("FA", "FA-1", "MEEM23"): (15, 0, 0), ("FA", "FA-2", "MEEM23"): (-1, 0, 0),
        ("FB", "FB-1", "MEEM23"): (-14, 0, 0),
    },
    finals={
        "MEEM23": dict(price="", status="AWAITING", last_trade_date="2023-06-30",
                       trading_terminated=MEEM23_TERMINATED, awaiting_deadline="2023-07-14",
                       allocations=[dict(firm="FA", account="FA-1", quantity=15,
                                         disposition="OPEN"),
                                    dict(firm="FA", account="FA-2", quantity=-1,
                                         disposition="OPEN"),
                                    dict(firm="FB", account="FB-1", quantity=-14,
                                         disposition="OPEN")]),
    },
    dead_letters={})

# ---- Day 5: 2023-07-05 (Wed; 07-04 is a US holiday and is not run). The ETHEUR_RR dated
# 2023-06-30 arrives: 1720.33. MEEM23's last settlement: 1718.50 (06-30, carried on 07-03).
day(date="2023-07-05", exit=0, status="SUCCEEDED", rejected=0,
    reference="ETHEUR_RR,2023-06-30,REFERENCE_RATE,1720.33,2023-07-05T09:00:00+01:00\n",
    trades=[
        ("M5-ES-1", "2023-07-05T14:59:35-05:00", "ESU23", "4425.00", 1, "FA/FA-2", "FB/FB-1"),
        ("M5-ES-2", "2023-07-05T14:59:45-05:00", "ESU23", "4425.25", 1, "FB/FB-1", "FA/FA-1"),
    ],
    quotes="ESU23,2023-07-05T14:59:59-05:00,4424.75,2,4425.50,2\n",
    settlements={
        # ESU23 tier 1: VWAP (4425.00 + 4425.25) / 2 = 4425.125, exactly between 4425.00 and
        # 4425.25; prior 4420.00 <= 4425.00 -> toward the prior: 4425.00 (half-up: 4425.25).
        # Inside 4424.75 / 4425.50.
        "ESU23": dict(price="4425.00", tier="vwap", stale=False, prior_price="4420.00",
                      vwap="4425.00", bid="4424.75", ask="4425.50", window_volume=2,
                      window_trades=2),
        "MESU23": dict(price="4425.00", tier="parent", stale=False, prior_price="4420.00",
                       neighbours=["ESU23"]),
    },
    # MEEM23 is marked to its final price; whether it also has a settlement-prices record today
    # is not specified.
    optional_settlements=("MEEM23",),
    vm_contracts={"ESU23": ("USD", "4425.00", "4420.00"),
                  "MESU23": ("USD", "4425.00", "4420.00"),
                  "MEEM23": ("EUR", "1720.33", "1718.50")},
    vm_rows=[
        # ESU23 x50, S - prior = 5.00.
        # FA-1: sod +6: 30.00; -1@4425.25: -0.25x-1 = 0.25 -> 30.25 x 50 = 1512.50
        ("ACCOUNT", "FA", "FA-1", "ESU23", "1512.50", 6, 0, 1),
        # FA-2: sod -1: -5.00; +1@4425.00: 0 -> -250.00
        ("ACCOUNT", "FA", "FA-2", "ESU23", "-250.00", -1, 1, 0),
        # FB-1: sod -5: -25.00; -1@4425.00: 0; +1@4425.25: -0.25 -> -25.25 x 50 = -1262.50
        ("ACCOUNT", "FB", "FB-1", "ESU23", "-1262.50", -5, 1, 1),
        # MESU23 x5: FA-2 sod +4: 5.00x4 = 20.00 -> 100.00; FB-1 -100.00
        ("ACCOUNT", "FA", "FA-2", "MESU23", "100.00", 4, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "-100.00", -4, 0, 0),
        # MEEM23 final: 0.1 x (1720.33 - 1718.50) = 0.1 x 1.83 = 0.183 per contract.
        # FA-1 +15: 2.745 -> 2.75 (half away from zero)
        ("ACCOUNT", "FA", "FA-1", "MEEM23", "2.75", 15, 0, 0),
        # FA-2 -1: -0.183 -> -0.18
        ("ACCOUNT", "FA", "FA-2", "MEEM23", "-0.18", -1, 0, 0),
        # FB-1 -14: -2.562 -> -2.56
        ("ACCOUNT", "FB", "FB-1", "MEEM23", "-2.56", -14, 0, 0),
        # Exact amounts sum to 2.745 - 0.183 - 2.562 = 0; rounded ones to 2.75 - 0.18 - 2.56 =
        # +0.01, so the residual -0.01 goes to the rounding account.
        ("ROUNDING", ROUNDING[0], ROUNDING[1], "MEEM23", "-0.01", 0, 0, 0),
    ],
    # USD: FA 1512.50 - 250.00 + 100.00 = 1362.50; FB -1262.50 - 100.00 = -1362.50.
    # EUR: FA 2.75 - 0.18 = 2.57; FB -2.56; CH -0.01.
    totals={("FA", "USD"): "1362.50", ("FB", "USD"): "-1362.50",
            ("FA", "EUR"): "2.57", ("FB", "EUR"): "-2.56", (ROUNDING[0], "EUR"): "-0.01"},
    positions={
        # ESU23 FA-2: -1 + 1 = 0, no longer published. MEEM23 closed.
        ("FA", "FA-1", "ESU23"): (5, 0, 1), ("FB", "FB-1", "ESU23"): (-5, 1, 1),
        ("FA", "FA-2", "MESU23"): (4, 0, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 0),
    },
    finals={
        "MEEM23": dict(price="1720.33", status="SETTLED", last_trade_date="2023-06-30",
                       trading_terminated=MEEM23_TERMINATED, reference_name="ETHEUR_RR",
                       reference_kind="REFERENCE_RATE", reference_date="2023-06-30",
                       settlement_type="cash",
                       allocations=[dict(firm="FA", account="FA-1", quantity=15,
                                         disposition="CASH_SETTLED"),
                                    dict(firm="FA", account="FA-2", quantity=-1,
                                         disposition="CASH_SETTLED"),
                                    dict(firm="FB", account="FB-1", quantity=-14,
                                         disposition="CASH_SETTLED")]),
    },
    dead_letters={})

# ---- Day 6: 2023-07-06 (Thu). No trades.
day(date="2023-07-06", exit=0, status="SUCCEEDED", rejected=0,
    trades=[],
    quotes="ESU23,2023-07-06T14:59:59-05:00,4410.00,2,4410.25,2\n",
    settlements={
        # ESU23 tier 2: (4410.00 + 4410.25) / 2 = 4410.125, exactly between 4410.00 and 4410.25;
        # prior 4425.00 >= 4410.25 -> toward the prior: 4410.25 (half-even: 4410.00).
        "ESU23": dict(price="4410.25", tier="bid_ask", stale=False, prior_price="4425.00",
                      bid="4410.00", ask="4410.25"),
        "MESU23": dict(price="4410.25", tier="parent", stale=False, prior_price="4425.00",
                       neighbours=["ESU23"]),
    },
    vm_contracts={"ESU23": ("USD", "4410.25", "4425.00"),
                  "MESU23": ("USD", "4410.25", "4425.00")},
    vm_rows=[
        # S - prior = -14.75. ESU23 x50: FA-1 sod +5: -73.75 -> -3687.50; FB-1 sod -5: +3687.50.
        # FA-2 has neither a start-of-day position nor activity in ESU23: no record.
        ("ACCOUNT", "FA", "FA-1", "ESU23", "-3687.50", 5, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "ESU23", "3687.50", -5, 0, 0),
        # MESU23 x5: FA-2 sod +4: -59.00 -> -295.00; FB-1 +295.00
        ("ACCOUNT", "FA", "FA-2", "MESU23", "-295.00", 4, 0, 0),
        ("ACCOUNT", "FB", "FB-1", "MESU23", "295.00", -4, 0, 0),
    ],
    # USD: FA -3687.50 - 295.00 = -3982.50; FB 3982.50. No EUR amounts any more.
    totals={("FA", "USD"): "-3982.50", ("FB", "USD"): "3982.50"},
    positions={
        ("FA", "FA-1", "ESU23"): (5, 0, 0), ("FB", "FB-1", "ESU23"): (-5, 0, 0),
        ("FA", "FA-2", "MESU23"): (4, 0, 0), ("FB", "FB-1", "MESU23"): (-4, 0, 0),
    },
    # MEEM23 settled on 07-05: no longer reported.
    finals={}, dead_letters={})


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

def term_problems(refdata: str) -> list:
    """[] when the products.csv rows of `refdata` have PRODUCT_TERMS, else what differs."""
    rows = harness.product_rows(refdata)
    bad = [code for code, terms in PRODUCT_TERMS.items()
           if code not in rows or tuple(rows[code][c] for c in TERM_COLUMNS) != terms]
    return [f"rows differing from the assumed terms: {bad}"] if bad else []


def choose_refdata(env, checks) -> str:
    refdata, problems = harness.first_refdata(env, term_problems)
    if refdata is None:
        checks.require(False, "setup: a refdata folder with the assumed product terms",
                       "\n  ".join(problems))
    print(f"reference data: {refdata}", flush=True)
    return refdata


def as_dict(msg) -> dict:
    """A decoded message as the JSON-lines form: snake_case names, enums by name, defaults
    omitted (int64 become strings here; `num` reads both)."""
    from google.protobuf import json_format
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def check_settlements(checks, label, records, expected: dict, optional=(), exact=True) -> None:
    by_contract = collections.defaultdict(list)
    for r in records:
        by_contract[r.get("contract")].append(r)
    checks.check(all(len(v) == 1 for v in by_contract.values()),
                 f"{label}: one settlement-prices record per contract",
                 f"{ {c: len(v) for c, v in by_contract.items()} }")
    if exact:
        extra = sorted(set(by_contract) - set(expected) - set(optional))
        missing = sorted(set(expected) - set(by_contract))
        checks.check(not extra and not missing,
                     f"{label}: settlement-prices has exactly the contracts {sorted(expected)}",
                     f"missing {missing}; unexpected {extra}")
    for contract, fields in expected.items():
        if not checks.check(contract in by_contract,
                            f"{label}: {contract} has a settlement-prices record"):
            continue
        checks.equal(settlement_view(by_contract[contract][0], fields.keys()),
                     settlement_view(fields, fields.keys()), f"{label}: settlement of {contract}")


def check_vm(checks, label, records, contracts: dict, rows: list, totals: dict) -> None:
    """Checks the ACCOUNT/ROUNDING records of `contracts` against `rows` (the exact set) and the
    FIRM_TOTAL records of the currencies of `totals` against it (the exact set)."""
    currencies = {c for _, c in totals}
    got_rows, got_totals = {}, {}
    for r in records:
        kind = r.get("kind", "KIND_UNSPECIFIED")
        if kind in ("ACCOUNT", "ROUNDING") and r.get("contract") in contracts:
            key = (kind, r.get("firm", ""), r.get("account", ""), r.get("contract", ""))
            checks.check(key not in got_rows, f"{label}: VM record {key} appears once")
            got_rows[key] = r
        elif kind == "FIRM_TOTAL" and r.get("currency") in currencies:
            got_totals[(r.get("firm", ""), r.get("currency", ""))] = r
    checks.equal({k: dec(r.get("amount")) or Dec(0) for k, r in got_rows.items()},
                 {(k, f, a, c): Dec(amt) for k, f, a, c, amt, *_ in rows},
                 f"{label}: VM amounts per (kind, firm, account, contract)")
    want, have = {}, {}
    for kind, firm, account, contract, _, sod, bought, sold in rows:
        key = (kind, firm, account, contract)
        r = got_rows.get(key)
        if r is None:
            continue
        currency, price, prior = contracts[contract]
        w = [currency, Dec(price)]
        h = [r.get("currency", ""), dec(r.get("settlement_price"))]
        if prior is not None:
            w.append(dec(prior))
            h.append(dec(r.get("prior_price")))
        if kind == "ACCOUNT":
            w += [sod, bought, sold]
            h += [num(r.get("start_of_day")), num(r.get("bought")), num(r.get("sold"))]
        want[key], have[key] = tuple(w), tuple(h)
    checks.equal(have, want, f"{label}: VM records' (currency, settlement_price, prior_price"
                 "[, start_of_day, bought, sold])")
    sums = collections.defaultdict(Dec)
    for (_, _, _, contract), r in got_rows.items():
        sums[contract] += dec(r.get("amount")) or Dec(0)
    checks.equal({c: s for c, s in sums.items() if s != 0}, {},
                 f"{label}: VM amounts sum to exactly 0 per contract")
    checks.equal({k: dec(r.get("amount")) or Dec(0) for k, r in got_totals.items()},
                 {k: Dec(v) for k, v in totals.items()},
                 f"{label}: FIRM_TOTAL per (firm, currency) for {sorted(currencies)}")


# --------------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------------

def check_day(env, checks, pub: harness.PublishedRun, d) -> None:
    """pub: the date's output records, read with the settlement topics as `extra_topics`."""
    date = d["date"]
    label = date
    runs = pub.runs
    checks.equal(len(runs), 1, f"{label}: one eod-runs record for the date")
    if not runs:
        return
    run = runs[-1]
    checks.equal((env.pb.EodRun.Status.Name(run.status), run.messages_rejected),
                 (d["status"], d["rejected"]), f"{label}: eod-runs (status, messages_rejected)")
    summaries = {t.topic: t for t in run.topics}
    of_run = {**pub.extra, "positions": pub.positions, "dead-letters": pub.dead_letters}
    for topic in ("settlement-prices", "variation-margin", "final-settlements", "positions",
                  "dead-letters"):
        rows = of_run[topic]
        s = summaries.get(topic)
        got = (s.records, s.checksum) if s is not None else (0, harness.record_checksum([]))
        checks.equal(got, (len(rows), harness.record_checksum(r.value for r, _ in rows)),
                     f"{label}: eod-runs (records, checksum) of {topic} == the run's records "
                     "(a topic with none may be left out)")

    settlements = [as_dict(m) for _, m in pub.extra["settlement-prices"]]
    awaiting = d.get("awaiting_settlements", {})
    check_settlements(checks, label, settlements, d["settlements"],
                      optional=tuple(d.get("optional_settlements", ())) + tuple(awaiting))
    if awaiting:
        check_settlements(checks, f"{label} awaiting contract daily-settled (rule 1)",
                          settlements, awaiting, exact=False)

    vm = [as_dict(m) for _, m in pub.extra["variation-margin"]]
    by_currency = collections.defaultdict(dict)
    for contract, terms in d["vm_contracts"].items():
        by_currency[terms[0]][contract] = terms
    for currency, contracts in sorted(by_currency.items()):
        check_vm(checks, f"{label} {currency}", vm, contracts,
                 [r for r in d["vm_rows"] if r[3] in contracts],
                 {k: v for k, v in d["totals"].items() if k[1] == currency})
    if d.get("awaiting_vm_rows"):
        check_vm(checks, f"{label} awaiting contract VM (rule 1 + rule 3)", vm,
                 d["awaiting_vm_contracts"], d["awaiting_vm_rows"], d["awaiting_totals"])
    expected_contracts = set(d["vm_contracts"]) | set(d.get("awaiting_vm_contracts", {}))
    expected_currencies = {c for _, c in d["totals"]} | {c for _, c in
                                                         d.get("awaiting_totals", {})}
    unexpected = sorted({(r.get("kind"), r.get("contract", ""), r.get("currency", ""))
                         for r in vm
                         if (r.get("kind") in ("ACCOUNT", "ROUNDING")
                             and r.get("contract") not in expected_contracts)
                         or (r.get("kind") == "FIRM_TOTAL"
                             and r.get("currency") not in expected_currencies)
                         or r.get("kind") not in ("ACCOUNT", "ROUNDING", "FIRM_TOTAL")})
    checks.equal(unexpected, [], f"{label}: no VM records beyond the expected contracts and "
                 "currencies")

    positions = harness.positions_by_key(pub)
    checks.equal(positions, d["positions"], f"{label}: positions (quantity, bought, sold)")
    harness.check_open_interest(checks, label, positions)

    finals = collections.defaultdict(list)
    for _, m in pub.extra["final-settlements"]:
        finals[m.contract].append(as_dict(m))
    checks.equal(sorted(finals), sorted(d["finals"]), f"{label}: final-settlements contracts")
    for contract, fields in d["finals"].items():
        if finals.get(contract):
            checks.equal(len(finals[contract]), 1,
                         f"{label}: one final-settlements record for {contract}")
            checks.equal(final_view(finals[contract][0], fields.keys()),
                         final_view(fields, fields.keys()),
                         f"{label}: final settlement of {contract}")

    letters = {}
    for _, dl in pub.dead_letters:
        trade = env.pb.Trade()
        try:
            trade.ParseFromString(dl.original_value)
            tid = trade.trade_id
        except Exception as e:  # noqa: BLE001 - shown as the trade id
            tid = f"<undecodable: {e}>"
        letters[tid] = (dl.source_topic, env.pb.DeadLetter.Reason.Name(dl.reason))
    checks.equal(letters, {t: ("trades", r) for t, r in d["dead_letters"].items()},
                 f"{label}: dead letters (trade id -> (source_topic, reason))")


def main(env: harness.Env, checks: harness.Checks) -> None:
    refdata = choose_refdata(env, checks)
    with harness.Session(env) as s:
        bootstrap = s.start_broker(partitions=3)
        state = s.path("state")
        for d in DAYS:
            date = d["date"]
            print(f"--- {date}", flush=True)
            folder = s.path(date)
            files, loads = {}, []
            if d.get("overrides"):
                files["overrides.csv"] = OVERRIDES_HEADER + d["overrides"]
                loads.append(("settlement-overrides", "overrides.csv"))
            if d.get("reference"):
                files["reference.csv"] = REFERENCE_HEADER + d["reference"]
                loads.append(("reference-prices", "reference.csv"))
            if d.get("quotes"):
                files["quotes.csv"] = QUOTES_HEADER + d["quotes"]
                loads.append(("quotes", "quotes.csv"))
            if d["trades"]:
                files["trades.csv"] = harness.trades_csv(date, d["trades"])
                loads.append(("trades", "trades.csv"))
            harness.write_files(folder, files)
            for topic, name in loads:
                r = s.run_eodclear(["load", "--brokers", bootstrap, "--topic", topic, "--file",
                                    os.path.join(folder, name), "--refdata", refdata])
                checks.require(r.returncode == 0, f"{date}: setup: load {name} into {topic}",
                               r.describe())
            done = s.run_eodclear(["run", "--date", date, "--brokers", bootstrap, "--state",
                                   state, "--refdata", refdata], timeout=180)
            checks.require(done.returncode == d["exit"], f"{date}: run exits {d['exit']}",
                           done.describe())
            with harness.TopicReader(bootstrap) as reader:
                pub = harness.read_published_run(reader, env.pb, date,
                                                 extra_topics=harness.settlement_topics(env.pb))
            check_day(env, checks, pub, d)

        # After every run: still exactly one eod-runs record per date.
        with harness.TopicReader(bootstrap) as reader:
            records = reader.read("eod-runs").records
        per_date = collections.Counter(r.key.decode() for r in records)
        checks.equal(dict(per_date), {d["date"]: 1 for d in DAYS},
                     "eod-runs holds exactly one record per business date run")


if __name__ == "__main__":
    harness.main(main, __doc__)
