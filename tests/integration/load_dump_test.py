#!/usr/bin/python3
"""End-to-end: `eodclear load` and `eodclear dump` on one development broker.

- Trades, quotes and reference prices loaded from CSV round-trip through `dump`: one JSON object
  per message with every proto field present under its proto name, decimals as JSON strings in
  canonical text (shortest exact form: "4400.50" -> "4400.5"), integers as JSON numbers, enums by
  name, contracts canonicalised (EMDM23 -> MEM23), messages keyed by canonical contract or name,
  and lines ordered by partition then offset (compared with python3-kafka's own reading).
- A file with malformed rows (bad date, time without offset, non-decimal price, unknown product,
  quantity 0, wrong field count) reports each as `file:line: what` with its line number, exits 3
  and produces nothing; with --skip-bad only the good rows are produced and it exits 1.
- A wrong header is rejected naming the file; --help of every subcommand exits 0.
"""

import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

args = None
state = {}
checks = h.Checks()

TRADES_CSV = """\
trade_id,trade_date,exec_time,contract,price,quantity,buyer_firm,buyer_account,seller_firm,seller_account
T-1,2023-06-16,2023-06-16T09:30:00-05:00,ESM23,4400.25,5,FIRM1,ACC-1,FIRM2,ACC-9
T-2,2023-06-16,2023-06-16T14:31:07Z,EMDM23,2500.10,3,FIRM1,ACC-1,FIRM3,ACC-5
T-3,2023-06-16,2023-06-16T10:02:03.250+01:00,NQM23,15000.50,12,FIRM2,ACC-9,FIRM1,ACC-2
T-4,2023-06-15,2023-06-15T15:00:00-05:00,YMU23,34000,1,FIRM3,ACC-5,FIRM2,ACC-9
T-5,2023-06-16,2023-06-16T08:00:00-05:00,CNHM23,7.1234,2,FIRM2,ACC-8,FIRM1,ACC-1
"""


def trade(trade_id, date, time, contract, price, qty, bf, ba, sf, sa):
    return {"trade_id": trade_id, "trade_date": date, "exec_time": time, "contract": contract,
            "price": price, "quantity": qty, "buyer": {"firm": bf, "account": ba},
            "seller": {"firm": sf, "account": sa}}


# What dump must print for each row, written out by hand.
TRADES_JSON = [
    trade("T-1", "2023-06-16", "2023-06-16T09:30:00-05:00", "ESM23", "4400.25", 5,
          "FIRM1", "ACC-1", "FIRM2", "ACC-9"),
    trade("T-2", "2023-06-16", "2023-06-16T14:31:07Z", "MEM23", "2500.1", 3,
          "FIRM1", "ACC-1", "FIRM3", "ACC-5"),
    trade("T-3", "2023-06-16", "2023-06-16T10:02:03.250+01:00", "NQM23", "15000.5", 12,
          "FIRM2", "ACC-9", "FIRM1", "ACC-2"),
    trade("T-4", "2023-06-15", "2023-06-15T15:00:00-05:00", "YMU23", "34000", 1,
          "FIRM3", "ACC-5", "FIRM2", "ACC-9"),
    trade("T-5", "2023-06-16", "2023-06-16T08:00:00-05:00", "CNHM23", "7.1234", 2,
          "FIRM2", "ACC-8", "FIRM1", "ACC-1"),
]

QUOTES_CSV = """\
contract,time,bid,bid_size,ask,ask_size
ESM23,2023-06-16T14:59:59-05:00,4400.25,12,4400.50,7
EMDM23,2023-06-16T20:00:00Z,,0,2500.30,3
RTYM23,2023-06-16T15:00:00-05:00,1880.10,4,,0
"""

QUOTES_JSON = [
    {"contract": "ESM23", "time": "2023-06-16T14:59:59-05:00", "bid": "4400.25", "bid_size": 12,
     "ask": "4400.5", "ask_size": 7},
    {"contract": "MEM23", "time": "2023-06-16T20:00:00Z", "bid": "", "bid_size": 0,
     "ask": "2500.3", "ask_size": 3},
    {"contract": "RTYM23", "time": "2023-06-16T15:00:00-05:00", "bid": "1880.1", "bid_size": 4,
     "ask": "", "ask_size": 0},
]

