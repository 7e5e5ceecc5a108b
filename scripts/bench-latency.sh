#!/usr/bin/env bash
# Live ingest-to-available latency: the gateway against nginx-rtmp HLS and an ffmpeg CLI ladder.
#
#   scripts/bench-latency.sh [MEDIA_SECONDS=36] [PROFILE=profiles/default.yaml] [SERVERS="gateway nginx ffmpeg"]
#   (or the environment variables MEDIA_SECONDS, PROFILE, SERVERS; GATEWAY_SOURCE=disk polls the
#   gateway's --data-dir mirror instead of its HTTP origin)
#
# Publisher: ffmpeg -re -c copy of a 1280x720 30 fps H.264/AAC clip (IDR every segment length,
# no B-frames so every FLV timestamp is a presentation time), MEDIA_SECONDS long, i.e.
# MEDIA_SECONDS / segment >= 12 segments. It publishes through a small TCP proxy
# (scripts/lib/hls_latency.py) that parses the RTMP chunk stream and stamps when each video
# message reaches the server: start = median(arrival - RTMP timestamp). The rendition playlist is
# polled every 20 ms and each segment k is stamped when it is first listed; with E_k the media
# time at which segment k ends (sum of EXTINF 0..k = (k+1)*segment),
#     latency_k = listed_k - (start + E_k)
# i.e. the time from the moment the first frame after segment k (the next IDR) reached the
# server until segment k is listed. Segment 0 and segments listed after the publisher left are
# not counted. Goal: gateway median <= 0.5 s.
#
# Servers, one at a time, same clip, each started before the publisher:
#   gateway  `gateway serve --profile PROFILE`, its top rung's playlist over HTTP (transcoding).
#   nginx    nginx-rtmp `hls on; hls_fragment <segment>` (MPEG-TS passthrough, no transcoding),
#            its playlist file on disk.
#   ffmpeg   nginx-rtmp relay -> ffmpeg CLI pulling rtmp://.../live/NAME and encoding the same
#            ladder as the gateway (bench-ladder.sh settings) to HLS fMP4 with -hls_time
#            <segment>, its top rung's playlist file on disk.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
MEDIA=${1:-${MEDIA_SECONDS:-36}}
PROFILE=${2:-${PROFILE:-$REPO/profiles/default.yaml}}
SERVERS=${3:-${SERVERS:-gateway nginx ffmpeg}}
GATEWAY_SOURCE=${GATEWAY_SOURCE:-http}
SIZE=1280x720
WORK="$(mktemp -d /tmp/bench-latency.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do stop_pid "$p"; done; rm -rf "$WORK"; }
trap cleanup EXIT

GATEWAY="$(gateway_bench_bin)"
read_ladder_plan "$GATEWAY" "$PROFILE" "$SIZE"
CLIP="$WORK/clip.flv"
echo "generating a ${MEDIA}s ${SIZE}p30 clip, IDR every ${SEGMENT}s (load $(load_average))" >&2
make_gop_clip "$CLIP" "$SIZE" "$MEDIA" "$GOP" -bf 0
PUBLISH=(ffmpeg -hide_banner -loglevel error -nostdin -re -i "$CLIP" -c copy -f flv "rtmp://127.0.0.1:{port}/live/lat")

# measure LABEL RTMP_PORT PLAYLIST: one publish through the timing proxy; appends to $WORK/results.
measure() {
    echo "measuring $1 (load $(load_average))" >&2
    python3 "$REPO/scripts/lib/hls_latency.py" --label "$1" --upstream "$2" --playlist "$3" \
        -- "${PUBLISH[@]}" | tee -a "$WORK/results" | grep '^RESULT' >&2 || true
    echo "LOAD $1 $(load_average)" >>"$WORK/results"
}

for server in $SERVERS; do
    case $server in
    gateway)
        rtmp=$(free_port); http=$(free_port)
        extra=()
        [ "$GATEWAY_SOURCE" = http ] || extra=(--data-dir "$WORK/gateway-data")
        "$GATEWAY" serve --profile "$PROFILE" --rtmp "127.0.0.1:$rtmp" --http "127.0.0.1:$http" \
            --log-level warning "${extra[@]}" 2>"$WORK/gateway.log" &
        gw=$!; PIDS+=("$gw")
        wait_port "$rtmp"
        if [ "$GATEWAY_SOURCE" = http ]; then
            wait_port "$http"
            playlist="http://127.0.0.1:$http/live/lat/$TOP_RUNG/index.m3u8"
        else
            playlist="$WORK/gateway-data/lat/$TOP_RUNG/index.m3u8"
        fi
        measure "gateway($GATEWAY_SOURCE)" "$rtmp" "$playlist"
        stop_tracked "$gw"
        ;;
    nginx)
        port=$(free_port)
        # nginx workers run as nobody: they need to reach and write the HLS folder.
        mkdir -p "$WORK/nginx-hls/hls"; chmod 755 "$WORK"; chmod 777 "$WORK/nginx-hls/hls"
        ng=$(start_nginx_rtmp "$WORK/nginx-hls" "$port" \
            "hls on; hls_path $WORK/nginx-hls/hls; hls_fragment ${SEGMENT}s; hls_playlist_length 60s;")
        PIDS+=("$ng")
        wait_port "$port"
        measure "nginx-rtmp(hls,copy)" "$port" "$WORK/nginx-hls/hls/lat.m3u8"
        stop_tracked "$ng"
        ;;
    ffmpeg)
        port=$(free_port)
        ng=$(start_nginx_rtmp "$WORK/nginx-relay" "$port")
        PIDS+=("$ng")
        wait_port "$port"
        ffmpeg_ladder_args "$GATEWAY" "$PROFILE" "$SIZE" "rtmp://127.0.0.1:$port/live/lat" \
            "$WORK/ffmpeg-hls" live -rtmp_live live
        mkdir -p "$WORK/ffmpeg-hls"
        # The puller subscribes before the publisher starts, so it sees the stream from t = 0.
        ffmpeg "${FFMPEG_LADDER[@]}" >"$WORK/ffmpeg.log" 2>&1 &
        puller=$!; PIDS+=("$puller")
        sleep 1
        measure "ffmpeg(ladder)" "$port" "$WORK/ffmpeg-hls/$TOP_RUNG/index.m3u8"
        stop_tracked "$puller"; stop_tracked "$ng"
        ;;
    *) echo "unknown server $server" >&2; exit 2 ;;
    esac
done

echo
echo "ingest-to-listed latency, ${MEDIA}s real-time publish of ${SIZE}p30, ${SEGMENT}s segments;"
echo "seconds after the end of segment k reached the server (goal for the gateway: median <= 0.5)"
printf '%-22s %4s %8s %8s %8s %8s  %s\n' server n median min p90 max "load 1/5/15 min at end"
awk '
    $1 == "LOAD" { load[$2] = $3 " " $4 " " $5 }
    $1 == "RESULT" { order[++n] = $2; line[$2] = $0 }
    END {
        for (i = 1; i <= n; i++) {
            l = order[i]; split(line[l], f, " ")
            if (line[l] ~ /error=/) { printf "%-22s %s\n", l, f[3]; continue }
            for (j = 3; j in f; j++) { split(f[j], kv, "="); v[kv[1]] = kv[2] }
            printf "%-22s %4s %8s %8s %8s %8s  %s\n", l, v["n"], v["median"], v["min"], v["p90"], v["max"], load[l]
        }
    }' "$WORK/results"
echo "gateway rendition: $TOP_RUNG ($(basename "$PROFILE")); per-segment figures:"
grep '^SEG' "$WORK/results" | sed 's/^SEG /  /'
