"""Shared helpers for eodclear's end-to-end tests.

The scripts in this folder drive the real `eodclear` binary and its development broker over
loopback, and check what it published with a consumer that is not eodclear's code (python3-kafka)
and the generated Python schema modules. ctest runs each script as

    /usr/bin/python3 tests/integration/<script> --binary <eodclear> \
        --python-schemas <build>/schemas/python --refdata tests/testdata/e2e/refdata

and a script passes when it exits 0. Every script ends by printing exactly one line
"N passed, M failed" (see `Checks`).

Typical use:

    import harness

    def main(env: harness.Env, checks: harness.Checks) -> None:
        with harness.Session(env) as s:
            bootstrap = s.start_broker(partitions=3)
            csv = s.path("trades.csv")
            harness.write_trades_csv(csv, trades)
            s.load(bootstrap, "trades", csv)
            r = s.run_eodclear(["run", "--date", "2023-06-16", "--brokers", bootstrap,
                                "--state", s.path("state"), "--refdata", env.refdata])
            checks.check(r.returncode == 0, "run exits 0", r.describe())
            with harness.TopicReader(bootstrap) as reader:
                published = harness.read_published_run(reader, env.pb, "2023-06-16")
            ...

    if __name__ == "__main__":
        harness.main(main, __doc__)

Guarantees the helpers keep: no fixed ports (the broker listens on port 0) and no fixed paths
(everything lives in a `tempfile` folder removed at the end); every child process is killed when
the `Session` ends, and also when the test script itself dies (PR_SET_PDEATHSIG).

Reading topics: `TopicReader` assigns every partition explicitly, seeks to the beginning and
reads up to the end offsets taken when the read starts. python3-kafka 2.0.2 (Debian bookworm)
has no `isolation_level` setting and reads uncommitted; the reader asks for read_committed when
the installed version supports it. On the development broker this makes no difference: it does not
hide aborted or open transactions either (TOOLCHAIN.md), which is why the checks select output
records by the run id of the date's `eod-runs` record, as downstream consumers must. python3-kafka
2.0.2 also returns transaction control records (commit/abort markers) as ordinary records; the
reader drops them (see `is_control_record`).

Embedded runs (`eodclear run --embedded`: an in-process broker, outputs written as JSON-lines
files): `run_embedded` writes an input folder and runs it; its `RunOutputs` reads the output files
and selects the records the same way, by the run id of the date's eod-runs record.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import dataclasses
import datetime
import decimal
import hashlib
import importlib
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Callable, Iterable, Optional

# --------------------------------------------------------------------------------------------------
# Command line, schemas and the pass/fail tally
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Schemas:
    """The generated clearing.v1 message classes."""

    Trade: type
    Position: type
    DeadLetter: type
    EodRun: type
    # clearing.v1 settlement outputs (schemas/clearing/v1/settlement.proto).
    SettlementPrice: Optional[type] = None
    VariationMargin: Optional[type] = None
    FinalSettlement: Optional[type] = None
    # clearing.v1 offsetting and position-limit outputs (schemas/clearing/v1/limits.proto).
    Offset: Optional[type] = None
    PositionLimitFinding: Optional[type] = None
    LargeTraderReport: Optional[type] = None


@dataclasses.dataclass
class Env:
    """What ctest passes to every script."""

    binary: str  # path of the eodclear binary
    python_schemas: str  # <build>/schemas/python
    refdata: str  # folder holding products.csv
    pb: Schemas  # the generated message classes, imported from python_schemas
    broker: str = "dev"  # "dev": eodclear's development broker; "kafka": a real Apache Kafka


def load_schemas(python_schemas: str) -> Schemas:
    """Imports clearing.v1 from the generated modules in `python_schemas`."""
    if python_schemas not in sys.path:
        sys.path.insert(0, python_schemas)
    trade = importlib.import_module("clearing.v1.trade_pb2")
    position = importlib.import_module("clearing.v1.position_pb2")
    dead_letter = importlib.import_module("clearing.v1.dead_letter_pb2")
    eod_run = importlib.import_module("clearing.v1.eod_run_pb2")
    settlement = importlib.import_module("clearing.v1.settlement_pb2")
    limits = importlib.import_module("clearing.v1.limits_pb2")
    return Schemas(Trade=trade.Trade, Position=position.Position,
                   DeadLetter=dead_letter.DeadLetter, EodRun=eod_run.EodRun,
                   SettlementPrice=settlement.SettlementPrice,
                   VariationMargin=settlement.VariationMargin,
                   FinalSettlement=settlement.FinalSettlement,
                   Offset=limits.Offset, PositionLimitFinding=limits.PositionLimitFinding,
                   LargeTraderReport=limits.LargeTraderReport)


def parse_env(description: Optional[str] = None, argv: Optional[list] = None) -> Env:
    """Parses --binary, --python-schemas and --refdata, checks they exist, imports the schemas."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--binary", required=True, help="the eodclear binary")
    parser.add_argument("--python-schemas", required=True, help="<build>/schemas/python")
    parser.add_argument("--refdata", required=True, help="folder with products.csv")
    parser.add_argument("--broker", choices=("dev", "kafka"), default="dev",
                        help="the broker every start_broker starts: eodclear's development "
                             "broker (default) or a real Apache Kafka (real_kafka.py)")
    args = parser.parse_args(argv)
    for what, path in (("--binary", args.binary), ("--python-schemas", args.python_schemas),
                       ("--refdata", os.path.join(args.refdata, "products.csv"))):
        if not os.path.exists(path):
            parser.error(f"{what}: {path} does not exist")
    return Env(binary=os.path.abspath(args.binary),
               python_schemas=os.path.abspath(args.python_schemas),
               refdata=os.path.abspath(args.refdata), pb=load_schemas(args.python_schemas),
               broker=args.broker)