REFERENCE_PRICES_CSV = """\
name,date,kind,value,published_at
SPX,2023-06-16,SOQ,4425.840,2023-06-16T09:45:00-04:00
NDX,2023-06-16,OFFICIAL_CLOSE,15083.93,2023-06-16T16:15:00-04:00
ETHEUR_RR,2023-06-16,REFERENCE_RATE,1578.25,2023-06-16T16:00:00+01:00
NDX_VOLS,2023-06-16,SPECIAL_QUOTATION,14990.10,2023-06-16T09:35:00-04:00
"""

REFERENCE_PRICES_JSON = [
    {"name": "SPX", "date": "2023-06-16", "kind": "SOQ", "value": "4425.84",
     "published_at": "2023-06-16T09:45:00-04:00"},
    {"name": "NDX", "date": "2023-06-16", "kind": "OFFICIAL_CLOSE", "value": "15083.93",
     "published_at": "2023-06-16T16:15:00-04:00"},
    {"name": "ETHEUR_RR", "date": "2023-06-16", "kind": "REFERENCE_RATE", "value": "1578.25",
     "published_at": "2023-06-16T16:00:00+01:00"},
    {"name": "NDX_VOLS", "date": "2023-06-16", "kind": "SPECIAL_QUOTATION", "value": "14990.1",
     "published_at": "2023-06-16T09:35:00-04:00"},
]

GOOD_ROW = "{id},2023-06-16,2023-06-16T09:30:00-05:00,ESM23,4400.25,5,F1,A1,F2,B1"
# Line number -> (row, words the message must contain). Line 1 is the header.
MALFORMED_LINES = {
    2: (GOOD_ROW.format(id="G1"), None),
    3: ("X1,2023-02-30,2023-06-16T09:30:00-05:00,ESM23,4400.25,5,F1,A1,F2,B1",
        ["trade_date", "2023-02-30"]),
    4: ("G2,2023-06-16,2023-06-16T09:30:00Z,EMDM23,2500.10,1,F1,A1,F2,B1", None),
    5: ("X2,2023-06-16,2023-06-16T09:30:00,ESM23,4400.25,5,F1,A1,F2,B1", ["exec_time"]),
    6: ("X3,2023-06-16,2023-06-16T09:30:00-05:00,ESM23,44OO.25,5,F1,A1,F2,B1",
        ["price", "44OO.25"]),
    7: ("G3,2023-06-16,2023-06-16T09:31:00-05:00,NQM23,15000.5,2,F1,A1,F2,B1", None),
    8: ("X4,2023-06-16,2023-06-16T09:30:00-05:00,ZZZM23,100,5,F1,A1,F2,B1", ["ZZZ"]),
    9: ("X5,2023-06-16,2023-06-16T09:30:00-05:00,ESM23,4400.25,0,F1,A1,F2,B1", ["quantity"]),
    10: ("X6,2023-06-16,2023-06-16T09:30:00-05:00,ESM23,4400.25,5,F1,A1,F2", ["field"]),
    11: ("G4,2023-06-16,2023-06-16T09:32:00-05:00,YMM23,34000,1,F1,A1,F2,B1", None),
}
GOOD_IDS = ["G1", "G2", "G3", "G4"]


def write(name, text):
    path = os.path.join(state["work"], name)
    with open(path, "w") as f:
        f.write(text)
    return path


def load(topic, path, *extra):
    return h.run([args.binary, "load", "--brokers", state["broker"].bootstrap, "--topic", topic,
                  "--file", path, "--refdata", args.refdata] + list(extra))


def dump(topic, *extra):
    p = h.run([args.binary, "dump", "--brokers", state["broker"].bootstrap, "--topic", topic]
              + list(extra))
    h.expect(p.returncode == 0, "dump failed: " + h.describe(p))
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError as e:
            raise h.CheckFailed("dump of %s printed a line that is not JSON (%s): %r" %
                                (topic, e, line))
    return out


