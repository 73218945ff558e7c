#!/usr/bin/python3
"""Restart semantics of `eodclear run` across business dates, checked with python3-kafka.

Every contract traded on D is on its first day (no prior settlement) and may have no trade in its
settlement window, so the state folder's settlement-overrides.csv gives each a DAILY override for
D; on D+1 those settlements are the prior, carried (stale) for lack of anything newer.

(a) Re-running a date after it was published publishes nothing new: exit 0, the summary says it
    was already published (by the same run), the output topics' end offsets (positions,
    dead-letters, eod-runs, settlement-prices, variation-margin, final-settlements, offsets,
    position-limit-findings, large-trader-reports) do not move and `eod-runs` still holds one
    record for the date.
(b) A trade dated D+1 loaded with D's trades is held: D's positions are those of D's trades only
    and D settles at the overrides; after D is published, `run --date D+1` applies it, and D+1
    settles every contract with open interest at D's price, carried.
(c) A trade dated D loaded after D was published goes to dead letters with reason
    TRADE_DATE_CLOSED in the D+1 run, which exits 1 and publishes the dead letter (with the
    original message) under its run id; the trade is in no position.
(d) Retention: on a broker with --partitions 1, 70,000 trades overflow the 5 MiB the partition
    keeps, so its low watermark moves above 0 (on a real Kafka, --broker kafka, the topic's
    retention.ms is set to 1 s until retention has deleted them); `run` with a fresh state exits
    3, names trades[0]
    and the lost offsets 0..low-1 on stderr, and publishes nothing (on any output topic).

Both published dates' eod-runs records summarise exactly the output topics but eod-runs (the
settlement topics and offsets, position-limit-findings, large-trader-reports too), each count and
checksum equal to the records carrying the run id. Offsetting and position limits, worked out here
from the fixture's reference data for D and D+1:
- offsets: none. The trading accounts ("F01-A001"..) are not in accounts.csv, so none is
  auto_offset, and the contracts traded hold no pair of offsets.csv (no MES, no MNH); the Rule 855
  offsets computed from the positions (harness.expected_auto_offsets) are empty, checked in setup.
- position-limit-findings: none. Constrained, not assumed: a setup check requires every owner's
  (= account's) CNHU23 position within the smallest CNH level (5,000; CNHU23 is not in its spot
  month in June anyway) and the all-months limit, so no finding can arise.
- large-trader-reports: random, so computed from each date's positions with the reporting rule
  (harness.expected_large_trader_reports): every account long or short at least 25 CNHU23 has
  its CNHU23 position reported; D+1 reports the carried positions again under its own run id.

Set EODCLEAR_E2E_SEED to replay one random data set (the seed is printed).
"""

import decimal
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

D = "2023-06-15"
D1 = "2023-06-16"
DAY_TRADES = 400
# No contract here expires near D. (LIY, the 10-Year Eris contract, is not used: its 2033 maturity
# is outside the fixture calendars' coverage, so its trades are rejected as UNKNOWN_CONTRACT.)
CONTRACTS = ["ESU23", "NQU23", "EMDU23", "CNHU23", "MEEU23", "YMU23"]
# DAILY overrides for D (canonical contract -> price on its settlement tick), in the state folder.
OVERRIDES = {"ESU23": "4400.25", "NQU23": "15000.50", "MEU23": "2550.30", "CNHU23": "7.1523",
             "MEEU23": "1650.50", "YMU23": "34000"}
OUTPUT_TOPICS = ("positions", "dead-letters", "eod-runs", "settlement-prices", "variation-margin",
                 "final-settlements", "offsets", "position-limit-findings", "large-trader-reports")
RETENTION_TRADES = 70_000
SUMMARY = re.compile(r"^eodclear run: (\S+) (already published|published) by run (\S+); "
                     r"(\d+) messages consumed, (\d+) to dead letters$", re.M)


