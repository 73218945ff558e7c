#!/usr/bin/python3
"""Broker failover on a real three-node Apache Kafka: a partition leader and the transaction
coordinator killed during ingest and during publish.

A three-node KRaft cluster (combined broker+controller nodes, so the controller quorum survives
one loss), eodclear's topics created with replication factor 3 and min.insync.replicas 2 by
`eodclear topics`, the internal topics replicated 3 times with min ISR 2 (real_kafka.py,
kafka_local.py). Four business dates, 2023-06-12 to 2023-06-15, each of 40,000 random valid trades
(one in each contract's settlement window) loaded just before its run, closed in order on one
state folder with --batch-size 500:

  2023-06-12  SIGKILL the leader of trades[0] once ingest has applied a tenth of the date
  2023-06-13  SIGKILL the leader of positions[0] when publish starts producing
  2023-06-14  SIGKILL the transaction coordinator (leader of __transaction_state[0]) during ingest
  2023-06-15  SIGKILL the transaction coordinator when publish starts producing

Each run either completes (exit 0) or exits 4 (retryable), and then the next run, with the node
still down, completes. The killed node is restarted before the next date. Then the same four dates
are run cleanly, on a fresh single-node Kafka and a fresh state folder. For every date, what a
read_committed consumer (kcat) sees equals the clean run's: one eod-runs record, the same
messages_consumed, messages_rejected, status and per-topic record counts; and on every output
topic the same keys with the same values once the run id is cleared.

Set EODCLEAR_E2E_SEED to replay one random scenario (the seed is printed).
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import real_kafka  # noqa: E402

DATES = ["2023-06-12", "2023-06-13", "2023-06-14", "2023-06-15"]
TRADES_PER_DATE = 40_000
PARTITIONS = 3
BATCH = 500
CONTRACTS = ["MESU23", "RTYU23", "ESZ23", "CNHZ23", "MNHZ23", "YMU23", "MEEU23", "ESU23",
             "RTYZ23", "MESZ23", "NQU23", "CNHM23", "MNHU23"]
PROGRESS = re.compile(r"^ingest: (\d+)/(\d+) messages")
# date -> (what is killed, when): "leader" of `topic`[0] or the transaction "coordinator";
# "ingest" (a tenth of the date applied) or "publish" (`publish: producing`).
PLAN = {"2023-06-12": ("leader", "trades", "ingest"),
        "2023-06-13": ("leader", "positions", "publish"),
        "2023-06-14": ("coordinator", "__transaction_state", "ingest"),
        "2023-06-15": ("coordinator", "__transaction_state", "publish")}
# Faster failure detection than Kafka's defaults (9 s session, 2 s heartbeat): the tests wait
# for a dead broker to be fenced and its partitions led elsewhere. Nothing else changes.
CLUSTER_PROPERTIES = {"broker.session.timeout.ms": 4000, "broker.heartbeat.interval.ms": 1000}


def leader_of(bootstrap: str, topic: str, partition: int = 0) -> int:
    """The node id leading topic[partition], from kcat's metadata (-L -J)."""
    p = subprocess.run(["kcat", "-b", bootstrap, "-L", "-J", "-t", topic], capture_output=True,
                       text=True, timeout=60)
    meta = json.loads(p.stdout)
    for t in meta["topics"]:
        for part in t["partitions"]:
            if part["partition"] == partition:
                return int(part["leader"])
    raise RuntimeError(f"no leader of {topic}[{partition}] in {p.stdout[:500]}")


class KillNode:
    """Called on each stderr line of a run: kills the chosen node once, at the planned moment."""

    def __init__(self, cluster, bootstrap: str, target: tuple) -> None:
        self.cluster, self.bootstrap = cluster, bootstrap
        self.kind, self.topic, self.when = target
        self.killed = None
        self.line = None

    def __call__(self, line: str):
        if self.killed is not None:
            return None
        due = False
        if self.when == "ingest" and (m := PROGRESS.match(line)):
            done, total = int(m.group(1)), int(m.group(2))
            due = total > 0 and done * 10 >= total and done < total
        elif self.when == "publish":
            due = line.startswith("publish: producing")
        if due:
            node = leader_of(self.bootstrap, self.topic)
            self.cluster.node(node).kill()
            self.killed, self.line = node, line
        return None


