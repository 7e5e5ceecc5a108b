"""A ladder with every output codec, from one H.264 publisher (profiles/test-codecs.yaml:
H.264 360p and 240p, HEVC 288p, VP9 270p, AV1 216p, LL-HLS parts): the CODECS strings agree with
the sample entries' configuration records, ffprobe and ffmpeg read every rung over HLS and DASH,
the segments parse with pymp4 and each codec starts segment N with a key frame at the same time,
the MPD has one video AdaptationSet per codec, GStreamer plays the HEVC rung, and hls.js in
Chromium plays the VP9 and AV1 rungs when asked for them.
"""

import re
import subprocess
import time
from pathlib import Path

import pytest
from mpegdash.parser import MPEGDASHParser

from clients import browser, gst, probe
from clients.bmff import pymp4_boxes, pymp4_find
from clients.live import LiveStream, media_segments
from clients.static_server import StaticServer
from conftest import FFMPEG, JS_PLAYERS_DIR, mp4_boxes, ticks, wait_for

STREAM = "codecs"
PROFILE = "profiles/test-codecs.yaml"
HLS_JS = "hlsjs/hls.mjs"
# rung -> (ffprobe codec name, sample entry, width, height)
RUNGS = {
    "360p": ("h264", "avc1", 640, 360),
    "240p": ("h264", "avc1", 426, 240),
    "288p-hevc": ("hevc", "hvc1", 512, 288),
    "270p-vp9": ("vp9", "vp09", 480, 270),
    "216p-av1": ("av1", "av01", 384, 216),
}
STSD = "moov/trak/mdia/minf/stbl/stsd"


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR) as server:
        yield server


@pytest.fixture(scope="module")
def live(tmp_path_factory, js_server, clip10):
    workdir = tmp_path_factory.mktemp("codecs")
    args = ["--hls-js-url", js_server.url(HLS_JS)]
    with LiveStream(workdir, STREAM, clip10, args, profile=PROFILE, min_segments=4) as stream:
        yield stream


def variants(live):
    listed, _ = live.master()
    return {v.uri.split("/")[0]: v for v in listed}


def init_config(live, rung):
    """(sample entry type, configuration box payload) of a rung's init segment."""
    status, _, body = live.get(f"{rung}/init-1.mp4")
    assert status == 200, f"{rung}/init-1.mp4 answered {status}"
    raw = dict(mp4_boxes(body))
    entry = RUNGS[rung][1]
    box = {"avc1": "avcC", "hvc1": "hvcC", "vp09": "vpcC", "av01": "av1C"}[entry]
    assert f"{STSD}/{entry}/{box}" in raw, f"{rung}: no {entry}/{box}: {sorted(raw)}"
    return entry, raw[f"{STSD}/{entry}/{box}"]


def codecs_from_config(entry, config):
    """The RFC 6381 string each binding derives from its record, computed here independently."""
    if entry == "avc1":  # ISO/IEC 14496-15 5.3.3.1: profile, compatibility, level
        return f"avc1.{config[1]:02x}{config[2]:02x}{config[3]:02x}"
    if entry == "hvc1":  # ISO/IEC 14496-15 8.3.3.1 and E.3
        space, tier, profile = config[1] >> 6, (config[1] >> 5) & 1, config[1] & 0x1F
        flags = int.from_bytes(config[2:6], "big")
        reversed_flags = int(f"{flags:032b}"[::-1], 2)
        constraints = list(config[6:12])
        while constraints and constraints[-1] == 0:
            constraints.pop()
        parts = [f"hvc1", f"{'ABC'[space - 1] if space else ''}{profile}", f"{reversed_flags:X}",
                 f"{'H' if tier else 'L'}{config[12]}"] + [f"{c:X}" for c in constraints]
        return ".".join(parts)
    if entry == "vp09":  # VP-ISOBMFF 2.2 (after version and flags) and 5
        assert config[0] == 1, f"vpcC version {config[0]}"
        return f"vp09.{config[4]:02d}.{config[5]:02d}.{config[6] >> 4:02d}"
    # AV1-ISOBMFF 2.3.3 and Annex A
    assert config[0] == 0x81, f"av1C marker/version {config[0]:#x}"
    profile, level, tier = config[1] >> 5, config[1] & 0x1F, config[2] >> 7
    depth = 12 if config[2] & 0x20 else 10 if config[2] & 0x40 else 8
    return f"av01.{profile}.{level:02d}{'H' if tier else 'M'}.{depth:02d}"


