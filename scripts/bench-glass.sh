#!/usr/bin/env bash
# Glass-to-glass latency in a real browser, measured by the picture: the gateway's LL-HLS and
# standard HLS against nginx-rtmp HLS, each played by hls.js in headless Chromium.
#
#   scripts/bench-glass.sh [WATCH=60] [PROFILE=profiles/default.yaml] [CASES="ll std nginx"]
#   (or the environment variables WATCH, PROFILE, CASES; WARMUP=10 seconds of playback before
#   the watch starts, STREAM_WARMUP=10 seconds of publishing before a viewer joins, KEEP=DIR to
#   keep each watch's full record (JSON: every sample, event, hls.js error, buffered fragment)
#   and the logs)
#   scripts/bench-glass.sh --selftest    only the decoder self-check (~40 s), exit 1 if it fails
#
# Real figures need the release build: without BENCH_GATEWAY_BIN, gateway_bench_bin builds and
# runs `swift build -c release`. A debug build (BENCH_GATEWAY_BIN=.../debug/gateway) is fine for
# working on this script but cannot transcode default.yaml in real time on 2 cores: it drops
# video at ingest, so its latencies and stalls say nothing about the gateway.
#
# Publisher: ffmpeg -re, lavfi testsrc2 1280x720 30 fps + sine, libx264 -preset PUB_PRESET (ultrafast)
# -tune zerolatency, 3 Mb/s, an IDR every segment length (GOP = segment x 30), AAC 128k, -f flv.
# Its filter graph (scripts/lib/glass.py filter) burns the wall clock at the moment the frame
# enters the graph into the picture: a row of 52 boxes of 24x24 px = start marker, 40 bits of
# milliseconds since the epoch, CRC-8, end marker; big enough to survive the 640x360 rung and
# lossy encoding. The page (in glass_page.py) plays the stream with hls.js (offline copy in
# .cache/js/hlsjs) and on every presented frame (requestVideoFrameCallback) draws the strip to a
# canvas, decodes it and records Date.now() - code; frames whose boxes are not clearly black or
# white, whose markers or CRC are wrong, or whose value is implausible are rejected, never
# counted. Same machine, same clock. `--selftest` checks that decoder on clips with known codes
# (720p, 640x360 at 300 kb/s, noise: all right; blended frames, inverted boxes, no code: all
# rejected).
#
# Cases, one browser at a time (a fresh headless Chromium each, so TTFF is a new viewer's):
#   ll     gateway serve --profile PROFILE (LL-HLS when the profile has part_seconds),
#          /live/NAME/master.m3u8, hls.js {lowLatencyMode: true}, top rung pinned after
#          MANIFEST_PARSED (hls.loadLevel: no immediate switch), hls.js defaults otherwise
#   std    the same gateway and stream, hls.js {lowLatencyMode: false} (whole segments)
#   page   (not in the default CASES) the gateway's own player page (/live/NAME/?player=hlsjs,
#          hls.js from the offline copy, top rung pinned) with the same measurement injected:
#          hls.js low-latency mode plus the page's catch-up toward PART-HOLD-BACK
#   nginx  nginx-rtmp `hls on; hls_fragment <segment>s; hls_playlist_length 60s` (as
#          bench-latency.sh; MPEG-TS passthrough, no transcoding), its playlist served by the
#          same nginx over HTTP (CORS open), hls.js defaults
# The gateway runs for ll and std, nginx only for nginx; each with its own publisher that
# publishes STREAM_WARMUP s (and until 3 segments are listed) before the viewer opens the page.
# Per watch: WARMUP s after the first frame are not counted, then WATCH s are.
# hls.js with defaults never speeds up to catch up (maxLiveSyncPlaybackRate 1): a segment-based
# player keeps the latency it joined with, which depends on where in the segment cycle it joined
# (up to one segment between runs: nginx-rtmp gave 6.96, 7.32, 8.20 and 8.34 s in four runs
# here). A stall adds its length for the rest of the watch unless hls.js jumps ahead (it seeks
# over buffer holes in LL mode); "median per 10 s" in the details shows the drift.
#
# Columns: median / p90 / min / max of the latency in seconds over the watch, samples = decoded
# frames in the watch, reject = frames in the watch whose code was rejected, TTFF = navigation
# start to the first presented frame (loading hls.js included), stalls = `waiting` events after
# start-up within the watch (stall_s: their length until `playing`), ratios = this / nginx,
# shown = the heights of the frames measured (hls.js may leave the pinned rung on errors).
# Details below the table: hls.js's view (latency, target, part/hold-back), media events, hls.js
# errors, HTTP statuses and durations of the requests by kind (blocking playlist reloads hold
# until the next part exists), console warnings and errors, and the gateway's stream status.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
PY=${PYTHON:-$REPO/.venv/bin/python}   # selenium lives in the test venv
GLASS="$REPO/scripts/lib/glass.py"
if [ "${1:-}" = --selftest ]; then exec "$PY" "$GLASS" selftest; fi
WATCH=${1:-${WATCH:-60}}
PROFILE=${2:-${PROFILE:-$REPO/profiles/default.yaml}}
CASES=${3:-${CASES:-ll std nginx}}
WARMUP=${WARMUP:-10}
STREAM_WARMUP=${STREAM_WARMUP:-10}
SIZE=1280x720
NAME=glass
WORK="$(mktemp -d /tmp/bench-glass.XXXXXX)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/*.json "$WORK"/*.log "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$PY" -c 'import selenium' 2>/dev/null || { echo "no selenium in $PY (set PYTHON=...)" >&2; exit 1; }
[ -s "$REPO/.cache/js/hlsjs/hls-class.mjs" ] || { echo "no hls.js: scripts/fetch-js-players.sh $REPO/.cache/js" >&2; exit 1; }

