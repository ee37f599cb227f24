#!/usr/bin/env bash
# What converting a Compose file costs (bench/cpp/compose_convert.cc): a
# 50-service file through loadCompose, against the native decode of the
# manifests it converts to and against a 1-service file, in one process,
# rounds alternating; then the `tender convert` command end to end, 50
# services against 1 (process start, reading, printing included). The
# figures go to bench/results/compose-convert.md.
#
#   bench/compose_convert.sh [SERVICES] [ROUNDS]   (default 50 9)
#   BIN=build/bench/cpp/compose_convert TENDER=build/tender
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
SERVICES="${1:-50}"
ROUNDS="${2:-9}"
BIN="${BIN:-build/bench/cpp/compose_convert}"
TENDER="${TENDER:-build/tender}"
OUT=bench/results
mkdir -p "$OUT"
for b in "$BIN" "$TENDER"; do
  [ -x "$b" ] || { echo "build it first: cmake --build build --target compose_convert tender" >&2; exit 1; }
done
figures="$("$BIN" "$SERVICES" "$ROUNDS")"
echo "$figures"
convert_us="$(awk -F': ' '/^convert [0-9]+-service/ && !/^convert 1-service/ {print $2+0}' <<<"$figures")"
decode_us="$(awk -F': ' '/^decode the same/ {print $2+0}' <<<"$figures")"
single_us="$(awk -F': ' '/^convert 1-service/ {print $2+0}' <<<"$figures")"

# The command end to end: files written as the generator writes them.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/big" "$work/one"
{
  echo "services:"
  for i in $(seq 1 "$SERVICES"); do
    echo "  svc$i:"
    echo "    image: tender-busybox:latest"
    echo "    command: [\"sh\", \"-c\", \"sleep 3600\"]"
    echo "    environment: [SERVICE=svc$i]"
    echo "    volumes: [\"data$i:/data\"]"
    echo "    healthcheck: {test: [CMD, \"true\"], interval: 5s}"
    [ "$i" -gt 1 ] && echo "    depends_on: [svc$((i - 1))]"
  done
  echo "volumes:"
  for i in $(seq 1 "$SERVICES"); do echo "  data$i: {}"; done
} >"$work/big/compose.yaml"
printf 'services:\n  svc1: {image: tender-busybox:latest}\n' >"$work/one/compose.yaml"
big_ms=(); one_ms=()
for _ in $(seq 1 "$ROUNDS"); do
  t0=$(now_ms); "$TENDER" convert -f "$work/big/compose.yaml" -p bench >/dev/null; t1=$(now_ms)
  "$TENDER" convert -f "$work/one/compose.yaml" -p bench >/dev/null; t2=$(now_ms)
  big_ms+=($((t1 - t0))); one_ms+=($((t2 - t1)))
done
big_med="$(printf '%s\n' "${big_ms[@]}" | median)"
one_med="$(printf '%s\n' "${one_ms[@]}" | median)"
{
  echo "# Converting a Compose file"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores. Command: \`bench/compose_convert.sh $SERVICES $ROUNDS\`."
  echo
  echo "In one process (bench/cpp/compose_convert.cc), median per call:"
  echo
  echo '```'
  echo "$figures"
  echo '```'
  echo
  echo "| \`tender convert\`, end to end | ms (median of $ROUNDS) |"
  echo "|---|---|"
  echo "| $SERVICES services | $big_med |"
  echo "| 1 service | $one_med |"
} >"$OUT/compose-convert.md"
cat "$OUT/compose-convert.md"
summary_row "compose convert, $SERVICES services" "in-process, us" "$convert_us" "native decode of the same manifests" \
  "$decode_us" "$(ratio2 "$convert_us" "$decode_us")" "-"
summary_row "compose convert, $SERVICES services" "in-process, us" "$convert_us" "1-service Compose file" \
  "$single_us" "$(ratio2 "$convert_us" "$single_us")" "-"
summary_row "tender convert, $SERVICES services" "command, ms" "$big_med" "tender convert, 1 service" \
  "$one_med" "$(ratio2 "$big_med" "$one_med")" "-"
