#!/bin/bash
# eodclear-run.sh — start the end-of-day run of one business date.
#
# Started by eodclear-eod.service (EnvironmentFile=/etc/eodclear/eodclear.env), by cron, or by hand:
#
#   eodclear-run.sh [YYYY-MM-DD]
#
# Business date, in order of precedence: the argument, EODCLEAR_DATE, or the latest weekday
# (Monday to Friday) whose end-of-day time EODCLEAR_CUTOFF (default 17:30) in EODCLEAR_TZ
# (default America/Chicago) has passed. Before the cut-off that is the previous weekday, so a
# catch-up start after downtime (Persistent=true) or a retry after midnight never closes a day
# whose trading is still going on.
#
# Skips the date with exit 0 and a log line when it is a Saturday or Sunday, a holiday of
# EODCLEAR_CALENDAR (default US) according to `eodclear calendar --holidays`, or listed in
# EODCLEAR_SKIP_DATES (spaces or commas between dates). Checks that the previous business date
# is published (gap check), then replaces itself with `eodclear run`, whose exit code becomes
# the service's.
#
# Settings (environment; see eodclear.env.example):
#   EODCLEAR_BROKERS (required unless dry run), EODCLEAR_STATE, EODCLEAR_REFDATA,
#   EODCLEAR_BIN, EODCLEAR_METRICS_LISTEN, EODCLEAR_PUSHGATEWAY, EODCLEAR_KAFKA_PROPERTIES,
#   EODCLEAR_SASL_PASSWORD, EODCLEAR_SSL_KEY_PASSWORD, EODCLEAR_EXTRA_ARGS, EODCLEAR_DATE,
#   EODCLEAR_TZ, EODCLEAR_CUTOFF, EODCLEAR_CALENDAR, EODCLEAR_SKIP_DATES, EODCLEAR_HOLIDAY_CHECK,
#   EODCLEAR_GAP_CHECK, EODCLEAR_GAP_CHECK_TIMEOUT, EODCLEAR_FORCE, EODCLEAR_DRY_RUN,
#   EODCLEAR_NOW (testing: the instant to take as "now", as `date -d` reads it, e.g.
#   'TZ="America/Chicago" 2025-07-03 17:31'), EODCLEAR_ENV_FILE (a file to read
#   settings from when not started by systemd).
#
# Exit codes: those of `eodclear run` (see ops/RUNBOOK.md); this script itself exits 0 on a
# skipped date or a dry run, 2 on a configuration error, 4 when the gap check cannot reach
# Kafka, 6 when the gap check finds an unpublished earlier business date, or the code of a
# failed `eodclear calendar` holiday check.

set -euo pipefail

log() { echo "eodclear-run: $*" >&2; }
die() { local rc=$1; shift; log "$*"; exit "$rc"; }

if [[ -n "${EODCLEAR_ENV_FILE:-}" ]]; then
  [[ -r "$EODCLEAR_ENV_FILE" ]] || die 2 "cannot read EODCLEAR_ENV_FILE $EODCLEAR_ENV_FILE"
  set -a
  # shellcheck disable=SC1090
  . "$EODCLEAR_ENV_FILE"
  set +a
fi

BIN=${EODCLEAR_BIN:-/usr/local/bin/eodclear}
STATE=${EODCLEAR_STATE:-/var/lib/eodclear/state}
REFDATA=${EODCLEAR_REFDATA:-/etc/eodclear/refdata}
EOD_TZ=${EODCLEAR_TZ:-America/Chicago}
CUTOFF=${EODCLEAR_CUTOFF:-17:30}
CALENDAR=${EODCLEAR_CALENDAR:-US}
SKIP_DATES=${EODCLEAR_SKIP_DATES:-}
DRY_RUN=${EODCLEAR_DRY_RUN:-0}
FORCE=${EODCLEAR_FORCE:-0}
HOLIDAY_CHECK=${EODCLEAR_HOLIDAY_CHECK:-1}
GAP_CHECK=${EODCLEAR_GAP_CHECK:-1}
GAP_CHECK_TIMEOUT=${EODCLEAR_GAP_CHECK_TIMEOUT:-300}

