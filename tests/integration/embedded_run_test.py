#!/usr/bin/python3
"""End-to-end: `eodclear run --embedded`, the one-command run on an in-process broker.

- On a small input folder (trades.csv, quotes.csv and settlement_overrides.csv, all valid) the run
  exits 0 and writes positions.jsonl, dead-letters.jsonl, eod-runs.jsonl, settlement-prices.jsonl,
  variation-margin.jsonl, final-settlements.jsonl, offsets.jsonl, position-limit-findings.jsonl
  and large-trader-reports.jsonl; the positions equal those computed here from the CSV;
  eod-runs.jsonl holds one SUCCEEDED record whose run_id every position carries, whose stages are
  ingest, settlement, offsetting, position_limits, publish in that order, and whose topic
  summaries (one per file but eod-runs) count each file's records (an empty file's summary has the
  checksum of no record, 0000000000000000); there are no dead letters.
- Offsetting and position limits, worked out by hand from the fixture's reference data
  (tests/testdata/e2e/refdata): offsets.jsonl, position-limit-findings.jsonl and
  large-trader-reports.jsonl are empty, and the positions are the trades' own (no CH/CH-OFFSET
  legs). ACC-1 ends long 6 ESU23 and short 7 MESU23, both sides of the MES/ES pair of offsets.csv
  (10 MES : 1 ES), but ACC-1 is not in accounts.csv, so it is never offset automatically (and 7 MES
  is less than one block); the one listed account, CLR01-H1 (auto_offset true, owner
  CLR01-PROP), holds only MEU23, which is in no pair. The only limited product traded is CNH:
  CNHU23 +1 (ACC-1) and -1 (ACC-9), far below the reporting level 25 and every limit.
- Every contract traded settles by a rule worked out by hand here: CNHU23 on its one trade in the
  window (tier 1), ESU23 and MEU23 on the closing quotes (tier 2; ESU23's midpoint is a half tick,
  rounded up on a first day), MESU23 at its parent ESU23's price, MEEM23 (no trade in its window,
  no quote) on the operator's DAILY override from settlement_overrides.csv. The variation margin
  of every account equals multiplier x sum of (settlement - trade price) x signed quantity
  (everyone's first day: no start-of-day positions), and no contract expires on the date, so
  final-settlements.jsonl is empty.
- `--metrics-listen` on a port that is taken exits 2 with a message naming --metrics-listen,
  before any output is written.
"""

import collections
import decimal
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402
import harness  # noqa: E402

BUSINESS_DATE = "2023-06-16"
args = None
state = {}
checks = h.Checks()

# (trade_id, exec_time, contract as written, canonical contract, price, quantity,
#  buyer firm, buyer account, seller firm, seller account); every price on its product's tick.
# No contract here terminates on the business date: the June equity index contracts (ESM23 ...)
# stop trading at 08:30 CT on 2023-06-16, so these trades use the September ones; MEEM23 trades
# until 2023-06-30. America/Chicago is UTC-5 on the date.
TRADES = [h.CsvTrade(*t) for t in [
    ("E-1", "2023-06-16T08:30:00-05:00", "ESU23", "ESU23", "4400.25", 10, "FA", "ACC-1", "FB", "ACC-2"),
    ("E-2", "2023-06-16T09:15:30-05:00", "ESU23", "ESU23", "4400.50", 4, "FB", "ACC-2", "FA", "ACC-1"),
    ("E-3", "2023-06-16T14:00:00Z", "EMDU23", "MEU23", "2500.10", 2, "FA", "ACC-3", "FC", "ACC-9"),
    ("E-4", "2023-06-16T10:01:02-05:00", "MESU23", "MESU23", "4400.75", 7, "FC", "ACC-9", "FA", "ACC-1"),
    ("E-5", "2023-06-16T16:00:00+01:00", "MEEM23", "MEEM23", "1650.50", 3, "FB", "ACC-2", "FC", "ACC-9"),
    # In CNH's settlement window 13:59:30-14:00:00 CT.
    ("E-6", "2023-06-16T13:59:45-05:00", "CNHU23", "CNHU23", "7.1523", 1, "FA", "ACC-1", "FC", "ACC-9"),
    ("E-7", "2023-06-16T13:59:00-05:00", "ESU23", "ESU23", "4399.00", 5, "FC", "ACC-9", "FB", "ACC-2"),
    ("E-8", "2023-06-16T14:30:00-05:00", "EMDU23", "MEU23", "2501.00", 1, "CLR01", "CLR01-H1", "FB", "ACC-2"),
]]
# The quotes at the end of the 14:59:30-15:00:00 CT window (both at or before its end, so both are
# the snapshot); MESU23's is one-sided and unused (a micro settles at its parent's price).
QUOTES_CSV = """\
contract,time,bid,bid_size,ask,ask_size
ESU23,2023-06-16T14:59:59-05:00,4400.25,12,4400.50,7
EMDU23,2023-06-16T15:00:00-05:00,2500.90,3,2501.10,2
MESU23,2023-06-16T15:00:00-05:00,4400.50,40,,0
"""
QUOTE_ROWS = 3
# MEEM23 has no trade in its window (14:59:00-15:00:00 CT) and no quote, and no prior settlement
# (its first day): only an operator override can settle it.
OVERRIDES_CSV = """\
business_date,contract,kind,price,reason,entered_by
2023-06-16,MEEM23,DAILY,1651.00,no trade or quote in the window,ops-e2e
"""

