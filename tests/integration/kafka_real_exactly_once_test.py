#!/usr/bin/python3
"""Exactly once on a real Apache Kafka: publish killed at random moments, and a zombie publisher.

What only a real broker can judge (the development broker neither hides aborted transactions from
read_committed consumers nor fences a second producer with the same transactional.id). Every check
of what was published reads with kcat -X isolation.level=read_committed (real_kafka.read_committed),
a consumer that is not eodclear's code.

1. Publish killed. 20,000 random valid trades of 2023-06-16 (13 contracts that do not expire that
   day, 500 accounts in 10 firms, one trade in each contract's settlement window) on a single-node KRaft Kafka, 3 partitions per topic. Attempt 1
   dies by SIGKILL at the crash point publish:before-commit (every record and the run marker
   delivered inside the transaction, no commit): a read_committed consumer then sees no eod-runs
   record and no output record of the date, while an uncommitted read (python3-kafka 2.0.2) does
   see the attempt's records and its run marker — so the isolation the checks rely on is real.
   Then four attempts are killed by SIGKILL a random 0..1.2 x (attempt 1's publish time) after
   `publish: producing`; after each, the committed view holds at most one run marker of the date,
   and every committed output record of the date carries that marker's run id. A last run
   completes (exit 0). Then, read committed: exactly one eod-runs record of the date; every output
   record of the date carries its run id, none carries the run id of an attempt that did not
   commit, and no key appears twice; per topic the record count and checksum equal the eod-runs
   record's; the positions equal the positions computed here from the CSV; messages_consumed is
   20,000.
2. Zombie publisher. On a fresh single-node Kafka, the same trades; two `eodclear run` of the date
   with the same (default) transactional.id and their own state folders (a primary and a standby
   host): A stops itself (SIGSTOP) at publish:before-commit, its transaction open; B runs to the
   end and exits 0 (its InitTransactions fences A and aborts A's transaction); A is continued
   (SIGCONT) and exits 8, naming the fencing. Read committed: one eod-runs record of the date,
   B's; every output record of the date carries B's run id; counts and checksums match. A run
   again on A's state folder says the date is already published, exits 0, and publishes nothing.

Set EODCLEAR_E2E_SEED to replay one random scenario (the seed is printed).
"""

import os
import random
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import real_kafka  # noqa: E402

DATE = "2023-06-16"
TRADES = 20_000
PARTITIONS = 3
RANDOM_KILLS = 4
# None expires on DATE (the June equity index contracts do), every MES month has its ES parent.
CONTRACTS = ["MESU23", "RTYU23", "ESZ23", "CNHZ23", "MNHZ23", "YMU23", "MEEU23", "ESU23",
             "RTYZ23", "MESZ23", "NQU23", "CNHM23", "MNHU23"]
STAGE_START = re.compile(r"^run: stage (\w+) of (\S+) \(run (\S+)\)", re.M)
FENCED_EXIT = 8  # README, "Exit codes"


def run_id_of(stderr: str):
    m = STAGE_START.findall(stderr)
    return m[-1][2] if m else None


