#!/usr/bin/env bash
# Steady state: N services running (busybox sleep, 16Mi limit each) and
# nothing changing, for DURATION seconds. What tender costs while it only
# watches: its CPU time (user + system, from /proc/PID/stat) over the window
# as a share of one core, and its peak resident memory (VmHWM, which covers
# the apply before the window too), next to dockerd's over the same window
# (its CPU time, and the highest VmRSS sampled each second in the window).
# tender runs with its defaults (resync every 30 s, memory sampled every 15 s).
#
#   bench/steady_state.sh [N] [DURATION]     (default 50 services, 60 s)
#   TENDER=/path/to/tender bench/steady_state.sh
#
# Targets: tender under 1% of one core and under 30 MiB.
# Needs: scripts/setup done. Figures go to bench/results/steady-state.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N="${1:-50}"
DURATION="${2:-60}"
TENDER="${TENDER:-build/tender}"
IMAGE=tender-busybox:latest
CMD='trap "exit 0" TERM; while true; do sleep 1; done'
OUT=bench/results
RESULT="$OUT/steady-state.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
INSTANCE="bench-steady-$$"
NS="bench-steady-$$"
PORT=$((20000 + RANDOM % 20000))
SERVER="http://127.0.0.1:$PORT"
TCK="$(getconf CLK_TCK)"

cleanup() {
  [ -n "${TPID:-}" ] && curl -H @"$WORK/auth.header" -sS -X DELETE "$SERVER/api/v1/namespaces/$NS" >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    [ -z "$(docker ps -aq --filter "label=tender.instance=$INSTANCE")" ] && break
    sleep 0.3
  done
  stop_pid "${TPID:-}"
  remove_instance_objects
  rm -rf "$WORK"
}
trap cleanup EXIT

start_tender ${TENDER_ARGS:-}

apply_services "$N"
deadline=$((SECONDS + 300))
while [ "$(docker ps -q --filter "label=tender.instance=$INSTANCE" --filter status=running | wc -l)" -lt "$N" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "not all $N services running after 300 s" >&2; exit 1; }
  sleep 0.5
done
echo "$N services running; settling 10 s, then measuring for ${DURATION} s" >&2
sleep 10

DPID=$(dockerd_pid)
t0=$(cpu_ticks "$TPID"); d0=$(cpu_ticks "$DPID"); w0=$(date +%s.%N)
tmax=0; dmax=0
for _ in $(seq 1 "$DURATION"); do
  sleep 1
  r=$(rss_kib "$TPID"); [ "$r" -gt "$tmax" ] && tmax=$r
  r=$(rss_kib "$DPID"); [ "$r" -gt "$dmax" ] && dmax=$r
done
t1=$(cpu_ticks "$TPID"); d1=$(cpu_ticks "$DPID"); w1=$(date +%s.%N)
THWM=$(hwm_kib "$TPID")
RUNNING=$(docker ps -q --filter "label=tender.instance=$INSTANCE" --filter status=running | wc -l)

wall=$(echo "$w1 - $w0" | bc -l)
tcpu=$(echo "($t1 - $t0) / $TCK" | bc -l)
dcpu=$(echo "($d1 - $d0) / $TCK" | bc -l)
tpct=$(echo "100 * $tcpu / $wall" | bc -l)
dpct=$(echo "100 * $dcpu / $wall" | bc -l)
thwm=$(echo "$THWM / 1024" | bc -l)
tmaxm=$(echo "$tmax / 1024" | bc -l)
dmaxm=$(echo "$dmax / 1024" | bc -l)
cpu_ok=$(echo "$tpct < 1" | bc -l)
mem_ok=$(echo "$thwm < 30" | bc -l)
verdict() { [ "$1" -eq 1 ] && echo "met" || echo "MISSED"; }

{
  echo "# Steady state: $N services, ${DURATION} s"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $("$TENDER" --version | head -1)."
  echo "Command: \`bench/steady_state.sh $N $DURATION\`. $RUNNING of $N containers running at the end."
  echo
  echo "| process | CPU time (s) | CPU (% of one core) | peak RSS in the window (MiB) | VmHWM (MiB) |"
  echo "|---|---|---|---|---|"
  printf '| tender serve | %.2f | %.2f | %.1f | %.1f |\n' "$tcpu" "$tpct" "$tmaxm" "$thwm"
  printf '| dockerd | %.2f | %.2f | %.1f | - |\n' "$dcpu" "$dpct" "$dmaxm"
  echo
  echo "Targets: tender under 1% of one core ($(verdict "$cpu_ok")) and under 30 MiB peak ($(verdict "$mem_ok"))."
  echo "tender's VmHWM is its peak since launch, the apply of $N services included; dockerd's"
  echo "VmHWM would cover its whole life (other tests, builds), so its column is the window's."
} | tee "$RESULT"

summary_row "steady state, $N services, ${DURATION} s" "CPU, % of one core (target < 1)" \
  "$(printf %.2f "$tpct")" "dockerd" "$(printf %.2f "$dpct")" "$(ratio2 "$tpct" "$dpct")" "$(verdict "$cpu_ok")"
summary_row "steady state, $N services, ${DURATION} s" "peak RSS, MiB (target < 30)" \
  "$(printf %.1f "$thwm")" "dockerd (window)" "$(printf %.1f "$dmaxm")" "$(ratio2 "$thwm" "$dmaxm")" "$(verdict "$mem_ok")"
