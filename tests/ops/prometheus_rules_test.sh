#!/usr/bin/env bash
# Checks and unit-tests the Prometheus alerting rules in ops/prometheus with promtool
# (Debian package `prometheus`, installed by ops/install-deps.sh).
#
#   bash tests/ops/prometheus_rules_test.sh [REPOSITORY_ROOT]
#
# REPOSITORY_ROOT defaults to two levels above this script. PROMTOOL overrides the promtool binary.
# Exits non-zero when promtool is missing, a rules file is invalid or has lint findings, a unit test
# fails, or a rule names a metric that eodclear does not export.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
dir="${root}/ops/prometheus"
promtool="${PROMTOOL:-$(command -v promtool || true)}"

if [[ -z "${promtool}" || ! -x "${promtool}" ]]; then
  echo "FAIL: promtool not found (install Debian's prometheus package: ops/install-deps.sh)" >&2
  exit 1
fi
if [[ ! -d "${dir}" ]]; then
  echo "FAIL: ${dir} does not exist" >&2
  exit 1
fi

shopt -s nullglob
rules=()
tests=()
for f in "${dir}"/*.yml; do
  if [[ "${f}" == *.test.yml ]]; then tests+=("${f}"); else rules+=("${f}"); fi
done
if (( ${#rules[@]} == 0 || ${#tests[@]} == 0 )); then
  echo "FAIL: expected rules files and *.test.yml files in ${dir}" >&2
  exit 1
fi

status=0

echo "== promtool check rules (lint fatal)"
if ! "${promtool}" check rules --lint=all --lint-fatal "${rules[@]}"; then
  echo "FAIL: promtool check rules" >&2
  status=1
fi

echo "== metric names used by the rules"
# Only the metrics eodclear exports (pipeline/metrics.h, README.md "Metrics") and the run gauges.
allowed="eodclear_messages_consumed_total eodclear_messages_rejected_total
eodclear_records_published_total eodclear_stage_duration_seconds eodclear_consumer_lag_messages
eodclear_unknown_accounts eodclear_settlement_prices_total eodclear_final_settlements_total
eodclear_variation_margin_paid_total eodclear_invariant_checks_total eodclear_offsets_total
eodclear_position_limit_findings_total eodclear_run_exit_code eodclear_run_success
eodclear_last_success_timestamp_seconds eodclear_run_business_date_seconds"
for name in $(grep -v '^[[:space:]]*#' "${rules[@]}" | grep -ohE '\beodclear_[a-z_]+' | sort -u); do
  if ! grep -qw -- "${name}" <<<"${allowed}"; then
    echo "FAIL: rules use ${name}, which eodclear does not export" >&2
    status=1
  fi
done

echo "== promtool test rules"
for t in "${tests[@]}"; do
  # promtool resolves rule_files relative to the test file.
  if ! (cd "$(dirname "${t}")" && "${promtool}" test rules "$(basename "${t}")"); then
    echo "FAIL: promtool test rules ${t}" >&2
    status=1
  fi
done

if (( status == 0 )); then echo "PASS"; fi
exit "${status}"
