#!/usr/bin/env bash
# Runs every benchmark once and writes one Markdown table of the headline
# figures, each next to its baseline measured in the same run, to
# bench/results/summary.md (each benchmark's own details stay in its file
# under bench/results/).
#
#   bench/run-all.sh                       (about 20 minutes on 2 cores)
#   APPLY_NS="10 30 60" APPLY_ROUNDS=3     apply -> running, per N
#   RESTARTS=20                            crashes for crash -> restart
#   STEADY_N=50 STEADY_SECONDS=60          steady state
#   API_ROUNDS=2                           wrk rounds per route (list, one service)
#   RESYNC_N=200                           services for the resync pass
#   ONLY="apply restart steady api resync auth convert container startup" a subset
#
# Needs: scripts/setup done (engine, build/tender, tender-busybox image);
# the API benchmark installs wrk and nginx from apt when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
APPLY_NS="${APPLY_NS:-10 30 60}"
APPLY_ROUNDS="${APPLY_ROUNDS:-3}"
RESTARTS="${RESTARTS:-20}"
STEADY_N="${STEADY_N:-50}"
STEADY_SECONDS="${STEADY_SECONDS:-60}"
API_ROUNDS="${API_ROUNDS:-2}"
RESYNC_N="${RESYNC_N:-200}"
ONLY="${ONLY:-apply restart steady api resync auth convert container startup}"
OUT=bench/results
mkdir -p "$OUT"
SUMMARY="$(mktemp)"
export SUMMARY
trap 'rm -f "$SUMMARY"' EXIT
LOG="$OUT/run-all.log"
: >"$LOG"
started=$SECONDS
failed=()

run() {  # name command...
  local name="$1"
  shift
  echo "== $name: $*" | tee -a "$LOG" >&2
  if ! "$@" >>"$LOG" 2>&1; then
    echo "== $name FAILED (see $LOG)" | tee -a "$LOG" >&2
    failed+=("$name")
    summary_row "$name" "FAILED: see bench/results/run-all.log" "-" "-" "-" "-" "-"
  fi
}
wanted() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if wanted apply; then
  for n in $APPLY_NS; do run "apply $n" bench/apply.sh "$n" "$APPLY_ROUNDS"; done
fi
wanted restart && run "restart" bench/restart_latency.sh "$RESTARTS"
wanted steady && run "steady state" bench/steady_state.sh "$STEADY_N" "$STEADY_SECONDS"
if wanted api; then
  run "api list" env ROUTE=list bench/api_read.sh "$API_ROUNDS"
  run "api one" env ROUTE=one bench/api_read.sh "$API_ROUNDS"
fi
wanted resync && run "resync" bench/resync.sh "$RESYNC_N"
wanted auth && run "auth overhead" bench/auth_overhead.sh
wanted convert && run "compose convert" bench/compose_convert.sh
wanted container && run "container" bench/container.sh
wanted startup && run "startup" bench/startup.sh

{
  echo "# Benchmarks: summary"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
    "Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), $(build/tender --version | head -1)."
  echo "Command: \`bench/run-all.sh\` ($(( (SECONDS - started) / 60 )) min). Each figure is next to its baseline"
  echo "from the same run; ratio = tender / baseline (below 1 is better for times, above 1 for"
  echo "requests/s). Details of each benchmark are in the other files of bench/results/."
  echo
  echo "| benchmark | figure | tender | baseline | baseline's figure | ratio | target |"
  echo "|---|---|---|---|---|---|---|"
  cat "$SUMMARY"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
