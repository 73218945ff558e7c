#!/usr/bin/python3
"""Checks the Grafana dashboard ops/grafana/eodclear-day.json against the metrics eodclear exports.

    /usr/bin/python3 tests/ops/grafana_dashboard_test.py [REPOSITORY_ROOT] [--dashboard PATH]

REPOSITORY_ROOT defaults to two levels above this script; --dashboard checks another file (e.g. an
edited copy) against REPOSITORY_ROOT/pipeline/metrics.cc. Standard library only.

The exported metric families are every `.Name("...")` in pipeline/metrics.cc. The checks:

- the file is valid JSON, a dashboard with schemaVersion >= 36, with a datasource variable
  DS_PROMETHEUS of type prometheus and an `instance` variable from
  label_values(eodclear_run_exit_code..., instance);
- it has panels (rows' nested panels included), panel ids are unique, every panel other than a row
  or a text panel has targets with a non-empty `expr` and uses the ${DS_PROMETHEUS} datasource;
- every metric name in a panel target or templating query (identifiers starting with `eodclear_`,
  or `eodclear:` for recording-rule names) is exported by eodclear;
- every exported family is shown on at least one panel;
- the Pushgateway conventions (ops/prometheus/README.md): every eodclear selector of a panel has
  instance=~"$instance", and no rate()/irate()/increase()/delta() (counters hold the last run's
  counts, every run being a new process).

Prints "ok: ..." or "FAIL: ..." per check, then "N passed, M failed"; exits 1 when any failed.
"""

import argparse
import json
import os
import re
import sys

DASHBOARD = os.path.join("ops", "grafana", "eodclear-day.json")
METRICS_CC = os.path.join("pipeline", "metrics.cc")
DS_VARIABLE = "DS_PROMETHEUS"
DS_UID = "${DS_PROMETHEUS}"
# Panels that legitimately have no queries.
NO_QUERY_TYPES = {"row", "text"}

# A PromQL metric name (also a recording-rule name with ':'); only eodclear's are checked.
IDENT = re.compile(r"(?<![A-Za-z0-9_:$])[a-zA-Z_:][a-zA-Z0-9_:]*")
# An eodclear metric occurrence with its optional label selector (on the text with strings kept).
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:$])(eodclear[_:][a-zA-Z0-9_:]*)\s*(\{[^{}]*\})?")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
NAME_MATCHER = re.compile(r'__name__\s*(=~|!=|!~|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)')
GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\[\[[^\]]*\]\]|\$[A-Za-z0-9_]+")
LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
RATE = re.compile(r"\b(rate|irate|increase|delta|idelta|deriv)\s*\(")
INSTANCE_MATCHER = re.compile(r'\binstance\s*=~\s*"\$(instance|\{instance\})"')
EXPORTED = re.compile(r'\.Name\(\s*"([^"]+)"\s*\)')


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, name, detail=""):
        if condition:
            self.passed += 1
            print("ok: %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL: %s%s" % (name, ("\n  " + detail.replace("\n", "\n  ")) if detail else ""),
                  flush=True)
        return bool(condition)


