#!/usr/bin/python3
"""`eodclear topics` against a real Apache Kafka (single KRaft node, no topics).

1. `topics --replication-factor 3` is refused by a one-node cluster: exit 2, naming the topic and
   Kafka's INVALID_REPLICATION_FACTOR.
2. `topics --replication-factor 1 --min-insync-replicas 1 --partitions 4 --output-partitions 2`
   creates all 14 topics (one `created` line each), then checks them: `ok` for each, exit 0. The
   cluster's own metadata and configs, read with python3-kafka (not eodclear's code), agree:
   trades has 4 partitions and eod-runs 2; positions is compacted; trades is deleted after
   604800000 ms (7 days); reference-prices after 7776000000 ms (90 days).
3. Run again: every topic `exists`, exit 0.
4. positions altered to cleanup.policy=delete with python3-kafka: `topics --check` prints
   `mismatch positions: cleanup.policy, wanted compact, found delete`, exit 2; and with
   `--partitions 6` it reports trades' partitions, wanted 6, found 4.
5. `topics --check` against a port nobody listens on: exit 4, naming the brokers.
6. What librdkafka 2.0.2 (Debian's, the library eodclear links) detects on this Kafka, with
   debug=feature: the features IdempotentProducer, LZ4, ZSTD, MsgVer2 and BrokerBalancedConsumer
   are enabled. `eodclear load` of 500 trades with compression.type=lz4, then 500 with zstd:
   kcat reads back exactly 500, then 1,000 messages.
"""

import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import real_kafka  # noqa: E402

SMALL = ["--replication-factor", "1", "--min-insync-replicas", "1", "--partitions", "4",
         "--output-partitions", "2"]


def body(env: harness.Env, checks: harness.Checks) -> None:
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

    with harness.Session(env) as s:
        cluster = real_kafka.kafka_local.Cluster(nodes=1, properties=real_kafka.TEST_PROPERTIES,
                                                 workdir=s.path("kafka"), die_with_parent=True)
        s._clusters.append(cluster.start())
        b = cluster.bootstrap

        refused = s.run_eodclear(["topics", "--brokers", b])
        checks.equal(refused.returncode, 2, "RF 3 on one node: exit 2")
        checks.check("INVALID_REPLICATION_FACTOR" in refused.stderr and "topic " in refused.stderr,
                     "the refusal names the topic and Kafka's reason", refused.describe())

        made = s.run_eodclear(["topics", "--brokers", b, *SMALL])
        checks.equal(made.returncode, 0, "create: exit 0")
        lines = made.stdout.splitlines()
        checks.equal(sum(line.startswith("created ") for line in lines), 14,
                     "create: one `created` line for each of the 14 topics")
        checks.equal(sum(line.startswith("ok ") for line in lines), 14, "create: all 14 ok")
        checks.equal(lines[-1], "topics: 14 checked, 0 with mismatches", "create: summary line")

        admin = KafkaAdminClient(bootstrap_servers=b)
        try:
            described = {t["topic"]: len(t["partitions"]) for t in admin.describe_topics(
                ["trades", "eod-runs"])}
            checks.equal(described, {"trades": 4, "eod-runs": 2},
                         "the cluster's metadata: trades 4 partitions, eod-runs 2")
            res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t)
                                          for t in ("positions", "trades", "reference-prices")])
            configs = {}
            for response in res:
                for resource in response.resources:
                    _, _, _, name, entries = resource
                    configs[name] = {e[0]: e[1] for e in entries}
            checks.equal(configs["positions"]["cleanup.policy"], "compact",
                         "the cluster's config: positions compacted")
            checks.equal((configs["trades"]["cleanup.policy"], configs["trades"]["retention.ms"]),
                         ("delete", "604800000"), "the cluster's config: trades kept 7 days")
            checks.equal(configs["reference-prices"]["retention.ms"], "7776000000",
                         "the cluster's config: reference-prices kept 90 days")
            again = s.run_eodclear(["topics", "--brokers", b, *SMALL])
            checks.equal(again.returncode, 0, "again: exit 0")
            checks.equal(sum(line.startswith("exists ") for line in again.stdout.splitlines()),
                         14, "again: every topic exists")

            real_kafka.set_topic_configs(b, ["positions"], {"cleanup.policy": "delete",
                                                            "min.insync.replicas": "1"})
        finally:
            admin.close()
        check = s.run_eodclear(["topics", "--brokers", b, "--check", *SMALL])
        checks.equal(check.returncode, 2, "--check with a mismatch: exit 2")
        checks.check("mismatch positions: cleanup.policy, wanted compact, found delete"
                     in check.stdout, "--check names the mismatch", check.describe())
        checks.check("topics: 14 checked, 1 with mismatches" in check.stdout,
                     "--check summary counts one topic", check.describe())
        six = ["--replication-factor", "1", "--min-insync-replicas", "1", "--partitions", "6",
               "--output-partitions", "2"]
        more = s.run_eodclear(["topics", "--brokers", b, "--check", *six])
        checks.check("mismatch trades: partitions, wanted 6, found 4" in more.stdout,
                     "--check reports a partition count", more.describe())

        probe = subprocess.run(["kcat", "-b", b, "-L", "-X", "debug=feature"],
                               capture_output=True, text=True, timeout=60)
        enabled = set(re.findall(r"Enabling feature (\w+)", probe.stderr))
        checks.check({"IdempotentProducer", "LZ4", "ZSTD", "MsgVer2",
                      "BrokerBalancedConsumer"} <= enabled,
                     "librdkafka 2.0.2 enables the idempotent producer, lz4, zstd, message format "
                     "v2 and consumer groups on this Kafka", f"enabled: {sorted(enabled)}")
        products = harness.load_products(env.refdata)
        rng = random.Random(7)
        total = 0
        for codec in ("lz4", "zstd"):
            trades = harness.random_trades(rng, 500, "2023-06-16", ["ESU23", "CNHZ23"], products,
                                           harness.accounts(2, 5), f"CZ-{codec}-")
            csv_path = s.path(f"trades-{codec}.csv")
            harness.write_trades_csv(csv_path, trades)
            loaded = s.run_eodclear(["load", "--brokers", b, "--topic", "trades", "--file",
                                     csv_path, "--refdata", env.refdata,
                                     "--kafka-property", f"compression.type={codec}"])
            checks.equal(loaded.returncode, 0, f"load of 500 trades with {codec}: exit 0")
            total += len(trades)
            back = real_kafka.read_committed(b, "trades")
            checks.equal(len(back), total, f"after the {codec} load kcat reads back {total} "
                         "trades")

        port = harness_free_port()
        down = s.run_eodclear(["topics", "--brokers", f"127.0.0.1:{port}", "--check",
                               "--kafka-property", "socket.connection.setup.timeout.ms=2000"],
                              timeout=120)
        checks.equal(down.returncode, 4, "no broker: exit 4")
        checks.check(f"127.0.0.1:{port}" in down.stderr, "the failure names the brokers",
                     down.describe())


def harness_free_port() -> int:
    return real_kafka.kafka_local.free_port()


if __name__ == "__main__":
    harness.main(body, __doc__)
