#!/usr/bin/env python3
"""Glass-to-glass latency in a real browser, read from the picture (used by scripts/bench-glass.sh).

    glass.py filter [--start-ms MS --step-ms MS] [--fps 30]
        the ffmpeg -filter_complex ([0:v] -> [v]) that burns a time code into every frame
    glass.py selftest [--keep DIR]
        renders clips with known codes, decodes them in headless Chromium with the page's own
        decoder, and fails unless every accepted code is right and garbage is rejected
    glass.py watch --src URL --label LABEL --out FILE.json [--ll true|false] [--top]
                   [--warmup S] [--watch S] [--startup-timeout S]
        opens the page in a fresh headless Chromium, plays SRC with hls.js, measures, prints one
        "RESULT LABEL k=v ..." line plus details and writes everything to FILE.json
    glass.py report FILE.json... [--baseline LABEL]
        the side-by-side table (ratios against the baseline run)

THE CODE. The publisher's filter stamps each frame with the wall clock at the moment ffmpeg's
filter graph takes it (setpts=RTCTIME, right after the -re paced lavfi source, before x264),
rounded to the millisecond. A row of 52 square boxes, 24x24 px at 1280x720, at (16, 16):

    box 0..1   white, black         start marker
    box 2..41  40 bits, MSB first   (milliseconds since the Unix epoch) mod 2^40 (34.8 years)
    box 42..49 8 bits, MSB first    CRC-8 (polynomial 0x07, init 0) of those 40 bits, MSB first
    box 50..51 black, white         end marker

The filter draws the code as a 52x2 grey picture with geq (the CRC is computed there with an
expression loop), scales it up with nearest-neighbour and overlays it, so geq costs ~100 pixels a
frame. After a 640x360 downscale a box is 12x12 px. The page decodes it on every presented frame
(requestVideoFrameCallback): it draws the strip (16/1280 ... of the video's own size, whatever the
rendition) onto an 8 px-per-box canvas, averages the 4x4 centre of each box, and rejects the frame
when a box is neither clearly dark (< 70) nor clearly light (> 185) or not uniform (spread > 110),
when a marker is wrong, when the CRC does not match, or (live) when the result is not within
[-1 s, +120 s] of Date.now(). The high bits come from Date.now() (the nearest value with those
low 40 bits). latency = Date.now() in the frame callback - code; the publisher, the servers and
Chromium share one machine and one clock.
"""

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JS_DIR = Path(os.environ.get("JS_PLAYERS_DIR", REPO / ".cache/js"))

BOXES = 52
BOX = 24            # px at 1280x720
ORIGIN = 16         # top-left corner of the strip, px at 1280x720
DATA_BITS = 40

# The geq expression: ld(0) = ms mod 2^40, ld(1) = CRC-8 of it, then one pixel per box (X).
CODE_EXPR = (
    f"st(0,mod(floor(T*1000+0.5),{2 ** DATA_BITS}));"
    "st(1,0);st(2,39);while(gte(ld(2),0),"
    "st(3,mod(floor(ld(0)/pow(2,ld(2))),2));st(4,gte(ld(1),128));st(1,mod(ld(1)*2,256));"
    "st(1,if(ld(3)-ld(4),ld(1)+7-2*bitand(ld(1),7),ld(1)));st(2,ld(2)-1));"
    "255*if(lt(X,2),1-X,if(lt(X,42),mod(floor(ld(0)/pow(2,41-X)),2),"
    "if(lt(X,50),mod(floor(ld(1)/pow(2,49-X)),2),X-50)))"
)


def code_filter(start_ms=None, step_ms=None, fps=30):
    """[0:v] -> [v]: the time code overlaid; output timestamps are the frame index at FPS."""
    if start_ms is None:
        stamp = "settb=AVTB,setpts=RTCTIME"            # microseconds since the epoch
    else:
        stamp = f"settb=1/1000,setpts={int(start_ms)}+N*{int(step_ms)}"
    return (f"[0:v]{stamp},split[glass_main][glass_c];"
            f"[glass_c]scale={BOXES}:2:flags=neighbor,format=gray,geq=lum='{CODE_EXPR}',"
            f"scale={BOXES * BOX}:{BOX}:flags=neighbor,format=yuv420p[glass_code];"
            f"[glass_main][glass_code]overlay={ORIGIN}:{ORIGIN}:shortest=1,settb=1/{fps},setpts=N[v]")


