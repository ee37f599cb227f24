# Helpers the benchmarks share: source it after `cd` to the repository root.
#   . bench/lib.sh

# Stops a background process: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
  [ -n "${1:-}" ] || return 0
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Median and 95th percentile of numbers, one per line on stdin.
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
p95() { sort -g | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# run-all.sh sets SUMMARY to a file; each benchmark appends its headline
# rows there, one Markdown table row each:
#   summary_row BENCHMARK FIGURE TENDER BASELINE-NAME BASELINE RATIO TARGET
summary_row() {
  [ -n "${SUMMARY:-}" ] || return 0
  echo "| $1 | $2 | $3 | $4 | $5 | $6 | $7 |" >>"$SUMMARY"
}

# a / b with two decimals ("n/a" when b is zero or either is not a number).
ratio2() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 != a || b + 0 != b || b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# CPU time (user + system) a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# A process's resident memory now and its peak, in KiB (VmRSS, VmHWM).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# The pid of the Docker engine answering on the default socket.
dockerd_pid() {
  local p
  p=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$p" ] && [ -d "/proc/$p" ]; then echo "$p"; else pgrep -xo dockerd; fi
}

# Starts `tender serve` for a benchmark ($TENDER on 127.0.0.1:$PORT, state in
# $WORK/state, --instance $INSTANCE, the arguments as further flags), waits
# for /healthz, and has every later call speak as its admin:
# TENDER_TOKEN_FILE for the tender command, $WORK/auth.header for curl -H @.
# Sets TPID; exits with the server's log when it does not come up.
start_tender() {
  "$TENDER" serve --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" --instance "$INSTANCE" \
    --log-level warn "$@" >"$WORK/serve.log" 2>&1 &
  TPID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null ||
    { echo "tender did not come up:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
  export TENDER_TOKEN_FILE="$WORK/state/admin.token"
  printf 'Authorization: Bearer %s\n' "$(cat "$TENDER_TOKEN_FILE")" >"$WORK/auth.header"
}

# Removes what instance $INSTANCE left on the engine: containers, networks.
remove_instance_objects() {
  docker ps -aq --filter "label=tender.instance=$INSTANCE" | xargs -r docker rm -f >/dev/null || true
  docker network ls -q --filter "label=tender.instance=$INSTANCE" | xargs -r docker network rm >/dev/null || true
}

# Writes $WORK/stamp.py, which prints each line of its input after the wall
# time (seconds, to the microsecond) it arrived.
write_stamper() {
  cat >"$WORK/stamp.py" <<'PY'
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))
    sys.stdout.flush()
PY
}

# Applies N services named PREFIX1..PREFIXN (default prefix "s") in $NS,
# each `sh -c "$CMD"` on $IMAGE with a 16Mi memory limit, through $SERVER's
# API as its admin (start_tender first); their manifests stay in
# $WORK/services.yaml.
apply_services() {
  local n=$1 prefix=${2:-s}
  : >"$WORK/services.yaml"
  for i in $(seq 1 "$n"); do
    cat >>"$WORK/services.yaml" <<YAML
apiVersion: tender/v1
kind: Service
metadata: {name: $prefix$i, namespace: $NS}
spec:
  image: $IMAGE
  command: ["sh", "-c", '$CMD']
  resources: {limits: {memory: 16Mi}}
  stopGracePeriod: 1s
---
YAML
  done
  curl -H @"$WORK/auth.header" -sSf -X POST --data-binary @"$WORK/services.yaml" -H 'Content-Type: application/yaml' \
    "$SERVER/api/v1/apply" >/dev/null
}
