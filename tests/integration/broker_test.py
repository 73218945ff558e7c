#!/usr/bin/python3
"""End-to-end: `eodclear broker`, the development Kafka broker, as clients other than eodclear
see it.

- The first stdout line is exactly `bootstrap.servers=127.0.0.1:PORT`.
- kcat (metadata, produce, consume) and python3-kafka produce and consume through it, each
  reading what the other wrote.
- `--partitions 5` gives every topic (the six standard ones and a `--topic` one) 5 partitions.
- `--listen 127.0.0.1:<free port>` prints that address and serves kcat and python3-kafka there.
- SIGTERM and SIGINT make it exit 0.
- A port that is taken gives a clear error naming the address and a non-zero exit.
"""

import json
import os
import re
import signal
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

STANDARD_TOPICS = ["trades", "quotes", "reference-prices", "positions", "dead-letters", "eod-runs"]
args = None
checks = h.Checks()


def kcat_metadata(bootstrap):
    """{topic: number of partitions} from `kcat -L -J`."""
    p = h.run(["kcat", "-b", bootstrap, "-L", "-J", "-m", "10"], timeout=30)
    h.expect(p.returncode == 0, "kcat metadata failed: " + h.describe(p))
    try:
        md = json.loads(p.stdout)
    except ValueError:
        raise h.CheckFailed("kcat -L -J printed no JSON: " + h.describe(p))
    return {t["topic"]: len(t.get("partitions", [])) for t in md.get("topics", [])}


def kcat_produce(bootstrap, topic, pairs):
    text = "".join("%s|%s\n" % kv for kv in pairs)
    p = h.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "|", "-m", "10"],
              stdin_bytes=text.encode(), timeout=30)
    h.expect(p.returncode == 0, "kcat produce failed: " + h.describe(p))


def kcat_consume(bootstrap, topic):
    """[(key, value)] of every message of `topic`, read with `kcat -C -e`."""
    p = h.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-m", "10",
               "-f", "%k|%s\\n"], timeout=30)
    h.expect(p.returncode == 0, "kcat consume failed: " + h.describe(p))
    return [tuple(line.split("|", 1)) for line in p.stdout.splitlines() if line]


def exchange_messages(bootstrap, topic):
    """kcat and python3-kafka each produce two messages; each must then read all four."""
    kcat_pairs = [("kcat-key-1", "from kcat 1"), ("kcat-key-2", "from kcat 2")]
    py_pairs = [("py-key-1", "from python 1"), ("py-key-2", "from python 2")]
    kcat_produce(bootstrap, topic, kcat_pairs)
    h.produce(bootstrap, topic, [(k.encode(), v.encode()) for k, v in py_pairs])
    want = sorted(kcat_pairs + py_pairs)
    by_kcat = sorted(kcat_consume(bootstrap, topic))
    h.expect(by_kcat == want, "kcat read %s from %s, expected %s" % (by_kcat, topic, want))
    by_python = sorted((r.key.decode(), r.value.decode()) for r in h.read_topic(bootstrap, topic))
    h.expect(by_python == want,
             "python3-kafka read %s from %s, expected %s" % (by_python, topic, want))


def expect_clean_stop(broker, sig):
    rc = broker.stop(sig)
    h.expect(rc == 0, "`%s` exited %s on signal %s, expected 0; stderr: %s" %
             (h.command_text(broker.cmd), rc, signal.Signals(sig).name, broker.stderr_text))


@checks.add
def default_listen_prints_exact_loopback_bootstrap_line():
    with h.Broker(args.binary) as b:
        m = re.fullmatch(r"bootstrap\.servers=127\.0\.0\.1:(\d+)", b.first_line)
        h.expect(m is not None,
                 "first line %r is not bootstrap.servers=127.0.0.1:PORT" % b.first_line)
        port = int(m.group(1))
        h.expect(0 < port < 65536, "first line names port %d" % port)
        topics = kcat_metadata(b.bootstrap)
        missing = [t for t in STANDARD_TOPICS if t not in topics]
        h.expect(not missing, "kcat -L does not list %s; it lists %s" % (missing, topics))


@checks.add
def kcat_and_python_kafka_produce_and_consume_through_it():
    with h.start_broker(args.binary, ["--topic", "broker-test"]) as b:
        exchange_messages(b.bootstrap, "broker-test")


@checks.add
def partitions_5_gives_every_topic_5_partitions():
    with h.start_broker(args.binary, ["--partitions", "5", "--topic", "extra-topic"]) as b:
        topics = kcat_metadata(b.bootstrap)
        problems = []
        for t in STANDARD_TOPICS + ["extra-topic"]:
            if topics.get(t) != 5:
                problems.append("kcat: %s has %s partitions" % (t, topics.get(t)))
            parts = h.topic_partitions(b.bootstrap, t)
            if parts != [0, 1, 2, 3, 4]:
                problems.append("python3-kafka: %s has partitions %s" % (t, parts))
        h.expect(not problems, "expected 5 partitions per topic:\n  " + "\n  ".join(problems))


@checks.add
def fixed_listen_port_prints_it_and_serves_kcat_and_python():
    port = h.free_port()
    with h.Broker(args.binary, ["--listen", "127.0.0.1:%d" % port]) as b:
        want = "bootstrap.servers=127.0.0.1:%d" % port
        h.expect(b.first_line == want, "first line %r, expected %r" % (b.first_line, want))
        topics = kcat_metadata(b.bootstrap)
        missing = [t for t in STANDARD_TOPICS if t not in topics]
        h.expect(not missing, "kcat -L -b %s does not list %s" % (b.bootstrap, missing))
        exchange_messages(b.bootstrap, "trades")
        expect_clean_stop(b, signal.SIGTERM)


@checks.add
def sigterm_exits_0():
    with h.start_broker(args.binary) as b:
        kcat_metadata(b.bootstrap)
        expect_clean_stop(b, signal.SIGTERM)


@checks.add
def sigint_exits_0():
    with h.start_broker(args.binary) as b:
        kcat_metadata(b.bootstrap)
        expect_clean_stop(b, signal.SIGINT)


@checks.add
def sigint_with_fixed_port_exits_0():
    port = h.free_port()
    with h.start_broker(args.binary, ["--listen", "127.0.0.1:%d" % port]) as b:
        kcat_metadata(b.bootstrap)
        expect_clean_stop(b, signal.SIGINT)


@checks.add
def taken_port_is_a_clear_error_and_nonzero_exit():
    holder = h.occupied_port()
    try:
        port = holder.getsockname()[1]
        address = "127.0.0.1:%d" % port
        p = h.run([args.binary, "broker", "--listen", address], timeout=30)
        h.expect(p.returncode != 0, "broker on taken port exited 0: " + h.describe(p))
        h.expect("bootstrap.servers=" not in p.stdout,
                 "broker on a taken port printed a bootstrap line: " + h.describe(p))
        h.expect(address in p.stderr,
                 "the error does not name %s: %s" % (address, h.describe(p)))
    finally:
        holder.close()


def main():
    global args
    args = h.parse_args(__doc__)
    return checks.run_all()


if __name__ == "__main__":
    sys.exit(main())