class Checks:
    """Counts named checks. A failed check prints why and the script goes on, so one run reports
    every failure; `main` turns the tally into the exit code and the final "N passed, M failed"."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.failures: list[str] = []

    def check(self, condition: bool, name: str, detail: str = "") -> bool:
        """Records one check. `detail` (expected vs actual) is printed only when it fails."""
        if condition:
            self.passed += 1
            print(f"ok: {name}", flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL: {name}" + (f"\n  {detail}" if detail else ""), flush=True)
        return bool(condition)

    def equal(self, actual, expected, name: str) -> bool:
        """Checks actual == expected and prints both when they differ."""
        return self.check(actual == expected, name,
                          f"expected: {expected!r}\n  actual:   {actual!r}")

    def require(self, condition: bool, name: str, detail: str = "") -> None:
        """Like `check`, but stops the script (via `SetupError`) when it fails: for preconditions
        the later checks depend on."""
        if not self.check(condition, name, detail):
            raise SetupError(name)


def seeded_random() -> random.Random:
    """A random generator seeded from EODCLEAR_E2E_SEED, or from a fresh seed; the seed is printed
    so that a failing scenario can be replayed."""
    seed = int(os.environ.get("EODCLEAR_E2E_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (EODCLEAR_E2E_SEED={seed} replays this run)", flush=True)
    return random.Random(seed)


class SetupError(Exception):
    """A required check failed; the script stops and reports the tally so far."""


def main(body: Callable[[Env, Checks], None], description: Optional[str] = None) -> None:
    """Runs `body(env, checks)`, prints the final "N passed, M failed" line and exits 0 only when
    nothing failed. An unexpected exception counts as one failed check."""
    env = parse_env(description)
    checks = Checks()
    started = time.monotonic()
    try:
        body(env, checks)
    except SetupError as e:
        print(f"stopped: required check failed: {e}", flush=True)
    except Exception:  # noqa: BLE001 - reported as a failure, never swallowed
        traceback.print_exc()
        checks.check(False, "script ran to the end without an unexpected error")
    print(f"finished in {time.monotonic() - started:.1f} s", flush=True)
    if checks.failures:
        print("failed checks:\n  " + "\n  ".join(checks.failures), flush=True)
    print(f"{checks.passed} passed, {checks.failed} failed", flush=True)
    sys.exit(0 if checks.failed == 0 else 1)


# --------------------------------------------------------------------------------------------------
# Processes: the broker and eodclear commands
# --------------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up once, before any fork
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL if this script dies first (Linux). Only calls the
    already resolved prctl, so it is safe between fork and exec."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


@dataclasses.dataclass
class Completed:
    """A finished command: exit code (negative: killed by that signal), output and wall time."""

    args: list
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self, tail_lines: int = 15) -> str:
        """The command, its exit code and the last lines of its output, for failure messages."""
        err = "\n    ".join(self.stderr.strip().splitlines()[-tail_lines:])
        out = "\n    ".join(self.stdout.strip().splitlines()[-tail_lines:])
        return (f"command: {' '.join(map(str, self.args))}\n  exit code: {self.returncode}"
                f"\n  stdout:\n    {out}\n  stderr (last {tail_lines} lines):\n    {err}")


class StreamingProcess:
    """A child whose stdout and stderr lines are read as they come (by two threads), so a test
    can act on a progress line, e.g. kill the process at a chosen point."""

    def __init__(self, args: list, cwd: Optional[str] = None,
                 kill_when: Optional[Callable[[str], object]] = None,
                 env: Optional[dict] = None) -> None:
        """Starts `args`. `kill_when(line)`, if given, is called on each stderr line as soon as
        it is read, on the reading thread, until it first returns something other than False or
        None: True sends SIGKILL at once (no hand-over to another thread); a number of seconds
        sends it that much later, if the child still runs then. `killed_at` tells which line
        (and delay) the kill followed; it stays None if no kill was sent. `env`: variables set
        for the child on top of this process's environment."""
        self.args = [str(a) for a in args]
        self.killed_at: Optional[str] = None
        self._kill_timer: Optional[threading.Timer] = None
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.args, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1, preexec_fn=_die_with_parent,
                                     env=_child_env(env))
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._stderr_queue: "queue.Queue[Optional[str]]" = queue.Queue()
        self._threads = [
            threading.Thread(target=self._pump,
                             args=(self.proc.stdout, self.stdout_lines, None, None), daemon=True),
            threading.Thread(target=self._pump,
                             args=(self.proc.stderr, self.stderr_lines, self._stderr_queue,
                                   kill_when), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, lines: list, q: Optional[queue.Queue],
              kill_when: Optional[Callable[[str], object]]) -> None:
        for line in stream:
            line = line.rstrip("\n")
            lines.append(line)
            if kill_when is not None:
                verdict = kill_when(line)
                if verdict is True:
                    self.kill(signal.SIGKILL)
                    self.killed_at = line
                    kill_when = None
                elif verdict is not False and verdict is not None:
                    self._kill_timer = threading.Timer(float(verdict), self._delayed_kill,
                                                       args=(line, float(verdict)))
                    self._kill_timer.start()
                    kill_when = None
            if q is not None:
                q.put(line)
        if q is not None:
            q.put(None)  # end of stream

    def _delayed_kill(self, line: str, delay: float) -> None:
        if self.proc.poll() is None:
            self.kill(signal.SIGKILL)
            self.killed_at = f"{line} (+{delay:.2f} s)"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def next_stderr_line(self, timeout: float) -> Optional[str]:
        """The next stderr line; None once stderr has closed (the process ended). Raises
        TimeoutError when no line comes within `timeout` seconds."""
        try:
            return self._stderr_queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no stderr line from {self.args[:2]} in {timeout} s") from None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to this child (by its pid) if it still runs."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> Completed:
        """Waits for the exit and the end of both streams; kills the child after `timeout` s."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait()
        if self._kill_timer is not None:
            self._kill_timer.cancel()
        for t in self._threads:
            t.join(timeout=10)
        return Completed(self.args, self.proc.returncode, "\n".join(self.stdout_lines),
                         "\n".join(self.stderr_lines), time.monotonic() - self.started)


def _child_env(extra: Optional[dict]) -> Optional[dict]:
    """This process's environment with `extra` on top (None: inherit it unchanged)."""
    if not extra:
        return None
    merged = dict(os.environ)
    merged.update({k: str(v) for k, v in extra.items()})
    return merged


class ControlledBroker:
    """A development broker started with `--control` (Session.start_broker(control=True)): its
    bootstrap servers, and `command` to inject a fault while clients run (see README, "The
    development broker"; pipeline/kafka/broker_control.h)."""

    def __init__(self, proc: subprocess.Popen, bootstrap: str, replies: "queue.Queue[str]") -> None:
        self.proc = proc
        self.bootstrap = bootstrap
        self._replies = replies
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return self.bootstrap

    def command(self, line: str, timeout: float = 10, expect_ok: bool = True) -> str:
        """Sends one command line and returns the broker's one-line answer ("ok ..." or
        "error ..."). Raises RuntimeError when no answer comes in `timeout` s, or when the answer
        is an error and `expect_ok`."""
        with self._lock:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker command {line!r}: the broker has exited "
                                   f"({self.proc.returncode})")
            self.proc.stdin.write(line.rstrip("\n") + "\n")
            self.proc.stdin.flush()
            try:
                reply = self._replies.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(f"broker command {line!r}: no answer in {timeout} s") from None
        print(f"  broker> {line}  ->  {reply}", flush=True)
        if expect_ok and not reply.startswith("ok"):
            raise RuntimeError(f"broker command {line!r} failed: {reply}")
        return reply


