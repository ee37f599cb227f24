#!/usr/bin/env bash
# Pre-flight cleanup: how long `tender serve` takes from launch to ready when
# N leftover containers of its instance are running (it removes them, one by
# one, before the first reconcile), against `docker rm -f` of N such
# containers in one command, in the same run. Also the cost of a cleanup pass
# that finds nothing (what the periodic pass costs on a clean host).
#
#   bench/cleanup.sh [N]        (default 30)
#   TENDER=/path/to/tender bench/cleanup.sh
#
# Needs: scripts/setup done (engine and its docker CLI, build/tender, the
# tender-busybox image).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-30}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
OUT=bench/results
RESULT="$OUT/cleanup.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-clean-$$"
LABEL="bench.cleanup=$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

cleanup() {
  stop_pid "${TPID:-}"
  docker ps -aq --filter "label=tender.instance=$INSTANCE" | xargs -r docker rm -f >/dev/null
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# N running containers with the given labels, created in parallel.
make_leftovers() {
  seq 1 "$N" | xargs -P 4 -I{} docker run -d --name "$1-{}" "${@:2}" "$IMAGE" sleep 3600 >/dev/null
}

# --- tender: leftovers of its own instance, then serve ------------------------
make_leftovers "ghost-$$.web" --label tender.managed=true --label "tender.instance=$INSTANCE" \
  --label "tender.namespace=ghost-$$" --label tender.service=web
start=$(now_ms)
"$TENDER" serve --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" --instance "$INSTANCE" \
  --log-level warn >"$WORK/serve.log" 2>&1 &
TPID=$!
until curl -sf "$SERVER/readyz" >/dev/null 2>&1; do sleep 0.02; done
export TENDER_TOKEN_FILE="$WORK/state/admin.token"
printf 'Authorization: Bearer %s\n' "$(cat "$TENDER_TOKEN_FILE")" >"$WORK/auth.header"
tender_ms=$(( $(now_ms) - start ))
left=$(docker ps -aq --filter "label=tender.instance=$INSTANCE" | wc -l)
[ "$left" -eq 0 ] || { echo "cleanup.sh: $left leftovers survived pre-flight" >&2; exit 1; }

# A pass that finds nothing, through the API (the same code as the periodic one).
empty=()
for _ in 1 2 3 4 5; do
  s=$(now_ms)
  curl -H @"$WORK/auth.header" -sf -X POST "$SERVER/api/v1/prune?images=true" >/dev/null
  empty+=($(( $(now_ms) - s )))
done
empty_ms=$(printf '%s\n' "${empty[@]}" | median)
stop_pid "$TPID"
TPID=""

# --- baseline: docker rm -f of N containers in one command ---------------------
make_leftovers "base-$$" --label "$LABEL"
start=$(now_ms)
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
docker_ms=$(( $(now_ms) - start ))

ratio=$(printf "%.2f" "$(echo "scale=3; $tender_ms / $docker_ms" | bc)")
{
  echo "# Pre-flight cleanup ($(date -u +%Y-%m-%d), $(nproc) CPUs, Docker $(docker version --format '{{.Server.Version}}'))"
  echo
  echo "$N leftover running containers of tender's instance."
  echo
  echo "| what | ms |"
  echo "|---|---|"
  echo "| tender serve: launch to /readyz, leftovers removed | $tender_ms |"
  echo "| docker rm -f of $N containers in one command (baseline) | $docker_ms |"
  echo "| ratio tender / baseline | ${ratio}x |"
  echo "| a cleanup pass that finds nothing (median of 5, POST /api/v1/prune?images=true) | $empty_ms |"
} | tee "$RESULT"
