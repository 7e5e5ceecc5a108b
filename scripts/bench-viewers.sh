#!/usr/bin/env bash
# HTTP origin under many viewers: the gateway against nginx serving the same bytes from disk.
#
#   scripts/bench-viewers.sh [CONNECTIONS=200] [DURATION=10] [PROFILE=profiles/default.yaml]
#   (or the environment variables CONNECTIONS, DURATION, PROFILE, THREADS=2)
#   SIGNED=1 scripts/bench-viewers.sh ...   the stream requires a signed playback URL and wrk
#   fetches /live/view/t/TOKEN/...: every request pays the token check (HMAC-SHA256).
#   HOOK=1 scripts/bench-viewers.sh ...     an on_play hook (a local Python endpoint that allows
#   everyone) is configured: every request pays the session lookup; wrk is one viewer session,
#   so the hook itself is asked once. Both may be combined.
#
# One live stream (ffmpeg -re -stream_loop -1 -c copy of a 1280x720 30 fps H.264/AAC clip) is
# transcoded by `gateway serve --profile PROFILE` for the whole run. wrk (keep-alive, THREADS
# threads, CONNECTIONS connections, --latency) then fetches, each for DURATION seconds:
#   1. the top rung's live media playlist, from the gateway;
#   2. the newest complete segment listed in it at that moment, from the gateway (it stays
#      listed for window x segment = 12 s with the default profile: keep DURATION below that);
#   3. and 4. the same two files, byte for byte (fetched from the gateway just before), from a
#      private nginx (worker_processes auto = one per core, sendfile, no access log) on disk.
# nginx is measured while the gateway keeps transcoding the live stream, so both see the same
# background load. Everything shares the machine's cores with wrk itself: compare the two
# columns, not the absolute numbers. Prints req/s and p99 latency side by side.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
CONNECTIONS=${1:-${CONNECTIONS:-200}}
DURATION=${2:-${DURATION:-10}}
PROFILE=${3:-${PROFILE:-$REPO/profiles/default.yaml}}
THREADS=${THREADS:-2}
SIZE=1280x720
WORK="$(mktemp -d /tmp/bench-viewers.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do stop_pid "$p"; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

GATEWAY="$(gateway_bench_bin)"
read_ladder_plan "$GATEWAY" "$PROFILE" "$SIZE"
CLIP="$WORK/clip.flv"
make_gop_clip "$CLIP" "$SIZE" 20 "$GOP"

rtmp=$(free_port); http=$(free_port)
CONFIG_ARGS=(--config "$WORK/gateway.yaml")
: >"$WORK/gateway.yaml"
if [ "${SIGNED:-0}" = 1 ]; then
    echo "k1 bench-secret-0123456789abcdef" >"$WORK/secrets.txt"
    printf 'playback: { require_token: true, secret_file: %s }\n' "$WORK/secrets.txt" >>"$WORK/gateway.yaml"
fi
if [ "${HOOK:-0}" = 1 ]; then
    hook=$(free_port)
    python3 - "$hook" >"$WORK/hook.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Allow(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.end_headers()
        print("on_play", flush=True)
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Allow).serve_forever()
PY
    PIDS+=($!)
    wait_port "$hook"
    printf 'http: { on_play: { url: "http://127.0.0.1:%s/play", timeout_seconds: 2 } }\n' "$hook" >>"$WORK/gateway.yaml"
fi
"$GATEWAY" serve "${CONFIG_ARGS[@]}" --profile "$PROFILE" --rtmp "127.0.0.1:$rtmp" --http "127.0.0.1:$http" \
    --log-level warning 2>"$WORK/gateway.log" &
gw=$!; PIDS+=("$gw")
wait_port "$rtmp"; wait_port "$http"
ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$CLIP" -c copy -f flv \
    "rtmp://127.0.0.1:$rtmp/live/view" >"$WORK/publisher.log" 2>&1 &
PIDS+=($!)

BASE="http://127.0.0.1:$http"
STREAM_PATH="/live/view"
if [ "${SIGNED:-0}" = 1 ]; then
    signed=$("$GATEWAY" sign view --config "$WORK/gateway.yaml" --ttl 3600 --base-url "$BASE")
    STREAM_PATH="${signed#"$BASE"}"
    STREAM_PATH="${STREAM_PATH%/master.m3u8}"
