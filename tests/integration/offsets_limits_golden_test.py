#!/usr/bin/python3
"""End-to-end golden tests of Rule 855 offsetting and of position limits / large-trader reports.

Each scenario is a small hand-built input folder run with `eodclear run --date D --embedded` in a
fresh temporary folder (no state carried over unless a scenario says so), against a copy of the
reference data made at test time with the scenario's own accounts.csv and exemptions.csv (checked
with `eodclear refdata check`). Every expected record below is worked by hand from the rule texts
(seed 000: CME Submission 23-157, the Rule 855 table, MMC 10 : ME 1; seed 002: CME Submission
13-543, CNH spot-month limit 5,000 from one week before the termination of trading, all-months
limit 10,000, 10 MNH : 1 CNH, reporting levels 25 CNH / 250 MNH), never copied from the program's
output. Offsets are booked in the clearing house's offset account CH/CH-OFFSET (the default
--offset-account); findings and reports leave CH accounts out.

(1)  2023-06-14: an auto_offset account long 25 MMCZ23 and short 2 MEZ23 offsets 20 MMCZ23 against
     2 MEZ23 (source AUTO) and keeps 5 MMCZ23; its short MEH24 is not offset (never across
     months); CH/CH-OFFSET takes MMCZ23 +20, MEZ23 -2; the legs are priced at the prior
     settlement (DAILY overrides of 2023-06-13). (1b) the same with the prior settlement coming
     from the previous day's run (--state, two days).
(2)  2023-06-14: two auto_offset accounts of one owner, one long MMCZ23 and the other short MEZ23:
     no offset (never across accounts).
(3)  2023-06-14: an account without auto_offset: no offset without an instruction; with
     instructions in offset_instructions.csv (one written from each side of the pair): offsets
     with source INSTRUCTION; instructions the positions do not allow (more than allowed, not a
     whole block): dead letters INVALID_INSTRUCTION naming why, exit 1. Instructions are run
     twice: through the documented --input offset_instructions.csv, and (so that the stage is
     tested even if the CSV path fails) as clearing.v1.OffsetInstruction messages produced to
     topic offset-instructions of a development broker, with `eodclear run --brokers`.
(4)  CNHU23 (termination 2023-09-18, spot month from 2023-09-11 = 7 days before): an owner long
     5,200 over two accounts at two firms has no spot-month finding on 2023-09-08 (the business
     day before the spot month) and a spot_month finding (limit 5,000, excess 200) on 2023-09-11;
     an owner short exactly 5,000 (at the limit) has none.
(5)  2023-06-14: an all_months breach reached only through 10 MNH : 1 CNH: CNHU23 4,000 + CNHZ23
     5,000 + MNHZ23 12,000 (= 1,200 CNH) = 10,200 > 10,000.
(6)  The book of (5) with exemptions: CNH all_months 200 in force clears it (10,200 is at
     10,000 + 200, not over); 150 in force leaves excess 50 (exemption 150); an expired CNH
     exemption and one recorded under MNH are not applied.
(7)  Accountability: the shipped position_limits.csv has NO accountability levels for CNH/MNH
     (CME Submission 13-543: "no accountability levels") and no other rows, so this scenario adds
     SYNTHETIC levels to the CNH row of the temporary copy (single-month 3,000, all-months 8,000;
     not CME values) and checks a finding of kind accountability, period single_month, that is
     not a breach.
(8)  2023-06-14: reportable owners: long 25 CNHZ23 (the level, reached) reports every CNH month
     and account of the owner (and not its 10 MNHZ23, below MNH's 250); long 25 and short 10 in
     one month over two accounts is reportable (long and short not netted); 24 CNHZ23 + 20
     CNHH24 (months not summed) is not.

Every run also checks that the eod-runs record's topic summaries for offsets,
position-limit-findings and large-trader-reports (and positions, dead-letters) count exactly the
run's records in the output files.

Reference data: for each group of scenarios the first of --refdata and the repository's
ops/refdata that has the rows the figures rest on (checked field by field): the ctest fixture
tests/testdata/e2e/refdata has no MMC product and no MMC/ME offset row, so (1)-(3) use ops/refdata.
"""

import base64
import csv
import decimal
import json
import os
import shutil
import sys
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import OPS_REFDATA, OVERRIDES_HEADER, dec, num  # noqa: E402

Dec = decimal.Decimal

OUTPUT_TOPICS = ("offsets", "position-limit-findings", "large-trader-reports", "positions",
                 "dead-letters", "eod-runs", "settlement-prices", "variation-margin",
                 "final-settlements")
SUMMARY_TOPICS = ("offsets", "position-limit-findings", "large-trader-reports", "positions",
                  "dead-letters")

ACCOUNTS_HEADER = "account,firm,owner,origin,auto_offset\n"
EXEMPTIONS_HEADER = "owner,product,kind,quantity,valid_from,valid_to\n"
INSTRUCTIONS_HEADER = "business_date,account,contract,offset_contract,quantity,entered_by\n"


# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------

# What the figures rest on. Products: present. Offsets: (code, ratio, offset_to) rows, MMC/ME
# being the table's first pair involving MMC or ME. Limits: the CNH and MNH rows' values.
OFFSET_NEEDS = {"products": ("MMC", "ME"),
                "offsets": {("MMC", "10", "ME"), ("ME", "0.1", "MMC")}}
LIMIT_COLUMNS = ("spot_month_limit", "spot_month_start", "single_month_limit", "all_months_limit",
                 "single_month_accountability", "all_months_accountability", "aggregate_into",
                 "aggregate_ratio", "reportable_level")
LIMIT_ROWS = {
    "CNH": ("5000", "termination-7d", "", "10000", "", "", "", "", "25"),
    "MNH": ("50000", "termination-7d", "", "100000", "", "", "CNH", "0.1", "250"),
}
LIMIT_NEEDS = {"products": ("CNH", "MNH"), "limits": LIMIT_ROWS}


