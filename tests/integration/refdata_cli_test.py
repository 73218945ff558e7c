#!/usr/bin/python3
"""End-to-end: `eodclear refdata check` and `eodclear calendar` on the e2e reference data.

- `refdata check` on an unchanged copy of the folder exits 0 and prints a line ending in "OK".
- Each of these mutations of a fresh copy makes `refdata check` exit 2 with an error naming the
  file and the line of the bad row as `path:line:` and the reason: a duplicate product code, a
  product naming an unknown calendar, a holiday of an unknown calendar, an offset pair whose
  ratios are not reciprocal, a holiday outside its calendar's coverage; a missing holidays.csv
  exits 2 naming the file.
- `calendar --contract` prints one JSON object of the contract's facts (ESH24: third Friday of
  March 2024, trading stops at the 09:30 New York open, EDT; CNHU23: two Hong Kong business days
  before the third Wednesday, spot month from seven calendar days before; EMDM24 read as MEM24).
- `calendar --product ES --from --to` prints one line per listed contract month in the span.
- `calendar --calendar NYSE --holidays` lists holidays with unscheduled ones marked, and a span
  outside the calendar's coverage exits 6 naming the coverage.
- An unknown product exits 2, and so does `calendar` without a mode.

The expected values are worked out by hand from the exchange rules and the fixture files, not
taken from the binary.
"""

import csv
import io
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

args = None
state = {}
checks = h.Checks()

REFDATA_FILES = ["products.csv", "calendars.csv", "holidays.csv", "offsets.csv",
                 "position_limits.csv", "accounts.csv", "exemptions.csv"]

CONTRACT_KEYS = ["contract", "product", "contract_month", "last_trade_date", "trading_terminates",
                 "final_settlement_date", "settlement_type", "calendars", "unscheduled_holiday",
                 "final_settlement_basis"]


def fresh_copy(name):
    """A copy of the e2e reference data folder under the work folder, as `name`."""
    dest = os.path.join(state["work"], name)
    shutil.copytree(args.refdata, dest)
    return dest


def read_lines(path):
    with open(path, newline="") as f:
        return f.read().splitlines()


def write_lines(path, lines):
    with open(path, "w", newline="") as f:
        f.write("\n".join(lines) + "\n")


def append_row(path, row):
    """Appends `row` as a new last line; returns its 1-based line number."""
    lines = read_lines(path)
    lines.append(row)
    write_lines(path, lines)
    return len(lines)


def find_line(path, first_fields):
    """The 1-based number of the one line whose leading CSV fields are `first_fields`, with the
    parsed fields of that line."""
    hits = []
    for n, line in enumerate(read_lines(path), start=1):
        if not line or line.startswith("#"):
            continue
        fields = next(csv.reader([line]))
        if fields[:len(first_fields)] == first_fields:
            hits.append((n, fields))
    h.expect(len(hits) == 1, "fixture %s: %d lines start with %s, expected 1" %
             (path, len(hits), first_fields))
    return hits[0]


