#!/usr/bin/env bash
# Publish/unpublish cycles: do threads, FDs and memory come back after many short publishes?
#
#   scripts/leak-cycles.sh [N=100]
#   scripts/leak-cycles.sh --valgrind [N=5]
#   scripts/leak-cycles.sh --lsan [N=5]
#   scripts/leak-cycles.sh --names [N=100]
#
# One warm-up publish, then a baseline of the gateway's VmRSS, threads (/proc/PID/task) and open
# FDs (/proc/PID/fd); then N publishes of 2 s each (ffmpeg -re -t 2, the same stream name, every
# third one killed with SIGKILL instead of ending cleanly). After each cycle the stream must be
# reported ended; at the end threads and FDs must settle back to the baseline (within a deadline)
# and the RSS growth is printed. Exit status 1 when threads or FDs stay above the baseline.
#
# --valgrind: runs the gateway under `valgrind --leak-check=full` (release build by default,
# `swift build -c release`) for N (default 5) cycles and prints valgrind's LEAK SUMMARY.
#
# --lsan: runs an AddressSanitizer build with LeakSanitizer on (ASAN_OPTIONS detect_leaks=1) for
# N (default 5) cycles, stops it with SIGTERM and prints LeakSanitizer's report; exit status 1
# when it reports a leak or any ASan error. Build it once (~16 min, its own scratch path):
#   swift build -c release --product gateway --scratch-path .build-asan -Xswiftc -sanitize=address
#
# --names: are ended streams freed? The gateway runs with `ended_stream_seconds: RETENTION`
# (default 2) in its config; N distinct stream names publish one after another (2 s each, the
# same cycles as above). After every cycle /api/streams may list only the names that ended within
# the last RETENTION seconds (plus 2 s of slack for the removal timer); the gateway's VmRSS is
# sampled after the first 10 names and after the last one, each time once the retention of every
# ended name has expired and /api/streams is empty. Prints both and their ratio; exit status 1
# when the end RSS exceeds 110 % of the after-10 RSS, or when /api/streams ever listed more than
# the streams inside their retention, or a name was not removed within RETENTION + 30 s.
#
# Environment: GATEWAY_BIN (default .build/debug/gateway; with --valgrind the release build),
# PROFILE (default profiles/test-small.yaml), NAMES=unique (a new stream name per cycle),
# RETENTION (--names: ended_stream_seconds, default 2).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/scripts/lib/common.sh"
VALGRIND=0  # 1 under valgrind or LeakSanitizer: short runs, long deadlines
LSAN=0
if [ "${1:-}" = "--valgrind" ]; then VALGRIND=1; shift; fi
if [ "${1:-}" = "--lsan" ]; then VALGRIND=1 LSAN=1; shift; fi
NAMES_MODE=0  # 1 with --names: distinct names, ended streams must be freed after RETENTION
if [ "${1:-}" = "--names" ]; then NAMES_MODE=1; shift; fi
if [ $VALGRIND -eq 1 ]; then N=${1:-5}; else N=${1:-100}; fi
RETENTION=${RETENTION:-2}
if [ $NAMES_MODE -eq 1 ] && [ "$N" -lt 10 ]; then echo "--names needs N >= 10" >&2; exit 2; fi
PROFILE=${PROFILE:-$REPO/profiles/test-small.yaml}
NAMES=${NAMES:-same}
WORK=$(mktemp -d /tmp/leak-cycles.XXXXXX)
FF=(ffmpeg -hide_banner -nostdin -loglevel error)
if [ -z "${GATEWAY_BIN:-}" ]; then
    if [ $LSAN -eq 1 ]; then GATEWAY_BIN=$REPO/.build-asan/release/gateway
    elif [ $VALGRIND -eq 1 ]; then GATEWAY_BIN=$(gateway_release_bin); else GATEWAY_BIN=$REPO/.build/debug/gateway; fi
fi
[ -x "$GATEWAY_BIN" ] || { echo "no gateway binary at $GATEWAY_BIN" >&2; exit 1; }

GW=""
cleanup() {
    if [ -n "$GW" ]; then kill -TERM "$GW" 2>/dev/null || true; wait "$GW" 2>/dev/null || true; fi
}
trap cleanup EXIT

CLIP="$WORK/clip.flv"
"${FF[@]}" -f lavfi -i "testsrc2=size=640x360:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t 4 -c:v libx264 -preset veryfast -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p -b:v 800k \
    -c:a aac -b:a 96k -ar 48000 -ac 2 -y "$CLIP"

RTMP_PORT=$(free_port); HTTP_PORT=$(free_port)
PREFIX=()
if [ $LSAN -eq 1 ]; then
    export ASAN_OPTIONS="detect_leaks=1:log_path=$WORK/asan:halt_on_error=0"
    export LSAN_OPTIONS="report_objects=0:max_leaks=30:print_suppressions=1:suppressions=$REPO/scripts/lsan.supp"
