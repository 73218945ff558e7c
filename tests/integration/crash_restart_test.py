#!/usr/bin/python3
"""Crash and restart: a business date's run killed with SIGKILL at random points still publishes
exactly once, and exactly the positions the trades make.

Scenario (the issue's must-show):
1. 100,000 random valid trades of one business date (15 contracts of nine of the fixture's ten
   products, one written with the alias EMD, none on its last trade date; prices on
   the product's tick; 200 accounts in 10 firms plus a few dedicated accounts whose round trips net
   to zero; one trade inside the settlement window of each contract settled by its own trades, so
   each settles on its window's VWAP; unique trade ids), loaded from a CSV onto a development
   broker with 8 partitions per topic, so no partition nears the 5 MiB it keeps.
2. `eodclear run` with --batch-size 2000 --progress-every 2000, killed with SIGKILL four times
   during ingest (each time after a random number of `ingest: N/M` progress lines, before the last
   one), then once during publish (a random 0..1.5 s after `publish: producing` appears, before
   the commit), then run again to completion: exit 0.
3. Checked with python3-kafka, independently of eodclear's own code: exactly one `eod-runs` record
   for the date; the `positions` records carrying its run id are exactly the positions computed
   from the CSV here (net, bought, sold per firm/account/contract; zero-net positions absent), each
   once; the `settlement-prices` of the run are each contract's window VWAP computed from the CSV
   (with the number and volume of the window's trades; micros at their parent's price) and the
   `variation-margin` records are multiplier x sum of (settlement - price) x signed quantity per
   account and contract, so no trade print or trade value was applied twice either; nothing is
   final-settled; record counts and checksums of every output topic (positions, dead-letters,
   the three settlement topics, offsets, position-limit-findings, large-trader-reports) equal the
   eod-runs record's, which summarises exactly those; messages_consumed == 100000 and
   messages_rejected == 0 (nothing counted twice).
4. Offsetting and position limits, worked out here from the fixture's reference data:
   - offsets: none. Every trading account ("F01-A001".., "F01-FLAT1"..) is absent from
     accounts.csv, so none is auto_offset (an unlisted account never is) and no instruction is
     loaded; a setup check makes sure of it, the expected offsets are computed with the Rule 855
     rule anyway (harness.expected_auto_offsets: empty) and the positions are the trades' own;
   - position-limit-findings: none. The data is constrained, not assumed: a setup check computes
     every owner's (= account's) net CNH equivalent (MNH at 0.1) per month and over all months
     from the CSV and requires it within the smallest per-month level (5,000 CNH) and the
     all-months limit (10,000 CNH), so no finding can arise whichever month is the spot month
     (CNHM23's spot month contains the date) and whatever exemptions say (they only raise limits);
   - large-trader-reports: random, so computed from the CSV (harness.expected_large_trader_reports):
     every account reaching 25 CNH long or short in one CNH month (or 250 MNH in one MNH month)
     has each of its non-zero positions in that product reported, once, keyed
     business_date|owner|firm|account|contract.

Set EODCLEAR_E2E_SEED to replay one random scenario (the seed is printed), EODCLEAR_E2E_KEEP=1 to
keep the temporary folder.
"""

import collections
import datetime
import decimal
import fractions
import math
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DATE = "2023-06-16"
TRADES = 100_000
PARTITIONS = 8
BATCH = 2000
INGEST_KILLS = 4
ROUND_TRIPS = 20  # pairs of trades that leave both accounts flat

# At most two contracts per partition of `trades` under librdkafka's default partitioner (CRC-32
# of the key, the canonical contract, modulo 8): partition 0 MESU23 RTYU23, 1 ESZ23, 2 CNHZ23
# MNHZ23, 3 YMU23 MEEU23, 4 ESU23 ESH24, 5 RTYZ23 MESZ23, 6 NQU23 MEU23, 7 CNHM23 MNHU23; so each
# partition holds at most about 13,500 trades (~1.8 MB). "EMDU23" is the alias spelling of MEU23.
# Every product of the fixture is here but LIY: a 10-Year Eris contract listed in 2023 matures in
# 2033, outside the fixture calendars' coverage (to 2030), so its trades are rejected as
# UNKNOWN_CONTRACT. No contract expires on DATE (the June equity index contracts do: their trades
# after 08:30 CT would be rejected and their positions closed); each MES month has its ES parent.
CONTRACTS = ["MESU23", "RTYU23", "ESZ23", "CNHZ23", "MNHZ23", "YMU23", "MEEU23", "ESU23",
             "ESH24", "RTYZ23", "MESZ23", "NQU23", "EMDU23", "CNHM23", "MNHU23"]