# The settlement of each contract, worked by hand (tiers of stages/settlement/settlement_price.h):
#   CNHU23  tier 1: VWAP of its one window trade E-6, 7.1523; no quote to clamp it.
#   ESU23   tier 2: no trade in the window (E-7 is at 13:59:00); midpoint of 4400.25/4400.50 =
#           4400.375, exactly between two 0.25 ticks; no prior (first day), so rounded up: 4400.50.
#   MEU23   tier 2: no trade in the window (E-3 09:00 CT, E-8 14:30 CT); midpoint of
#           2500.90/2501.10 = 2501.00, on the 0.10 tick.
#   MESU23  parent: ESU23's 4400.50.
#   MEEM23  override: 1651.00.
SETTLEMENTS = {
    "CNHU23": ("7.1523", "vwap"),
    "ESU23": ("4400.50", "bid_ask"),
    "MEU23": ("2501.00", "bid_ask"),
    "MESU23": ("4400.50", "parent"),
    "MEEM23": ("1651.00", "override"),
}
# Product terms the variation margin rests on (tests/testdata/e2e/refdata/products.csv).
MULTIPLIER_CURRENCY = {"ESU23": ("50", "USD"), "MESU23": ("5", "USD"), "MEU23": ("100", "USD"),
                       "MEEM23": ("0.1", "EUR"), "CNHU23": ("100000", "CNH")}
OUTPUT_FILES = ("positions", "dead-letters", "eod-runs", "settlement-prices", "variation-margin",
                "final-settlements", "offsets", "position-limit-findings", "large-trader-reports")
LIMITS_FILES = ("offsets", "position-limit-findings", "large-trader-reports")
STAGES = ["ingest", "settlement", "offsetting", "position_limits", "publish"]


def expected_positions():
    """{(firm, account, contract): (net, bought, sold)}, computed from TRADES."""
    return h.positions_of(TRADES)


def write_input(folder):
    os.makedirs(folder)
    h.write_trades_csv(os.path.join(folder, "trades.csv"), BUSINESS_DATE, TRADES)
    harness.write_files(folder, {"quotes.csv": QUOTES_CSV,
                                 "settlement_overrides.csv": OVERRIDES_CSV})


def embedded_run():
    """Runs the embedded scenario once; later calls return its result."""
    def run():
        work = state["work"]
        write_input(os.path.join(work, "input"))
        out = os.path.join(work, "output")
        p = h.run([args.binary, "run", "--date", BUSINESS_DATE, "--embedded",
                   "--input", os.path.join(work, "input"), "--output", out,
                   "--refdata", args.refdata], timeout=120, cwd=work)
        return p, out
    return h.once(state, "run", "the embedded run", run)


