#!/usr/bin/env bash
# Offline transcoding cost: `gateway transcode` against the ffmpeg CLI doing the identical ladder.
#
#   scripts/bench-ladder.sh [MEDIA_SECONDS=60] [RUNS=3] [PROFILE=profiles/default.yaml]
#   (or the environment variables MEDIA_SECONDS, RUNS, PROFILE; `SECONDS` itself cannot be used:
#   it is bash's own clock)
#   CODECS=1 scripts/bench-ladder.sh [MEDIA_SECONDS=20] [RUNS=1]: the same comparison once per
#   output codec (a one-rung 1280x720 ladder of h264, hevc, vp9, av1 at its defaults), then
#   scripts/bench-codec-quality.sh (bitrate at equal PSNR/SSIM against H.264).
#
# Source: a 1280x720 30 fps clip with moving detail plus temporal noise (testsrc2 + noise) and a
# 44.1 kHz sine + noise track, encoded once to H.264/AAC mp4 at 6 Mb/s (what an encoder pushes
# for 720p; SOURCE_CRF=16 instead gives a ~70 Mb/s source whose decode is 44 % of both sides'
# CPU). The audio rate differs from the profile's 48 kHz on purpose, so both sides decode,
# resample and encode AAC (a 48 kHz AAC source would be passed through by the gateway).
#
# Both sides do the same work: one decode (1 thread), split + bicubic scale to every rung of the
# profile (read from `gateway validate --source 1280x720`), libx264 with the profile's
# preset/profile/bitrate/maxrate/bufsize, an IDR forced at every segment boundary (keyint = 2
# segments, no scene-cut, closed GOPs), AAC 128k 48 kHz stereo, HLS fMP4 segments. The gateway
# opens every decoder and encoder with thread_count = 1 and runs the rungs in parallel threads;
# it also writes a DASH MPD over the same segments. The ffmpeg CLI runs twice per round:
#   ffmpeg-1t    -threads 1 on decoder, filter graph and every encoder: the same codec work as the
#                gateway (ffmpeg 5.1 then runs everything from one thread)
#   ffmpeg-auto  the CLI's own defaults (frame-threaded decode and x264), as a user would run it
#
# Runs alternate gateway/ffmpeg-1t/ffmpeg-auto, RUNS times each, each measured with GNU time
# (elapsed, user, sys, max RSS). Prints the medians: CPU-seconds per media-second (goal:
# gateway/ffmpeg <= 0.90), real-time factor (media s / wall s) and peak RSS (goal: gateway <=
# ffmpeg), with the ratios against both ffmpeg runs.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
if [ "${CODECS:-0}" = 1 ]; then
    media=${1:-${MEDIA_SECONDS:-20}} runs=${2:-${RUNS:-1}} dir="$(mktemp -d /tmp/bench-codecs.XXXXXX)"
    trap 'rm -rf "$dir"' EXIT
    summary=()
    for codec in h264 hevc vp9 av1; do
        printf 'name: %s\nsegment_seconds: 2\nwindow_segments: 6\nvideo:\n  renditions:\n' "$codec" >"$dir/$codec.yaml"
        printf '    - { name: 720p, codec: %s, width: 1280, height: 720, bitrate: 2000k }\n' "$codec" >>"$dir/$codec.yaml"
        printf 'audio: { bitrate: 128k }\n' >>"$dir/$codec.yaml"
        echo "== $codec ==" >&2
        CODECS=0 "$0" "$media" "$runs" "$dir/$codec.yaml" >"$dir/$codec.out"
        sed -n '/^tool /,/^gateway\/ffmpeg-auto/p' "$dir/$codec.out" | sed "s/^/$codec  /" >"$dir/$codec.rows"
        summary+=("$dir/$codec.rows")
    done
    echo
    echo "per codec: one 1280x720 rung at 2000k (the codec's default speed), ${media}s noisy source, $runs run(s)"
    cat "${summary[@]}"
    echo
    exec "$REPO/scripts/bench-codec-quality.sh"
fi
MEDIA=${1:-${MEDIA_SECONDS:-60}}
RUNS=${2:-${RUNS:-3}}
PROFILE=${3:-${PROFILE:-$REPO/profiles/default.yaml}}
SIZE=1280x720
WORK="$(mktemp -d /tmp/bench-ladder.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do stop_pid "$p"; done; rm -rf "$WORK"; }
trap cleanup EXIT
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 1; }

GATEWAY="$(gateway_bench_bin)"
SOURCE="$WORK/source.mp4"
if [ -n "${SOURCE_CRF:-}" ]; then SOURCE_RATE=(-crf "$SOURCE_CRF"); else SOURCE_RATE=(-b:v 6M -maxrate 6M -bufsize 12M); fi
echo "generating a ${MEDIA}s ${SIZE}p30 source (load $(load_average))" >&2
ffmpeg -hide_banner -loglevel error -nostdin \
    -f lavfi -i "testsrc2=size=$SIZE:rate=30,noise=alls=20:allf=t+u" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.05:sample_rate=44100" \
    -filter_complex "[1:a][2:a]amix=inputs=2[a]" -map 0:v -map "[a]" -t "$MEDIA" \
    -c:v libx264 -preset veryfast "${SOURCE_RATE[@]}" -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 192k -ac 2 -ar 44100 -movflags +faststart "$SOURCE"

