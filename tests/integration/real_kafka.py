"""A real Apache Kafka for the end-to-end tests, started from the jars ops/kafka/kafka_local.py
fetched, with eodclear's topics created by `eodclear topics` before any client touches them.

The end-to-end scripts run on the development broker by default; given `--broker kafka` (ctest's
`*_kafka_real` tests, label kafka-real) the harnesses start one of these instead, wherever the
script would start a development broker. What differs, and what the tests may rely on:

- read_committed consumers do not see aborted records (python3-kafka 2.0.2 reads uncommitted, so
  the harness readers still select records by the run id of the date's eod-runs record, and
  tests of isolation itself read with kcat -X isolation.level=read_committed);
- transaction markers take offsets: a committed transaction of N records moves each partition's
  high watermark past the records by one marker (the readers skip the markers);
- topics are created explicitly, with the partition count the script asks for, replication
  factor min(3, nodes) and min.insync.replicas 2 on three nodes (1 on one node).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Iterable, Optional

_OPS_KAFKA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                           "ops", "kafka"))
if _OPS_KAFKA not in sys.path:
    sys.path.insert(0, _OPS_KAFKA)

import kafka_local  # noqa: E402  (ops/kafka/kafka_local.py)

# The settings every real-Kafka test broker gets on top of kafka_local's defaults.
TEST_PROPERTIES = {
    # eodclear creates its topics with `eodclear topics`; a topic a test forgot must not appear
    # with some default instead.
    "auto.create.topics.enable": "false",
}


class SetupFailed(Exception):
    """The broker or its topics could not be set up; the message says what and where."""


def start(binary: str, workdir: str, partitions: int = 3, nodes: int = 1,
          extra_topics: Iterable[str] = (), properties: Optional[dict] = None,
          heap: str = "384m") -> kafka_local.Cluster:
    """Starts a KRaft cluster of `nodes` in `workdir` and creates eodclear's topics (and
    `extra_topics`) with `partitions` partitions each. The JVMs die with the calling process."""
    props = dict(TEST_PROPERTIES)
    props.update(properties or {})
    os.makedirs(workdir, exist_ok=True)
    cluster = kafka_local.Cluster(nodes=nodes, heap=heap, properties=props, workdir=workdir,
                                  die_with_parent=True)
    try:
        cluster.start()
        print(f"  real Kafka {kafka_local.KAFKA_VERSION}: {nodes} node(s) at {cluster.bootstrap}, "
              f"started in {max(cluster.start_seconds):.1f} s", flush=True)
        create_topics(binary, cluster.bootstrap, partitions, min(nodes, 3), extra_topics)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def create_topics(binary: str, bootstrap: str, partitions: int, replication: int,
                  extra_topics: Iterable[str] = ()) -> None:
    """`eodclear topics` with the test's partition count and replication, then the extra topics
    (delete policy) through python3-kafka's admin client."""
    isr = 2 if replication >= 3 else 1
    cmd = [binary, "topics", "--brokers", bootstrap, "--partitions", str(partitions),
           "--output-partitions", str(partitions), "--replication-factor", str(replication),
           "--min-insync-replicas", str(isr)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise SetupFailed(f"`{' '.join(cmd)}` exited {p.returncode}:\n{p.stdout[-2000:]}"
                          f"{p.stderr[-2000:]}")
    extra = [t for t in extra_topics]
    if extra:
        from kafka.admin import KafkaAdminClient, NewTopic
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
        try:
            admin.create_topics([NewTopic(t, partitions, replication) for t in extra])
        finally:
            admin.close()


def read_committed(bootstrap: str, topic: str, timeout: float = 60) -> list:
    """Every record of `topic` a read_committed consumer sees, read with kcat (librdkafka's
    command-line client, not eodclear's code) from the beginning to the end of each partition:
    [(partition, offset, key bytes, value bytes or None for a tombstone)], in partition and
    offset order. Transaction markers and records of aborted transactions are not returned."""
    # Each record as "partition,offset,keylen,valuelen:" + key + value; a null key or value has
    # length -1 and no bytes.
    cmd = ["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
           "-X", "isolation.level=read_committed", "-f", "%p,%o,%K,%S:%k%s"]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise SetupFailed(f"`{' '.join(cmd)}` exited {p.returncode}: "
                          f"{p.stderr.decode(errors='replace')[-2000:]}")
    data, i, out = p.stdout, 0, []
    while i < len(data):
        colon = data.index(b":", i)
        part, offset, klen, vlen = (int(x) for x in data[i:colon].split(b","))
        i = colon + 1
        key = data[i:i + max(klen, 0)] if klen >= 0 else None
        i += max(klen, 0)
        value = data[i:i + vlen] if vlen >= 0 else None
        i += max(vlen, 0)
        out.append((part, offset, key, value))
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def expire_by_retention(bootstrap: str, topic: str, restore_ms: int = 604800000,
                        timeout: float = 90) -> dict:
    """Makes Kafka's retention delete what `topic` holds: sets its retention.ms to 1 s, waits
    until the low watermark of every partition holding records has moved above 0 (the broker
    checks retention every second, kafka_local.py), then sets retention.ms back to `restore_ms`.
    Returns partition -> low watermark afterwards. Uses python3-kafka's admin client."""
    import time
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        def set_retention(ms: int) -> None:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                                configs={"retention.ms": str(ms)})])

        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        high = consumer.end_offsets(tps)
        set_retention(1000)
        deadline = time.monotonic() + timeout
        while True:
            low = consumer.beginning_offsets(tps)
            if all(low[tp] > 0 for tp in tps if high[tp] > 0):
                break
            if time.monotonic() > deadline:
                raise SetupFailed(f"retention deleted nothing of {topic} in {timeout} s: low "
                                  f"watermarks {low}, high {high}")
            time.sleep(0.5)
        set_retention(restore_ms)
        return {tp.partition: low[tp] for tp in tps}
    finally:
        consumer.close()
        admin.close()


def set_topic_configs(bootstrap: str, topics: Iterable[str], configs: dict) -> None:
    """Replaces the configuration overrides of each topic with `configs` (python3-kafka's
    AlterConfigs, not incremental: settings left out return to the broker's defaults)."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs=dict(configs))
                             for t in topics])
    finally:
        admin.close()


def committed_date(bootstrap: str, pb, date: str) -> tuple:
    """What a read_committed consumer (read_committed above) sees of business date `date`:
    (the date's clearing.v1.EodRun records on eod-runs, {output topic: [(key, value bytes,
    message)]} of the records whose business_date is `date`, tombstones left out). `pb`: the
    harness's Schemas."""
    classes = {"positions": pb.Position, "dead-letters": pb.DeadLetter,
               "settlement-prices": pb.SettlementPrice, "variation-margin": pb.VariationMargin,
               "final-settlements": pb.FinalSettlement, "offsets": pb.Offset,
               "position-limit-findings": pb.PositionLimitFinding,
               "large-trader-reports": pb.LargeTraderReport}
    runs = [pb.EodRun.FromString(v) for _, _, k, v in read_committed(bootstrap, "eod-runs")
            if k == date.encode() and v is not None]
    topics = {}
    for topic, cls in classes.items():
        rows = []
        for _, _, k, v in read_committed(bootstrap, topic):
            if v is None:
                continue
            m = cls.FromString(v)
            if m.business_date == date:
                rows.append((k, v, m))
        topics[topic] = rows
    return runs, topics