def committed_records(bootstrap: str, pb: harness.Schemas, date: str) -> tuple:
    """(the date's EodRuns, {topic: {key: [value bytes with run_id cleared]}}) read committed."""
    runs, topics = real_kafka.committed_date(bootstrap, pb, date)
    out = {}
    for topic, rows in topics.items():
        by_key = {}
        for k, _, m in rows:
            m.run_id = ""
            by_key.setdefault(k, []).append(m.SerializeToString(deterministic=True))
        out[topic] = by_key
    return runs, out


def run_summary(run) -> tuple:
    return (run.messages_consumed, run.messages_rejected, run.status,
            sorted((t.topic, t.records) for t in run.topics))


def body(env: harness.Env, checks: harness.Checks) -> None:
    rng = harness.seeded_random()
    products = harness.load_products(env.refdata)
    terms = harness.load_terms(env.refdata)
    parties = harness.accounts(10, 50)
    trades = {}
    for i, date in enumerate(DATES):
        window = harness.window_trades(rng, date, CONTRACTS, products, terms, parties,
                                       f"FO{i}-WIN-")
        trades[date] = harness.random_trades(rng, TRADES_PER_DATE - len(window), date, CONTRACTS,
                                             products, parties, f"FO{i}-") + window

    with harness.Session(env) as s:
        cluster = s.start_kafka(partitions=PARTITIONS, nodes=3, properties=CLUSTER_PROPERTIES)
        bootstrap = cluster.bootstrap
        state = s.path("state")
        for date in DATES:
            csv_path = s.path(f"trades-{date}.csv")
            harness.write_trades_csv(csv_path, trades[date])
            s.load(bootstrap, "trades", csv_path)
            args = s.run_date_args(bootstrap, date, state,
                                   ["--batch-size", BATCH, "--progress-every", BATCH])
            plan = KillNode(cluster, bootstrap, PLAN[date])
            sp = s.start_eodclear(args, kill_when=plan)
            first = sp.wait(timeout=300)
            what = f"{date}: {plan.kind} of {plan.topic}[0] killed during {plan.when}"
            print(f"  {what}: node {plan.killed} at {plan.line!r}; run exit {first.returncode} "
                  f"in {first.seconds:.1f} s", flush=True)
            checks.check(plan.killed is not None, f"{what}: the kill happened",
                         first.describe())
            checks.check(first.returncode in (0, 4), f"{what}: the run completes or exits 4",
                         first.describe())
            if first.returncode == 4:
                again = s.run_date(bootstrap, date, state, timeout=300)
                checks.equal(again.returncode, 0, f"{what}: the next run (node still down) "
                             "completes")
            if plan.killed is not None:
                took = cluster.restart(plan.killed)
                print(f"  node {plan.killed} restarted in {took:.1f} s", flush=True)
        failed = {d: committed_records(bootstrap, env.pb, d) for d in DATES}

    with harness.Session(env) as s:
        clean_kafka = s.start_kafka(partitions=PARTITIONS)
        state = s.path("state")
        for date in DATES:
            csv_path = s.path(f"trades-{date}.csv")
            harness.write_trades_csv(csv_path, trades[date])
            s.load(clean_kafka.bootstrap, "trades", csv_path)
            r = s.run_date(clean_kafka.bootstrap, date, state, ["--batch-size", BATCH],
                           timeout=300)
            checks.require(r.returncode == 0, f"clean run of {date} exits 0", r.describe())
        clean = {d: committed_records(clean_kafka.bootstrap, env.pb, d) for d in DATES}

    for date in DATES:
        runs, topics = failed[date]
        clean_runs, clean_topics = clean[date]
        checks.equal(len(runs), 1, f"{date}: one committed eod-runs record after the failover")
        checks.equal(len(clean_runs), 1, f"{date}: one eod-runs record in the clean run")
        if runs and clean_runs:
            checks.equal(run_summary(runs[-1]), run_summary(clean_runs[-1]),
                         f"{date}: eod-runs counts and status == the clean run's")
        for topic, rows in topics.items():
            want = clean_topics[topic]
            checks.check(rows == want, f"{date}: committed {topic} == the clean run's (run id "
                         "aside)", f"{len(rows)} keys vs {len(want)}; differing keys e.g. "
                         f"{sorted(k for k in set(rows) | set(want) if rows.get(k) != want.get(k))[:3]}")
        checks.check(sum(len(v) for v in topics.values()) > 0,
                     f"{date}: the comparison is not vacuous (records were published)")


if __name__ == "__main__":
    harness.main(body, __doc__)
