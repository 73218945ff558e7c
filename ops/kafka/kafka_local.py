#!/usr/bin/env python3
"""A local Apache Kafka (KRaft) on loopback, from the broker jars on Maven Central.

    ops/kafka/kafka_local.py fetch                 # once: the pinned broker into the cache folder
    ops/kafka/kafka_local.py start [--nodes 3]     # prints bootstrap.servers=...; Ctrl-C stops it
    ops/kafka/kafka_local.py run [--nodes 3] -- CMD ARGS...
                                                   # starts Kafka, runs CMD with $EODCLEAR_BROKERS
                                                   # set to its bootstrap servers, then stops Kafka

One combined broker+controller node, or a three-node cluster of combined nodes (a controller
quorum of three, so one node can die). Every start picks free loopback ports and fresh log folders,
waits until every node reports itself started, prints exactly `bootstrap.servers=HOST:PORT[,...]` as
its first stdout line (like `eodclear broker`), and on SIGINT or SIGTERM stops the nodes cleanly
(SIGTERM, then SIGKILL after 30 s) and removes its folders.

The broker jars come from Maven Central through ops/kafka/pom.xml, into
$EODCLEAR_KAFKA_HOME (default ~/.cache/eodclear/kafka-<version>). `fetch` is idempotent and
works offline once the folder is complete. The JVM gets a modest heap (--heap, default 384m):
these machines have two cores and the tests start several nodes.

The test fixtures import this file (`Cluster`) to start, kill and restart nodes. It needs only
Python's standard library and a Java 17 runtime.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Optional

# Keep in step with kafka.version in ops/kafka/pom.xml (docs/kafka.md says why this version).
KAFKA_VERSION = "4.4.0"
HERE = os.path.dirname(os.path.abspath(__file__))
POM = os.path.join(HERE, "pom.xml")
COMPLETE_MARKER = ".complete"
STARTED_LINE = "Kafka Server started"


class KafkaError(Exception):
    """Kafka could not be fetched, started or stopped; the message says what and where."""


def kafka_home() -> str:
    """The folder holding the broker's jars (libs/) once fetched."""
    explicit = os.environ.get("EODCLEAR_KAFKA_HOME")
    if explicit:
        return os.path.abspath(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "eodclear", f"kafka-{KAFKA_VERSION}")


def is_fetched(home: Optional[str] = None) -> bool:
    home = home or kafka_home()
    try:
        with open(os.path.join(home, COMPLETE_MARKER)) as f:
            return f.read().strip() == KAFKA_VERSION
    except OSError:
        return False


