#!/usr/bin/env bash
# What HEVC, VP9 and AV1 buy at equal quality: the bitrate each codec needs to match H.264's
# PSNR and SSIM, from one `gateway transcode` of a ladder with every codec at several bitrates.
#
#   scripts/bench-codec-quality.sh [MEDIA_SECONDS=20] [REFERENCE_KBPS=800]
#
# Source: a 640x360 30 fps zoom into the Mandelbrot set (fine detail in steady motion; random
# noise would make PSNR measure the noise, not the codec), as a near-lossless H.264 mezzanine;
# SOURCE_FILTER picks another lavfi source. One profile lists 4 bitrates (0.4, 0.6, 0.85, 1.2 x
# REFERENCE_KBPS) for each of
# h264 (x264 veryfast), hevc (x265 ultrafast), vp9 (realtime, cpu-used 8) and av1 (libaom
# realtime, cpu-used 8): the gateway's defaults, all live-capable. HEVC_KNOBS, VP9_KNOBS and
# AV1_KNOBS add profile keys to those rungs to compare slower settings, e.g.
#   HEVC_KNOBS="preset: medium" VP9_KNOBS="cpu_used: 5" AV1_KNOBS="cpu_used: 6" scripts/bench-codec-quality.sh Each rung's output is decoded
# and compared with the source (ffmpeg's psnr and ssim filters); bitrates are the bytes really
# written, not the targets. For each codec, log(bitrate) is interpolated linearly between the
# measured points to the PSNR (and SSIM) H.264 reaches at REFERENCE_KBPS: the ratio is the share
# of H.264's bits that codec needs for the same quality (below 1 = saves bits).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
MEDIA=${1:-${MEDIA_SECONDS:-20}}
REF=${2:-${REFERENCE_KBPS:-500}}
FILTER=${SOURCE_FILTER:-mandelbrot=size=640x360:rate=30}
WORK="$(mktemp -d /tmp/bench-quality.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
GATEWAY="$(gateway_bench_bin)"
SOURCE="$WORK/source.mp4"
echo "generating a ${MEDIA}s source: $FILTER" >&2
ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i "$FILTER" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$MEDIA" -c:v libx264 -preset veryfast -crf 4 -g 60 \
    -pix_fmt yuv420p -c:a aac -b:a 128k "$SOURCE"

FACTORS=(0.5 0.8 1.2 1.8)
declare -A KNOBS=([h264]="" [hevc]="${HEVC_KNOBS:-}" [vp9]="${VP9_KNOBS:-}" [av1]="${AV1_KNOBS:-}")
{
    printf 'name: quality\nsegment_seconds: 2\nwindow_segments: 6\nvideo:\n  renditions:\n'
    for codec in h264 hevc vp9 av1; do
        for f in "${FACTORS[@]}"; do
            kbps=$(awk -v r="$REF" -v f="$f" 'BEGIN {printf "%d", r * f}')
            printf '    - { name: %s-%s, codec: %s, width: 640, height: 360, bitrate: %sk%s }\n' "$codec" "$kbps" \
                "$codec" "$kbps" "${KNOBS[$codec]:+, ${KNOBS[$codec]}}"
        done
    done
    printf 'audio: { bitrate: 64k }\n'
} >"$WORK/quality.yaml"
echo "transcoding 16 rungs (4 codecs x 4 bitrates)" >&2
/usr/bin/time -f '%e s wall, %U s user' -o "$WORK/time" \
    "$GATEWAY" transcode "$SOURCE" --profile "$WORK/quality.yaml" --output "$WORK/out" --quiet
echo "  $(cat "$WORK/time")" >&2

: >"$WORK/points"
for dir in "$WORK"/out/*/; do
    rung=$(basename "$dir")
    [ "$rung" = audio ] && continue
    codec=${rung%-*}
    kbps=$(du -cb "$dir"/*.m4s | tail -1 | awk -v m="$MEDIA" '{printf "%.1f", $1 * 8 / m / 1000}')
    scores=$(ffmpeg -hide_banner -nostdin -i "$dir/index.m3u8" -i "$SOURCE" \
        -lavfi "[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]psnr;[0:v]setpts=PTS-STARTPTS[c];[1:v]setpts=PTS-STARTPTS[d];[c][d]ssim" \
        -f null - 2>&1 | awk '/PSNR y:/ {for (i = 1; i <= NF; i++) if ($i ~ /^average:/) {split($i, a, ":"); p = a[2]}}
                              /SSIM Y:/ {for (i = 1; i <= NF; i++) if ($i ~ /^All:/) {split($i, a, ":"); s = a[2]}}
                              END {print p, s}')
    echo "$codec $kbps $scores" >>"$WORK/points"
    echo "  $rung: $kbps kb/s, PSNR/SSIM $scores" >&2
done

# needed CODEC METRIC(3=psnr 4=ssim) TARGET: interpolated kb/s for TARGET on CODEC's curve.
needed() {
    sort -k2 -n "$WORK/points" | awk -v c="$1" -v col="$2" -v t="$3" '
        $1 == c { n++; r[n] = log($2); q[n] = $col }
        END {
            for (i = 1; i < n; i++) {
                if ((q[i] <= t && t <= q[i + 1]) || (q[i] >= t && t >= q[i + 1])) {
                    w = (q[i + 1] == q[i]) ? 0 : (t - q[i]) / (q[i + 1] - q[i])
                    printf "%.0f", exp(r[i] + w * (r[i + 1] - r[i])); exit
                }
            }
            # Beyond the measured points: say which side (the codec needs more, or less, than tried).
            lo = (q[1] < q[n]) ? 1 : n; hi = (q[1] < q[n]) ? n : 1
            if (t > q[hi]) printf ">%.0f", exp(r[hi]); else printf "<%.0f", exp(r[lo])
        }'
}
ref_point=$(awk -v r="$REF" '$1 == "h264" {d = ($2 - r) < 0 ? r - $2 : $2 - r; if (!b || d < b) {b = d; l = $0}} END {print l}' \
    "$WORK/points")
read -r _ ref_kbps ref_psnr ref_ssim <<<"$ref_point"
echo
echo "bitrate at equal quality, ${MEDIA}s of $FILTER; H.264 (x264 veryfast) at ${ref_kbps} kb/s:"
echo "knobs: hevc [${KNOBS[hevc]:-ultrafast}] vp9 [${KNOBS[vp9]:-realtime, cpu_used 8}] av1 [${KNOBS[av1]:-cpu_used 8}]"
echo "PSNR ${ref_psnr} dB, SSIM ${ref_ssim}"
printf '%-6s %22s %8s %22s %8s\n' codec "kb/s for that PSNR" ratio "kb/s for that SSIM" ratio
for codec in h264 hevc vp9 av1; do
    p=$(needed "$codec" 3 "$ref_psnr")
    s=$(needed "$codec" 4 "$ref_ssim")
    ratio() { awk -v a="${1#[<>]}" -v b="$ref_kbps" -v s="${1%%[0-9]*}" 'BEGIN {printf "%s%.2f", s, a / b}'; }
    rp=$(ratio "$p")
    rs=$(ratio "$s")
    printf '%-6s %22s %8s %22s %8s\n' "$codec" "$p" "$rp" "$s" "$rs"
done
echo "points (codec kb/s psnr ssim):"
sort -k1,1 -k2n "$WORK/points" | sed 's/^/  /'