def end_offsets(reader: harness.TopicReader, topics) -> dict:
    return {t: reader.watermarks(t)[1] for t in topics}


def find_trade(contents: harness.TopicContents, pb: harness.Schemas, trade_id: str):
    """The trades record whose Trade has `trade_id`, or None."""
    for r in contents.records:
        if harness.decode(pb.Trade, r).trade_id == trade_id:
            return r
    return None


def check_summary(checks: harness.Checks, done: harness.Completed, date: str, how: str,
                  consumed: int, rejected: int, name: str):
    """Checks the run's stdout summary line; returns its run id (or None)."""
    m = SUMMARY.search(done.stdout)
    checks.check(m is not None and m.group(1) == date and m.group(2) == how
                 and int(m.group(4)) == consumed and int(m.group(5)) == rejected, name,
                 f"expected: 'eodclear run: {date} {how} by run <id>; {consumed} messages "
                 f"consumed, {rejected} to dead letters'\n  {done.describe()}")
    return m.group(3) if m else None


def settlements_of(published: harness.PublishedRun) -> dict:
    """contract -> [(price, tier, stale)] of the run's settlement-prices records."""
    out = {}
    for _, sp in published.extra.get("settlement-prices", []):
        out.setdefault(sp.contract, []).append((decimal.Decimal(sp.price), sp.tier,
                                                sp.stale))
    return out


def check_offsets_and_limits(checks: harness.Checks, env: harness.Env,
                             published: harness.PublishedRun, positions: dict,
                             label: str) -> None:
    """The run's offsets, position-limit-findings and large-trader-reports against those worked
    out from `positions` ((firm, account, contract) -> (net, bought, sold)) and the reference data
    (see the module docstring)."""
    net = {k: v[0] for k, v in positions.items()}
    listed = set(harness.load_accounts(env.refdata)) & {a for _, a, _ in net}
    checks.require(not listed, f"{label} setup: no account with a position is in accounts.csv "
                   "(none auto-offsets; each is its own owner)", f"listed: {sorted(listed)}")
    offsets = harness.expected_auto_offsets(net, env.refdata)
    checks.require(offsets == [], f"{label} setup: Rule 855 gives no AUTO offset for these "
                   "positions", f"{offsets[:3]}")
    headroom = harness.limit_headroom_problems(net, env.refdata)
    checks.require(not headroom, f"{label} setup: every owner's CNH position is within every "
                   "limit (no finding can arise)", f"{headroom[:5]}")
    checks.equal(len(published.extra.get("offsets", [])), 0,
                 f"{label} no offsets record (no auto_offset account, no pair held)")
    checks.equal(len(published.extra.get("position-limit-findings", [])), 0,
                 f"{label} no position-limit-findings record (every owner within every limit)")
    got = [(m.owner, m.firm, m.account, m.contract, m.long, m.short)
           for _, m in published.extra.get("large-trader-reports", [])]
    want = harness.expected_large_trader_reports(net, env.refdata)
    print(f"  {label} {len(want)} large-trader report records expected", flush=True)
    checks.equal(len(got), len(set(got)), f"{label} each large-trader report record appears once")
    checks.equal(sorted(got), sorted(want),
                 f"{label} large-trader-reports == every CNHU23 position of each account at or "
                 "over 25 contracts long or short, computed from the trades (owner, firm, "
                 "account, contract, long, short)")
    harness.check_report_keys(checks, published)


def write_overrides(state: str) -> None:
    """The state folder's settlement-overrides.csv: OVERRIDES as DAILY overrides for D."""
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "settlement-overrides.csv"), "w") as f:
        f.write("business_date,contract,kind,price,reason,entered_by\n")
        for contract, price in sorted(OVERRIDES.items()):
            f.write(f"{D},{contract},DAILY,{price},first day without a window trade (e2e),"
                    "ops-e2e\n")


