"""Malformed media from a publisher (issue section 2): AVC tags whose NAL unit length prefixes run
past the end of the tag.

The scripted publisher (scripts/lib/rtmp_flv_publisher.py) sends a real H.264/AAC clip and makes
the first NAL unit length of every 3rd non-reference frame overrun its tag by 1000 bytes. The
gateway must drop each of those messages at ingest and count it as `ingest_errors` in
/api/streams/NAME, and the stream must carry on: new segments after the first bad frame, the
publisher never disconnected. Every served segment of every rendition (init + each media segment)
must be clean: ISO BMFF boxes that pymp4 parses, trun sample sizes that fill the mdat exactly,
video samples whose AVCC NAL unit lengths tile each sample, and ffprobe plus a full ffmpeg decode
that report nothing at error level.

Only non-reference frames are corrupted so that dropping exactly the bad messages leaves a stream
that decodes without errors; with a reference frame dropped, the frames after it until the next
IDR would fail to decode in any case ("reference picture missing"). Both ladders run: a single
`copy: true` rung, where before the fix the publisher's garbage went straight into the CMAF
segments, and one transcoded 240p rung, where it went into the decoder.
"""

import json
import re
import subprocess
import sys
from urllib.parse import urljoin

import m3u8
import pytest

from clients.bmff import pymp4_boxes, pymp4_find
from conftest import FFMPEG, REPO, http_fetch, wait_for

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher  # noqa: E402

CLIP_SECONDS = 6
GOP = 30  # one IDR per second at 30 fps: the copy rung's 1 s segments cut at every one
CORRUPT_EVERY = 3  # every 3rd non-reference frame
# Slack on ingest_errors: one message either way for a count taken exactly at the end of a publish.
COUNT_SLACK = 1

AUDIO = """\
audio:
  codec: aac
  bitrate: 96k
  channels: 2
  sample_rate: 48000
"""


def profile_yaml(kind, rendition):
    """A one-rung profile with 1 s segments; `{window}` is filled in per test."""
    return f"""\
name: malformed-{kind}
segment_seconds: 1
window_segments: {{window}}
video:
  encoder: libx264
  preset: ultrafast
  renditions:
{rendition}""" + AUDIO


PROFILES = {
    "copy": profile_yaml("copy", "    - name: source\n      copy: true\n"),
    "transcode": profile_yaml(
        "transcode",
        "    - name: 240p\n      width: 426\n      height: 240\n      bitrate: 300k\n      profile: baseline\n"),
}
VIDEO_RENDITION = {"copy": "source", "transcode": "240p"}
WINDOW = 60  # window_segments: far more than the clip's segments, so the playlists list all of them


@pytest.fixture(scope="module")
def bframe_clip(tmp_path_factory):
    """A 640x360 30 fps H.264 Main (B-frames, so non-reference frames exist) + AAC FLV."""
    path = tmp_path_factory.mktemp("malformed-clips") / "main.flv"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(CLIP_SECONDS),
         "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-bf", "3", "-g", str(GOP),
         "-keyint_min", str(GOP), "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "800k",
         "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-y", str(path)],
        check=True, timeout=120)
    return path


def api_stream(gateway, name):
    status, body = http_fetch(gateway.http_url(f"/api/streams/{name}"))
    return json.loads(body) if status == 200 else None


def media_playlist(url):
    status, body = http_fetch(url)
    return m3u8.loads(body.decode(), uri=url) if status == 200 else None


def last_segment(url):
    """Media sequence number of the newest segment a playlist lists (-1 before the first)."""
    playlist = media_playlist(url)
    if playlist is None or not playlist.segments:
        return -1
    return playlist.media_sequence + len(playlist.segments) - 1


# --- ISO BMFF checks -----------------------------------------------------------------------------

def pymp4_top(data, where):
    try:
        return pymp4_boxes(data)
    except Exception as error:  # construct raises many types; any of them is a broken file
        raise AssertionError(f"{where}: pymp4 cannot parse: {error!r}") from None