FFMPEG_LADDER_THREADS=single ffmpeg_ladder_args "$GATEWAY" "$PROFILE" "$SIZE" "$SOURCE" "$WORK/out-ffmpeg-1t" vod
LADDER_1T=("${FFMPEG_LADDER[@]}")
FFMPEG_LADDER_THREADS=auto ffmpeg_ladder_args "$GATEWAY" "$PROFILE" "$SIZE" "$SOURCE" "$WORK/out-ffmpeg-auto" vod
LADDER_AUTO=("${FFMPEG_LADDER[@]}")
echo "ffmpeg ${LADDER_1T[*]}" >"$WORK/ffmpeg-command.txt"

# run TOOL I: one measured run; appends "tool wall user sys maxrss_kib" to $WORK/runs.
run() {
    local tool=$1 i=$2 out="$WORK/out-$1"
    rm -rf "$out"
    mkdir -p "$out"
    case $tool in
    gateway)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" \
            "$GATEWAY" transcode "$SOURCE" --profile "$PROFILE" --output "$out" --quiet >"$WORK/gateway.log" 2>&1 ;;
    ffmpeg-1t)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" ffmpeg "${LADDER_1T[@]}" >"$WORK/$tool.log" 2>&1 ;;
    ffmpeg-auto)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" ffmpeg "${LADDER_AUTO[@]}" >"$WORK/$tool.log" 2>&1 ;;
    esac || { echo "$tool run $i failed:" >&2; cat "$WORK/$tool.log" >&2; exit 1; }
    echo "$tool $(tail -1 "$WORK/time")" >>"$WORK/runs"
    echo "  $tool run $i: $(tail -1 "$WORK/time") (wall user sys maxrss_KiB) load $(load_average)" >&2
}

LOAD_BEFORE=$(load_average)
for i in $(seq 1 "$RUNS"); do
    run gateway "$i"
    run ffmpeg-1t "$i"
    run ffmpeg-auto "$i"
done
LOAD_AFTER=$(load_average)

# column TOOL EXPR: the per-run values of an awk expression over wall=$2 user=$3 sys=$4 rss=$5.
column() { awk -v t="$1" -v m="$MEDIA" '$1 == t {printf "%.4f\n", '"$2"'}' "$WORK/runs"; }
# shellcheck disable=SC2046
stat_of() { median $(column "$1" "$2"); }
declare -A CPU RTF RSS
TOOLS=(gateway ffmpeg-1t ffmpeg-auto)
for t in "${TOOLS[@]}"; do
    CPU[$t]=$(stat_of $t '($3 + $4) / m')
    RTF[$t]=$(stat_of $t 'm / $2')
    RSS[$t]=$(stat_of $t '$5 / 1024')
done

# Output sanity: both ladders should land at the same bitrates (kb/s over the media duration).
rung_rates() {
    local dir=$1 rates=""
    for d in "$dir"/*/; do
        rates+="$(basename "$d")=$(du -sb "$d" | awk -v m="$MEDIA" '{printf "%d", $1 * 8 / m / 1000}')k "
    done
    echo "$rates"
}

echo
echo "ladder: $(basename "$PROFILE") on a ${MEDIA}s ${SIZE}p30 noisy source, $RUNS runs each, medians"
printf '%-12s %16s %10s %14s\n' tool "CPU-s/media-s" "speed (x)" "peak RSS MiB"
for t in "${TOOLS[@]}"; do
    printf '%-12s %16.3f %10.2f %14.1f\n' "$t" "${CPU[$t]}" "${RTF[$t]}" "${RSS[$t]}"
done
for t in ffmpeg-1t ffmpeg-auto; do
    printf 'gateway/%-11s CPU ratio %.3f (goal <= 0.90), RSS ratio %.3f (goal <= 1.0), speed ratio %.2f\n' "$t" \
        "$(echo "${CPU[gateway]} / ${CPU[$t]}" | bc -l)" "$(echo "${RSS[gateway]} / ${RSS[$t]}" | bc -l)" \
        "$(echo "${RTF[gateway]} / ${RTF[$t]}" | bc -l)"
done
echo "load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER; $(nproc) cores"
for t in "${TOOLS[@]}"; do printf 'output kb/s  %-12s %s\n' "$t:" "$(rung_rates "$WORK/out-$t")"; done
echo "per run (tool wall user sys maxrss_KiB):"
sed 's/^/  /' "$WORK/runs"
echo "ffmpeg side: $(cat "$WORK/ffmpeg-command.txt")"