def metric_names(expr):
    """The eodclear metric names a PromQL expression uses, and problems found on the way."""
    problems = []
    names = set()
    for op, quoted in NAME_MATCHER.findall(expr):
        if op == "=":
            names.add(quoted[1:-1])
        else:
            problems.append("__name__%s%s cannot be checked; name the metric" % (op, quoted))
    text = STRING.sub('""', expr)
    text = "\n".join(line.split("#", 1)[0] for line in text.split("\n"))  # PromQL comments
    text = GRAFANA_VARIABLE.sub(" ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)  # label matchers
    text = LABEL_LIST.sub(" ", text)  # grouping label lists
    for ident in IDENT.findall(text):
        if ident.startswith("eodclear_") or ident.startswith("eodclear:"):
            names.add(ident)
    return names, problems


def walk_panels(panels, out):
    for p in panels or []:
        out.append(p)
        walk_panels(p.get("panels"), out)
    return out


def template_query(var):
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    return q if isinstance(q, str) else ""


def main():
    default_root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default=default_root, help="repository root")
    ap.add_argument("--dashboard", help="dashboard JSON to check (default ROOT/%s)" % DASHBOARD)
    args = ap.parse_args()
    dash_path = args.dashboard or os.path.join(args.root, DASHBOARD)
    cc_path = os.path.join(args.root, METRICS_CC)
    checks = Checks()

    def finish():
        print("%d passed, %d failed" % (checks.passed, checks.failed), flush=True)
        sys.exit(1 if checks.failed else 0)

    # Exported metric families.
    try:
        with open(cc_path, encoding="utf-8") as f:
            exported = set(EXPORTED.findall(f.read()))
    except OSError as e:
        checks.check(False, "read %s" % cc_path, str(e))
        finish()
    if not checks.check(bool(exported), "%s names metrics with .Name(\"...\")" % METRICS_CC,
                        "no .Name(\"...\") found"):
        finish()
    print("  exported: %s" % ", ".join(sorted(exported)))

    # Valid JSON.
    try:
        with open(dash_path, encoding="utf-8") as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        checks.check(False, "%s is valid JSON" % dash_path, str(e))
        finish()
    if not checks.check(isinstance(dash, dict), "%s is valid JSON (an object)" % dash_path):
        finish()

    schema = dash.get("schemaVersion")
    checks.check(isinstance(schema, int) and schema >= 36, "schemaVersion >= 36",
                 "schemaVersion is %r" % (schema,))

    # Templating.
    variables = (dash.get("templating") or {}).get("list") or []
    by_name = {v.get("name"): v for v in variables if isinstance(v, dict)}
    ds = by_name.get(DS_VARIABLE) or {}
    checks.check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
                 "templating has datasource variable %s of type prometheus" % DS_VARIABLE,
                 "got %r" % (ds,))
    inst_query = template_query(by_name.get("instance") or {})
    checks.check(re.match(r"^\s*label_values\(\s*eodclear_run_exit_code\b.*,\s*instance\s*\)\s*$",
                          inst_query) is not None,
                 "templating has variable instance from label_values(eodclear_run_exit_code, instance)",
                 "query is %r" % (inst_query,))

    # Panels.
    panels = walk_panels(dash.get("panels"), [])
    if not checks.check(bool(panels), "dashboard has panels"):
        finish()
    ids = [p.get("id") for p in panels]
    dup = sorted({str(i) for i in ids if ids.count(i) > 1})
    missing_id = [p.get("title", "?") for p in panels if not isinstance(p.get("id"), int)]
    checks.check(not dup and not missing_id, "panel ids are present and unique (%d panels)" % len(panels),
                 "duplicate ids: %s; panels without an integer id: %s" % (dup, missing_id))

    query_panels = [p for p in panels if p.get("type") not in NO_QUERY_TYPES]
    checks.check(bool(query_panels), "dashboard has panels with queries")
    no_targets = []
    bad_ds = []
    panel_exprs = []  # (panel title, expr)
    for p in query_panels:
        title = "%s (id %s)" % (p.get("title", "?"), p.get("id"))
        targets = p.get("targets") or []
        exprs = [t.get("expr") for t in targets if isinstance(t, dict)]
        if not targets or not all(isinstance(e, str) and e.strip() for e in exprs):
            no_targets.append(title)
        for obj in [p] + [t for t in targets if isinstance(t, dict)]:
            d = obj.get("datasource")
            if d is not None and not (isinstance(d, dict) and d.get("uid") == DS_UID
                                      and d.get("type") in (None, "prometheus")):
                bad_ds.append("%s: %r" % (title, d))
        panel_exprs += [(title, e) for e in exprs if isinstance(e, str)]
    checks.check(not no_targets, "every panel has targets with a PromQL expr",
                 "panels without targets or with an empty expr:\n" + "\n".join(no_targets))
    checks.check(not bad_ds, "panels and targets use the ${DS_PROMETHEUS} datasource",
                 "\n".join(bad_ds))

    # Metric names.
    exprs = panel_exprs + [("templating variable %s" % v.get("name"), template_query(v))
                           for v in variables if isinstance(v, dict) and v.get("type") == "query"]
    used_on_panels = set()
    unknown = []
    problems = []
    for where, expr in exprs:
        names, why = metric_names(expr)
        problems += ["%s: %s" % (where, w) for w in why]
        for n in sorted(names):
            if n not in exported:
                kind = "recording rule, not a metric eodclear exports" if ":" in n else "not exported"
                unknown.append("%s: %s (%s)" % (where, n, kind))
        if not where.startswith("templating"):
            used_on_panels |= names
    checks.check(not problems, "metric names can be read from every expr", "\n".join(problems))
    checks.check(not unknown, "every metric the dashboard queries is exported by %s" % METRICS_CC,
                 "\n".join(unknown))
    not_shown = sorted(exported - used_on_panels)
    checks.check(not not_shown, "every exported metric family is shown on a panel",
                 "not on any panel: " + ", ".join(not_shown))

    # Pushgateway conventions.
    no_instance = []
    rates = []
    for where, expr in panel_exprs:
        # Blank out grouping label lists (same length) so a label name is not taken for a metric.
        masked = LABEL_LIST.sub(lambda m: " " * len(m.group(0)), expr)
        for m in SELECTOR.finditer(masked):
            if not m.group(2) or not INSTANCE_MATCHER.search(m.group(2)):
                no_instance.append("%s: %s%s" % (where, m.group(1), m.group(2) or ""))
        if RATE.search(STRING.sub('""', expr)):
            rates.append("%s: %s" % (where, expr))
    checks.check(not no_instance, 'every eodclear selector on a panel has instance=~"$instance"',
                 "\n".join(no_instance))
    checks.check(not rates, "no rate()/irate()/increase()/delta() (Pushgateway values are the last run's)",
                 "\n".join(rates))
    finish()


if __name__ == "__main__":
    main()
