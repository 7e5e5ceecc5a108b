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
import signal
import statistics
import sys
import time
from pathlib import Path

# The rest lives next to this file (its directory is on sys.path when it runs as a script):
# glass_code.py (the time code and its filter), glass_page.py (the page and the browser that runs
# it), glass_selftest.py (the selftest subcommand).
from glass_code import code_filter
from glass_page import (COLLECT_JS, INJECT_JS, JS_DIR, MEASURE_JS, PAGE, console_log, js, make_driver,
                        static_server, wait_for)
from glass_selftest import selftest


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
            if args.player_page:
                # The gateway's own player page, measured by the same code injected into it.
                driver.get(args.player_page)
                driver.execute_script(INJECT_JS, MEASURE_JS)
            else:
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
    w.add_argument("--player-page", help="measure this page (the gateway's /live/NAME/?player=hlsjs&top=1) instead")
    w.add_argument("--warmup", type=float, default=10.0)
    w.add_argument("--watch", type=float, default=60.0)
    w.add_argument("--startup-timeout", type=float, default=30.0)
    sub.add_parser("js-server", help="serve JS_PLAYERS_DIR with CORS until killed; prints its base URL")
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+")
    r.add_argument("--baseline")
    r.add_argument("--details", action="store_true")
    a = p.parse_args()
    if a.cmd == "filter":
        print(code_filter(a.start_ms, a.step_ms, a.fps))
        return 0
    if a.cmd == "js-server":
        with static_server(JS_DIR, {}) as server:
            print(server.url(""), flush=True)
            signal.pause()
        return 0
    return {"selftest": selftest, "watch": watch, "report": report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
