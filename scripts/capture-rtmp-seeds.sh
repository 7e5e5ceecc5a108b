#!/usr/bin/env bash
# Regenerate the libFuzzer seed corpus (Tests/Fuzz/corpus/<target>/) from real publishes:
# ffmpeg and GStreamer rtmp2sink publish through a recording TCP proxy into a running gateway,
# then scripts/lib/rtmp_capture.py splits the client bytes per fuzz target.
# Usage: scripts/capture-rtmp-seeds.sh [OUT_DIR]   (default Tests/Fuzz/corpus; needs a debug build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-Tests/Fuzz/corpus}
gateway_bin=${GATEWAY_BIN:-$PWD/.build/debug/gateway}
[ -x "$gateway_bin" ] || swift build --product gateway

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Wait until FILE contains REGEX (deadline in seconds) and print the first capture group.
wait_match() {
    local file=$1 regex=$2 deadline=$((SECONDS + $3))
    until grep -qE "$regex" "$file" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "no /$regex/ in $file:" >&2; tail -20 "$file" >&2; return 1; }
        sleep 0.2
    done
    sed -nE "s/.*$regex.*/\1/p" "$file" | head -1
}

ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=640x360:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:v libx264 -preset veryfast -g 30 \
    -pix_fmt yuv420p -b:v 600k -c:a aac -b:a 96k -ar 48000 -ac 2 -y "$work/clip.flv"

"$gateway_bin" serve --rtmp 127.0.0.1:0 --http 127.0.0.1:0 --profile profiles/test-small.yaml \
    >"$work/gateway.log" 2>&1 &
pids+=($!)
rtmp_port=$(wait_match "$work/gateway.log" 'RTMP listening on [0-9.]+:([0-9]+)' 60)

capture() {  # capture NAME COMMAND...: one client run through a fresh recording proxy
    local name=$1
    shift
    python3 scripts/lib/rtmp_capture.py proxy --target "$rtmp_port" --out "$work/$name" >"$work/$name.proxy" 2>&1 &
    local proxy_pid=$!
    pids+=("$proxy_pid")
    local port
    port=$(wait_match "$work/$name.proxy" 'listening on ([0-9]+)' 10)
    "${@/PROXY_PORT/$port}" || echo "$name publisher exited with $?" >&2
    kill "$proxy_pid"
}

capture ffmpeg timeout -k 3 30 ffmpeg -hide_banner -nostdin -loglevel error -re -i "$work/clip.flv" \
    -c copy -f flv rtmp://127.0.0.1:PROXY_PORT/live/seedffmpeg
capture gstreamer timeout -k 3 -s INT 6 gst-launch-1.0 -q \
    videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 \
    ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=30 bitrate=600 ! video/x-h264,profile=main \
    ! h264parse ! flvmux name=m streamable=true ! rtmp2sink location=rtmp://127.0.0.1:PROXY_PORT/live/seedgst \
    audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 \
    ! avenc_aac ! aacparse ! m.

python3 scripts/lib/rtmp_capture.py seeds --captures "$work/ffmpeg" "$work/gstreamer" --out "$out"
for target in handshake chunk amf0 flv; do
    printf '%-10s %3d files %6d KiB\n' "$target" "$(ls "$out/$target" | wc -l)" "$(du -sk "$out/$target" | cut -f1)"
done
