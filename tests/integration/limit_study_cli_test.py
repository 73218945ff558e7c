"""`eodclear limits study` through the real binary.

Checks, on the test copy of the seed 002 series (tests/testdata/limit_study/seed_002_series.csv), that the three
output formats agree and reproduce CME Submission 13-543's August 2013 recommendation: 1 % and
2 % of the deliverable supply in contracts, rounded to the nearest 5,000, give 10,000 (spot
month) and 25,000 (all months) standard CNH contracts, and ten times that in MNH. Worked by hand:
709,463,000,000 CNH / (100,000 USD x 6.12145) = 1,158,978.67 contracts; 1 % = 11,589.79 -> 10,000;
2 % = 23,179.57 -> 25,000. Bad input exits 2.
"""
import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

args = None
checks = h.Checks()


def series():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata",
                        "limit_study", "seed_002_series.csv")


def study(*extra):
    return h.run([args.binary, "limits", "study", "--supply", series(), *extra], timeout=30)


@checks.add
def json_recommendation_reproduces_august_2013():
    r = study("--format", "json")
    h.expect(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    rec = [l for l in lines if l.get("record") == "recommendation"]
    h.expect(len(rec) == 1, "one recommendation line expected, got %r" % rec)
    rec = rec[0]
    want = {"month": "2013-08", "spot_month_limit": 10000, "all_months_limit": 25000,
            "mnh_spot_month_limit": 100000, "mnh_all_months_limit": 250000}
    got = {k: rec.get(k) for k in want}
    h.expect(got == want, "recommendation %r, expected %r" % (got, want))
    months = [l for l in lines if "month" in l and l.get("record") not in ("recommendation", "series")]
    h.expect(len(months) == 36, "36 monthly rows expected, got %d" % len(months))


@checks.add
def csv_has_a_header_and_one_row_per_month():
    r = study("--format", "csv")
    h.expect(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    rows = list(csv.reader(io.StringIO(r.stdout)))
    h.expect(len(rows) >= 37, "header + 36 rows expected, got %d" % len(rows))
    header = rows[0]
    h.expect("month" in header, "header %r has no month column" % header)
    months = [row[header.index("month")] for row in rows[1:] if row and row[0][:2] == "20"]
    h.expect(months[0] == "2010-09" and months[-1] == "2013-08",
             "months run %s..%s, expected 2010-09..2013-08" % (months[0], months[-1]))


@checks.add
def text_names_the_recommendation():
    r = study()
    h.expect(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    h.expect("CNH spot month 10,000, all months 25,000" in r.stdout,
             "text output lacks the recommendation: %s" % r.stdout[-400:])


@checks.add
def bad_format_and_missing_file_exit_2():
    r = study("--format", "xml")
    h.expect(r.returncode == 2, "--format xml exited %d" % r.returncode)
    r = h.run([args.binary, "limits", "study", "--supply", "/nonexistent/supply.csv"], timeout=30)
    h.expect(r.returncode == 2, "missing file exited %d" % r.returncode)
    h.expect("/nonexistent/supply.csv" in r.stderr, "stderr does not name the file: %s" % r.stderr)


def main():
    global args
    args = h.parse_args(__doc__)
    return checks.run_all()


if __name__ == "__main__":
    sys.exit(main())
