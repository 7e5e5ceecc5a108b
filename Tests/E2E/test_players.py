"""Real players against one live gateway stream: Chromium (native HLS, hls.js, Video.js),
GStreamer (HLS and DASH), streamlink, ffprobe and VLC, plus hls.js adaptive bitrate under
Chrome DevTools network throttling.

One gateway and one looping publisher serve the whole module (profiles/test-small.yaml:
360p + 240p, 1 s segments). "Plays" means: the position advances by at least 8 s over a
10 s watch, it still advances during the last 3 s, and no error is reported.
Tests run in file order; the last one relies on the stream being older than its DASH window.
"""

import re
import time
import urllib.parse
from pathlib import Path

import pytest

from clients import browser, gst, probe, streamlink_client, vlc
from clients.live import LiveStream
from clients.static_server import StaticServer
from conftest import JS_PLAYERS_DIR, ticks

STREAM = "players"
# (width, height) of the test-small ladder, highest first; checked against master.m3u8 below.
LADDER_SIZES = [(640, 360), (426, 240)]
HLS_JS = "hlsjs/hls.mjs"
VIDEO_JS = "videojs/video.js"
WATCH_SECONDS = 10.0
MIN_ADVANCE = 8.0

# A page of another origin with nothing but <video src=...> (Chromium's built-in HLS).
BARE_VIDEO_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>
const v = document.getElementById('v');
window.playerState = {engine: 'native', currentTime: 0, paused: true, width: 0, height: 0, error: null};
setInterval(() => Object.assign(window.playerState, {currentTime: v.currentTime, paused: v.paused,
  width: v.videoWidth, height: v.videoHeight, error: v.error && ('MediaError ' + v.error.code)}), 250);
