#!/usr/bin/python3
"""Real retention on a real Apache Kafka: input segments deleted before the run consumed them.

A single-node KRaft Kafka, eodclear's topics with 3 partitions. 2023-06-15: 3,000 random valid
trades (one in each contract's settlement window) are loaded and the date is run to the end
(exit 0); its consumed offsets are stored. Then 3,000 trades of 2023-06-16 are loaded, and Kafka's
own retention deletes them before any run read them (the topic's retention.ms is set to 1 s until
every partition's log start offset has moved; real_kafka.expire_by_retention). The run of
2023-06-16 exits 3, and its stderr names each partition of `trades` with the offsets lost, from
the offset stored after 2023-06-15 to the new log start offset minus one (partitions where
nothing was lost are not named), and nothing of 2023-06-16 is published (read committed: no
eod-runs record, no output record of the date).

Set EODCLEAR_E2E_SEED to replay one random scenario (the seed is printed).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import real_kafka  # noqa: E402

DATES = ["2023-06-15", "2023-06-16"]
TRADES = 3000
CONTRACTS = ["MESU23", "RTYU23", "ESZ23", "CNHZ23", "YMU23", "ESU23", "NQU23"]
DATA_ERROR_EXIT = 3


def body(env: harness.Env, checks: harness.Checks) -> None:
    rng = harness.seeded_random()
    products = harness.load_products(env.refdata)
    terms = harness.load_terms(env.refdata)
    parties = harness.accounts(5, 20)
    with harness.Session(env) as s:
        kafka = s.start_kafka(partitions=3)
        bootstrap = kafka.bootstrap
        state = s.path("state")
        stored = {}
        for i, date in enumerate(DATES):
            window = harness.window_trades(rng, date, CONTRACTS, products, terms, parties,
                                           f"RT{i}-WIN-")
            trades = harness.random_trades(rng, TRADES - len(window), date, CONTRACTS, products,
                                           parties, f"RT{i}-") + window
            harness.write_trades_csv(s.path(f"{date}.csv"), trades)
            with harness.TopicReader(bootstrap) as reader:
                stored = reader.watermarks("trades")[1]  # what the previous run consumed
            s.load(bootstrap, "trades", s.path(f"{date}.csv"))
            if i == 0:
                first = s.run_date(bootstrap, date, state)
                checks.require(first.returncode == 0, f"{date} runs to the end", first.describe())
        low = real_kafka.expire_by_retention(bootstrap, "trades")
        print(f"  trades: offsets stored after {DATES[0]} {stored}; log start offsets after "
              f"retention {low}", flush=True)
        checks.require(any(low[p] > stored[p] for p in low),
                       "setup: retention deleted offsets past those stored", f"{low} {stored}")

        done = s.run_date(bootstrap, DATES[1], state)
        checks.equal(done.returncode, DATA_ERROR_EXIT, f"the run of {DATES[1]} exits 3")
        for p in sorted(low):
            lost = f"{stored[p]}..{low[p] - 1}"
            named = re.search(rf"trades\[{p}\][^\n]*\b{re.escape(lost)}\b", done.stderr)
            if low[p] > stored[p]:
                checks.check(named is not None, f"stderr names trades[{p}] and the lost offsets "
                             f"{lost}", done.describe())
        runs = [v for _, _, k, v in real_kafka.read_committed(bootstrap, "eod-runs")
                if k == DATES[1].encode()]
        checks.equal(runs, [], f"no eod-runs record of {DATES[1]}")
        positions = [v for _, _, _, v in real_kafka.read_committed(bootstrap, "positions")
                     if v is not None and env.pb.Position.FromString(v).business_date == DATES[1]]
        checks.equal(len(positions), 0, f"no positions record of {DATES[1]}")


if __name__ == "__main__":
    harness.main(body, __doc__)
