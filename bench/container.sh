#!/usr/bin/env bash
# tender in its image against the same binary on the host, in the same run:
# the time from start to /readyz answering 200 (an empty instance: the
# engine ping, the pre-flight, the first resync) and the peak RSS (VmHWM)
# 5 s after, ROUNDS starts of each; medians and the ratio image/host. Also
# the image's size.
#
#   bench/container.sh [ROUNDS]          (default 5; builds the image first)
#   TENDER=/path/to/tender bench/container.sh
#
# Needs: scripts/setup done (engine, build/tender).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS="${1:-5}"
TENDER="${TENDER:-build/tender}"
OUT=bench/results
RESULT="$OUT/container.md"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
IMAGE="bench-tender-$$"
NAME="bench-tender-$$"
cleanup() {
  stop_pid "${TPID:-}"
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  docker volume rm -f "$NAME-state" >/dev/null 2>&1 || true
  docker rmi -f "$IMAGE:latest" "$IMAGE:$("$TENDER" --version)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
TENDER_IMAGE="$IMAGE" scripts/build-image "$(dirname "$TENDER")" >&2
SIZE=$(docker image inspect "$IMAGE:latest" --format '{{.Size}}')

: >"$WORK/host"; : >"$WORK/image"; : >"$WORK/host-rss"; : >"$WORK/image-rss"
for i in $(seq 1 "$ROUNDS"); do
  PORT=$((20000 + RANDOM % 20000))
  rm -rf "$WORK/state"
  t0=$(now_ms)
  "$TENDER" serve --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" --instance "bench-host-$$" \
    --log-level warn >"$WORK/serve.log" 2>&1 &
  TPID=$!
  for _ in $(seq 1 500); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.01; done
  echo $(( $(now_ms) - t0 )) >>"$WORK/host"
  sleep 5
  hwm_kib "$TPID" >>"$WORK/host-rss"
  stop_pid "$TPID"; TPID=

  PORT=$((20000 + RANDOM % 20000))
  docker volume rm -f "$NAME-state" >/dev/null 2>&1 || true
  t0=$(now_ms)
  docker run -d --name "$NAME" --network host -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$NAME-state:/var/lib/tender" "$IMAGE:latest" serve --listen "127.0.0.1:$PORT" \
    --instance "bench-image-$$" --log-level warn >/dev/null
  for _ in $(seq 1 500); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.01; done
  echo $(( $(now_ms) - t0 )) >>"$WORK/image"
  sleep 5
  hwm_kib "$(docker inspect -f '{{.State.Pid}}' "$NAME")" >>"$WORK/image-rss"
  docker rm -f "$NAME" >/dev/null
done

host=$(median <"$WORK/host"); image=$(median <"$WORK/image")
hrss=$(median <"$WORK/host-rss"); irss=$(median <"$WORK/image-rss")
{
  echo "# tender in its image against the binary on the host"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $ROUNDS starts each."
  echo "Command: \`bench/container.sh $ROUNDS\`. Start to /readyz 200 includes, for the image, docker run's own"
  echo "container creation and start."
  echo
  echo "| figure | host binary | image | ratio image/host |"
  echo "|---|---|---|---|"
  echo "| start to ready, median | ${host} ms | ${image} ms | $(ratio2 "$image" "$host") |"
  echo "| peak RSS 5 s after, median | $((hrss / 1024)) MiB | $((irss / 1024)) MiB | $(ratio2 "$irss" "$hrss") |"
  echo "| image size | - | $((SIZE / 1024 / 1024)) MiB | - |"
} >"$RESULT"
cat "$RESULT"
summary_row "container" "start to ready (median)" "${image} ms" "host binary" "${host} ms" "$(ratio2 "$image" "$host")" "-"
