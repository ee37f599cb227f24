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
