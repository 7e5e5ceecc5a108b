#!/usr/bin/env bash
# Offline transcoding cost: `gateway transcode` against the ffmpeg CLI doing the identical ladder.
#
#   scripts/bench-ladder.sh [MEDIA_SECONDS=60] [RUNS=3] [PROFILE=profiles/default.yaml]
#   (or the environment variables MEDIA_SECONDS, RUNS, PROFILE; `SECONDS` itself cannot be used:
#   it is bash's own clock)
#
# Source: a 1280x720 30 fps clip with moving detail plus temporal noise (testsrc2 + noise) and a
# 44.1 kHz sine + noise track, encoded once to H.264/AAC mp4 at high quality (x264 CRF 16). The
# audio rate differs from the profile's 48 kHz on purpose, so both sides decode, resample and
# encode AAC (a 48 kHz AAC source would be passed through by the gateway).
#
# Both sides do the same work: one decode (1 thread), split + bicubic scale to every rung of the
# profile (read from `gateway validate --source 1280x720`), libx264 with the profile's
# preset/profile/bitrate/maxrate/bufsize, an IDR forced at every segment boundary (keyint = 2
# segments, no scene-cut, closed GOPs), ONE thread per x264 encoder (the gateway opens every
# encoder with thread_count = 1 and runs rungs in parallel threads; ffmpeg 5.1 runs decode,
# filters and all encoders from one thread), AAC 128k 48 kHz stereo, HLS fMP4 segments. The
# gateway also writes a DASH MPD over the same segments, and keeps all segments in memory
# until it writes them at the end (that counts in its peak RSS).
#
# Runs alternate gateway/ffmpeg, RUNS times each, each measured with GNU time (elapsed, user,
# sys, max RSS). Prints the medians: CPU-seconds per media-second (goal: gateway/ffmpeg <= 0.90),
# real-time factor (media s / wall s) and peak RSS (goal: gateway <= ffmpeg).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
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
echo "generating a ${MEDIA}s ${SIZE}p30 source (load $(load_average))" >&2
ffmpeg -hide_banner -loglevel error -nostdin \
    -f lavfi -i "testsrc2=size=$SIZE:rate=30,noise=alls=20:allf=t+u" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.05:sample_rate=44100" \
    -filter_complex "[1:a][2:a]amix=inputs=2[a]" -map 0:v -map "[a]" -t "$MEDIA" \
    -c:v libx264 -preset veryfast -crf 16 -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 192k -ac 2 -ar 44100 -movflags +faststart "$SOURCE"

ffmpeg_ladder_args "$GATEWAY" "$PROFILE" "$SIZE" "$SOURCE" "$WORK/out-ffmpeg" vod
echo "ffmpeg ${FFMPEG_LADDER[*]}" >"$WORK/ffmpeg-command.txt"

# run TOOL I: one measured run; appends "tool wall user sys maxrss_kib" to $WORK/runs.
run() {
    local tool=$1 i=$2 out="$WORK/out-$1"
    rm -rf "$out"
    mkdir -p "$out"
    case $tool in
    gateway)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" \
            "$GATEWAY" transcode "$SOURCE" --profile "$PROFILE" --output "$out" --quiet >"$WORK/gateway.log" 2>&1 ;;
    ffmpeg)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" ffmpeg "${FFMPEG_LADDER[@]}" >"$WORK/ffmpeg.log" 2>&1 ;;
    esac || { echo "$tool run $i failed:" >&2; cat "$WORK/$tool.log" >&2; exit 1; }
    echo "$tool $(tail -1 "$WORK/time")" >>"$WORK/runs"
    echo "  $tool run $i: $(tail -1 "$WORK/time") (wall user sys maxrss_KiB) load $(load_average)" >&2
}

LOAD_BEFORE=$(load_average)
for i in $(seq 1 "$RUNS"); do
    run gateway "$i"
    run ffmpeg "$i"
done
LOAD_AFTER=$(load_average)

# column TOOL EXPR: the per-run values of an awk expression over wall=$2 user=$3 sys=$4 rss=$5.
column() { awk -v t="$1" -v m="$MEDIA" '$1 == t {printf "%.4f\n", '"$2"'}' "$WORK/runs"; }
# shellcheck disable=SC2046
stat_of() { median $(column "$1" "$2"); }
declare -A CPU RTF RSS
for t in gateway ffmpeg; do
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
printf '%-9s %16s %10s %14s\n' tool "CPU-s/media-s" "speed (x)" "peak RSS MiB"
for t in gateway ffmpeg; do
    printf '%-9s %16.3f %10.2f %14.1f\n' "$t" "${CPU[$t]}" "${RTF[$t]}" "${RSS[$t]}"
done
printf 'CPU ratio gateway/ffmpeg = %.3f (goal <= 0.90)\n' "$(echo "${CPU[gateway]} / ${CPU[ffmpeg]}" | bc -l)"
printf 'RSS ratio gateway/ffmpeg = %.3f (goal <= 1.0)\n' "$(echo "${RSS[gateway]} / ${RSS[ffmpeg]}" | bc -l)"
echo "load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER; $(nproc) cores"
echo "output kb/s  gateway: $(rung_rates "$WORK/out-gateway")"
echo "output kb/s  ffmpeg:  $(rung_rates "$WORK/out-ffmpeg")"
echo "per run (tool wall user sys maxrss_KiB):"
sed 's/^/  /' "$WORK/runs"
echo "ffmpeg side: $(cat "$WORK/ffmpeg-command.txt")"