# Progress lines come after each state write; a write covers at most one poll of the consumer
# (about 10,000 messages), so a run with M messages to read prints about M / 10,000 lines or more.
MESSAGES_PER_LINE_AT_MOST = 10_000

PROGRESS = re.compile(r"^ingest: (\d+)/(\d+) messages")
CUTOFF = re.compile(r"^ingest: cut-off taken on \d+ partitions in \S+ s; (\d+) messages to read")
STAGE_START = re.compile(r"^run: stage (\w+) of (\S+) \(run (\S+)\)")
SUMMARY = re.compile(r"^eodclear run: (\S+) (already published|published) by run (\S+); "
                     r"(\d+) messages consumed, (\d+) to dead letters$", re.M)


Terms = harness.Terms
load_terms = harness.load_terms
window_on = harness.window_on


def make_trades(rng: random.Random, products: dict, terms: dict) -> list:
    parties = harness.accounts(firms=10, per_firm=20)
    in_window = harness.window_trades(rng, DATE, CONTRACTS, products, terms, parties, "CR-WIN-")
    rows = harness.random_trades(rng, TRADES - 2 * ROUND_TRIPS - len(in_window), DATE, CONTRACTS,
                                 products, parties, id_prefix="CR-") + in_window
    # Round trips between dedicated accounts: each buys and sells the same quantity, so their
    # positions net to zero and must not be published.
    flat = [(f"F{f:02d}", f"F{f:02d}-FLAT{i}") for f in range(1, 11) for i in (1, 2)]
    by_symbol = {c: products[harness.canonical_contract(c, products)[:-3]] for c in CONTRACTS}
    for i in range(ROUND_TRIPS):
        a, b = rng.sample(flat, 2)
        contract = rng.choice(CONTRACTS)
        qty = rng.randint(1, 20)
        for j, (buyer, seller) in enumerate(((a, b), (b, a))):
            rows.append(harness.TradeRow(
                f"CR-FLAT-{i:03d}-{j}", DATE, harness.exec_time(rng, DATE), contract,
                harness.random_price(rng, by_symbol[contract]), qty, buyer[0], buyer[1],
                seller[0], seller[1]))
    rng.shuffle(rows)
    return rows


def t_code(contract: str, products: dict) -> str:
    """The product code of a contract symbol ("EMDU23" -> "ME")."""
    return harness.canonical_contract(contract, products)[:-3]


def expected_settlements(trades: list, products: dict, terms: dict) -> dict:
    """canonical contract -> (price, tier, window_trades, window_volume), from the trades alone:
    a contract settled by VWAP settles at sum(price x qty) / sum(qty) of its trades executed in
    its window (both ends inclusive), rounded to the nearest settlement tick, an exact half up (a
    first day: no prior settlement); a micro at its parent's price, with its parent's window
    figures (stages/settlement/settlement_price.h). No quotes are loaded, so nothing is clamped."""
    sums = collections.defaultdict(lambda: [fractions.Fraction(0), 0, 0])  # notional, qty, n
    contracts = {harness.canonical_contract(c, products) for c in CONTRACTS}
    for t in trades:
        contract = harness.canonical_contract(t.contract, products)
        pt = terms[contract[:-3]]
        if pt.method != "vwap":
            continue
        start, end = window_on(pt, DATE)
        if start <= datetime.datetime.fromisoformat(t.exec_time) <= end:
            s = sums[contract]
            s[0] += fractions.Fraction(decimal.Decimal(t.price)) * t.quantity
            s[1] += t.quantity
            s[2] += 1
    out = {}
    for contract in sorted(contracts):
        pt = terms[contract[:-3]]
        if pt.method == "vwap" and contract in sums:
            notional, qty, n = sums[contract]
            tick = fractions.Fraction(pt.settlement_tick)
            ticks = math.floor(notional / qty / tick + fractions.Fraction(1, 2))
            out[contract] = (pt.settlement_tick * ticks, "vwap", n, qty)
    for contract in sorted(contracts):
        pt = terms[contract[:-3]]
        if pt.method == "parent":
            parent = out.get(pt.parent + contract[-3:])
            if parent is not None:
                out[contract] = (parent[0], "parent", parent[2], parent[3])
    return out


