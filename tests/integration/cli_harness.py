"""Small helpers for the end-to-end tests of the eodclear command line.

What the CLI tests need and nothing more: their command-line arguments, a development broker
started from the real binary on a loopback port, running the binary with a time limit, producing
and reading topics with python3-kafka (a client that is not eodclear's code), the run marker of a
business date, the record checksum of clearing.v1.EodRun, a trades CSV and the positions its
trades make, running a shared setup step once for several checks, and a runner that reports every
check and ends with the line "N passed, M failed".

Run with /usr/bin/python3: Debian's python3-kafka and python3-protobuf import there. Nothing here
uses a fixed port or path.
"""

import argparse
import collections
import os
import select
import signal
import socket
import subprocess
import sys
import time
import traceback

# Seconds any single command of a test may take before it counts as hung.
COMMAND_TIMEOUT = 60


class CheckFailed(Exception):
    """A check found the product behaving other than specified."""


def expect(condition, message):
    """Fails the current check with `message` unless `condition` holds (works under python -O)."""
    if not condition:
        raise CheckFailed(message)


# The broker start_broker starts: "dev" (eodclear's development broker) or "kafka" (a real Apache
# Kafka, real_kafka.py); set by parse_args from --broker.
BROKER = "dev"


def parse_args(description):
    """Parses --binary, --python-schemas, --refdata and --broker, and puts the schema modules on
    sys.path."""
    global BROKER
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--binary", required=True, help="the eodclear executable")
    parser.add_argument("--python-schemas", required=True,
                        help="folder of the generated Python modules (clearing/v1/*_pb2.py)")
    parser.add_argument("--refdata", required=True, help="reference data folder (products.csv)")
    parser.add_argument("--broker", choices=("dev", "kafka"), default="dev",
                        help="what start_broker starts: eodclear's development broker (default) "
                             "or a real Apache Kafka")
    args = parser.parse_args()
    BROKER = args.broker
    for name in ("binary", "python_schemas", "refdata"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    if not os.access(args.binary, os.X_OK):
        parser.error("--binary %s is not an executable file" % args.binary)
    if not os.path.isdir(os.path.join(args.python_schemas, "clearing", "v1")):
        parser.error("--python-schemas %s has no clearing/v1 modules (build target "
                     "eodclear_schemas_python)" % args.python_schemas)
    if not os.path.isfile(os.path.join(args.refdata, "products.csv")):
        parser.error("--refdata %s has no products.csv" % args.refdata)
    sys.path.insert(0, args.python_schemas)
    return args


def free_port():
    """A loopback TCP port that was free a moment ago (bound to port 0, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def occupied_port():
    """A listening loopback socket holding a port; the caller closes it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def command_text(cmd):
    return " ".join(str(c) for c in cmd)


def run(cmd, timeout=COMMAND_TIMEOUT, stdin_bytes=None, cwd=None):
    """Runs `cmd` (in `cwd`) to completion; returns a CompletedProcess with text stdout and stderr.

    Fails the check (rather than hanging) when it takes longer than `timeout` seconds.
    """
    try:
        p = subprocess.run([str(c) for c in cmd], input=stdin_bytes, capture_output=True,
                           timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise CheckFailed("`%s` did not finish in %ss; stderr: %s" %
                          (command_text(cmd), timeout, _text(e.stderr)[-2000:]))
    return subprocess.CompletedProcess(p.args, p.returncode, _text(p.stdout), _text(p.stderr))


def describe(p):
    """Command, exit code and output of a finished process, for failure messages."""
    return "`%s` exited %s\n--- stdout\n%s\n--- stderr\n%s" % (
        command_text(p.args), p.returncode, p.stdout[-3000:], p.stderr[-3000:])


def kill_and_wait(proc, timeout=10):
    """Kills `proc` (a Popen, by its own pid) if it still runs, and waits up to `timeout` seconds
    for it to exit."""
    if proc.poll() is None:
        proc.kill()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


class Broker:
    """`eodclear broker` as a child process. Use as a context manager, or call stop()/kill().

    start() returns once the first stdout line (`bootstrap.servers=HOST:PORT`) has arrived.
    """

    def __init__(self, binary, args=(), start_timeout=30):
        self.cmd = [binary, "broker"] + [str(a) for a in args]
        self.first_line = None
        self.bootstrap = None
        self.stderr_text = ""
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.first_line = self._read_first_line(start_timeout)
        except BaseException:
            self.kill()
            raise
        if self.first_line.startswith("bootstrap.servers="):
            self.bootstrap = self.first_line[len("bootstrap.servers="):]

    def _read_first_line(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed("`%s` printed no first line in %ss" %
                                  (command_text(self.cmd), timeout))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait(timeout=10)
                raise CheckFailed("`%s` exited %s before printing its first line; stderr: %s" %
                                  (command_text(self.cmd), rc, self.proc.stderr.read().decode(
                                      "utf-8", errors="replace")[-2000:]))
            buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends `sig` and returns the exit code; kills and fails if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise CheckFailed("`%s` did not exit within %ss of signal %s" %
                              (command_text(self.cmd), timeout, int(sig)))
        self.stderr_text = _text(self.proc.stderr.read())
        return rc

    def kill(self):
        kill_and_wait(self.proc)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


class RealKafkaBroker:
    """A real Apache Kafka standing in for `eodclear broker` (--broker kafka): `bootstrap`,
    stop(), kill(), and use as a context manager. Topics are created up front like the
    development broker's: eodclear's, and each `--topic`, with `--partitions` partitions."""

    def __init__(self, binary, args=()):
        import tempfile
        import real_kafka  # next to this file
        args = [str(a) for a in args]
        partitions, extra = 3, []
        for flag, value in zip(args, args[1:]):
            if flag == "--partitions":
                partitions = int(value)
            elif flag == "--topic":
                extra.append(value)
        self.dir = tempfile.mkdtemp(prefix="eodclear-e2e-kafka-")
        try:
            self.cluster = real_kafka.start(binary, self.dir, partitions=partitions,
                                            extra_topics=extra)
        except real_kafka.SetupFailed as e:
            raise CheckFailed(str(e))
        self.bootstrap = self.cluster.bootstrap
        self.first_line = "bootstrap.servers=" + self.bootstrap

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.kill()
        return 0

    def kill(self):
        import shutil
        self.cluster.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


def start_broker(binary, args=()):
    """A broker whose first line is a bootstrap address, or a failed check. With --broker kafka,
    a real Apache Kafka (RealKafkaBroker)."""
    if BROKER == "kafka":
        return RealKafkaBroker(binary, args)
    b = Broker(binary, args)
    if b.bootstrap is None:
        b.kill()
        raise CheckFailed("`%s` first line is %r, not bootstrap.servers=HOST:PORT" %
                          (command_text(b.cmd), b.first_line))
    return b


Record = collections.namedtuple("Record", "topic partition offset key value")


def _consumer(bootstrap):
    from kafka import KafkaConsumer
    config = dict(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                  request_timeout_ms=30000)
    # python3-kafka 2.0.2 has no isolation_level setting (it reads uncommitted); later versions
    # do. The development broker does not hide aborted transactions either (TOOLCHAIN.md).
    if "isolation_level" in KafkaConsumer.DEFAULT_CONFIG:
        config["isolation_level"] = "read_committed"
    return KafkaConsumer(**config)


def topic_partitions(bootstrap, topic, timeout=20):
    """The partition numbers of `topic` in the broker's metadata (empty if it does not exist)."""
    c = _consumer(bootstrap)
    try:
        deadline = time.monotonic() + timeout
        while True:
            parts = c.partitions_for_topic(topic)
            if parts or time.monotonic() > deadline:
                return sorted(parts or [])
            time.sleep(0.2)
    finally:
        c.close()


def read_topic(bootstrap, topic, timeout=60):
    """Every message of `topic` from the beginning up to the end offsets taken at the start,
    ordered by partition then offset. Uses an explicit assignment (no consumer group)."""
    from kafka import TopicPartition
    c = _consumer(bootstrap)
    try:
        parts = c.partitions_for_topic(topic)
        expect(parts, "topic %s does not exist on %s" % (topic, bootstrap))
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        ends = c.end_offsets(tps)
        out = []
        deadline = time.monotonic() + timeout
        while any(c.position(tp) < ends[tp] for tp in tps):
            expect(time.monotonic() < deadline,
                   "reading %s did not reach the end offsets %s in %ss" % (topic, ends, timeout))
            for tp, msgs in c.poll(timeout_ms=500).items():
                for m in msgs:
                    if m.offset < ends[tp] and not is_control_record(m.key, m.value):
                        out.append(Record(topic, m.partition, m.offset, m.key, m.value))
        out.sort(key=lambda r: (r.partition, r.offset))
        return out
    finally:
        c.close()


def is_control_record(key, value):
    """A Kafka transaction marker, which python3-kafka 2.0.2 returns as a record (see harness)."""
    import harness  # next to this file, like every script importing this module
    return harness.is_control_record(key, value)


def end_offsets(bootstrap, topic):
    """{partition: end offset} of `topic`."""
    from kafka import TopicPartition
    c = _consumer(bootstrap)
    try:
        parts = c.partitions_for_topic(topic)
        expect(parts, "topic %s does not exist on %s" % (topic, bootstrap))
        ends = c.end_offsets([TopicPartition(topic, p) for p in parts])
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        c.close()


def produce(bootstrap, topic, messages):
    """Produces each (key, value) (bytes) to `topic`, waiting for every acknowledgement.
    Returns the (partition, offset) the broker reported for each, in order."""
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=0,
                      max_in_flight_requests_per_connection=1)
    try:
        out = []
        for key, value in messages:
            md = p.send(topic, key=key, value=value).get(timeout=30)
            out.append((md.partition, md.offset))
        p.flush()
        return out
    finally:
        p.close()


def eod_run_of(bootstrap, business_date):
    """The run marker of `business_date` (the last eod-runs record keyed by it), as a
    clearing.v1.EodRun, with the number of markers the date has; (None, 0) if there is none."""
    from clearing.v1 import eod_run_pb2
    found, count = None, 0
    for r in read_topic(bootstrap, "eod-runs"):
        if r.key != business_date.encode():
            continue
        run = eod_run_pb2.EodRun()
        run.ParseFromString(r.value)
        found, count = run, count + 1
    return found, count


# One row of a trades CSV: the trade as written (`contract` may be an alias) and `canonical`, the
# contract as positions name it (EMDU23 -> MEU23), worked out by the test.
CsvTrade = collections.namedtuple(
    "CsvTrade", "trade_id exec_time contract canonical price quantity "
    "buyer_firm buyer_account seller_firm seller_account")


def write_trades_csv(path, business_date, trades):
    """Writes a trades CSV, header row first, of `trades` (CsvTrade), every one dated
    `business_date` (written by harness.write_trades_csv, the suite's one trades CSV writer)."""
    import harness  # next to this file, like every script importing this module
    harness.write_trades_csv(path, ([t.trade_id, business_date, t.exec_time, t.contract, t.price,
                                     t.quantity, t.buyer_firm, t.buyer_account, t.seller_firm,
                                     t.seller_account] for t in trades))


def positions_of(trades):
    """{(firm, account, canonical contract): (net, bought, sold)} of `trades` (CsvTrade), each
    applied once: the buyer's net and bought grow by the quantity, the seller's sold grows and
    net shrinks by it."""
    book = collections.defaultdict(lambda: [0, 0, 0])  # net, bought, sold
    for t in trades:
        buy = book[(t.buyer_firm, t.buyer_account, t.canonical)]
        buy[0] += t.quantity
        buy[1] += t.quantity
        sell = book[(t.seller_firm, t.seller_account, t.canonical)]
        sell[0] -= t.quantity
        sell[2] += t.quantity
    return {k: tuple(v) for k, v in book.items()}


def once(state, key, what, build):
    """The result of `build()`, run on the first call only and kept in state[key], for a setup
    step (a run, a scenario) several checks share. When that first call raises, the error is
    re-raised, and every later call fails at once with "<what> failed earlier: <error>"."""
    error_key = key + "_error"
    if error_key in state:
        raise CheckFailed("%s failed earlier: %s" % (what, state[error_key]))
    if key not in state:
        try:
            state[key] = build()
        except Exception as e:
            state[error_key] = str(e)
            raise
    return state[key]


def record_checksum(values):
    """clearing.v1.EodRun.TopicSummary.checksum of record values (harness.record_checksum)."""
    import harness  # next to this file, like every script importing this module
    return harness.record_checksum(values)


class Checks:
    """Named checks run in order; each failure is reported with its reason, and the others still
    run. finish() prints "N passed, M failed" and exits 0 only when none failed."""

    def __init__(self):
        self._checks = []

    def add(self, fn):
        self._checks.append(fn)
        return fn

    def run_all(self):
        passed, failed = 0, []
        for fn in self._checks:
            name = fn.__name__
            started = time.monotonic()
            print("RUN  %s" % name, flush=True)
            try:
                fn()
            except CheckFailed as e:
                failed.append(name)
                print("FAIL %s (%.1fs): %s" % (name, time.monotonic() - started, e), flush=True)
            except Exception:  # a broken test or an unexpected error: report, carry on
                failed.append(name)
                print("FAIL %s (%.1fs): unexpected error\n%s" %
                      (name, time.monotonic() - started, traceback.format_exc()), flush=True)
            else:
                passed += 1
                print("PASS %s (%.1fs)" % (name, time.monotonic() - started), flush=True)
        if failed:
            print("failed: %s" % ", ".join(failed))
        print("%d passed, %d failed" % (passed, len(failed)), flush=True)
        return 0 if not failed else 1
