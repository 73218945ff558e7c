#!/usr/bin/python3
"""End-to-end: trades that cannot be applied land in `dead-letters`, and the run still succeeds.

One broker, one business date. `eodclear load` produces a small CSV of valid trades in which two
rows share a trade id; python3-kafka produces six bad trades straight to `trades` (bytes that are
no protobuf, quantity 0, an unknown product, an off-tick ES price, an empty buyer account, and a
valid ESM23 trade executed after ESM23's trading terminated at 08:30 CT on the date). Each contract
traded validly gets a DAILY settlement override for the date, loaded with `eodclear load --topic
settlement-overrides`, since none has a trade in its settlement window, a closing quote or a prior
settlement. `eodclear run` must exit 1 (completed with dead letters), and, read back with
python3-kafka:
- `dead-letters` holds exactly one record per bad message, with the right reason, source topic,
  partition and offset, the original key and value byte for byte, and the date's run id;
- `positions` equals the positions computed here from the applied trades only;
- `settlement-prices` holds exactly the overrides, one per contract traded validly;
- the date's `eod-runs` record counts the dead letters, says SUCCEEDED_WITH_DATA_ERRORS, lists the
  stages ingest, settlement, offsetting, position_limits, publish in that order, and its topic
  summaries (positions, dead-letters, settlement-prices, variation-margin, final-settlements,
  offsets, position-limit-findings, large-trader-reports, once each and no other) match the records
  published under its run id (count and checksum);
- `offsets`, `position-limit-findings` and `large-trader-reports` have no record of the run, as
  worked out from the fixture's reference data: the accounts (ACC1, ACC2, ACC5, ACC9) are not in
  accounts.csv, so none is auto_offset and each is its own owner; the contracts applied (ESU23,
  MEU23, NQU23) include no pair of offsets.csv held on both sides (ES pairs only with MES, not
  traded) and no product of position_limits.csv (CNH, MNH), so nothing is limit-checked or
  reportable; the positions are therefore the trades' own (no CH/CH-OFFSET legs).
"""

import collections
import decimal
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

BUSINESS_DATE = "2023-06-16"

# Valid trades, on September contracts: the June equity index contracts stop trading at 08:30 CT
# on the date, and every trade here is later. T-002 appears twice, both on EMDU23, so both land on
# one partition and the later offset is the duplicate; the duplicate's quantity and parties
# differ, so applying it would show in the positions. `canonical` is the contract as positions
# name it (EMD is ME's alias).
CSV_TRADES = [h.CsvTrade(*row) for row in [
    ("T-001", "2023-06-16T09:30:00-05:00", "ESU23", "ESU23", "4400.25", 5, "F1", "ACC1", "F2", "ACC9"),
    ("T-002", "2023-06-16T09:31:00-05:00", "EMDU23", "MEU23", "2500.10", 3, "F1", "ACC1", "F3", "ACC5"),
    ("T-003", "2023-06-16T09:32:00-05:00", "NQU23", "NQU23", "15000.50", 2, "F2", "ACC9", "F1", "ACC2"),
    ("T-004", "2023-06-16T14:10:00Z", "ESU23", "ESU23", "4401.00", 4, "F3", "ACC5", "F1", "ACC1"),
    ("T-002", "2023-06-16T09:45:00-05:00", "EMDU23", "MEU23", "2500.20", 7, "F2", "ACC9", "F1", "ACC1"),
]]

# The DAILY override of each contract traded validly (prices on the settlement tick: ES and NQ
# 0.25, ME 0.10): none of the trades above is in its 14:59:30-15:00:00 CT window, there is no
# quote and no prior settlement (a first day), so without them the run stops with exit 6.
OVERRIDES = {"ESU23": "4400.50", "MEU23": "2500.30", "NQU23": "15001.00"}
OVERRIDES_HEADER = "business_date,contract,kind,price,reason,entered_by"

state = {}


def make_trade(trade_id, contract, price, quantity, buyer, seller):
    """A Trade of the business date executed at 10:00 CT (11:00 New York)."""
    from clearing.v1 import trade_pb2
    t = trade_pb2.Trade()
    t.trade_id = trade_id
    t.trade_date = BUSINESS_DATE
    t.exec_time = "2023-06-16T10:00:00-05:00"
    t.contract = contract
    t.price = price
    t.quantity = quantity
    t.buyer.firm, t.buyer.account = buyer
    t.seller.firm, t.seller.account = seller
    return t.SerializeToString()