def check_committed(checks: harness.Checks, bootstrap: str, pb: harness.Schemas, what: str,
                    not_committed: set, want_runs: int = None):
    """Checks the read_committed view of DATE: at most one run marker (exactly `want_runs` if
    given); every output record of the date carries the marker's run id (none when there is no
    marker), never one of `not_committed`; no key twice; counts and checksums as the marker
    says. Returns (the marker or None, topics)."""
    runs, topics = real_kafka.committed_date(bootstrap, pb, DATE)
    if want_runs is None:
        checks.check(len(runs) <= 1, f"{what}: at most one committed eod-runs record of {DATE}",
                     f"{len(runs)}: {[r.run_id for r in runs]}")
    else:
        checks.equal(len(runs), want_runs, f"{what}: committed eod-runs records of {DATE}")
    run = runs[-1] if runs else None
    run_id = run.run_id if run else None
    for topic, rows in topics.items():
        ids = {m.run_id for _, _, m in rows}
        checks.check(ids <= ({run_id} if run_id else set()),
                     f"{what}: every committed {topic} record of {DATE} carries the committed "
                     f"run id ({run_id})", f"run ids seen: {sorted(ids)}")
        checks.check(not ids & not_committed,
                     f"{what}: no committed {topic} record carries the run id of an attempt "
                     "that did not commit", f"{sorted(ids & not_committed)}")
        keys = [k for k, _, _ in rows]
        checks.equal(len(keys), len(set(keys)), f"{what}: no {topic} key appears twice")
    if run is not None:
        summaries = {t.topic: t for t in run.topics}
        for topic, rows in topics.items():
            s = summaries.get(topic)
            if not checks.check(s is not None, f"{what}: eod-runs summarises {topic}"):
                continue
            checks.equal(len(rows), s.records, f"{what}: committed {topic} records == eod-runs "
                         "count")
            checks.equal(harness.record_checksum(v for _, v, _ in rows), s.checksum,
                         f"{what}: committed {topic} checksum == eod-runs checksum")
    return run, topics


