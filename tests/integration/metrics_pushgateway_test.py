#!/usr/bin/python3
"""End-to-end: `eodclear run --pushgateway`, seen through Debian's real Pushgateway and Prometheus.

The test starts /usr/bin/prometheus-pushgateway and /usr/bin/prometheus on loopback ports that
were free a moment ago, each in its own temporary folder; Prometheus scrapes the Pushgateway every
second with honor_labels: true (so the pushed job="eodclear", instance="e2e-test" labels are kept)
and evaluates rules every second. When ops/prometheus/eodclear-alerts.yml exists and
`promtool check rules` accepts it, Prometheus loads it (by absolute path); otherwise the alert
check is skipped with a note, not failed. Both servers are killed at the end, also on failure.

- A successful run of the repository's sample day (ops/sample with ops/refdata, business date
  2023-06-16, --embedded) exits 0 and pushes; Prometheus then shows, for
  {job="eodclear", instance="e2e-test"}: eodclear_run_success 1, eodclear_run_exit_code 0,
  eodclear_run_business_date_seconds = unix time of 2023-06-16T00:00:00Z (computed here with
  datetime), eodclear_last_success_timestamp_seconds between the wall-clock times taken just
  before and just after the run, eodclear_messages_consumed_total{topic="trades"|"quotes"} = the
  data rows of ops/sample/trades.csv and quotes.csv (counted here with the csv module),
  eodclear_records_published_total{topic="positions"} = the lines of the run's positions.jsonl,
  sum over tiers of eodclear_settlement_prices_total = the lines of settlement-prices.jsonl, and
  eodclear_stage_duration_seconds for ingest, settlement, offsetting, position_limits, publish.
- A failing run pushed to the same gateway (an --input folder that does not exist) exits 2;
  Prometheus then shows eodclear_run_success 0 and eodclear_run_exit_code 2, while
  eodclear_last_success_timestamp_seconds keeps the successful run's value (a push replaces only
  the metric families the run reports; a failed run reports no last-success sample).
- With the alert rules loaded, the alert EodclearRunFailed becomes pending or firing after the
  failing run.

The --refdata argument (tests/testdata/e2e/refdata from ctest) is parsed like every CLI test's,
but the sample day needs the accounts of the repository's ops/refdata, which is used instead
(found relative to this file, like ops/sample).
"""

import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

BUSINESS_DATE = "2023-06-16"
INSTANCE = "e2e-test"
JOB = "eodclear"
SELECTOR = '{job="%s",instance="%s"}' % (JOB, INSTANCE)
STAGES = ["ingest", "settlement", "offsetting", "position_limits", "publish"]

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SAMPLE = os.path.join(REPO, "ops", "sample")
OPS_REFDATA = os.path.join(REPO, "ops", "refdata")
ALERT_RULES = os.path.join(REPO, "ops", "prometheus", "eodclear-alerts.yml")

PUSHGATEWAY_BIN = "/usr/bin/prometheus-pushgateway"
PROMETHEUS_BIN = "/usr/bin/prometheus"
PROMTOOL_BIN = "/usr/bin/promtool"

# Seconds to wait for a server to become ready, for Prometheus to show a pushed value, and for
# the alert to become active (rules are evaluated every second here).
READY_TIMEOUT = 20
METRICS_TIMEOUT = 30
ALERT_TIMEOUT = 20

args = None
state = {}
checks = h.Checks()


# ------------------------------------------------------------------------------------ servers

def http_get(url, timeout=5):
    """(status, body text) of a GET; status None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError):
        return None, ""


class Server:
    """A server binary as a child process in its own folder, its output in files there."""

    def __init__(self, name, cmd, folder):
        self.name = name
        self.cmd = cmd
        self.folder = folder
        self.log_path = os.path.join(folder, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=folder,
                                     stdin=subprocess.DEVNULL)

    def log_tail(self, chars=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, url, timeout=READY_TIMEOUT):
        """Returns once `url` answers 200; fails the check if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise h.CheckFailed("`%s` exited %s before %s answered; log:\n%s" %
                                    (h.command_text(self.cmd), self.proc.returncode, url,
                                     self.log_tail()))
            status, _ = http_get(url, timeout=2)
            if status == 200:
                return
            if time.monotonic() > deadline:
                raise h.CheckFailed("%s did not answer 200 within %ss (last: %s); log:\n%s" %
                                    (url, timeout, status, self.log_tail()))
            time.sleep(0.2)

    def kill(self):
        h.kill_and_wait(self.proc)
        try:
            self.log.close()
        except OSError:
            pass