def refdata_problems(folder: str, needs: dict) -> list:
    bad = []
    products = harness.product_rows(folder)
    for code in needs.get("products", ()):
        if code not in products:
            bad.append(f"product {code} missing")
    if "offsets" in needs:
        rows = {(r["code"], r["ratio"], r["offset_to"])
                for r in harness.read_refdata_csv(folder, "offsets.csv")}
        for row in needs["offsets"]:
            if row not in rows:
                bad.append(f"offsets.csv row {row} missing")
    if "limits" in needs:
        rows = harness.read_refdata_csv(folder, "position_limits.csv")
        got = {r["product"]: tuple(r[c] for c in LIMIT_COLUMNS) for r in rows}
        if got != needs["limits"]:
            bad.append(f"position_limits.csv rows {got} != {needs['limits']}")
    return bad


def make_refdata(env, checks, s, name: str, needs: dict, accounts: str, exemptions: str,
                 edit=None) -> str:
    """A copy (in the session folder) of the first of --refdata and ops/refdata meeting `needs`,
    with accounts.csv and exemptions.csv replaced; `edit(folder)` may change it further. Checked
    with `eodclear refdata check`."""
    base, problems = harness.first_refdata(env, lambda folder: refdata_problems(folder, needs))
    checks.require(base is not None, f"{name}: setup: a refdata folder with the assumed rows",
                   "\n  ".join(problems))
    folder = s.path(name + "-refdata")
    shutil.copytree(base, folder)
    with open(os.path.join(folder, "accounts.csv"), "w") as f:
        f.write(ACCOUNTS_HEADER + accounts)
    with open(os.path.join(folder, "exemptions.csv"), "w") as f:
        f.write(EXEMPTIONS_HEADER + exemptions)
    if edit is not None:
        edit(folder)
    done = s.run_eodclear(["refdata", "check", "--refdata", folder])
    checks.require(done.returncode == 0, f"{name}: setup: refdata check accepts the copy of "
                   f"{base}", done.describe())
    return folder


# --------------------------------------------------------------------------------------------------
# Inputs and runs
# --------------------------------------------------------------------------------------------------

def trades_csv(date: str, rows) -> str:
    """rows: (trade_id, contract, price, quantity, "BUYERFIRM/ACCOUNT", "SELLERFIRM/ACCOUNT"), all
    dated `date` at 10:00 Chicago (outside every settlement window), one second apart."""
    return harness.trades_csv(date, [
        (trade_id, f"{date}T10:{n // 60:02d}:{n % 60:02d}-05:00", contract, price, qty, buyer,
         seller) for n, (trade_id, contract, price, qty, buyer, seller) in enumerate(rows)])


def overrides_csv(rows) -> str:
    """rows: (date, contract, price): DAILY overrides."""
    return OVERRIDES_HEADER + "".join(f"{d},{c},DAILY,{p},golden basis,golden-test\n"
                                      for d, c, p in rows)


def run_embedded(s, name: str, date: str, refdata: str, files: dict) -> tuple:
    """`eodclear run --embedded` of the input `files`; returns (Completed, RunOutputs of
    OUTPUT_TOPICS)."""
    return harness.run_embedded(s, name, date, refdata, OUTPUT_TOPICS, files)


def produce_instructions(bootstrap: str, pb_limits, rows) -> None:
    """rows: (business_date, account, contract, offset_contract, quantity, entered_by), produced
    as clearing.v1.OffsetInstruction keyed "business_date|account" (limits.proto), in order."""
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=0,
                      max_in_flight_requests_per_connection=1)
    try:
        for d, account, contract, other, qty, who in rows:
            m = pb_limits.OffsetInstruction(business_date=d, account=account, contract=contract,
                                            offset_contract=other, quantity=qty, entered_by=who)
            p.send("offset-instructions", key=f"{d}|{account}".encode(),
                   value=m.SerializeToString()).get(timeout=30)
        p.flush()
    finally:
        p.close()


def run_via_broker(s, name: str, date: str, refdata: str, files: dict, instructions,
                   pb_limits, bootstrap=None, state=None) -> tuple:
    """The same run as run_embedded, but on a development broker (a new one unless `bootstrap`
    is given): the CSV files loaded with `eodclear load`, the instructions produced as protobuf,
    `eodclear run --brokers --state` (a new state folder unless `state` is given), and every
    output topic written to <name>/output/<topic>.jsonl with `eodclear dump`."""
    if bootstrap is None:
        bootstrap = s.start_broker(partitions=3)
    input_dir = s.path(name, "input")
    output_dir = s.path(name, "output")
    harness.write_files(input_dir, files)
    os.makedirs(output_dir, exist_ok=True)
    topics = {"trades.csv": "trades", "settlement_overrides.csv": "settlement-overrides"}
    for fname in files:
        path = os.path.join(input_dir, fname)
        loaded = s.run_eodclear(["load", "--brokers", bootstrap, "--topic", topics[fname],
                                 "--file", path, "--refdata", refdata])
        if loaded.returncode != 0:
            raise harness.SetupError(f"{name}: eodclear load {fname}: {loaded.describe()}")
    if instructions:
        produce_instructions(bootstrap, pb_limits, instructions)
    done = s.run_eodclear(["run", "--date", date, "--brokers", bootstrap, "--state",
                           state or s.path(name, "state"), "--refdata", refdata], timeout=180)
    for topic in OUTPUT_TOPICS:
        dumped = s.run_eodclear(["dump", "--brokers", bootstrap, "--topic", topic])
        with open(os.path.join(output_dir, topic + ".jsonl"), "w") as f:
            f.write(dumped.stdout if dumped.returncode == 0 else "")
    return done, harness.RunOutputs(output_dir, date, OUTPUT_TOPICS)


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------