def outputs():
    p, out = embedded_run()
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    files = {}
    for name in OUTPUT_FILES:
        path = os.path.join(out, name + ".jsonl")
        h.expect(os.path.isfile(path), "%s was not written; %s" % (path, h.describe(p)))
        files[name] = harness.read_jsonl(path, error=h.CheckFailed)
    return files


@checks.add
def embedded_run_exits_0_and_writes_nine_jsonl_files():
    files = outputs()
    h.expect(files["dead-letters"] == [],
             "dead-letters.jsonl is not empty: %s" % files["dead-letters"])


@checks.add
def eod_runs_jsonl_has_one_succeeded_record():
    files = outputs()
    runs = files["eod-runs"]
    h.expect(len(runs) == 1, "eod-runs.jsonl has %d records, expected 1: %s" % (len(runs), runs))
    run = runs[0]
    problems = []
    if run.get("business_date") != BUSINESS_DATE:
        problems.append("business_date %r" % run.get("business_date"))
    if not run.get("run_id"):
        problems.append("empty run_id")
    if run.get("status") != "SUCCEEDED":
        problems.append("status %r, expected 'SUCCEEDED'" % run.get("status"))
    if run.get("messages_consumed") != len(TRADES) + QUOTE_ROWS:
        problems.append("messages_consumed %r, expected %d trades + %d quotes" %
                        (run.get("messages_consumed"), len(TRADES), QUOTE_ROWS))
    if run.get("messages_rejected") != 0:
        problems.append("messages_rejected %r, expected 0" % run.get("messages_rejected"))
    # One summary per output topic (the run marker itself has none), each counting its file.
    summary = {}
    checksums = {}
    for t in run.get("topics", []):
        if t.get("topic") in summary:
            problems.append("two topic summaries of %s" % t.get("topic"))
        summary[t.get("topic")] = t.get("records", 0)
        checksums[t.get("topic")] = t.get("checksum")
    topics = sorted(name for name in OUTPUT_FILES if name != "eod-runs")
    if sorted(summary) != topics:
        problems.append("topic summaries of %s, expected %s" % (sorted(summary), topics))
    for topic in topics:
        if topic in summary and summary[topic] != len(files[topic]):
            problems.append("topic summary says %r %s records, %s.jsonl has %d" %
                            (summary[topic], topic, topic, len(files[topic])))
        # The checksum is over the protobuf values, which JSON lines do not carry; an empty
        # file's is known: the checksum of no record.
        if topic in summary and not files[topic] and checksums[topic] != h.record_checksum([]):
            problems.append("%s.jsonl is empty but its summary checksum is %r, expected %r" %
                            (topic, checksums[topic], h.record_checksum([])))
    stages = [st.get("stage") for st in run.get("stages", [])]
    if stages != STAGES:
        problems.append("stages %r, expected %r" % (stages, STAGES))
    h.expect(not problems, "eod-runs record %s:\n  %s" % (run, "\n  ".join(problems)))


@checks.add
def eod_runs_names_the_accounts_that_accounts_csv_does_not_list():
    """Trades of unlisted accounts are applied all the same and the run record names them."""
    import csv
    with open(os.path.join(args.refdata, "accounts.csv")) as f:
        listed = {row["account"] for row in csv.DictReader(f)}
    traded = {t.buyer_account for t in TRADES} | {t.seller_account for t in TRADES}
    want = sorted(traded - listed)
    h.expect("CLR01-H1" in listed and "CLR01-H1" in traded,
             "test setup: CLR01-H1 must be a listed account that trades")
    got = outputs()["eod-runs"][0].get("unknown_accounts")
    h.expect(got == want, "unknown_accounts %r, expected %r" % (got, want))


