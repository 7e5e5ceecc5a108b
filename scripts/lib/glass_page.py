"""The browser side of scripts/lib/glass.py: PAGE, the page that plays a stream with hls.js (or a file)
and decodes the time code (glass_code.py) of every presented frame into window.glass, COLLECT_JS,
which reads that record back, and the helpers that run the page in a fresh headless Chromium
(make_driver, static_server, wait_for, js, console_log).
"""

import os
import shutil
import sys
import time
from pathlib import Path

from glass_code import BOX, BOXES, DATA_BITS, ORIGIN

REPO = Path(__file__).resolve().parents[2]
JS_DIR = Path(os.environ.get("JS_PLAYERS_DIR", REPO / ".cache/js"))


# What every mode runs: the time-code decoder on every presented frame, the media events, and
# instrument(hls); window.glass (G) holds the record.
MEASURE_JS = r"""const P = new URLSearchParams(location.search);
const mode = window.glassMode || P.get('mode') || 'hlsjs';   // hlsjs | file | page (injected)
const src = window.glassSrc || P.get('src');
const G = window.glass = {
  mode, src, startedAt: Date.now(), timeOrigin: performance.timeOrigin, firstFrame: null, ttff: null,
  frames: 0, samples: [], rejects: [], rejectCounts: {}, events: [], hlsErrors: [], levelSwitches: [],
  stats: [], frags: [], info: {}, error: null, ended: false,
};
const video = document.querySelector('video');
const BOXES = %(BOXES)d, BOX = %(BOX)d, ORIGIN = %(ORIGIN)d, PX = 8;
const LOW = 70, HIGH = 185, SPREAD = 110, WRAP = 2 ** %(DATA_BITS)d;
const canvas = document.createElement('canvas');
canvas.width = BOXES * PX; canvas.height = PX;
const ctx = canvas.getContext('2d', {willReadFrequently: true});
try { performance.setResourceTimingBufferSize(100000); } catch (e) {}

function crc8(value) {
  let crc = 0;
  for (let i = %(DATA_BITS)d - 1; i >= 0; i--) {
    const bit = Math.floor(value / 2 ** i) %% 2, top = crc >> 7;
    crc = (crc << 1) & 0xff;
    if (bit !== top) crc ^= 0x07;
  }
  return crc;
}

// -> {low: 40-bit value} or {reject: reason}
function decode() {
  const vw = video.videoWidth, vh = video.videoHeight;
  if (!vw || !vh) return {reject: 'nosize'};
  ctx.drawImage(video, ORIGIN * vw / 1280, ORIGIN * vh / 720, BOXES * BOX * vw / 1280, BOX * vh / 720,
                0, 0, canvas.width, canvas.height);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const bits = [];
  for (let i = 0; i < BOXES; i++) {
    let sum = 0, min = 255, max = 0;
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) {
      const o = (y * canvas.width + i * PX + x) * 4;
      const l = 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
      sum += l; if (l < min) min = l; if (l > max) max = l;
    }
    const mean = sum / 16;
    if (max - min > SPREAD) return {reject: 'ambiguous'};
    if (mean < LOW) bits.push(0); else if (mean > HIGH) bits.push(1); else return {reject: 'ambiguous'};
  }
  if (bits[0] !== 1 || bits[1] !== 0 || bits[BOXES - 2] !== 0 || bits[BOXES - 1] !== 1) return {reject: 'marker'};
  let low = 0, crc = 0;
  for (let i = 2; i < 42; i++) low = low * 2 + bits[i];
  for (let i = 42; i < 50; i++) crc = crc * 2 + bits[i];
  if (crc8(low) !== crc) return {reject: 'crc'};
  return {low};
}

function reject(wall, reason) {
  G.rejects.push([wall, reason]);
  G.rejectCounts[reason] = (G.rejectCounts[reason] || 0) + 1;
}

function onFrame(now, md) {
  const wall = Date.now();
  G.frames++;
  if (G.firstFrame === null) {
    G.firstFrame = wall;
    G.ttff = wall - performance.timeOrigin;          // navigation start -> first presented frame
    G.ttffFromLoad = G.loadAt ? wall - G.loadAt : null;
  }
  const r = decode();
  if (r.reject) reject(wall, r.reject);
  else if (mode === 'file') G.samples.push([wall, r.low, md.mediaTime, video.videoHeight]);
  else {
    const code = r.low + Math.round((wall - r.low) / WRAP) * WRAP;
    const latency = wall - code;
    if (latency < -1000 || latency > 120000) reject(wall, 'range');
    else G.samples.push([wall, code, md.mediaTime, video.videoHeight,
                         Math.round(performance.timeOrigin + md.expectedDisplayTime - wall)]);
  }
  video.requestVideoFrameCallback(onFrame);
}
video.requestVideoFrameCallback(onFrame);

for (const name of ['waiting', 'playing', 'stalled', 'seeking', 'seeked', 'error', 'ended', 'pause', 'ratechange']) {
  video.addEventListener(name, () => {
    G.events.push([Date.now(), name, video.currentTime]);
    if (name === 'ended') G.ended = true;
    if (name === 'error' && !G.error) G.error = 'video error ' + (video.error && video.error.code);
  });
}

// hls.js's events and numbers into G (the page's own player, or the gateway's player page's).
function instrument(hls) {
  const Hls = hls.constructor;
  hls.on(Hls.Events.ERROR, (e, data) => {
    const response = data.response || {};
    const url = (data.frag && data.frag.url) || (data.part && data.part.url) || data.url
      || (data.context && data.context.url) || '';
    G.hlsErrors.push([Date.now(), data.type, data.details, !!data.fatal, response.code || null, url,
                      data.buffer || null, data.error ? String(data.error).slice(0, 200) : null]);
    if (data.fatal && !G.error) G.error = 'hls.js fatal ' + data.type + '/' + data.details;
  });
  const pin = () => {
    const levels = hls.levels.map((l, i) => ({i, height: l.height, bitrate: l.bitrate}));
    G.info.levels = levels;
    if (P.get('top') === '1' && levels.length > 1) {
      const top = levels.reduce((a, b) => ((b.height || 0) > (a.height || 0) ? b : a));
      // The top rung, no ABR (same picture as the reference). loadLevel, not currentLevel: an
      // immediate switch flushes the buffer and cost about 0.3 s of latency for good.
      hls.loadLevel = top.i;
      G.info.pinnedLevel = top.i;
    }
  };
  if (hls.levels && hls.levels.length) pin();
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    pin();
    if (mode !== 'page') video.play().catch((err) => G.events.push([Date.now(), 'play-rejected ' + err, 0]));
  });
  hls.on(Hls.Events.FRAG_BUFFERED, (e, data) => {
    const f = data.frag, p = data.part;
    if (G.frags.length < 5000) G.frags.push([Date.now(), f.type, f.sn, p ? p.index : -1,
      +(p ? p.start : f.start).toFixed(3), +(p ? p.duration : f.duration).toFixed(3)]);
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (e, data) => {
    G.levelSwitches.push([Date.now(), data.level, (hls.levels[data.level] || {}).height || null]);
  });
  hls.on(Hls.Events.LEVEL_LOADED, (e, data) => {
    const d = data.details;
    G.info.partTarget = d.partTarget || null; G.info.partHoldBack = d.partHoldBack || null;
    G.info.holdBack = d.holdBack || null; G.info.targetduration = d.targetduration;
    G.info.canBlockReload = !!d.canBlockReload;
  });
  setInterval(() => {
    const b = video.buffered;
    G.stats.push([Date.now(), hls.latency, hls.targetLatency, hls.drift,
                  b.length ? b.end(b.length - 1) - video.currentTime : 0, video.playbackRate,
                  video.currentTime]);
  }, 1000);
}

""" % {"BOXES": BOXES, "BOX": BOX, "ORIGIN": ORIGIN, "DATA_BITS": DATA_BITS}