def test_master_lists_every_codec_with_the_codecs_of_its_init_segment(live):
    listed = variants(live)
    assert set(listed) == set(RUNGS), sorted(listed)
    for rung, (_, entry, width, height) in RUNGS.items():
        variant = listed[rung]
        video, audio = variant.attributes["CODECS"].split(",")
        assert audio == "mp4a.40.2", variant.attributes
        assert (variant.width, variant.height) == (width, height), variant.attributes
        assert video == codecs_from_config(*init_config(live, rung)), (rung, variant.attributes)
    # The status API names each rung's codec and the same string.
    status = {r["name"]: r for r in live.status()["renditions"]}
    for rung, (codec, *_rest) in RUNGS.items():
        assert status[rung]["codec"] == codec, status[rung]
        assert status[rung]["codec_string"] == listed[rung].attributes["CODECS"].split(",")[0], status[rung]


def test_every_codec_has_low_latency_parts_starting_each_segment_independent(live):
    for rung in RUNGS:
        status, _, body = live.get(f"{rung}/index.m3u8")
        text = body.decode()
        assert status == 200 and "#EXT-X-PART-INF:PART-TARGET=" in text, (rung, text[:300])
        parts = [line for line in text.splitlines() if line.startswith("#EXT-X-PART:")]
        assert len(parts) >= 4, (rung, parts)
        # A segment's first part holds its key frame (RFC 8216bis 4.4.4.9: INDEPENDENT=YES): the
        # first part listed after each complete segment starts the next one.
        firsts, after_segment = [], False
        for line in text.splitlines():
            if line and not line.startswith("#"):
                after_segment = True
            elif line.startswith("#EXT-X-PART:") and after_segment:
                firsts.append(line)
                after_segment = False
        assert firsts and all("INDEPENDENT=YES" in p for p in firsts), (rung, firsts)
        status, _, data = live.get(f"{rung}/" + re.search(r'URI="([^"]+)"', parts[-1]).group(1))
        assert status == 200 and data[4:8] in (b"styp", b"moof"), (rung, status, data[:16])


def test_ffprobe_reads_every_rung_over_hls(live):
    for rung, (codec, entry, width, height) in RUNGS.items():
        result = probe.probe(live.url(f"{rung}/index.m3u8"))
        video = result.first("video")
        assert video, f"{rung}: {result.stderr[-500:]}"
        assert (video["codec_name"], video["width"], video["height"]) == (codec, width, height), (rung, video)


def common_segment(live):
    """The newest segment number every rung lists."""
    numbers = None
    for rung in RUNGS:
        status, _, body = live.get(f"{rung}/index.m3u8")
        assert status == 200
        found = {int(re.search(r"(\d+)\.m4s", uri).group(1)) for uri in media_segments(body.decode())
                 if uri.endswith(".m4s")}
        numbers = found if numbers is None else numbers & found
    assert numbers, "no segment listed by every rung"
    return max(numbers)


def first_frame(init, segment, tmp_path, name):
    path = tmp_path / f"{name}.mp4"
    path.write_bytes(init + segment)
    done = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-read_intervals", "%+#1",
                           "-show_entries", "frame=key_frame,pts,pict_type", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[-300:]