@checks.add
def positions_jsonl_matches_positions_computed_by_hand():
    files = outputs()
    runs = files["eod-runs"]
    h.expect(len(runs) == 1, "eod-runs.jsonl has %d records, expected 1" % len(runs))
    run_id = runs[0].get("run_id")
    got = {}
    problems = []
    for p in files["positions"]:
        if p.get("run_id") != run_id:
            problems.append("position %s has run_id %r, eod-runs says %r" %
                            (p, p.get("run_id"), run_id))
        if p.get("business_date") != BUSINESS_DATE:
            problems.append("position %s has business_date %r" % (p, p.get("business_date")))
        for field in ("quantity", "bought", "sold"):
            if not isinstance(p.get(field), int) or isinstance(p.get(field), bool):
                problems.append("position %s: %s is not a JSON number" % (p, field))
        k = (p.get("firm"), p.get("account"), p.get("contract"))
        if k in got:
            problems.append("two positions for %s" % (k,))
        got[k] = (p.get("quantity"), p.get("bought"), p.get("sold"))
    want = expected_positions()
    h.expect(all(v[0] != 0 for v in want.values()),
             "test setup: a position nets to zero (whether it is published is another question); "
             "choose other quantities")
    for k in sorted(set(got) | set(want), key=str):
        if got.get(k) != want.get(k):
            problems.append("%s/%s %s: (net, bought, sold) is %s, expected %s" %
                            (k + (got.get(k), want.get(k))))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


def expected_variation_margin():
    """{(firm, account, contract): amount} from TRADES and SETTLEMENTS: multiplier x sum of
    (settlement - price) x quantity, quantity signed + for the buyer and - for the seller (no
    position is open at the start of the day). Every amount here is a whole cent, so nothing is
    rounded and no rounding-account row is expected."""
    vm = collections.defaultdict(decimal.Decimal)
    for t in TRADES:
        settle = decimal.Decimal(SETTLEMENTS[t.canonical][0])
        multiplier = decimal.Decimal(MULTIPLIER_CURRENCY[t.canonical][0])
        change = multiplier * (settle - decimal.Decimal(t.price)) * t.quantity
        vm[(t.buyer_firm, t.buyer_account, t.canonical)] += change
        vm[(t.seller_firm, t.seller_account, t.canonical)] -= change
    return dict(vm)


def of_the_run(files, topic):
    """The records of `topic` carrying the date's run id (every record, checked below)."""
    run_id = files["eod-runs"][0].get("run_id") if len(files["eod-runs"]) == 1 else None
    h.expect(run_id, "no single eod-runs record to take the run id from")
    records = files[topic]
    wrong = [r for r in records
             if r.get("run_id") != run_id or r.get("business_date") != BUSINESS_DATE]
    h.expect(not wrong, "%s records of another run or date (run %s): %s" %
             (topic, run_id, wrong[:3]))
    return records


@checks.add
def settlement_prices_jsonl_has_each_contract_settled_as_worked_by_hand():
    records = of_the_run(outputs(), "settlement-prices")
    got = collections.defaultdict(list)
    for r in records:
        got[r.get("contract")].append(
            (decimal.Decimal(r.get("price", "0")), r.get("tier"), bool(r.get("stale"))))
    want = {c: [(decimal.Decimal(price), tier, False)] for c, (price, tier) in SETTLEMENTS.items()}
    problems = []
    for c in sorted(set(got) | set(want)):
        if got.get(c) != want.get(c):
            problems.append("%s: (price, tier, stale) records %s, expected %s" %
                            (c, got.get(c), want.get(c)))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def variation_margin_jsonl_matches_amounts_computed_by_hand():
    records = of_the_run(outputs(), "variation-margin")
    accounts, totals, problems = {}, {}, []
    for r in records:
        kind = r.get("kind")
        if kind == "ACCOUNT":
            k = (r.get("firm"), r.get("account"), r.get("contract"))
            if k in accounts:
                problems.append("two ACCOUNT records for %s" % (k,))
            accounts[k] = decimal.Decimal(r.get("amount", "0"))
            currency = MULTIPLIER_CURRENCY.get(r.get("contract"), ("", ""))[1]
            if r.get("currency") != currency:
                problems.append("%s: currency %r, expected %r" % (k, r.get("currency"), currency))
        elif kind == "FIRM_TOTAL":
            k = (r.get("firm"), r.get("currency"))
            if k in totals:
                problems.append("two FIRM_TOTAL records for %s" % (k,))
            totals[k] = decimal.Decimal(r.get("amount", "0"))
        else:
            problems.append("unexpected %s record (no rounding residual arises here): %s" %
                            (kind, r))
    want = expected_variation_margin()
    for k in sorted(set(accounts) | set(want)):
        if accounts.get(k) != want.get(k):
            problems.append("%s/%s %s: VM %s, expected %s" % (k + (accounts.get(k), want.get(k))))
    want_totals = collections.defaultdict(decimal.Decimal)
    for (firm, _, contract), amount in want.items():
        want_totals[(firm, MULTIPLIER_CURRENCY[contract][1])] += amount
    if totals != dict(want_totals):
        problems.append("FIRM_TOTAL per (firm, currency) %s, expected %s" %
                        (sorted(totals.items()), sorted(want_totals.items())))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