elif [ $VALGRIND -eq 1 ]; then
    # valgrind 3.19 (Debian 12) gives up on the DWARF 5 debug info Swift 6 writes ("Possibly
    # corrupted debuginfo file"): run a copy without it (the symbol table stays, so stacks keep names).
    cp "$GATEWAY_BIN" "$WORK/gateway"
    strip --strip-debug "$WORK/gateway"
    GATEWAY_BIN=$WORK/gateway
    PREFIX=(valgrind --leak-check=full --show-leak-kinds=definite --num-callers=30 --error-limit=no
            "--log-file=$WORK/valgrind.log")
fi
CONFIG=()
if [ $NAMES_MODE -eq 1 ]; then
    printf 'ended_stream_seconds: %s\n' "$RETENTION" >"$WORK/gateway.yaml"
    CONFIG=(--config "$WORK/gateway.yaml")
fi
"${PREFIX[@]}" "$GATEWAY_BIN" serve --profile "$PROFILE" "${CONFIG[@]}" --rtmp "127.0.0.1:$RTMP_PORT" \
    --http "127.0.0.1:$HTTP_PORT" >"$WORK/gateway.log" 2>&1 &
GW=$!
gateway_port() {  # wait_port, but give up at once (with the log) when the gateway has exited
    local deadline=$((SECONDS + $2))
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        if ! kill -0 "$GW" 2>/dev/null; then
            wait "$GW" 2>/dev/null && code=0 || code=$?
            GW=""
            echo "gateway exited ($code) before listening on $1:" >&2; tail -20 "$WORK/gateway.log" >&2
            exit 1
        fi
        [ $SECONDS -lt $deadline ] || { echo "port $1 did not open" >&2; exit 1; }
        sleep 0.2
    done
}
gateway_port "$RTMP_PORT" 300
gateway_port "$HTTP_PORT" 60

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$GW/status"; }
threads() { ls "/proc/$GW/task" | wc -l; }
fds() { ls "/proc/$GW/fd" | wc -l; }
state() {  # state of a stream in /api/streams (live, ended or missing)
    curl -s "http://127.0.0.1:$HTTP_PORT/api/streams/$1" |
        python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("state", "missing"))
except ValueError: print("missing")'
}
# wait_until DEADLINE_SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}
ended() { [ "$(state "$1")" = "ended" ]; }
cycle() {
    local name=$1 index=$2 pub
    "${FF[@]}" -re -t 2 -i "$CLIP" -c copy -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/$name" \
        >/dev/null 2>>"$WORK/publisher.log" &
    pub=$!
    if [ $((index % 3)) -eq 2 ]; then
        sleep 1.5
        kill -KILL "$pub" 2>/dev/null || true
    fi
    wait "$pub" 2>/dev/null || true
    local deadline=$((VALGRIND == 1 ? 120 : 20))
    wait_until "$deadline" ended "$name" || { echo "cycle $index: $name not ended (state $(state "$name"))" >&2; return 1; }
}
name_for() { if [ "$NAMES" = "unique" ]; then echo "leak$1"; else echo "leak"; fi; }

if [ $NAMES_MODE -eq 1 ]; then
    listed() {  # the names /api/streams lists, one a line
        curl -s "http://127.0.0.1:$HTTP_PORT/api/streams" |
            python3 -c 'import json,sys; [print(s["name"]) for s in json.load(sys.stdin)["streams"]]'
    }
    drained() { [ -z "$(listed)" ]; }
    now() { date +%s.%N; }
    ENDED_AT=()  # when cycle i was seen ended
    status=0
    over=0  # cycles after which /api/streams listed more than the retained names
    # Names that ended within RETENTION + 2 s of now (those /api/streams may still list).
    retained() {
        local t=$(now) count=0 e
        for e in "${ENDED_AT[@]}"; do
            if awk -v t="$t" -v e="$e" -v r="$RETENTION" 'BEGIN {exit !(t - e <= r + 2)}'; then count=$((count + 1)); fi
        done
        echo "$count"
    }
    drain() {
        wait_until $((RETENTION + 30)) drained ||
            { echo "FAIL: still listed $((RETENTION + 30)) s after the last publish: $(listed | tr '\n' ' ')"; status=1; }
    }
    started=$SECONDS
    for i in $(seq 1 "$N"); do
        cycle "names$i" "$i"
        ENDED_AT+=("$(now)")
        count=$(listed | wc -l); allowed=$(retained)
        if [ "$count" -gt "$allowed" ]; then
            over=$((over + 1))
            [ $over -le 5 ] && echo "cycle $i: /api/streams lists $count streams, only $allowed inside their retention:" \
                "$(listed | head -20 | tr '\n' ' ')"
        fi
        if [ "$i" -eq 10 ]; then
            drain
            rss10=$(rss)
            echo "after 10 names (retention expired, $(listed | wc -l) listed): RSS $((rss10 / 1024)) MiB" \
                "($rss10 KiB), threads $(threads), FDs $(fds)"
        elif [ $((i % 10)) -eq 0 ]; then
            echo "name $i/$N ($((SECONDS - started)) s): RSS $(($(rss) / 1024)) MiB, listed $count," \
                "threads $(threads), FDs $(fds)"
        fi
    done
    drain
    end_rss=$(rss)
    ratio=$(awk -v a="$end_rss" -v b="$rss10" 'BEGIN {printf "%.3f", a / b}')
    echo "after $N names (retention expired, $(listed | wc -l) listed): RSS $((end_rss / 1024)) MiB ($end_rss KiB), threads $(threads)," \
        "FDs $(fds); end/after-10 RSS ratio $ratio (limit 1.100)"
    if awk -v a="$end_rss" -v b="$rss10" 'BEGIN {exit !(a > 1.10 * b)}'; then
        echo "FAIL: RSS grew more than 10 % from name 10 to name $N"; status=1
    fi
    if [ $over -gt 0 ]; then
        echo "FAIL: after $over of $N cycles /api/streams listed streams past their retention"; status=1
    fi
    echo "publish start lines: $(grep -c 'publish start' "$WORK/gateway.log"), publish stop lines: $(grep -c 'publish stop' "$WORK/gateway.log")"
    echo "work dir: $WORK"
    exit $status
