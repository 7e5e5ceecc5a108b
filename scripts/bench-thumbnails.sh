#!/usr/bin/env bash
# What stream thumbnails cost: the gateway with thumbnails off (thumbnail_width: 0) against the
# gateway with them on (the default, 640 wide), same ladder, same clip, both running at once.
#
#   scripts/bench-thumbnails.sh [DURATION=60] [PROFILE=profiles/default.yaml] [ROUNDS=1]
#
# Two `gateway serve` processes, identical but for `thumbnail_width`, each get the same 1280x720
# 30 fps H.264/AAC clip from their own ffmpeg -re -c copy publisher. After 10 s of warm-up, each
# one's CPU seconds (user+system, /proc) are measured over DURATION seconds. At the end the "on"
# gateway's thumbnail is read with ffprobe (codec and size) and the "off" one must answer 404.
# Target: thumbnails cost at most 1 % of the ladder's CPU (one JPEG per segment).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"

DURATION=${1:-${DURATION:-60}}
PROFILE=${2:-${PROFILE:-$REPO/profiles/default.yaml}}
ROUNDS=${3:-${ROUNDS:-1}}
WARMUP=10
SIZE=1280x720
WORK="$(mktemp -d /tmp/bench-thumbnails.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do stop_pid "$p"; done; rm -rf "$WORK"; }
trap cleanup EXIT

GATEWAY="$(gateway_bench_bin)"
read_ladder_plan "$GATEWAY" "$PROFILE" "$SIZE"
CLIP="$WORK/clip.flv"
make_gop_clip "$CLIP" "$SIZE" 20 "$GOP"
echo "thumbnail_width: 0" >"$WORK/off.yaml"
echo "thumbnail_width: 640" >"$WORK/on.yaml"

for round in $(seq 1 "$ROUNDS"); do
    declare -A GW RTMP HTTP PUB CPU0 CPU
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
    echo "round $round: warm-up ${WARMUP}s, then ${DURATION}s measured (load $(load_average))" >&2
    sleep "$WARMUP"
    for mode in off on; do CPU0[$mode]=$(cpu_seconds "${GW[$mode]}"); done
    sleep "$DURATION"
    for mode in off on; do CPU[$mode]=$(echo "$(cpu_seconds "${GW[$mode]}") - ${CPU0[$mode]}" | bc); done
    curl -fsS -o "$WORK/thumb.jpg" "http://127.0.0.1:${HTTP[on]}/live/view/thumbnail.jpg"
    thumb=$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$WORK/thumb.jpg")
    off_status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${HTTP[off]}/live/view/thumbnail.jpg")
    for mode in off on; do stop_pid "${PUB[$mode]}"; stop_pid "${GW[$mode]}"; done
    printf 'round %d (%s, %ss, load %s): CPU s off %.2f  on %.2f  extra %+.2f %%  | thumbnail on: %s, off: HTTP %s\n' \
        "$round" "$(basename "$PROFILE")" "$DURATION" "$(load_average)" "${CPU[off]}" "${CPU[on]}" \
        "$(echo "(${CPU[on]} - ${CPU[off]}) * 100 / ${CPU[off]}" | bc -l)" "$thumb" "$off_status"
done
