#!/usr/bin/env bash
# What the encoder's latency knobs cost in quality: the same clip encoded by libx264 with the
# profile's rung settings (preset, bitrate, maxrate, one thread, closed GOP, no scene cuts, an IDR
# every KEYINT frames) and several lookahead_frames / bframes choices, at the same bitrate.
#
#   scripts/bench-encoder-latency.sh [SECONDS=12] [PRESET=veryfast] [BITRATE=2800k]
#   (or the environment variables SECONDS_OF_MEDIA, PRESET, BITRATE, SOURCES="mandelbrot testsrc2")
#
# Each source is a 1280x720 30 fps lavfi pattern (no network needed): mandelbrot (a zoom: detail
# changes everywhere) and testsrc2 (moving graphics). For each setting it prints the delay the
# setting adds (lookahead + B-frames, in frames and ms at 30 fps), the size, SSIM and PSNR
# against the source (ffmpeg's ssim/psnr filters), and the PSNR difference to the preset's own
# settings. The gateway measures the real encoder delay live: /api/streams encoder_delay_ms.
set -euo pipefail
SECONDS_OF_MEDIA=${1:-${SECONDS_OF_MEDIA:-12}}
PRESET=${2:-${PRESET:-veryfast}}
BITRATE=${3:-${BITRATE:-2800k}}
SOURCES=${SOURCES:-mandelbrot testsrc2}
KEYINT=120
WORK="$(mktemp -d /tmp/bench-encoder-latency.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# "lookahead bframes label"; "-" leaves the preset's value.
SETTINGS=("- - preset" "10 3 10/3" "5 1 5/1" "3 1 3/1" "2 1 2/1" "3 0 3/0" "0 0 0/0")

printf '%-11s %-8s %7s %8s %10s %9s %8s %8s\n' source setting frames delay_ms bytes ssim psnr dpsnr
for source in $SOURCES; do
    raw="$WORK/$source.nut"
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "$source=size=1280x720:rate=30" \
        -t "$SECONDS_OF_MEDIA" -pix_fmt yuv420p -c:v rawvideo "$raw"
    reference=""
    for setting in "${SETTINGS[@]}"; do
        read -r lookahead bframes label <<<"$setting"
        params="scenecut=0:open-gop=0:keyint=$KEYINT"
        [ "$lookahead" = - ] || params="$params:rc-lookahead=$lookahead"
        [ "$bframes" = - ] || params="$params:bframes=$bframes"
        out="$WORK/$source-${label//\//_}.mp4"
        ffmpeg -hide_banner -loglevel error -nostdin -y -i "$raw" -c:v libx264 -preset "$PRESET" -threads 1 \
            -b:v "$BITRATE" -maxrate "$BITRATE" -bufsize "$(( ${BITRATE%k} * 2 ))k" -x264-params "$params" "$out"
        ssim=$(ffmpeg -hide_banner -nostdin -i "$out" -i "$raw" -lavfi ssim -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p')
        psnr=$(ffmpeg -hide_banner -nostdin -i "$out" -i "$raw" -lavfi psnr -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
        if [ "$label" = preset ]; then
            reference=$psnr
            frames="-"  # the preset's own (veryfast: 10 + 3); gateway validate prints them
        else
            frames=$((lookahead + bframes))
        fi
        delay=$([ "$frames" = "-" ] && echo "-" || awk -v f="$frames" 'BEGIN {printf "%.0f", f * 1000 / 30}')
        printf '%-11s %-8s %7s %8s %10s %9s %8s %8s\n' "$source" "$label" "$frames" "$delay" "$(stat -c %s "$out")" \
            "$ssim" "$psnr" "$(awk -v a="$psnr" -v b="$reference" 'BEGIN {printf "%+.2f", a - b}')"
    done
done
