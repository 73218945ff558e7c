#!/usr/bin/python3
"""Broker faults and crash points: a business date's run hit by Kafka errors, a broker outage or a
SIGKILL at a named point, then run again, still publishes the date exactly once, and exactly what a
clean run publishes.

Input (the same in every scenario): 3,000 random valid trades of one business date over six
contracts (40 accounts in 4 firms; a fixed seed), loaded in message sets of 25 (so a consumer with
a small fetch size needs many fetches) onto a development broker with 3 partitions per topic; the
state folder's settlement-overrides.csv gives each contract a DAILY settlement, so every contract
settles whatever trades fall in its window.

Reference: one clean run on its own broker and state folder. What it publishes under its run id,
on positions, dead-letters and every other output topic (settlement-prices, variation-margin,
final-settlements, offsets, position-limit-findings, large-trader-reports), as a multiset of
(topic, key, value with run_id cleared), is what every scenario must end with.

Each scenario uses a fresh broker started with `--control` (faults injected through librdkafka's
mock cluster, README "The development broker") and a fresh state folder:
1. Produce errors: the next Produce requests fail with NOT_LEADER_FOR_PARTITION,
   REQUEST_TIMED_OUT and NOT_ENOUGH_REPLICAS; the run succeeds (the idempotent producer retries
   without duplicates).
2. Retriable transaction-coordinator errors on InitProducerId, AddPartitionsToTxn and EndTxn
   (pushed before the run) and FindCoordinator (pushed when the publish stage starts):
   COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS,
   COORDINATOR_LOAD_IN_PROGRESS; the run succeeds.
3. Transaction errors that end the attempt: (a) AddPartitionsToTxn TOPIC_AUTHORIZATION_FAILED
   (abortable, before any record is delivered), (b) EndTxn PRODUCER_FENCED and (c) EndTxn
   INVALID_PRODUCER_EPOCH (fatal, at the commit, after the eod-runs record was delivered). The run
   exits with the documented code (2 for the authorization failure, which a retry cannot cure:
   the principal's ACLs must change; 4: retry later, or 8: the producer was fenced by another with
   the same transactional id, for the others)
   and says why on stderr; a run without faults then succeeds. The development broker hides no aborted
   transaction, so after (b) and (c) the re-run may find the date published by the failed attempt
   (all of whose records were delivered first): what must hold is checked, not which attempt won.
4. A broker outage during ingest: with every response delayed 20 ms and fetches of 1 KiB, so
   ingest takes a few seconds, `broker-down 1` after five ingest progress lines and `broker-up 1`
   3 s later (clients reconnect every 100..500 ms). The run succeeds, or exits 4 and a re-run
   succeeds.
5. A broker outage during publish: with responses delayed 50 ms from the position_limits stage on,
   `broker-down 1` as soon as `publish: producing` appears, `broker-up 1` 3 s later; same
   acceptance as 4.
6. Crash points (pipeline/crash_point.h): for each of after-stage:ingest, after-stage:settlement,
   after-stage:offsetting, after-stage:position_limits, publish:before-commit and
   publish:after-commit, a run with EODCLEAR_CRASH_AT set dies by SIGKILL there (exit -9); a run
   without it then completes.

After every scenario, checked with python3-kafka (not eodclear's code): exactly one eod-runs record
for the date; the records carrying its run id equal the reference multiset exactly, each once;
its counts and checksums match those records (harness.check_run_summaries) and its
messages_consumed/messages_rejected and per-topic counts equal the reference run's; the final run
exits 0 and its summary line names the run id of that eod-runs record.

Set EODCLEAR_E2E_KEEP=1 to keep the temporary folder (broker logs are broker-<n>.stderr there).
"""

import collections
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DATE = "2023-06-15"
TRADES = 3000
PARTITIONS = 3
SEED = 20230615
CONTRACTS = ["ESU23", "NQU23", "EMDU23", "CNHU23", "MEEU23", "YMU23"]
# DAILY overrides for DATE (canonical contract -> price on its settlement tick).
OVERRIDES = {"ESU23": "4400.25", "NQU23": "15000.50", "MEU23": "2550.30", "CNHU23": "7.1523",
             "MEEU23": "1650.50", "YMU23": "34000"}
# Loaded in small message sets so that a small fetch size means many fetches.
LOAD_PROPERTIES = ["--kafka-property", "batch.num.messages=25"]
RECONNECT = ["--kafka-property", "reconnect.backoff.ms=100",
             "--kafka-property", "reconnect.backoff.max.ms=500"]
