"""Gateway lifecycle end to end: graceful shutdown finishes the open segments (and the open LL
part) and ends the playlists; the data-dir mirror holds the final state; ended streams stay
playable for `ended_stream_seconds` and are then freed."""

import json
import signal
import time
import urllib.request

from conftest import Gateway, fetch_text, http_fetch, make_clip, publish_ffmpeg, stop_process, ticks, wait_for


def test_sigterm_ends_playlists_and_exits_within_10s(tmp_path, clip10):
    data = tmp_path / "data"
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml", "--data-dir", str(data)])
    publisher = publish_ffmpeg(gw.rtmp_url("shutdown"), clip10, loop=True)
    try:
        gw.wait_log(r"stream=shutdown .*publish start", 20)
        playlist_url = gw.http_url("/live/shutdown/360p/index.m3u8")

        def segments_listed():
            try:
                return fetch_text(playlist_url).count("#EXTINF") >= 3
            except OSError:
                return False

        wait_for(segments_listed, 30, "three live segments")
        live = fetch_text(playlist_url)
        assert "#EXT-X-ENDLIST" not in live
        assert 'type="dynamic"' in fetch_text(gw.http_url("/live/shutdown/manifest.mpd"))

        started = time.monotonic()
        code = gw.stop(signal.SIGTERM, timeout=15)
        elapsed = time.monotonic() - started
        assert code == 0, gw.log()[-2000:]
        assert elapsed < 10, f"shutdown took {elapsed:.1f}s"
    finally:
        stop_process(publisher)
    log = gw.log()
    assert "shutting down" in log and "gateway stopped" in log
    final = (data / "shutdown/360p/index.m3u8").read_text()
    assert final.rstrip().endswith("#EXT-X-ENDLIST"), final
    assert final.count("#EXTINF") >= live.count("#EXTINF")
    # Every segment the final playlist lists was written completely to the mirror.
    for line in final.splitlines():
        if line.endswith(".m4s"):
            assert (data / "shutdown/360p" / line).stat().st_size > 0
    assert 'type="static"' in (data / "shutdown/manifest.mpd").read_text()


def test_sigterm_with_ll_parts_finishes_the_open_part_and_segment(tmp_path, clip10):
    """With LL-HLS parts (test-small-ll.yaml): the segment in progress at SIGTERM is finished, its
    parts already served are its first bytes, and the final playlists are plain (no parts, no
    hints, no server control: EXT-X-PART needs EXT-X-PART-INF, which an ended playlist drops).
    Parts stay in memory; the data-dir mirror holds whole segments only."""
    data = tmp_path / "data"
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small-ll.yaml", "--data-dir", str(data)])
    publisher = publish_ffmpeg(gw.rtmp_url("llstop"), clip10, loop=True)
    try:
        gw.wait_log(r"stream=llstop .*publish start", 20)
        playlist_url = gw.http_url("/live/llstop/360p/index.m3u8")

        def in_progress():
            try:
                text = fetch_text(playlist_url)
            except OSError:
                return None
            tail = text.split("#EXTINF")[-1]
            parts = [line.split('URI="')[1].split('"')[0] for line in tail.splitlines()
                     if line.startswith("#EXT-X-PART:")]
            return (text, parts) if text.count("#EXTINF") >= 2 and len(parts) >= 2 else None

        live, pending = wait_for(in_progress, 30, "two live segments and two parts of the next")
        served = b"".join(urllib.request.urlopen(gw.http_url(f"/live/llstop/360p/{uri}"), timeout=5).read()
                          for uri in pending)
        code = gw.stop(signal.SIGTERM, timeout=15)
        assert code == 0, gw.log()[-2000:]
    finally:
        stop_process(publisher)
    final = (data / "llstop/360p/index.m3u8").read_text()
    assert final.rstrip().endswith("#EXT-X-ENDLIST"), final
    for tag in ("#EXT-X-PART", "#EXT-X-PRELOAD-HINT", "#EXT-X-SERVER-CONTROL", "#EXT-X-RENDITION-REPORT"):
        assert tag not in final, f"{tag} in the ended playlist:\n{final}"
    sequence = int(live.split("#EXT-X-MEDIA-SEQUENCE:")[1].split()[0])
    in_progress_uri = f"seg-{sequence + live.count('#EXTINF')}.m4s"
    assert in_progress_uri in final, f"{in_progress_uri} (in progress at SIGTERM) not finished:\n{final}"
    finished = (data / "llstop/360p" / in_progress_uri).read_bytes()
    assert finished.startswith(served) and len(finished) > len(served), "its served parts are its first bytes"
    assert not [p.name for p in (data / "llstop/360p").iterdir() if p.name.startswith("part-")]


