"""The cluster benchmark (scripts/bench-cluster.sh): the same N player-like viewers through the two
nginx edges and directly on the owner node, for every N, in one run; then failover time.

Measured per (N, mode): requests/s the viewers achieved, p99 time to fetch the newest segment,
the owner's CPU seconds per viewer (from /proc/PID/stat, less the same time's CPU with no viewers:
transcoding), the edges' CPU, and origin requests per segment per rendition (edge access logs;
also the owner's gateway_stream_requests_total when it has it). The viewers run in `--procs`
Python processes on the same cores as everything else: compare the columns, not absolute values.
"""

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from . import viewers, web
from .lab import Lab, cluster_support, wait_for
from .media import make_clip

STREAM, KEY = "bench", "bench-secret"
RENDITIONS = ["360p", "240p"]


def add_arguments(parser):
    parser.add_argument("--viewers", default="100,1000", help="viewer counts, comma-separated (default 100,1000)")
    parser.add_argument("--seconds", type=float, default=15, help="load duration per measurement (default 15)")
    parser.add_argument("--reload", type=float, default=1.0, help="playlist reload interval of a viewer (default 1 s)")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes (default 2)")
    parser.add_argument("--reconnect-delay", type=float, default=1.0,
                        help="the publisher's reconnect delay after its node died (default 1 s)")
    parser.add_argument("--failovers", type=int, default=3, help="failovers to time (default 3)")
    parser.add_argument("--profile", default="profiles/test-small.yaml")
    # Internal: one load generator process (reads URLs from a JSON file, prints Stats as JSON).
    parser.add_argument("--loadgen", help="(internal)")


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadgen(args):
    urls = json.loads(Path(args.loadgen).read_text())
    stats = viewers.watch(urls, args.seconds, reload=args.reload, ramp=min(2.0, args.reload))
    print(json.dumps({"requests": stats.requests, "failures": stats.failures, "statuses": stats.statuses,
                      "segment_seconds": stats.segment_seconds, "segments": stats.segments,
                      "bytes": stats.bytes, "elapsed": stats.elapsed}))


def run_viewers(lab, urls, args, name):
    """Spreads `urls` over --procs load generator processes; merged Stats."""
    files, procs = [], []
    for index in range(args.procs):
        share = urls[index::args.procs]
        path = lab.dir / f"{name}-{index}.json"
        path.write_text(json.dumps(share))
        command = [sys.executable, str(Path(__file__).parent), "bench", "--loadgen", str(path),
                   "--seconds", str(args.seconds), "--reload", str(args.reload)]
        if index == 0:
            say(f"load: {args.procs} x {' '.join(command)}   ({len(share)} viewers each)")
        procs.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
        files.append(path)
    merged = viewers.Stats()
    for proc in procs:
        out, _ = proc.communicate(timeout=args.seconds + 120)
        part = json.loads(out)
        merged.requests += part["requests"]
        merged.failures += part["failures"]
        merged.statuses.update({int(k): v for k, v in part["statuses"].items()})
        merged.segment_seconds += part["segment_seconds"]
        merged.segments.update(part["segments"])
        merged.bytes += part["bytes"]
        merged.elapsed = max(merged.elapsed, part["elapsed"])
    return merged