def crc8(value):
    crc = 0
    for i in range(DATA_BITS - 1, -1, -1):
        bit, top = (value >> i) & 1, crc >> 7
        crc = (crc << 1) & 0xFF
        if bit != top:
            crc ^= 0x07
    return crc


PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>glass</title></head>
<body style="margin:0;background:#000">
<video id="v" muted autoplay playsinline style="width:640px;height:360px"></video>
<script type="module">
const P = new URLSearchParams(location.search);
const mode = P.get('mode') || 'hlsjs';          // hlsjs | file
const src = P.get('src');
const G = window.glass = {
  mode, src, startedAt: Date.now(), timeOrigin: performance.timeOrigin, firstFrame: null, ttff: null,
  frames: 0, samples: [], rejects: [], rejectCounts: {}, events: [], hlsErrors: [], levelSwitches: [],
  stats: [], frags: [], info: {}, error: null, ended: false,
};
const video = document.getElementById('v');
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

async function startHls() {
  const Hls = (await import(new URL('hlsjs/hls-class.mjs', location.href).href)).default;
  const config = {};
  if (P.has('ll')) config.lowLatencyMode = P.get('ll') === 'true';
  if (P.has('catchup')) config.maxLiveSyncPlaybackRate = Number(P.get('catchup'));
  const hls = window.hls = new Hls(config);
  G.info.hlsVersion = Hls.version || null;
  G.info.lowLatencyMode = hls.config.lowLatencyMode;
  hls.on(Hls.Events.ERROR, (e, data) => {
    const response = data.response || {};
    const url = (data.frag && data.frag.url) || (data.part && data.part.url) || data.url
      || (data.context && data.context.url) || '';
    G.hlsErrors.push([Date.now(), data.type, data.details, !!data.fatal, response.code || null, url,
                      data.buffer || null, data.error ? String(data.error).slice(0, 200) : null]);
    if (data.fatal && !G.error) G.error = 'hls.js fatal ' + data.type + '/' + data.details;
  });
  hls.on(Hls.Events.MANIFEST_PARSED, (e, data) => {
    const levels = hls.levels.map((l, i) => ({i, height: l.height, bitrate: l.bitrate}));
    G.info.levels = levels;
    if (P.get('top') === '1' && levels.length > 1) {
      const top = levels.reduce((a, b) => ((b.height || 0) > (a.height || 0) ? b : a));
      hls.currentLevel = top.i;          // the top rung, no ABR (same picture as the reference)
      G.info.pinnedLevel = top.i;
    }
    video.play().catch((err) => G.events.push([Date.now(), 'play-rejected ' + err, 0]));
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
""" % {"BOXES": BOXES, "BOX": BOX, "ORIGIN": ORIGIN, "DATA_BITS": DATA_BITS}

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


# ---------------------------------------------------------------------------------------- watch

def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


def summarise(g, t0, t1):
    inside = lambda wall: t0 <= wall < t1  # noqa: E731
    lat = [s[0] - s[1] for s in g["samples"] if inside(s[0])]
    rejects = [r for r in g["rejects"] if inside(r[0])]
    waiting = [e for e in g["events"] if e[1] == "waiting"]
    # Stalled time: each 'waiting' until the next 'playing' (or the end of the window).
    stall_s = 0.0
    for e in waiting:
        if not inside(e[0]):
            continue
        after = [p[0] for p in g["events"] if p[1] == "playing" and p[0] >= e[0]]
        stall_s += (min(after[0], t1) if after else t1) - e[0]
    heights = sorted({s[3] for s in g["samples"] if inside(s[0])})
    out = {
        "n": len(lat), "rejected": len(rejects),
        "reject_reasons": {k: sum(1 for r in rejects if r[1] == k) for k in {r[1] for r in rejects}},
        "median": statistics.median(lat) / 1000 if lat else None,
        "p90": percentile(lat, 90) / 1000 if lat else None,
        "min": min(lat) / 1000 if lat else None, "max": max(lat) / 1000 if lat else None,
        "ttff": g["ttff"] / 1000 if g.get("ttff") is not None else None,
        "stalls": sum(1 for e in waiting if inside(e[0])),
        "stall_s": round(stall_s / 1000, 2),
        "stalls_warmup": sum(1 for e in waiting if g["firstFrame"] and g["firstFrame"] < e[0] < t0),
        "heights": heights,
        "window_s": (t1 - t0) / 1000,
    }
    # Latency per 10 s of the watch: shows drift (a player falling behind) at a glance.
    buckets = []
    for b in range(int((t1 - t0) // 10000) + 1):
        lo, hi = t0 + b * 10000, min(t1, t0 + (b + 1) * 10000)
        v = [s[0] - s[1] for s in g["samples"] if lo <= s[0] < hi]
        if v:
            buckets.append(round(statistics.median(v) / 1000, 2))
    out["per10s"] = buckets
    return out


def classify(url):
    path = url.split("?", 1)[0]
    if path.endswith(".m3u8"):
        return "playlist(blocking)" if "_HLS_msn" in url else "playlist"
    if path.endswith((".mjs", ".html", ".ico")):
        return "page"
    name = path.rsplit("/", 1)[-1]
    return "part" if (".part" in name or "part" in name) else "segment"


def resource_summary(resources):
    """Requests by kind: count, statuses, and durations (blocking reloads hold until the part)."""
    kinds = {}
    for name, start, duration, status, size in resources:
        kind = classify(name)
        k = kinds.setdefault(kind, {"n": 0, "status": {}, "durations": [], "bad": []})
        k["n"] += 1
        key = str(status)
        k["status"][key] = k["status"].get(key, 0) + 1
        k["durations"].append(duration)
        if status not in (None, 0, 200, 204, 206, 304):
            k["bad"].append([start, status, name])
    for k in kinds.values():
        d = sorted(k.pop("durations"))
        k["ms_median"] = d[len(d) // 2] if d else None
        k["ms_max"] = d[-1] if d else None
        k["bad"] = k["bad"][:20]
    return kinds


def watch(args):
    page = "glass.html"
    query = {"mode": "hlsjs", "src": args.src}
    if args.ll:
        query["ll"] = args.ll
    if args.catchup:
        query["catchup"] = str(args.catchup)
    if args.top:
        query["top"] = "1"
    from urllib.parse import urlencode
    record = {"label": args.label, "src": args.src, "ll": args.ll, "warmup": args.warmup, "watch": args.watch}
    driver = None
    with static_server(JS_DIR, {page: PAGE}) as server:
        try:
            driver = make_driver()
            driver.get(server.url(page) + "?" + urlencode(query))
            started = wait_for(driver, "return window.glass && (window.glass.firstFrame !== null"
                                       " || window.glass.error !== null)", args.startup_timeout)
            g = js(driver, "return {first: window.glass.firstFrame, error: window.glass.error}")
            if not started or g["first"] is None:
                record["error"] = g.get("error") or f"no frame within {args.startup_timeout:.0f}s"
            else:
                time.sleep(args.warmup)
                t0 = js(driver, "return Date.now()")
                end = time.monotonic() + args.watch
                while time.monotonic() < end:
                    time.sleep(min(5.0, max(0.0, end - time.monotonic())))
                    err = js(driver, "return window.glass.error")
                    if err:
                        record["error"] = err
                        break
                t1 = js(driver, "return Date.now()")
                record["t0"], record["t1"] = t0, t1
            g = js(driver, COLLECT_JS)
            record["console"] = console_log(driver)
        except Exception as e:  # a broken run is reported, not a traceback without the others
            record["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            g = None
        finally:
            if driver is not None:
                driver.quit()
    if g is not None:
        if "t0" in record:
            record.update(summarise(g, record["t0"], record["t1"]))
        else:
            record["ttff"] = g["ttff"] / 1000 if g.get("ttff") is not None else None
        record["info"] = g["info"]
        record["hls_errors"] = g["hlsErrors"]
        record["level_switches"] = g["levelSwitches"]
        record["events"] = g["events"]
        record["stats"] = g["stats"]
        record["frags"] = g["frags"]
        record["requests"] = resource_summary(g["resources"])
        record["frames"] = g["frames"]
        record["reject_counts_all"] = g["rejectCounts"]
        record["samples_all"] = len(g["samples"])
        record["error"] = record.get("error") or g.get("error")
        record["first_frame"] = g.get("firstFrame")
    Path(args.out).write_text(json.dumps(record))
    print_result(record)
    return 0 if not record.get("error") else 1


def fmt(v, nd=2):
    return "-" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))


def print_result(r):
    keys = ["median", "p90", "min", "max", "n", "rejected", "ttff", "stalls", "stall_s"]
    line = " ".join(f"{k}={fmt(r.get(k))}" for k in keys)
    print(f"RESULT {r['label']} {line}" + (f" error={r['error']!r}" if r.get("error") else ""), flush=True)


def buffer_holes(frags, kind="main"):
    """Media not buffered between the first and the last buffered fragment/part of KIND:
    (count, seconds, parts buffered, parts out of order)."""
    spans = sorted((f[4], f[4] + f[5]) for f in frags if f[1] == kind)
    holes, missing, end = 0, 0.0, None
    for start, stop in spans:
        if end is not None and start - end > 0.02:
            holes += 1
            missing += start - end
        end = stop if end is None else max(end, stop)
    order = [f[4] for f in frags if f[1] == kind]
    late = sum(1 for a, b in zip(order, order[1:]) if b < a - 0.02)
    return holes, missing, len(spans), late


def details(r):
    """Human-readable diagnostics of one watch."""
    out = []
    info = r.get("info") or {}
    out.append(f"  hls.js {info.get('hlsVersion')} lowLatencyMode={info.get('lowLatencyMode')} "
               f"levels={[l.get('height') for l in info.get('levels', [])]} pinned={info.get('pinnedLevel')} "
               f"target={info.get('targetduration')} part={info.get('partTarget')} "
               f"holdback={info.get('holdBack')} partholdback={info.get('partHoldBack')} "
               f"blocking={info.get('canBlockReload')}")
    out.append(f"  displayed heights={r.get('heights')} frames={r.get('frames')} decoded={r.get('samples_all')} "
               f"rejects(all)={r.get('reject_counts_all')} median per 10 s={r.get('per10s')}")
    stats = r.get("stats") or []
    if stats:
        last = stats[-1]
        out.append(f"  hls.js at end: latency={fmt(last[1])} target={fmt(last[2])} drift={fmt(last[3])} "
                   f"buffer_ahead={fmt(last[4])} rate={last[5]}")
    if r.get("frags"):
        holes, missing, n, late = buffer_holes(r["frags"])
        parts = sum(1 for f in r["frags"] if f[1] == "main" and f[3] >= 0)
        out.append(f"  video buffered: {n} loads ({parts} parts), {holes} holes totalling {missing:.1f}s of media never "
                   f"loaded, {late} loads buffered after a later one")
    first = r.get("first_frame") or 0
    ev = [f"{e[1]}@{(e[0] - first) / 1000:+.1f}s" for e in (r.get("events") or [])
          if e[1] in ("waiting", "stalled", "seeking", "error", "pause") or e[1].startswith("play-rejected")]
    if ev:
        out.append(f"  media events (s after first frame): {' '.join(ev[:40])}{' ...' if len(ev) > 40 else ''}")
    errs = r.get("hls_errors") or []
    if errs:
        counts = {}
        for e in errs:
            key = f"{e[1]}/{e[2]}{' FATAL' if e[3] else ''}{' HTTP ' + str(e[4]) if e[4] else ''}"
            counts[key] = counts.get(key, 0) + 1
        out.append(f"  hls.js errors: {counts}")
        for e in errs[:8]:
            out.append(f"    {(e[0] - first) / 1000:+.1f}s {e[1]}/{e[2]} fatal={e[3]} code={e[4]} {e[5]} {e[7] or ''}")
    if r.get("level_switches") and len(r["level_switches"]) > 1:
        out.append(f"  level switches: {[(round((s[0] - first) / 1000, 1), s[2]) for s in r['level_switches']]}")
    for kind, k in sorted((r.get("requests") or {}).items()):
        out.append(f"  requests {kind:<19} n={k['n']:<5} status={k['status']} ms median={k['ms_median']} max={k['ms_max']}")
        for bad in k["bad"][:5]:
            out.append(f"      HTTP {bad[1]} at {bad[0] / 1000:.1f}s: {bad[2]}")
    for line in (r.get("console") or [])[:15]:
        out.append(f"  console: {line}")
    return "\n".join(out)


def report(args):
    runs = [json.loads(Path(f).read_text()) for f in args.files]
    base = next((r for r in runs if r["label"] == args.baseline), None)
    head = (f"{'player / server':<34} {'median':>7} {'p90':>7} {'min':>6} {'max':>6} {'samples':>7} "
            f"{'reject':>6} {'TTFF':>6} {'stalls':>6} {'stall_s':>7}   ratio median / p90 / TTFF   shown")
    print(head)
    for r in runs:
        ratio = lambda k: (f"{r[k] / base[k]:.2f}" if base and r.get(k) and base.get(k) else "-")  # noqa: E731
        if r.get("median") is None:
            print(f"{r['label']:<34} no measurement: {r.get('error')}")
            continue
        print(f"{r['label']:<34} {fmt(r['median']):>7} {fmt(r['p90']):>7} {fmt(r['min']):>6} {fmt(r['max']):>6} "
              f"{r['n']:>7} {r['rejected']:>6} {fmt(r['ttff']):>6} {r['stalls']:>6} {fmt(r['stall_s']):>7}  "
              f" {ratio('median'):>5} / {ratio('p90'):>5} / {ratio('ttff'):>5}   "
              f"{','.join(f'{h}p' for h in r.get('heights') or [])}" + (f"  error={r['error']}" if r.get("error") else ""))
    if args.details:
        for r in runs:
            print(f"\n{r['label']} ({r.get('src')}):")
            print(details(r))
    return 0


# ------------------------------------------------------------------------------------- selftest

def ffmpeg(*a):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *a], check=True)


def selftest(args):
    """Clips with known codes through the page's decoder in Chromium.

    clean-720p    the code as published (x264 veryfast 2.8 Mb/s, 1280x720)
    clean-360p    scaled to 640x360 after the code was drawn, 300 kb/s (harsher than the 800k rung)
    blend         every frame the average of two consecutive coded frames (tblend): each code box
                  that differs is mid-grey, so every frame must be rejected
    noise         strong temporal noise (alls=70) on the coded 720p picture: some frames may be
                  rejected, none may decode to a wrong value
    flip1, flip3  one data box (20), or three boxes (data 5 and 23, CRC 44), drawn inverted: clean
                  levels and markers, so only the CRC can reject them, and it must, every frame
    nocode        testsrc2 without a code: every frame rejected
    """
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="glass-selftest."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(JS_DIR / "hlsjs", work / "hlsjs")
    except FileExistsError:
        pass
    start = int(time.time() * 1000) - 3_600_000
    step, fps, seconds = 33, 30, 4
    frames = fps * seconds
    expected = {(start + step * n) % 2 ** DATA_BITS for n in range(frames + 2)}
    src = ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={fps}", "-t", str(seconds)]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", "-movflags", "+faststart"]
    coded = code_filter(start, step, fps)

    def invert(box):  # one code box drawn inverted: markers and levels stay clean, the CRC must not
        return f"drawbox=x={ORIGIN + BOX * box}:y={ORIGIN}:w={BOX}:h={BOX}:color=invert:t=fill"
    clips = {
        "clean-720p": (coded, ["-b:v", "2800k"], "all"),
        "clean-360p": (coded.replace("setpts=N[v]", "setpts=N,scale=640:360[v]"), ["-b:v", "300k"], "all"),
        "blend": (coded.replace("setpts=N[v]", "setpts=N,tblend=all_mode=average[v]"), ["-b:v", "2800k"], "none"),
        "noise": (coded.replace("setpts=N[v]", "setpts=N,noise=alls=70:allf=t[v]"), ["-b:v", "2800k"], "some"),
        "flip1": (coded.replace("setpts=N[v]", "setpts=N," + invert(20) + "[v]"), ["-b:v", "2800k"], "none"),
        "flip3": (coded.replace("setpts=N[v]", "setpts=N," + ",".join(invert(i) for i in (5, 23, 44)) + "[v]"),
                  ["-b:v", "2800k"], "none"),
        "nocode": ("[0:v]null[v]", ["-b:v", "2800k"], "none"),
    }
    for name, (graph, rate, _) in clips.items():
        ffmpeg(*src, "-filter_complex", graph, "-map", "[v]", *x264, *rate, str(work / f"{name}.mp4"))
    ok = True
    with static_server(work, {"glass.html": PAGE}) as server:
        driver = make_driver()
        try:
            for name, (_, _, expect) in clips.items():
                driver.get(server.url("glass.html") + f"?mode=file&src={name}.mp4")
                wait_for(driver, "return window.glass && (window.glass.ended || window.glass.error)", seconds + 20)
                g = js(driver, "return JSON.parse(JSON.stringify(window.glass))")
                values = [s[1] for s in g["samples"]]
                right = sum(1 for v in values if v in expected)
                wrong = [v for v in values if v not in expected]
                distinct = len(set(values))
                verdict = "ok"
                if g.get("error") or not g.get("ended"):
                    verdict = f"FAIL (playback: error={g.get('error')} ended={g.get('ended')})"
                elif wrong:
                    verdict = f"FAIL ({len(wrong)} wrong codes accepted, e.g. {wrong[:3]})"
                elif expect == "all" and distinct < 0.8 * frames:
                    verdict = f"FAIL (only {distinct} of {frames} codes decoded)"
                elif expect == "none" and values:
                    verdict = f"FAIL ({len(values)} frames accepted, none expected)"
                elif expect == "some" and g["frames"] == 0:
                    verdict = "FAIL (no frames presented)"
                ok &= verdict == "ok"
                print(f"selftest {name:<11} presented={g['frames']:<4} accepted={len(values):<4} right={right:<4} "
                      f"wrong={len(wrong):<3} distinct={distinct:<4} rejects={g['rejectCounts']} -> {verdict}")
        finally:
            driver.quit()
    # The same codes by a plain decoder here (checks the filter, independent of the page).
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(work / "clean-720p.mp4"), "-vf", "format=gray",
                          "-f", "rawvideo", "-"], check=True, capture_output=True).stdout
    w, h = 1280, 720
    got = []
    for f in range(len(raw) // (w * h)):
        row = raw[f * w * h + (ORIGIN + BOX // 2) * w:][:w]
        bits = [1 if row[ORIGIN + BOX * i + BOX // 2] > 128 else 0 for i in range(BOXES)]
        low = int("".join(map(str, bits[2:42])), 2)
        if bits[:2] == [1, 0] and bits[50:] == [0, 1] and crc8(low) == int("".join(map(str, bits[42:50])), 2):
            got.append(low)
    exact = got == [(start + step * n) % 2 ** DATA_BITS for n in range(len(got))]
    ok &= exact and len(got) == frames
    print(f"selftest python-720p frames={len(got)}/{frames} exact-sequence={exact} -> {'ok' if exact and len(got) == frames else 'FAIL'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("selftest " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    # SIGTERM (the bench script's cleanup) unwinds like Ctrl-C, so the browser is always quit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("filter")
    f.add_argument("--start-ms", type=int)
    f.add_argument("--step-ms", type=int, default=33)
    f.add_argument("--fps", type=int, default=30)
    s = sub.add_parser("selftest")
    s.add_argument("--keep")
    w = sub.add_parser("watch")
    w.add_argument("--src", required=True)
    w.add_argument("--label", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--ll", choices=["true", "false"])
    w.add_argument("--top", action="store_true")
    w.add_argument("--catchup", type=float, help="hls.js maxLiveSyncPlaybackRate (default: hls.js's, 1)")
    w.add_argument("--warmup", type=float, default=10.0)
    w.add_argument("--watch", type=float, default=60.0)
    w.add_argument("--startup-timeout", type=float, default=30.0)
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+")
    r.add_argument("--baseline")
    r.add_argument("--details", action="store_true")
    a = p.parse_args()
    if a.cmd == "filter":
        print(code_filter(a.start_ms, a.step_ms, a.fps))
        return 0
    return {"selftest": selftest, "watch": watch, "report": report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
