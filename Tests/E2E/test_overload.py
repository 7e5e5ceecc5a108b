"""Overload end to end (issue "Overload"): more 720p30 publishers than two cores can transcode in
real time through profiles/default.yaml (720p/480p/360p, x264 veryfast).

The gateway must shed load at its one defined drop point (the ingest queue in front of the
decoder: `ingest_drops` in /api/streams, `gateway_dropped_frames_total` in /metrics), keep
publishing segments with a bounded delay, and keep its memory flat instead of queueing without
end. The raw samples are printed (run with -s to see them).
"""

import json
import os
import re
import subprocess
import time
from datetime import datetime

from conftest import FFMPEG, http_fetch, publish_ffmpeg, stop_process, ticks, wait_for

STREAMS = 4
RUN_SECONDS = 40
SAMPLE_SECONDS = 2
# Longest time a stream's playlist may go without a new segment (2 s segments: five missed).
MAX_STALL_SECONDS = 10
# Newest segment's end by EXT-X-PROGRAM-DATE-TIME against the wall clock, in the last two thirds:
# the ingest queue drops video older than 3 s, so the lag cannot grow with the run's length.
# Budget: 3 s of ingest age, the bounded stage queues and x264's lookahead at overloaded speed,
# and scheduler spikes on a loaded 2-core CI (one CI run peaked at 8.8 s and fell back to 2.9 s).
# An unbounded backlog reached 25 s in a 40 s run (CI run 8), so this still fails on growth.
MAX_LAG_SECONDS = 12
# The final third's mean lag against the middle third's: a backlog that grows shows here first.
MAX_LAG_TREND_SECONDS = 2.5
# RSS of the last third of the run against the middle third.
MAX_RSS_GROWTH = 1.3


def busy_clip(path, seconds=6):
    """A 1280x720 30 fps clip with fine detail and temporal noise: expensive for every decoder
    and x264 rung (ultrafast here only to keep the generation itself quick)."""
    if not path.exists():
        subprocess.run(
            [*FFMPEG, "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t+u",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
             "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
             "-pix_fmt", "yuv420p", "-b:v", "6M", "-maxrate", "6M", "-bufsize", "6M",
             "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-y", str(path)],
            check=True, timeout=120)
    return path


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def streams_status(gateway):
    status, body = http_fetch(gateway.http_url("/api/streams"))
    assert status == 200, f"/api/streams answered {status}"
    return {stream["name"]: stream for stream in json.loads(body)["streams"]}


