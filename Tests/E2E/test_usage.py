"""Usage reports end to end: two real ffmpeg viewers watch different rungs for measured wall-clock
times; /api/usage (admin) reports their viewer-minutes per rendition within 10 %, as JSON and as
CSV that Python's csv module parses; the figures are still there after the gateway restarts
(SQLite in the data dir); the publish is listed with its duration."""

import csv
import io
import json
import subprocess
import time
import urllib.request

from conftest import FFMPEG, Gateway, http_fetch, publish_ffmpeg, stop_process, wait_for

ADMIN = "usage-admin-token-0123456789"


def usage(gw, query, token=ADMIN):
    request = urllib.request.Request(gw.http_url(f"/api/usage?{query}"))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def viewer(gw, rendition, agent):
    """A real ffmpeg client reading one rung's media playlist, decoding nothing."""
    url = gw.http_url(f"/live/usage/{rendition}/index.m3u8")
    return subprocess.Popen([*FFMPEG, "-user_agent", agent, "-i", url, "-c", "copy", "-f", "null", "-"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start(tmp_path, data):
    config = tmp_path / "gateway.yaml"
    config.write_text(f"admin: {{ token: {ADMIN} }}\ndata_dir: {data}\n")
    return Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])


def test_usage_report_counts_two_viewers_and_survives_a_restart(tmp_path, clip10):
    data = tmp_path / "data"
    gw = start(tmp_path, data)
    publisher = publish_ffmpeg(gw.rtmp_url("usage"), clip10, loop=True)
    try:
        wait_for(lambda: b"seg-" in http_fetch(gw.http_url("/live/usage/240p/index.m3u8"))[1], 20,
                 "the stream's first segments")
        watched = {}
        a = viewer(gw, "360p", "Lavf/59.27.100 viewer-a")
        b = viewer(gw, "240p", "Lavf/59.27.100 viewer-b")
        started = time.monotonic()
        # The durations are measured, not assumed: each viewer is stopped by its own deadline.
        for proc, rendition, seconds in sorted([(b, "240p", 20), (a, "360p", 30)], key=lambda v: v[2]):
            wait_for(lambda: time.monotonic() - started >= seconds or proc.poll() is not None, seconds + 5,
                     f"{rendition} viewer's time")
            assert proc.poll() is None, f"the {rendition} viewer ended early ({proc.returncode})"
            stop_process(proc)
            watched[rendition] = time.monotonic() - started
        stop_process(publisher)

        seen = []

        def reported():
            status, body = usage(gw, "stream=usage&group=hour")
            report = json.loads(body) if status == 200 else {}
            minutes = {}
            for bucket in report.get("buckets", []):
                for rendition, value in bucket["minutes_by_rendition"].items():
                    minutes[rendition] = minutes.get(rendition, 0) + value
            # Sessions are written every 5 s: the figures are final once two reads more than
            # one write interval apart agree.
            seen.append((time.monotonic(), minutes))
            stable = any(t <= seen[-1][0] - 5.5 and m == minutes for t, m in seen[:-1])
            return report if stable and minutes else None

        report = poll_report = None
        try:
            report = wait_for(reported, 30, "the usage figures written", interval=0.5)
        finally:
            if report is None:
                poll_report = usage(gw, "stream=usage&group=hour")
                print(f"watched {watched}; last report {poll_report}")
        # The run may cross an hour (or day) boundary: sessions are split between buckets.
        buckets = report["buckets"]
        for rendition, seconds in watched.items():
            measured = sum(b["minutes_by_rendition"].get(rendition, 0) for b in buckets) * 60
            assert abs(measured - seconds) <= 0.1 * seconds, (rendition, measured, seconds)
        assert max(b["unique_viewers"] for b in buckets) == 2, buckets
        assert max(b["peak_concurrency"] for b in buckets) == 2, buckets
        assert set().union(*(b["players"] for b in buckets)) == {"ffmpeg"}, buckets
        assert max(b["sessions"] for b in buckets) == 3, "the test's own playlist polling is a session, not a viewer"
        rendition_bytes = {r: sum(b["bytes_by_rendition"].get(r, 0) for b in buckets) for r in watched}
        assert rendition_bytes["360p"] > rendition_bytes["240p"] > 0, buckets

        status, text = usage(gw, "stream=usage&group=day&format=csv")
        assert status == 200
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and all(row["stream"] == "usage" for row in rows), rows
        measured = sum(float(row["minutes_360p"]) for row in rows) * 60
        assert abs(measured - watched["360p"]) <= 0.1 * watched["360p"], rows

        assert usage(gw, "stream=usage", token=None)[0] == 403, "usage reports are admin only"
        assert usage(gw, "stream=usage", token="wrong-token-0123456789")[0] == 403
        assert usage(gw, "from=yesterday")[0] == 400

        # After a restart the same figures come from the database.
        wait_for(lambda: json.loads(usage(gw, "stream=usage")[1])["publishes"], 20, "the publish written")
        before = json.loads(usage(gw, "stream=usage&group=day")[1])
        assert gw.stop() == 0
        gw = start(tmp_path, data)
        after = json.loads(usage(gw, "stream=usage&group=day")[1])
        assert after["buckets"] == before["buckets"], (before, after)
        publish = after["publishes"][0]
        assert publish["stream"] == "usage" and publish["duration_seconds"] >= 30, publish
    finally:
        stop_process(publisher)
        gw.stop()