SMALL_FETCHES = ["--kafka-property", "max.partition.fetch.bytes=1024"]
RUN_TIMEOUT = 100
OUTAGE_SECONDS = 3.0
CRASH_POINTS = ["after-stage:ingest", "after-stage:settlement", "after-stage:offsetting",
                "after-stage:position_limits", "publish:before-commit", "publish:after-commit"]

SUMMARY = re.compile(r"^eodclear run: (\S+) (already published|published) by run (\S+); "
                     r"(\d+) messages consumed, (\d+) to dead letters$", re.M)
PROGRESS = re.compile(r"^ingest: (\d+)/(\d+) messages")
ATTEMPT_RUN_ID = re.compile(r"^run: stage \w+ of \S+ \(run (\S+)\)$", re.M)
# The stderr line of a failed run, by exit code (pipeline/cli/exit_codes.h, Status::CodeName).
FAILURE_LINE = {2: "eodclear run: invalid argument: ", 4: "eodclear run: unavailable: ",
                7: "eodclear run: internal: ", 3: "eodclear run: data error: ",
                6: "eodclear run: failed precondition: ", 8: "eodclear run: fenced: "}


def attempt_run_id(done: harness.Completed):
    """The run id an attempt worked under (from its `run: stage ... (run ID)` lines), or None."""
    ids = ATTEMPT_RUN_ID.findall(done.stderr)
    return ids[-1] if ids else None


