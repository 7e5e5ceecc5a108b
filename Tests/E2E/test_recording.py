"""Recording and VOD (issue "Recording, DVR and VOD"): every segment of a publish is kept on disk
as produced; a publisher that vanishes may reconnect within `reconnect_grace_seconds` and its
recording goes on after a discontinuity; the finished recording is a VOD (HLS with ENDLIST, a
static MPD with a Period per epoch, one progressive MP4) that real players play; a gateway killed
mid-recording closes it as `interrupted` at restart; retention deletes by age and size; a full
disk loses the recording's segments, never the live stream.

The scripted publisher (scripts/lib/rtmp_flv_publisher.py) vanishes on `stop()` (its TCP
connection is cut with no deleteStream); ffmpeg ends with FCUnpublish/deleteStream (a clean end).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from clients import browser, gst, probe
from clients.static_server import StaticServer
from conftest import (JS_PLAYERS_DIR, REPO, Gateway, fetch_text, http_fetch, make_clip, publish_ffmpeg,
                      stop_process, wait_for)

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher  # noqa: E402

PROFILE = "profiles/test-small.yaml"
FRAME = 1 / 30

# hls.js on a page of another origin, playing ?src= (a VOD needs no gateway player page).
HLSJS_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video>
<script type="module">
import Hls from './hlsjs/hls-class.mjs';
const v = document.getElementById('v');
window.playerState = {engine: 'hls.js', currentTime: 0, paused: true, width: 0, height: 0, error: null};
setInterval(() => Object.assign(window.playerState, {currentTime: v.currentTime, paused: v.paused,
  width: v.videoWidth, height: v.videoHeight, duration: v.duration}), 250);
const hls = new Hls();
hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) window.playerState.error = 'hls.js ' + d.details; });
hls.loadSource(new URLSearchParams(location.search).get('src'));
hls.attachMedia(v);
v.play().catch((e) => console.log('play() rejected: ' + e));
</script></body></html>"""
# Chromium's own <video src=...> (the progressive MP4 download).
VIDEO_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>
const v = document.getElementById('v');
window.playerState = {engine: 'native', currentTime: 0, paused: true, width: 0, height: 0, error: null};
setInterval(() => Object.assign(window.playerState, {currentTime: v.currentTime, paused: v.paused,
  width: v.videoWidth, height: v.videoHeight, duration: v.duration,
  error: v.error && ('MediaError ' + v.error.code)}), 250);
v.src = new URLSearchParams(location.search).get('src');
v.play().catch((e) => console.log('play() rejected: ' + e));
</script></body></html>"""


def start_gateway(workdir, recording, extra="", data_dir=None):
    """A gateway whose config records into `recording` (plus `extra` YAML lines)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "gateway.yaml"
    lines = [f"recording: {{ dir: {recording} }}"] if "recording:" not in extra else []
    config.write_text("\n".join(lines + [extra]) + "\n")
    args = ["--profile", PROFILE, "--config", str(config)]
    if data_dir:
        args += ["--data-dir", str(data_dir)]
    return Gateway(workdir, args)


def recordings(gw, stream=None):
    query = f"?stream={stream}" if stream else ""
    return json.loads(fetch_text(gw.http_url(f"/api/recordings{query}")))["recordings"]


def one_recording(gw, state):
    def probe_state():
        found = recordings(gw)
        return found[0] if len(found) == 1 and found[0]["state"] == state else None
    return probe_state


def text_or_empty(url):
    """The body at `url`, or "" while it does not exist yet."""
    try:
        return fetch_text(url)
    except OSError:
        return ""


def extinf_total(text):
    return sum(float(value) for value in re.findall(r"#EXTINF:([\d.]+),", text))


def sent_seconds(publisher):
    """Media the scripted publisher sent: its last video timestamp plus one frame."""
    video = [ts for kind, ts in publisher.sent_timestamps if kind == 9]
    return (max(video) - min(video)) / 1000 + FRAME if video else 0.0


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"hlsjs-vod.html": HLSJS_PAGE, "video.html": VIDEO_PAGE}) as server:
        yield server