def read_refdata(name):
    import csv
    with open(os.path.join(args.refdata, name)) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@checks.add
def offsets_findings_and_reports_are_empty_as_worked_out_from_the_refdata():
    """The docstring's reasoning, checked against the reference data, then the three files."""
    accounts = {r["account"]: r for r in read_refdata("accounts.csv")}
    net = {k: v[0] for k, v in expected_positions().items()}
    held = collections.defaultdict(dict)  # account -> product -> long?
    for (_, account, contract), q in net.items():
        held[account][contract[:-3]] = q > 0
    pairs = {frozenset((r["code"], r["offset_to"])) for r in read_refdata("offsets.csv")}
    both_sides = {a: sorted(p) for a, products in held.items() for p in pairs
                  if p <= set(products) and len({products[x] for x in p}) == 2}
    # ACC-1 (long ESU23, short MESU23) is the one account holding both sides of a pair; it is not
    # listed, hence never auto-offset. No listed auto_offset account holds both sides of one.
    h.expect(both_sides == {"ACC-1": ["ES", "MES"]},
             "test setup: accounts holding both sides of a pair %s, expected ACC-1 ES/MES only" %
             both_sides)
    h.expect("ACC-1" not in accounts, "test setup: ACC-1 must not be in accounts.csv")
    h.expect(accounts.get("CLR01-H1", {}).get("auto_offset") == "true"
             and set(held["CLR01-H1"]) == {"ME"},
             "test setup: CLR01-H1 must be an auto_offset account holding only ME")
    # Owners: listed accounts by owner, others their own; CNH is the only limited product traded,
    # at 1 contract per owner: below the reporting level (25) and every limit.
    limits = {r["product"]: r for r in read_refdata("position_limits.csv")}
    limited = {(accounts.get(a, {}).get("owner", a), c): q
               for (_, a, c), q in net.items() if c[:-3] in limits}
    h.expect(limited == {("ACC-1", "CNHU23"): 1, ("ACC-9", "CNHU23"): -1}
             and int(limits["CNH"]["reportable_level"]) == 25,
             "test setup: limited positions per owner %s, expected CNHU23 +1 ACC-1 / -1 ACC-9"
             % limited)
    files = outputs()
    problems = ["%s.jsonl: %d records, expected none, e.g. %s" %
                (name, len(files[name]), files[name][0])
                for name in LIMITS_FILES if files[name]]
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def final_settlements_jsonl_is_empty_as_nothing_expires():
    files = outputs()
    h.expect(files["final-settlements"] == [],
             "final-settlements.jsonl is not empty: %s" % files["final-settlements"])


@checks.add
def metrics_listen_on_taken_port_exits_2_naming_the_option():
    holder = h.occupied_port()
    try:
        work = state["work"]
        folder = os.path.join(work, "metrics-input")
        write_input(folder)
        out = os.path.join(work, "metrics-output")
        address = "127.0.0.1:%d" % holder.getsockname()[1]
        p = h.run([args.binary, "run", "--date", BUSINESS_DATE, "--embedded", "--input", folder,
                   "--output", out, "--refdata", args.refdata, "--metrics-listen", address],
                  timeout=60, cwd=work)
        h.expect(p.returncode == 2, "expected exit 2: " + h.describe(p))
        h.expect("--metrics-listen" in p.stderr,
                 "the error does not name --metrics-listen: " + h.describe(p))
        h.expect(not os.path.exists(out), "%s was written despite the bad --metrics-listen" % out)
    finally:
        holder.close()


def main():
    global args
    args = h.parse_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="eodclear-embedded-") as work:
        state["work"] = work
        return checks.run_all()


if __name__ == "__main__":
    sys.exit(main())