def check_run_record(checks, label, out: harness.RunOutputs, status: str, rejected: int) -> None:
    checks.equal(len(out.runs), 1, f"{label}: one eod-runs record for {out.date}")
    if not out.runs:
        return
    run = out.runs[-1]
    checks.equal((run.get("status"), num(run.get("messages_rejected"))), (status, rejected),
                 f"{label}: eod-runs (status, messages_rejected)")
    summary = {}
    for t in run.get("topics", []):
        summary.setdefault(t.get("topic"), []).append(num(t.get("records")))
    checks.equal({t: summary.get(t) for t in SUMMARY_TOPICS},
                 {t: [len(out.of_run(t))] for t in SUMMARY_TOPICS},
                 f"{label}: eod-runs lists offsets, position-limit-findings, large-trader-reports, "
                 "positions, dead-letters once each, counting the run's records")
    for t in ("offsets", "position-limit-findings", "large-trader-reports"):
        lines = out.files[t]
        checks.equal(len(lines) if lines is not None else None, len(out.of_run(t)),
                     f"{label}: {t}.jsonl holds only the run's records (line count == count)")


def offset_view(r: dict) -> tuple:
    return (r.get("firm", ""), r.get("account", ""), r.get("pair", ""),
            r.get("source", "SOURCE_UNSPECIFIED"), r.get("price_basis", ""),
            r.get("offset_firm", ""), r.get("offset_account", ""),
            tuple((leg.get("contract", ""), num(leg.get("quantity")), dec(leg.get("price")))
                  for leg in r.get("legs", [])))


def want_offset(firm, account, pair, source, legs) -> tuple:
    """legs: (contract, quantity, price text)."""
    return (firm, account, pair, source, "prior settlement", "CH", "CH-OFFSET",
            tuple((c, q, Dec(p)) for c, q, p in legs))


def check_offsets(checks, label, out: harness.RunOutputs, expected: list) -> None:
    """Two checks: what was offset (firm, account, pair, source, offset account, legs' contract
    and quantity), then how it was priced (price_basis and the legs' prices)."""
    records = out.of_run("offsets")
    got = [offset_view(r) for r in records]

    def what(v):
        return v[:4] + v[5:7] + (tuple(leg[:2] for leg in v[7]),)

    def priced(v):
        return v[:2] + (v[4], tuple((leg[0], leg[2]) for leg in v[7]))

    checks.equal(sorted(map(what, got)), sorted(map(what, expected)),
                 f"{label}: offsets records (firm, account, pair, source, offset account, legs "
                 "(contract, quantity))")
    if got or expected:
        checks.equal(sorted(map(priced, got)), sorted(map(priced, expected)),
                     f"{label}: offsets priced at the prior settlement (firm, account, "
                     "price_basis, legs (contract, price))")
    # Whatever the basis, one run books a contract at one price and names one basis for it.
    bases = {}
    for v in got:
        for contract, _, price in v[7]:
            bases.setdefault(contract, set()).add((price, v[4]))
    checks.equal({c: b for c, b in bases.items() if len(b) > 1}, {},
                 f"{label}: each leg contract has one (price, price_basis) across the run's "
                 "offsets")


def check_positions(checks, label, out: harness.RunOutputs, expected: dict) -> None:
    """expected: (firm, account, contract) -> quantity, the exact set of published positions."""
    got, keys = {}, []
    for r in out.of_run("positions"):
        key = (r.get("firm", ""), r.get("account", ""), r.get("contract", ""))
        keys.append(key)
        got[key] = num(r.get("quantity"))
    checks.equal(len(keys), len(set(keys)), f"{label}: one positions record per (firm, account, "
                 "contract)")
    checks.equal(got, expected, f"{label}: positions after offsets (firm, account, contract) -> "
                 "quantity")
    totals = {}
    for (_, _, contract), q in got.items():
        totals[contract] = totals.get(contract, 0) + q
    checks.equal({c: t for c, t in totals.items() if t != 0}, {},
                 f"{label}: every contract's positions sum to 0 (open interest balanced)")


def finding_view(r: dict) -> tuple:
    return (r.get("owner", ""), r.get("kind", ""), r.get("base_contract", ""),
            r.get("base_product", ""), dec(r.get("position")), num(r.get("limit")),
            num(r.get("exemption")), dec(r.get("excess")), r.get("period", ""),
            tuple((a.get("contract", ""), dec(a.get("ratio")), num(a.get("quantity")),
                   dec(a.get("equivalent"))) for a in r.get("aggregated", [])))


def want_finding(owner, kind, base_contract, position, limit, exemption, excess, aggregated,
                 period="") -> tuple:
    """aggregated: (contract, ratio, quantity, equivalent) in record order (delivery month, then
    symbol)."""
    return (owner, kind, base_contract, "CNH", Dec(position), limit, exemption, Dec(excess),
            period, tuple((c, Dec(r), q, Dec(e)) for c, r, q, e in aggregated))


def check_findings(checks, label, out: harness.RunOutputs, expected: list) -> None:
    got = sorted(finding_view(r) for r in out.of_run("position-limit-findings"))
    checks.equal(got, sorted(expected), f"{label}: position-limit-findings (owner, kind, "
                 "base_contract, base_product, position, limit, exemption, excess, period, "
                 "aggregated)")


def check_reports(checks, label, out: harness.RunOutputs, expected: list) -> None:
    """expected: (owner, firm, account, contract, long, short), the exact set."""
    got = sorted((r.get("owner", ""), r.get("firm", ""), r.get("account", ""),
                  r.get("contract", ""), num(r.get("long")), num(r.get("short")))
                 for r in out.of_run("large-trader-reports"))
    checks.equal(got, sorted(expected), f"{label}: large-trader-reports (owner, firm, account, "
                 "contract, long, short)")


def check_instruction_dead_letters(checks, label, env, out: harness.RunOutputs, expected: dict,
                                   pb_limits) -> None:
    """expected: (account, contract, offset_contract, quantity) -> a phrase the detail must
    contain; every dead letter is INVALID_INSTRUCTION from topic offset-instructions."""
    got = {}
    for d in out.of_run("dead-letters"):
        m = pb_limits.OffsetInstruction()
        try:
            m.ParseFromString(base64.b64decode(d.get("original_value", "")))
            key = (m.account, m.contract, m.offset_contract, m.quantity)
        except Exception as e:  # noqa: BLE001 - reported as the key
            key = f"<undecodable: {e}>"
        got[key] = (d.get("source_topic"), d.get("reason"), d.get("detail", ""))
    checks.equal(sorted(got, key=str), sorted(expected, key=str),
                 f"{label}: dead letters are exactly the invalid instructions")
    for key, phrase in expected.items():
        if key in got:
            topic, reason, detail = got[key]
            checks.check(topic == "offset-instructions" and reason == "INVALID_INSTRUCTION"
                         and phrase in detail,
                         f"{label}: instruction {key} dead-lettered INVALID_INSTRUCTION, detail "
                         f"naming why ({phrase!r})",
                         f"source_topic {topic!r}, reason {reason!r}, detail {detail!r}")


