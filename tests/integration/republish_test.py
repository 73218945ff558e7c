#!/usr/bin/python3
"""Correcting a published business date: `eodclear run --date D --republish`, checked with
python3-kafka (a consumer that is not eodclear's code).

Reference data: a copy of ops/refdata (it has the Rule 855 MMC/ME row and the CNH limits of CME
Submission 13-543, checked field by field in setup) with this scenario's accounts.csv:
  F1/F1-A  owner OWNER-X, customer, auto_offset true
  F2/F2-A  owner OWNER-X, customer, auto_offset false
  F3/F3-S  owner OWNER-S, customer, auto_offset false
and an empty exemptions.csv.

D = 2023-09-11 (CNHU23 terminates 2023-09-18; its spot month starts 7 days before, on D). Trades
of D at 10:00 Chicago, all against F3-S:
  F1-A buys 3,000 CNHU23 @ 7.2000;  F2-A buys 2,200 CNHU23 @ 7.2000
  F1-A buys 25 MMCZ23 @ 2600.00;    F1-A sells 2 MEZ23 @ 2600.00
DAILY overrides of D, on topic settlement-overrides: CNHU23 7.2100, MEZ23 2605.00 (MMCZ23 settles
at its parent's price).

First publication (run R1), worked by hand (CNH: 100,000 USD, VM in CNH; ME 100 USD, MMC 10 USD):
  VM CNHU23: F1-A 100,000 x (7.2100 - 7.2000) x 3,000 = 3,000,000.00; F2-A 100,000 x 0.0100 x 2,200
             = 2,200,000.00; F3-S -5,200,000.00
  VM MMCZ23: F1-A 10 x (2605 - 2600) x 25 = 1,250.00; F3-S -1,250.00
  VM MEZ23:  F1-A 100 x 5 x -2 = -1,000.00; F3-S +1,000.00
  offsets:   F1-A auto (Rule 855, MMC 10 : ME 1): MMCZ23 -20 / MEZ23 +2, with CH/CH-OFFSET taking
             MMCZ23 +20 / MEZ23 -2; F1-A keeps 5 MMCZ23 and no MEZ23
  findings:  spot month limit 5,000: OWNER-X long 5,200 (F1-A + F2-A) excess 200; OWNER-S short
             5,200 excess 200

Then the operator learns that CNHU23's settlement of D was 7.2050 and that OWNER-X holds a CNH
spot-month exemption of 200: a new DAILY override is loaded onto the topic, the exemption is added
to the reference data, and `run --date D --republish` publishes run R2:
  - its eod-runs record names corrects_run_id = R1, and is the date's latest;
  - VM CNHU23: F1-A 100,000 x 0.0050 x 3,000 = 1,500,000.00; F2-A 1,100,000.00; F3-S -2,600,000.00;
    MMCZ23 and MEZ23 as before;
  - offsets and positions exactly as R1's (the book was put back as it stood after ingest and the
    Rule 855 offset made again: without that, F1-A's 5 MMCZ23 would offset nothing and CH-OFFSET
    would double);
  - findings: only OWNER-S's (5,200 is over 5,000 + 0 for it; for OWNER-X 5,200 = 5,000 + 200 is
    not over); OWNER-X's finding key gets a tombstone in the same transaction and the eod-runs
    record says position-limit-findings retracted 1, every other topic 0;
  - every output topic's records of R2 match its counts and checksums.
`eodclear dump` of the findings topic prints the tombstone as {"tombstone":true,"key":...}.
The correction is killed right after it restored the book (crash point republish:after-rewind):
a plain `run --date D` resumes it. A second correction, with nothing changed, is killed right after
its transaction committed (publish:after-commit): the next `run --date D` finds it published and
publishes nothing more; its records equal R2's but for the run id, and it retracts nothing.

D+1 = 2023-09-12 with DAILY overrides CNHU23 7.2150, MEZ23 2610.00 and no trades: its VM uses the
corrected prior: CNHU23 F1-A 100,000 x (7.2150 - 7.2050) x 3,000 = 3,000,000.00, F2-A 2,200,000.00,
F3-S -5,200,000.00 (with R1's price as prior they would be 1,500,000.00 etc.); MMCZ23 at 2610:
F1-A 10 x 5 x 5 = 250.00, CH-OFFSET 10 x 5 x 20 = 1,000.00, F3-S 10 x 5 x -25 = -1,250.00; MEZ23:
F3-S 100 x 5 x 2 = 1,000.00, CH-OFFSET -1,000.00.
Afterwards `run --date D --republish` is refused (exit 6, naming D+1: only the latest date can be
corrected) and `run --date 2023-09-13 --republish` of a date never run is refused (exit 6).
"""

