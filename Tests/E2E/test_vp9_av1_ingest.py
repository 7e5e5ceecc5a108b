"""VP9 and AV1 over Enhanced RTMP (E-RTMP v1 `vp09` and `av01` FourCCs), live: decoded once and
transcoded into the ladder, and passed through unchanged by a copy rung.

Neither ffmpeg 5.1 nor GStreamer 1.22 publishes Enhanced RTMP, so each test builds the FLV
itself from a real libvpx-vp9 / libaom-av1 encode (the sequence start carries the vpcC / av1C
record the mp4 muxer wrote; coded frames carry no composition time), adds the AAC tags of an
ordinary clip, and publishes it with the scripted RTMP client in scripts/lib. A publish that
switches codec mid-stream, and one whose frames do not read, end or continue cleanly.
"""

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FFMPEG, REPO, http_fetch, make_clip, mp4_boxes
from test_publisher_faults import check_playable, media_playlist

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher, flv_tags, write_flv  # noqa: E402

FPS = 30
SECONDS = 6
SEQUENCE_START, CODED_FRAMES, CODED_FRAMES_X = 0, 1, 3
ENCODERS = {
    "vp09": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0"],
    "av01": ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-lag-in-frames", "0"],
}
CONFIG_BOX = {"vp09": "vpcC", "av01": "av1C"}


def encode(folder: Path, fourcc: str, size="640x360"):
    """(configuration record, [(keyframe, frame bytes)]) of a real 2 s-GOP encode."""
    mp4 = folder / f"{fourcc}.mp4"
    ivf = folder / f"{fourcc}.ivf"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}", "-t", str(SECONDS),
                    *ENCODERS[fourcc], "-g", "60", "-b:v", "600k", "-pix_fmt", "yuv420p", "-y", str(mp4)],
                   check=True, timeout=120)
    subprocess.run([*FFMPEG, "-i", str(mp4), "-c:v", "copy", "-f", "ivf", "-y", str(ivf)], check=True, timeout=60)
    record = next(p for path, p in mp4_boxes(mp4.read_bytes()) if path.endswith("/" + CONFIG_BOX[fourcc]))
    flags = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=flags",
                            "-of", "csv=p=0", str(mp4)], capture_output=True, text=True, check=True).stdout.split()
    data = ivf.read_bytes()
    frames, offset = [], 32  # IVF: 32-byte file header, then (size LE32, pts LE64, frame) each
    while offset + 12 <= len(data):
        size = struct.unpack_from("<I", data, offset)[0]
        frames.append(data[offset + 12:offset + 12 + size])
        offset += 12 + size
    assert len(frames) == len(flags) == SECONDS * FPS, (len(frames), len(flags))
    return record, [(flag.startswith("K"), frame) for flag, frame in zip(flags, frames)]


def aac_tags(tmp_path):
    """The AAC tags of an ordinary clip as long as the video."""
    return [tag for tag in flv_tags(make_clip(tmp_path / "aac.flv", seconds=SECONDS)) if tag[0] == 8]


def video_tag(fourcc, packet_type, keyframe, payload):
    """[IsExHeader | FrameType | PacketType] FourCC payload: no composition time for VP9/AV1."""
    return bytes([0x80 | ((1 if keyframe else 2) << 4) | packet_type]) + fourcc.encode() + payload


def publish_file(tmp_path, name, fourcc, record, frames, extra=()):
    tags = [(9, 0, video_tag(fourcc, SEQUENCE_START, True, record))]
    for index, (keyframe, frame) in enumerate(frames):
        packet_type = CODED_FRAMES if index % 2 == 0 else CODED_FRAMES_X
        tags.append((9, round(index * 1000 / FPS), video_tag(fourcc, packet_type, keyframe, frame)))
    clip = tmp_path / f"{name}.flv"
    write_flv(clip, tags + aac_tags(tmp_path) + list(extra))
    return clip


def copy_profile(tmp_path):
    """test-small (H.264 360p + 240p) plus a copy rung, with a window that keeps the whole publish."""
    text = (REPO / "profiles/test-small.yaml").read_text()
    text = re.sub(r"(?m)^window_segments: \d+", "window_segments: 200", text)
    text = text.replace("  renditions:\n", "  renditions:\n    - name: source\n      copy: true\n", 1)
    path = tmp_path / "copy.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("fourcc,codec,entry", [("vp09", "vp9", "vp09"), ("av01", "av1", "av01")])
def test_publish_is_transcoded_and_passed_through(gateway_factory, tmp_path, fourcc, codec, entry):
    gateway = gateway_factory(profile=str(copy_profile(tmp_path)))
    record, frames = encode(tmp_path, fourcc)
    clip = publish_file(tmp_path, codec, fourcc, record, frames)
    offset = gateway.log_offset()
    publisher = Publisher(gateway.rtmp_url(codec), clip).start()
    try:
        assert publisher.published.wait(20), f"publish refused: {publisher.error}"
        gateway.wait_log(rf"stream={codec} .*tracks: source {entry}\.", 30, after=offset)
        status, body = http_fetch(gateway.http_url(f"/api/streams/{codec}"))
        assert status == 200 and json.loads(body)["input"]["video_codec"] == codec, body
        assert publisher.wait(60), "the scripted publisher did not finish"
    finally:
        publisher.stop()
    assert publisher.error is None, publisher.error

    check_playable(gateway, codec, ["source", "360p", "240p", "audio"])
    # The H.264 rungs are decoded from VP9/AV1; the copy rung is the publisher's own frames.
    for rendition, expected in (("source", (codec, 640, 360)), ("360p", ("h264", 640, 360)),
                                ("240p", ("h264", 426, 240))):
        url = gateway.http_url(f"/live/{codec}/{rendition}/index.m3u8")
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
             "stream=codec_name,width,height,nb_read_packets", "-of", "json", url],
            capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0, probe.stderr
        stream = json.loads(probe.stdout)["streams"][0]
        assert (stream["codec_name"], stream["width"], stream["height"]) == expected, (rendition, stream)
        assert int(stream["nb_read_packets"]) >= 0.9 * SECONDS * FPS, (rendition, stream)
    # The copy rung's init carries the publisher's record unchanged.
    status, init = http_fetch(gateway.http_url(f"/live/{codec}/source/init-1.mp4"))
    assert status == 200
    box = next(p for path, p in mp4_boxes(init) if path.endswith(f"/{entry}/{CONFIG_BOX[fourcc]}"))
    assert box == record
    assert media_playlist(gateway, codec, "360p").rstrip().endswith("#EXT-X-ENDLIST")