def check_init(data, where):
    """ftyp + moov; returns (handler type, NAL unit length size or None)."""
    top = pymp4_top(data, where)
    assert [b.type for b in top] == [b"ftyp", b"moov"], f"{where}: top-level boxes {[b.type for b in top]}"
    handler = pymp4_find(top[1], b"hdlr").handler_type
    if handler != b"vide":
        return handler, None
    avcc = pymp4_find(top[1], b"stsd").entries[0].avc_data
    return handler, avcc.nal_unit_length_field + 1


def check_segment(data, length_size, where):
    """(styp) moof mdat with trun sizes filling the mdat; with `length_size`, every sample's AVCC
    NAL units tile the sample exactly (ISO/IEC 14496-15 5.3.2). Returns the sample count."""
    top = pymp4_top(data, where)
    kinds = [b.type for b in top]
    assert kinds in ([b"styp", b"moof", b"mdat"], [b"moof", b"mdat"]), f"{where}: top-level boxes {kinds}"
    moof, mdat = top[-2], top[-1]
    trun = pymp4_find(moof, b"trun")
    assert trun is not None and trun.sample_count > 0, f"{where}: no samples"
    sizes = [s.sample_size for s in trun.sample_info]
    assert None not in sizes and sum(sizes) == len(mdat.data), \
        f"{where}: trun sizes {sum(s or 0 for s in sizes)} != mdat payload {len(mdat.data)}"
    if length_size:
        offset = 0
        for index, size in enumerate(sizes):
            sample = mdat.data[offset:offset + size]
            pos = 0
            while pos < len(sample):
                length = int.from_bytes(sample[pos:pos + length_size], "big")
                if pos + length_size + length > len(sample):
                    raise AssertionError(f"{where}: sample {index}: NAL unit at byte {pos} claims {length} bytes, "
                                         f"{max(0, len(sample) - pos - length_size)} left")
                pos += length_size + length
            offset += size
    return trun.sample_count


def ffmpeg_problems(path):
    """What ffprobe and a full ffmpeg decode report at error level for one file ('' when clean)."""
    problems = []
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv",
                            str(path)], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0 or probe.stderr.strip():
        lines = probe.stderr.strip().splitlines()
        problems.append(f"ffprobe exit {probe.returncode}, {len(lines)} error lines: {' | '.join(lines[:2])}")
    decode = subprocess.run([*FFMPEG, "-i", str(path), "-map", "0", "-f", "null", "-"],
                            capture_output=True, text=True, timeout=60)
    if decode.returncode != 0 or decode.stderr.strip():
        lines = decode.stderr.strip().splitlines()
        problems.append(f"ffmpeg decode exit {decode.returncode}, {len(lines)} error lines: {' | '.join(lines[:2])}")
    return "; ".join(problems)


def served_segments(gateway, name):
    """{rendition: (init bytes, [(segment uri, bytes)])} of every rendition the master lists."""
    master_url = gateway.http_url(f"/live/{name}/master.m3u8")
    status, body = http_fetch(master_url)
    assert status == 200, f"master.m3u8 answered {status}"
    master = m3u8.loads(body.decode(), uri=master_url)
    uris = [v.uri for v in master.playlists] + [m.uri for m in master.media if m.uri]
    assert uris, f"master lists nothing:\n{body.decode()}"
    out = {}
    for uri in uris:
        url = urljoin(master_url, uri)
        playlist = media_playlist(url)
        assert playlist is not None and playlist.segments, f"{uri}: no segments"
        assert playlist.is_endlist, f"{uri}: no EXT-X-ENDLIST after the publish ended"
        assert len(playlist.segments) < WINDOW, f"{uri}: {len(playlist.segments)} segments fill the window"
        init_uri = playlist.segments[0].init_section.uri
        status, init = http_fetch(urljoin(url, init_uri))
        assert status == 200, f"{uri}: {init_uri} answered {status}"
        segments = []
        for segment in playlist.segments:
            status, data = http_fetch(urljoin(url, segment.uri))
            assert status == 200, f"{uri}: {segment.uri} answered {status}"
            segments.append((segment.uri, data, segment.duration))
        out[uri.split("/")[0]] = (init, segments)
    return out