def fetch(home: Optional[str] = None, quiet: bool = False) -> str:
    """Copies Kafka's broker and its runtime dependencies from Maven into `home`/libs, unless a
    complete copy of this version is there already. Returns `home`."""
    home = home or kafka_home()
    if is_fetched(home):
        if not quiet:
            print(f"kafka_local: Apache Kafka {KAFKA_VERSION} already in {home}", file=sys.stderr)
        return home
    mvn = shutil.which("mvn")
    if not mvn:
        raise KafkaError("Maven (mvn) is not installed: run ops/install-deps.sh")
    libs = os.path.join(home, "libs")
    staging = libs + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    print(f"kafka_local: fetching Apache Kafka {KAFKA_VERSION} with Maven into {home}",
          file=sys.stderr)
    cmd = [mvn, "-B", "-q", "-f", POM, "dependency:copy-dependencies",
           f"-Dkafka.version={KAFKA_VERSION}", "-DincludeScope=runtime",
           f"-DoutputDirectory={staging}"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise KafkaError(f"Maven could not fetch org.apache.kafka:kafka_2.13:{KAFKA_VERSION} "
                         f"(exit {p.returncode}):\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    jar = f"kafka_2.13-{KAFKA_VERSION}.jar"
    if not os.path.exists(os.path.join(staging, jar)):
        raise KafkaError(f"Maven finished but {jar} is not in {staging}")
    shutil.rmtree(libs, ignore_errors=True)
    os.rename(staging, libs)
    with open(os.path.join(home, COMPLETE_MARKER), "w") as f:
        f.write(KAFKA_VERSION + "\n")
    print(f"kafka_local: {len(os.listdir(libs))} jars in {libs}", file=sys.stderr)
    return home


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    java = shutil.which("java")
    if not java:
        raise KafkaError("no Java runtime (java) found: run ops/install-deps.sh")
    return java


LOG4J2 = """\
# Written by kafka_local.py: the node's log goes to server.log in its folder.
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = info
logger.request.name = kafka.request.logger
logger.request.level = warn
"""


def _defaults(nodes: int) -> dict:
    """Broker settings for a test cluster of `nodes` combined nodes. The internal topics are
    replicated as in production when there are three nodes (RF 3, min ISR 2); one node can only
    replicate them once. The internal topics have one partition, so the group and transaction
    coordinators are the leader of partition 0 of __consumer_offsets and __transaction_state."""
    rf = min(nodes, 3)
    isr = 2 if nodes >= 3 else 1
    return {
        "offsets.topic.replication.factor": rf,
        "offsets.topic.num.partitions": 1,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": isr,
        "transaction.state.log.num.partitions": 1,
        "default.replication.factor": rf,
        "min.insync.replicas": isr,
        "unclean.leader.election.enable": "false",
        "num.partitions": 3,
        "group.initial.rebalance.delay.ms": 0,
        # Small cleaner buffers keep the heap small; a short backoff lets compaction tests see the
        # cleaner run in seconds, and a short retention check interval lets retention tests see
        # deletion in seconds. Neither changes what Kafka guarantees.
        "log.cleaner.dedupe.buffer.size": 4 * 1024 * 1024,
        "log.cleaner.io.buffer.size": 256 * 1024,
        "log.cleaner.backoff.ms": 1000,
        "log.retention.check.interval.ms": 1000,
        "log.initial.task.delay.ms": 1000,
        "num.network.threads": 2,
        "num.io.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "log.flush.interval.messages": 9223372036854775807,
    }


class Node:
    """One combined broker+controller KRaft node: its folder, ports and JVM process."""

    def __init__(self, cluster: "Cluster", node_id: int, port: int, controller_port: int) -> None:
        self.cluster = cluster
        self.node_id = node_id
        self.port = port
        self.controller_port = controller_port
        self.dir = os.path.join(cluster.dir, f"node-{node_id}")
        self.log_dir = os.path.join(self.dir, "data")
        self.properties = os.path.join(self.dir, "server.properties")
        self.log_file = os.path.join(self.dir, "server.log")
        self.proc: Optional[subprocess.Popen] = None
        self._log_offset = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def write_config(self, voters: str, extra: dict) -> None:
        os.makedirs(self.log_dir, exist_ok=True)
        settings = {
            "process.roles": "broker,controller",
            "node.id": self.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},"
                         f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": self.log_dir,
        }
        settings.update(_defaults(len(self.cluster.nodes)))
        settings.update(extra)
        with open(self.properties, "w") as f:
            for k, v in settings.items():
                f.write(f"{k}={v}\n")
        with open(os.path.join(self.dir, "log4j2.properties"), "w") as f:
            f.write(LOG4J2.format(log=self.log_file))

    def _java_cmd(self, main: str, *args: str) -> list:
        libs = os.path.join(self.cluster.home, "libs", "*")
        return [_java(), f"-Xms{self.cluster.heap}", f"-Xmx{self.cluster.heap}",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={os.path.join(self.dir, 'log4j2.properties')}",
                "-cp", libs, main, *args]

    def format(self, cluster_id: str) -> None:
        cmd = self._java_cmd("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c",
                             self.properties, "--ignore-formatted")
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise KafkaError(f"formatting node {self.node_id}'s log folder {self.log_dir} failed "
                             f"(exit {p.returncode}):\n{p.stdout[-2000:]}{p.stderr[-2000:]}")

    def start(self) -> None:
        """Starts the JVM; returns at once (see wait_started)."""
        if self.running():
            return
        try:
            self._log_offset = os.path.getsize(self.log_file)
        except OSError:
            self._log_offset = 0
        out = open(os.path.join(self.dir, "stdout.log"), "a")
        self.proc = subprocess.Popen(self._java_cmd("kafka.Kafka", self.properties),
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     preexec_fn=self.cluster.preexec)
        out.close()
        self.started_at = time.monotonic()

    def started(self) -> bool:
        """True once this start of the node logged that it started (it is then unfenced)."""
        try:
            with open(self.log_file, errors="replace") as f:
                f.seek(self._log_offset)
                return STARTED_LINE in f.read()
        except OSError:
            return False

    def wait_started(self, deadline: float) -> float:
        """Waits until the node has started; returns the seconds it took."""
        while time.monotonic() < deadline:
            if self.started():
                return time.monotonic() - self.started_at
            if self.proc is not None and self.proc.poll() is not None:
                raise KafkaError(f"Kafka node {self.node_id} exited ({self.proc.returncode}) while "
                                 f"starting; its log: {self.log_file}\n{self.tail()}")
            time.sleep(0.2)
        raise KafkaError(f"Kafka node {self.node_id} did not start in time; its log: "
                         f"{self.log_file}\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        text = ""
        for name in (self.log_file, os.path.join(self.dir, "stdout.log")):
            try:
                with open(name, errors="replace") as f:
                    text += "".join(f.readlines()[-lines:])
            except OSError:
                pass
        return text

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` (SIGKILL: a crash) and waits for the process to exit."""
        if self.running():
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)

    def stop(self, timeout: float = 30) -> None:
        """A clean shutdown: SIGTERM, then SIGKILL after `timeout` s."""
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Cluster:
    """A local KRaft cluster of `nodes` combined nodes on free loopback ports.

        with Cluster(nodes=1) as kafka:
            print(kafka.bootstrap)

    `properties` are broker settings on top of the defaults (see _defaults). `workdir`: where the
    node folders go (default: a new temporary folder, removed by stop()). `die_with_parent`: the
    JVMs get SIGKILL when the process that started them dies (tests)."""

    def __init__(self, nodes: int = 1, heap: str = "384m", properties: Optional[dict] = None,
                 workdir: Optional[str] = None, home: Optional[str] = None,
                 die_with_parent: bool = False, start_timeout: float = 120) -> None:
        if nodes < 1:
            raise KafkaError(f"--nodes must be at least 1 (got {nodes})")
        self.home = home or kafka_home()
        if not is_fetched(self.home):
            raise KafkaError(f"Apache Kafka {KAFKA_VERSION} is not in {self.home}: run "
                             f"ops/kafka/kafka_local.py fetch (ops/install-deps.sh does)")
        self.heap = heap
        self.properties = dict(properties or {})
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="eodclear-kafka-")
        self.start_timeout = start_timeout
        self.preexec = _die_with_parent if die_with_parent else None
        self.nodes: list[Node] = []
        for i in range(1, nodes + 1):
            self.nodes.append(Node(self, i, free_port(), free_port()))
        self.start_seconds: list[float] = []

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 1]

    def node_at(self, address: str) -> Node:
        """The node listening on `address` (HOST:PORT)."""
        for n in self.nodes:
            if n.address == address or address.endswith(f":{n.port}"):
                return n
        raise KafkaError(f"no node of this cluster listens on {address}")

    def start(self) -> "Cluster":
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        cluster_id = self._random_uuid()
        for n in self.nodes:
            n.write_config(voters, self.properties)
        # Formatting is a JVM start per node: do them side by side.
        errors: list[Exception] = []

        def fmt(n: Node) -> None:
            try:
                n.format(cluster_id)
            except Exception as e:  # noqa: BLE001 - re-raised below
                errors.append(e)

        threads = [threading.Thread(target=fmt, args=(n,)) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        # Controllers need a majority to elect a leader: start every node before waiting.
        for n in self.nodes:
            n.start()
        deadline = time.monotonic() + self.start_timeout
        try:
            self.start_seconds = [n.wait_started(deadline) for n in self.nodes]
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, node_id: int, timeout: Optional[float] = None) -> float:
        """Starts a stopped or killed node again on its ports and folder; waits until started."""
        n = self.node(node_id)
        n.start()
        return n.wait_started(time.monotonic() + (timeout or self.start_timeout))

    def _random_uuid(self) -> str:
        n = self.nodes[0]
        p = subprocess.run(n._java_cmd("kafka.tools.StorageTool", "random-uuid"),
                           capture_output=True, text=True)
        lines = [line for line in p.stdout.splitlines() if line.strip()]
        if p.returncode != 0 or not lines:
            raise KafkaError(f"kafka.tools.StorageTool random-uuid failed (exit {p.returncode}): "
                             f"{p.stderr[-2000:]}")
        return lines[-1].strip()

    def stop(self) -> None:
        """Stops every node cleanly (in parallel) and removes the folder if this cluster made it."""
        threads = [threading.Thread(target=n.stop) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.own_dir and os.environ.get("EODCLEAR_KAFKA_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _parse_properties(items: list) -> dict:
    props = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise KafkaError(f"--property {item!r}: expected NAME=VALUE")
        props[name] = value
    return props


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kafka_local.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Apache Kafka " + KAFKA_VERSION + "; jars in $EODCLEAR_KAFKA_HOME "
               "(default ~/.cache/eodclear/kafka-" + KAFKA_VERSION + ").")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch the pinned broker jars with Maven (idempotent)")
    sub.add_parser("home", help="print the folder the jars are (or go) in")
    for name, text in (("start", "start a local Kafka until Ctrl-C or SIGTERM"),
                       ("run", "start a local Kafka, run a command against it, stop Kafka")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--nodes", type=int, default=1, choices=(1, 3),
                       help="one combined node (default) or a three-node cluster")
        p.add_argument("--heap", default="384m", help="JVM heap per node (default 384m)")
        p.add_argument("--property", action="append", metavar="NAME=VALUE",
                       help="a broker setting on top of the defaults (repeatable)")
        p.add_argument("--dir", help="folder for the nodes' logs and data (default: a new "
                                     "temporary folder, removed when Kafka stops)")
        p.add_argument("--start-timeout", type=float, default=120,
                       help="seconds to wait for the nodes to start (default 120)")
        if name == "run":
            p.add_argument("cmd", nargs=argparse.REMAINDER,
                           help="-- CMD ARGS...: run with EODCLEAR_BROKERS set")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch()
            return 0
        if args.command == "home":
            print(kafka_home())
            return 0
        cmd = []
        if args.command == "run":
            cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            if not cmd:
                parser.error("run needs a command after --")
        if args.dir:
            os.makedirs(args.dir, exist_ok=True)
        cluster = Cluster(nodes=args.nodes, heap=args.heap,
                          properties=_parse_properties(args.property), workdir=args.dir,
                          start_timeout=args.start_timeout)
        stop_now = threading.Event()

        def on_signal(signum, _frame) -> None:
            stop_now.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        started = time.monotonic()
        cluster.start()
        print(f"bootstrap.servers={cluster.bootstrap}", flush=True)
        print(f"kafka_local: Apache Kafka {KAFKA_VERSION}, {args.nodes} node(s) started in "
              f"{time.monotonic() - started:.1f} s, heap {args.heap} each, folder {cluster.dir}",
              file=sys.stderr, flush=True)
        code = 0
        try:
            if args.command == "start":
                print("kafka_local: stop with Ctrl-C or SIGTERM", file=sys.stderr, flush=True)
                while not stop_now.wait(0.5):
                    for n in cluster.nodes:
                        if not n.running():
                            raise KafkaError(f"Kafka node {n.node_id} exited "
                                             f"({n.proc.returncode}); its log: {n.log_file}")
            else:
                env = dict(os.environ, EODCLEAR_BROKERS=cluster.bootstrap)
                child = subprocess.Popen(cmd, env=env)
                while child.poll() is None:
                    if stop_now.wait(0.2):
                        child.terminate()
                code = child.wait()
        finally:
            print("kafka_local: stopping Kafka", file=sys.stderr, flush=True)
            cluster.stop()
        return code
    except KafkaError as e:
        print(f"kafka_local: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