def bad_messages():
    """(label, key, value, expected reason) of each message produced straight to `trades`."""
    from google.protobuf.message import DecodeError
    from clearing.v1 import trade_pb2
    # Field 1 with wire type 7, which does not exist: no protobuf parser accepts it.
    garbage = b"\x0fnot a clearing.v1.Trade \xff\xfe\x00"
    try:
        trade_pb2.Trade().ParseFromString(garbage)
    except DecodeError:
        pass
    else:
        raise h.CheckFailed("test setup: the garbage bytes decode as a Trade; pick other bytes")
    # Each message has exactly one fault: all but the last are on ESU23, which trades all day.
    return [
        ("garbage bytes", b"garbage", garbage, "UNDECODABLE"),
        ("quantity 0", b"ESU23",
         make_trade("T-B2", "ESU23", "4400.25", 0, ("F1", "ACC1"), ("F2", "ACC9")),
         "NON_POSITIVE_QUANTITY"),
        ("unknown product ZZZM23", b"ZZZM23",
         make_trade("T-B3", "ZZZM23", "100.25", 6, ("F1", "ACC1"), ("F2", "ACC9")),
         "UNKNOWN_CONTRACT"),
        ("off-tick ES price 4400.10", b"ESU23",
         make_trade("T-B4", "ESU23", "4400.10", 6, ("F1", "ACC1"), ("F2", "ACC9")),
         "OFF_TICK_PRICE"),
        ("empty buyer account", b"ESU23",
         make_trade("T-B5", "ESU23", "4400.50", 8, ("F1", ""), ("F2", "ACC9")),
         "MISSING_FIELD"),
        # Valid in every field, but executed at 11:00 New York, after ESM23's trading terminated
        # (09:30 New York on its last trade date, 2023-06-16: SER 9163, NYSE open).
        ("ESM23 trade after termination", b"ESM23",
         make_trade("T-B6", "ESM23", "4400.50", 2, ("F1", "ACC1"), ("F2", "ACC9")),
         "CONTRACT_TERMINATED"),
    ]


def scenario():
    """Runs the scenario once; later calls return its result (or repeat its failure)."""
    return h.once(state, "result", "scenario setup", build_scenario)


def date_run(s):
    """The business date's eod-runs record (the last one); fails the check when there is none."""
    run, _ = h.eod_run_of(s["bootstrap"], BUSINESS_DATE)
    h.expect(run is not None, "no eod-runs record for %s" % BUSINESS_DATE)
    return run


def of_run(s, topic, message_class, run):
    """(record, message) of each record of `topic` whose message carries the run's id."""
    records = [(r, message_class.FromString(r.value)) for r in h.read_topic(s["bootstrap"], topic)]
    return [(r, m) for r, m in records if m.run_id == run.run_id]