import decimal
import json
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

Dec = decimal.Decimal
OPS_REFDATA = harness.OPS_REFDATA

D = "2023-09-11"
D1 = "2023-09-12"
D2 = "2023-09-13"
OUTPUT_TOPICS = ("positions", "dead-letters", "settlement-prices", "variation-margin",
                 "final-settlements", "offsets", "position-limit-findings",
                 "large-trader-reports")
ACCOUNTS = ("account,firm,owner,origin,auto_offset\n"
            "F1-A,F1,OWNER-X,customer,true\n"
            "F2-A,F2,OWNER-X,customer,false\n"
            "F3-S,F3,OWNER-S,customer,false\n")
EXEMPTIONS_HEADER = "owner,product,kind,quantity,valid_from,valid_to\n"
EXIT_PRECONDITION = 6  # pipeline/cli/exit_codes.h: a state or input precondition does not hold


def write(path: str, text: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    return path


def make_refdata(s, checks) -> str:
    """ops/refdata with this scenario's accounts and no exemptions; the rows the figures rest on
    are checked."""
    def rows(name):
        return harness.read_refdata_csv(OPS_REFDATA, name)
    products = {r["code"]: r for r in rows("products.csv")}
    checks.require(all(c in products for c in ("CNH", "ME", "MMC")),
                   "setup: ops/refdata has CNH, ME and MMC")
    checks.require((products["CNH"]["multiplier"], products["ME"]["multiplier"],
                    products["MMC"]["multiplier"], products["MMC"]["parent"]) ==
                   ("100000", "100", "10", "ME"), "setup: multipliers 100000/100/10, MMC under ME")
    offsets = {(r["code"], r["ratio"], r["offset_to"]) for r in rows("offsets.csv")}
    checks.require(("MMC", "10", "ME") in offsets, "setup: offsets.csv has MMC 10 : ME")
    limits = {r["product"]: r for r in rows("position_limits.csv")}
    checks.require(limits.get("CNH", {}).get("spot_month_limit") == "5000" and
                   limits["CNH"]["spot_month_start"] == "termination-7d",
                   "setup: CNH spot-month limit 5,000 from 7 days before termination")
    folder = s.path("refdata")
    shutil.copytree(OPS_REFDATA, folder)
    write(os.path.join(folder, "accounts.csv"), ACCOUNTS)
    write(os.path.join(folder, "exemptions.csv"), EXEMPTIONS_HEADER)
    return folder


def load(s, bootstrap: str, refdata: str, topic: str, name: str, text: str) -> None:
    path = write(s.path(name), text)
    done = s.run_eodclear(["load", "--brokers", bootstrap, "--topic", topic, "--file", path,
                           "--refdata", refdata])
    if done.returncode != 0:
        print(done.describe(), flush=True)
        raise harness.SetupError(f"eodclear load {name}")


def overrides(date: str, prices: dict) -> str:
    return harness.OVERRIDES_HEADER + "".join(f"{date},{c},DAILY,{p},settlement of record,ops\n"
                                      for c, p in prices.items())


class Published:
    """The output topics as read with python3-kafka: the date's eod-runs records, and per run id
    and topic the records carrying it; tombstones (null values) per topic."""

    def __init__(self, env, bootstrap: str, date: str) -> None:
        pb = env.pb
        classes = {"positions": pb.Position, "dead-letters": pb.DeadLetter,
                   **harness.output_topics(pb)}
        with harness.TopicReader(bootstrap) as reader:
            runs = reader.read("eod-runs").records
            self.runs = [harness.decode(pb.EodRun, r) for r in runs if r.key == date.encode()]
            self.by_run = {}
            self.tombstones = {}
            for topic in OUTPUT_TOPICS:
                for r in reader.read(topic).records:
                    if r.value is None:
                        self.tombstones.setdefault(topic, []).append(r.key.decode())
                        continue
                    m = harness.decode(classes[topic], r)
                    if m.business_date == date:
                        self.by_run.setdefault(m.run_id, {}).setdefault(topic, []).append((r, m))

    def records(self, run_id: str, topic: str) -> list:
        return self.by_run.get(run_id, {}).get(topic, [])

    def content(self, run_id: str, topic: str) -> list:
        """(key, message with run_id cleared) of the run's records on `topic`, sorted."""
        out = []
        for r, m in self.records(run_id, topic):
            c = type(m)()
            c.CopyFrom(m)
            c.run_id = ""
            out.append((r.key.decode(), c.SerializeToString(deterministic=True)))
        return sorted(out)


def check_latest_run(checks, env, bootstrap: str, expected_run_id: str) -> None:
    """The date's latest eod-runs record names `expected_run_id`, summarises exactly the output
    topics, and every topic's records of that run match its counts and checksums, none twice
    (harness.check_run_summaries)."""
    with harness.TopicReader(bootstrap) as reader:
        published = harness.read_published_run(reader, env.pb, D,
                                               extra_topics=harness.output_topics(env.pb))
    checks.equal(published.run.run_id if published.run else None, expected_run_id,
                 f"{D}: the latest eod-runs record names run {expected_run_id}")
    harness.check_summary_topics(checks, published, OUTPUT_TOPICS)
    harness.check_run_summaries(checks, published)


def vm_of(pub: Published, run_id: str) -> dict:
    """(firm, account, contract) -> amount of the run's ACCOUNT variation-margin records."""
    out = {}
    for _, m in pub.records(run_id, "variation-margin"):
        if m.kind == type(m).ACCOUNT:
            out[(m.firm, m.account, m.contract)] = Dec(m.amount)
    return out


def findings_of(pub: Published, run_id: str) -> dict:
    return {r.key.decode(): (m.owner, m.kind, m.base_contract, int(Dec(m.position)), m.limit,
                             m.exemption, Dec(m.excess))
            for r, m in pub.records(run_id, "position-limit-findings")}


def run_summary(done) -> tuple:
    """(verb, run id, replaced run id or None) of `eodclear run`'s summary line."""
    import re
    m = re.search(r"^eodclear run: \S+ (already published|published|corrected) by run (\S+)"
                  r"(?: \(replacing run (\S+)\))?;", done.stdout, re.M)
    return (m.group(1), m.group(2), m.group(3)) if m else (None, None, None)


def body(env: harness.Env, checks: harness.Checks) -> None:
    with harness.Session(env) as s:
        refdata = make_refdata(s, checks)
        # On a real Kafka one partition a topic, so that the last run's records roll every
        # segment holding the correction's records (compaction_after_cleaner).
        bootstrap = s.start_broker(partitions=1 if env.broker == "kafka" else 3)
        state = s.path("state")
        load(s, bootstrap, refdata, "trades", "trades.csv", harness.trades_csv(D, [
            (f"RP-{n}", f"{D}T10:00:0{n}-05:00", c, p, q, buyer, seller)
            for n, (c, p, q, buyer, seller) in enumerate([
                ("CNHU23", "7.2000", 3000, "F1/F1-A", "F3/F3-S"),
                ("CNHU23", "7.2000", 2200, "F2/F2-A", "F3/F3-S"),
                ("MMCZ23", "2600.00", 25, "F1/F1-A", "F3/F3-S"),
                ("MEZ23", "2600.00", 2, "F3/F3-S", "F1/F1-A")])]))
        load(s, bootstrap, refdata, "settlement-overrides", "overrides-d.csv",
             overrides(D, {"CNHU23": "7.2100", "MEZ23": "2605.00"}))

        def run(date, *extra, env_vars=None):
            return s.run_eodclear(["run", "--date", date, "--brokers", bootstrap, "--state",
                                   state, "--refdata", refdata, *extra], timeout=180,
                                  env=env_vars)

        # ---- First publication of D.
        first = run(D)
        checks.require(first.returncode == 0, "D: first run exits 0", first.describe())
        _, r1, _ = run_summary(first)
        pub = Published(env, bootstrap, D)
        checks.equal([r.run_id for r in pub.runs], [r1], "D: one eod-runs record, run R1")
        checks.equal(vm_of(pub, r1), {
            ("F1", "F1-A", "CNHU23"): Dec("3000000.00"), ("F2", "F2-A", "CNHU23"): Dec("2200000.00"),
            ("F3", "F3-S", "CNHU23"): Dec("-5200000.00"),
            ("F1", "F1-A", "MMCZ23"): Dec("1250.00"), ("F3", "F3-S", "MMCZ23"): Dec("-1250.00"),
            ("F1", "F1-A", "MEZ23"): Dec("-1000.00"), ("F3", "F3-S", "MEZ23"): Dec("1000.00")},
            "R1: variation margin per account, worked by hand")
        positions_r1 = {(m.firm, m.account, m.contract): m.quantity
                        for _, m in pub.records(r1, "positions")}
        checks.equal(positions_r1, {
            ("F1", "F1-A", "CNHU23"): 3000, ("F2", "F2-A", "CNHU23"): 2200,
            ("F3", "F3-S", "CNHU23"): -5200, ("F1", "F1-A", "MMCZ23"): 5,
            ("F3", "F3-S", "MMCZ23"): -25, ("F3", "F3-S", "MEZ23"): 2,
            ("CH", "CH-OFFSET", "MMCZ23"): 20, ("CH", "CH-OFFSET", "MEZ23"): -2},
            "R1: positions after the Rule 855 offset of F1-A (20 MMCZ23 against 2 MEZ23)")
        offsets_r1 = pub.content(r1, "offsets")
        checks.equal(len(offsets_r1), 1, "R1: one offset record (F1-A's auto offset)")
        findings_r1 = findings_of(pub, r1)
        checks.equal(sorted(v[:2] + v[3:] for v in findings_r1.values()), [
            ("OWNER-S", "spot_month", -5200, 5000, 0, Dec(200)),
            ("OWNER-X", "spot_month", 5200, 5000, 0, Dec(200))],
            "R1: spot-month findings of both owners, excess 200")
        owner_x_key = [k for k, v in findings_r1.items() if v[0] == "OWNER-X"]

        # ---- The corrections arrive: a new override on the topic, an exemption in refdata.
        load(s, bootstrap, refdata, "settlement-overrides", "overrides-d-corrected.csv",
             overrides(D, {"CNHU23": "7.2050"}))
        write(os.path.join(refdata, "exemptions.csv"),
              EXEMPTIONS_HEADER + "OWNER-X,CNH,spot_month,200,2023-01-01,2023-12-31\n")

        killed = run(D, "--republish", env_vars={"EODCLEAR_CRASH_AT": "republish:after-rewind"})
        checks.equal(killed.returncode, -9, "correction killed right after the book was restored")
        resumed = run(D)
        checks.require(resumed.returncode == 0, "a plain run of D resumes the correction, exit 0",
                       resumed.describe())
        verb, r2, replaced = run_summary(resumed)
        checks.equal((verb, replaced), ("corrected", r1),
                     "the resumed run says D was corrected, replacing R1")
        checks.check("resuming the correction" in resumed.stderr,
                     "the resumed run says it resumes the correction", resumed.stderr[-600:])

        pub = Published(env, bootstrap, D)
        checks.equal([(r.run_id, r.corrects_run_id) for r in pub.runs], [(r1, ""), (r2, r1)],
                     "D: eod-runs holds R1 then the correction R2 naming R1")
        correction = pub.runs[-1]
        checks.equal({t.topic: t.retracted for t in correction.topics},
                     {**{t: 0 for t in OUTPUT_TOPICS}, "position-limit-findings": 1},
                     "R2 retracts exactly one record, a position-limit finding")
        check_latest_run(checks, env, bootstrap, r2)
        checks.equal(vm_of(pub, r2), {
            ("F1", "F1-A", "CNHU23"): Dec("1500000.00"), ("F2", "F2-A", "CNHU23"): Dec("1100000.00"),
            ("F3", "F3-S", "CNHU23"): Dec("-2600000.00"),
            ("F1", "F1-A", "MMCZ23"): Dec("1250.00"), ("F3", "F3-S", "MMCZ23"): Dec("-1250.00"),
            ("F1", "F1-A", "MEZ23"): Dec("-1000.00"), ("F3", "F3-S", "MEZ23"): Dec("1000.00")},
            "R2: variation margin at the corrected 7.2050")
        prices = {m.contract: (Dec(m.price), m.tier)
                  for _, m in pub.records(r2, "settlement-prices")}
        checks.equal(prices.get("CNHU23"), (Dec("7.2050"), "override"),
                     "R2: CNHU23 settles at the corrected override")
        checks.equal({(m.firm, m.account, m.contract): m.quantity
                      for _, m in pub.records(r2, "positions")}, positions_r1,
                     "R2: positions equal R1's (the book was put back before offsetting again)")
        checks.equal(pub.content(r2, "offsets"), offsets_r1, "R2: the same offset as R1")
        findings_r2 = findings_of(pub, r2)
        checks.equal(sorted(v[:2] + v[3:] for v in findings_r2.values()), [
            ("OWNER-S", "spot_month", -5200, 5000, 0, Dec(200))],
            "R2: only OWNER-S's finding (OWNER-X's exemption of 200 clears its 5,200)")
        checks.equal(pub.tombstones.get("position-limit-findings", []), owner_x_key,
                     "OWNER-X's finding key is retracted with a tombstone")
        dumped = s.run_eodclear(["dump", "--brokers", bootstrap, "--topic",
                                 "position-limit-findings"])
        lines = [json.loads(line) for line in dumped.stdout.splitlines() if line.strip()]
        checks.equal([line for line in lines if line.get("tombstone")],
                     [{"tombstone": True, "key": k} for k in owner_x_key],
                     "eodclear dump shows the tombstone as {tombstone: true, key}")
        checks.equal(pub.content(r2, "large-trader-reports"),
                     pub.content(r1, "large-trader-reports"),
                     "R2: large-trader reports equal R1's")
        checks.equal(pub.content(r2, "dead-letters"), [], "R2: no dead letters")

        again = run(D)
        checks.equal((again.returncode, run_summary(again)[:2]), (0, ("already published", r2)),
                     "a run of D after the correction publishes nothing: already published by R2")

        # ---- A second correction, nothing changed, killed after its commit.
        killed = run(D, "--republish", env_vars={"EODCLEAR_CRASH_AT": "publish:after-commit"})
        checks.equal(killed.returncode, -9, "second correction killed right after its commit")
        finished = run(D, "--republish")
        verb, r3, replaced = run_summary(finished)
        checks.equal((finished.returncode, verb, replaced), (0, "corrected", r2),
                     "the next run finds the second correction published, replacing R2")
        pub = Published(env, bootstrap, D)
        checks.equal([(r.run_id, r.corrects_run_id) for r in pub.runs],
                     [(r1, ""), (r2, r1), (r3, r2)],
                     "D: eod-runs holds R1, R2 and R3, the second correction published once")
        check_latest_run(checks, env, bootstrap, r3)
        checks.equal(sum(t.retracted for t in pub.runs[-1].topics), 0, "R3 retracts nothing")
        for topic in OUTPUT_TOPICS:
            checks.equal(pub.content(r3, topic), pub.content(r2, topic),
                         f"R3's {topic} equal R2's but for the run id")

        # ---- D+1 settles on the corrected prior; D can no longer be corrected.
        load(s, bootstrap, refdata, "settlement-overrides", "overrides-d1.csv",
             overrides(D1, {"CNHU23": "7.2150", "MEZ23": "2610.00"}))
        nxt = run(D1)
        checks.require(nxt.returncode == 0, "D+1 exits 0", nxt.describe())
        _, r4, _ = run_summary(nxt)
        pub1 = Published(env, bootstrap, D1)
        checks.equal(vm_of(pub1, r4), {
            ("F1", "F1-A", "CNHU23"): Dec("3000000.00"), ("F2", "F2-A", "CNHU23"): Dec("2200000.00"),
            ("F3", "F3-S", "CNHU23"): Dec("-5200000.00"),
            ("F1", "F1-A", "MMCZ23"): Dec("250.00"), ("CH", "CH-OFFSET", "MMCZ23"): Dec("1000.00"),
            ("F3", "F3-S", "MMCZ23"): Dec("-1250.00"),
            ("F3", "F3-S", "MEZ23"): Dec("1000.00"), ("CH", "CH-OFFSET", "MEZ23"): Dec("-1000.00")},
            "D+1: variation margin from the corrected prior 7.2050")

        refused = run(D, "--republish")
        checks.equal(refused.returncode, EXIT_PRECONDITION, "correcting D after D+1 ran: exit 6")
        checks.check(D1 in refused.stderr and "only the latest business date" in refused.stderr,
                     "the refusal names D+1 and says only the latest date can be corrected",
                     refused.stderr[-600:])
        never = run(D2, "--republish")
        checks.equal(never.returncode, EXIT_PRECONDITION, "correcting a date never run: exit 6")
        checks.check("never published" in never.stderr, "the refusal says it was never published",
                     never.stderr[-600:])
        pub = Published(env, bootstrap, D)
        checks.equal(len(pub.runs), 3, "the refused corrections published nothing for D")
        if env.broker == "kafka":
            compaction_after_cleaner(checks, env, bootstrap, lambda: run(D2), owner_x_key)


def compaction_after_cleaner(checks, env, bootstrap: str, run_next_date, retracted: list) -> None:
    """Real Kafka only: the output topics, created compacted by `eodclear topics`, are made
    cleanable at once (segment.ms 100 ms, min.cleanable.dirty.ratio 0.01); the next date's run
    appends to them, which rolls the segments holding D's publications; once Kafka's log cleaner
    has run, no value record remains of the key the correction retracted (only its tombstone),
    and every key's latest record is what it was before cleaning."""
    import real_kafka  # next to this file

    topics = ["positions", "settlement-prices", "variation-margin", "position-limit-findings",
              "large-trader-reports", "eod-runs"]
    with harness.TopicReader(bootstrap) as reader:
        before = {t: reader.read(t).records for t in topics}
    checks.check(any(r.key.decode() in retracted and r.value is not None
                     for r in before["position-limit-findings"]),
                 "compaction: before cleaning, the retracted finding's value records are there")
    real_kafka.set_topic_configs(bootstrap, topics, {
        "cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01",
        "min.insync.replicas": "1"})
    time.sleep(0.5)
    nxt = run_next_date()
    checks.equal(nxt.returncode, 0, f"compaction: the run of {D2} exits 0")

    def latest(records) -> dict:
        out = {}
        for r in records:
            out[r.key] = r.value
        return out

    deadline = time.monotonic() + 90
    while True:
        with harness.TopicReader(bootstrap) as reader:
            findings = reader.read("position-limit-findings").records
        values = [r for r in findings if r.key.decode() in retracted and r.value is not None]
        if not values or time.monotonic() > deadline:
            break
        time.sleep(1)
    checks.equal(values, [], "compaction: after the log cleaner ran, no value record of the "
                 "retracted finding key remains")
    checks.check(any(r.key.decode() in retracted and r.value is None for r in findings),
                 "compaction: its tombstone remains (delete.retention.ms has not passed)")
    with harness.TopicReader(bootstrap) as reader:
        after = {t: [r for r in reader.read(t).records if not r.key.startswith(D2.encode())]
                 for t in topics}
    for t in topics:
        checks.equal(latest(after[t]), latest(before[t]),
                     f"compaction: {t}: the latest record of every key of D and D+1 is unchanged")
    checks.check(len(after["position-limit-findings"]) < len(before["position-limit-findings"]),
                 "compaction: the cleaner removed superseded findings records",
                 f"{len(before['position-limit-findings'])} before, "
                 f"{len(after['position-limit-findings'])} after")


if __name__ == "__main__":
    harness.main(body, __doc__)