class Fixture:
    """The input every scenario loads, the reference run's result and the shared checks."""

    def __init__(self, env: harness.Env, checks: harness.Checks, s: harness.Session) -> None:
        self.env = env
        self.checks = checks
        self.s = s
        products = harness.load_products(env.refdata)
        rng = random.Random(SEED)
        trades = harness.random_trades(rng, TRADES, DATE, CONTRACTS, products,
                                       harness.accounts(firms=4, per_firm=10), "BF-")
        checks.require(sorted({harness.canonical_contract(c, products) for c in CONTRACTS})
                       == sorted(OVERRIDES), "setup: one override for each contract traded")
        self.csv = s.path("trades.csv")
        harness.write_trades_csv(self.csv, trades)
        self.reference = None  # Counter of (topic, key, value without run id)
        self.reference_run = None  # the reference EodRun
        self.states = 0

    # --- setup -------------------------------------------------------------------------------

    def fresh(self, control: bool = True):
        """A new broker (with --control unless told otherwise) holding the input, and a new state
        folder with the overrides: (broker, bootstrap, state)."""
        broker = self.s.start_broker(partitions=PARTITIONS, control=control)
        bootstrap = broker.bootstrap if control else broker
        loaded = self.s.run_eodclear(["load", "--brokers", bootstrap, "--topic", "trades",
                                      "--file", self.csv, "--refdata", self.env.refdata,
                                      *LOAD_PROPERTIES])
        self.checks.require(loaded.returncode == 0, "setup: eodclear load of the trades exits 0",
                            loaded.describe())
        self.states += 1
        state = self.s.path(f"state-{self.states}")
        os.makedirs(state)
        with open(os.path.join(state, "settlement-overrides.csv"), "w") as f:
            f.write("business_date,contract,kind,price,reason,entered_by\n")
            for contract, price in sorted(OVERRIDES.items()):
                f.write(f"{DATE},{contract},DAILY,{price},first day (fault test),ops-e2e\n")
        return broker, bootstrap, state

    def run(self, bootstrap: str, state: str, extra=(), env=None) -> harness.Completed:
        return self.s.run_date(bootstrap, DATE, state, extra=[*RECONNECT, *extra],
                               timeout=RUN_TIMEOUT, env=env)

    def start(self, bootstrap: str, state: str, extra=()) -> harness.StreamingProcess:
        return self.s.start_eodclear(self.s.run_date_args(bootstrap, DATE, state,
                                                          [*RECONNECT, *extra]))

    # --- reading what was published ----------------------------------------------------------

    def read(self, bootstrap: str) -> harness.PublishedRun:
        with harness.TopicReader(bootstrap) as reader:
            return harness.read_published_run(reader, self.env.pb, DATE,
                                              extra_topics=harness.output_topics(self.env.pb))

    @staticmethod
    def contents(published: harness.PublishedRun) -> collections.Counter:
        """(topic, key, value with run_id cleared) of every record carrying the run id."""
        out = collections.Counter()
        rows = [("positions", published.positions), ("dead-letters", published.dead_letters),
                *published.extra.items()]
        for topic, pairs in rows:
            for record, message in pairs:
                bare = type(message)()
                bare.CopyFrom(message)
                bare.run_id = ""
                out[(topic, record.key, bare.SerializeToString(deterministic=True))] += 1
        return out

    @staticmethod
    def run_counts(run) -> tuple:
        return (run.messages_consumed, run.messages_rejected,
                tuple(sorted((t.topic, t.records) for t in run.topics)))

    def make_reference(self) -> None:
        print("== reference: a clean run on its own broker", flush=True)
        _, bootstrap, state = self.fresh(control=False)
        done = self.run(bootstrap, state)
        self.checks.require(done.returncode == 0, "reference: the clean run exits 0",
                            done.describe())
        published = self.read(bootstrap)
        self.checks.require(len(published.runs) == 1, "reference: one eod-runs record")
        harness.check_run_summaries(self.checks, published)
        self.reference = self.contents(published)
        self.reference_run = published.run
        by_topic = collections.Counter(t for t, _, _ in self.reference.elements())
        print(f"  reference run {published.run.run_id}: {sum(by_topic.values())} records "
              f"{dict(sorted(by_topic.items()))}; {published.run.messages_consumed} messages "
              f"consumed in {done.seconds:.1f} s", flush=True)
        self.checks.require(by_topic["positions"] > 0 and by_topic["variation-margin"] > 0,
                            "reference: positions and variation margin were published")
        self.checks.require(all(c == 1 for c in self.reference.values()),
                            "reference: no record of the run appears twice")

    # --- the checks after every scenario -----------------------------------------------------

    def check_failed_attempt(self, name: str, done: harness.Completed, allowed: tuple) -> None:
        """A run that did not succeed exited with one of the `allowed` documented codes and said
        why on stderr."""
        self.checks.check(done.returncode in allowed,
                          f"{name}: the failed run exits with a documented code {allowed}",
                          done.describe())
        line = FAILURE_LINE.get(done.returncode)
        said = [ln for ln in done.stderr.splitlines() if line and ln.startswith(line)]
        self.checks.check(bool(said), f"{name}: stderr says why ('{line}...')", done.describe())
        if said:
            print(f"  {name}: attempt {attempt_run_id(done)} exit {done.returncode}: "
                  f"{said[-1][:300]}", flush=True)

    def finish(self, name: str, bootstrap: str, state: str, earlier=()) -> None:
        """Runs the date without faults to completion, then checks what is published. `earlier`:
        the attempts before it."""
        done = self.run(bootstrap, state)
        self.checks.check(done.returncode == 0, f"{name}: the final run exits 0", done.describe())
        self.check_published(name, bootstrap, done, earlier)

    def check_published(self, name: str, bootstrap: str, final: harness.Completed,
                        earlier=()) -> None:
        published = self.read(bootstrap)
        other = (published.other_positions + published.other_dead_letters
                 + sum(len(published.topics[t].records) - len(rows)
                       for t, rows in published.extra.items()))
        print(f"  {name}: {len(published.runs)} eod-runs record(s) "
              f"{[r.run_id for r in published.runs]}; {other} records of other attempts on the "
              "topics", flush=True)
        self.checks.equal(len(published.runs), 1, f"{name}: exactly one eod-runs record for {DATE}")
        if published.run is None:
            return
        m = SUMMARY.search(final.stdout)
        self.checks.check(m is not None and m.group(3) == published.run.run_id,
                          f"{name}: the final run's summary names the run of the eod-runs record",
                          f"eod-runs run id {published.run.run_id}\n  {final.describe()}")
        if m is not None:
            ids = {attempt_run_id(a): f"attempt {i + 1}" for i, a in enumerate(earlier)}
            ids[attempt_run_id(final)] = "the final run"
            print(f"  {name}: final run says '{m.group(2)}' by run {m.group(3)} (published by "
                  f"{ids.get(m.group(3), 'an unknown attempt')})", flush=True)
        harness.check_run_summaries(self.checks, published)
        got = self.contents(published)
        missing = self.reference - got
        extra = got - self.reference
        self.checks.check(
            not missing and not extra,
            f"{name}: the records carrying the run id == the clean run's, each once",
            f"{sum(got.values())} records, {sum(self.reference.values())} expected; "
            f"{sum(missing.values())} missing (e.g. {sorted(missing)[:2]}); "
            f"{sum(extra.values())} unexpected or repeated (e.g. {sorted(extra)[:2]})")
        self.checks.equal(self.run_counts(published.run), self.run_counts(self.reference_run),
                          f"{name}: eod-runs messages consumed/rejected and per-topic counts == "
                          "the clean run's")