SECOND_PUBLISH_SECONDS = 33


@pytest.fixture(scope="module")
def reconnected(tmp_path_factory, clip10):
    """One 40 s recording of two publishes: the scripted publisher vanishes after ~7 s, ffmpeg
    reconnects within the grace and sends a 33 s clip, ending cleanly."""
    clip33 = make_clip(tmp_path_factory.mktemp("clip33") / "clip33.flv", seconds=SECOND_PUBLISH_SECONDS)
    workdir = tmp_path_factory.mktemp("recording")
    gw = start_gateway(workdir, workdir / "recordings", "reconnect_grace_seconds: 20")
    first = Publisher(gw.rtmp_url("show"), clip10).start()
    result = {"gw": gw, "dir": workdir / "recordings"}
    try:
        live = gw.http_url("/live/show/360p/index.m3u8")
        wait_for(lambda: first.error or sent_seconds(first) >= 7, 40, "7 s sent by the first publisher")
        assert first.error is None, first.error
        event = wait_for(lambda: (recordings(gw) or [None])[0], 20, "a recording in progress")
        assert event["state"] == "recording"
        result["event"] = fetch_text(gw.http_url(event["hls"].replace("master.m3u8", "360p/index.m3u8")))
        first.stop()  # vanishes: no deleteStream
        result["first_seconds"] = sent_seconds(first)
        # Playable while it is being written (the recording waits for the reconnect meanwhile).
        result["event_probe"] = probe.probe(gw.http_url(event["hls"]), timeout=15)
        gw.wait_log(r"publisher vanished; stream stays live", 15)
        wait_for(lambda: json.loads(fetch_text(gw.http_url("/api/streams/show")))["state"] == "reconnecting", 10,
                 "the stream's state: reconnecting")
        result["live_during_gap"] = fetch_text(live)
        second = publish_ffmpeg(gw.rtmp_url("show"), clip33)
        assert second.wait(90) == 0, second.stderr.read()
        result["recording"] = wait_for(one_recording(gw, "complete"), 30, "the recording complete")
        yield result
    finally:
        first.stop()
        gw.stop()


def test_a_recording_in_progress_is_an_event_playlist(reconnected):
    event = reconnected["event"]
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in event and "#EXT-X-ENDLIST" not in event, event
    assert "seg-1.m4s" in event, "an EVENT playlist starts at the recording's start"
    result = reconnected["event_probe"]
    assert result.returncode == 0 and result.video_sizes() == [(640, 360), (426, 240)], result.stderr


def test_the_stream_stays_live_while_the_publisher_may_reconnect(reconnected):
    assert "#EXT-X-ENDLIST" not in reconnected["live_during_gap"]


def test_the_vod_has_every_second_sent_and_one_discontinuity(reconnected):
    gw, recording = reconnected["gw"], reconnected["recording"]
    sent = reconnected["first_seconds"] + SECOND_PUBLISH_SECONDS
    print(f"sent {sent:.3f}s, recorded {recording['duration_seconds']}s: {recording}")
    assert abs(recording["duration_seconds"] - sent) <= 0.5, (sent, recording)
    master = fetch_text(gw.http_url(recording["hls"]))
    assert "360p/index.m3u8" in master and "240p/index.m3u8" in master and "TYPE=AUDIO" in master
    for rendition in ("360p", "240p", "audio"):
        text = fetch_text(gw.http_url(recording["hls"].replace("master.m3u8", f"{rendition}/index.m3u8")))
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST"), text
        assert text.count("#EXT-X-DISCONTINUITY\n") == 1, text
        assert abs(extinf_total(text) - sent) <= 0.5, (rendition, extinf_total(text), sent)
    mpd = fetch_text(gw.http_url(recording["dash"]))
    assert 'type="static"' in mpd and len(re.findall(r"<Period ", mpd)) == 2, mpd
    # The layout a plain web server can serve: the same files on disk.
    folder = reconnected["dir"] / "show" / recording["id"]
    assert (folder / "master.m3u8").is_file() and (folder / "360p" / "init-1.mp4").is_file()


