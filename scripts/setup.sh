#!/usr/bin/env bash
# Idempotent setup on Debian 12 (run as root; apt must be reachable).
#   scripts/setup.sh            apt build dependencies + release build of `gateway`
#   scripts/setup.sh --test     also the real third-party clients the tests drive
#                               (ffmpeg, GStreamer, VLC, rtmpdump, nginx-rtmp, Chromium, etcd,
#                               a Python venv with selenium/streamlink/m3u8/mpegdash/pymp4,
#                               hls.js + Video.js) and a debug build with the tests.
# Every step is skipped when it is already done, so running it again is cheap.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=serve
[ "${1:-}" = "--test" ] && MODE=test

BUILD_PKGS=(pkg-config libavcodec-dev libavformat-dev libswscale-dev libswresample-dev libavutil-dev libsqlite3-dev)
TEST_PKGS=(ffmpeg rtmpdump nginx libnginx-mod-rtmp wrk curl unzip procps python3-venv
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  vlc-bin vlc-plugin-base chromium chromium-driver etcd-server etcd-client iproute2)

missing() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

want=("${BUILD_PKGS[@]}")
[ "$MODE" = test ] && want+=("${TEST_PKGS[@]}")
mapfile -t need < <(missing "${want[@]}")
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: a Swift 6 toolchain is required (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
fi

if [ "$MODE" = test ]; then
    # Python clients in a private venv (PyPI): real parsers, streamlink, selenium.
    if ! .venv/bin/python -c 'import selenium, streamlink, m3u8, mpegdash, pymp4, pytest' 2>/dev/null; then
        echo "setup: python venv .venv (selenium streamlink m3u8 mpegdash pymp4 pytest)"
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check \
            selenium streamlink m3u8 mpegdash pymp4 pytest
    fi
    scripts/fetch-js-players.sh .cache/js
    echo "setup: swift build (debug, with tests; a target importing a target it does not declare fails)"
    swift build --build-tests --explicit-target-dependency-import-check error 2>&1 | grep -E 'error|warning: |Compiling|Build complete' | grep -v '^\[' | tail -n 20
else
    echo "setup: swift build -c release"
    swift build -c release --product gateway --explicit-target-dependency-import-check error 2>&1 | grep -E 'error|warning: |Build complete' | tail -n 20
fi