def drive_outage(fx: Fixture, name: str, broker, sp: harness.StreamingProcess, trigger,
                 before_trigger=None) -> harness.Completed:
    """Reads the run's stderr as it comes: `before_trigger(line)` may send a command first; on the
    first line `trigger(line)` accepts, takes broker 1 down, and brings it up OUTAGE_SECONDS
    later (or when the run ends, if sooner). Returns the finished run."""
    down_at = None
    up = False
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = sp.next_stderr_line(timeout=0.1)
        except TimeoutError:
            line = ""
        if line is None:
            break
        if line and before_trigger is not None:
            before_trigger(line)
        if line and down_at is None and trigger(line):
            broker.command("broker-down 1")
            down_at = time.monotonic()
            print(f"  {name}: broker 1 down after: {line}", flush=True)
        if down_at is not None and not up and time.monotonic() - down_at >= OUTAGE_SECONDS:
            broker.command("broker-up 1")
            up = True
    done = sp.wait(timeout=max(1.0, deadline - time.monotonic()))
    if down_at is not None and not up:
        print(f"  {name}: the run ended {time.monotonic() - down_at:.1f} s into the outage",
              flush=True)
        broker.command("broker-up 1")
    fx.checks.check(down_at is not None, f"{name}: the outage started (the trigger line came)",
                    done.describe())
    print(f"  $ eodclear run (outage) -> exit {done.returncode} in {done.seconds:.1f} s",
          flush=True)
    return done


def accept_outage(fx: Fixture, name: str, done: harness.Completed, bootstrap: str,
                  state: str) -> None:
    """Scenarios 4 and 5: the run rode the outage out (exit 0) or exited 4; either way the date
    ends up published exactly once."""
    if done.returncode == 0:
        print(f"  {name}: the run rode the outage out", flush=True)
        fx.check_published(name, bootstrap, done)
        # And a re-run publishes nothing more.
        fx.finish(name + " (re-run)", bootstrap, state, earlier=[done])
    else:
        fx.check_failed_attempt(name, done, (4,))
        fx.finish(name, bootstrap, state, earlier=[done])


def scenario_produce_errors(fx: Fixture) -> None:
    name = "1 produce errors"
    print(f"== {name}", flush=True)
    broker, bootstrap, state = fx.fresh()
    broker.command("request-errors Produce NOT_LEADER_FOR_PARTITION REQUEST_TIMED_OUT "
                   "NOT_LEADER_FOR_PARTITION NOT_ENOUGH_REPLICAS REQUEST_TIMED_OUT "
                   "NOT_LEADER_FOR_PARTITION")
    done = fx.run(bootstrap, state)
    fx.checks.check(done.returncode == 0, f"{name}: the run succeeds (the producer retries)",
                    done.describe())
    fx.check_published(name, bootstrap, done)


def scenario_coordinator_errors(fx: Fixture) -> None:
    name = "2 retriable coordinator errors"
    print(f"== {name}", flush=True)
    broker, bootstrap, state = fx.fresh()
    broker.command("request-errors InitProducerId COORDINATOR_LOAD_IN_PROGRESS NOT_COORDINATOR "
                   "COORDINATOR_NOT_AVAILABLE")
    broker.command("request-errors AddPartitionsToTxn CONCURRENT_TRANSACTIONS "
                   "COORDINATOR_LOAD_IN_PROGRESS CONCURRENT_TRANSACTIONS")
    broker.command("request-errors EndTxn COORDINATOR_NOT_AVAILABLE")
    sp = fx.start(bootstrap, state)
    pushed = False
    while True:
        try:
            line = sp.next_stderr_line(timeout=RUN_TIMEOUT)
        except TimeoutError:
            break
        if line is None:
            break
        if not pushed and line.startswith("run: stage publish"):
            broker.command("request-errors FindCoordinator COORDINATOR_NOT_AVAILABLE "
                           "COORDINATOR_LOAD_IN_PROGRESS")
            pushed = True
    done = sp.wait(timeout=RUN_TIMEOUT)
    print(f"  $ eodclear run -> exit {done.returncode} in {done.seconds:.1f} s", flush=True)
    fx.checks.check(done.returncode == 0, f"{name}: the run succeeds (librdkafka retries)",
                    done.describe())
    fx.check_published(name, bootstrap, done)


