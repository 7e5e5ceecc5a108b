# Shared helpers for the benchmark scripts (sourced, not run).

# CPU seconds (user+system) a process and its threads used so far: /proc/PID/stat fields 14+15.
cpu_seconds() {
    local ticks
    ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
    echo "scale=3; $ticks / $(getconf CLK_TCK)" | bc
}

# Peak resident set size of a process, in MiB (VmHWM).
peak_rss_mib() {
    awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

# Wait until a TCP port on 127.0.0.1 accepts connections (deadline in seconds).
wait_port() {
    local port=$1 deadline=$((SECONDS + ${2:-20}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "port $port did not open" >&2; return 1; }
        sleep 0.2
    done
}

# A free TCP port picked by the OS.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Start a private nginx with the RTMP module.
# Usage: start_nginx_rtmp DIR PORT [extra application lines] [extra top-level blocks, e.g. http { }]
start_nginx_rtmp() {
    local dir=$1 port=$2 extra=${3:-} blocks=${4:-}
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:$port;
    chunk_size 4096;
    application live {
      live on;
      record off;
      $extra
    }
  }
}
$blocks
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout.log" 2>&1 &
    echo $!
}

# The release gateway binary, built if needed.
gateway_release_bin() {
    (cd "$REPO" && swift build -c release --product gateway >/dev/null 2>&1 && echo "$(swift build -c release --show-bin-path)/gateway")
}

# The gateway binary the benchmarks run: $BENCH_GATEWAY_BIN if set, else the release build.
gateway_bench_bin() {
    if [ -n "${BENCH_GATEWAY_BIN:-}" ]; then echo "$BENCH_GATEWAY_BIN"; else gateway_release_bin; fi
}

# Median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# The 1-minute, 5-minute and 15-minute load averages, for printing next to figures.
load_average() {
    cut -d' ' -f1-3 /proc/loadavg
}

# The ladder `gateway validate` plans for PROFILE and a WxH source, one rung a line:
#   name width height bitrate maxrate bufsize speed profile level fps codec encoder threads
# (speed: the x264/x265 preset, VP9 "deadline/cpu-used" or AV1 "cpu-used/N"), then one line "segment SECONDS" and one "audio BITRATE CHANNELS RATE".
# Usage: ladder_plan GATEWAY PROFILE WxH
ladder_plan() {
    "$1" validate "$2" --source "$3" | awk '
        /^segments:/ { print "segment", $2 }
        /^ladder for/ { rows = 1; next }
        rows && $1 == "name" { next }
        rows && /^  [^ ]+ +[0-9]+x[0-9]+ / {
            split($2, size, "x")
            # name w h bitrate maxrate bufsize speed profile level fps codec encoder threads
            print $1, size[1], size[2], $3, $4, $5, $8, $9, $10, $12, $6, $7, $11; next }
        rows && /^  / { next }
        /^audio: AAC/ { rows = 0; gsub(",", ""); print "audio", $3, ($4 == "stereo" ? 2 : 1), $5 }
        { rows = 0 }'
}

# The plan of PROFILE for a WxH source: sets PLAN (ladder_plan's lines), SEGMENT (seconds),
# TOP_RUNG (the first rung's name) and GOP (frames of one segment at 30 fps).
# Usage: read_ladder_plan GATEWAY PROFILE WxH
read_ladder_plan() {
    PLAN=$(ladder_plan "$1" "$2" "$3")
    SEGMENT=$(awk '$1 == "segment" {print $2}' <<<"$PLAN")
    TOP_RUNG=$(awk '$1 != "segment" && $1 != "audio" {print $1; exit}' <<<"$PLAN")
    GOP=$(awk -v s="$SEGMENT" 'BEGIN {printf "%d", s * 30}')
}

# A WxH 30 fps H.264 (3 Mb/s, an IDR every GOP frames, no scene-cut keyframes) + AAC test clip.
# Usage: make_gop_clip PATH WxH SECONDS GOP [extra output options, e.g. -bf 0]
make_gop_clip() {
    local path=$1 size=$2 seconds=$3 gop=$4
    shift 4
    ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i "testsrc2=size=$size:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$seconds" \
        -c:v libx264 -preset veryfast -b:v 3M -maxrate 3M -bufsize 6M "$@" -g "$gop" -keyint_min "$gop" \
        -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 128k -ar 48000 -ac 2 "$path"
}