def start_ready(name, make_cmd, folder, ready_path, attempts=3):
    """Starts `make_cmd(port)` on a free port until it becomes ready (another process may take the
    port between free_port() and the bind); returns (server, base URL)."""
    last = None
    for _ in range(attempts):
        port = h.free_port()
        server = Server(name, make_cmd(port), folder)
        state.setdefault("servers", []).append(server)
        base = "http://127.0.0.1:%d" % port
        try:
            server.wait_ready(base + ready_path)
            return server, base
        except h.CheckFailed as e:
            last = e
            server.kill()
            if "address already in use" not in server.log_tail().lower():
                raise
    raise last


def alert_rules_usable():
    """(True, note) when ALERT_RULES exists and promtool accepts it, else (False, reason)."""
    if not os.path.isfile(ALERT_RULES):
        return False, "%s does not exist" % ALERT_RULES
    if not os.access(PROMTOOL_BIN, os.X_OK):
        return False, "%s is not installed, so the rules cannot be checked" % PROMTOOL_BIN
    p = h.run([PROMTOOL_BIN, "check", "rules", ALERT_RULES], timeout=30)
    if p.returncode != 0:
        return False, "`promtool check rules` rejects it: %s" % (p.stdout + p.stderr)[-1500:]
    return True, "promtool accepts it: %s" % " ".join(p.stdout.split())


def prometheus_yml(gateway_hostport, rules):
    lines = [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: pushgateway",
        "    honor_labels: true",
        "    static_configs:",
        "      - targets: [%s]" % json.dumps(gateway_hostport),
    ]
    if rules:
        lines += ["rule_files:", "  - %s" % json.dumps(rules)]
    return "\n".join(lines) + "\n"


def servers():
    """(pushgateway URL, prometheus URL); fails when they could not be started earlier."""
    if "servers_error" in state:
        raise h.CheckFailed("the servers did not start: %s" % state["servers_error"])
    h.expect("prometheus" in state, "the servers were not started")
    return state["pushgateway"], state["prometheus"]


# ---------------------------------------------------------------------------------- queries

def query(expr):
    """The instant-vector result of `expr` at Prometheus: [(labels dict, value string)]."""
    _, prom = servers()
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http_get(url)
    h.expect(status == 200, "GET %s answered %s: %s" % (url, status, body[:500]))
    doc = json.loads(body)
    h.expect(doc.get("status") == "success", "query %r: %s" % (expr, body[:500]))
    h.expect(doc["data"]["resultType"] == "vector",
             "query %r returned a %s, not a vector" % (expr, doc["data"]["resultType"]))
    return [(r["metric"], r["value"][1]) for r in doc["data"]["result"]]


def single_value(expr):
    """The one sample of `expr` as a float (None when there is no sample)."""
    result = query(expr)
    h.expect(len(result) <= 1, "%s has %d series, expected one: %s" % (expr, len(result), result))
    return float(result[0][1]) if result else None


def poll(what, fn, timeout=METRICS_TIMEOUT):
    """Calls fn() until it returns a true value (returned), failing after `timeout` seconds with
    the last value seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise h.CheckFailed("%s: not seen within %ss; last: %r" % (what, timeout, last))
        time.sleep(0.5)


def metric(name, **labels):
    label_text = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    return "%s{job=\"%s\",instance=\"%s\"%s}" % (name, JOB, INSTANCE,
                                                  ("," + label_text) if label_text else "")


# ------------------------------------------------------------------------------------ inputs

def csv_data_rows(path):
    """Data rows of a CSV file (header, blank and '#' comment lines excluded)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    return sum(1 for r in rows[1:] if any(cell.strip() for cell in r))


def jsonl_lines(path):
    with open(path) as f:
        return sum(1 for line in f if line.strip())


def business_date_seconds():
    d = datetime.datetime.strptime(BUSINESS_DATE, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc)
    return d.timestamp()


# ------------------------------------------------------------------------------------ checks

