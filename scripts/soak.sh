#!/usr/bin/env bash
# Soak test: one gateway under a realistic churn for MINUTES, sampling its resources.
#
#   scripts/soak.sh [MINUTES=10]
#
# Load, all against one stream name:
#   * an ffmpeg publisher (-re, looping a generated 640x360 clip) that is killed and replaced every
#     ~30 s (alternating SIGKILL and a clean SIGINT), so the stream ends and restarts with an
#     EXT-X-DISCONTINUITY each time;
#   * an HLS player (ffmpeg reading master.m3u8) and an RTMP player (ffmpeg reading the RTMP
#     stream), each restarted whenever it exits (a publish ending ends them).
# Every 10 s the gateway's VmRSS, thread count (/proc/PID/task) and open FDs (/proc/PID/fd) go
# to a CSV; at the end a summary prints the RSS growth after warm-up (first 20 % excluded, as a
# least-squares slope and as last-vs-first) and the min/max of threads and FDs.
#
# Environment: GATEWAY_BIN (default .build/debug/gateway), PROFILE (default
# profiles/test-small.yaml), SOAK_DIR (default a new /tmp/soak.XXXXXX; kept for inspection),
# RECONNECT_SECONDS (default 30), SAMPLE_SECONDS (default 10).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
MINUTES=${1:-10}
GATEWAY_BIN=${GATEWAY_BIN:-$REPO/.build/debug/gateway}
PROFILE=${PROFILE:-$REPO/profiles/test-small.yaml}
RECONNECT_SECONDS=${RECONNECT_SECONDS:-30}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}
WORK=${SOAK_DIR:-$(mktemp -d /tmp/soak.XXXXXX)}
mkdir -p "$WORK"
CSV="$WORK/samples.csv"
FF=(ffmpeg -hide_banner -nostdin -loglevel error)

GW=""; PUB=""; HLS=""; RTMP=""
cleanup() {
    for pid in $PUB $HLS $RTMP; do kill -KILL "$pid" 2>/dev/null || true; done
    if [ -n "$GW" ]; then kill -TERM "$GW" 2>/dev/null || true; wait "$GW" 2>/dev/null || true; fi
}
trap cleanup EXIT

[ -x "$GATEWAY_BIN" ] || { echo "no gateway binary at $GATEWAY_BIN (swift build first)" >&2; exit 1; }
CLIP="$WORK/clip.flv"
"${FF[@]}" -f lavfi -i "testsrc2=size=640x360:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t 10 -c:v libx264 -preset veryfast -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -b:v 800k \
    -c:a aac -b:a 96k -ar 48000 -ac 2 -y "$CLIP"

RTMP_PORT=$(free_port); HTTP_PORT=$(free_port)
"$GATEWAY_BIN" serve --profile "$PROFILE" --rtmp "127.0.0.1:$RTMP_PORT" --http "127.0.0.1:$HTTP_PORT" \
    >"$WORK/gateway.log" 2>&1 &
GW=$!
wait_port "$RTMP_PORT" 60
wait_port "$HTTP_PORT" 30
RTMP_URL="rtmp://127.0.0.1:$RTMP_PORT/live/soak"
HLS_URL="http://127.0.0.1:$HTTP_PORT/live/soak/master.m3u8"

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# True while the stream is live (/api/streams) and its first variant playlist lists segments.
hls_live() {
    local variant
    curl -sf "http://127.0.0.1:$HTTP_PORT/api/streams/soak" | grep -q '"state" *: *"live"' || return 1
    variant=$(curl -sf "$HLS_URL" | grep -m1 -v '^#') || return 1
    curl -sf "${HLS_URL%master.m3u8}$variant" | grep -q '^#EXTINF'
}
start_publisher() {
    "${FF[@]}" -re -stream_loop -1 -i "$CLIP" -c copy -f flv "$RTMP_URL" >/dev/null 2>>"$WORK/publisher.log" &
    PUB=$!
}
start_hls_player() {
    "${FF[@]}" -i "$HLS_URL" -map 0 -f null - >/dev/null 2>>"$WORK/hls-player.log" &
    HLS=$!
}
start_rtmp_player() {
    "${FF[@]}" -i "$RTMP_URL" -map 0 -f null - >/dev/null 2>>"$WORK/rtmp-player.log" &
    RTMP=$!
}
sample() {
    local now=$1 rss threads fds
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$GW/status")
    threads=$(ls "/proc/$GW/task" | wc -l)
    fds=$(ls "/proc/$GW/fd" | wc -l)
    echo "$now,$rss,$threads,$fds,$publishes,$hls_starts,$rtmp_starts" >>"$CSV"
}

echo "seconds,rss_kib,threads,fds,publishes,hls_player_starts,rtmp_player_starts" >"$CSV"
echo "soak: ${MINUTES} min, gateway pid $GW, samples in $CSV"
publishes=0; hls_starts=0; rtmp_starts=0; kills=0
start=$SECONDS
end=$((start + MINUTES * 60))
next_sample=$start
start_publisher; publishes=1; publish_started=$SECONDS
while [ $SECONDS -lt $end ]; do
    kill -0 "$GW" 2>/dev/null || { echo "gateway exited:"; tail -20 "$WORK/gateway.log"; exit 1; }
    if [ $((SECONDS - publish_started)) -ge "$RECONNECT_SECONDS" ] || ! alive "$PUB"; then
        if alive "$PUB"; then
            # Alternate an abrupt death (TCP reset, no FCUnpublish) with a clean ffmpeg exit.
            if [ $((kills % 2)) -eq 0 ]; then kill -KILL "$PUB"; else kill -INT "$PUB"; fi
            wait "$PUB" 2>/dev/null || true
            kills=$((kills + 1))
        fi
        start_publisher; publishes=$((publishes + 1)); publish_started=$SECONDS
    fi
    # Players start once the stream is live and restart when a publish ending stops them.
    if ! alive "$HLS" && hls_live; then
        [ -n "$HLS" ] && { wait "$HLS" 2>/dev/null || true; }
        start_hls_player; hls_starts=$((hls_starts + 1))
    fi
    if ! alive "$RTMP" && [ $((SECONDS - publish_started)) -ge 2 ]; then
        [ -n "$RTMP" ] && { wait "$RTMP" 2>/dev/null || true; }
        start_rtmp_player; rtmp_starts=$((rtmp_starts + 1))
    fi
    if [ $SECONDS -ge $next_sample ]; then
        sample $((SECONDS - start))
        next_sample=$((next_sample + SAMPLE_SECONDS))
    fi
    sleep 1
done
sample $((SECONDS - start))

python3 "$REPO/scripts/lib/soak_summary.py" "$CSV"
grep -c "publish start" "$WORK/gateway.log" | sed 's/^/gateway "publish start" lines: /'
echo "work dir: $WORK"
