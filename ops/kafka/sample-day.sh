#!/usr/bin/env bash
# Settles the sample business day (ops/sample, 2023-06-16) against the Kafka at $EODCLEAR_BROKERS:
# creates eodclear's topics (single-node settings unless EODCLEAR_REPLICATION is set), loads the
# sample's trades, quotes and reference prices, runs the day, and writes each output topic as JSON
# lines to OUTPUT_DIR. Meant to run under ops/kafka/kafka_local.py run, which sets
# $EODCLEAR_BROKERS:
#
#   ops/kafka/kafka_local.py run -- ops/kafka/sample-day.sh build/pipeline/cli/eodclear out/kafka
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 EODCLEAR_BINARY OUTPUT_DIR (with EODCLEAR_BROKERS set)" >&2
  exit 2
fi
eodclear=$1
out=$2
: "${EODCLEAR_BROKERS:?set EODCLEAR_BROKERS to the Kafka bootstrap servers (kafka_local.py run does)}"
repo=$(cd "$(dirname "$0")/../.." && pwd)
rf=${EODCLEAR_REPLICATION:-1}
isr=$(( rf >= 3 ? 2 : 1 ))
state=$(mktemp -d "${TMPDIR:-/tmp}/eodclear-sample-state.XXXXXX")
trap 'rm -rf "$state"' EXIT

"$eodclear" topics --brokers "$EODCLEAR_BROKERS" --replication-factor "$rf" \
  --min-insync-replicas "$isr" > /dev/null
for input in trades quotes reference_prices; do
  "$eodclear" load --brokers "$EODCLEAR_BROKERS" --topic "${input//_/-}" \
    --file "$repo/ops/sample/$input.csv"
done
set +e
"$eodclear" run --date 2023-06-16 --brokers "$EODCLEAR_BROKERS" --state "$state"
code=$?
set -e
if [ "$code" -gt 1 ]; then exit "$code"; fi
mkdir -p "$out"
for topic in positions settlement-prices variation-margin final-settlements offsets \
             position-limit-findings large-trader-reports dead-letters eod-runs; do
  "$eodclear" dump --brokers "$EODCLEAR_BROKERS" --topic "$topic" > "$out/$topic.jsonl"
done
echo "sample-day: 2023-06-16 settled on $EODCLEAR_BROKERS; outputs in $out" >&2
exit "$code"