def test_segments_parse_and_every_codec_starts_a_segment_with_a_key_frame_at_the_same_time(live, tmp_path):
    number = common_segment(live)
    starts = {}
    for rung in RUNGS:
        _, _, init = live.get(f"{rung}/init-1.mp4")
        status, _, segment = live.get(f"{rung}/seg-{number}.m4s")
        assert status == 200, f"{rung}/seg-{number}.m4s answered {status}"
        top = pymp4_boxes(segment)
        assert [b.type for b in top][-2:] == [b"moof", b"mdat"], (rung, [b.type for b in top])
        assert pymp4_find(pymp4_boxes(init)[1], b"mvex") is not None, rung
        assert pymp4_find(top[-2], b"tfdt") is not None, rung
        frame = first_frame(init, segment, tmp_path, rung)
        fields = dict(zip(("key_frame", "pts", "pict_type"), frame.split(",")))
        assert fields.get("key_frame") == "1" and fields.get("pict_type") == "I", f"{rung} #{number}: {frame!r}"
        starts[rung] = int(fields["pts"])
    # Every rung shares the 90 kHz timeline: segment N's key frame is shown at the same time on
    # all of them (decode times differ with the codec's B-frames), within one frame.
    assert max(starts.values()) - min(starts.values()) <= 3000, starts


def test_mpd_has_one_video_adaptation_set_per_codec_and_ffmpeg_decodes_each(live):
    status, _, body = live.get("manifest.mpd")
    assert status == 200
    mpd = MPEGDASHParser.parse(body.decode())
    sets = [s for s in mpd.periods[-1].adaptation_sets if s.content_type == "video"]
    families = [{r.codecs.split(".")[0] for r in s.representations} for s in sets]
    assert all(len(f) == 1 for f in families), families
    assert sorted(f.pop() for f in families) == ["av01", "avc1", "hvc1", "vp09"], families
    listed = variants(live)
    for adaptation_set in sets:
        for representation in adaptation_set.representations:
            assert representation.codecs == listed[representation.id].attributes["CODECS"].split(",")[0]
    # ffmpeg's DASH reader: every Representation is a stream; decode 20 frames of each.
    result = probe.probe(live.mpd_url)
    names = sorted(s["codec_name"] for s in result.streams if s.get("codec_type") == "video")
    assert names == sorted(codec for codec, *_ in RUNGS.values()), (names, result.stderr[-500:])
    for index in range(len(names)):
        done = subprocess.run([*FFMPEG, "-i", live.mpd_url, "-map", f"0:v:{index}", "-frames:v", "20",
                               "-f", "null", "-"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"video stream {index}: {done.stderr[-500:]}"


def test_gstreamer_plays_the_hevc_rung(live, tmp_path):
    run = gst.play_hls(live.url("288p-hevc/index.m3u8"), 10, tmp_path / "gst-hevc.log")
    assert run.rendered >= 90 and "512x288" in run.sizes, run.summary()


@pytest.fixture
def driver():
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


def test_hlsjs_really_plays_the_vp9_and_av1_rungs_when_asked(live, driver):
    if not (Path(JS_PLAYERS_DIR) / HLS_JS).is_file():
        pytest.skip(f"{HLS_JS} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR}")
    driver.get(live.url("?player=hlsjs"))
    wait_for(lambda: (browser.player_state(driver) or {}).get("currentTime", 0) > 1, 30, "hls.js playing")
    levels = driver.execute_script(
        "return window.hls.levels.map((l) => ({codec: l.videoCodec, height: l.height, uri: l.url[0] || l.uri}))")
    print("hls.js levels:", levels)
    for rung, entry in (("270p-vp9", "vp09"), ("216p-av1", "av01")):
        index = next((i for i, level in enumerate(levels) if (level["codec"] or "").startswith(entry)), None)
        assert index is not None, f"hls.js dropped the {entry} level: {levels}"
        driver.execute_script(f"window.hls.currentLevel = {index}")
        height = RUNGS[rung][3]
        since, samples = None, []
        for _ in ticks(0.5, 30):
            state = browser.player_state(driver) or {}
            samples.append((round(state.get("currentTime", 0), 1), state.get("height"), state.get("level")))
            assert not state.get("error"), f"{rung}: {state['error']} {samples[-10:]}"
            if state.get("height") == height and state.get("level") == index and not state.get("paused"):
                since = since or (time.monotonic(), state["currentTime"])
                if time.monotonic() - since[0] >= 3:
                    assert state["currentTime"] - since[1] >= 2, f"{rung} did not advance: {samples[-10:]}"
                    break
            else:
                since = None
        else:
            raise AssertionError(f"hls.js never showed {rung} ({height} lines): {samples[-20:]}")
    assert not browser.console_errors(driver), browser.console_errors(driver)