fi
PLAYLIST_PATH="$STREAM_PATH/$TOP_RUNG/index.m3u8"
# newest_segment: the last segment URI of the live playlist, as a path on the origin.
newest_segment() {
    local uri
    uri=$(curl -fsS "$BASE$PLAYLIST_PATH" | grep -v '^#' | grep . | tail -1)
    echo "$STREAM_PATH/$TOP_RUNG/$uri"
}
deadline=$((SECONDS + 60))
until [ "$(curl -fsS "$BASE$PLAYLIST_PATH" 2>/dev/null | grep -c '^#EXTINF')" -ge 3 ]; do
    [ $SECONDS -lt $deadline ] || { echo "no live playlist with 3 segments at $BASE$PLAYLIST_PATH after 60 s" >&2; cat "$WORK/gateway.log" >&2; exit 1; }
    sleep 0.5
done

# run_wrk NAME URL: one wrk run; the summary goes to $WORK/NAME.sum.
run_wrk() {
    echo "wrk $1 (load $(load_average))" >&2
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$2" >"$WORK/$1.wrk" 2>&1
    wrk_summary "$WORK/$1.wrk" >"$WORK/$1.sum"
    echo "$(load_average)" >"$WORK/$1.load"
}

# Snapshot for nginx: the playlist and the segment the gateway serves, under the same paths.
ROOT="$WORK/www"
mkdir -p "$ROOT$STREAM_PATH/$TOP_RUNG"
run_wrk gateway-playlist "$BASE$PLAYLIST_PATH"
curl -fsS -o "$ROOT$PLAYLIST_PATH" "$BASE$PLAYLIST_PATH"
SEGMENT_PATH=$(newest_segment)
curl -fsS -o "$ROOT$SEGMENT_PATH" "$BASE$SEGMENT_PATH"
run_wrk gateway-segment "$BASE$SEGMENT_PATH"

chmod -R a+rX "$WORK"  # nginx workers run as nobody
nport=$(free_port)
ng=$(start_nginx_http "$WORK/nginx" "$nport" "$ROOT")
PIDS+=("$ng")
wait_port "$nport"
run_wrk nginx-playlist "http://127.0.0.1:$nport$PLAYLIST_PATH"
run_wrk nginx-segment "http://127.0.0.1:$nport$SEGMENT_PATH"

echo
echo "viewers: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s --latency, loopback, one live stream$([ "${SIGNED:-0}" = 1 ] && echo ", signed URLs (token checked per request)")$([ "${HOOK:-0}" = 1 ] && echo ", on_play hook (asked $(grep -c on_play "$WORK/hook.log") times)")"
echo "($(basename "$PROFILE"), $TOP_RUNG rung) transcoding in the gateway throughout; $(nproc) cores"
echo "playlist $(stat -c %s "$ROOT$PLAYLIST_PATH") bytes; segment $SEGMENT_PATH $(stat -c %s "$ROOT$SEGMENT_PATH") bytes"
echo "(socket errors c/r/w/t = connect/read/write/timeout (wrk's timeout: 2 s); non-2xx = HTTP errors)"
printf '%-9s %-8s %10s %10s %11s %8s %12s  %s\n' file server "req/s" p99 "transfer/s" non-2xx "errs c/r/w/t" "load 1/5/15 after"
for what in playlist segment; do
    for server in gateway nginx; do
        read -r rps p99 rate bad errs <"$WORK/$server-$what.sum"
        printf '%-9s %-8s %10s %10s %11s %8s %12s  %s\n' "$what" "$server" "$rps" "$p99" "$rate" "$bad" "$errs" \
            "$(cat "$WORK/$server-$what.load")"
    done
    printf '%-9s req/s ratio gateway/nginx = %.2f\n' "$what" \
        "$(echo "$(cut -d' ' -f1 "$WORK/gateway-$what.sum") / $(cut -d' ' -f1 "$WORK/nginx-$what.sum")" | bc -l)"
done