def test_connect_answers_what_enhanced_rtmp_clients_ask(gateway_factory, tmp_path):
    """E-RTMP v1 `fourCcList` and v2 `videoFourCcInfoMap`/`audioFourCcInfoMap` in connect get the
    server's own: every ingested FourCC, CanDecode | CanForward (5)."""
    gateway = gateway_factory()
    clip = make_clip(tmp_path / "clip.flv", seconds=2)
    extra = {"fourCcList": ["av01", "vp09", "hvc1", "avc1"], "videoFourCcInfoMap": {"av01": 1, "hvc1": 1},
             "audioFourCcInfoMap": {"Opus": 1}}
    publisher = Publisher(gateway.rtmp_url("caps"), clip, connect_extra=extra).start()
    try:
        assert publisher.published.wait(10), publisher.error
        properties = publisher.connect_result[2]
        assert properties["fourCcList"] == ["av01", "vp09", "hvc1", "avc1"], properties
        assert properties["videoFourCcInfoMap"] == {"av01": 5, "vp09": 5, "hvc1": 5, "avc1": 5}, properties
        assert properties["audioFourCcInfoMap"] == {"mp4a": 5, "Opus": 5}, properties
    finally:
        publisher.stop()
    # A client that asks nothing gets nothing extra (OBS 29 and older, ffmpeg, GStreamer).
    plain = Publisher(gateway.rtmp_url("plain"), clip).start()
    try:
        assert plain.published.wait(10), plain.error
        assert "fourCcList" not in plain.connect_result[2] and "videoFourCcInfoMap" not in plain.connect_result[2]
    finally:
        plain.stop()


def test_broken_frames_and_a_codec_switch_do_not_hurt_the_stream(gateway_factory, tmp_path):
    """AV1 temporal units with lying OBU sizes are dropped and counted; then the publisher
    switches to VP9 mid-stream (a new sequence start), and the stream goes on in the new codec."""
    gateway = gateway_factory(profile=str(copy_profile(tmp_path)))
    av1_record, av1_frames = encode(tmp_path, "av01")
    vp9_record, vp9_frames = encode(tmp_path, "vp09")
    half = len(av1_frames) // 2
    frames = list(av1_frames[:half])
    for index in range(10, 20):  # OBU sizes that run past the end
        frames[index] = (frames[index][0], bytes([0x32, 0x7F]) + frames[index][1][:8])
    tags = [(9, 0, video_tag("av01", SEQUENCE_START, True, av1_record))]
    for index, (keyframe, frame) in enumerate(frames):
        tags.append((9, round(index * 1000 / FPS), video_tag("av01", CODED_FRAMES, keyframe, frame)))
    switch = round(half * 1000 / FPS)
    tags.append((9, switch, video_tag("vp09", SEQUENCE_START, True, vp9_record)))
    for index, (keyframe, frame) in enumerate(vp9_frames[half:], start=half):
        tags.append((9, round(index * 1000 / FPS), video_tag("vp09", CODED_FRAMES, keyframe, frame)))
    clip = tmp_path / "switch.flv"
    write_flv(clip, tags + aac_tags(tmp_path), headers_first=False)  # VP9's sequence start stays mid-stream

    offset = gateway.log_offset()
    publisher = Publisher(gateway.rtmp_url("switch"), clip).start()
    try:
        assert publisher.published.wait(20), f"publish refused: {publisher.error}"
        gateway.wait_log(r"stream=switch .*tracks: source av01\.", 30, after=offset)
        gateway.wait_log(r"stream=switch .*tracks: source vp09\.", 40, after=offset)
        assert publisher.wait(60), "the scripted publisher did not finish"
    finally:
        publisher.stop()
    assert publisher.error is None, publisher.error
    log = gateway.log()[offset:]
    assert re.search(r"error=malformed av1 frame: truncated: AV1 OBU of \d+ bytes.* dropping a malformed media message",
                     log), log[-2000:]
    # Frames after the broken ones up to the next key frame (about 1.7 s) have nothing to decode from.
    check_playable(gateway, "switch", ["360p", "240p", "audio"], hole_seconds=2.5)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                            gateway.http_url("/live/switch/360p/index.m3u8")], capture_output=True, text=True,
                           timeout=60)
    assert probe.stdout.strip().startswith("h264"), probe.stderr
    # The gateway is unhurt: the next publisher is taken as usual.
    clip = make_clip(tmp_path / "next.flv", seconds=3)
    after = Publisher(gateway.rtmp_url("next"), clip).start()
    try:
        assert after.published.wait(10) and after.error is None, after.error
    finally:
        after.stop()