def check_no_limit_outputs(checks, label, out):
    checks.equal(len(out.of_run("position-limit-findings")), 0,
                 f"{label}: no position-limit findings (no limit rows for MMC/ME)")
    checks.equal(len(out.of_run("large-trader-reports")), 0,
                 f"{label}: no large-trader reports (no limit rows for MMC/ME)")


# ==================================================================================================
# (1)-(3) Rule 855 offsets, 2023-06-14
# ==================================================================================================
# MMCZ23/MEZ23 (and MEH24) terminate on third Fridays 2023-12-15 / 2024-03-15: not expiring on
# 2023-06-14 (a Wednesday; previous business day 2023-06-13 on NYSE).
O_DATE = "2023-06-14"
O_PRIOR = "2023-06-13"
# Prior settlements (DAILY overrides of 2023-06-13) differ from D's (DAILY overrides of
# 2023-06-14) so that a leg priced at the wrong day shows.
O_OVERRIDES = overrides_csv([
    (O_PRIOR, "MMCZ23", "2590.10"), (O_PRIOR, "MEZ23", "2590.00"), (O_PRIOR, "MEH24", "2620.00"),
    (O_DATE, "MMCZ23", "2605.00"), (O_DATE, "MEZ23", "2605.00"), (O_DATE, "MEH24", "2630.00"),
])

O1_ACCOUNTS = """\
A-1,FA,OWN-A,customer,true
B-1,FB,OWN-B,customer,false
"""
O1_TRADES = [
    # A-1 long 25 MMCZ23, short 2 MEZ23, short 1 MEH24; B-1 the counterparty of all three.
    ("O1-1", "MMCZ23", "2600.00", 25, "FA/A-1", "FB/B-1"),
    ("O1-2", "MEZ23", "2601.00", 2, "FB/B-1", "FA/A-1"),
    ("O1-3", "MEH24", "2625.00", 1, "FB/B-1", "FA/A-1"),
]
# Seed 000: MMC offset ratio 10 to ME: block 10 MMC : 1 ME. Both sides allow min(25 // 10,
# 2 // 1) = 2 blocks: legs MMCZ23 -20, MEZ23 +2 (pair named by the table's first row MMC/ME,
# legs in that order), priced at the prior settlements 2590.10 and 2590.00. MEH24 has no MMCH24
# against it (never across months): not offset. B-1 is not auto_offset (and is short MMC / long ME
# anyway, which is offsettable: no offset proves the flag is honoured).
O1_OFFSETS = [want_offset("FA", "A-1", "MMC/ME", "AUTO",
                          [("MMCZ23", -20, "2590.10"), ("MEZ23", 2, "2590.00")])]
O1_POSITIONS = {
    ("FA", "A-1", "MMCZ23"): 5,      # 25 - 20
    # A-1 MEZ23: -2 + 2 = 0: not published.
    ("FA", "A-1", "MEH24"): -1,
    ("FB", "B-1", "MMCZ23"): -25, ("FB", "B-1", "MEZ23"): 2, ("FB", "B-1", "MEH24"): 1,
    ("CH", "CH-OFFSET", "MMCZ23"): 20, ("CH", "CH-OFFSET", "MEZ23"): -2,
}


def scenario_1(env, checks, s):
    label = "(1) auto offset"
    refdata = make_refdata(env, checks, s, "o1", OFFSET_NEEDS, O1_ACCOUNTS, "")
    done, out = run_embedded(s, "o1", O_DATE, refdata, {
        "trades.csv": trades_csv(O_DATE, O1_TRADES), "settlement_overrides.csv": O_OVERRIDES})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_offsets(checks, label, out, O1_OFFSETS)
    check_positions(checks, label, out, O1_POSITIONS)
    check_no_limit_outputs(checks, label, out)
    # Offsetting comes after settlement: the day's VM is on the traded positions; the offset
    # account gets none of its own.
    checks.equal([r for r in out.of_run("variation-margin") if r.get("account") == "CH-OFFSET"],
                 [], f"{label}: no variation margin for CH/CH-OFFSET")


# (1b) Two days with --state: the prior settlement comes from the previous run's settlement
# (not from an override of the previous day). Day 1 (2023-06-13): A-1 buys 25 MMCZ23 from B-1 and
# B-1 buys 2 MEZ23 from C-1 (A-1 has nothing to offset); settled by DAILY overrides MMCZ23
# 2590.10, MEZ23 2590.00. Day 2 (2023-06-14): A-1 sells 2 MEZ23 to C-1; D's overrides 2605.00.
# A-1 is long 25 MMCZ23, short 2 MEZ23: the offset of (1), legs priced at day 1's settlements.
O1B_DAY1 = [
    ("O1B-1", "MMCZ23", "2600.00", 25, "FA/A-1", "FB/B-1"),
    ("O1B-2", "MEZ23", "2601.00", 2, "FB/B-1", "FC/C-1"),
]
O1B_DAY2 = [("O1B-3", "MEZ23", "2602.00", 2, "FC/C-1", "FA/A-1")]
O1B_POSITIONS = {
    ("FA", "A-1", "MMCZ23"): 5, ("FB", "B-1", "MMCZ23"): -25, ("FB", "B-1", "MEZ23"): 2,
    # C-1: -2 (day 1) + 2 (day 2) = 0: not published.
    ("CH", "CH-OFFSET", "MMCZ23"): 20, ("CH", "CH-OFFSET", "MEZ23"): -2,
}