def test_ll_publisher_reconnect_continues_with_a_discontinuity_and_the_same_part_target(tmp_path, clip10):
    """A publisher that drops and comes back within the grace period: the LL playlist keeps its
    media sequence going up, marks EXT-X-DISCONTINUITY, keeps PART-TARGET and PART-HOLD-BACK,
    and the first part after the gap is independent (it starts with the new publish's IDR)."""
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small-ll.yaml"])
    url = gw.http_url("/live/llback/360p/index.m3u8")

    def listed(count):
        def check():
            try:
                text = fetch_text(url)
            except OSError:
                return None
            return text if text.count("#EXTINF") >= count else None
        return check

    first = publish_ffmpeg(gw.rtmp_url("llback"), clip10)
    try:
        before = wait_for(listed(3), 30, "three LL segments")
        stop_process(first)
        second = publish_ffmpeg(gw.rtmp_url("llback"), clip10)
        try:

            def resumed():
                text = listed(1)()
                if text and "#EXT-X-DISCONTINUITY\n" in text:
                    return text if text.split("#EXT-X-DISCONTINUITY\n")[-1].count("#EXTINF") >= 2 else None
                return None

            after = wait_for(resumed, 40, "two segments after the discontinuity")
        finally:
            stop_process(second)
    finally:
        stop_process(first)
        gw.stop(signal.SIGTERM, timeout=15)

    def header(text, tag):
        return next(line for line in text.splitlines() if line.startswith(tag))

    for tag in ("#EXT-X-PART-INF:", "#EXT-X-SERVER-CONTROL:"):
        assert header(before, tag) == header(after, tag), (tag, before, after)
    assert int(header(after, "#EXT-X-MEDIA-SEQUENCE:").split(":")[1]) >= int(
        header(before, "#EXT-X-MEDIA-SEQUENCE:").split(":")[1])
    resumed = after.split("#EXT-X-DISCONTINUITY\n")[-1]
    first_part = next((line for line in resumed.splitlines() if line.startswith("#EXT-X-PART:")), None)
    if first_part:  # parts are listed for the newest segments only
        assert first_part.endswith("INDEPENDENT=YES"), resumed


# --- ended streams are freed after ended_stream_seconds ---------------------------------------------

RETENTION = 3  # ended_stream_seconds in these tests
# How early a removal may be observed: the publish ends a little before the gateway reports it.
EARLY = 1.0


def stream_state(gw, name):
    """The stream's state in /api/streams/NAME, or None when that answers 404."""
    status, body = http_fetch(gw.http_url(f"/api/streams/{name}"), timeout=5)
    if status == 404:
        return None
    assert status == 200, f"/api/streams/{name} answered {status}"
    return json.loads(body)["state"]


def listed_states(gw, name):
    """The states /api/streams lists for `name` (one entry while it exists)."""
    status, body = http_fetch(gw.http_url("/api/streams"), timeout=5)
    assert status == 200, f"/api/streams answered {status}"
    return [s["state"] for s in json.loads(body)["streams"] if s["name"] == name]


def assert_playable_ended(gw, name):
    assert listed_states(gw, name) == ["ended"], f"/api/streams lists {name} as {listed_states(gw, name)}"
    status, body = http_fetch(gw.http_url(f"/live/{name}/master.m3u8"))
    assert status == 200, f"{name}/master.m3u8 answered {status} while ended"
    text = http_fetch(gw.http_url(f"/live/{name}/360p/index.m3u8"))[1].decode()
    assert text.rstrip().endswith("#EXT-X-ENDLIST"), text
    segment = [line for line in text.splitlines() if line.endswith(".m4s")][-1]
    status, data = http_fetch(gw.http_url(f"/live/{name}/360p/{segment}"))
    assert status == 200 and data, f"{segment} answered {status}"


