#!/usr/bin/python3
"""End-to-end: `eodclear run --embedded`, the one-command run on an in-process broker.

- On a small input folder (trades.csv and quotes.csv, all valid) the run exits 0 and writes
  positions.jsonl, dead-letters.jsonl and eod-runs.jsonl; the positions equal those computed here
  from the CSV; eod-runs.jsonl holds one SUCCEEDED record whose run_id every position carries;
  there are no dead letters.
- `--metrics-listen` on a port that is taken exits 2 with a message naming --metrics-listen,
  before any output is written.
"""

import collections
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

BUSINESS_DATE = "2023-06-16"
args = None
state = {}
checks = h.Checks()

# (trade_id, exec_time, contract as written, canonical contract, price, quantity,
#  buyer firm, buyer account, seller firm, seller account); every price on its product's tick.
Trade = collections.namedtuple(
    "Trade", "trade_id exec_time contract canonical price quantity "
    "buyer_firm buyer_account seller_firm seller_account")
TRADES = [Trade(*t) for t in [
    ("E-1", "2023-06-16T08:30:00-05:00", "ESM23", "ESM23", "4400.25", 10, "FA", "ACC-1", "FB", "ACC-2"),
    ("E-2", "2023-06-16T09:15:30-05:00", "ESM23", "ESM23", "4400.50", 4, "FB", "ACC-2", "FA", "ACC-1"),
    ("E-3", "2023-06-16T14:00:00Z", "EMDM23", "MEM23", "2500.10", 2, "FA", "ACC-3", "FC", "ACC-9"),
    ("E-4", "2023-06-16T10:01:02-05:00", "MESM23", "MESM23", "4400.75", 7, "FC", "ACC-9", "FA", "ACC-1"),
    ("E-5", "2023-06-16T16:00:00+01:00", "MEEM23", "MEEM23", "1650.50", 3, "FB", "ACC-2", "FC", "ACC-9"),
    ("E-6", "2023-06-16T11:11:11-05:00", "LIYM23", "LIYM23", "98.346", 1, "FA", "ACC-1", "FC", "ACC-9"),
    ("E-7", "2023-06-16T13:59:00-05:00", "ESM23", "ESM23", "4399.00", 5, "FC", "ACC-9", "FB", "ACC-2"),
    ("E-8", "2023-06-16T14:30:00-05:00", "EMDM23", "MEM23", "2501.00", 1, "CLR01", "CLR01-H1", "FB", "ACC-2"),
]]
TRADE_HEADER = ("trade_id,trade_date,exec_time,contract,price,quantity,"
                "buyer_firm,buyer_account,seller_firm,seller_account")
QUOTES_CSV = """\
contract,time,bid,bid_size,ask,ask_size
ESM23,2023-06-16T14:59:59-05:00,4400.25,12,4400.50,7
EMDM23,2023-06-16T15:00:00-05:00,2500.90,3,2501.10,2
MESM23,2023-06-16T15:00:00-05:00,4400.50,40,,0
"""
QUOTE_ROWS = 3


def expected_positions():
    """{(firm, account, contract): (net, bought, sold)}, computed from TRADES."""
    book = collections.defaultdict(lambda: [0, 0, 0])
    for t in TRADES:
        buy = book[(t.buyer_firm, t.buyer_account, t.canonical)]
        buy[0] += t.quantity
        buy[1] += t.quantity
        sell = book[(t.seller_firm, t.seller_account, t.canonical)]
        sell[0] -= t.quantity
        sell[2] += t.quantity
    return {k: tuple(v) for k, v in book.items()}


def write_input(folder):
    os.makedirs(folder)
    with open(os.path.join(folder, "trades.csv"), "w") as f:
        f.write(TRADE_HEADER + "\n")
        for t in TRADES:
            f.write(",".join([t.trade_id, BUSINESS_DATE, t.exec_time, t.contract, t.price,
                              str(t.quantity), t.buyer_firm, t.buyer_account, t.seller_firm,
                              t.seller_account]) + "\n")
    with open(os.path.join(folder, "quotes.csv"), "w") as f:
        f.write(QUOTES_CSV)


def read_jsonl(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise h.CheckFailed("%s:%d is not JSON (%s): %r" % (path, n, e, line))
    return out


def embedded_run():
    """Runs the embedded scenario once; later calls return its result."""
    if "error" in state:
        raise h.CheckFailed("the embedded run failed earlier: %s" % state["error"])
    if "run" not in state:
        try:
            work = state["work"]
            write_input(os.path.join(work, "input"))
            out = os.path.join(work, "output")
            p = h.run([args.binary, "run", "--date", BUSINESS_DATE, "--embedded",
                       "--input", os.path.join(work, "input"), "--output", out,
                       "--refdata", args.refdata], timeout=120, cwd=work)
            state["run"] = (p, out)
        except Exception as e:
            state["error"] = str(e)
            raise
    return state["run"]


def outputs():
    p, out = embedded_run()
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    files = {}
    for name in ("positions", "dead-letters", "eod-runs"):
        path = os.path.join(out, name + ".jsonl")
        h.expect(os.path.isfile(path), "%s was not written; %s" % (path, h.describe(p)))
        files[name] = read_jsonl(path)
    return files


@checks.add
def embedded_run_exits_0_and_writes_three_jsonl_files():
    files = outputs()
    h.expect(files["dead-letters"] == [],
             "dead-letters.jsonl is not empty: %s" % files["dead-letters"])


@checks.add
def eod_runs_jsonl_has_one_succeeded_record():
    runs = outputs()["eod-runs"]
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
    summary = {t.get("topic"): t.get("records") for t in run.get("topics", [])}
    if summary.get("positions") != len(outputs()["positions"]):
        problems.append("topic summary says %r positions, positions.jsonl has %d" %
                        (summary.get("positions"), len(outputs()["positions"])))
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