GATEWAY="$(gateway_bench_bin)"
[ -x "$GATEWAY" ] || { echo "no gateway binary (BENCH_GATEWAY_BIN or the release build)" >&2; exit 1; }
"$GATEWAY" validate "$PROFILE" >"$WORK/validate.log" 2>&1 || {
    echo "$GATEWAY refuses $PROFILE:" >&2; cat "$WORK/validate.log" >&2; exit 1; }
read_ladder_plan "$GATEWAY" "$PROFILE" "$SIZE"
PART=$(awk '/^part_seconds:/ {print $2}' "$PROFILE")
FILTER=$("$PY" "$GLASS" filter)
T_START=$SECONDS
# The publisher shares 2 cores with the gateway and the browser: ultrafast leaves them the most
# CPU (its zerolatency delay is the same at every preset).
PUB_PRESET=${PUB_PRESET:-ultrafast}

# start_publisher RTMP_URL: the coded test source, real time; sets PUB (its PID).
start_publisher() {
    ffmpeg -hide_banner -loglevel error -nostdin \
        -re -f lavfi -i "testsrc2=size=$SIZE:rate=30" -re -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -filter_complex "$FILTER" -map '[v]' -map 1:a \
        -c:v libx264 -preset "$PUB_PRESET" -tune zerolatency -b:v 3M -maxrate 3M -bufsize 6M \
        -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -pix_fmt yuv420p \
        -c:a aac -b:a 128k -ar 48000 -ac 2 -f flv "$1" >>"$WORK/publisher.log" 2>&1 &
    PUB=$!; PIDS+=("$PUB")
}