def scenario_1b(env, checks, s):
    label = "(1b) auto offset, prior from the previous run"
    refdata = make_refdata(env, checks, s, "o1b", OFFSET_NEEDS, O1_ACCOUNTS, "")
    # Embedded runs start a new broker each time, so two days share one development broker and
    # one --state folder instead.
    state = s.path("o1b-state")
    bootstrap = s.start_broker(partitions=3)
    done, out = run_via_broker(s, "o1b-day1", O_PRIOR, refdata, {
        "trades.csv": trades_csv(O_PRIOR, O1B_DAY1),
        "settlement_overrides.csv": overrides_csv([(O_PRIOR, "MMCZ23", "2590.10"),
                                                   (O_PRIOR, "MEZ23", "2590.00")])},
        [], None, bootstrap=bootstrap, state=state)
    checks.require(done.returncode == 0, f"{label}: day 1 exits 0", done.describe())
    checks.equal(len(out.of_run("offsets")), 0, f"{label}: day 1 has no offsets")
    done, out = run_via_broker(s, "o1b-day2", O_DATE, refdata, {
        "trades.csv": trades_csv(O_DATE, O1B_DAY2),
        "settlement_overrides.csv": overrides_csv([(O_DATE, "MMCZ23", "2605.00"),
                                                   (O_DATE, "MEZ23", "2605.00")])},
        [], None, bootstrap=bootstrap, state=state)
    checks.require(done.returncode == 0, f"{label}: day 2 exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_offsets(checks, label, out, O1_OFFSETS)
    check_positions(checks, label, out, O1B_POSITIONS)


# (2) One owner OWN-C, two auto_offset accounts at two firms: C-1 long 20 MMCZ23, C-2 short 2
# MEZ23. Together they would make 2 blocks, but offsets never cross accounts: none.
O2_ACCOUNTS = """\
C-1,FA,OWN-C,customer,true
C-2,FB,OWN-C,customer,true
B-1,FB,OWN-B,customer,false
"""
O2_TRADES = [
    ("O2-1", "MMCZ23", "2600.00", 20, "FA/C-1", "FB/B-1"),
    ("O2-2", "MEZ23", "2601.00", 2, "FB/B-1", "FB/C-2"),
]


def scenario_2(env, checks, s):
    label = "(2) no offset across accounts"
    refdata = make_refdata(env, checks, s, "o2", OFFSET_NEEDS, O2_ACCOUNTS, "")
    done, out = run_embedded(s, "o2", O_DATE, refdata, {
        "trades.csv": trades_csv(O_DATE, O2_TRADES), "settlement_overrides.csv": O_OVERRIDES})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    check_offsets(checks, label, out, [])
    check_positions(checks, label, out, {
        ("FA", "C-1", "MMCZ23"): 20, ("FB", "C-2", "MEZ23"): -2,
        ("FB", "B-1", "MMCZ23"): -20, ("FB", "B-1", "MEZ23"): 2})


# (3) N-1 and N-2 are not auto_offset. N-1 long 25 MMCZ23, short 2 MEZ23; N-2 long 15 MMCZ23,
# short 3 MEZ23. B-1 is the counterparty.
O3_ACCOUNTS = """\
N-1,FA,OWN-N,customer,false
N-2,FA,OWN-N2,customer,false
B-1,FB,OWN-B,customer,false
"""
O3_TRADES = [
    ("O3-1", "MMCZ23", "2600.00", 25, "FA/N-1", "FB/B-1"),
    ("O3-2", "MEZ23", "2601.00", 2, "FB/B-1", "FA/N-1"),
    ("O3-3", "MMCZ23", "2600.00", 15, "FA/N-2", "FB/B-1"),
    ("O3-4", "MEZ23", "2601.00", 3, "FB/B-1", "FA/N-2"),
]
O3_POSITIONS_BEFORE = {
    ("FA", "N-1", "MMCZ23"): 25, ("FA", "N-1", "MEZ23"): -2,
    ("FA", "N-2", "MMCZ23"): 15, ("FA", "N-2", "MEZ23"): -3,
    ("FB", "B-1", "MMCZ23"): -40, ("FB", "B-1", "MEZ23"): 5,
}
# Valid instructions: N-1 "20 MMCZ23 against MEZ23" (2 blocks, all both sides allow);
# N-2 written from the other side, "1 MEZ23 against MMCZ23" (1 block = 1 ME : 10 MMC; N-2's
# 15 MMC would allow 1 block only). Both offsets are named MMC/ME with the MMC leg first.
O3_VALID = [(O_DATE, "N-1", "MMCZ23", "MEZ23", 20, "golden-test"),
            (O_DATE, "N-2", "MEZ23", "MMCZ23", 1, "golden-test")]
O3_OFFSETS = [
    want_offset("FA", "N-1", "MMC/ME", "INSTRUCTION",
                [("MMCZ23", -20, "2590.10"), ("MEZ23", 2, "2590.00")]),
    want_offset("FA", "N-2", "MMC/ME", "INSTRUCTION",
                [("MMCZ23", -10, "2590.10"), ("MEZ23", 1, "2590.00")]),
]
O3_POSITIONS_AFTER = {
    ("FA", "N-1", "MMCZ23"): 5,                                  # 25 - 20; MEZ23 -2 + 2 = 0
    ("FA", "N-2", "MMCZ23"): 5, ("FA", "N-2", "MEZ23"): -2,      # 15 - 10; -3 + 1
    ("FB", "B-1", "MMCZ23"): -40, ("FB", "B-1", "MEZ23"): 5,
    ("CH", "CH-OFFSET", "MMCZ23"): 30, ("CH", "CH-OFFSET", "MEZ23"): -3,
}
# Invalid instructions (against the same book): N-1 "30 MMCZ23": 3 blocks, but 25 MMC allow 2
# ("more than the positions allow"); N-2 "15 MMCZ23": not a whole number of 10-MMC blocks ("not a
# whole multiple"). Neither offsets anything; the run exits 1 (published with data errors).
O3_INVALID = [(O_DATE, "N-1", "MMCZ23", "MEZ23", 30, "golden-test"),
              (O_DATE, "N-2", "MMCZ23", "MEZ23", 15, "golden-test")]
O3_INVALID_DL = {("N-1", "MMCZ23", "MEZ23", 30): "more than the positions allow",
                 ("N-2", "MMCZ23", "MEZ23", 15): "not a whole multiple"}


def instructions_csv(rows) -> str:
    return INSTRUCTIONS_HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)


