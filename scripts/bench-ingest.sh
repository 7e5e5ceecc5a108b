#!/usr/bin/env bash
# RTMP ingest cost, the gateway against nginx-rtmp, side by side in one run.
#
#   scripts/bench-ingest.sh [STREAMS=4] [SECONDS=30] [ROUNDS=2]
#
# N ffmpeg publishers (-re -stream_loop -1 -c copy, 720p30 H.264 ~3 Mb/s + AAC) push into each
# server in turn. Both servers package what they receive without transcoding: the gateway with
# profiles/passthrough.yaml (copy rung + AAC passthrough -> CMAF, HLS, DASH in memory), nginx-rtmp
# with `hls on` (MPEG-TS segments on disk). Prints server CPU-seconds per stream per media-second
# for both and the ratio gateway/nginx (goal: <= 1.0). Both servers run for the whole script;
# the publishers alternate between them ROUNDS times, and the medians give the ratio (this VM's
# neighbours move single runs by +-30 %).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
STREAMS=${1:-4}
DURATION=${2:-30}
ROUNDS=${3:-2}
WORK="$(mktemp -d /tmp/bench-ingest.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

GATEWAY="$(gateway_release_bin)"
CLIP="$WORK/source.flv"
ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc2=size=1280x720:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 20 -c:v libx264 -preset veryfast -b:v 3M \
    -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 128k -ar 48000 -ac 2 "$CLIP"

# run_publishers PORT: N publishers for DURATION seconds after a 3 s warm-up; prints the server's CPU-s.
measure() {
    local server_pid=$1 port=$2 pubs=()
    for i in $(seq 1 "$STREAMS"); do
        ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$CLIP" -c copy -f flv \
            "rtmp://127.0.0.1:$port/live/bench$i" >/dev/null 2>&1 &
        pubs+=($!)
    done
    sleep 3  # warm-up: connection setup and the first GOP are not part of the steady state
    local before after
    before=$(cpu_seconds "$server_pid")
    sleep "$DURATION"
    after=$(cpu_seconds "$server_pid")
    for p in "${pubs[@]}"; do kill "$p" 2>/dev/null || true; done
    wait "${pubs[@]}" 2>/dev/null || true
    echo "scale=3; $after - $before" | bc
}

port=$(free_port)
"$GATEWAY" serve --profile "$REPO/profiles/passthrough.yaml" --rtmp "127.0.0.1:$port" --http 127.0.0.1:0 \
    --log-level warning 2>"$WORK/gateway.log" &
gw=$!; PIDS+=($gw)
wait_port "$port"

nport=$(free_port)
mkdir -p "$WORK/nginx/hls"
ng=$(start_nginx_rtmp "$WORK/nginx" "$nport" "hls on; hls_path $WORK/nginx/hls; hls_fragment 2s;")
PIDS+=($ng)
wait_port "$nport"
# nginx does the work in its single worker process.
worker=$(pgrep -P "$ng" | head -1)

per() { echo "scale=5; $1 / ($STREAMS * $DURATION)" | bc; }
GW_RUNS=(); NG_RUNS=()
for round in $(seq 1 "$ROUNDS"); do
    gw_cpu=$(measure "$gw" "$port")
    ng_cpu=$(measure "$worker" "$nport")
    GW_RUNS+=("$(per "$gw_cpu")"); NG_RUNS+=("$(per "$ng_cpu")")
    echo "  round $round: gateway $(per "$gw_cpu") nginx $(per "$ng_cpu") CPU-s/stream/media-s," \
        "ratio $(echo "scale=2; $gw_cpu / $ng_cpu" | bc) (load $(load_average))" >&2
done
gw_rss=$(peak_rss_mib "$gw")
ng_rss=$(peak_rss_mib "$worker")
kill -TERM "$gw"; wait "$gw" 2>/dev/null || true

gw_per=$(median "${GW_RUNS[@]}"); ng_per=$(median "${NG_RUNS[@]}")
printf '%-34s %22s\n' "server ($STREAMS streams, ${DURATION}s x $ROUNDS)" "CPU-s/stream/media-s (median)"
printf '%-34s %22s   peak RSS %s MiB\n' "gateway (copy + CMAF HLS/DASH)" "$gw_per" "$gw_rss"
printf '%-34s %22s   peak RSS %s MiB\n' "nginx-rtmp (hls on)" "$ng_per" "$ng_rss"
printf 'ratio gateway/nginx = %s (goal <= 1.0)\n' "$(echo "scale=2; $gw_per / $ng_per" | bc)"