# The bench's own page: plays SRC with hls.js (config from the query) or a file.
PAGE = ("""<!doctype html>
<html><head><meta charset="utf-8"><title>glass</title></head>
<body style="margin:0;background:#000">
<video id="v" muted autoplay playsinline style="width:640px;height:360px"></video>
<script type="module">
""" + MEASURE_JS + r"""async function startHls() {
  const Hls = (await import(new URL('hlsjs/hls-class.mjs', location.href).href)).default;
  const config = {};
  if (P.has('ll')) config.lowLatencyMode = P.get('ll') === 'true';
  if (P.has('catchup')) config.maxLiveSyncPlaybackRate = Number(P.get('catchup'));
  const hls = window.hls = new Hls(config);
  G.info.hlsVersion = Hls.version || null;
  G.info.lowLatencyMode = hls.config.lowLatencyMode;
  instrument(hls);
  G.loadAt = Date.now();
  hls.loadSource(src);
  hls.attachMedia(video);
}

async function startFile() {
  G.loadAt = Date.now();
  video.src = src;
  video.play().catch((err) => G.events.push([Date.now(), 'play-rejected ' + err, 0]));
}

(mode === 'file' ? startFile() : startHls()).catch((e) => { G.error = String(e); });
</script></body></html>
""")

# Injected into the gateway's own player page (mode "page"): the same measurement, hooked to
# the page's hls.js instance once it exists.
INJECT_JS = """
const script = document.createElement('script');
script.type = 'module';
script.textContent = "window.glassMode = 'page'; window.glassSrc = location.href;\\n" + arguments[0] + `
const waitForHls = setInterval(() => {
  if (!window.hls) return;
  clearInterval(waitForHls);
  G.info.hlsVersion = window.hls.constructor.version || null;
  G.info.lowLatencyMode = window.hls.config.lowLatencyMode;
  G.info.catchUp = 'player page';
  instrument(window.hls);
}, 10);`;
document.head.appendChild(script);
"""

COLLECT_JS = """
const g = window.glass;
const res = performance.getEntriesByType('resource').map((e) => [e.name, Math.round(e.startTime),
  Math.round(e.duration), e.responseStatus === undefined ? null : e.responseStatus, e.transferSize]);
return JSON.parse(JSON.stringify(Object.assign({}, g, {resources: res, now: Date.now()})));
"""

# The Chromium flags Tests/E2E/clients/browser.py uses here (headless, no sandbox, autoplay).
FLAGS = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
         "--autoplay-policy=no-user-gesture-required", "--mute-audio",
         "--disable-gpu", "--no-first-run", "--disable-extensions"]


def make_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def console_log(driver, limit=40):
    try:
        entries = driver.get_log("browser")
    except Exception:  # diagnostics only
        return []
    return [f"{e['level']} {e['message'][:300]}" for e in entries
            if e["level"] in ("SEVERE", "WARNING") and "favicon" not in e["message"]][:limit]


def static_server(directory, pages):
    sys.path.insert(0, str(REPO / "Tests/E2E/clients"))
    from static_server import StaticServer  # noqa: E402 (the E2E tests' server, by path)
    return StaticServer(directory, pages=pages)


def js(driver, script):
    return driver.execute_script(script)


def wait_for(driver, condition_js, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if js(driver, condition_js):
            return True
        time.sleep(0.1)
    return False