def scenario_3(env, checks, s):
    import importlib
    pb_limits = importlib.import_module("clearing.v1.limits_pb2")
    refdata = make_refdata(env, checks, s, "o3", OFFSET_NEEDS, O3_ACCOUNTS, "")
    files = {"trades.csv": trades_csv(O_DATE, O3_TRADES), "settlement_overrides.csv": O_OVERRIDES}

    label = "(3a) no auto_offset, no instruction"
    done, out = run_embedded(s, "o3a", O_DATE, refdata, dict(files))
    if checks.check(done.returncode == 0, f"{label}: run exits 0", done.describe()):
        check_run_record(checks, label, out, "SUCCEEDED", 0)
        check_offsets(checks, label, out, [])
        check_positions(checks, label, out, O3_POSITIONS_BEFORE)

    for how in ("csv", "broker"):
        label = f"(3b-{how}) valid instructions"
        if how == "csv":
            done, out = run_embedded(s, "o3b-csv", O_DATE, refdata, dict(
                files, **{"offset_instructions.csv": instructions_csv(O3_VALID)}))
        else:
            done, out = run_via_broker(s, "o3b-broker", O_DATE, refdata, files, O3_VALID,
                                       pb_limits)
        if checks.check(done.returncode == 0, f"{label}: run exits 0", done.describe()):
            check_run_record(checks, label, out, "SUCCEEDED", 0)
            check_offsets(checks, label, out, O3_OFFSETS)
            check_positions(checks, label, out, O3_POSITIONS_AFTER)

        label = f"(3c-{how}) invalid instructions"
        if how == "csv":
            done, out = run_embedded(s, "o3c-csv", O_DATE, refdata, dict(
                files, **{"offset_instructions.csv": instructions_csv(O3_INVALID)}))
        else:
            done, out = run_via_broker(s, "o3c-broker", O_DATE, refdata, files, O3_INVALID,
                                       pb_limits)
        if checks.check(done.returncode == 1, f"{label}: run exits 1 (published, with dead "
                        "letters)", done.describe()):
            check_run_record(checks, label, out, "SUCCEEDED_WITH_DATA_ERRORS", 2)
            check_offsets(checks, label, out, [])
            check_positions(checks, label, out, O3_POSITIONS_BEFORE)
            check_instruction_dead_letters(checks, label, env, out, O3_INVALID_DL, pb_limits)


# ==================================================================================================
# (4)-(8) position limits and large-trader reports (CNH / MNH, seed 002)
# ==================================================================================================
CNH_PRICE = "7.2500"  # a DAILY settlement for every CNH/MNH contract held (0.0001 tick)


def cnh_overrides(date: str, contracts) -> str:
    return overrides_csv([(date, c, CNH_PRICE) for c in contracts])


def limits_run(env, checks, s, name, label, date, accounts, exemptions, trades, edit=None):
    refdata = make_refdata(env, checks, s, name, LIMIT_NEEDS, accounts, exemptions, edit=edit)
    contracts = sorted({t[1] for t in trades})
    done, out = run_embedded(s, name, date, refdata, {
        "trades.csv": trades_csv(date, trades),
        "settlement_overrides.csv": cnh_overrides(date, contracts)})
    checks.require(done.returncode == 0, f"{label}: run exits 0", done.describe())
    check_run_record(checks, label, out, "SUCCEEDED", 0)
    checks.equal(len(out.of_run("offsets")), 0, f"{label}: no offsets (no auto_offset account)")
    return out


# (4) CNHU23: last trade date 2023-09-18 (usd_cnh: second HK business day before the third
# Wednesday 2023-09-20), spot month from 2023-09-18 - 7 days = 2023-09-11 (Monday), checked below
# with `eodclear calendar`. The business day before it is Friday 2023-09-08.
S_ACCOUNTS = """\
S-1,FA,OWN-S,customer,false
S-2,FB,OWN-S,customer,false
K-1,FA,OWN-K,customer,false
K-2,FB,OWN-K,customer,false
L-1,FB,OWN-L,customer,false
"""
S_TRADES = [
    # OWN-S long 3,000 + 2,200 = 5,200 (two firms); OWN-K short 3,000 + 2,000 = 5,000; OWN-L
    # short 200.
    ("S-1", "CNHU23", "7.2400", 3000, "FA/S-1", "FA/K-1"),
    ("S-2", "CNHU23", "7.2410", 2000, "FB/S-2", "FB/K-2"),
    ("S-3", "CNHU23", "7.2420", 200, "FB/S-2", "FB/L-1"),
]
S_DAY_BEFORE = "2023-09-08"
S_START = "2023-09-11"
# On 2023-09-11 (in the spot month): OWN-S |5,200| > 5,000: spot_month finding, base CNHU23,
# excess 5,200 - 5,000 = 200. OWN-K |-5,000| is at the limit, not over: none. All months: 5,200
# and 5,000 <= 10,000: none. On 2023-09-08 (before the spot month): no finding at all.
S_FINDINGS = [want_finding("OWN-S", "spot_month", "CNHU23", "5200", 5000, 0, "200",
                           [("CNHU23", "1", 5200, "5200")])]
# Reports, both days (CNH level 25): OWN-S, OWN-K and OWN-L (200 short) are all reportable.
S_REPORTS = [
    ("OWN-S", "FA", "S-1", "CNHU23", 3000, 0), ("OWN-S", "FB", "S-2", "CNHU23", 2200, 0),
    ("OWN-K", "FA", "K-1", "CNHU23", 0, 3000), ("OWN-K", "FB", "K-2", "CNHU23", 0, 2000),
    ("OWN-L", "FB", "L-1", "CNHU23", 0, 200),
]