fi

cycle "$(name_for 0)" 0
settle_deadline=$((VALGRIND == 1 ? 120 : 30))
sleep 2  # let the warm-up's threads exit before the baseline
base_rss=$(rss); base_threads=$(threads); base_fds=$(fds)
echo "baseline after warm-up: RSS $((base_rss / 1024)) MiB, threads $base_threads, FDs $base_fds"
started=$SECONDS
peak_threads=$base_threads; peak_fds=$base_fds; peak_rss=$base_rss
for i in $(seq 1 "$N"); do
    cycle "$(name_for "$i")" "$i"
    t=$(threads); f=$(fds); r=$(rss)
    [ "$t" -gt "$peak_threads" ] && peak_threads=$t
    [ "$f" -gt "$peak_fds" ] && peak_fds=$f
    [ "$r" -gt "$peak_rss" ] && peak_rss=$r
    if [ $((i % 10)) -eq 0 ] || [ "$i" -eq "$N" ]; then
        echo "cycle $i/$N ($((SECONDS - started)) s): RSS $((r / 1024)) MiB, threads $t, FDs $f"
    fi
done
status=0
wait_until "$settle_deadline" bash -c "[ \$(ls /proc/$GW/task | wc -l) -le $base_threads ]" || true
wait_until "$settle_deadline" bash -c "[ \$(ls /proc/$GW/fd | wc -l) -le $base_fds ]" || true
end_rss=$(rss); end_threads=$(threads); end_fds=$(fds)
echo "after $N cycles: RSS $((end_rss / 1024)) MiB ($(((end_rss - base_rss) / 1024)) MiB," \
    "$(((end_rss - base_rss) / N)) KiB per cycle; peak $((peak_rss / 1024)) MiB)," \
    "threads $end_threads (baseline $base_threads, peak $peak_threads)," \
    "FDs $end_fds (baseline $base_fds, peak $peak_fds)"
if [ "$end_threads" -gt "$base_threads" ]; then echo "FAIL: threads stay above the baseline"; status=1; fi
if [ "$end_fds" -gt "$base_fds" ]; then
    echo "FAIL: FDs stay above the baseline:"; ls -l "/proc/$GW/fd" | tail -n +2 | awk '{print $NF}' | sort | uniq -c
    status=1
fi
echo "publish start lines: $(grep -c 'publish start' "$WORK/gateway.log"), publish stop lines: $(grep -c 'publish stop' "$WORK/gateway.log")"

if [ $LSAN -eq 1 ]; then
    kill -TERM "$GW"; wait "$GW" 2>/dev/null || true; GW=""
    report=$(cat "$WORK"/asan.* 2>/dev/null || true)
    if grep -q "ERROR:" <<<"$report"; then
        echo "AddressSanitizer/LeakSanitizer report ($WORK/asan.*):"
        grep -E "SUMMARY|ERROR|Direct leak|Indirect leak|^    #[0-9]+ " <<<"$report" | head -80
        status=1
    else
        echo "LeakSanitizer: no leaks and no ASan errors reported at exit"
    fi
    if grep -q "Suppressions used" <<<"$report"; then
        echo "suppressed (process-lifetime allocations, scripts/lsan.supp):"
        sed -n '/Suppressions used/,/^---/p' <<<"$report" | grep -v -- "^---" | sed 's/^/  /'
    fi
    # ASan holds freed memory in quarantine, so RSS above is not comparable with a release run.
elif [ $VALGRIND -eq 1 ]; then
    kill -TERM "$GW"; wait "$GW" 2>/dev/null || true; GW=""
    echo "valgrind LEAK SUMMARY ($WORK/valgrind.log):"
    sed -n '/LEAK SUMMARY/,/suppressed/p' "$WORK/valgrind.log" | sed 's/^==[0-9]*== //'
    grep -m1 "ERROR SUMMARY" "$WORK/valgrind.log" | sed 's/^==[0-9]*== //'
fi
echo "work dir: $WORK"
exit $status