def newest_segment(gateway, name, rendition="360p"):
    """(media sequence number of the newest listed segment, wall clock minus its end by
    EXT-X-PROGRAM-DATE-TIME + EXTINF, RFC 8216 4.3.2.6), or (None, None) while nothing is listed."""
    status, body = http_fetch(gateway.http_url(f"/live/{name}/{rendition}/index.m3u8"))
    if status != 200:
        return None, None
    text = body.decode()
    # LL playlists list a recent segment's parts between its date and its EXTINF.
    stamps = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)\s+(?:#EXT-X-PART:[^\n]*\s+)*#EXTINF:([\d.]+)", text)
    sequence = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
    if not stamps or not sequence:
        return None, None
    when, duration = stamps[-1]
    end = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() + float(duration)
    return int(sequence.group(1)) + text.count("#EXTINF") - 1, time.time() - end


def dropped_frames_total(gateway):
    status, body = http_fetch(gateway.http_url("/metrics"))
    assert status == 200
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith("gateway_dropped_frames_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_overload_drops_at_ingest_with_bounded_lag_and_flat_memory(gateway_factory, tmp_path):
    clip = busy_clip(tmp_path / "busy720.flv")
    gateway = gateway_factory(profile="profiles/default.yaml")
    pid = gateway.proc.pid
    names = [f"load{i}" for i in range(STREAMS)]
    offset = gateway.log_offset()
    publishers = [publish_ffmpeg(gateway.rtmp_url(name), clip, loop=True) for name in names]
    samples = []
    newest = {name: (None, None) for name in names}  # (sequence number, monotonic time first seen)
    try:
        for name in names:
            gateway.wait_log(rf"stream={name} .*publish start", 30, after=offset)
        for elapsed in ticks(SAMPLE_SECONDS, RUN_SECONDS - SAMPLE_SECONDS):
            status = streams_status(gateway)
            samples.append({
                "t": round(elapsed, 1),
                "rss_mib": round(rss_mib(pid), 1),
                "threads": len(os.listdir(f"/proc/{pid}/task")),
                "ingest_drops": {n: status.get(n, {}).get("ingest_drops", 0) for n in names},
                "ingest_drops_late": {n: status.get(n, {}).get("ingest_drops_late", 0) for n in names},
                "rung_drops": {n: sum(r["dropped_frames"] for r in status.get(n, {}).get("renditions", []))
                               for n in names},
                "segments": {n: status.get(n, {}).get("segments_produced", 0) for n in names},
                "pdt_lag_s": {},
                "stall_s": {},
            })
            for name in names:
                number, lag = newest_segment(gateway, name)
                if number is not None and number != newest[name][0]:
                    newest[name] = (number, time.monotonic())
                seen = newest[name][1]
                samples[-1]["pdt_lag_s"][name] = None if lag is None else round(lag, 1)
                samples[-1]["stall_s"][name] = None if seen is None else round(time.monotonic() - seen, 1)
            for publisher in publishers:
                assert publisher.poll() is None, f"a publisher exited: {publisher.stderr.read().decode()[-800:]}"
        metric_drops = wait_for(lambda: dropped_frames_total(gateway), 15,
                                "gateway_dropped_frames_total > 0 after the reporter's tick")
    finally:
        for publisher in publishers:
            stop_process(publisher, timeout=5)

    for sample in samples:
        print(json.dumps(sample))
    last = samples[-1]
    print(f"ingest drops {last['ingest_drops']} rung drops {last['rung_drops']} "
          f"gateway_dropped_frames_total {metric_drops} segments {last['segments']}")

    # Load is shed at the defined point: the ingest queue.
    assert any(count > 0 for count in last["ingest_drops"].values()), last
    assert metric_drops > 0

    third = len(samples) // 3
    middle, final = samples[third:2 * third], samples[2 * third:]
    log = gateway.log()
    # Memory stays flat once the queues are full.
    middle_max = max(s["rss_mib"] for s in middle)
    final_max = max(s["rss_mib"] for s in final)
    assert final_max <= MAX_RSS_GROWTH * middle_max, (
        f"RSS grew from {middle_max} MiB to {final_max} MiB: {[s['rss_mib'] for s in samples]}")

    # Every stream keeps producing segments after the start-up third, never stalling for long.
    for name in names:
        assert final[-1]["segments"][name] > final[0]["segments"][name] >= 1, (
            f"{name} stopped producing segments: {[s['segments'][name] for s in samples]}")
        assert all(s["stall_s"][name] is not None for s in final), f"{name}: no segment before the last third"
        stalls = [s["stall_s"][name] for s in middle + final if s["stall_s"][name] is not None]
        left = [line for line in log.splitlines() if "left this publish" in line]
        assert max(stalls) <= MAX_STALL_SECONDS, (
            f"{name}: seconds since the newest 360p segment appeared: {stalls}; gateway: {left}")
        lags = [s["pdt_lag_s"][name] for s in middle + final if s["pdt_lag_s"][name] is not None]
        assert lags and max(lags) <= MAX_LAG_SECONDS, f"{name}: latency grew: {lags}"
        middle_lags = [s["pdt_lag_s"][name] for s in middle if s["pdt_lag_s"][name] is not None]
        final_lags = [s["pdt_lag_s"][name] for s in final if s["pdt_lag_s"][name] is not None]
        trend = sum(final_lags) / len(final_lags) - sum(middle_lags) / max(1, len(middle_lags))
        assert trend <= MAX_LAG_TREND_SECONDS, f"{name}: latency grows over the run: {lags}"

    # Every drop is explained in the log, with the late part counted separately.
    assert re.search(r"dropped \d+ frames at ingest to the next keyframe \(\d+ video waited longer", log), log[-2000:]
    assert any(count > 0 for count in last["ingest_drops_late"].values()), last