def test_ffprobe_reads_the_vod_over_http(reconnected):
    gw, recording = reconnected["gw"], reconnected["recording"]
    result = probe.probe(gw.http_url(recording["hls"]), count_packets=True)
    assert result.returncode == 0, result.stderr
    assert result.video_sizes() == [(640, 360), (426, 240)], result.streams
    assert result.codecs("audio") == ["aac"]
    frames = int(result.first("video")["nb_read_packets"])
    sent = reconnected["first_seconds"] + SECOND_PUBLISH_SECONDS
    assert abs(frames / 30 - sent) <= 0.5, (frames, sent)


def test_hlsjs_plays_the_vod(reconnected, js_server):
    gw, recording = reconnected["gw"], reconnected["recording"]
    driver = browser.make_driver()
    try:
        page = js_server.url("hlsjs-vod.html?" + urllib.parse.urlencode({"src": gw.http_url(recording["hls"])}))
        report = browser.watch(driver, page, seconds=6)
    finally:
        driver.quit()
    assert report.started and report.error is None, report.summary()
    assert report.advance >= 4.5, report.summary()
    assert abs(report.last["duration"] - recording["duration_seconds"]) <= 0.5, report.summary()


def test_the_mp4_download_plays_in_ffprobe_and_chromium(reconnected, js_server, tmp_path):
    gw, recording = reconnected["gw"], reconnected["recording"]
    url = gw.http_url(recording["download"])
    mp4 = tmp_path / "download.mp4"
    status, body = wait_for(lambda: (lambda got: got if got[0] == 200 else None)(http_fetch(url, timeout=30)), 30,
                            "the MP4 download")
    mp4.write_bytes(body)
    assert body[4:8] == b"ftyp" and b"moov" in body[:200000], "a progressive MP4 starts with ftyp and moov"
    streams = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height,duration,nb_frames",
         "-of", "json", str(mp4)], capture_output=True, text=True, timeout=30, check=True).stdout)["streams"]
    kinds = sorted(s["codec_type"] for s in streams)
    assert kinds == ["audio", "video"], streams
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (640, 360), "the top rung"
    assert abs(float(video["duration"]) - recording["duration_seconds"]) <= 0.5, (video, recording)
    decode = subprocess.run(["ffmpeg", "-v", "error", "-i", str(mp4), "-f", "null", "-"], capture_output=True,
                            text=True, timeout=60)
    assert decode.returncode == 0 and not decode.stderr.strip(), decode.stderr[-2000:]
    driver = browser.make_driver()
    try:
        report = browser.watch(driver, js_server.url("video.html?" + urllib.parse.urlencode({"src": url})), seconds=5)
    finally:
        driver.quit()
    assert report.started and report.error is None and report.advance >= 3.5, report.summary()


def test_gstreamer_plays_the_dash_vod(reconnected, tmp_path):
    gw, recording = reconnected["gw"], reconnected["recording"]
    run = gst.play_static_dash(gw.http_url(recording["dash"]), 14, tmp_path / "gst.log")
    assert not run.errors, run.summary()
    # Past the first Period (the first publish, about 7 s) into the second.
    assert run.rendered >= 30 * (reconnected["first_seconds"] + 3), run.summary()


def test_kill_9_mid_recording_leaves_an_interrupted_vod_that_plays(tmp_path, clip10):
    recording_dir = tmp_path / "recordings"
    gw = start_gateway(tmp_path / "first", recording_dir, data_dir=tmp_path / "data")
    publisher = publish_ffmpeg(gw.rtmp_url("crash"), clip10, loop=True)
    try:
        wait_for(lambda: (recordings(gw) or [{}])[0].get("segments", 0) >= 5, 40, "five recorded segments")
        assert gw.stop(signal.SIGKILL) != 0
    finally:
        stop_process(publisher)
    gw = start_gateway(tmp_path / "second", recording_dir, data_dir=tmp_path / "data")
    try:
        found = recordings(gw)
        assert len(found) == 1 and found[0]["state"] == "interrupted", found
        gw.wait_log(r"recording interrupted by a restart", 5)
        text = fetch_text(gw.http_url(found[0]["hls"].replace("master.m3u8", "360p/index.m3u8")))
        assert text.rstrip().endswith("#EXT-X-ENDLIST") and text.count("#EXTINF") == found[0]["segments"]
        result = probe.probe(gw.http_url(found[0]["hls"]), count_packets=True)
        assert result.returncode == 0 and result.video_sizes() == [(640, 360), (426, 240)], result.stderr
        assert not list(recording_dir.rglob(".*.tmp")), "no half-written file is left visible"
    finally:
        gw.stop()