def proto_to_plain(msg):
    """A message as dump must print it: every field under its proto name; strings as strings,
    integers as numbers, enums by name, nested messages as objects."""
    from google.protobuf.descriptor import FieldDescriptor as F
    out = {}
    for f in msg.DESCRIPTOR.fields:
        v = getattr(msg, f.name)
        if f.type == F.TYPE_MESSAGE:
            out[f.name] = proto_to_plain(v)
        elif f.type == F.TYPE_ENUM:
            out[f.name] = f.enum_type.values_by_number[v].name
        else:
            out[f.name] = v
    return out


def check_types(obj, msg_class, where):
    """Every proto field present, no other key, and each value of its JSON type."""
    from google.protobuf.descriptor import FieldDescriptor as F
    names = [f.name for f in msg_class.DESCRIPTOR.fields]
    h.expect(sorted(obj) == sorted(names),
             "%s: keys %s, proto fields %s" % (where, sorted(obj), sorted(names)))
    for f in msg_class.DESCRIPTOR.fields:
        v = obj[f.name]
        if f.type == F.TYPE_MESSAGE:
            h.expect(isinstance(v, dict), "%s.%s is %r, not an object" % (where, f.name, v))
            check_types(v, type(getattr(msg_class(), f.name)), where + "." + f.name)
        elif f.type in (F.TYPE_STRING, F.TYPE_ENUM):
            h.expect(isinstance(v, str), "%s.%s is %r, not a JSON string" % (where, f.name, v))
        elif f.type in (F.TYPE_INT64, F.TYPE_INT32, F.TYPE_SINT64, F.TYPE_UINT64):
            h.expect(isinstance(v, int) and not isinstance(v, bool),
                     "%s.%s is %r, not a JSON number" % (where, f.name, v))


def round_trip(topic, csv_name, csv_text, expected_json, msg_class, key_field):
    path = write(csv_name, csv_text)
    p = load(topic, path)
    h.expect(p.returncode == 0, "load of %s failed: %s" % (csv_name, h.describe(p)))
    dumped = dump(topic)
    for i, obj in enumerate(dumped):
        check_types(obj, msg_class, "%s line %d" % (topic, i + 1))
    by_content = sorted(json.dumps(o, sort_keys=True) for o in dumped)
    want = sorted(json.dumps(o, sort_keys=True) for o in expected_json)
    h.expect(by_content == want, "dump of %s:\n  got\n    %s\n  expected\n    %s" %
             (topic, "\n    ".join(by_content), "\n    ".join(want)))
    # The same messages as python3-kafka reads them, in partition then offset order.
    records = h.read_topic(state["broker"].bootstrap, topic)
    read = [proto_to_plain(msg_class.FromString(r.value)) for r in records]
    h.expect(dumped == read, "dump of %s is not in partition/offset order or differs from the "
             "messages on the topic:\n  dump   %s\n  python %s" % (topic, dumped, read))
    for r in records:
        want_key = getattr(msg_class.FromString(r.value), key_field).encode()
        h.expect(r.key == want_key, "%s message at %d/%d has key %r, expected %r" %
                 (topic, r.partition, r.offset, r.key, want_key))


@checks.add
def trades_round_trip_through_dump():
    from clearing.v1 import trade_pb2
    round_trip("trades", "trades.csv", TRADES_CSV, TRADES_JSON, trade_pb2.Trade, "contract")


@checks.add
def quotes_round_trip_through_dump():
    from clearing.v1 import quote_pb2
    round_trip("quotes", "quotes.csv", QUOTES_CSV, QUOTES_JSON, quote_pb2.Quote, "contract")


@checks.add
def reference_prices_round_trip_through_dump():
    from clearing.v1 import reference_price_pb2
    round_trip("reference-prices", "reference_prices.csv", REFERENCE_PRICES_CSV,
               REFERENCE_PRICES_JSON, reference_price_pb2.ReferencePrice, "name")