v.src = new URLSearchParams(location.search).get('src');
v.play().catch((e) => console.log('play() rejected: ' + e));
</script></body></html>"""


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"bare-video.html": BARE_VIDEO_PAGE}) as server:
        yield server


@pytest.fixture(scope="module")
def live(tmp_path_factory, js_server, clip10):
    workdir = tmp_path_factory.mktemp("players")
    # No dash.js is available offline (the ?player=dash engine is not exercised here); its URL
    # only keeps the page from pointing at a public CDN.
    args = ["--hls-js-url", js_server.url(HLS_JS), "--videojs-url", js_server.url(VIDEO_JS),
            "--dash-js-url", js_server.url("dashjs/dash.all.min.js")]
    with LiveStream(workdir, STREAM, clip10, args) as stream:
        yield stream


@pytest.fixture
def driver():
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


def frame_rate(live):
    variants, _ = live.master()
    return float(variants[0].attributes.get("FRAME-RATE", "30"))


def dash_window_seconds(live):
    status, _, body = live.get("manifest.mpd")
    assert status == 200
    match = re.search(r'timeShiftBufferDepth="PT([\d.]+)S"', body.decode())
    assert match, "live MPD without timeShiftBufferDepth"
    return float(match.group(1))


def assert_plays(report, engine):
    assert report.started, f"playback never started: {report.summary()}"
    assert report.error is None, report.summary()
    assert report.last["engine"] == engine, report.summary()
    assert report.advance >= MIN_ADVANCE, f"advanced only {report.advance:.2f}s: {report.summary()}"
    assert report.advance_over_last(3) >= 1.0, f"stalled at the end: {report.summary()}"
    assert (report.last["width"], report.last["height"]) in LADDER_SIZES, report.summary()


# 4. ffprobe reads every playlist and the MPD (first: it also checks the ladder the others rely on)

def test_master_lists_the_ladder(live):
    variants, media = live.master()
    assert [(v.width, v.height) for v in live.variants_by_height()] == LADDER_SIZES
    assert all(v.attributes.get("AUDIO") for v in variants), "variants without an audio group"
    assert [m.get("TYPE") for m in media] == ["AUDIO"]


def test_ffprobe_reads_every_playlist_and_the_mpd(live):
    variants, media = live.master()
    expectations = {"master.m3u8": (LADDER_SIZES, ["aac"])}
    for variant in variants:
        expectations[variant.uri] = ([(variant.width, variant.height)], [])
    for rendition in media:
        expectations[rendition["URI"]] = ([], ["aac"])
    expectations["manifest.mpd"] = (LADDER_SIZES, ["aac"])
    for path, (sizes, audio) in expectations.items():
        result = probe.probe(live.url(path), timeout=30)
        assert result.returncode == 0, f"{path}: ffprobe exit {result.returncode}: {result.stderr}"
        assert result.video_sizes() == sizes, f"{path}: {result.streams}"
        assert result.codecs("audio") == audio, f"{path}: {result.streams}"
        if sizes:
            assert result.codecs("video") == ["h264"], f"{path}: {result.streams}"


# 2. GStreamer

def assert_gst_played(result, seconds, fps):
    assert result.returncode == 124, f"gst-launch ended before it was stopped: {result.summary()}"
    assert not result.errors, result.summary()
    assert result.rendered >= 0.7 * fps * seconds, result.summary()
    assert result.sizes and set(result.sizes) <= {f"{w}x{h}" for w, h in LADDER_SIZES}, result.summary()


def test_gstreamer_plays_dash(live, tmp_path):
    seconds = 8
    result = gst.play_dash(live.mpd_url, seconds, tmp_path / "gst-dash.log")
    assert_gst_played(result, seconds, frame_rate(live))


# 1. Chromium: native HLS, hls.js and Video.js on the gateway's player page

@pytest.mark.parametrize("engine", ["native", "hlsjs", "videojs"])
def test_chromium_plays_hls(live, driver, engine):
    script = {"hlsjs": HLS_JS, "videojs": VIDEO_JS}.get(engine)
    if script and not (Path(JS_PLAYERS_DIR) / script).is_file():
        pytest.skip(f"{script} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR} (scripts/fetch-js-players.sh)")
    report = browser.watch(driver, live.url(f"?player={engine}"), seconds=WATCH_SECONDS)
    assert_plays(report, engine)


def test_chromium_plays_master_in_bare_video_element(live, js_server, driver):
    # No player page and no script: Chromium's own HLS support on <video src=master.m3u8>, from a
    # page of another origin.
    page = js_server.url("bare-video.html?" + urllib.parse.urlencode({"src": live.master_url}))
    report = browser.watch(driver, page, seconds=WATCH_SECONDS)
    assert_plays(report, "native")


# 2. GStreamer HLS

def test_gstreamer_plays_hls(live, tmp_path):
    seconds = 8
    result = gst.play_hls(live.master_url, seconds, tmp_path / "gst-hls.log")
    assert_gst_played(result, seconds, frame_rate(live))


# 3. streamlink

def test_streamlink_best_and_worst_are_the_top_and_bottom_rungs(live):
    top, bottom = live.variants_by_height()[0], live.variants_by_height()[-1]
    urls = streamlink_client.stream_urls(live.master_url)
    assert {"best", "worst"} <= set(urls), urls
    best_video, worst_video = urls["best"][0], urls["worst"][0]
    assert best_video == urllib.parse.urljoin(live.master_url, top.uri), urls
    assert worst_video == urllib.parse.urljoin(live.master_url, bottom.uri), urls
    assert best_video != worst_video


def test_streamlink_records_best(live, tmp_path):
    seconds = 6
    out = tmp_path / "best.out"
    code, output = streamlink_client.record(live.master_url, "best", seconds, out)
    assert code == 0, output
    result = probe.probe(out, count_packets=True)
    video = result.first("video")
    assert video, f"no video in the recording: {result.streams} {result.stderr}"
    assert video["codec_name"] == "h264"
    assert (video["width"], video["height"]) == LADDER_SIZES[0]
    assert int(video.get("nb_read_packets", 0)) >= 0.5 * seconds * frame_rate(live), video
    assert result.codecs("audio") == ["aac"], result.streams


# 5. VLC

def test_vlc_plays_hls(live, tmp_path):
    seconds = 8
    fps = frame_rate(live)
    result = vlc.play(live.master_url, seconds, str(tmp_path / "vlc-home"))
    assert result.advance >= 0.75 * seconds, result.summary()
    assert result.frames >= 0.7 * fps * seconds, result.summary()
    # get_time moves in steps of up to 3 s, so the end-of-watch stall check counts frames.
    assert result.frames_over_last(3) >= 0.5 * fps * 3, result.summary()
    assert result.resolution in {f"{w}x{h}" for w, h in LADDER_SIZES}, result.summary()


# 6. hls.js adaptive bitrate under DevTools network throttling

def wait_sustained(driver, predicate, hold, timeout, what):
    """Poll playerState until `predicate` has held for `hold` seconds; return the samples."""
    samples, since = [], None
    for _ in ticks(0.5, timeout):
        state = browser.player_state(driver) or {}
        samples.append((round(state.get("currentTime", 0), 1), state.get("height"), state.get("rendition")))
        assert not state.get("error"), f"player error while waiting for {what}: {state['error']} {samples[-20:]}"
        if predicate(state):
            since = since or time.monotonic()
            if time.monotonic() - since >= hold:
                return samples
        else:
            since = None
    raise AssertionError(f"no {what} sustained for {hold}s within {timeout}s; (t, height, rendition): {samples[-30:]}")


def test_hlsjs_abr_follows_throttled_bandwidth(live, driver):
    if not (Path(JS_PLAYERS_DIR) / HLS_JS).is_file():
        pytest.skip(f"{HLS_JS} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR}")
    top, bottom = live.variants_by_height()[0], live.variants_by_height()[-1]
    # Between the rungs: the bottom one (its BANDWIDTH already counts the audio group) fits,
    # the top one does not.
    throttled = (top.bandwidth + bottom.bandwidth) / 2
    assert bottom.bandwidth * 1.2 < throttled < top.bandwidth * 0.85, (top, bottom)

    def on(variant):
        return lambda s: s.get("height") == variant.height and s.get("rendition") == variant.uri.split("/")[0]

    driver.get(live.url("?player=hlsjs"))
    phases = [wait_sustained(driver, on(top), hold=3, timeout=25, what=f"{top.height}p before throttling")]
    started, position = time.monotonic(), browser.player_state(driver)["currentTime"]
    browser.throttle(driver, throttled)
    phases.append(wait_sustained(driver, on(bottom), hold=6, timeout=35,
                                 what=f"{bottom.height}p at {throttled / 1000:.0f} kb/s"))
    browser.throttle(driver, None)
    phases.append(wait_sustained(driver, on(top), hold=3, timeout=35, what=f"{top.height}p after lifting the throttle"))
    print("ABR phases (t, height, rendition):", *phases, sep="\n")
    # Switching must not stop playback for long (a rebuffer right after throttling is allowed).
    state = browser.player_state(driver)
    elapsed = time.monotonic() - started
    assert not state["paused"] and state["currentTime"] - position >= 0.6 * elapsed, (elapsed, phases)


# 2. GStreamer DASH again, once the stream is older than its time-shift window (GStreamer's
# dashdemux once failed on SegmentTimeline MPDs of such streams).

def test_gstreamer_plays_dash_of_stream_older_than_its_window(live, tmp_path):
    window = dash_window_seconds(live)
    live.wait_age(max(15.0, 3 * window), timeout=60)
    seconds = 8
    result = gst.play_dash(live.mpd_url, seconds, tmp_path / "gst-dash-old.log")
    assert_gst_played(result, seconds, frame_rate(live))