def test_without_a_reconnect_the_grace_ends_the_stream_and_its_recording(tmp_path, clip10):
    gw = start_gateway(tmp_path, tmp_path / "recordings", "reconnect_grace_seconds: 3")
    publisher = Publisher(gw.rtmp_url("gone"), clip10, loops=3).start()
    try:
        wait_for(lambda: sent_seconds(publisher) >= 5, 30, "5 s sent")
        live = gw.http_url("/live/gone/360p/index.m3u8")
        wait_for(lambda: text_or_empty(live).count("#EXTINF") >= 3, 20, "three segments")
        publisher.stop()
        vanished = time.monotonic()
        at_vanish = text_or_empty(live).count("#EXTINF") + int(
            re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text_or_empty(live)).group(1))
        wait_for(lambda: "#EXT-X-ENDLIST" in text_or_empty(live), 15, "ENDLIST once the grace is over")
        ended = text_or_empty(live)
        at_end = ended.count("#EXTINF") + int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", ended).group(1))
        assert at_end >= at_vanish + 2, f"the slate filled the grace: {at_vanish} -> {at_end}"
        waited = time.monotonic() - vanished
        assert waited >= 2.5, f"ended after {waited:.1f}s, before the 3 s grace"
        wait_for(one_recording(gw, "complete"), 10, "the recording complete")
        gw.wait_log(r"reconnect grace over; stream ended", 5)
    finally:
        publisher.stop()
        gw.stop()


def test_retention_deletes_old_recordings_and_keeps_within_size(tmp_path, clip10):
    # keep_days 0.00005 = 4.3 s after a recording ends; 3 MB in all.
    recording_dir = tmp_path / "recordings"
    gw = start_gateway(tmp_path, recording_dir, "recording: { dir: %s, keep_days: 0.00005 }" % recording_dir)
    try:
        publisher = publish_ffmpeg(gw.rtmp_url("short"), clip10)
        assert publisher.wait(60) == 0
        done = wait_for(one_recording(gw, "complete"), 20, "the recording complete")
        assert (recording_dir / "short" / done["id"]).is_dir()
        wait_for(lambda: not recordings(gw), 20, "the recording deleted once 4.3 s old")
        assert not (recording_dir / "short" / done["id"]).exists()
        gw.wait_log(r"reason=retention", 5)
    finally:
        gw.stop()

    size_dir = tmp_path / "sized"
    gw = start_gateway(tmp_path / "size", size_dir, "recording: { dir: %s, max_gigabytes: 0.0015 }" % size_dir)
    try:
        for name in ("one", "two"):
            publisher = publish_ffmpeg(gw.rtmp_url(name), clip10)
            assert publisher.wait(60) == 0
            wait_for(lambda: any(r["stream"] == name and r["state"] == "complete" for r in recordings(gw)), 20,
                     f"recording {name} complete")
        # Each 10 s recording is ~1 MB: above 1.5 MB in all, the oldest goes.
        remaining = wait_for(lambda: (lambda found: found if len(found) == 1 else None)(recordings(gw)), 20,
                             "the oldest recording deleted by size")
        assert remaining[0]["stream"] == "two", remaining
    finally:
        gw.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_disk_costs_the_recording_never_the_live_stream(tmp_path, clip10):
    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(full)], check=True)
    try:
        gw = start_gateway(tmp_path / "gw", full)
        publisher = publish_ffmpeg(gw.rtmp_url("fill"), clip10)
        other = publish_ffmpeg(gw.rtmp_url("other"), clip10)
        try:
            live = gw.http_url("/live/fill/360p/index.m3u8")
            wait_for(lambda: "#EXT-X-ENDLIST" in text_or_empty(live), 40, "the live stream to its end")
            assert publisher.wait(30) == 0 and other.wait(30) == 0
            assert extinf_total(fetch_text(gw.http_url("/live/other/360p/index.m3u8"))) > 3
            gw.wait_log(r"recording write failed; segment left out of the recording", 5)
            metrics = fetch_text(gw.http_url("/metrics"))
            failures = re.search(r"gateway_recording_write_failures_total (\d+)", metrics)
            assert failures and int(failures.group(1)) > 0, metrics
            assert gw.proc.poll() is None
            log = gw.log()
            assert log.count("recording write failed") <= 3, "failures are logged at a limited rate"
        finally:
            stop_process(publisher)
            stop_process(other)
            gw.stop()
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)


