#!/usr/bin/env bash
# What the API's checks cost: GET of a 50-service list and a dry-run apply,
# each through the real router, routes and SQLite store, with the token
# table, fair share and security policy (a tenant's token) against the same
# router with no checks, rounds alternating in one process
# (bench/cpp/auth_overhead.cc). The figures go to
# bench/results/auth-overhead.md.
#
#   bench/auth_overhead.sh [ROUNDS] [REQUESTS_PER_ROUND]   (default 9 20000)
#   BIN=build/bench/cpp/auth_overhead
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS="${1:-9}"
PER_ROUND="${2:-20000}"
BIN="${BIN:-build/bench/cpp/auth_overhead}"
OUT=bench/results
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "build it first: cmake --build build --target auth_overhead" >&2; exit 1; }
figures="$("$BIN" "$ROUNDS" "$PER_ROUND")"
echo "$figures"
ratio="$(awk '/^GET list/ {f=1} f && /checked\/unchecked time/ {print $3; exit}' <<<"$figures")"
{
  echo "# The API's checks: cost on a read and on a write"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores. Command: \`bench/auth_overhead.sh $ROUNDS $PER_ROUND\`."
  echo
  echo '```'
  echo "$figures"
  echo '```'
} >"$OUT/auth-overhead.md"
summary_row "auth overhead" "GET list time with checks / without" "$ratio" "same router, no checks" "1" "$ratio" "< 1.05"