def malformed_file():
    header = ("trade_id,trade_date,exec_time,contract,price,quantity,"
              "buyer_firm,buyer_account,seller_firm,seller_account")
    rows = [header] + [MALFORMED_LINES[n][0] for n in sorted(MALFORMED_LINES)]
    return write("malformed.csv", "\n".join(rows) + "\n")


def report_problems(path, stderr):
    """What is wrong with the per-row reports in `stderr` of a load of the malformed file."""
    lines = stderr.splitlines()
    problems = []
    for n, (row, words) in sorted(MALFORMED_LINES.items()):
        prefix = "%s:%d: " % (path, n)
        hits = [line for line in lines if prefix in line]
        if words is None:
            if hits:
                problems.append("good line %d reported: %s" % (n, hits))
        elif len(hits) != 1:
            problems.append("line %d (%s): %d reports %r" % (n, row, len(hits), prefix))
        elif not all(w in hits[0] for w in words):
            problems.append("line %d report %r does not mention %s" % (n, hits[0], words))
    return problems


@checks.add
def malformed_rows_reported_by_line_exit_3_nothing_produced():
    path = malformed_file()
    p = load("malformed-trades", path)
    problems = report_problems(path, p.stderr)
    if p.returncode != 3:
        problems.append("exit code %d, expected 3" % p.returncode)
    ends = h.end_offsets(state["broker"].bootstrap, "malformed-trades")
    if any(ends.values()):
        problems.append("messages were produced: end offsets %s" % ends)
    h.expect(not problems, "\n  " + "\n  ".join(problems) + "\n" + h.describe(p))


@checks.add
def skip_bad_produces_only_good_rows_exit_1():
    from clearing.v1 import trade_pb2
    path = malformed_file()
    p = load("skip-bad-trades", path, "--skip-bad")
    problems = report_problems(path, p.stderr)
    if p.returncode != 1:
        problems.append("exit code %d, expected 1" % p.returncode)
    ids = sorted(trade_pb2.Trade.FromString(r.value).trade_id
                 for r in h.read_topic(state["broker"].bootstrap, "skip-bad-trades"))
    if ids != GOOD_IDS:
        problems.append("topic holds trades %s, expected the good rows %s" % (ids, GOOD_IDS))
    h.expect(not problems, "\n  " + "\n  ".join(problems) + "\n" + h.describe(p))
    dumped = sorted(o["trade_id"] for o in dump("skip-bad-trades", "--type", "Trade"))
    h.expect(dumped == GOOD_IDS, "dump --type Trade shows %s, expected %s" % (dumped, GOOD_IDS))


@checks.add
def wrong_header_rejected_naming_the_file():
    path = write("wrong_header.csv",
                 "trade_id,trade_date,exec_time,contract,prize,quantity,buyer_firm,"
                 "buyer_account,seller_firm,seller_account\n" + GOOD_ROW.format(id="H1") + "\n")
    p = load("header-trades", path)
    h.expect(p.returncode != 0, "a wrong header was accepted: " + h.describe(p))
    h.expect(path in p.stderr, "the error does not name %s: %s" % (path, h.describe(p)))
    ends = h.end_offsets(state["broker"].bootstrap, "header-trades")
    h.expect(not any(ends.values()), "messages were produced: end offsets %s" % ends)


@checks.add
def help_of_every_subcommand_exits_0():
    problems = []
    for sub in [[], ["run"], ["broker"], ["load"], ["dump"], ["bench"]]:
        p = h.run([args.binary] + sub + ["--help"])
        if p.returncode != 0 or "Usage" not in p.stdout:
            problems.append(h.describe(p))
    h.expect(not problems, "\n".join(problems))


def main():
    global args
    args = h.parse_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="eodclear-load-dump-") as work:
        state["work"] = work
        try:
            state["broker"] = h.start_broker(
                args.binary, ["--topic", "malformed-trades", "--topic", "skip-bad-trades",
                              "--topic", "header-trades"])
            return checks.run_all()
        finally:
            if "broker" in state:
                state["broker"].kill()


if __name__ == "__main__":
    sys.exit(main())