def dates_and_dead_letters(env: harness.Env, checks: harness.Checks, s: harness.Session,
                           rng: random.Random, products: dict) -> None:
    """(a), (b) and (c) on one broker and one state folder."""
    parties = harness.accounts(firms=4, per_firm=10)
    day = harness.random_trades(rng, DAY_TRADES, D, CONTRACTS, products, parties, "RS-D-")
    # (b): one trade of D+1 among D's, between two accounts that also trade on D; at 10:00 CT, out
    # of ESU23's settlement window, so D+1 has no window trade. Its quantity (7, or the next that
    # does it) leaves neither account flat on D+1, where a zero-net position is not published.
    d_net = {k: v[0] for k, v in harness.expected_positions(day, D, products).items()}
    buyer, seller = (parties[0][0], parties[0][1], "ESU23"), (parties[1][0], parties[1][1], "ESU23")
    quantity = next(q for q in range(7, 100)
                    if d_net.get(buyer, 0) + q != 0 and d_net.get(seller, 0) - q != 0)
    held = harness.TradeRow("RS-D1-HELD", D1, f"{D1}T10:00:00-05:00", "ESU23", "4401.25",
                            quantity, parties[0][0], parties[0][1], parties[1][0], parties[1][1])
    first_load = day[: DAY_TRADES // 2] + [held] + day[DAY_TRADES // 2:]
    # (c): a trade of D that arrives after D was published.
    late = harness.TradeRow("RS-D-LATE", D, harness.exec_time(rng, D), "NQU23", "15000.50", 3,
                            parties[2][0], parties[2][1], parties[3][0], parties[3][1])

    bootstrap = s.start_broker(partitions=3)
    state = s.path("state")
    checks.require(sorted({harness.canonical_contract(c, products) for c in CONTRACTS})
                   == sorted(OVERRIDES), "setup: one override for each contract traded")
    write_overrides(state)
    harness.write_trades_csv(s.path("day.csv"), first_load)
    s.load(bootstrap, "trades", s.path("day.csv"))

    # --- D: the held trade is not in D's positions.
    run_d = s.run_date(bootstrap, D, state)
    checks.equal(run_d.returncode, 0, f"(b) run --date {D} exits 0")
    d_run_id = check_summary(checks, run_d, D, "published", DAY_TRADES + 1, 0,
                             f"(b) run --date {D} publishes, {DAY_TRADES + 1} messages consumed "
                             "(the D+1 trade too), 0 to dead letters")
    with harness.TopicReader(bootstrap) as reader:
        pub_d = harness.read_published_run(reader, env.pb, D,
                                           extra_topics=harness.output_topics(env.pb))
        offsets_after_d = end_offsets(reader, OUTPUT_TOPICS)
    checks.equal(len(pub_d.runs), 1, f"(b) one eod-runs record for {D}")
    if pub_d.run is not None:
        checks.equal(pub_d.run.run_id, d_run_id, f"(b) the {D} record is the run's")
        checks.equal(pub_d.run.messages_rejected, 0, f"(b) {D}: messages_rejected")
    harness.check_run_summaries(checks, pub_d)
    harness.check_summary_topics(checks, pub_d, set(OUTPUT_TOPICS) - {"eod-runs"})
    harness.check_position_keys(checks, pub_d)
    checks.equal(settlements_of(pub_d),
                 {c: [(decimal.Decimal(p), "override", False)]
                  for c, p in OVERRIDES.items()},
                 f"(b) {D} settles each contract at its override (price, tier, stale)")
    harness.compare_positions(checks, harness.positions_by_key(pub_d),
                              harness.expected_positions(day, D, products),
                              f"(b) positions of {D} == those of D's trades alone (the D+1 trade "
                              "is held)")
    check_offsets_and_limits(checks, env, pub_d, harness.expected_positions(day, D, products),
                             f"{D}:")

    # --- (a): re-running D publishes nothing new.
    again = s.run_date(bootstrap, D, state)
    checks.equal(again.returncode, 0, f"(a) re-running {D} exits 0")
    check_summary(checks, again, D, "already published", DAY_TRADES + 1, 0,
                  f"(a) re-running {D} says it was already published")
    checks.check(SUMMARY.search(again.stdout) is not None
                 and SUMMARY.search(again.stdout).group(3) == d_run_id,
                 f"(a) ... by the first run ({d_run_id})", again.describe())
    with harness.TopicReader(bootstrap) as reader:
        checks.equal(end_offsets(reader, OUTPUT_TOPICS),
                     offsets_after_d, "(a) the re-run produced no record (end offsets of "
                     f"{', '.join(OUTPUT_TOPICS)} unchanged)")
        pub_again = harness.read_published_run(reader, env.pb, D)
    checks.equal([r.run_id for r in pub_again.runs], [d_run_id],
                 f"(a) eod-runs still has exactly one record for {D}")

    # --- (c) load a trade of D after D was published; (b) and (c) in the D+1 run.
    harness.write_trades_csv(s.path("late.csv"), [late])
    s.load(bootstrap, "trades", s.path("late.csv"))
    run_d1 = s.run_date(bootstrap, D1, state)
    checks.equal(run_d1.returncode, 1,
                 f"(c) run --date {D1} exits 1 (completed with dead letters)")
    d1_run_id = check_summary(checks, run_d1, D1, "published", 1, 1,
                              f"(c) run --date {D1}: 1 message consumed (the late trade), 1 to "
                              "dead letters")
    with harness.TopicReader(bootstrap) as reader:
        pub_d1 = harness.read_published_run(reader, env.pb, D1,
                                            extra_topics=harness.output_topics(env.pb))
        trades = reader.read("trades")
    checks.equal(len(pub_d1.runs), 1, f"one eod-runs record for {D1}")
    run = pub_d1.run
    if run is not None:
        checks.equal(run.run_id, d1_run_id, f"the {D1} record is the run's")
        checks.equal(env.pb.EodRun.Status.Name(run.status), "SUCCEEDED_WITH_DATA_ERRORS",
                     f"(c) {D1} eod-runs status")
        checks.equal((run.messages_consumed, run.messages_rejected), (1, 1),
                     f"(c) {D1} eod-runs (messages_consumed, messages_rejected)")
    harness.check_run_summaries(checks, pub_d1)
    harness.check_summary_topics(checks, pub_d1, set(OUTPUT_TOPICS) - {"eod-runs"})
    harness.check_position_keys(checks, pub_d1)
    expected_d1 = harness.expected_positions(day + [held], D1, products)
    checks.equal(settlements_of(pub_d1),
                 {c: [(decimal.Decimal(OVERRIDES[c]), "carried", True)]
                  for c in {k[2] for k in expected_d1}},
                 f"(b) {D1} carries {D}'s settlement of each contract with open interest "
                 "(price, tier, stale)")
    harness.compare_positions(checks, harness.positions_by_key(pub_d1), expected_d1,
                              f"(b) positions of {D1} == D's carried over plus the held D+1 "
                              "trade (bought/sold only from it); the late trade in none")
    check_offsets_and_limits(checks, env, pub_d1, expected_d1, f"{D1}:")
    held_keys = {(held.buyer_firm, held.buyer_account, "ESU23"),
                 (held.seller_firm, held.seller_account, "ESU23")}
    with_activity = {k for k, (_, b, s_) in harness.positions_by_key(pub_d1).items() if b or s_}
    checks.check(held_keys <= with_activity,
                 f"(b) the held trade shows as {D1} activity of both its accounts",
                 f"positions with {D1} activity: {sorted(with_activity)}")

    late_record = find_trade(trades, env.pb, late.trade_id)
    checks.require(late_record is not None, "setup: the late trade is on the trades topic")
    letters = pub_d1.dead_letters
    checks.equal(len(letters), 1, f"(c) one dead letter carries the {D1} run id")
    if letters:
        rec, dl = letters[0]
        checks.equal(env.pb.DeadLetter.Reason.Name(dl.reason), "TRADE_DATE_CLOSED",
                     "(c) dead letter reason")
        checks.equal((dl.business_date, dl.source_topic, dl.partition, dl.offset),
                     (D1, "trades", late_record.partition, late_record.offset),
                     "(c) dead letter names the date and the late trade's topic, partition, "
                     "offset")
        checks.check(dl.original_value == late_record.value
                     and dl.original_key == late_record.key,
                     "(c) dead letter carries the original key and value byte for byte")
        checks.equal(rec.key, f"trades|{late_record.partition}|{late_record.offset}".encode(),
                     "(c) dead letter keyed source_topic|partition|offset")

    # --- (a) again: D stays published once even after D+1 closed.
    later = s.run_date(bootstrap, D, state)
    checks.equal(later.returncode, 0, f"(a) re-running {D} after {D1} closed exits 0")
    check_summary(checks, later, D, "already published", DAY_TRADES + 1, 0,
                  f"(a) ... and says {D} was already published")
    with harness.TopicReader(bootstrap) as reader:
        checks.equal([r.run_id for r in harness.read_published_run(reader, env.pb, D).runs],
                     [d_run_id], f"(a) eod-runs still has exactly one record for {D}")


def retention(env: harness.Env, checks: harness.Checks, s: harness.Session,
              rng: random.Random, products: dict) -> None:
    """(d) messages lost to retention stop the run."""
    bootstrap = s.start_broker(partitions=1)
    trades = harness.random_trades(rng, RETENTION_TRADES, D, CONTRACTS, products,
                                   harness.accounts(firms=10, per_firm=20), "RS-RET-")
    harness.write_trades_csv(s.path("retention.csv"), trades)
    s.load(bootstrap, "trades", s.path("retention.csv"))
    if env.broker == "kafka":
        # A real Kafka keeps what it is given until retention deletes it: make it delete.
        import real_kafka  # next to this file
        real_kafka.expire_by_retention(bootstrap, "trades")
    with harness.TopicReader(bootstrap) as reader:
        low, high = reader.watermarks("trades")
    print(f"  trades[0]: low watermark {low.get(0)}, high watermark {high.get(0)}", flush=True)
    checks.require(high.get(0) == RETENTION_TRADES and low.get(0, 0) > 0,
                   f"(d) setup: {RETENTION_TRADES} trades moved the low watermark of trades[0] "
                   "above 0", f"low {low}, high {high}")

    done = s.run_date(bootstrap, D, s.path("fresh-state"))
    checks.equal(done.returncode, 3, "(d) run with a fresh state exits 3 (data error)")
    lost = f"0..{low[0] - 1}"
    checks.check(re.search(r"trades\[0\].*\b" + re.escape(lost) + r"\b", done.stderr)
                 is not None,
                 f"(d) stderr names trades[0] and the lost offsets {lost}", done.describe())
    with harness.TopicReader(bootstrap) as reader:
        outputs = {t: reader.watermarks(t)[1] for t in OUTPUT_TOPICS}
    checks.equal(outputs, {t: {0: 0} for t in outputs},
                 f"(d) nothing was published ({', '.join(OUTPUT_TOPICS)} empty)")


def body(env: harness.Env, checks: harness.Checks) -> None:
    seed = int(os.environ.get("EODCLEAR_E2E_SEED", str(time.time_ns() % 1_000_000_007)))
    print(f"seed {seed} (EODCLEAR_E2E_SEED={seed} replays it)", flush=True)
    rng = random.Random(seed)
    products = harness.load_products(env.refdata)
    with harness.Session(env) as s:
        print("== (a) (b) (c): two business dates on one state", flush=True)
        dates_and_dead_letters(env, checks, s, rng, products)
        print("== (d): retention", flush=True)
        retention(env, checks, s, rng, products)


if __name__ == "__main__":
    harness.main(body, __doc__)