def build_scenario():
    from clearing.v1 import trade_pb2
    args = state["args"]
    work = state["work"]
    broker = h.start_broker(args.binary, ["--listen", "127.0.0.1:0"])
    state["broker"] = broker
    bs = broker.bootstrap

    csv_path = os.path.join(work, "trades.csv")
    h.write_trades_csv(csv_path, BUSINESS_DATE, CSV_TRADES)
    p = h.run([args.binary, "load", "--brokers", bs, "--topic", "trades", "--file", csv_path,
               "--refdata", args.refdata])
    h.expect(p.returncode == 0, "test setup: load of valid trades failed: " + h.describe(p))

    # Where the loaded trades landed, read independently: the later of the two T-002 messages
    # is the duplicate.
    loaded = h.read_topic(bs, "trades")
    h.expect(len(loaded) == len(CSV_TRADES),
             "test setup: %d messages on trades after loading %d rows" %
             (len(loaded), len(CSV_TRADES)))
    dup_ids = [r for r in loaded if trade_pb2.Trade.FromString(r.value).trade_id == "T-002"]
    h.expect(len(dup_ids) == 2 and dup_ids[0].partition == dup_ids[1].partition,
             "test setup: the two T-002 trades are not on one partition: %s" % (dup_ids,))
    duplicate = max(dup_ids, key=lambda r: r.offset)
    dup_trade = trade_pb2.Trade.FromString(duplicate.value)

    bad = bad_messages()
    positions_of_bad = h.produce(bs, "trades", [(k, v) for _, k, v, _ in bad])

    expected_dead = {}  # (topic, partition, offset) -> (label, reason, key, value)
    for (label, key, value, reason), (part, off) in zip(bad, positions_of_bad):
        expected_dead[("trades", part, off)] = (label, reason, key, value)
    expected_dead[("trades", duplicate.partition, duplicate.offset)] = (
        "duplicate trade id T-002", "DUPLICATE_TRADE_ID", duplicate.key, duplicate.value)

    # Positions by hand, from the valid rows minus the duplicate (identified by its content).
    applied = [r for r in CSV_TRADES
               if not (r.trade_id == dup_trade.trade_id and r.quantity == dup_trade.quantity
                       and r.buyer_account == dup_trade.buyer.account)]
    h.expect(len(applied) == len(CSV_TRADES) - 1,
             "test setup: cannot tell which CSV row is the duplicate")
    expected_positions = h.positions_of(applied)
    h.expect(all(v[0] != 0 for v in expected_positions.values()),
             "test setup: a position nets to zero; choose other quantities")

    overrides_path = os.path.join(work, "settlement-overrides.csv")
    with open(overrides_path, "w") as f:
        f.write(OVERRIDES_HEADER + "\n")
        for contract, price in sorted(OVERRIDES.items()):
            f.write(",".join([BUSINESS_DATE, contract, "DAILY", price,
                              "no window trade or quote (e2e test)", "ops-e2e"]) + "\n")
    p = h.run([args.binary, "load", "--brokers", bs, "--topic", "settlement-overrides", "--file",
               overrides_path, "--refdata", args.refdata])
    h.expect(p.returncode == 0, "test setup: load of settlement overrides failed: " + h.describe(p))
    h.expect(sorted({r.canonical for r in applied}) == sorted(OVERRIDES),
             "test setup: the overrides must cover exactly the contracts traded validly")

    run = h.run([args.binary, "run", "--date", BUSINESS_DATE, "--brokers", bs,
                 "--state", os.path.join(work, "state"), "--refdata", args.refdata],
                timeout=120)
    return dict(bootstrap=bs, run=run, expected_dead=expected_dead,
                expected_positions=expected_positions,
                consumed=len(CSV_TRADES) + len(bad))


checks = h.Checks()


@checks.add
def run_completes_with_dead_letters_exit_1():
    s = scenario()
    h.expect(s["run"].returncode == 1,
             "expected exit 1 (completed with dead letters): " + h.describe(s["run"]))


@checks.add
def eod_run_counts_dead_letters_and_reports_data_errors():
    s = scenario()
    from clearing.v1 import eod_run_pb2
    run, count = h.eod_run_of(s["bootstrap"], BUSINESS_DATE)
    h.expect(count == 1, "expected 1 eod-runs record for %s, found %d" % (BUSINESS_DATE, count))
    status = eod_run_pb2.EodRun.Status.Name(run.status)
    h.expect(status == "SUCCEEDED_WITH_DATA_ERRORS",
             "eod-runs status is %s, expected SUCCEEDED_WITH_DATA_ERRORS" % status)
    dead = h.read_topic(s["bootstrap"], "dead-letters")
    h.expect(run.messages_rejected == len(dead) == len(s["expected_dead"]),
             "eod-runs messages_rejected=%d, dead-letters records=%d, bad messages produced=%d" %
             (run.messages_rejected, len(dead), len(s["expected_dead"])))
    h.expect(run.messages_consumed == s["consumed"],
             "eod-runs messages_consumed=%d, messages on trades=%d" %
             (run.messages_consumed, s["consumed"]))
    h.expect(run.run_id, "eod-runs record has an empty run_id")