def scenario_4(env, checks, s):
    label = "(4) CNHU23 spot month"
    cal = s.run_eodclear(["calendar", "--contract", "CNHU23", "--refdata", OPS_REFDATA])
    try:
        facts = json.loads(cal.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        facts = {}
    checks.equal((facts.get("last_trade_date"), facts.get("spot_month_start")),
                 ("2023-09-18", S_START),
                 f"{label}: calendar: CNHU23 last trade 2023-09-18, spot month from 2023-09-11")
    for date, findings in ((S_DAY_BEFORE, []), (S_START, S_FINDINGS)):
        lab = f"{label} {date}"
        out = limits_run(env, checks, s, f"s-{date}", lab, date, S_ACCOUNTS, "", S_TRADES)
        check_findings(checks, lab, out, findings)
        check_reports(checks, lab, out, S_REPORTS)


# (5) OWN-M: M-1 (FA) long 4,000 CNHU23 and 5,000 CNHZ23; M-2 (FB) long 12,000 MNHZ23. Counterparty
# P-1 short 4,000 CNHU23 and 5,000 CNHZ23 (all months -9,000); Q-1 short 12,000 MNHZ23 (-1,200 CNH
# equivalents). Date 2023-06-14: neither U23 (spot month from 2023-09-11) nor Z23 in its spot
# month; CNH has no single-month limit.
# OWN-M all months in CNH: 4,000 + 5,000 + 12,000 x 0.1 = 10,200 > 10,000: excess 200. Without the
# MNH (9,000) there would be no breach. Aggregated by delivery month then symbol: CNHU23, CNHZ23,
# MNHZ23.
M_ACCOUNTS = """\
M-1,FA,OWN-M,customer,false
M-2,FB,OWN-M,customer,false
P-1,FA,OWN-P,customer,false
Q-1,FB,OWN-Q,customer,false
"""
M_DATE = "2023-06-14"
M_TRADES = [
    ("M-1", "CNHU23", "7.2400", 4000, "FA/M-1", "FA/P-1"),
    ("M-2", "CNHZ23", "7.2000", 5000, "FA/M-1", "FA/P-1"),
    ("M-3", "MNHZ23", "7.2000", 12000, "FB/M-2", "FB/Q-1"),
]
M_AGGREGATED = [("CNHU23", "1", 4000, "4000"), ("CNHZ23", "1", 5000, "5000"),
                ("MNHZ23", "0.1", 12000, "1200")]
M_FINDINGS = [want_finding("OWN-M", "all_months", "CNH", "10200", 10000, 0, "200",
                           M_AGGREGATED)]
# Reports: OWN-M reaches 25 CNH (CNHU23 4,000) and 250 MNH (MNHZ23 12,000); OWN-P 25 CNH; OWN-Q
# 250 MNH.
M_REPORTS = [
    ("OWN-M", "FA", "M-1", "CNHU23", 4000, 0), ("OWN-M", "FA", "M-1", "CNHZ23", 5000, 0),
    ("OWN-M", "FB", "M-2", "MNHZ23", 12000, 0),
    ("OWN-P", "FA", "P-1", "CNHU23", 0, 4000), ("OWN-P", "FA", "P-1", "CNHZ23", 0, 5000),
    ("OWN-Q", "FB", "Q-1", "MNHZ23", 0, 12000),
]


def scenario_5(env, checks, s):
    label = "(5) all months through 10 MNH : 1 CNH"
    out = limits_run(env, checks, s, "m5", label, M_DATE, M_ACCOUNTS, "", M_TRADES)
    check_findings(checks, label, out, M_FINDINGS)
    check_reports(checks, label, out, M_REPORTS)
    # The same book without the MNH: 9,000 CNH, no breach.
    label = "(5) the same without MNH"
    out = limits_run(env, checks, s, "m5-cnh-only", label, M_DATE, M_ACCOUNTS, "", M_TRADES[:2])
    check_findings(checks, label, out, [])


# (6) The book of (5) with exemptions of OWN-M.
#  (6a) CNH all_months 200 in force (2023-06-01..2023-06-30): effective limit 10,200; |10,200| is
#       not over it: no finding.
#  (6b) CNH all_months 150 in force from 2023-06-14 (the first day: valid_from inclusive); an
#       expired CNH all_months 5,000 (2023-01-01..2023-06-13, the day before: valid_to inclusive,
#       so not in force on D); an MNH all_months 50,000 (not applied: exemptions are looked up
#       under the base product). Effective limit 10,150: excess 10,200 - 10,150 = 50, exemption
#       150.
E_6A = "OWN-M,CNH,all_months,200,2023-06-01,2023-06-30\n"
E_6B = ("OWN-M,CNH,all_months,5000,2023-01-01,2023-06-13\n"
        "OWN-M,CNH,all_months,150,2023-06-14,2023-12-31\n"
        "OWN-M,MNH,all_months,50000,2023-01-01,2023-12-31\n")


def scenario_6(env, checks, s):
    label = "(6a) exemption clears the all-months breach"
    out = limits_run(env, checks, s, "e6a", label, M_DATE, M_ACCOUNTS, E_6A, M_TRADES)
    check_findings(checks, label, out, [])
    check_reports(checks, label, out, M_REPORTS)
    label = "(6b) exemption partly clears it"
    out = limits_run(env, checks, s, "e6b", label, M_DATE, M_ACCOUNTS, E_6B, M_TRADES)
    check_findings(checks, label, out, [
        want_finding("OWN-M", "all_months", "CNH", "10200", 10000, 150, "50", M_AGGREGATED)])


# (7) SYNTHETIC accountability levels (not CME's: the shipped table has none for CNH/MNH) added to
# the CNH row of the temporary copy: single_month_accountability 3,000, all_months_accountability
# 8,000. OWN-A: A-1 long 3,500 CNHZ23 and 2,000 CNHH24; counterparty X-1 short 3,500 CNHZ23, X-2
# short 2,000 CNHH24. 2023-06-14: CNHZ23 3,500 > 3,000: accountability, period single_month, excess
# 500 (not a breach: 5,500 all months < 10,000 limit); CNHH24 2,000 <= 3,000; all months 5,500 <=
# 8,000. X-1 3,500 short: |-3,500| > 3,000 too: a second accountability finding, position -3,500.
A_ACCOUNTS = """\
A-1,FA,OWN-A,customer,false
X-1,FB,OWN-X1,customer,false
X-2,FB,OWN-X2,customer,false
"""
A_TRADES = [
    ("A-1", "CNHZ23", "7.2000", 3500, "FA/A-1", "FB/X-1"),
    ("A-2", "CNHH24", "7.1800", 2000, "FA/A-1", "FB/X-2"),
]


def add_synthetic_accountability(folder: str) -> None:
    path = os.path.join(folder, "position_limits.csv")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    for row in rows[1:]:
        if row and row[0] == "CNH":
            row[header.index("single_month_accountability")] = "3000"
            row[header.index("all_months_accountability")] = "8000"
            row[header.index("source")] += " [SYNTHETIC accountability levels added by " \
                "offsets_limits_golden_test.py]"
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def scenario_7(env, checks, s):
    label = "(7) accountability (synthetic levels)"
    out = limits_run(env, checks, s, "a7", label, M_DATE, A_ACCOUNTS, "", A_TRADES,
                     edit=add_synthetic_accountability)
    check_findings(checks, label, out, [
        want_finding("OWN-A", "accountability", "CNHZ23", "3500", 3000, 0, "500",
                     [("CNHZ23", "1", 3500, "3500")], period="single_month"),
        want_finding("OWN-X1", "accountability", "CNHZ23", "-3500", 3000, 0, "500",
                     [("CNHZ23", "1", -3500, "-3500")], period="single_month"),
    ])
    check_reports(checks, label, out, [
        ("OWN-A", "FA", "A-1", "CNHZ23", 3500, 0), ("OWN-A", "FA", "A-1", "CNHH24", 2000, 0),
        ("OWN-X1", "FB", "X-1", "CNHZ23", 0, 3500), ("OWN-X2", "FB", "X-2", "CNHH24", 0, 2000),
    ])


# (8) Reporting levels, 2023-06-14.
#  OWN-R: R-1 (FA) long 25 CNHZ23 (reaches 25), long 3 CNHH24, long 10 MNHZ23; R-2 (FB) short 1
#         CNHU23. Reportable in CNH: every CNH month and account reported (Z23, H24, U23); MNH 10 <
#         250: not reported (levels are not aggregated).
#  OWN-T: T-1 long 24 CNHZ23 (just below) and 20 CNHH24 (months not summed: 44): not reportable.
#  OWN-U: U-1 long 25 CNHZ23, U-2 short 10 CNHZ23: net 15, but open long 25 reaches 25 (long and
#         short not netted across accounts): both accounts reported.
#  Counterparties, each its own owner below the levels: X-1 short 20, X-2 short 22, X-3 short 22
#  CNHZ23 (64 = 25 + 24 + 25 - 10); X-4 short 23 CNHH24 (3 + 20) and long 1 CNHU23; X-5 short 10
#  MNHZ23.
R_ACCOUNTS = """\
R-1,FA,OWN-R,customer,false
R-2,FB,OWN-R,customer,false
T-1,FA,OWN-T,customer,false
U-1,FA,OWN-U,customer,false
U-2,FB,OWN-U,customer,false
"""
R_TRADES = [
    ("R-1", "CNHZ23", "7.2000", 20, "FA/R-1", "FC/X-1"),
    ("R-2", "CNHZ23", "7.2000", 5, "FA/R-1", "FC/X-2"),
    ("R-3", "CNHZ23", "7.2000", 17, "FA/T-1", "FC/X-2"),
    ("R-4", "CNHZ23", "7.2000", 7, "FA/T-1", "FC/X-3"),
    ("R-5", "CNHZ23", "7.2000", 15, "FA/U-1", "FC/X-3"),
    ("R-6", "CNHZ23", "7.2000", 10, "FA/U-1", "FB/U-2"),
    ("R-7", "CNHH24", "7.1800", 3, "FA/R-1", "FC/X-4"),
    ("R-8", "CNHH24", "7.1800", 20, "FA/T-1", "FC/X-4"),
    ("R-9", "CNHU23", "7.2400", 1, "FC/X-4", "FB/R-2"),
    ("R-10", "MNHZ23", "7.2000", 10, "FA/R-1", "FC/X-5"),
]
# Check of the book: CNHZ23 R-1 +25, T-1 +24, U-1 +25, U-2 -10, X-1 -20, X-2 -22, X-3 -22 (sum 0).
R_REPORTS = [
    ("OWN-R", "FA", "R-1", "CNHZ23", 25, 0), ("OWN-R", "FA", "R-1", "CNHH24", 3, 0),
    ("OWN-R", "FB", "R-2", "CNHU23", 0, 1),
    ("OWN-U", "FA", "U-1", "CNHZ23", 25, 0), ("OWN-U", "FB", "U-2", "CNHZ23", 0, 10),
]


def scenario_8(env, checks, s):
    label = "(8) reportable positions"
    out = limits_run(env, checks, s, "r8", label, M_DATE, R_ACCOUNTS, "", R_TRADES)
    check_findings(checks, label, out, [])
    check_reports(checks, label, out, R_REPORTS)
    # 17.00(a) per account and contract: one record each, none twice.
    keys = [(r.get("firm"), r.get("account"), r.get("contract"))
            for r in out.of_run("large-trader-reports")]
    checks.equal(len(keys), len(set(keys)), f"{label}: one report record per (firm, account, "
                 "contract)")


def main(env: harness.Env, checks: harness.Checks) -> None:
    with harness.Session(env) as s:
        for scenario in (scenario_1, scenario_1b, scenario_2, scenario_3, scenario_4, scenario_5,
                         scenario_6, scenario_7, scenario_8):
            print(f"--- {scenario.__name__}", flush=True)
            started = time.monotonic()
            try:
                scenario(env, checks, s)
            except harness.SetupError as e:
                print(f"  {scenario.__name__} stopped: required check failed: {e}", flush=True)
            except Exception:  # noqa: BLE001 - one broken scenario does not hide the others
                traceback.print_exc()
                checks.check(False, f"{scenario.__name__} ran without an unexpected error")
            print(f"  ({time.monotonic() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    harness.main(main, __doc__)
