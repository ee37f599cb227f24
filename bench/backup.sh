#!/usr/bin/env bash
# A backup of the store while the server serves: `tender backup FILE` (GET
# /api/v1/backup: SQLite's online backup into a temporary file in the state
# directory, then sent) of a store holding EVENTS events, while a client
# keeps applying and listing, against sqlite3's own `.backup` of the same
# live file (the same online backup API, without the API and the copy over
# HTTP), rounds alternating.
#
#   bench/backup.sh [EVENTS] [ROUNDS]     (defaults 10000 and 5)
#   TENDER=/path/to/tender bench/backup.sh
#
# The events come from applies of 10 services (no replicas, so no engine
# work) whose environment changes each time: every apply records an
# Applied event per service. Needs: build/tender, curl, sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
EVENTS="${1:-10000}"
ROUNDS="${2:-5}"
TENDER="${TENDER:-build/tender}"
OUT=bench/results
RESULT="$OUT/backup.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-backup-$$"
NS="bench-backup-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

cleanup() {
  stop_pid "${LOAD_PID:-}"
  stop_pid "${TPID:-}"
  remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

start_tender --keep-events 5000
APPLIES=$(( (EVENTS + 9) / 10 ))

# One apply of the 10 services, their environment saying `round`.
apply_round() {
  local round="$1" body="" i
  for i in $(seq 0 9); do
    body+="apiVersion: tender/v1
kind: Service
metadata: {name: s$i, namespace: $NS}
spec:
  image: tender-busybox:latest
  replicas: 0
  env: {ROUND: \"$round\"}
---
"
  done
  curl -sf -H @"$WORK/auth.header" -H 'Content-Type: application/yaml' \
    --data-binary "$body" "$SERVER/api/v1/apply" >/dev/null
}

echo "filling the store: $APPLIES applies of 10 services" >&2
for r in $(seq 1 "$APPLIES"); do apply_round "$r"; done
DB="$WORK/state/tender.db"
STORED=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM events")
echo "events stored: $STORED" >&2

# The server serves meanwhile: applies that change something, and lists.
(
  r=$((APPLIES + 1))
  while true; do
    apply_round "$r" || true
    curl -sf -H @"$WORK/auth.header" "$SERVER/api/v1/namespaces/$NS/services" >/dev/null || true
    r=$((r + 1))
  done
) &
LOAD_PID=$!
sleep 1

: >"$WORK/tender.ms"
: >"$WORK/sqlite.ms"
for i in $(seq 1 "$ROUNDS"); do
  t0=$(now_ms)
  "$TENDER" backup "$WORK/b-$i.db" --server "$SERVER" >/dev/null
  t1=$(now_ms)
  echo $((t1 - t0)) >>"$WORK/tender.ms"
  t0=$(now_ms)
  sqlite3 "$DB" ".backup '$WORK/s-$i.db'"
  t1=$(now_ms)
  echo $((t1 - t0)) >>"$WORK/sqlite.ms"
  [ "$(sqlite3 "$WORK/b-$i.db" 'PRAGMA integrity_check')" = ok ] || { echo "backup $i is damaged" >&2; exit 1; }
done
stop_pid "$LOAD_PID"
LOAD_PID=""

BYTES=$(stat -c %s "$WORK/b-1.db")
IN_COPY=$(sqlite3 "$WORK/b-$ROUNDS.db" "SELECT count(*) FROM events")
T=$(median <"$WORK/tender.ms")
S=$(median <"$WORK/sqlite.ms")
RATIO=$(ratio2 "$T" "$S")
{
  echo "# Backup of the store while the server serves"
  echo
  echo "\`bench/backup.sh $EVENTS $ROUNDS\`, $(date -u +%Y-%m-%d): a store of $STORED events ($BYTES bytes),"
  echo "a client applying and listing throughout; medians of $ROUNDS rounds."
  echo
  echo "| method | ms (median) | each round |"
  echo "|---|---|---|"
  echo "| tender backup FILE (the command, end to end) | $T | $(paste -sd' ' "$WORK/tender.ms") |"
  echo "| sqlite3 .backup of the live file | $S | $(paste -sd' ' "$WORK/sqlite.ms") |"
  echo
  echo "Ratio $RATIO. The last copy held $IN_COPY events; every copy passed integrity_check."
} >"$RESULT"
cat "$RESULT"
summary_row "backup while serving, $STORED events" "ms, median of $ROUNDS" "$T" "sqlite3 .backup" "$S" "$RATIO" "-"
