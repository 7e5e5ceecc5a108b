#!/usr/bin/env bash
# Measures what each encoder setting costs on this machine: CPU seconds per media second for a
# 640x360 30 fps rung at 800 kbit/s, one thread, with the options the gateway gives each encoder.
# The table it prints is the one `gateway validate` estimates CPU shares from
# (Sources/LadderProfile/EncoderCosts.swift); rerun it to recalibrate on other hardware.
#   scripts/measure-encoder-costs.sh [seconds]   (default 10)
set -euo pipefail
seconds=${1:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=640x360:r=30,noise=alls=12:allf=t" \
    -t "$seconds" -c:v rawvideo -pix_fmt yuv420p "$work/src.nut"
# Decoding the raw source costs something too: measured once and subtracted.
measure() {  # label, encoder options...
    local label=$1
    shift
    /usr/bin/time -f "%U %S" -o "$work/t" ffmpeg -hide_banner -loglevel error -y -i "$work/src.nut" \
        -force_key_frames "expr:gte(t,n_forced*1)" -b:v 800k "$@" -f null - 2>/dev/null
    awk -v label="$label" -v s="$seconds" -v base="${base:-0}" \
        '{ printf "%-28s %.3f\n", label, ($1 + $2 - base) / s }' "$work/t"
}
base=0
/usr/bin/time -f "%U %S" -o "$work/t" ffmpeg -hide_banner -loglevel error -y -i "$work/src.nut" -f null - 2>/dev/null
base=$(awk '{print $1 + $2}' "$work/t")
echo "# CPU-s per media-s, 640x360 30 fps 800k, one thread (source read: ${base} s subtracted)"
for preset in ultrafast superfast veryfast faster fast medium slow; do
    measure "h264 $preset" -c:v libx264 -preset "$preset" -threads 1 -x264-params scenecut=0:open-gop=0
done
for preset in ultrafast superfast veryfast faster fast medium; do
    measure "hevc $preset" -c:v libx265 -preset "$preset" \
        -x265-params pools=1:frame-threads=1:log-level=error:scenecut=0:open-gop=0
done
for cpu in 5 6 7 8; do
    measure "vp9 realtime $cpu" -c:v libvpx-vp9 -deadline realtime -cpu-used "$cpu" -lag-in-frames 0 -threads 1
done
for cpu in 4 5; do
    measure "vp9 good $cpu" -c:v libvpx-vp9 -deadline good -cpu-used "$cpu" -lag-in-frames 0 -threads 1
done
for cpu in 5 6 7 8; do
    measure "av1 realtime $cpu" -c:v libaom-av1 -usage realtime -cpu-used "$cpu" -lag-in-frames 0 -threads 1
done