def scenario_transaction_fails(fx: Fixture, label: str, command: str, allowed: tuple,
                               cause: str) -> None:
    """Scenario 3: `command` makes the publish's transaction fail; the run exits with one of the
    `allowed` codes and its stderr names the `cause` (a regular expression)."""
    name = f"3{label} {command.split(' ', 1)[1]}"
    print(f"== {name}", flush=True)
    broker, bootstrap, state = fx.fresh()
    broker.command(command)
    done = fx.run(bootstrap, state)
    fx.checks.check(done.returncode != 0, f"{name}: the run fails", done.describe())
    if done.returncode != 0:
        fx.check_failed_attempt(name, done, allowed)
        fx.checks.check(re.search(cause, done.stderr, re.I) is not None,
                        f"{name}: stderr names the cause (/{cause}/)", done.describe())
    broker.command(f"clear-errors {command.split()[1]}")
    fx.finish(name, bootstrap, state, earlier=[done])


def scenario_outage_during_ingest(fx: Fixture) -> None:
    name = "4 broker down during ingest"
    print(f"== {name}", flush=True)
    broker, bootstrap, state = fx.fresh()
    broker.command("rtt 1 20")
    sp = fx.start(bootstrap, state, ["--batch-size", "10", "--progress-every", "100",
                                     *SMALL_FETCHES])
    progress = []

    def after_five_progress_lines(line: str) -> bool:
        m = PROGRESS.match(line)
        if m and 0 < int(m.group(1)) < int(m.group(2)):
            progress.append(line)
        return len(progress) >= 5

    done = drive_outage(fx, name, broker, sp, after_five_progress_lines)
    broker.command("rtt 1 0")
    later = [ln for ln in done.stderr.splitlines() if PROGRESS.match(ln)]
    fx.checks.check(len(later) > len(progress) or done.returncode != 0,
                    f"{name}: the outage began while ingest was still reading",
                    f"{len(later)} progress lines in all, outage after {len(progress)}")
    accept_outage(fx, name, done, bootstrap, state)


def scenario_outage_during_publish(fx: Fixture) -> None:
    name = "5 broker down during publish"
    print(f"== {name}", flush=True)
    broker, bootstrap, state = fx.fresh()
    sp = fx.start(bootstrap, state)

    def slow_down_before_publish(line: str) -> None:
        if line.startswith("run: stage position_limits"):
            broker.command("rtt 1 50")

    done = drive_outage(fx, name, broker, sp, lambda ln: ln.startswith("publish: producing"),
                        before_trigger=slow_down_before_publish)
    broker.command("rtt 1 0")
    accept_outage(fx, name, done, bootstrap, state)


def scenario_crash_point(fx: Fixture, point: str) -> None:
    name = f"6 crash at {point}"
    print(f"== {name}", flush=True)
    _, bootstrap, state = fx.fresh()
    crashed = fx.run(bootstrap, state, env={"EODCLEAR_CRASH_AT": point})
    fx.checks.check(crashed.returncode == -9, f"{name}: the run dies by SIGKILL there (-9)",
                    crashed.describe())
    fx.finish(name, bootstrap, state, earlier=[crashed])


def body(env: harness.Env, checks: harness.Checks) -> None:
    started = time.monotonic()
    with harness.Session(env) as s:
        fx = Fixture(env, checks, s)
        fx.make_reference()
        scenarios = [
            lambda: scenario_produce_errors(fx),
            lambda: scenario_coordinator_errors(fx),
            lambda: scenario_transaction_fails(
                fx, "a", "request-errors AddPartitionsToTxn TOPIC_AUTHORIZATION_FAILED", (2,),
                "topic authorization failed"),
            lambda: scenario_transaction_fails(
                fx, "b", "request-errors EndTxn PRODUCER_FENCED", (8,), "fenced"),
            lambda: scenario_transaction_fails(
                fx, "c", "request-errors EndTxn INVALID_PRODUCER_EPOCH", (8,), "fenced"),
            lambda: scenario_outage_during_ingest(fx),
            lambda: scenario_outage_during_publish(fx),
            *[lambda p=p: scenario_crash_point(fx, p) for p in CRASH_POINTS],
        ]
        for scenario in scenarios:
            t = time.monotonic()
            scenario()
            print(f"  ({time.monotonic() - t:.1f} s)", flush=True)
    print(f"all scenarios in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    harness.main(body, __doc__)