class KillAfterProducing:
    """Kills a run `delay` s after its `publish: producing` line; remembers when that came."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.at = None

    def __call__(self, line: str):
        if line.startswith("publish: producing"):
            self.at = time.monotonic()
            return self.delay if self.delay > 0 else True
        return None


def kafka_with_trades(s: harness.Session, trades: list) -> str:
    """A fresh single-node Kafka with `trades` loaded; its bootstrap servers."""
    bootstrap = s.start_kafka(partitions=PARTITIONS).bootstrap
    csv_path = s.path("trades.csv")
    harness.write_trades_csv(csv_path, trades)
    s.load(bootstrap, "trades", csv_path)
    return bootstrap


def committed_positions(topics: dict) -> dict:
    """(firm, account, contract) -> (net, bought, sold) of the committed positions records."""
    return {(m.firm, m.account, m.contract): (m.quantity, m.bought, m.sold)
            for _, _, m in topics["positions"]}


def publish_killed(env: harness.Env, checks: harness.Checks, rng: random.Random, trades: list,
                   expected: dict) -> None:
    with harness.Session(env) as s:
        bootstrap = kafka_with_trades(s, trades)
        state = s.path("state")
        args = s.run_date_args(bootstrap, DATE, state)
        attempts = []  # run ids of attempts that were killed

        # Attempt 1: killed with everything delivered, nothing committed.
        probe = KillAfterProducing(delay=3600)  # only to time the publish
        sp = s.start_eodclear(args, kill_when=probe,
                              env={"EODCLEAR_CRASH_AT": "publish:before-commit"})
        done = sp.wait(timeout=180)
        publish_seconds = time.monotonic() - probe.at if probe.at else 1.0
        first_id = run_id_of(done.stderr)
        attempts.append(first_id)
        checks.require(done.returncode == -signal.SIGKILL and first_id is not None,
                       "attempt 1 died at publish:before-commit", done.describe())
        print(f"  attempt 1 (run {first_id}): publish took about {publish_seconds:.2f} s to the "
              "crash point", flush=True)
        run, topics = check_committed(checks, bootstrap, env.pb, "after attempt 1", {first_id},
                                      want_runs=0)
        with harness.TopicReader(bootstrap) as reader:
            uncommitted = harness.read_published_run(reader, env.pb, DATE)
        checks.check(any(r.run_id == first_id for r in uncommitted.runs)
                     and uncommitted.positions,
                     "an uncommitted read sees attempt 1's run marker and positions (so the "
                     "read_committed view above hid an aborted transaction)",
                     f"run markers {[r.run_id for r in uncommitted.runs]}, "
                     f"{len(uncommitted.positions)} positions")

        # Random kills during publish.
        for i in range(RANDOM_KILLS):
            delay = round(rng.uniform(0.0, 1.2 * publish_seconds), 3)
            plan = KillAfterProducing(delay)
            sp = s.start_eodclear(args, kill_when=plan)
            done = sp.wait(timeout=180)
            rid = run_id_of(done.stderr)
            print(f"  attempt {i + 2} (run {rid}): kill {delay:.3f} s after `publish: producing`"
                  f" -> exit {done.returncode}; {sp.killed_at!r}", flush=True)
            if "publish: committed" not in done.stderr and done.returncode == -signal.SIGKILL:
                attempts.append(rid)
            checks.check(done.returncode in (-signal.SIGKILL, 0, 1),
                         f"attempt {i + 2} was killed or completed", done.describe())
            run, _ = check_committed(checks, bootstrap, env.pb, f"after attempt {i + 2}",
                                     set(attempts))

        final = s.run_date(bootstrap, DATE, state, timeout=180)
        checks.equal(final.returncode, 0, "the run after the kills exits 0")
        run, topics = check_committed(checks, bootstrap, env.pb, "after the last run",
                                      set(a for a in attempts if a), want_runs=1)
        if run is None:
            return
        checks.check(run.run_id not in attempts, "the committed run is not a killed attempt",
                     f"{run.run_id} in {attempts}")
        checks.equal(run.messages_consumed, TRADES, "eod-runs: messages_consumed")
        harness.compare_positions(checks, committed_positions(topics), expected,
                                  "committed positions == positions "
                                  "computed from the CSV (net, bought, sold)")


def zombie(env: harness.Env, checks: harness.Checks, trades: list, expected: dict) -> None:
    with harness.Session(env) as s:
        bootstrap = kafka_with_trades(s, trades)
        a = s.start_eodclear(s.run_date_args(bootstrap, DATE, s.path("state-a")),
                             env={"EODCLEAR_STOP_AT": "publish:before-commit"})
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and a.proc.poll() is None:
            with open(f"/proc/{a.pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "T":
                    break
            time.sleep(0.1)
        checks.require(a.proc.poll() is None, "run A stopped itself at publish:before-commit",
                       "\n".join(a.stderr_lines[-10:]))
        a_id = run_id_of("\n".join(a.stderr_lines))
        b = s.run_date(bootstrap, DATE, s.path("state-b"), timeout=180)
        b_id = run_id_of(b.stderr)
        checks.equal(b.returncode, 0, "run B, started while A's transaction is open, exits 0")
        os.kill(a.pid, signal.SIGCONT)
        done_a = a.wait(timeout=180)
        checks.equal(done_a.returncode, FENCED_EXIT, "run A, continued, exits 8 (fenced)")
        checks.check("fenced" in done_a.stderr, "run A says it was fenced", done_a.describe())
        run, topics = check_committed(checks, bootstrap, env.pb, "after the zombie", {a_id},
                                      want_runs=1)
        checks.check(run is not None and run.run_id == b_id and a_id != b_id,
                     "the committed run marker is B's", f"A {a_id}, B {b_id}, marker "
                     f"{run.run_id if run else None}")
        harness.compare_positions(checks, committed_positions(topics), expected,
                                  "zombie: committed positions == "
                                  "positions computed from the CSV")
        again = s.run_date(bootstrap, DATE, s.path("state-a"), timeout=180)
        checks.equal(again.returncode, 0, "run A again exits 0")
        checks.check("already published" in again.stdout + again.stderr,
                     "run A again says the date is already published", again.describe())
        check_committed(checks, bootstrap, env.pb, "after A ran again", {a_id}, want_runs=1)


def body(env: harness.Env, checks: harness.Checks) -> None:
    rng = harness.seeded_random()
    products = harness.load_products(env.refdata)
    parties = harness.accounts(10, 50)
    in_window = harness.window_trades(rng, DATE, CONTRACTS, products,
                                      harness.load_terms(env.refdata), parties, "EO-WIN-")
    trades = harness.random_trades(rng, TRADES - len(in_window), DATE, CONTRACTS, products,
                                   parties, "EO") + in_window
    expected = harness.expected_positions(trades, DATE, products)
    publish_killed(env, checks, rng, trades, expected)
    zombie(env, checks, trades, expected)


if __name__ == "__main__":
    harness.main(body, __doc__)