[[ $# -le 1 ]] || die 2 "usage: eodclear-run.sh [YYYY-MM-DD]"
[[ -x "$BIN" ]] || die 2 "eodclear binary $BIN not found or not executable (set EODCLEAR_BIN)"
[[ "$CUTOFF" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || die 2 "EODCLEAR_CUTOFF must be HH:MM, not '$CUTOFF'"
[[ -e "/usr/share/zoneinfo/$EOD_TZ" ]] || die 2 "unknown time zone EODCLEAR_TZ=$EOD_TZ"

# Day arithmetic on calendar dates, done in UTC so that no daylight-saving change interferes.
day_of_week() { date -u -d "$1" +%u; }                       # 1 = Monday ... 7 = Sunday
add_days()    { date -u -d "$1 $2 days" +%F; }
valid_date()  { [[ "$1" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && [[ "$(date -u -d "$1" +%F 2>/dev/null)" == "$1" ]]; }
is_weekend()  { [[ $(day_of_week "$1") -ge 6 ]]; }

# --- the business date -------------------------------------------------------------------
if [[ $# -eq 1 ]]; then
  DATE=$1; DATE_SOURCE="command line"
elif [[ -n "${EODCLEAR_DATE:-}" ]]; then
  DATE=$EODCLEAR_DATE; DATE_SOURCE="EODCLEAR_DATE"
else
  if [[ -n "${EODCLEAR_NOW:-}" ]]; then
    NOW_EPOCH=$(date -d "$EODCLEAR_NOW" +%s) || die 2 "cannot read EODCLEAR_NOW '$EODCLEAR_NOW'"
  else
    NOW_EPOCH=$(date +%s)
  fi
  LOCAL_NOW=$(TZ=$EOD_TZ date -d "@$NOW_EPOCH" '+%F %H:%M %Z')
  TODAY=$(TZ=$EOD_TZ date -d "@$NOW_EPOCH" +%F)
  HHMM=$(TZ=$EOD_TZ date -d "@$NOW_EPOCH" +%H%M)
  if (( 10#$HHMM >= 10#${CUTOFF/:/} )); then DATE=$TODAY; else DATE=$(add_days "$TODAY" -1); fi
  while is_weekend "$DATE"; do DATE=$(add_days "$DATE" -1); done
  DATE_SOURCE="clock: $LOCAL_NOW, cut-off $CUTOFF, latest weekday whose cut-off has passed"
fi
valid_date "$DATE" || die 2 "business date '$DATE' is not a valid YYYY-MM-DD date"
log "business date $DATE ($DATE_SOURCE)"

# --- skip days without an end-of-day run -------------------------------------------------
# Prints the holidays of $CALENDAR between $1 and $2 as "YYYY-MM-DD name" lines.
calendar_holidays() {
  local out rc=0
  out=$("$BIN" calendar --calendar "$CALENDAR" --holidays --from "$1" --to "$2" --refdata "$REFDATA" 2>&1) || rc=$?
  if [[ $rc -ne 0 ]]; then
    log "holiday check failed (exit $rc): eodclear calendar --calendar $CALENDAR --holidays --from $1 --to $2: $out"
    log "fix the reference data (calendar coverage), or set EODCLEAR_HOLIDAY_CHECK=0 to run without the check"
    exit "$rc"
  fi
  # Output: one {"date":"YYYY-MM-DD","name":"..."} object a line.
  sed -n 's/^{"date":"\([0-9-]*\)","name":"\(.*\)"}$/\1 \2/p' <<<"$out"
}

if [[ "$FORCE" == 1 ]]; then
  log "EODCLEAR_FORCE=1: weekend, holiday and skip-list checks are off"
else
  if is_weekend "$DATE"; then
    log "skipping $DATE: $(date -u -d "$DATE" +%A), not a business day"
    exit 0
  fi
  for skip in ${SKIP_DATES//,/ }; do
    if [[ "$skip" == "$DATE" ]]; then
      log "skipping $DATE: listed in EODCLEAR_SKIP_DATES"
      exit 0
    fi
  done
  if [[ "$HOLIDAY_CHECK" == 1 ]]; then
    HOLIDAY=$(calendar_holidays "$DATE" "$DATE")
    if [[ -n "$HOLIDAY" ]]; then
      log "skipping $DATE: holiday of calendar $CALENDAR (${HOLIDAY#* })"
      exit 0
    fi
  else
    log "EODCLEAR_HOLIDAY_CHECK=0: not checking calendar $CALENDAR"
  fi
fi

# --- Kafka client settings ---------------------------------------------------------------
KAFKA_ARGS=()
for prop in ${EODCLEAR_KAFKA_PROPERTIES:-}; do
  [[ "$prop" == ?*=* ]] || die 2 "EODCLEAR_KAFKA_PROPERTIES: '$prop' is not NAME=VALUE"
  KAFKA_ARGS+=(--kafka-property "$prop")
done
# Secrets are passed by reference: eodclear reads ${NAME} in a property value from its environment,
# so the password never appears on its command line or in the process list.
if [[ -n "${EODCLEAR_SASL_PASSWORD:-}" ]]; then
  KAFKA_ARGS+=(--kafka-property 'sasl.password=${EODCLEAR_SASL_PASSWORD}')
fi
if [[ -n "${EODCLEAR_SSL_KEY_PASSWORD:-}" ]]; then
  KAFKA_ARGS+=(--kafka-property 'ssl.key.password=${EODCLEAR_SSL_KEY_PASSWORD}')
fi
export EODCLEAR_SASL_PASSWORD EODCLEAR_SSL_KEY_PASSWORD

# Prints a command with the values of secret-looking properties replaced by ***.
redacted() {
  local out=() a
  for a in "$@"; do
    case "$a" in
      *password*=*|*secret*=*|*token*=*|*credential*=*) out+=("${a%%=*}=***") ;;
      *) out+=("$a") ;;
    esac
  done
  printf '%q ' "${out[@]}"
}

if [[ "$DRY_RUN" != 1 && -z "${EODCLEAR_BROKERS:-}" ]]; then
  die 2 "EODCLEAR_BROKERS is not set"
fi
BROKERS=${EODCLEAR_BROKERS:-}

# --- gap check: the previous business date must be published -----------------------------
# eodclear refuses a date while an earlier *started* date is incomplete, but it cannot know about
# a business date that was never started; closing a later date would make that one impossible to
# close. The eod-runs topic says which dates are published.
if [[ "$GAP_CHECK" == 1 ]]; then
  PREV=$(add_days "$DATE" -1)
  while :; do
    if is_weekend "$PREV"; then PREV=$(add_days "$PREV" -1); continue; fi
    if [[ "$HOLIDAY_CHECK" == 1 && -n "$(calendar_holidays "$PREV" "$PREV")" ]]; then
      PREV=$(add_days "$PREV" -1); continue
    fi
    break
  done
  if [[ "$DRY_RUN" == 1 ]]; then
    log "dry run: would check that eod-runs has a record for $PREV (or a later date) or no record at all"
  else
    rc=0
    DUMP_ERR=$(mktemp)
    RUNS=$(timeout "$GAP_CHECK_TIMEOUT" "$BIN" dump --brokers "$BROKERS" --topic eod-runs \
             "${KAFKA_ARGS[@]}" 2>"$DUMP_ERR") || rc=$?
    ERR_TAIL=$(tail -n 3 "$DUMP_ERR"); rm -f "$DUMP_ERR"
    if [[ $rc -ne 0 ]]; then
      log "gap check: reading eod-runs failed (exit $rc): $ERR_TAIL"
      if [[ $rc -eq 124 || $rc -eq 4 ]]; then exit 4; fi
      exit "$rc"
    fi
    LAST=$(grep -o '"business_date":"[0-9-]*"' <<<"$RUNS" | cut -d'"' -f4 | sort | tail -n 1 || true)
    if [[ -z "$LAST" ]]; then
      log "gap check: eod-runs is empty; treating $DATE as the first business date"
    elif [[ "$LAST" < "$PREV" ]]; then
      die 6 "gap check: the previous business date $PREV is not published (latest in eod-runs: $LAST); run the missing dates in order, oldest first (eodclear-run.sh YYYY-MM-DD), or set EODCLEAR_GAP_CHECK=0 if $PREV needs no run"
    else
      log "gap check: latest published business date is $LAST"
    fi
  fi
fi

# --- the run -----------------------------------------------------------------------------
CMD=("$BIN" run --date "$DATE" --brokers "$BROKERS" --state "$STATE" --refdata "$REFDATA")
if [[ -n "${EODCLEAR_METRICS_LISTEN:-}" ]]; then CMD+=(--metrics-listen "$EODCLEAR_METRICS_LISTEN"); fi
if [[ -n "${EODCLEAR_PUSHGATEWAY:-}" ]]; then CMD+=(--pushgateway "$EODCLEAR_PUSHGATEWAY"); fi
CMD+=("${KAFKA_ARGS[@]}")
# shellcheck disable=SC2206  # word splitting of the extra options is intended
if [[ -n "${EODCLEAR_EXTRA_ARGS:-}" ]]; then CMD+=(${EODCLEAR_EXTRA_ARGS}); fi

if [[ "$DRY_RUN" == 1 ]]; then
  redacted "${CMD[@]}"
  echo
  exit 0
fi
log "running: $(redacted "${CMD[@]}")"
exec "${CMD[@]}"