def tree_cpu(pid):
    """CPU seconds of a process and its children that are still running (nginx: master + workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure(lab, origin, mode, count, args, idle_cpu_per_second):
    base = (lambda i: lab.edge_url(lab.edges[i % len(lab.edges)], "")) if mode == "edges" else \
        (lambda i: lab.node_url(origin, ""))
    urls = [base(i) + f"/live/{STREAM}/{RENDITIONS[(i // 2) % len(RENDITIONS)]}/index.m3u8" for i in range(count)]
    offsets = {edge: web.read_access_log(lab.access_log(edge))[1] for edge in lab.edges}
    metrics_before = lab.metrics(origin)
    cpu0, edge0, t0 = lab.procs[origin].cpu_seconds(), sum(tree_cpu(lab.procs[e].pid) for e in lab.edges), time.monotonic()
    stats = run_viewers(lab, urls, args, f"{mode}-{count}")
    cpu1, edge1, t1 = lab.procs[origin].cpu_seconds(), sum(tree_cpu(lab.procs[e].pid) for e in lab.edges), time.monotonic()
    serving_cpu = (cpu1 - cpu0) - idle_cpu_per_second * (t1 - t0)
    per_segment = defaultdict(list)  # rendition -> origin requests per segment
    if mode == "edges":
        counts = defaultdict(int)
        for edge in lab.edges:
            entries, _ = web.read_access_log(lab.access_log(edge), offsets[edge])
            for uri, n in web.origin_requests_by_uri(entries).items():
                if web.kind_of(uri) == "segment":
                    counts[uri] += n
        for uri, n in counts.items():
            per_segment[uri.split("/")[3]].append(n)
    else:  # directly, every viewer's fetch of a segment is an origin request
        for path, n in stats.segments.items():
            per_segment[path.split("/")[3]].append(n)
    metric_delta = None
    after = web.metric(lab.metrics(origin), "gateway_stream_requests_total", stream=STREAM, kind="segment")
    if after is not None:
        metric_delta = after - (web.metric(metrics_before, "gateway_stream_requests_total", stream=STREAM,
                                           kind="segment") or 0)
    return {"mode": mode, "viewers": count, "stats": stats, "origin_cpu": cpu1 - cpu0, "serving_cpu": serving_cpu,
            "edge_cpu": edge1 - edge0, "per_segment": dict(per_segment), "metric_segments": metric_delta,
            "segments": len(stats.segments)}


def report(rows, edges):
    say("results (one live stream; viewers reload their playlist every --reload s and fetch each new segment;\n"
        "  cpu ms/viewer: gw-a's CPU less its CPU with no viewers, per viewer; the idle rate is measured over 5 s,\n"
        "  so values near 0 or below it (about +-0.2 CPU s over the run) mean: no measurable cost)")
    print(f"{'viewers':>7} {'mode':6} {'req/s':>7} {'fail':>5} {'p99 newest seg':>15} {'origin cpu s':>12} "
          f"{'cpu ms/viewer':>13} {'edge cpu s':>10}  origin requests per segment per rendition (max, mean)")
    for row in rows:
        stats = row["stats"]
        p99 = stats.p99()
        rendition_text = ", ".join(f"{r}: {max(v)}, {sum(v) / len(v):.1f}" for r, v in sorted(row["per_segment"].items()) if v)
        if row["metric_segments"] is not None and row["mode"] == "edges":
            rendition_text += f" | metric: {row['metric_segments']:.0f} segment requests / {row['segments']} segments"
        print(f"{row['viewers']:>7} {row['mode']:6} {stats.requests / max(stats.elapsed, 1e-9):>7.0f} {stats.failures:>5} "
              f"{'-' if p99 is None else f'{p99 * 1000:.0f} ms':>15} {row['origin_cpu']:>12.2f} "
              f"{1000 * row['serving_cpu'] / row['viewers']:>13.2f} {row['edge_cpu']:>10.2f}  {rendition_text}")
    by = {(r["viewers"], r["mode"]): r for r in rows}
    for count in sorted({r["viewers"] for r in rows}):
        edge, direct = by.get((count, "edges")), by.get((count, "direct"))
        if edge and direct:
            ratio = lambda f: f(edge) / f(direct) if f(direct) else float("nan")  # noqa: E731
            print(f"{count:>7} edges/direct: req/s {ratio(lambda r: r['stats'].requests / r['stats'].elapsed):.2f}, "
                  f"p99 {ratio(lambda r: r['stats'].p99() or 0):.2f}, origin cpu {ratio(lambda r: r['origin_cpu']):.2f}")
    worst = max((max(v) for r in rows if r["mode"] == "edges" for v in r["per_segment"].values() if v), default=0)
    print(f"target: origin requests per segment per rendition <= edges + 1 = {edges + 1}: worst {worst} "
          f"({'met' if worst <= edges + 1 else 'NOT met'})")


def time_failovers(lab, clip, args):
    results, owner = [], "gw-a"
    media = lab.edge_url("edge-1", f"/live/{STREAM}/360p/index.m3u8")
    for index in range(args.failovers):
        target = lab.nodes[(lab.nodes.index(owner) + 1) % len(lab.nodes)]
        old = set(web.fetch_media(media).segments)
        killed = time.monotonic()
        lab.kill_node(owner)
        lab.procs["publisher"].stop(5)
        time.sleep(args.reconnect_delay)  # the publisher's own reconnect delay, not a wait for an event
        lab.publish(target, STREAM, clip, key=KEY, label="publisher")
        wait_for(lambda: (p := web.fetch_media(media, timeout=2)) and set(p.segments) - old, 30,
                 "a new segment through edge-1", interval=0.05)
        elapsed = time.monotonic() - killed
        results.append(elapsed)
        say(f"failover {index + 1}: kill -9 {owner}, publisher to {target} after {args.reconnect_delay}s: first new "
            f"segment through edge-1 {elapsed:.2f}s after the kill = {elapsed - args.reconnect_delay:.2f}s + the delay")
        lab.start_node(owner)
        owner = target
    if results:
        extra = [r - args.reconnect_delay for r in results]
        print(f"failover time minus reconnect delay: min {min(extra):.2f}s, max {max(extra):.2f}s "
              f"(target <= 5 s): {'met' if max(extra) <= 5 else 'NOT met'}")


def run(gateway_bin, args):
    if args.loadgen:
        return loadgen(args)
    counts = [int(n) for n in args.viewers.split(",")]
    supported, why = cluster_support(gateway_bin)
    say(f"gateway {gateway_bin}; cluster support: {supported or why}")
    with Lab(gateway_bin, cluster=supported, profile=args.profile, streams={STREAM: {"key": KEY}}, say=say) as lab:
        for name, proc in lab.procs.items():
            say(f"{name}: {' '.join(proc.argv)}")
        clip = make_clip(lab.dir / "clip.flv")
        publisher = lab.publish("gw-a", STREAM, clip, key=KEY, label="publisher")
        say(f"publisher: {' '.join(publisher.argv)}")
        wait_for(lambda: (p := web.fetch_media(lab.node_url("gw-a", f"/live/{STREAM}/360p/index.m3u8")))
                 and len(p.segments) >= 3, 60, "3 segments on gw-a", interval=0.25)
        cpu0, t0 = lab.procs["gw-a"].cpu_seconds(), time.monotonic()
        time.sleep(5)  # a measurement window: the owner's CPU with no viewers (transcoding)
        idle = (lab.procs["gw-a"].cpu_seconds() - cpu0) / (time.monotonic() - t0)
        say(f"gw-a with no viewers: {idle:.3f} CPU s/s (subtracted as transcoding)")
        rows = []
        for count in counts:
            for mode in ("edges", "direct"):
                rows.append(measure(lab, "gw-a", mode, count, args, idle))
                say(f"{count} viewers {mode}: {rows[-1]['stats'].summary()}")
        report(rows, len(lab.edges))
        if supported:
            time_failovers(lab, clip, args)
        else:
            say("failover not measured: the binary has no cluster support")