# wait_listed PLAYLIST(URL or file) SINCE: STREAM_WARMUP s after SINCE and >= 3 segments listed.
wait_listed() {
    local deadline=$((SECONDS + STREAM_WARMUP + 60)) n
    while :; do
        if [[ $1 == http* ]]; then n=$(curl -fsS "$1" 2>/dev/null | grep -c '^#EXTINF' || true)
        else n=$(grep -c '^#EXTINF' "$1" 2>/dev/null || true); fi
        [ "${n:-0}" -ge 3 ] && [ $((SECONDS - $2)) -ge "$STREAM_WARMUP" ] && return 0
        kill -0 "$PUB" 2>/dev/null || { echo "the publisher exited:" >&2; cat "$WORK/publisher.log" >&2; return 1; }
        [ $SECONDS -lt $deadline ] || { echo "no playlist with 3 segments at $1" >&2; return 1; }
        sleep 0.5
    done
}

# view LABEL FILE SRC [glass.py watch options]: one browser, one watch; RESULT line to stderr.
view() {
    local label=$1 out=$2 src=$3
    shift 3
    echo "watching $label: ${WARMUP}s warm-up + ${WATCH}s (load $(load_average))" >&2
    # In the background so that a signal reaches the trap at once (the watcher quits its
    # browser on SIGTERM).
    "$PY" "$GLASS" watch --label "$label" --out "$WORK/$out.json" --src "$src" \
        --warmup "$WARMUP" --watch "$WATCH" "$@" >&2 &
    local watcher=$!
    PIDS+=("$watcher")
    wait "$watcher" || true
    stop_tracked "$watcher"
    RUNS+=("$WORK/$out.json")
}

# nginx-rtmp with HLS (the application lines of bench-latency.sh) plus an HTTP server for its
# folder with CORS open. Usage: start_nginx_rtmp_hls DIR RTMP_PORT HTTP_PORT. Prints the PID.
start_nginx_rtmp_hls() {
    local dir=$1
    mkdir -p "$dir/hls"
    chmod 755 "$WORK" "$dir"; chmod 777 "$dir/hls"   # workers run as nobody
    start_nginx_rtmp "$dir" "$2" \
        "hls on; hls_path $dir/hls; hls_fragment ${SEGMENT}s; hls_playlist_length 60s;" "
http {
  access_log off;
  server {
    listen 127.0.0.1:$3;
    location /hls/ {
      root $dir;
      types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
      add_header Cache-Control no-cache;
      add_header Access-Control-Allow-Origin *;
    }
  }
}"
}

RUNS=()
GATEWAY_STATUS=""
if [[ " $CASES " == *" ll "* || " $CASES " == *" std "* || " $CASES " == *" page "* ]]; then
    rtmp=$(free_port); http=$(free_port)
    # The player page loads the offline hls.js from this server (CORS open), as in the E2E tests.
    "$PY" "$GLASS" js-server >"$WORK/js-server.url" 2>>"$WORK/js-server.log" &
    PIDS+=("$!")
    for _ in $(seq 50); do [ -s "$WORK/js-server.url" ] && break; sleep 0.1; done
    JS_URL=$(cat "$WORK/js-server.url")
    "$GATEWAY" serve --profile "$PROFILE" --rtmp "127.0.0.1:$rtmp" --http "127.0.0.1:$http" \
        --hls-js-url "${JS_URL}hlsjs/hls.mjs" --log-level warning 2>"$WORK/gateway.log" &
    gw=$!; PIDS+=("$gw")
    wait_port "$rtmp"; wait_port "$http"
    since=$SECONDS
    echo "gateway $GATEWAY, $(basename "$PROFILE") (segment ${SEGMENT}s, part ${PART:-0}s), publishing (load $(load_average))" >&2
    start_publisher "rtmp://127.0.0.1:$rtmp/live/$NAME"
    wait_listed "http://127.0.0.1:$http/live/$NAME/$TOP_RUNG/index.m3u8" "$since"
    for c in $CASES; do
        case $c in
        ll) view "gateway LL-HLS, hls.js LL" ll "http://127.0.0.1:$http/live/$NAME/master.m3u8" --ll true --top ;;
        std) view "gateway HLS, hls.js lowLatency off" std "http://127.0.0.1:$http/live/$NAME/master.m3u8" --ll false --top ;;
        page) view "gateway LL-HLS, the gateway's player page" page "http://127.0.0.1:$http/live/$NAME/master.m3u8" \
            --player-page "http://127.0.0.1:$http/live/$NAME/?player=hlsjs&top=1" ;;
        esac
    done
    curl -fsS "http://127.0.0.1:$http/api/streams/$NAME" >"$WORK/gateway-status.json" 2>/dev/null || true
    curl -fsS "http://127.0.0.1:$http/live/$NAME/$TOP_RUNG/index.m3u8" >"$WORK/gateway-playlist.m3u8" 2>/dev/null || true
    stop_tracked "$PUB"; stop_tracked "$gw"
    GATEWAY_STATUS=$("$PY" - "$WORK/gateway-status.json" <<'PY' || true
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"  (no status: {e})"); sys.exit()
print(f"  gateway stream after the watches: uptime {s.get('uptime_seconds', 0):.0f}s, segments {s.get('segments_produced')}, "
      f"ingest_drops {s.get('ingest_drops')} (late {s.get('ingest_drops_late')}), input {s['input'].get('fps')} fps")
