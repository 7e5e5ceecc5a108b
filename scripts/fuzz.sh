#!/usr/bin/env bash
# Fuzz one parser target with libFuzzer + AddressSanitizer.
# Usage: scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: handshake | chunk | amf0 | flv   (Sources/RTMPWire/Fuzzing/FuzzHarness.swift)
#           http-request                     (Sources/HTTPWire/RawRequestFuzzing.swift)
# Seeds: Tests/Fuzz/corpus/TARGET and Tests/Fuzz/regressions/TARGET (read only). New corpus
# entries and crash artifacts go to .build-fuzz/work/TARGET/, never into the repository.
# A crash is fixed in the parser, then its input is copied to Tests/Fuzz/regressions/TARGET/
# (the replay test in Tests/RTMPWireTests/Fuzzing runs it on every `swift test`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
case "$target" in
    handshake) max_len=8192 ;;   # C0+C1+C2 (3073 bytes) and the first chunks after it
    chunk) max_len=65536 ;;      # the seed pieces are 64 KiB of chunk stream
    amf0) max_len=16384 ;;       # command/data payloads are a few hundred bytes
    flv) max_len=32768 ;;        # selector + one tag body; small frames and sequence headers
    http-request) max_len=9000 ;; # past the scanner's 8 KiB head limit
    *) echo "unknown target $target (handshake|chunk|amf0|flv|http-request)" >&2; exit 2 ;;
esac

scratch=.build-fuzz
config=${FUZZ_CONFIGURATION:-release}  # -O: about 20x the executions of debug
swift build --scratch-path "$scratch" -c "$config" --product gateway-fuzz -Xswiftc -sanitize=fuzzer,address \
    2>&1 | grep -vE "ld.gold: warning: Cannot export local symbol" || true
binary="$(swift build --scratch-path "$scratch" -c "$config" --show-bin-path)/gateway-fuzz"
[ -x "$binary" ] || { echo "build failed: no $binary" >&2; exit 1; }

work="$scratch/work/$target"
mkdir -p "$work/corpus" "$work/artifacts"
seeds=("Tests/Fuzz/corpus/$target")
[ -d "Tests/Fuzz/regressions/$target" ] && seeds+=("Tests/Fuzz/regressions/$target")
crashes_before=$(find "$work/artifacts" -type f | wc -l)

# SWIFT_BACKTRACE off: libFuzzer, not the Swift backtracer, must handle the crash signal.
set +e
SWIFT_BACKTRACE=enable=no GATEWAY_FUZZ_TARGET="$target" "$binary" "$work/corpus" "${seeds[@]}" \
    -max_len="$max_len" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" 2>"$work/fuzz.log"
status=$?
set -e

new_crashes=$(($(find "$work/artifacts" -type f | wc -l) - crashes_before))
executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$work/fuzz.log" | tail -1)
speed=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$work/fuzz.log" | tail -1)
added=$(sed -nE 's/^stat::new_units_added: *([0-9]+)/\1/p' "$work/fuzz.log" | tail -1)
coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/fuzz.log" | tail -1)
echo "target=$target seconds=$seconds executions=${executions:-?} exec/s=${speed:-?} new_units=${added:-?} ${coverage}"
echo "crashes: $new_crashes new (artifacts in $work/artifacts/), libFuzzer exit $status, log $work/fuzz.log"
if [ "$status" -ne 0 ] || [ "$new_crashes" -gt 0 ]; then
    grep -E "ERROR|Fatal error|property violated|SUMMARY|Test unit written" "$work/fuzz.log" | head -20 >&2
    exit 1
fi