# ffmpeg CLI arguments that reproduce the gateway ladder of PROFILE for a WxH source as HLS fMP4:
# one decode, split + scale (bicubic, like the gateway's libswscale), libx264 per rung with the
# profile's preset/profile/bitrate/maxrate/bufsize, IDRs forced at every segment boundary with
# no scene-cut or open-GOP keyframes and keyint = 2 segments (as the gateway's encoder), one
# thread per encoder and one for decode and filtering, AAC-LC audio. Sets the array FFMPEG_LADDER.
# Usage: ffmpeg_ladder_args GATEWAY PROFILE WxH INPUT OUTDIR vod|live [extra input options...]
# FFMPEG_LADDER_THREADS=single (default) gives the decoder, the filter graph and every x264 encoder
# one thread, as the gateway does; FFMPEG_LADDER_THREADS=auto leaves ffmpeg's own defaults (frame-
# threaded decode and x264, as a user would run the CLI).
ffmpeg_ladder_args() {
    local gateway=$1 profile=$2 size=$3 input=$4 out=$5 mode=$6
    shift 6
    local plan seg keyint=2 n=0 split="" scales="" map="" encode=() audio=()
    plan=$(ladder_plan "$gateway" "$profile" "$size")
    seg=$(awk '$1 == "segment" {print $2}' <<<"$plan")
    local name w h bitrate maxrate bufsize preset vprofile level fps codec encoder threads
    while read -r name w h bitrate maxrate bufsize preset vprofile level fps codec encoder threads; do
        case $name in
        segment) continue ;;
        audio) audio=(-map 0:a -c:a aac -b:a "$w" -ac "$h" -ar "$bitrate"); continue ;;
        esac
        split+="[s$n]"
        scales+=";[s$n]scale=$w:$h:flags=bicubic[v$n]"
        map+="v:$n,agroup:aud,name:$name "
        encode+=(-map "[v$n]" -c:v:$n "${encoder:-libx264}" -b:v:$n "$bitrate"
            -maxrate:v:$n "$maxrate" -bufsize:v:$n "$bufsize")
        # The gateway's per-codec options (Sources/LadderFFmpeg/VideoEncoder.swift `options`).
        case ${encoder:-libx264} in
        libx264) encode+=(-preset:v:$n "$preset") ;;
        libx265) encode+=(-preset:v:$n "$preset" -x265-params:v:$n
            "scenecut=0:open-gop=0:pools=${threads:-1}:frame-threads=1:log-level=error:info=0:repeat-headers=0") ;;
        libvpx-vp9) encode+=(-deadline:v:$n "${preset%/*}" -cpu-used:v:$n "${preset#*/}" -lag-in-frames:v:$n 0
            -row-mt:v:$n 1) ;;
        libaom-av1) encode+=(-usage:v:$n realtime -cpu-used:v:$n "${preset#*/}" -lag-in-frames:v:$n 0) ;;
        esac
        [ "$vprofile" = "-" ] || [ -z "$vprofile" ] || encode+=(-profile:v:$n "$vprofile")
        [ "$level" = "auto" ] || [ "$level" = "-" ] || encode+=(-level:v:$n "$level")
        # The gateway's keyint: twice the segment, so x264 never adds an IDR of its own.
        keyint=$(awk -v s="$seg" -v f="${fps%%/*}" -v d="$(awk -F/ '{print ($2 ? $2 : 1)}' <<<"$fps")" \
            'BEGIN {k = 2 * s * f / d; print (k == int(k) ? k : int(k) + 1)}')
        n=$((n + 1))
    done <<<"$plan"
    [ "$n" -gt 0 ] || { echo "could not read the ladder of $profile" >&2; return 1; }
    local hls=(-f hls -hls_time "$seg" -hls_segment_type fmp4 -hls_flags independent_segments
        -master_pl_name master.m3u8 -hls_segment_filename "$out/%v/segment_%d.m4s")
    if [ "$mode" = vod ]; then hls+=(-hls_playlist_type vod); else hls+=(-hls_list_size 6); fi
    [ ${#audio[@]} -eq 0 ] || map+="a:0,agroup:aud,name:audio"
    local in_threads=(-threads 1) graph_threads=(-filter_complex_threads 1) out_threads=(-threads 1)
    if [ "${FFMPEG_LADDER_THREADS:-single}" = auto ]; then in_threads=() graph_threads=() out_threads=(); fi
    FFMPEG_LADDER=(-hide_banner -nostdin -loglevel error -y "${in_threads[@]}" "$@" -i "$input"
        "${graph_threads[@]}"
        -filter_complex "[0:v]split=$n$split$scales"
        "${encode[@]}" "${out_threads[@]}" -g "$keyint" -force_key_frames "expr:gte(t,n_forced*$seg)"
        -forced-idr 1 -flags +cgop -sc_threshold 0 -x264-params scenecut=0:open-gop=0
        "${audio[@]}" "${hls[@]}" -var_stream_map "${map% }" "$out/%v/index.m3u8")
}

# Start a private nginx serving ROOT over HTTP (static files, no access log, keep-alive).
# Usage: start_nginx_http DIR PORT ROOT [WORKERS=auto]. Prints the master's PID.
start_nginx_http() {
    local dir=$1 port=$2 root=$3 workers=${4:-auto}
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    root $root;
  }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout.log" 2>&1 &
    echo $!
}

# Summary of one `wrk --latency` report:
#   "REQ_PER_S P99 TRANSFER_PER_S NON2XX CONNECT/READ/WRITE/TIMEOUT" (socket error counts; P99 and
#   transfer as wrk prints them).
wrk_summary() {
    awk '
        /Requests\/sec:/ { rps = $2 }
        /Transfer\/sec:/ { rate = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses:/ { bad = $5 }
        /Socket errors:/ { gsub(",", ""); errs = $4 "/" $6 "/" $8 "/" $10 }
        END { printf "%s %s %s %d %s\n", rps, p99, rate, bad, (errs == "" ? "0/0/0/0" : errs) }' "$1"
}

# Stop one process by PID: SIGTERM, then SIGTERM again after 5 s (ffmpeg only aborts a blocked
# network read on the second signal), then SIGKILL after 2 more seconds; reaps it if a child.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# stop_pid PID and drop it from the caller's PIDS array (so a cleanup trap never signals a
# PID the system may have reused since).
stop_tracked() {
    local keep=() p
    stop_pid "$1"
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}