class Session:
    """A test's temporary folder, development broker(s) and child processes. Use as a context
    manager: on exit every broker and child still running is stopped, by its own pid, and the
    folder is removed (kept when EODCLEAR_E2E_KEEP=1, for debugging)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.dir = tempfile.mkdtemp(prefix="eodclear-e2e-")
        self._children: list[subprocess.Popen] = []
        self._streaming: list[StreamingProcess] = []
        self._clusters: list = []  # real Kafka clusters (real_kafka.py), stopped at the end

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for sp in self._streaming:
            sp.kill()
            try:
                sp.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for p in self._children:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for cluster in self._clusters:
            cluster.stop()
        if os.environ.get("EODCLEAR_E2E_KEEP") == "1":
            print(f"kept {self.dir}", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts: str) -> str:
        """A path inside the session's temporary folder."""
        return os.path.join(self.dir, *parts)

    def start_broker(self, partitions: int = 3, timeout: float = 30, control: bool = False,
                     cluster_size: int = 1):
        """Starts `eodclear broker --listen 127.0.0.1:0 --partitions N` and returns its
        bootstrap servers ("HOST:PORT", or "HOST:PORT,HOST:PORT,..." with a `cluster_size` above
        1: one address per broker) from the first stdout line, which must be exactly
        `bootstrap.servers=<that>`. With `control`, the broker also reads fault commands
        (`--control`) and a `ControlledBroker` is returned instead: its `bootstrap`, and
        `command(line)` to send one. The broker's stderr goes to broker-<n>.stderr in the session
        folder; it is stopped (SIGTERM) when the session ends.

        With `--broker kafka` a real Apache Kafka of `cluster_size` nodes is started instead, with
        eodclear's topics of `partitions` partitions (real_kafka.py); fault control then needs
        the development broker and stops the script."""
        if self.env.broker == "kafka":
            if control:
                raise SetupError("fault commands (control=True) need the development broker")
            return self.start_kafka(partitions=partitions, nodes=cluster_size).bootstrap
        args = [self.env.binary, "broker", "--listen", "127.0.0.1:0", "--partitions",
                str(partitions)]
        if cluster_size != 1:
            args += ["--cluster-size", str(cluster_size)]
        if control:
            args.append("--control")
        log = open(self.path(f"broker-{len(self._children)}.stderr"), "w")
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if control else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1,
                                preexec_fn=_die_with_parent)
        log.close()
        self._children.append(proc)
        lines: "queue.Queue[str]" = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the broker printed no bootstrap line in {timeout} s") from None
        address = r"[0-9A-Za-z.\-]+:\d+"
        m = re.fullmatch(rf"bootstrap\.servers=({address}(?:,{address})*)", first)
        if not m:
            raise RuntimeError(f"the broker's first stdout line is {first!r}, expected "
                               f"'bootstrap.servers=HOST:PORT' (exit code {proc.poll()})")
        if control:
            return ControlledBroker(proc, m.group(1), lines)
        return m.group(1)

    def start_kafka(self, partitions: int = 3, nodes: int = 1, properties: Optional[dict] = None,
                    extra_topics: Iterable = ()):
        """A real Apache Kafka (KRaft) of `nodes` nodes in the session folder, with eodclear's
        topics created (real_kafka.start); a kafka_local.Cluster, stopped when the session ends.
        For tests of what only a real broker shows, whatever --broker says."""
        import real_kafka  # next to this file
        cluster = real_kafka.start(self.env.binary, self.path(f"kafka-{len(self._clusters)}"),
                                   partitions=partitions, nodes=nodes, properties=properties,
                                   extra_topics=extra_topics)
        self._clusters.append(cluster)
        return cluster

    def run_eodclear(self, args: list, timeout: float = 120,
                     env: Optional[dict] = None) -> Completed:
        """Runs `eodclear <args...>` to completion (killed after `timeout` s) and prints a one-line
        summary of it. `env`: variables set for it on top of this process's environment (e.g.
        {"EODCLEAR_CRASH_AT": "publish:before-commit"}, pipeline/crash_point.h)."""
        cmd = [self.env.binary] + [str(a) for a in args]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent,
                                env=_child_env(env))
        self._children.append(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\n[harness: killed after {timeout} s]"
        done = Completed(cmd, proc.returncode, out, err, time.monotonic() - started)
        self._children.remove(proc)
        print(f"  $ eodclear {' '.join(map(str, args[:3]))} ... -> exit {done.returncode} "
              f"in {done.seconds:.1f} s", flush=True)
        return done

    def start_eodclear(self, args: list,
                       kill_when: Optional[Callable[[str], object]] = None,
                       env: Optional[dict] = None) -> StreamingProcess:
        """Starts `eodclear <args...>` with its output streamed line by line (see
        StreamingProcess, also for `kill_when` and `env`); it is killed when the session ends if
        still running."""
        sp = StreamingProcess([self.env.binary] + [str(a) for a in args], kill_when=kill_when,
                              env=env)
        self._streaming.append(sp)
        return sp

    def load(self, bootstrap: str, topic: str, csv_path: str, timeout: float = 120) -> Completed:
        """`eodclear load` of a CSV file into `topic`; raises SetupError unless it exits 0."""
        r = self.run_eodclear(["load", "--brokers", bootstrap, "--topic", topic, "--file",
                               csv_path, "--refdata", self.env.refdata], timeout=timeout)
        if r.returncode != 0:
            print(r.describe(), flush=True)
            raise SetupError(f"eodclear load of {os.path.basename(csv_path)} into {topic}")
        return r

    def run_date(self, bootstrap: str, date: str, state_dir: str, extra: Iterable = (),
                 timeout: float = 120, env: Optional[dict] = None) -> Completed:
        """`eodclear run --date D --brokers B --state DIR --refdata <env.refdata> [extra...]`."""
        return self.run_eodclear(["run", "--date", date, "--brokers", bootstrap, "--state",
                                  state_dir, "--refdata", self.env.refdata, *extra],
                                 timeout=timeout, env=env)

    def run_date_args(self, bootstrap: str, date: str, state_dir: str,
                      extra: Iterable = ()) -> list:
        """The arguments of `run_date`, for start_eodclear."""
        return ["run", "--date", date, "--brokers", bootstrap, "--state", state_dir,
                "--refdata", self.env.refdata, *extra]


# --------------------------------------------------------------------------------------------------
# Reading topics with python3-kafka
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: Optional[bytes]  # None: a tombstone (a correction's retraction of a key)


@dataclasses.dataclass
class TopicContents:
    """Every record of a topic between the low and high watermarks taken when the read started."""

    topic: str
    records: list  # of Record, in partition then offset order
    low: dict  # partition -> low watermark (first offset still on the broker)
    high: dict  # partition -> high watermark (next offset to be written)
    control_records: int = 0  # transaction markers skipped

    def lost_by_retention(self) -> dict:
        """partition -> low watermark, for partitions whose first offsets are gone."""
        return {p: w for p, w in self.low.items() if w > 0}

    def total_offsets(self) -> int:
        return sum(self.high[p] - self.low[p] for p in self.high)


def is_control_record(key: Optional[bytes], value: Optional[bytes]) -> bool:
    """A Kafka transaction marker: key = version int16 0 + type int16 (0 abort, 1 commit), value =
    version int16 + coordinator epoch int32. No eodclear record has a 4-byte binary key: keys are
    text (contracts, dates, "date|firm|account|contract", "topic|partition|offset")."""
    return (key is not None and len(key) == 4 and key[:3] == b"\x00\x00\x00"
            and key[3] in (0, 1) and value is not None and len(value) == 6)


class TopicReader:
    """Reads whole topics with python3-kafka: no consumer group, no committed offsets; each read
    assigns every partition, seeks to the beginning and stops at the end offsets taken at its
    start (never "until quiet")."""

    def __init__(self, bootstrap: str, timeout: float = 60) -> None:
        import kafka  # Debian python3-kafka; imported here so --help works without it

        self._kafka = kafka
        self.timeout = timeout
        config = dict(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024,
                      fetch_max_bytes=32 * 1024 * 1024, request_timeout_ms=30000)
        if "isolation_level" in kafka.KafkaConsumer.DEFAULT_CONFIG:
            config["isolation_level"] = "read_committed"
        self.read_committed = "isolation_level" in config
        self.consumer = kafka.KafkaConsumer(**config)

    def __enter__(self) -> "TopicReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.consumer.close()

    def partitions(self, topic: str) -> list:
        """The topic's partitions, waiting for metadata up to the reader's timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            self.consumer.topics()  # refreshes metadata
            parts = self.consumer.partitions_for_topic(topic)
            if parts:
                return sorted(parts)
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {topic} has no partitions in the broker's metadata")
            time.sleep(0.2)

    def watermarks(self, topic: str) -> tuple:
        """(low, high): partition -> offset, without reading records."""
        tps = [self._kafka.TopicPartition(topic, p) for p in self.partitions(topic)]
        low = self.consumer.beginning_offsets(tps)
        high = self.consumer.end_offsets(tps)
        return ({tp.partition: low[tp] for tp in tps}, {tp.partition: high[tp] for tp in tps})

    def read(self, topic: str) -> TopicContents:
        """Every record of `topic` up to the end offsets taken now."""
        TopicPartition = self._kafka.TopicPartition
        tps = [TopicPartition(topic, p) for p in self.partitions(topic)]
        low = self.consumer.beginning_offsets(tps)
        high = self.consumer.end_offsets(tps)
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        by_partition = {tp.partition: [] for tp in tps}
        control = 0
        pending = {tp for tp in tps if high[tp] > low[tp]}
        deadline = time.monotonic() + self.timeout
        while pending:
            if time.monotonic() > deadline:
                where = ", ".join(f"{tp.topic}[{tp.partition}]@{self.consumer.position(tp)}"
                                  f"<{high[tp]}" for tp in sorted(pending))
                raise RuntimeError(f"reading {topic} did not reach the end offsets in "
                                   f"{self.timeout} s: {where}")
            batch = self.consumer.poll(timeout_ms=500, max_records=100000)
            for tp, msgs in batch.items():
                for m in msgs:
                    if m.offset >= high[tp]:
                        continue
                    if is_control_record(m.key, m.value):
                        control += 1
                        continue
                    by_partition[tp.partition].append(
                        Record(topic, tp.partition, m.offset, m.key or b"", m.value))
            for tp in list(pending):
                if self.consumer.position(tp) >= high[tp]:
                    pending.discard(tp)
        self.consumer.assign([])
        records = [r for p in sorted(by_partition) for r in by_partition[p]]
        return TopicContents(topic, records, {tp.partition: low[tp] for tp in tps},
                             {tp.partition: high[tp] for tp in tps}, control)


def decode(message_class: type, record: Record):
    """The record's value parsed as `message_class`; raises ValueError naming the record."""
    msg = message_class()
    try:
        msg.ParseFromString(record.value)
    except Exception as e:  # noqa: BLE001 - protobuf raises DecodeError, re-raised with context
        raise ValueError(f"{record.topic}[{record.partition}]@{record.offset} is not a "
                         f"{message_class.DESCRIPTOR.full_name}: {e}") from e
    return msg


# --------------------------------------------------------------------------------------------------
# Published runs: the date's eod-runs record and the output records carrying its run id
# --------------------------------------------------------------------------------------------------


def record_checksum(values: Iterable[bytes]) -> str:
    """EodRun.TopicSummary.checksum: sum modulo 2^64 of the first 8 bytes (big-endian) of SHA-256
    of each record's value, as 16 lower-case hex digits."""
    total = 0
    for v in values:
        total += int.from_bytes(hashlib.sha256(v).digest()[:8], "big")
    return f"{total % (1 << 64):016x}"


@dataclasses.dataclass
class PublishedRun:
    """What one business date's publish left on the output topics."""

    date: str
    runs: list  # every EodRun for the date on `eod-runs`, in offset order (one, if all is well)
    run_records: list  # the matching eod-runs Records
    positions: list  # (Record, Position) carrying the run id of runs[-1]
    dead_letters: list  # (Record, DeadLetter) carrying the run id of runs[-1]
    other_positions: int  # positions records of the date from other run ids (failed attempts)
    other_dead_letters: int
    topics: dict  # topic name -> TopicContents as read
    # Further output topics read on request (read_published_run's `extra_topics`): topic name ->
    # [(Record, message)] of the date carrying the run id of runs[-1].
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def run(self):
        """The date's EodRun (the last one if there are several), or None."""
        return self.runs[-1] if self.runs else None


def settlement_topics(pb: Schemas) -> dict:
    """The settlement stage's output topics -> their message classes, for `extra_topics`."""
    return {"settlement-prices": pb.SettlementPrice, "variation-margin": pb.VariationMargin,
            "final-settlements": pb.FinalSettlement}


def limits_topics(pb: Schemas) -> dict:
    """The offsetting and position-limits stages' output topics -> their message classes, for
    `extra_topics` (schemas/clearing/v1/limits.proto; docs/offsetting-and-limits.md)."""
    return {"offsets": pb.Offset, "position-limit-findings": pb.PositionLimitFinding,
            "large-trader-reports": pb.LargeTraderReport}


def output_topics(pb: Schemas) -> dict:
    """Every output topic a run summarises in its eod-runs record besides positions and
    dead-letters: the settlement topics and the offsetting/position-limits topics."""
    return {**settlement_topics(pb), **limits_topics(pb)}


def _values(records: Iterable) -> list:
    """The records that are not tombstones (a correction retracts keys with null values)."""
    return [r for r in records if r.value is not None]


def read_published_run(reader: TopicReader, pb: Schemas, date: str,
                       positions_topic: str = "positions",
                       dead_letters_topic: str = "dead-letters",
                       eod_runs_topic: str = "eod-runs",
                       extra_topics: Optional[dict] = None) -> PublishedRun:
    """Reads the three output topics and selects the date's run marker and its records; also
    reads each topic of `extra_topics` (topic -> message class with business_date and run_id
    fields, e.g. `settlement_topics(pb)`) into `PublishedRun.extra`, selected the same way."""
    topics = {t: reader.read(t) for t in (eod_runs_topic, positions_topic, dead_letters_topic,
                                          *(extra_topics or {}))}
    run_records = [r for r in topics[eod_runs_topic].records if r.key == date.encode()]
    runs = [decode(pb.EodRun, r) for r in run_records]
    run_id = runs[-1].run_id if runs else None
    positions, dead_letters = [], []
    other_positions = other_dead_letters = 0
    for r in _values(topics[positions_topic].records):
        p = decode(pb.Position, r)
        if p.business_date != date:
            continue
        if p.run_id == run_id:
            positions.append((r, p))
        else:
            other_positions += 1
    for r in _values(topics[dead_letters_topic].records):
        d = decode(pb.DeadLetter, r)
        if d.business_date != date:
            continue
        if d.run_id == run_id:
            dead_letters.append((r, d))
        else:
            other_dead_letters += 1
    extra = {}
    for topic, message_class in (extra_topics or {}).items():
        extra[topic] = []
        for r in _values(topics[topic].records):
            m = decode(message_class, r)
            if m.business_date == date and m.run_id == run_id:
                extra[topic].append((r, m))
    return PublishedRun(date, runs, run_records, positions, dead_letters, other_positions,
                        other_dead_letters, topics, extra=extra)


def check_run_summaries(checks: Checks, published: PublishedRun,
                        positions_topic: str = "positions",
                        dead_letters_topic: str = "dead-letters") -> None:
    """Checks the date's EodRun against its records: for each output topic (positions, dead
    letters, and the topics read into `published.extra`), `records` equals the number of records
    carrying the run id and `checksum` equals their checksum; and no output record carrying the
    run id appears twice (same key)."""
    run = published.run
    if not checks.check(run is not None, f"{published.date}: an eod-runs record exists"):
        return
    summaries = {t.topic: t for t in run.topics}
    for topic, rows in ((positions_topic, published.positions),
                        (dead_letters_topic, published.dead_letters),
                        *published.extra.items()):
        s = summaries.get(topic)
        if not checks.check(s is not None, f"{published.date}: eod-runs names topic {topic}",
                            f"topics in the record: {sorted(summaries)}"):
            continue
        checks.equal(len(rows), s.records,
                     f"{published.date}: {topic} records of run {run.run_id} == eod-runs count")
        checks.equal(record_checksum(r.value for r, _ in rows), s.checksum,
                     f"{published.date}: {topic} checksum of run {run.run_id} == eod-runs "
                     "checksum")
        dupes = [k for k, n in collections.Counter(r.key for r, _ in rows).items() if n > 1]
        checks.check(not dupes, f"{published.date}: no {topic} record of the run appears twice",
                     f"{len(dupes)} keys appear more than once, e.g. {dupes[:3]}")


def check_summary_topics(checks: Checks, published: PublishedRun, expected: Iterable) -> None:
    """The date's EodRun has exactly one topic summary for each topic of `expected`, and no
    other."""
    run = published.run
    if run is None:
        return
    names = [t.topic for t in run.topics]
    checks.equal(sorted(names), sorted(expected),
                 f"{published.date}: eod-runs summarises exactly the output topics, once each")


def check_position_keys(checks: Checks, published: PublishedRun) -> None:
    """Each positions record is keyed "business_date|firm|account|contract" by its own fields."""
    bad = [(r.key, p.firm, p.account, p.contract) for r, p in published.positions
           if r.key != f"{p.business_date}|{p.firm}|{p.account}|{p.contract}".encode()]
    checks.check(not bad, f"{published.date}: positions keys are business_date|firm|account|"
                 "contract", f"{len(bad)} records keyed otherwise, e.g. {bad[:3]}")


def positions_by_key(published: PublishedRun) -> dict:
    """(firm, account, contract) -> (quantity, bought, sold) of the run's positions records."""
    return {(p.firm, p.account, p.contract): (p.quantity, p.bought, p.sold)
            for _, p in published.positions}


def compare_positions(checks: Checks, actual: dict, expected: dict, name: str) -> bool:
    """Checks two (firm, account, contract) -> (net, bought, sold) maps are equal, and prints a
    few of the differences when they are not."""
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differ = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    detail = (f"{len(expected)} expected, {len(actual)} published; {len(missing)} missing "
              f"(e.g. {[(k, expected[k]) for k in missing[:3]]}); {len(extra)} unexpected (e.g. "
              f"{[(k, actual[k]) for k in extra[:3]]}); {len(differ)} differ (e.g. "
              f"{[(k, 'expected', expected[k], 'actual', actual[k]) for k in differ[:3]]}); "
              "values are (net, bought, sold)")
    return checks.check(not missing and not extra and not differ, name, detail)


# --------------------------------------------------------------------------------------------------
# Trades: reference data, random valid trades, CSV files, positions computed independently
# --------------------------------------------------------------------------------------------------

TRADE_HEADER = ["trade_id", "trade_date", "exec_time", "contract", "price", "quantity",
                "buyer_firm", "buyer_account", "seller_firm", "seller_account"]
# Header lines (newline included) of the other input CSVs, as `eodclear load` and the --embedded
# input folder read them.
QUOTES_HEADER = "contract,time,bid,bid_size,ask,ask_size\n"
REFERENCE_HEADER = "name,date,kind,value,published_at\n"
OVERRIDES_HEADER = "business_date,contract,kind,price,reason,entered_by\n"


@dataclasses.dataclass(frozen=True)
class Product:
    code: str
    aliases: tuple
    tick: decimal.Decimal


def load_products(refdata_dir: str) -> dict:
    """code -> Product from products.csv (columns code,aliases,...,tick,...; aliases separated by
    '|'; lines starting with '#' are comments). Read here, not through eodclear."""
    import csv

    products = {}
    with open(os.path.join(refdata_dir, "products.csv"), newline="") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        header = next(rows)
        col = {name: i for i, name in enumerate(header)}
        for row in rows:
            if not row:
                continue
            aliases = tuple(a for a in row[col["aliases"]].split("|") if a)
            products[row[col["code"]]] = Product(row[col["code"]], aliases,
                                                 decimal.Decimal(row[col["tick"]]))
    return products


def canonical_contract(symbol: str, products: dict) -> str:
    """"EMDM23" -> "MEM23": the product part (all but the month code and two-digit year) mapped
    from an alias to its product's code."""
    product, month = symbol[:-3], symbol[-3:]
    for p in products.values():
        if product == p.code or product in p.aliases:
            return p.code + month
    raise ValueError(f"{symbol}: product {product} is not in the reference data")


# Rough price levels (in each product's quote unit) so generated prices look plausible.
_PRICE_LEVELS = {"ES": "4400", "MES": "4400", "NQ": "15000", "ME": "2550", "RTY": "1850",
                 "YM": "34000", "CNH": "7.15", "MNH": "7.15", "MEE": "1650", "LIY": "98.5"}


@dataclasses.dataclass(frozen=True)
class TradeRow:
    """One row of a trades CSV (fields as eodclear load reads them)."""

    trade_id: str
    trade_date: str
    exec_time: str
    contract: str
    price: str
    quantity: int
    buyer_firm: str
    buyer_account: str
    seller_firm: str
    seller_account: str

    def fields(self) -> list:
        return [self.trade_id, self.trade_date, self.exec_time, self.contract, self.price,
                str(self.quantity), self.buyer_firm, self.buyer_account, self.seller_firm,
                self.seller_account]


def accounts(firms: int, per_firm: int) -> list:
    """[(firm, account)]: firms "F01".., accounts "F01-A001".. (accounts unique across firms)."""
    return [(f"F{f:02d}", f"F{f:02d}-A{a:03d}") for f in range(1, firms + 1)
            for a in range(1, per_firm + 1)]


def random_price(rng: random.Random, product: Product, spread_ticks: int = 2000) -> str:
    """A positive price on the product's tick near its usual level, as an exact decimal."""
    level = decimal.Decimal(_PRICE_LEVELS.get(product.code, "100"))
    base = (level / product.tick).to_integral_value()
    ticks = max(1, int(base) + rng.randint(-spread_ticks, spread_ticks))
    return format(product.tick * ticks, "f")


def exec_time(rng: random.Random, date: str, offset: str = "-05:00") -> str:
    """A random time of the date between 08:30:00 and 15:00:00 local, e.g.
    "2023-06-16T09:30:01-05:00"."""
    s = rng.randint(8 * 3600 + 1800, 15 * 3600)
    return f"{date}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{offset}"


def random_trades(rng: random.Random, count: int, date: str, contracts: list, products: dict,
                  parties: list, id_prefix: str, max_quantity: int = 50) -> list:
    """`count` valid trades of `date`: contract drawn from `contracts` (symbols, aliases allowed),
    price on its product's tick, quantity 1..max_quantity, buyer and seller two different
    (firm, account) of `parties`, trade ids `id_prefix` + a 7-digit sequence number."""
    by_symbol = {c: products[canonical_contract(c, products)[:-3]] for c in contracts}
    rows = []
    for i in range(count):
        contract = rng.choice(contracts)
        buyer, seller = rng.sample(parties, 2)
        rows.append(TradeRow(f"{id_prefix}{i:07d}", date, exec_time(rng, date), contract,
                             random_price(rng, by_symbol[contract]),
                             rng.randint(1, max_quantity), buyer[0], buyer[1], seller[0],
                             seller[1]))
    return rows


@dataclasses.dataclass(frozen=True)
class Terms:
    """The columns of products.csv the settlement checks rest on (read here, not by eodclear)."""

    currency: str
    multiplier: decimal.Decimal
    tick: decimal.Decimal
    settlement_tick: decimal.Decimal
    method: str  # vwap, parent, curve
    window: tuple  # ("HH:MM:SS", "HH:MM:SS") or () for parent-settled products
    zone: str
    parent: str


def load_terms(refdata: str) -> dict:
    """product code -> Terms, from products.csv."""
    import csv

    with open(os.path.join(refdata, "products.csv"), newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {r["code"]: Terms(r["currency"], decimal.Decimal(r["multiplier"]),
                                 decimal.Decimal(r["tick"]), decimal.Decimal(r["settlement_tick"]),
                                 r["settlement_method"],
                                 tuple(r["settlement_window"].split("-"))
                                 if r["settlement_window"] else (),
                                 r["settlement_time_zone"], r["parent"])
                for r in rows}


def window_on(terms: Terms, date: str) -> tuple:
    """The settlement window of `date` as two aware datetimes (both ends inclusive)."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(terms.zone)
    return tuple(datetime.datetime.fromisoformat(f"{date}T{t}").replace(tzinfo=zone)
                 for t in terms.window)


def window_trades(rng: random.Random, date: str, contracts: list, products: dict, terms: dict,
                  parties: list, id_prefix: str) -> list:
    """One trade 15 s into the settlement window of each of `contracts` whose product settles on
    its own window trades (settlement_method vwap), so each can be settled by its window's VWAP
    (random trades land in a 30 s window only by chance). `terms`: load_terms(refdata)."""
    rows = []
    for i, contract in enumerate(contracts):
        code = canonical_contract(contract, products)[:-3]
        t = terms[code]
        if t.method != "vwap":
            continue
        start, _ = window_on(t, date)
        buyer, seller = rng.sample(parties, 2)
        rows.append(TradeRow(
            f"{id_prefix}{i:02d}", date, (start + datetime.timedelta(seconds=15)).isoformat(),
            contract, random_price(rng, products[code]), rng.randint(1, 50), buyer[0], buyer[1],
            seller[0], seller[1]))
    return rows


def write_trades_csv(path: str, rows: Iterable) -> None:
    """Writes a trades CSV with its header row (TradeRow objects, or lists of 10 fields)."""
    import csv

    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(TRADE_HEADER)
        for row in rows:
            w.writerow(row.fields() if isinstance(row, TradeRow) else row)


def trades_csv(date: str, rows: Iterable) -> str:
    """The text of a trades CSV, header row first. rows: (trade_id, exec_time, contract, price,
    quantity, "BUYERFIRM/ACCOUNT", "SELLERFIRM/ACCOUNT"); every trade is dated `date`."""
    lines = [",".join(TRADE_HEADER)]
    for trade_id, exec_time, contract, price, qty, buyer, seller in rows:
        bf, ba = buyer.split("/")
        sf, sa = seller.split("/")
        lines.append(",".join([trade_id, date, exec_time, contract, price, str(qty), bf, ba, sf,
                               sa]))
    return "\n".join(lines) + "\n"


def expected_positions(trades: Iterable, business_date: str, products: dict) -> dict:
    """Positions the publish of `business_date` must show, computed from the trades alone:
    (firm, account, canonical contract) -> (net, bought, sold), where net sums every trade dated
    on or before the date (bought +, sold -), bought and sold count only trades dated on the
    date, and positions with net 0 are left out. Assumes each trade is applied once (unique ids)
    and that earlier dates were closed in order."""
    net = collections.defaultdict(int)
    bought = collections.defaultdict(int)
    sold = collections.defaultdict(int)
    for t in trades:
        if t.trade_date > business_date:
            continue
        contract = canonical_contract(t.contract, products)
        b = (t.buyer_firm, t.buyer_account, contract)
        s = (t.seller_firm, t.seller_account, contract)
        net[b] += t.quantity
        net[s] -= t.quantity
        if t.trade_date == business_date:
            bought[b] += t.quantity
            sold[s] += t.quantity
    return {k: (n, bought[k], sold[k]) for k, n in net.items() if n != 0}


# --------------------------------------------------------------------------------------------------
# Reference data folders
# --------------------------------------------------------------------------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The repository's reference data, for tests whose figures rest on rows the ctest fixture
# (tests/testdata/e2e/refdata) does not have.
OPS_REFDATA = os.path.join(REPO, "ops", "refdata")


def read_refdata_csv(refdata_dir: str, name: str) -> list:
    """The rows of refdata_dir/name as dicts ('#' lines are comments, blank lines skipped); []
    when there is no file."""
    import csv

    path = os.path.join(refdata_dir, name)
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(line for line in f
                                   if not line.startswith("#") and line.strip()))


def product_rows(refdata_dir: str) -> dict:
    """code -> products.csv row (column -> text); {} when there is no products.csv."""
    return {r["code"]: r for r in read_refdata_csv(refdata_dir, "products.csv")}


def first_refdata(env: Env, problems_of: Callable[[str], list]) -> tuple:
    """(folder, passed_over): the first of --refdata and OPS_REFDATA for which `problems_of(folder)`
    returns no problem (None if neither), and a "folder: problem; problem" line for each folder
    passed over."""
    passed_over = []
    for candidate in dict.fromkeys([env.refdata, OPS_REFDATA]):
        bad = problems_of(candidate)
        if not bad:
            return candidate, passed_over
        passed_over.append(f"{candidate}: {'; '.join(bad)}")
    return None, passed_over


# --------------------------------------------------------------------------------------------------
# Embedded runs (`eodclear run --embedded`): input folders and the JSON-lines output files
# (snake_case names, decimals and strings as strings, enums by name, fields at their default value
# possibly omitted)
# --------------------------------------------------------------------------------------------------


def write_files(folder: str, files: dict) -> None:
    """Writes each file name -> text of `files` into `folder` (created if need be)."""
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


def read_jsonl(path: str, error: type = AssertionError) -> Optional[list]:
    """The records of a .jsonl file (blank lines skipped), or None when the file does not exist.
    A line that is not JSON raises `error` naming the file and the line."""
    if not os.path.exists(path):
        return None
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    raise error(f"{path}:{n} is not JSON ({e}): {line!r}") from e
    return out


def dec(v) -> Optional[decimal.Decimal]:
    """A JSON-lines decimal (string or number) as a Decimal; None when absent or empty."""
    return None if v is None or v == "" else decimal.Decimal(str(v))


def num(v) -> int:
    """A JSON-lines integer (a number, or an int64 as a string) as an int; 0 when absent."""
    return 0 if v is None or v == "" else int(v)


def instant(v) -> Optional[datetime.datetime]:
    """An RFC 3339 time as an aware datetime, so that equal instants in other offsets compare
    equal; None when absent or empty."""
    if not v:
        return None
    return datetime.datetime.fromisoformat(str(v).replace("Z", "+00:00"))


class RunOutputs:
    """The output folder of one run, restricted to the date's run id: `files` holds the records of
    <topic>.jsonl for each of `topics` (None for a missing file), which must include eod-runs."""

    def __init__(self, folder: str, date: str, topics: Iterable) -> None:
        self.folder = folder
        self.date = date
        self.files = {t: read_jsonl(os.path.join(folder, t + ".jsonl")) for t in topics}
        self.runs = [r for r in (self.files["eod-runs"] or []) if r.get("business_date") == date]
        self.run_id = self.runs[-1].get("run_id") if self.runs else None

    def of_run(self, topic: str) -> list:
        """The records of `topic` carrying the date and the run id of its last eod-runs record."""
        return [r for r in (self.files[topic] or [])
                if r.get("run_id") == self.run_id and r.get("business_date") == self.date]


def run_embedded(s: Session, name: str, date: str, refdata: str, topics: Iterable, files: dict,
                 extra: Iterable = ()) -> tuple:
    """Writes `files` (file name -> text) into the session folder's <name>/input and runs
    `eodclear run --date D --embedded --input <name>/input --output <name>/output --refdata R
    [extra...]`; returns (Completed, RunOutputs of `topics`)."""
    input_dir = s.path(name, "input")
    output_dir = s.path(name, "output")
    write_files(input_dir, files)
    done = s.run_eodclear(["run", "--date", date, "--embedded", "--input", input_dir,
                           "--output", output_dir, "--refdata", refdata, *extra], timeout=180)
    return done, RunOutputs(output_dir, date, topics)


# Settlement records (JSON-lines dicts, or messages turned into that form) reduced to the fields a
# test expects, each compared by value: decimals as Decimal, times as instants, allocations as
# sorted tuples, enums with their unspecified default filled in.
SETTLEMENT_DECIMALS = ("price", "prior_price", "vwap", "bid", "ask")


def settlement_view(rec: dict, keys) -> dict:
    """The `keys` fields of a settlement-prices record (or of an expectation written like one)."""
    out = {}
    for k in keys:
        v = rec.get(k)
        if k in SETTLEMENT_DECIMALS:
            out[k] = dec(v)
        elif k == "stale":
            out[k] = bool(v)
        elif k in ("window_volume", "window_trades"):
            out[k] = num(v)
        elif k == "neighbours":
            out[k] = list(v or [])
        elif k in ("window_start", "window_end"):
            out[k] = instant(v)
        else:
            out[k] = v or ""
    return out


def final_view(rec: dict, keys) -> dict:
    """The `keys` fields of a final-settlements record (or of an expectation written like one)."""
    out = {}
    for k in keys:
        v = rec.get(k)
        if k == "price":
            out[k] = dec(v)
        elif k == "trading_terminated":
            out[k] = instant(v)
        elif k == "allocations":
            out[k] = sorted((a.get("firm", ""), a.get("account", ""), num(a.get("quantity")),
                             a.get("disposition", "DISPOSITION_UNSPECIFIED")) for a in (v or []))
        elif k == "status":
            out[k] = v or "STATUS_UNSPECIFIED"
        else:
            out[k] = v or ""
    return out


def check_open_interest(checks: Checks, label: str, positions: dict) -> None:
    """positions: (firm, account, contract) -> (quantity, ...). Per contract, the long positions
    sum to the short ones."""
    oi = collections.defaultdict(lambda: [0, 0])  # contract -> [long, short]
    for (_, _, contract), (q, *_) in positions.items():
        oi[contract][0] += max(q, 0)
        oi[contract][1] += max(-q, 0)
    checks.equal({c: tuple(v) for c, v in oi.items() if v[0] != v[1]}, {},
                 f"{label}: long open interest == short open interest per contract")


# --------------------------------------------------------------------------------------------------
# Offsets, position limits and large-trader reports, worked out from the reference data CSVs
# (accounts.csv, offsets.csv, position_limits.csv) with the rules of stages/offsetting/
# offset_rules.h and stages/position_limits/limit_rules.h, read here, not through eodclear.
# --------------------------------------------------------------------------------------------------

MONTH_CODES = "FGHJKMNQUVXZ"
# The clearing house's own accounts (the offset account CH/CH-OFFSET and the rounding account)
# are neither limit-checked nor reported (docs/offsetting-and-limits.md).
CLEARING_HOUSE_FIRM = "CH"


@dataclasses.dataclass(frozen=True)
class AccountRef:
    firm: str
    owner: str
    auto_offset: bool


def load_accounts(refdata_dir: str) -> dict:
    """account -> AccountRef from accounts.csv (account,firm,owner,origin,auto_offset)."""
    return {r["account"]: AccountRef(r["firm"], r["owner"],
                                     r["auto_offset"].strip().lower() == "true")
            for r in read_refdata_csv(refdata_dir, "accounts.csv")}


def owner_of(account: str, accounts: dict) -> str:
    """The beneficial owner: accounts.csv's owner; an unlisted account is its own owner."""
    ref = accounts.get(account)
    return ref.owner if ref is not None else account


def contract_month(contract: str) -> tuple:
    """"CNHZ23" -> (product "CNH", (2023, 12))."""
    return contract[:-3], (2000 + int(contract[-2:]), MONTH_CODES.index(contract[-3]) + 1)


def month_symbol(product: str, month: tuple) -> str:
    """("CNH", (2023, 12)) -> "CNHZ23"."""
    return f"{product}{MONTH_CODES[month[1] - 1]}{month[0] % 100:02d}"


def load_offset_pairs(refdata_dir: str) -> list:
    """[(first, second, a, b)] from offsets.csv: each pair once, named and oriented by whichever of
    its two rows comes first, in that order; a block is `a` contracts of `first` against `b` of
    `second`, the smallest whole numbers with a = ratio x b (offset_rules.h "Offset block")."""
    import fractions

    pairs, seen = [], set()
    for r in read_refdata_csv(refdata_dir, "offsets.csv"):
        key = frozenset((r["code"], r["offset_to"]))
        if key in seen:
            continue
        seen.add(key)
        ratio = fractions.Fraction(decimal.Decimal(r["ratio"]))
        pairs.append((r["code"], r["offset_to"], ratio.numerator, ratio.denominator))
    return pairs


def expected_auto_offsets(positions: dict, refdata_dir: str) -> list:
    """The AUTO offsets of CME Rule 855 for `positions` ((firm, account, contract) -> net):
    [(firm, account, "FIRST/SECOND", ((first contract, leg), (second contract, leg)))], for the
    accounts accounts.csv lists with auto_offset true only, per account, per pair in table order,
    per month in date order, as many whole blocks as an account long one contract and short the
    other allows (never across accounts, never across months; each pair works on what the
    earlier ones left). Legs are the signed changes to the account's position."""
    accounts = load_accounts(refdata_dir)
    pairs = load_offset_pairs(refdata_dir)
    book = collections.defaultdict(dict)  # (firm, account) -> contract -> net
    for (firm, account, contract), net in positions.items():
        ref = accounts.get(account)
        if net and ref is not None and ref.auto_offset:
            book[(firm, account)][contract] = net
    out = []
    for (firm, account) in sorted(book):
        held = book[(firm, account)]
        for first, second, a, b in pairs:
            months = sorted({contract_month(c)[1] for c in held
                             if contract_month(c)[0] in (first, second)})
            for month in months:
                c1, c2 = month_symbol(first, month), month_symbol(second, month)
                q1, q2 = held.get(c1, 0), held.get(c2, 0)
                if q1 == 0 or q2 == 0 or (q1 > 0) == (q2 > 0):
                    continue
                blocks = min(abs(q1) // a, abs(q2) // b)
                if blocks == 0:
                    continue
                leg1 = -blocks * a if q1 > 0 else blocks * a
                leg2 = -blocks * b if q2 > 0 else blocks * b
                held[c1], held[c2] = q1 + leg1, q2 + leg2
                out.append((firm, account, f"{first}/{second}", ((c1, leg1), (c2, leg2))))
    return out


def load_limit_rows(refdata_dir: str) -> dict:
    """product -> its position_limits.csv row (column -> text)."""
    return {r["product"]: r for r in read_refdata_csv(refdata_dir, "position_limits.csv")}


def _base_and_ratio(product: str, rows: dict) -> tuple:
    """(base product, base contracts per contract) along the aggregate_into chain."""
    import fractions

    ratio = fractions.Fraction(1)
    seen = set()
    while rows.get(product, {}).get("aggregate_into") and product not in seen:
        seen.add(product)
        ratio *= fractions.Fraction(decimal.Decimal(rows[product]["aggregate_ratio"]))
        product = rows[product]["aggregate_into"]
    return product, ratio


def limit_headroom_problems(positions: dict, refdata_dir: str) -> list:
    """Why `positions` ((firm, account, contract) -> net) might produce a position-limit finding:
    for every owner (accounts.csv; an unlisted account is its own owner; CH accounts left out) and
    base product of position_limits.csv, the net futures equivalent (aggregating products at
    their ratio, long and short netted across accounts) of each base month against the smallest
    per-month level of the base (spot month, single month, single-month accountability: a month
    within all of them is within whichever applies on the date, and exemptions only raise limits),
    and of all months against all_months_limit and all_months_accountability. [] means the run
    must have no finding at all."""
    import fractions

    accounts = load_accounts(refdata_dir)
    rows = load_limit_rows(refdata_dir)
    month_eq = collections.defaultdict(fractions.Fraction)  # (owner, base, month)
    all_eq = collections.defaultdict(fractions.Fraction)  # (owner, base)
    for (firm, account, contract), net in positions.items():
        product, month = contract_month(contract)
        if firm == CLEARING_HOUSE_FIRM or product not in rows or net == 0:
            continue
        base, ratio = _base_and_ratio(product, rows)
        owner = owner_of(account, accounts)
        month_eq[(owner, base, month)] += net * ratio
        all_eq[(owner, base)] += net * ratio

    def levels(base, columns):
        return [int(rows[base][c]) for c in columns if rows.get(base, {}).get(c)]

    problems = []
    for (owner, base, month), eq in sorted(month_eq.items()):
        lv = levels(base, ("spot_month_limit", "single_month_limit",
                           "single_month_accountability"))
        if lv and abs(eq) > min(lv):
            problems.append(f"{owner} {month_symbol(base, month)}: {eq} > {min(lv)}")
    for (owner, base), eq in sorted(all_eq.items()):
        lv = levels(base, ("all_months_limit", "all_months_accountability"))
        if lv and abs(eq) > min(lv):
            problems.append(f"{owner} {base} all months: {eq} > {min(lv)}")
    return problems


def expected_large_trader_reports(positions: dict, refdata_dir: str) -> set:
    """The large-trader reports of `positions` ((firm, account, contract) -> net, after offsets):
    {(owner, firm, account, contract, long, short)}. An owner (accounts.csv; an unlisted account
    is its own owner; CH accounts left out) is reportable in a product with a reportable_level
    when, in any single month, its accounts' long positions summed, or their short positions
    summed, reach (>=) the level, in the product's own contracts (no aggregation, months not
    summed); then every non-zero position of the owner in that product is reported, long =
    max(net, 0), short = max(-net, 0) (limit_rules.h ReportablePositions)."""
    accounts = load_accounts(refdata_dir)
    rows = load_limit_rows(refdata_dir)
    held = collections.defaultdict(list)  # (owner, product) -> [(firm, account, contract, net)]
    long_ = collections.defaultdict(int)  # (owner, product, month)
    short = collections.defaultdict(int)
    for (firm, account, contract), net in positions.items():
        product, month = contract_month(contract)
        if firm == CLEARING_HOUSE_FIRM or net == 0 or not rows.get(product, {}).get(
                "reportable_level"):
            continue
        owner = owner_of(account, accounts)
        held[(owner, product)].append((firm, account, contract, net))
        long_[(owner, product, month)] += max(net, 0)
        short[(owner, product, month)] += max(-net, 0)
    reportable = {(owner, product) for (owner, product, month) in long_
                  if max(long_[(owner, product, month)], short[(owner, product, month)])
                  >= int(rows[product]["reportable_level"])}
    return {(owner, f, a, c, max(n, 0), max(-n, 0))
            for (owner, product) in reportable for f, a, c, n in held[(owner, product)]}


def published_reports(published: PublishedRun) -> set:
    """{(owner, firm, account, contract, long, short)} of the run's large-trader-reports."""
    return {(m.owner, m.firm, m.account, m.contract, m.long, m.short)
            for _, m in published.extra.get("large-trader-reports", [])}


def check_report_keys(checks: Checks, published: PublishedRun) -> None:
    """Each large-trader-reports record is keyed "business_date|owner|firm|account|contract"."""
    bad = [r.key for r, m in published.extra.get("large-trader-reports", [])
           if r.key != f"{m.business_date}|{m.owner}|{m.firm}|{m.account}|{m.contract}".encode()]
    checks.check(not bad, f"{published.date}: large-trader-reports keys are business_date|owner|"
                 "firm|account|contract", f"{len(bad)} records keyed otherwise, e.g. {bad[:3]}")