@pytest.mark.parametrize("ladder", sorted(PROFILES))
def test_overrunning_nal_lengths_are_dropped_and_counted(gateway_factory, tmp_path, bframe_clip, ladder):
    profile = tmp_path / f"{ladder}.yaml"
    profile.write_text(PROFILES[ladder].format(window=WINDOW))
    gateway = gateway_factory(profile=str(profile))
    name = f"malformed{ladder}"
    publisher = Publisher(gateway.rtmp_url(name), bframe_clip, corrupt_nal_every=CORRUPT_EVERY,
                          corrupt_frames="disposable").start()
    try:
        assert publisher.published.wait(20), f"publish not admitted: {publisher.error}"
        # Segments keep coming after the first corrupt frame.
        assert publisher.first_corrupted.wait(10), "the publisher corrupted no tag"
        video = VIDEO_RENDITION[ladder]
        video_url = gateway.http_url(f"/live/{name}/{video}/index.m3u8")
        at_first = last_segment(video_url)
        wait_for(lambda: last_segment(video_url) >= at_first + 2, 20,
                 f"two new {video} segments after the first corrupt frame (newest was {at_first})", interval=0.2)
        assert publisher.wait(CLIP_SECONDS + 20), "the publisher did not finish"
    finally:
        publisher.stop()
    assert publisher.error is None, f"the publish failed: {publisher.error!r}"
    corrupted = len(publisher.corrupted)
    media_tags = sum(1 for t, _, _ in publisher.tags if t in (8, 9))
    assert len(publisher.sent_timestamps) == media_tags, "the publisher stopped early"
    assert corrupted >= 10, f"only {corrupted} corrupted tags: the clip has too few non-reference frames"

    status = wait_for(lambda: (s := api_stream(gateway, name)) and s.get("state") == "ended" and s, 15,
                      f"{name} to be reported ended")
    problems = []
    errors = status.get("ingest_errors")
    if not isinstance(errors, int) or isinstance(errors, bool):
        problems.append(f"/api/streams/{name} has no integer ingest_errors: "
                        f"{ {k: v for k, v in status.items() if 'ingest' in k or 'error' in k} }")
    elif abs(errors - corrupted) > COUNT_SLACK:
        problems.append(f"ingest_errors {errors}, but the publisher corrupted {corrupted} tags")

    renditions = served_segments(gateway, name)
    video_names = [r for r in renditions if r != "audio"]
    assert video_names == [video] and "audio" in renditions, sorted(renditions)
    # The whole clip made it through: nothing was cut after the first bad frame.
    listed = sum(duration for _, _, duration in renditions[video][1])
    assert listed >= CLIP_SECONDS - 1.5, f"{video} lists {listed:.2f} s of a {CLIP_SECONDS} s clip"

    for rendition, (init, segments) in renditions.items():
        handler, length_size = check_init(init, f"{rendition}/init")
        assert (handler == b"vide") == (rendition != "audio"), (rendition, handler)
        for uri, data, _ in segments:
            where = f"{rendition}/{uri}"
            try:
                check_segment(data, length_size, where)
            except AssertionError as error:
                problems.append(str(error))
            joined = tmp_path / f"{rendition}-{uri}.mp4"
            joined.write_bytes(init + data)
            found = ffmpeg_problems(joined)
            if found:
                problems.append(f"{where}: {found}")
    assert not problems, f"{len(problems)} problems ({corrupted} corrupted tags):\n" + "\n".join(problems[:12])
    # The corrupt messages were dropped, not fatal: one publish from start to end.
    log = gateway.log()
    assert len(re.findall(rf"stream={name} .*publish start", log)) == 1, log[-2000:]
    assert gateway.proc.poll() is None