def replace_line(path, n, fields):
    """Replaces line `n` (1-based) of `path` with `fields` written as one CSV row."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    lines = read_lines(path)
    lines[n - 1] = buf.getvalue()
    write_lines(path, lines)


def refdata_check(folder):
    return h.run([args.binary, "refdata", "check", "--refdata", folder])


def calendar(*extra):
    return h.run([args.binary, "calendar"] + list(extra) + ["--refdata", state["refdata"]])


def json_lines(p):
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    out = []
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError as e:
            raise h.CheckFailed("a line that is not JSON (%s): %r\n%s" % (e, line, h.describe(p)))
    return out


def one_object(p):
    objs = json_lines(p)
    h.expect(len(objs) == 1 and isinstance(objs[0], dict),
             "expected exactly one JSON object: " + h.describe(p))
    return objs[0]


def expect_fields(obj, want, where):
    wrong = ["%s: got %r, expected %r" % (k, obj.get(k, "<missing>"), v)
             for k, v in want.items() if obj.get(k, "<missing>") != v]
    h.expect(not wrong, "%s:\n  %s\n  object: %s" % (where, "\n  ".join(wrong), obj))


def expect_rejected(p, path, line, words):
    """`refdata check` exited 2 and stderr has one message `path:line:` naming `words`."""
    problems = []
    if p.returncode != 2:
        problems.append("exit code %d, expected 2" % p.returncode)
    prefix = "%s:%d:" % (path, line) if line is not None else path
    hits = [ln for ln in p.stderr.splitlines() if prefix in ln]
    if not hits:
        problems.append("stderr does not name %r" % prefix)
    else:
        missing = [w for w in words if not any(w in hit for hit in hits)]
        if missing:
            problems.append("the message %r does not mention %s" % (hits, missing))
    if p.stdout.rstrip().endswith("OK"):
        problems.append("stdout still says OK")
    h.expect(not problems, "\n  " + "\n  ".join(problems) + "\n" + h.describe(p))


@checks.add
def refdata_check_of_the_fixture_is_ok():
    folder = fresh_copy("ok")
    p = refdata_check(folder)
    h.expect(p.returncode == 0, "expected exit 0: " + h.describe(p))
    ok = [ln for ln in p.stdout.splitlines() if ln.rstrip().endswith("OK")]
    h.expect(ok, "no line ending in OK: " + h.describe(p))


@checks.add
def duplicate_product_code_rejected_at_its_line():
    folder = fresh_copy("duplicate-code")
    path = os.path.join(folder, "products.csv")
    n, _ = find_line(path, ["ES"])
    line = append_row(path, read_lines(path)[n - 1])
    expect_rejected(refdata_check(folder), path, line, ["ES"])


@checks.add
def product_with_unknown_calendar_rejected_at_its_line():
    folder = fresh_copy("unknown-product-calendar")
    path = os.path.join(folder, "products.csv")
    header = next(csv.reader([read_lines(path)[0]]))
    column = header.index("calendars")
    n, fields = find_line(path, ["NQ"])
    h.expect(fields[column] == "NYSE", "fixture: NQ's calendars are %r, not NYSE" % fields[column])
    fields[column] = "NYSE|XX"
    replace_line(path, n, fields)
    expect_rejected(refdata_check(folder), path, n, ["NQ", "XX"])


@checks.add
def holiday_of_unknown_calendar_rejected_at_its_line():
    folder = fresh_copy("unknown-holiday-calendar")
    path = os.path.join(folder, "holidays.csv")
    line = append_row(path, "XX,Test Day,date:2024-05-06,none,2024,2024,scheduled,test")
    expect_rejected(refdata_check(folder), path, line, ["XX"])


@checks.add
def offset_ratios_not_reciprocal_rejected_at_their_line():
    folder = fresh_copy("offset-not-reciprocal")
    path = os.path.join(folder, "offsets.csv")
    n, fields = find_line(path, ["MES", "10", "ES", "0.1"])
    fields[3] = "0.2"  # 10 x 0.2 = 2, not 1
    replace_line(path, n, fields)
    expect_rejected(refdata_check(folder), path, n, ["reciprocal"])


@checks.add
def holiday_outside_coverage_rejected_at_its_line():
    folder = fresh_copy("holiday-outside-coverage")
    path = os.path.join(folder, "holidays.csv")
    line = append_row(path, "NYSE,Test,date:2035-01-02,none,2035,2035,scheduled,test")
    # calendars.csv: NYSE covers 2013-2030.
    expect_rejected(refdata_check(folder), path, line, ["NYSE", "2030"])


@checks.add
def missing_holidays_file_named():
    folder = fresh_copy("missing-holidays")
    path = os.path.join(folder, "holidays.csv")
    os.remove(path)
    expect_rejected(refdata_check(folder), path, None, [])


@checks.add
def contract_esh24():
    # Third Friday of March 2024 is 2024-03-15 (1 March is a Friday); not an NYSE holiday (Good
    # Friday 2024 is 29 March). Trading stops at the 09:30 NYSE open, New York on EDT since 10 March.
    obj = one_object(calendar("--contract", "ESH24"))
    h.expect(sorted(obj) == sorted(CONTRACT_KEYS),
             "keys %s, expected exactly %s" % (sorted(obj), sorted(CONTRACT_KEYS)))
    expect_fields(obj, {"contract": "ESH24", "product": "ES", "contract_month": "2024-03",
                        "last_trade_date": "2024-03-15",
                        "trading_terminates": "2024-03-15T09:30:00-04:00",
                        "final_settlement_date": "2024-03-15", "settlement_type": "cash",
                        "calendars": ["NYSE"], "unscheduled_holiday": False}, "ESH24")
    h.expect(isinstance(obj["final_settlement_basis"], str) and obj["final_settlement_basis"],
             "final_settlement_basis is %r, not a non-empty string" % obj["final_settlement_basis"])


@checks.add
def contract_cnhu23_spot_month():
    # Third Wednesday of September 2023 is 2023-09-20; two Hong Kong business days before it are
    # Tue 19 and Mon 18 Sep, provided the fixture has no HK holiday on either day.
    with open(os.path.join(args.refdata, "holidays.csv"), newline="") as f:
        rows = list(csv.reader(f))
    for n, fields in enumerate(rows, start=1):
        h.expect(not (fields and fields[0] == "HK" and len(fields) > 2 and
                      fields[2] in ("date:2023-09-18", "date:2023-09-19")),
                 "fixture holidays.csv:%d makes an HK holiday of %s" % (n, fields[2:3]))
    obj = one_object(calendar("--contract", "CNHU23"))
    expect_fields(obj, {"contract": "CNHU23", "product": "CNH", "contract_month": "2023-09",
                        "last_trade_date": "2023-09-18",
                        "trading_terminates": "2023-09-18T11:00:00+08:00",
                        "spot_month_start": "2023-09-11", "settlement_type": "physical"},
                  "CNHU23")


@checks.add
def contract_alias_emdm24_is_mem24():
    obj = one_object(calendar("--contract", "EMDM24"))
    expect_fields(obj, {"contract": "MEM24", "product": "ME", "contract_month": "2024-06"},
                  "EMDM24")


@checks.add
def product_es_contracts_of_2024():
    # Third Fridays of 2024: 15 Mar, 21 Jun, 20 Sep, 20 Dec; the NYSE 2024 holidays (1 Jan, 15 Jan,
    # 19 Feb, 29 Mar, 27 May, 19 Jun, 4 Jul, 2 Sep, 28 Nov, 25 Dec) include none of them.
    objs = json_lines(calendar("--product", "ES", "--from", "2024-01-01", "--to", "2024-12-31"))
    got = [(o.get("contract"), o.get("last_trade_date")) for o in objs]
    want = [("ESH24", "2024-03-15"), ("ESM24", "2024-06-21"), ("ESU24", "2024-09-20"),
            ("ESZ24", "2024-12-20")]
    h.expect(got == want, "got %s, expected %s" % (got, want))


@checks.add
def nyse_holidays_january_2025():
    objs = json_lines(calendar("--calendar", "NYSE", "--holidays",
                               "--from", "2025-01-01", "--to", "2025-01-31"))
    bad_keys = [o for o in objs if sorted(o) != ["date", "name"]]
    h.expect(not bad_keys, "objects without exactly the keys date and name: %s" % bad_keys)
    dates = [o["date"] for o in objs]
    h.expect(dates == ["2025-01-01", "2025-01-09", "2025-01-20"],
             "dates %s, expected 2025-01-01, 2025-01-09, 2025-01-20" % dates)
    marked = [o["date"] for o in objs if o["name"].endswith("(unscheduled)")]
    h.expect(marked == ["2025-01-09"], "holidays marked (unscheduled): %s, expected only "
             "2025-01-09: %s" % (marked, objs))


@checks.add
def nyse_holidays_outside_coverage_exit_6():
    p = calendar("--calendar", "NYSE", "--holidays", "--from", "2031-01-01", "--to", "2031-01-31")
    h.expect(p.returncode == 6, "expected exit 6: " + h.describe(p))
    h.expect("2013-2030" in p.stderr, "the error does not give the coverage 2013-2030: " +
             h.describe(p))
    h.expect(not p.stdout.strip(), "holidays were printed: " + h.describe(p))


@checks.add
def unknown_product_and_no_mode_exit_2():
    p = calendar("--contract", "ZZZH24")
    h.expect(p.returncode == 2, "unknown product: expected exit 2: " + h.describe(p))
    h.expect("ZZZ" in p.stderr, "the error does not name ZZZ: " + h.describe(p))
    p = calendar()
    h.expect(p.returncode == 2, "no mode: expected exit 2: " + h.describe(p))
    h.expect(not p.stdout.strip(), "no mode printed output: " + h.describe(p))


def main():
    global args
    args = h.parse_args(__doc__)
    missing = [f for f in REFDATA_FILES if not os.path.isfile(os.path.join(args.refdata, f))]
    if missing:
        print("--refdata %s lacks %s" % (args.refdata, ", ".join(missing)), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="eodclear-refdata-cli-") as work:
        state["work"] = work
        state["refdata"] = fresh_copy("calendar")
        return checks.run_all()


if __name__ == "__main__":
    sys.exit(main())