DVR_PROFILE = """name: dvr
segment_seconds: 1
window_segments: 4
dvr_seconds: 300
video:
  encoder: libx264
  preset: ultrafast
  renditions:
    - { name: 360p, width: 640, height: 360, bitrate: 600k, profile: main }
audio: { codec: aac, bitrate: 96k, channels: 2, sample_rate: 48000 }
"""
# hls.js seeks `seek` seconds behind the live edge once playing, then reports where it plays.
HLSJS_SEEK_PAGE = HLSJS_PAGE.replace(
    "v.play().catch(",
    """v.addEventListener('playing', () => {
  if (window.seekedTo !== undefined) return;
  const back = parseFloat(new URLSearchParams(location.search).get('back'));
  window.seekedTo = v.currentTime - back;
  v.currentTime = window.seekedTo;
  window.playerState.seekedTo = window.seekedTo;
}, {once: false});
v.play().catch(""")


def test_dvr_lets_hlsjs_play_60_seconds_back_from_the_recording(tmp_path, clip10):
    profile = tmp_path / "dvr.yaml"
    profile.write_text(DVR_PROFILE)
    workdir = tmp_path / "gw"
    workdir.mkdir()
    (workdir / "gateway.yaml").write_text(f"recording: {{ dir: {tmp_path / 'recordings'} }}\n")
    gw = Gateway(workdir, ["--profile", str(profile), "--config", str(workdir / "gateway.yaml")])
    publisher = publish_ffmpeg(gw.rtmp_url("dvr"), clip10, loop=True)
    with StaticServer(JS_PLAYERS_DIR, pages={"seek.html": HLSJS_SEEK_PAGE}) as server:
        try:
            live = gw.http_url("/live/dvr/360p/index.m3u8")
            wait_for(lambda: text_or_empty(live).count("#EXTINF") >= 75, 120, "75 s of DVR listed")
            playlist = fetch_text(live)
            first = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist).group(1))
            last = first + playlist.count("#EXTINF") - 1
            # An old listed segment is out of memory (window 4 + grace 4) but served from disk.
            status, body = http_fetch(gw.http_url(f"/live/dvr/360p/seg-{first + 2}.m4s"))
            assert status == 200 and b"moof" in body[:4096], status
            assert "timeShiftBufferDepth" in fetch_text(gw.http_url("/live/dvr/manifest.mpd"))
            driver = browser.make_driver()
            try:
                page = server.url("seek.html?" + urllib.parse.urlencode(
                    {"src": gw.http_url("/live/dvr/master.m3u8"), "back": "60"}))
                report = browser.watch(driver, page, seconds=8, startup_timeout=30)
                requested = driver.execute_script("return window.seekedTo")
            finally:
                driver.quit()
            assert report.started and report.error is None, report.summary()
            assert requested is not None, report.summary()
            position = report.last["currentTime"]
            assert abs(position - (requested + 7)) <= 3.5, (requested, report.summary())
            assert report.advance_over_last(3) >= 1.0, report.summary()
            assert last - first + 1 >= 75
            assert "recording" in gw.log()
        finally:
            stop_process(publisher)
            gw.stop()
