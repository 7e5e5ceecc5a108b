#!/usr/bin/env bash
# Browser players for the tests, offline from PyPI (no npm/CDN reachable here):
#   DEST/videojs/video.js      Video.js 7.5.5 with http-streaming (VHS) 1.9.3   (sdist js.videojs)
#   DEST/hlsjs/hls.mjs         hls.js 1.6.15, an ES-module chunk of gradio's frontend (wheel gradio==6.31.0)
#   DEST/hlsjs/hls-class.mjs   scripts/lib/hls-class.mjs: its default export is that chunk's Hls class
# The gateway itself defaults to public CDN URLs; tests point --hls-js-url/--videojs-url here.
set -euo pipefail
DEST="${1:?usage: fetch-js-players.sh DEST_DIR}"
PIP="${PIP:-python3 -m pip}"
mkdir -p "$DEST/videojs" "$DEST/hlsjs"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ ! -s "$DEST/videojs/video.js" ]; then
    $PIP download -q --disable-pip-version-check --no-deps --no-binary :all: js.videojs==7.5.5 -d "$tmp"
    tar -xzf "$tmp"/js.videojs-*.tar.gz -C "$tmp"
    res="$(ls -d "$tmp"/js.videojs-*/js/videojs/resources | head -1)"
    cp "$res/video.js" "$res/video-js.css" "$DEST/videojs/"
fi
if [ ! -s "$DEST/hlsjs/hls.mjs" ]; then
    $PIP download -q --disable-pip-version-check --no-deps --only-binary :all: gradio==6.31.0 -d "$tmp"
    whl="$(ls "$tmp"/gradio-*.whl | head -1)"
    member="$(unzip -Z1 "$whl" | grep -E '^gradio/templates/frontend/assets/hls-[^/]*\.js$' | head -1)"
    [ -n "$member" ] || { echo "fetch-js-players: no hls.js chunk in $whl" >&2; exit 1; }
    unzip -p "$whl" "$member" >"$DEST/hlsjs/hls.mjs"
fi
cp "$(dirname "${BASH_SOURCE[0]}")/lib/hls-class.mjs" "$DEST/hlsjs/hls-class.mjs"
