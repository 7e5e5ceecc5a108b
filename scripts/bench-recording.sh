#!/usr/bin/env bash
# What recording costs, and how fast recordings are served: the gateway with recording off
# against the gateway with recording on (same ladder, same clip, both running at once), then
# a recorded segment served by the gateway against nginx serving the same recording folder.
#
#   scripts/bench-recording.sh [DURATION=60] [PROFILE=profiles/default.yaml]
#   (or the environment variables DURATION, PROFILE, CONNECTIONS=100, WRK_SECONDS=10, THREADS=2)
#
# 1. Two `gateway serve` processes, identical but for a `recording:` section in the second's
#    config, each get the same 1280x720 30 fps H.264/AAC clip from its own ffmpeg -re -c copy
#    publisher. After 10 s of warm-up, each one's CPU seconds (user+system, /proc) are measured
#    over DURATION seconds, with their resident memory at both ends; the recording's bytes on
#    disk over the same window give the disk write rate.
# 2. The recording publisher ends (a clean unpublish): the recording becomes a VOD. wrk then
#    fetches its top rung's middle segment for WRK_SECONDS from the gateway (/vod/...) and the
#    same file from a private nginx (sendfile, one worker per core) whose root is the recordings
#    folder. The gateway without recording keeps transcoding meanwhile, as background load.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"

DURATION=${1:-${DURATION:-60}}
PROFILE=${2:-${PROFILE:-$REPO/profiles/default.yaml}}
CONNECTIONS=${CONNECTIONS:-100}
WRK_SECONDS=${WRK_SECONDS:-10}
THREADS=${THREADS:-2}
WARMUP=10
SIZE=1280x720
WORK="$(mktemp -d /tmp/bench-recording.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do stop_pid "$p"; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

GATEWAY="$(gateway_bench_bin)"
read_ladder_plan "$GATEWAY" "$PROFILE" "$SIZE"
CLIP="$WORK/clip.flv"
make_gop_clip "$CLIP" "$SIZE" 20 "$GOP"
REC="$WORK/recordings"
echo "http: {}" >"$WORK/off.yaml"
printf 'recording: { dir: %s }\n' "$REC" >"$WORK/on.yaml"

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

declare -A GW RTMP HTTP PUB
for mode in off on; do
    RTMP[$mode]=$(free_port); HTTP[$mode]=$(free_port)
    "$GATEWAY" serve --config "$WORK/$mode.yaml" --profile "$PROFILE" --rtmp "127.0.0.1:${RTMP[$mode]}" \
        --http "127.0.0.1:${HTTP[$mode]}" --log-level warning 2>"$WORK/gateway-$mode.log" &
    GW[$mode]=$!; PIDS+=("${GW[$mode]}")
done
for mode in off on; do
    wait_port "${RTMP[$mode]}"; wait_port "${HTTP[$mode]}"
    ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$CLIP" -c copy -f flv \
        "rtmp://127.0.0.1:${RTMP[$mode]}/live/view" >"$WORK/publisher-$mode.log" 2>&1 &
    PUB[$mode]=$!; PIDS+=("${PUB[$mode]}")
done
echo "warm-up ${WARMUP}s, then ${DURATION}s measured (load $(load_average))" >&2
sleep "$WARMUP"
declare -A CPU0 RSS0
for mode in off on; do CPU0[$mode]=$(cpu_seconds "${GW[$mode]}"); RSS0[$mode]=$(rss_mib "${GW[$mode]}"); done
BYTES0=$(du -sb "$REC" | cut -f1)
sleep "$DURATION"
declare -A CPU RSS
for mode in off on; do
    CPU[$mode]=$(echo "$(cpu_seconds "${GW[$mode]}") - ${CPU0[$mode]}" | bc)
    RSS[$mode]=$(rss_mib "${GW[$mode]}")
done
BYTES=$(( $(du -sb "$REC" | cut -f1) - BYTES0 ))
LOAD=$(load_average)

# The recording ends cleanly and becomes a VOD.
stop_tracked "${PUB[on]}"
BASE="http://127.0.0.1:${HTTP[on]}"
deadline=$((SECONDS + 30))
until curl -fsS "$BASE/api/recordings" | grep -q '"state" : "complete"'; do
    [ $SECONDS -lt $deadline ] || { echo "the recording did not complete" >&2; cat "$WORK/gateway-on.log" >&2; exit 1; }
    sleep 0.5
done
ID=$(curl -fsS "$BASE/api/recordings" | sed -n 's/.*"id" : "\([^"]*\)".*/\1/p' | head -1)
COUNT=$(find "$REC/view/$ID/$TOP_RUNG" -name 'seg-*.m4s' | wc -l)
FIRST=$(find "$REC/view/$ID/$TOP_RUNG" -name 'seg-*.m4s' | sed 's/.*seg-\([0-9]*\).m4s/\1/' | sort -n | head -1)
SEGMENT="/view/$ID/$TOP_RUNG/seg-$((FIRST + COUNT / 2)).m4s"
curl -fsS -o /dev/null "$BASE/vod$SEGMENT"

run_wrk() {
    echo "wrk $1 (load $(load_average))" >&2
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WRK_SECONDS}s" --latency "$2" >"$WORK/$1.wrk" 2>&1
    wrk_summary "$WORK/$1.wrk" >"$WORK/$1.sum"
}
run_wrk gateway "$BASE/vod$SEGMENT"
chmod -R a+rX "$WORK"  # nginx workers run as nobody
nport=$(free_port)
ng=$(start_nginx_http "$WORK/nginx" "$nport" "$REC")
PIDS+=("$ng")
wait_port "$nport"
run_wrk nginx "http://127.0.0.1:$nport$SEGMENT"

echo
echo "recording cost: two gateways at once ($(basename "$PROFILE"), ${SIZE} source, $(nproc) cores), ${DURATION}s after ${WARMUP}s warm-up; load after: $LOAD"
printf '%-14s %10s %10s %12s %12s\n' gateway "CPU s" "CPU %" "RSS start" "RSS end"
for mode in off on; do
    printf '%-14s %10s %10.1f %10s MiB %8s MiB\n' "recording $mode" "${CPU[$mode]}" \
        "$(echo "${CPU[$mode]} * 100 / $DURATION" | bc -l)" "${RSS0[$mode]}" "${RSS[$mode]}"
done
printf 'CPU ratio on/off = %.3f (%+.1f %%)\n' "$(echo "${CPU[on]} / ${CPU[off]}" | bc -l)" \
    "$(echo "(${CPU[on]} - ${CPU[off]}) * 100 / ${CPU[off]}" | bc -l)"
printf 'disk write rate: %.2f MB/s (%d bytes in %ss)\n' "$(echo "$BYTES / $DURATION / 1000000" | bc -l)" "$BYTES" "$DURATION"
echo
echo "VOD segment $SEGMENT ($(stat -c %s "$REC$SEGMENT") bytes): wrk -t $THREADS -c $CONNECTIONS -d ${WRK_SECONDS}s"
printf '%-8s %10s %10s %11s %8s %12s\n' server "req/s" p99 "transfer/s" non-2xx "errs c/r/w/t"
for server in gateway nginx; do
    read -r rps p99 rate bad errs <"$WORK/$server.sum"
    printf '%-8s %10s %10s %11s %8s %12s\n' "$server" "$rps" "$p99" "$rate" "$bad" "$errs"
done
printf 'VOD segment req/s ratio gateway/nginx = %.2f\n' \
    "$(echo "$(cut -d' ' -f1 "$WORK/gateway.sum") / $(cut -d' ' -f1 "$WORK/nginx.sum")" | bc -l)"