def expected_variation_margin(trades: list, products: dict, terms: dict,
                              settlements: dict) -> dict:
    """(firm, account, contract) -> amount: multiplier x sum of (settlement - price) x quantity,
    + for the buyer and - for the seller (no position is open at the start of the day)."""
    vm = collections.defaultdict(decimal.Decimal)
    for t in trades:
        contract = harness.canonical_contract(t.contract, products)
        change = (terms[contract[:-3]].multiplier * t.quantity
                  * (settlements[contract][0] - decimal.Decimal(t.price)))
        vm[(t.buyer_firm, t.buyer_account, contract)] += change
        vm[(t.seller_firm, t.seller_account, contract)] -= change
    return dict(vm)


class IngestKillPlan:
    """Decides, line by line on the reader thread, when to kill a run during ingest: after the
    k-th progress line with 0 < N < M, k drawn when the first line (0/M) tells M, from 1 up to a
    bound that leaves room for the kills still to come and at least two more lines; and in any
    case at the first progress line past half of M."""

    def __init__(self, rng: random.Random, kills_left: int) -> None:
        self.rng = rng
        self.kills_left = kills_left
        self.total = None
        self.target = None
        self.seen = 0

    def __call__(self, line: str) -> bool:
        m = PROGRESS.match(line)
        if not m:
            return False
        done, total = int(m.group(1)), int(m.group(2))
        if self.target is None:
            self.total = total
            lines = total // MESSAGES_PER_LINE_AT_MOST - 2
            self.target = self.rng.randint(1, max(1, lines // self.kills_left))
        if not 0 < done < total:
            return False
        self.seen += 1
        return self.seen >= self.target or 2 * done >= total


class PublishKillPlan:
    """Kills a run a random 0..1.5 s after `publish: producing` appears. On the development broker
    a publish takes about 2 s after that line (its records reach the topic after about 1 s, the
    run marker and the commit follow), so the kill lands before the commit, sometimes with part of
    the killed attempt's records already visible (the broker does not hide open transactions)."""

    def __init__(self, rng: random.Random) -> None:
        self.delay = round(rng.uniform(0.0, 1.5), 2)

    def __call__(self, line: str):
        return self.delay if line.startswith("publish: producing") else None


def attempt_facts(stderr: str) -> dict:
    """What an attempt's stderr says: the remaining messages at its cut-off, whether ingest or
    publish ran or were resumed, and the run id."""
    facts = {"remaining": None, "stages": [], "run_id": None, "ingest_finished": False,
             "ingest_resumed": "run: stage ingest already completed" in stderr,
             "publish_started": False}
    for line in stderr.splitlines():
        if (m := CUTOFF.match(line)) and facts["remaining"] is None:
            facts["remaining"] = int(m.group(1))
        if m := STAGE_START.match(line):
            facts["stages"].append(m.group(1))
            facts["run_id"] = m.group(3)
        if line.startswith("ingest:") and "s waiting for messages" in line:
            facts["ingest_finished"] = True
        if line.startswith("publish:") or line.startswith("run: stage publish"):
            facts["publish_started"] = True
    return facts


def body(env: harness.Env, checks: harness.Checks) -> None:
    seed = int(os.environ.get("EODCLEAR_E2E_SEED", str(time.time_ns() % 1_000_000_007)))
    print(f"seed {seed} (EODCLEAR_E2E_SEED={seed} replays it)", flush=True)
    rng = random.Random(seed)
    products = harness.load_products(env.refdata)
    terms = load_terms(env.refdata)
    trades = make_trades(rng, products, terms)
    expected = harness.expected_positions(trades, DATE, products)
    settlements = expected_settlements(trades, products, terms)
    canonical = {harness.canonical_contract(c, products) for c in CONTRACTS}
    checks.require(set(settlements) == canonical,
                   "setup: every contract has a trade in its window (or a parent that has one)",
                   f"settled {sorted(settlements)}, contracts {sorted(canonical)}")
    # Whole cents per tick of price: every exact VM amount is already whole, so none is rounded
    # and no rounding-account row arises (stages/settlement/variation_margin.h).
    cent = decimal.Decimal("0.01")
    checks.require(all((terms[c[:-3]].multiplier * terms[c[:-3]].tick) % cent == 0
                       and (terms[c[:-3]].multiplier * terms[c[:-3]].settlement_tick) % cent == 0
                       for c in canonical),
                   "setup: multiplier x tick is a whole cent for every contract")
    expected_vm = expected_variation_margin(trades, products, terms, settlements)
    flat_keys = {(t.buyer_firm, t.buyer_account, harness.canonical_contract(t.contract, products))
                 for t in trades if "-FLAT" in t.buyer_account}
    checks.require(len({t.trade_id for t in trades}) == TRADES,
                   f"setup: {TRADES} trades with unique ids generated")
    checks.require(len(flat_keys) > 0 and not flat_keys & set(expected),
                   "setup: some positions net to zero (they must not be published)")
    print(f"{len(expected)} non-zero positions expected; {len(flat_keys)} flat ones must be "
          "absent", flush=True)
    # Offsetting and position limits (docstring, point 4).
    listed = harness.load_accounts(env.refdata)
    traded_accounts = {a for t in trades for a in (t.buyer_account, t.seller_account)}
    checks.require(not traded_accounts & set(listed),
                   "setup: no trading account is in accounts.csv (none auto-offsets; each is its "
                   "own owner)", f"listed: {sorted(traded_accounts & set(listed))[:5]}")
    net_positions = {k: v[0] for k, v in expected.items()}
    expected_offsets = harness.expected_auto_offsets(net_positions, env.refdata)
    checks.require(expected_offsets == [], "setup: Rule 855 gives no AUTO offset for these "
                   "positions", f"{expected_offsets[:3]}")
    headroom = harness.limit_headroom_problems(net_positions, env.refdata)
    checks.require(not headroom, "setup: every owner's CNH/MNH position is within every limit "
                   "(no finding can arise)", f"{headroom[:5]}")
    expected_reports = harness.expected_large_trader_reports(net_positions, env.refdata)
    print(f"{len(expected_reports)} large-trader report records expected", flush=True)

    with harness.Session(env) as s:
        bootstrap = s.start_broker(partitions=PARTITIONS)
        csv_path = s.path("trades.csv")
        harness.write_trades_csv(csv_path, trades)
        s.load(bootstrap, "trades", csv_path)
        with harness.TopicReader(bootstrap) as reader:
            low, high = reader.watermarks("trades")
        print(f"trades per partition: {[high[p] - low[p] for p in sorted(high)]}", flush=True)
        checks.require(all(w == 0 for w in low.values()) and sum(high.values()) == TRADES,
                       f"setup: all {TRADES} trades are on the broker (no partition lost any)",
                       f"low watermarks {low}, high watermarks {high}")

        state = s.path("state")
        run_args = s.run_date_args(bootstrap, DATE, state,
                                   ["--batch-size", BATCH, "--progress-every", BATCH])
        attempts = []  # (what, Completed, facts)

        # Four kills during ingest.
        for i in range(INGEST_KILLS):
            plan = IngestKillPlan(rng, INGEST_KILLS - i)
            sp = s.start_eodclear(run_args, kill_when=plan)
            done = sp.wait(timeout=120)
            facts = attempt_facts(done.stderr)
            attempts.append((f"ingest kill {i + 1}", done, facts))
            print(f"  attempt {i + 1}: {facts['remaining']} messages to read; killed at "
                  f"{sp.killed_at!r} (progress line {plan.seen}, target {plan.target}); exit "
                  f"{done.returncode} after {done.seconds:.2f} s", flush=True)
            landed = (done.returncode == -9 and sp.killed_at is not None
                      and not facts["ingest_finished"] and not facts["publish_started"])
            if not checks.check(landed, f"attempt {i + 1} was killed by SIGKILL during ingest",
                                done.describe()):
                break

        # One kill during publish.
        sp = s.start_eodclear(run_args, kill_when=PublishKillPlan(rng))
        done = sp.wait(timeout=120)
        facts = attempt_facts(done.stderr)
        attempts.append(("publish kill", done, facts))
        print(f"  attempt {INGEST_KILLS + 1}: killed at {sp.killed_at!r}; exit "
              f"{done.returncode} after {done.seconds:.2f} s", flush=True)
        killed_in_publish = (done.returncode == -9 and sp.killed_at is not None
                             and facts["ingest_finished"]
                             and "publish: committed" not in done.stderr)
        checks.check(killed_in_publish,
                     "the next attempt finished ingest and was killed by SIGKILL during publish",
                     done.describe())
        killed_run_id = facts["run_id"]
        with harness.TopicReader(bootstrap) as reader:
            after_kill = harness.read_published_run(reader, env.pb, DATE)
        print(f"  after the publish kill: {len(after_kill.runs)} eod-runs record(s) for {DATE}; "
              f"{len(after_kill.topics['positions'].records)} positions records of the killed "
              f"attempt (run {killed_run_id}) on the topic", flush=True)

        # The run to completion.
        final = s.run_date(bootstrap, DATE, state, ["--batch-size", BATCH, "--progress-every",
                                                     BATCH])
        attempts.append(("final", final, attempt_facts(final.stderr)))
        checks.equal(final.returncode, 0, "the run after the kills exits 0")
        summary = SUMMARY.search(final.stdout)
        checks.check(summary is not None and summary.group(4) == str(TRADES)
                     and summary.group(5) == "0",
                     f"its summary line reports {TRADES} messages consumed, 0 to dead letters",
                     final.describe())

        # Each restart resumed where the stored offsets were: after an ingest kill there was
        # still something to read (the kill landed mid-ingest) and never more than before.
        for (what, _, prev), (next_what, _, nxt) in zip(attempts, attempts[1:]):
            if what.startswith("ingest kill"):
                checks.check(nxt["remaining"] is not None and 0 < nxt["remaining"]
                             and not nxt["ingest_resumed"],
                             f"after {what}, the next attempt ({next_what}) still had messages "
                             "to ingest", f"remaining {nxt['remaining']}, ingest already "
                             f"completed: {nxt['ingest_resumed']}")
                checks.check(prev["remaining"] is not None
                             and nxt["remaining"] is not None
                             and nxt["remaining"] <= prev["remaining"],
                             f"after {what}, the next attempt resumed from the stored offsets "
                             "(no more to read than before)",
                             f"before {prev['remaining']}, after {nxt['remaining']}")
        if killed_in_publish:
            checks.check(final.stderr.count("run: stage ingest already completed") == 1
                         or "already published" in final.stdout,
                         "the run after the publish kill did not ingest again",
                         final.describe())

        with harness.TopicReader(bootstrap) as reader:
            published = harness.read_published_run(
                reader, env.pb, DATE, extra_topics=harness.output_topics(env.pb))

    # Verification, from what python3-kafka read.
    for topic, contents in published.topics.items():
        checks.equal(contents.lost_by_retention(), {},
                     f"{topic}: nothing was lost to retention (read from offset 0)")
    checks.equal(len(published.runs), 1, f"exactly one eod-runs record for {DATE}")
    run = published.run
    if run is None:
        return
    print(f"published by run {run.run_id}; {published.other_positions} positions records of "
          f"other attempts on the topic (ignored: they carry another run id)", flush=True)
    if summary is not None:
        checks.equal(summary.group(3), run.run_id, "the summary line names the published run")
    checks.equal(run.business_date, DATE, "eod-runs record: business_date")
    checks.equal(env.pb.EodRun.Status.Name(run.status), "SUCCEEDED", "eod-runs record: status")
    checks.equal(run.messages_consumed, TRADES,
                 "eod-runs record: messages_consumed counts each trade once")
    checks.equal(run.messages_rejected, 0, "eod-runs record: messages_rejected")
    harness.check_run_summaries(checks, published)
    harness.check_summary_topics(checks, published,
                                 ["positions", "dead-letters", *harness.output_topics(env.pb)])
    harness.check_position_keys(checks, published)
    checks.equal(len(published.dead_letters), 0, "no dead letters carry the run id")
    actual = harness.positions_by_key(published)
    harness.compare_positions(checks, actual, expected,
                              "positions of the run == positions computed from the CSV "
                              "(net, bought, sold)")
    checks.equal(sorted(flat_keys & set(actual)), [], "zero-net positions are not published")

    got_settlements = collections.defaultdict(list)
    for _, sp in published.extra["settlement-prices"]:
        got_settlements[sp.contract].append((decimal.Decimal(sp.price), sp.tier, sp.window_trades,
                                             sp.window_volume))
    checks.equal(dict(got_settlements), {c: [v] for c, v in settlements.items()},
                 "settlement prices of the run == each window's VWAP computed from the CSV "
                 "(price, tier, window trades, window volume)")
    checks.check(not any(sp.stale for _, sp in published.extra["settlement-prices"]),
                 "no settlement price is stale")
    vm_kinds = collections.Counter(env.pb.VariationMargin.Kind.Name(vm.kind)
                                   for _, vm in published.extra["variation-margin"])
    checks.equal(set(vm_kinds) - {"ACCOUNT", "FIRM_TOTAL"}, set(),
                 "variation-margin holds ACCOUNT and FIRM_TOTAL records only (no rounding "
                 "residual)")
    got_vm = {(vm.firm, vm.account, vm.contract): decimal.Decimal(vm.amount)
              for _, vm in published.extra["variation-margin"]
              if env.pb.VariationMargin.Kind.Name(vm.kind) == "ACCOUNT"}
    checks.equal(vm_kinds["ACCOUNT"], len(got_vm), "one ACCOUNT variation-margin record per "
                 "account and contract")
    vm_differ = {k: (got_vm.get(k), expected_vm.get(k)) for k in set(got_vm) | set(expected_vm)
                 if got_vm.get(k) != expected_vm.get(k)}
    checks.check(not vm_differ, "variation margin per account and contract (zero-net positions "
                 "too) == multiplier x sum of (settlement - price) x signed quantity from the CSV",
                 f"{len(vm_differ)} of {len(expected_vm)} differ, e.g. (actual, expected): "
                 f"{sorted(vm_differ.items())[:3]}")
    want_totals = collections.defaultdict(decimal.Decimal)
    for (firm, _, contract), amount in expected_vm.items():
        want_totals[(firm, terms[contract[:-3]].currency)] += amount
    got_totals = {(vm.firm, vm.currency): decimal.Decimal(vm.amount)
                  for _, vm in published.extra["variation-margin"]
                  if env.pb.VariationMargin.Kind.Name(vm.kind) == "FIRM_TOTAL"}
    checks.equal(got_totals, dict(want_totals), "variation margin FIRM_TOTAL per (firm, currency)")
    checks.equal(len(published.extra["final-settlements"]), 0,
                 "no final-settlements record (no contract expires on the date)")

    # Offsetting and position limits (docstring, point 4).
    checks.equal(len(published.extra["offsets"]), 0,
                 "no offsets record (no trading account is auto_offset; no instruction)")
    checks.equal(len(published.extra["position-limit-findings"]), 0,
                 "no position-limit-findings record (every owner within every limit)")
    got_reports = [(m.owner, m.firm, m.account, m.contract, m.long, m.short)
                   for _, m in published.extra["large-trader-reports"]]
    checks.equal(len(got_reports), len(set(got_reports)),
                 "each large-trader report record appears once")
    report_differ = set(got_reports) ^ expected_reports
    checks.check(not report_differ, "large-trader-reports of the run == every position of each "
                 "owner reaching a reporting level (25 CNH / 250 MNH in one month), computed from "
                 "the CSV (owner, firm, account, contract, long, short)",
                 f"{len(got_reports)} published, {len(expected_reports)} expected; "
                 f"unexpected e.g. {sorted(set(got_reports) - expected_reports)[:3]}; missing e.g. "
                 f"{sorted(expected_reports - set(got_reports))[:3]}")
    checks.check(any(r[3].startswith("CNH") for r in expected_reports),
                 "the scenario has accounts reaching the CNH reporting level (the comparison "
                 "above is not vacuous)")
    harness.check_report_keys(checks, published)


if __name__ == "__main__":
    harness.main(body, __doc__)