@checks.add
def pushgateway_and_prometheus_start_and_become_ready():
    work = state["work"]
    try:
        for binary in (PUSHGATEWAY_BIN, PROMETHEUS_BIN):
            h.expect(os.access(binary, os.X_OK), "%s is not installed" % binary)
        gw_dir = os.path.join(work, "pushgateway")
        os.makedirs(gw_dir)
        _, gateway = start_ready(
            "pushgateway",
            lambda port: [PUSHGATEWAY_BIN, "--web.listen-address=127.0.0.1:%d" % port],
            gw_dir, "/-/ready")
        state["pushgateway"] = gateway

        usable, note = alert_rules_usable()
        state["rules_loaded"] = usable
        print("note: alert rules %s: %s" % ("loaded" if usable else "NOT loaded (alert check "
                                             "will be skipped)", note), flush=True)
        prom_dir = os.path.join(work, "prometheus")
        os.makedirs(prom_dir)
        config = os.path.join(prom_dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(prometheus_yml(gateway[len("http://"):], ALERT_RULES if usable else None))
        _, prom = start_ready(
            "prometheus",
            lambda port: [PROMETHEUS_BIN, "--config.file=" + config,
                          "--storage.tsdb.path=" + os.path.join(prom_dir, "data"),
                          "--web.listen-address=127.0.0.1:%d" % port],
            prom_dir, "/-/ready")
        state["prometheus"] = prom
    except Exception as e:
        state["servers_error"] = str(e)
        raise
    if state["rules_loaded"]:
        status, body = http_get(prom + "/api/v1/rules")
        h.expect(status == 200, "/api/v1/rules answered %s: %s" % (status, body[:500]))
        names = {r.get("name") for g in json.loads(body)["data"]["groups"]
                 for r in g.get("rules", [])}
        h.expect("EodclearRunFailed" in names,
                 "Prometheus loaded %s but has no rule EodclearRunFailed: %s" %
                 (ALERT_RULES, sorted(n for n in names if n)))


def successful_run():
    """Runs the sample day once, pushing to the gateway; later calls return its result."""
    def run():
        gateway, _ = servers()
        work = state["work"]
        out = os.path.join(work, "output")
        started = time.time()
        p = h.run([args.binary, "run", "--date", BUSINESS_DATE, "--embedded",
                   "--input", SAMPLE, "--output", out, "--refdata", OPS_REFDATA,
                   "--pushgateway", gateway, "--instance", INSTANCE], timeout=120, cwd=work)
        ended = time.time()
        return p, out, started, ended
    return h.once(state, "ok_run", "the successful run", run)


def successful_run_seen():
    """Waits until Prometheus shows the successful run's push; returns the run's result."""
    p, out, started, ended = successful_run()
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    if not state.get("ok_seen"):
        poll("%s in Prometheus after the successful run" % metric("eodclear_run_success"),
             lambda: query(metric("eodclear_run_success")))
        state["ok_seen"] = True
    return p, out, started, ended


@checks.add
def successful_run_exits_0_and_pushes():
    p, _, _, _ = successful_run()
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    h.expect("metrics pushed" in p.stderr, "the run did not report a push: " + h.describe(p))


@checks.add
def successful_run_outcome_metrics():
    _, _, started, ended = successful_run_seen()
    problems = []
    success = single_value(metric("eodclear_run_success"))
    if success != 1:
        problems.append("eodclear_run_success %r, expected 1" % success)
    code = single_value(metric("eodclear_run_exit_code"))
    if code != 0:
        problems.append("eodclear_run_exit_code %r, expected 0" % code)
    date = single_value(metric("eodclear_run_business_date_seconds"))
    if date != business_date_seconds():
        problems.append("eodclear_run_business_date_seconds %r, expected %r (%sT00:00:00Z)" %
                        (date, business_date_seconds(), BUSINESS_DATE))
    result = query(metric("eodclear_last_success_timestamp_seconds"))
    if len(result) != 1:
        problems.append("eodclear_last_success_timestamp_seconds series %r, expected one" % result)
    else:
        last = float(result[0][1])
        state["last_success"] = result[0][1]
        if not started <= last <= ended:
            problems.append("eodclear_last_success_timestamp_seconds %r is outside the run's "
                            "wall-clock window %r..%r" % (last, started, ended))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def messages_consumed_equal_sample_csv_rows():
    successful_run_seen()
    problems = []
    for topic in ("trades", "quotes"):
        rows = csv_data_rows(os.path.join(SAMPLE, topic + ".csv"))
        got = single_value(metric("eodclear_messages_consumed_total", topic=topic))
        if got != rows:
            problems.append("eodclear_messages_consumed_total{topic=%r} %r, %s.csv has %d data "
                            "rows" % (topic, got, topic, rows))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def records_published_positions_equal_positions_jsonl_lines():
    _, out, _, _ = successful_run_seen()
    path = os.path.join(out, "positions.jsonl")
    h.expect(os.path.isfile(path), "%s was not written" % path)
    lines = jsonl_lines(path)
    h.expect(lines > 0, "test setup: %s is empty; the sample day must have positions" % path)
    got = single_value(metric("eodclear_records_published_total", topic="positions"))
    h.expect(got == lines, "eodclear_records_published_total{topic=\"positions\"} %r, "
             "positions.jsonl has %d lines" % (got, lines))


@checks.add
def settlement_prices_over_tiers_equal_settlement_prices_jsonl_lines():
    _, out, _, _ = successful_run_seen()
    path = os.path.join(out, "settlement-prices.jsonl")
    h.expect(os.path.isfile(path), "%s was not written" % path)
    lines = jsonl_lines(path)
    h.expect(lines > 0, "test setup: %s is empty; the sample day must settle contracts" % path)
    series = query(metric("eodclear_settlement_prices_total"))
    total = sum(float(v) for _, v in series)
    h.expect(total == lines, "eodclear_settlement_prices_total sums to %r over tiers %s, "
             "settlement-prices.jsonl has %d lines" %
             (total, {m.get("tier"): v for m, v in series}, lines))


@checks.add
def stage_durations_exist_for_every_stage():
    successful_run_seen()
    series = query(metric("eodclear_stage_duration_seconds"))
    stages = {m.get("stage"): float(v) for m, v in series}
    missing = [s for s in STAGES if s not in stages]
    h.expect(not missing, "eodclear_stage_duration_seconds has no series for %s; it has %s" %
             (missing, stages))
    negative = {s: v for s, v in stages.items() if v < 0}
    h.expect(not negative, "negative stage durations: %s" % negative)


def failing_run():
    """Runs a day whose --input folder does not exist once, pushing to the gateway; later calls
    return its result."""
    def run():
        gateway, _ = servers()
        work = state["work"]
        missing = os.path.join(work, "no-such-input-folder")
        h.expect(not os.path.exists(missing), "test setup: %s exists" % missing)
        return h.run([args.binary, "run", "--date", BUSINESS_DATE, "--embedded",
                      "--input", missing, "--pushgateway", gateway, "--instance", INSTANCE],
                     timeout=60, cwd=work)
    return h.once(state, "fail_run", "the failing run", run)


@checks.add
def failing_run_exits_2_and_pushes():
    # Prometheus must have seen the successful run first, so that the failing one replaces it.
    successful_run_seen()
    p = failing_run()
    h.expect(p.returncode == 2, "expected exit 2: " + h.describe(p))
    h.expect("metrics pushed" in p.stderr, "the run did not report a push: " + h.describe(p))


@checks.add
def failing_run_replaces_outcome_and_keeps_last_success():
    successful_run_seen()
    p = failing_run()
    h.expect(p.returncode == 2, "expected exit 2: " + h.describe(p))
    h.expect("last_success" in state,
             "the successful run's eodclear_last_success_timestamp_seconds was not read")

    def outcome():
        success = query(metric("eodclear_run_success"))
        code = query(metric("eodclear_run_exit_code"))
        seen = ([v for _, v in success], [v for _, v in code])
        return seen if seen == (["0"], ["2"]) else None

    try:
        poll("eodclear_run_success 0 and eodclear_run_exit_code 2 after the failing run", outcome)
    except h.CheckFailed as e:
        raise h.CheckFailed("%s (run_success %s, run_exit_code %s)" % (
            e, query(metric("eodclear_run_success")), query(metric("eodclear_run_exit_code"))))
    state["fail_seen"] = True
    result = query(metric("eodclear_last_success_timestamp_seconds"))
    h.expect([v for _, v in result] == [state["last_success"]],
             "eodclear_last_success_timestamp_seconds after the failing run is %r, expected the "
             "successful run's %r kept" % (result, state["last_success"]))
    date = single_value(metric("eodclear_run_business_date_seconds"))
    h.expect(date == business_date_seconds(),
             "eodclear_run_business_date_seconds %r after the failing run, expected %r" %
             (date, business_date_seconds()))


@checks.add
def run_failed_alert_pending_or_firing():
    servers()
    if not state.get("rules_loaded"):
        print("note: SKIPPED: the alert rules were not loaded, so EodclearRunFailed is not "
              "checked", flush=True)
        return
    h.expect(state.get("fail_seen"), "Prometheus never showed the failing run's outcome")
    _, prom = servers()

    def active():
        status, body = http_get(prom + "/api/v1/alerts")
        if status != 200:
            return None
        alerts = json.loads(body)["data"]["alerts"]
        state["alerts"] = alerts
        return [a for a in alerts if a["labels"].get("alertname") == "EodclearRunFailed"
                and a["labels"].get("instance") == INSTANCE
                and a.get("state") in ("pending", "firing")]

    try:
        found = poll("alert EodclearRunFailed pending or firing", active, timeout=ALERT_TIMEOUT)
    except h.CheckFailed as e:
        raise h.CheckFailed("%s; alerts: %s" % (
            e, [(a["labels"].get("alertname"), a.get("state"))
                for a in state.get("alerts", [])]))
    print("note: EodclearRunFailed is %s (severity %s, value %s)" % (
        found[0].get("state"), found[0]["labels"].get("severity"), found[0].get("value")),
        flush=True)


def main():
    global args
    args = h.parse_args(__doc__)
    for folder, what in ((SAMPLE, "trades.csv"), (OPS_REFDATA, "accounts.csv")):
        if not os.path.isfile(os.path.join(folder, what)):
            print("%s has no %s" % (folder, what), file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="eodclear-metrics-") as work:
        state["work"] = work
        try:
            return checks.run_all()
        finally:
            for server in state.get("servers", []):
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