def assert_removed(gw, name):
    assert stream_state(gw, name) is None
    assert listed_states(gw, name) == [], f"/api/streams still lists {name}: {listed_states(gw, name)}"
    for path in ("master.m3u8", "360p/index.m3u8", "manifest.mpd"):
        status, _ = http_fetch(gw.http_url(f"/live/{name}/{path}"))
        assert status == 404, f"{name}/{path} answered {status} after the stream was removed"


def publish_until_ended(gw, name, clip):
    """Publishes `clip` once to its end; returns when /api/streams first reported it ended."""
    publisher = publish_ffmpeg(gw.rtmp_url(name), clip)
    try:
        assert publisher.wait(30) == 0, publisher.stderr.read()
    finally:
        stop_process(publisher)
    wait_for(lambda: stream_state(gw, name) == "ended", 15, f"{name} to be reported ended")
    return time.monotonic()


def retention_gateway(tmp_path):
    config = tmp_path / "retention.yaml"
    config.write_text(f"ended_stream_seconds: {RETENTION}\n")
    return Gateway(tmp_path, ["--profile", "profiles/test-small.yaml", "--config", str(config)])


def test_ended_stream_is_removed_after_ended_stream_seconds(tmp_path):
    clip = make_clip(tmp_path / "clip4.flv", seconds=4, gop=30)
    gw = retention_gateway(tmp_path)
    try:
        ended_at = publish_until_ended(gw, "brief", clip)
        assert_playable_ended(gw, "brief")

        wait_for(lambda: stream_state(gw, "brief") is None, RETENTION + 12, "brief to be removed")
        kept = time.monotonic() - ended_at
        assert kept >= RETENTION - EARLY, f"removed {kept:.1f} s after it ended, before ended_stream_seconds"
        assert_removed(gw, "brief")
        assert gw.proc.poll() is None
    finally:
        gw.stop()


def test_republish_within_retention_cancels_the_removal(tmp_path, clip10):
    clip = make_clip(tmp_path / "clip4.flv", seconds=4, gop=30)
    gw = retention_gateway(tmp_path)
    second = None
    try:
        ended_at = publish_until_ended(gw, "again", clip)

        second = publish_ffmpeg(gw.rtmp_url("again"), clip10, loop=True)
        wait_for(lambda: stream_state(gw, "again") == "live", 15, "the second publish to be live")
        assert time.monotonic() - ended_at < RETENTION, "republished too late to test the old timer"
        # After ENDLIST a publish gets new playlists (RFC 8216 6.2.1): served from its first segment.
        wait_for(lambda: http_fetch(gw.http_url("/live/again/master.m3u8"))[0] == 200, 15,
                 "the second publish's playlists")
        # Past the first publish's removal time (plus slack) the stream stays live and playable.
        for elapsed in ticks(0.25, RETENTION + 3):
            state = stream_state(gw, "again")
            assert state == "live", f"{elapsed:.1f} s into the second publish the stream is {state}"
            status, _ = http_fetch(gw.http_url("/live/again/master.m3u8"))
            assert status == 200, f"{elapsed:.1f} s into the second publish master.m3u8 answered {status}"
        text = http_fetch(gw.http_url("/live/again/360p/index.m3u8"))[1].decode()
        assert "#EXT-X-ENDLIST" not in text and "#EXTINF" in text, text

        # The second publish's end starts a fresh retention, which then removes it.
        stop_process(second)
        wait_for(lambda: stream_state(gw, "again") == "ended", 15, "the second publish to be reported ended")
        assert_playable_ended(gw, "again")
        wait_for(lambda: stream_state(gw, "again") is None, RETENTION + 12, "the second publish to be removed")
        assert_removed(gw, "again")
    finally:
        if second is not None:
            stop_process(second)
        gw.stop()