for r in s.get("renditions", []):
    print(f"    {r['name']:>5}: {r.get('fps', 0):.1f} fps, encoder speed {r.get('encoder_speed', 0):.2f}x, "
          f"late frames {r.get('late_frames')}, dropped {r.get('dropped_frames')}, {r.get('measured_bitrate', 0) / 1e6:.2f} Mb/s")
PY
)
fi
if [[ " $CASES " == *" nginx "* ]]; then
    port=$(free_port); nhttp=$(free_port)
    ng=$(start_nginx_rtmp_hls "$WORK/nginx" "$port" "$nhttp")
    PIDS+=("$ng")
    wait_port "$port"; wait_port "$nhttp"
    since=$SECONDS
    echo "nginx-rtmp HLS (hls_fragment ${SEGMENT}s), publishing (load $(load_average))" >&2
    start_publisher "rtmp://127.0.0.1:$port/live/$NAME"
    wait_listed "$WORK/nginx/hls/$NAME.m3u8" "$since"
    view "nginx-rtmp HLS, hls.js defaults" nginx "http://127.0.0.1:$nhttp/hls/$NAME.m3u8"
    stop_tracked "$PUB"; stop_tracked "$ng"
fi

echo
echo "glass-to-glass latency, headless Chromium $(chromium --version 2>/dev/null | awk '{print $2}') + hls.js, $(date -u +%FT%TZ), $(nproc) cores"
echo "publisher: ffmpeg testsrc2 ${SIZE}p30, x264 $PUB_PRESET zerolatency 3 Mb/s, IDR every ${SEGMENT}s; time code in the picture"
echo "gateway: $GATEWAY ($(basename "$PROFILE"): segment ${SEGMENT}s, part ${PART:-0}s, top rung $TOP_RUNG pinned)"
echo "each watch: ${WARMUP}s after the first frame, then ${WATCH}s measured; latency in seconds; run took $((SECONDS - T_START))s; load $(load_average)"
"$PY" "$GLASS" report --baseline "nginx-rtmp HLS, hls.js defaults" --details "${RUNS[@]}"
drops=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("ingest_drops", 0))' "$WORK/gateway-status.json" 2>/dev/null || echo 0)
if [ "${drops:-0}" -gt 0 ]; then
    echo "WARNING: the gateway dropped $drops video frames at ingest (it did not transcode in real time: a debug"
    echo "build, or a busy machine), so its rows measure an overloaded gateway, not its packaging."
fi
[ -z "$GATEWAY_STATUS" ] || { echo; echo "$GATEWAY_STATUS"; }
grep -v 'no stream keys configured' "$WORK/gateway.log" 2>/dev/null | sed 's/^/  gateway log: /' | head -20 || true
