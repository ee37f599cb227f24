#!/usr/bin/env bash
# logs -f latency: how long after the engine takes a line from a container's
# stdout `tender logs -f` prints it, against `docker logs -f` reading the
# same container in the same run. The container writes "tick N" every
# 200 ms; both followers print the engine's own timestamp (--timestamps,
# -t), and each line is stamped with the wall time it arrived. Latency =
# arrival - the engine's timestamp (the container-to-engine pipe is the same
# for both, so it is left out). Medians, p95 and the ratio tender/docker.
#
#   bench/logs_follow_latency.sh [SECONDS]      (default 20: about 100 lines)
#   TENDER=/path/to/tender bench/logs_follow_latency.sh
#
# Needs: scripts/setup done (engine and its docker CLI, build/tender,
# tender-busybox image), and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
SECONDS_TO_RUN="${1:-20}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
OUT=bench/results
RESULT="$OUT/logs-follow-latency.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-logs-$$"
NS="bench-logs-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"

cleanup() {
  [ -n "${F1:-}" ] && kill -- "-$F1" 2>/dev/null || true
  [ -n "${F2:-}" ] && kill -- "-$F2" 2>/dev/null || true
  stop_pid "${TPID:-}"
  remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

write_stamper
# "ARRIVAL 2026-12-04T10:00:00.123456789Z ..." -> milliseconds from the
# engine's timestamp to the arrival, one per line.
cat >"$WORK/latency.py" <<'PY'
import calendar, sys
for line in sys.stdin:
    parts = line.split()
    if len(parts) < 2 or not parts[1].endswith("Z") or "tick" not in line:
        continue
    stamp = parts[1][:-1]
    whole, _, frac = stamp.partition(".")
    t = calendar.timegm(tuple(int(x) for x in whole.replace("T", "-").replace(":", "-").split("-")) + (0, 0, 0))
    t += float("0." + (frac or "0"))
    print("%.3f" % ((float(parts[0]) - t) * 1000))
PY

start_tender
cat >"$WORK/svc.yaml" <<YAML
apiVersion: tender/v1
kind: Service
metadata: {name: ticker, namespace: $NS}
spec:
  image: $IMAGE
  command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=\$((i+1)); echo tick \$i; usleep 200000; done"]
  stopGracePeriod: 1s
YAML
"$TENDER" apply -f "$WORK/svc.yaml" --wait --timeout 60s --server "$SERVER" >/dev/null
id=$(docker ps -q --filter "label=tender.instance=$INSTANCE" | head -1)

export TENDER SERVER NS WORK id
setsid bash -c '"$TENDER" logs ticker -n "$NS" -f --timestamps --tail 0 --server "$SERVER" |
  python3 -u "$WORK/stamp.py" >"$WORK/tender.txt"' &
F1=$!
setsid bash -c 'docker logs -f -t --tail 0 "$id" 2>&1 | python3 -u "$WORK/stamp.py" >"$WORK/docker.txt"' &
F2=$!
sleep "$SECONDS_TO_RUN"
kill -- "-$F1" "-$F2" 2>/dev/null || true
F1= F2=

python3 "$WORK/latency.py" <"$WORK/tender.txt" >"$WORK/tender.ms"
python3 "$WORK/latency.py" <"$WORK/docker.txt" >"$WORK/docker.ms"
[ -s "$WORK/tender.ms" ] && [ -s "$WORK/docker.ms" ] || { echo "no lines arrived" >&2; cat "$WORK/serve.log" >&2; exit 1; }
tn=$(wc -l <"$WORK/tender.ms"); dn=$(wc -l <"$WORK/docker.ms")
tmed=$(median <"$WORK/tender.ms"); dmed=$(median <"$WORK/docker.ms")
tp95=$(p95 <"$WORK/tender.ms"); dp95=$(p95 <"$WORK/docker.ms")
tmax=$(sort -g "$WORK/tender.ms" | tail -1); dmax=$(sort -g "$WORK/docker.ms" | tail -1)
{
  echo "# logs -f latency"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(docker version --format 'engine {{.Server.Version}}')."
  echo "Command: \`bench/logs_follow_latency.sh $SECONDS_TO_RUN\`"
  echo
  echo "From the engine's timestamp of a container's line (\"tick N\", one every 200 ms) until"
  echo "the follower prints it: \`tender logs -f --timestamps\` (engine -> tender serve's follow"
  echo "stream -> the API's chunked body -> the CLI) against \`docker logs -f -t\` (engine ->"
  echo "the docker CLI), both following the same container at once."
  echo
  echo "| follower | lines | median (ms) | p95 (ms) | max (ms) |"
  echo "|---|---|---|---|---|"
  echo "| tender logs -f | $tn | $tmed | $tp95 | $tmax |"
  echo "| docker logs -f | $dn | $dmed | $dp95 | $dmax |"
  echo
  echo "tender / docker (medians): $(ratio2 "$tmed" "$dmed")x."
} >"$RESULT"
summary_row "logs -f, a line every 200 ms" "median latency, ms" "$tmed" "docker logs -f" "$dmed" "$(ratio2 "$tmed" "$dmed")" "-"
cat "$RESULT"