@checks.add
def each_bad_message_has_one_dead_letter_with_reason_source_and_original_bytes():
    s = scenario()
    from clearing.v1 import dead_letter_pb2
    run = date_run(s)
    got = {}
    problems = []
    for r in h.read_topic(s["bootstrap"], "dead-letters"):
        dl = dead_letter_pb2.DeadLetter.FromString(r.value)
        where = (dl.source_topic, dl.partition, dl.offset)
        if where in got:
            problems.append("two dead letters for %s[%d]@%d" % where)
        got[where] = (dl, r.key)
    expected = s["expected_dead"]
    for where in sorted(set(got) - set(expected)):
        dl = got[where][0]
        problems.append("unexpected dead letter for %s[%d]@%d: %s %s" %
                        (where + (dead_letter_pb2.DeadLetter.Reason.Name(dl.reason), dl.detail)))
    for where, (label, reason, key, value) in sorted(expected.items()):
        if where not in got:
            problems.append("%s (%s[%d]@%d): no dead letter" % ((label,) + where))
            continue
        dl, kafka_key = got[where]
        name = dead_letter_pb2.DeadLetter.Reason.Name(dl.reason)
        what = "%s (%s[%d]@%d)" % ((label,) + where)
        if name != reason:
            problems.append("%s: reason %s, expected %s (detail: %s)" %
                            (what, name, reason, dl.detail))
        if dl.original_value != value:
            problems.append("%s: original_value %r differs from the produced bytes %r" %
                            (what, dl.original_value, value))
        if dl.original_key != (key or b""):
            problems.append("%s: original_key %r, produced %r" % (what, dl.original_key, key))
        if dl.run_id != run.run_id:
            problems.append("%s: run_id %r, eod-runs says %r" % (what, dl.run_id, run.run_id))
        if dl.business_date != BUSINESS_DATE:
            problems.append("%s: business_date %r" % (what, dl.business_date))
        if not dl.detail:
            problems.append("%s: empty detail" % what)
        want_key = ("%s|%d|%d" % where).encode()
        if kafka_key != want_key:
            problems.append("%s: record key %r, expected %r" % (what, kafka_key, want_key))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def positions_exclude_every_rejected_trade():
    s = scenario()
    from clearing.v1 import position_pb2
    run = date_run(s)
    got = {}
    problems = []
    for r in h.read_topic(s["bootstrap"], "positions"):
        p = position_pb2.Position.FromString(r.value)
        if p.run_id != run.run_id:
            problems.append("position %s/%s %s has run_id %r, eod-runs says %r" %
                            (p.firm, p.account, p.contract, p.run_id, run.run_id))
            continue
        if p.business_date != BUSINESS_DATE:
            problems.append("position %s/%s %s has business_date %r" %
                            (p.firm, p.account, p.contract, p.business_date))
        want_key = "|".join([BUSINESS_DATE, p.firm, p.account, p.contract]).encode()
        if r.key != want_key:
            problems.append("position record key %r, expected %r" % (r.key, want_key))
        k = (p.firm, p.account, p.contract)
        if k in got:
            problems.append("two positions for %s" % (k,))
        got[k] = (p.quantity, p.bought, p.sold)
    expected = s["expected_positions"]
    for k in sorted(set(got) | set(expected)):
        if got.get(k) != expected.get(k):
            problems.append("%s/%s %s: (net, bought, sold) is %s, expected %s" %
                            (k + (got.get(k), expected.get(k))))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def settlement_prices_are_the_operator_overrides():
    s = scenario()
    from clearing.v1 import settlement_pb2
    run = date_run(s)
    got = collections.defaultdict(list)
    for r, sp in of_run(s, "settlement-prices", settlement_pb2.SettlementPrice, run):
        got[sp.contract].append((decimal.Decimal(sp.price), sp.tier, sp.business_date,
                                 r.key.decode()))
    want = {c: [(decimal.Decimal(price), "override", BUSINESS_DATE, "%s|%s" % (BUSINESS_DATE, c))]
            for c, price in OVERRIDES.items()}
    problems = ["%s: (price, tier, business_date, key) %s, expected %s" %
                (c, got.get(c), want.get(c))
                for c in sorted(set(got) | set(want)) if got.get(c) != want.get(c)]
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def eod_run_topic_summaries_match_published_records():
    s = scenario()
    from clearing.v1 import dead_letter_pb2, limits_pb2, position_pb2, settlement_pb2
    run = date_run(s)
    types = {"positions": position_pb2.Position, "dead-letters": dead_letter_pb2.DeadLetter,
             "settlement-prices": settlement_pb2.SettlementPrice,
             "variation-margin": settlement_pb2.VariationMargin,
             "final-settlements": settlement_pb2.FinalSettlement,
             "offsets": limits_pb2.Offset,
             "position-limit-findings": limits_pb2.PositionLimitFinding,
             "large-trader-reports": limits_pb2.LargeTraderReport}
    summaries = {t.topic: t for t in run.topics}
    problems = []
    if sorted(summaries) != sorted(types) or len(run.topics) != len(types):
        problems.append("eod-runs summarises topics %s, expected one summary each of %s" %
                        ([t.topic for t in run.topics], sorted(types)))
    for topic, cls in types.items():
        values = [r.value for r, _ in of_run(s, topic, cls, run)]
        t = summaries.get(topic)
        if t is None:
            problems.append("eod-runs has no summary of %s" % topic)
            continue
        if t.records != len(values):
            problems.append("%s: summary says %d records, %d carry the run id" %
                            (topic, t.records, len(values)))
        if t.checksum != h.record_checksum(values):
            problems.append("%s: summary checksum %s, computed %s" %
                            (topic, t.checksum, h.record_checksum(values)))
    # Non-empty where the scenario makes records: a settlement per contract and a variation-margin
    # record per position (no contract expires on the date, so final-settlements stays empty).
    # Offsetting and position limits have nothing to do here (see the module docstring): their
    # topics are summarised with 0 records and the checksum of no record.
    want_counts = {"settlement-prices": len(OVERRIDES), "final-settlements": 0, "offsets": 0,
                   "position-limit-findings": 0, "large-trader-reports": 0}
    counts = {t: summaries[t].records for t in want_counts if t in summaries}
    if counts != want_counts:
        problems.append("records per topic %s, expected %s" % (counts, want_counts))
    if "variation-margin" in summaries and \
            summaries["variation-margin"].records < len(s["expected_positions"]):
        problems.append("variation-margin: %d records, fewer than the %d positions" %
                        (summaries["variation-margin"].records, len(s["expected_positions"])))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def no_offsets_findings_or_reports_as_worked_out_from_the_refdata():
    """Works out from accounts.csv, offsets.csv and position_limits.csv that this scenario makes
    no offset, finding or report, then checks no record of the run is on those topics."""
    import csv
    s = scenario()
    from clearing.v1 import limits_pb2

    def rows(name):
        with open(os.path.join(state["args"].refdata, name)) as f:
            return list(csv.DictReader(line for line in f if not line.startswith("#")))
    listed = {r["account"] for r in rows("accounts.csv")}
    accounts = {k[1] for k in s["expected_positions"]}
    h.expect(not accounts & listed, "test setup: accounts %s are in accounts.csv" %
             sorted(accounts & listed))
    held = collections.defaultdict(dict)  # account -> product -> sign of its net position
    for (_, account, contract), (net, _, _) in s["expected_positions"].items():
        held[account][contract[:-3]] = net > 0
    pairs = {frozenset((r["code"], r["offset_to"])) for r in rows("offsets.csv")}
    both_sides = [(a, sorted(p)) for a, products in held.items() for p in pairs
                  if p <= set(products) and len({products[x] for x in p}) == 2]
    limited = {r["product"] for r in rows("position_limits.csv")}
    traded = {c[:-3] for (_, _, c) in s["expected_positions"]}
    # Even an account holding both sides would not be offset (none is auto_offset): this keeps the
    # reasoning of the docstring true of the data.
    h.expect(not both_sides and not traded & limited,
             "test setup: an account holds both sides of a pair %s or a limited product is "
             "traded %s" % (both_sides, sorted(traded & limited)))
    run = date_run(s)
    problems = []
    for topic, cls in (("offsets", limits_pb2.Offset),
                       ("position-limit-findings", limits_pb2.PositionLimitFinding),
                       ("large-trader-reports", limits_pb2.LargeTraderReport)):
        of_the_run = [m for _, m in of_run(s, topic, cls, run)]
        if of_the_run:
            problems.append("%s: %d records of the run, expected none, e.g. %s" %
                            (topic, len(of_the_run), of_the_run[0]))
    h.expect(not problems, "\n  " + "\n  ".join(problems))


@checks.add
def eod_run_lists_the_five_stages_in_order():
    s = scenario()
    run = date_run(s)
    got = [t.stage for t in run.stages]
    want = ["ingest", "settlement", "offsetting", "position_limits", "publish"]
    h.expect(got == want, "eod-runs stages %s, expected %s" % (got, want))


def main():
    state["args"] = h.parse_args(__doc__)
    with tempfile.TemporaryDirectory(prefix="eodclear-dead-letters-") as work:
        state["work"] = work
        try:
            return checks.run_all()
        finally:
            if "broker" in state:
                state["broker"].kill()


if __name__ == "__main__":
    sys.exit(main())
