"""HEVC over Enhanced RTMP, live: decoded once and transcoded into the H.264 ladder.

Neither ffmpeg 5.1 nor GStreamer 1.22 (Debian 12) can publish Enhanced RTMP, so the test builds
an Enhanced-RTMP FLV itself from a real libx265 encode (veovera enhanced-rtmp v1: ExVideoTagHeader
with the `hvc1` FourCC, SequenceStart with the hvcC record, CodedFrames and CodedFramesX) plus the
AAC tags of an ordinary clip, and publishes it with the scripted RTMP client in scripts/lib.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import FFMPEG, REPO, http_fetch, make_clip, mp4_boxes, wait_for
from test_publisher_faults import check_playable, media_playlist, wait_ended

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher, flv_tags, write_flv  # noqa: E402

FPS = 30
SECONDS = 6
# HEVC NAL unit types (ITU-T H.265 7.4.2.2): IDR_W_RADL, IDR_N_LP, CRA; AUD.
IRAP_TYPES = {19, 20, 21}
AUD_TYPE = 35
# Enhanced RTMP video packet types.
SEQUENCE_START, CODED_FRAMES, CODED_FRAMES_X = 0, 1, 3


def hevc_source(folder: Path):
    """(hvcC record, access units as lists of NAL units) of a libx265 encode without B-frames."""
    mp4 = folder / "hevc.mp4"
    annexb = folder / "hevc.h265"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}", "-t", str(SECONDS),
         "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:bframes=0:aud=1:keyint=60",
         "-tag:v", "hvc1", "-pix_fmt", "yuv420p", "-y", str(mp4)], check=True, timeout=120)
    subprocess.run([*FFMPEG, "-i", str(mp4), "-c:v", "copy", "-bsf:v", "hevc_mp4toannexb", "-f", "hevc", "-y",
                    str(annexb)], check=True, timeout=60)
    record = next(payload for path, payload in mp4_boxes(mp4.read_bytes()) if path.endswith("/hvcC"))
    stream = annexb.read_bytes()
    nals = [nal for nal in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", stream) if nal]
    units = []
    for nal in nals:
        if (nal[0] >> 1) & 0x3F == AUD_TYPE:
            units.append([])
            continue
        if not units:
            units.append([])
        units[-1].append(nal.rstrip(b"\x00"))
    return record, [unit for unit in units if unit]


def enhanced_video_tag(packet_type, frame_type, payload, composition=0):
    """An Enhanced RTMP video tag body: [IsExHeader | FrameType | PacketType] 'hvc1' ..."""
    body = bytes([0x80 | (frame_type << 4) | packet_type]) + b"hvc1"
    if packet_type == CODED_FRAMES:
        body += composition.to_bytes(3, "big", signed=True)
    return body + payload


def test_hevc_publish_over_enhanced_rtmp_is_transcoded_to_the_h264_ladder(gateway_factory, tmp_path):
    # test-small with a window long enough to keep the whole publish listed.
    profile = tmp_path / "long-window.yaml"
    profile.write_text(re.sub(r"(?m)^window_segments: \d+", "window_segments: 200",
                              (REPO / "profiles/test-small.yaml").read_text()))
    gateway = gateway_factory(profile=str(profile))
    record, units = hevc_source(tmp_path)
    assert len(units) == SECONDS * FPS, f"{len(units)} access units"
    tags = [(9, 0, enhanced_video_tag(SEQUENCE_START, 1, record))]
    for index, unit in enumerate(units):
        keyframe = any((nal[0] >> 1) & 0x3F in IRAP_TYPES for nal in unit)
        payload = b"".join(len(nal).to_bytes(4, "big") + nal for nal in unit)
        # Both coded-frame forms: with a (zero) composition time, and the X form without one.
        packet_type = CODED_FRAMES if index % 2 == 0 else CODED_FRAMES_X
        tags.append((9, round(index * 1000 / FPS), enhanced_video_tag(packet_type, 1 if keyframe else 2, payload)))
    audio = [tag for tag in flv_tags(make_clip(tmp_path / "aac.flv", seconds=SECONDS)) if tag[0] == 8]
    # Both sequence headers first, as encoders send them, then the media in time order.
    clip = tmp_path / "hevc-ertmp.flv"
    write_flv(clip, tags + audio)

    offset = gateway.log_offset()
    publisher = Publisher(gateway.rtmp_url("hevc"), clip).start()
    try:
        assert publisher.published.wait(20), f"publish refused: {publisher.error}"
        gateway.wait_log(r"stream=hevc .*tracks: 360p avc1\.", 30, after=offset)
        status, body = http_fetch(gateway.http_url("/api/streams/hevc"))
        assert status == 200
        assert json.loads(body)["input"]["video_codec"] == "hevc"
        assert publisher.wait(60), "the scripted publisher did not finish"
    finally:
        publisher.stop()
    assert publisher.error is None, publisher.error

    texts = check_playable(gateway, "hevc", ["360p", "240p", "audio"])
    assert "#EXT-X-DISCONTINUITY\n" not in texts["360p"]
    # Every rung is H.264 at its planned size (decoded once from HEVC, scaled, x264).
    for rendition, size in (("360p", (640, 360)), ("240p", (426, 240))):
        url = gateway.http_url(f"/live/hevc/{rendition}/index.m3u8")
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
             "stream=codec_name,width,height,nb_read_packets", "-of", "json", url],
            capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0 and not probe.stderr.strip(), probe.stderr
        stream = json.loads(probe.stdout)["streams"][0]
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", *size)
        assert int(stream["nb_read_packets"]) >= 0.9 * SECONDS * FPS, stream
    assert media_playlist(gateway, "hevc", "360p").rstrip().endswith("#EXT-X-ENDLIST")
    wait_ended(gateway, "hevc", ["360p"])


def test_an_unsupported_video_fourcc_is_refused_with_onstatus(gateway_factory, tmp_path):
    """A vp08 (VP8, E-RTMP v2) sequence start, which the gateway does not ingest: the publisher
    gets NetStream.Publish.Failed naming the codec, the session ends, the log says why, and the
    gateway takes the next publish."""
    gw = gateway_factory()
    vp8 = bytes([0x80 | (1 << 4) | SEQUENCE_START]) + b"vp08" + bytes([0x01, 0, 0, 0, 0, 10, 0x80, 2, 2, 2, 0, 0])
    frames = [(9, 0, vp8)] + [(9, 33 * i, bytes([0x80 | (2 << 4) | CODED_FRAMES]) + b"vp08" + bytes(8))
                              for i in range(1, 30)]
    flv = tmp_path / "vp8.flv"
    write_flv(flv, frames)
    offset = gw.log_offset()
    publisher = Publisher(gw.rtmp_url("vp8"), flv).start()
    try:
        wait_for(lambda: any(code == "NetStream.Publish.Failed" for code, _ in publisher.statuses), 10,
                 "NetStream.Publish.Failed")
        description = next(d for code, d in publisher.statuses if code == "NetStream.Publish.Failed")
        assert "vp08" in description and "not supported" in description, description
        assert "av01, vp09, hvc1, avc1" in description, description
        gw.wait_log(r"publish refused: video codec vp08 is not supported", 5, after=offset)
        assert publisher.wait(10), "the session did not end"
    finally:
        publisher.stop()
    # The gateway goes on: a supported publish right after starts as usual.
    clip = tmp_path / "clip.flv"
    make_clip(clip, seconds=3)
    after = Publisher(gw.rtmp_url("next"), clip).start()
    try:
        assert after.published.wait(10) and after.error is None, after.error
    finally:
        after.stop()
