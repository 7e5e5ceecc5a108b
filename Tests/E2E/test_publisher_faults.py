"""Publisher faults end to end (issue "Reliability"): killed, reconnecting, resizing, jumping,
wrapping, single-track and silent publishers.

Every case checks what a viewer sees afterwards: the media playlists end (EXT-X-ENDLIST), mark a
discontinuity where the publisher's timeline broke, every listed init and media segment is
fetchable, and ffmpeg decodes the whole playlist. Each part of a publish is tinted its own
colour (red, green, blue), so counting decoded frames by colour proves that every part made it
through, in order. Afterwards the gateway must be back to its thread count from before the publish.

The gateway runs a copy of profiles/test-small.yaml with a long window, so that the playlists
still list the first part when the last one ends, and an RTMP idle timeout of 3 s.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FFMPEG, REPO, http_fetch, mp4_boxes, publish_ffmpeg, stop_process, wait_for

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher  # noqa: E402

FPS = 30
IDLE_TIMEOUT = 3
# Threads a gateway may legitimately gain over a run (Dispatch/cooperative pool workers).
THREAD_TOLERANCE = 3
# Share of a part's frames that must decode (the last GOP before a kill may be cut).
MIN_SHARE = 0.85
# Parts of the clip whose timestamps jump at the start of the second part.
JUMP_PARTS = [("R", 2), ("G", 2), ("B", 3)]
# colorchannelmixer settings that turn testsrc2 into a red, green or blue picture of its luma.
TINTS = {
    "R": "rr=0.3:rg=0.59:rb=0.11:gr=0:gg=0:gb=0:br=0:bg=0:bb=0",
    "G": "rr=0:rg=0:rb=0:gr=0.3:gg=0.59:gb=0.11:br=0:bg=0:bb=0",
    "B": "rr=0:rg=0:rb=0:gr=0:gg=0:gb=0:br=0.3:bg=0.59:bb=0.11",
}


# --- Clips ---

def tinted_clip(path: Path, parts, size="640x360", gop=60, audio=True):
    """An H.264/AAC FLV of consecutive (tint, seconds) parts in one encode."""
    if path.exists():
        return path
    chains, labels = [], []
    for index, (tint, seconds) in enumerate(parts):
        chains.append(f"testsrc2=size={size}:rate={FPS}:duration={seconds},colorchannelmixer={TINTS[tint]}[p{index}]")
        labels.append(f"[p{index}]")
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={len(parts)}:v=1:a=0[v]"
    total = sum(seconds for _, seconds in parts)
    command = [*FFMPEG, "-filter_complex", graph]
    if audio:
        command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    command += ["-map", "[v]"]
    if audio:
        command += ["-map", "0:a", "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2"]
    command += ["-t", str(total), "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop), "-keyint_min", str(gop),
                "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "800k", "-y", str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault-clips")

    def clip(name, parts, **options):
        return tinted_clip(folder / f"{name}.flv", parts, **options)

    return clip


# --- Gateway and /proc ---

def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


@pytest.fixture
def faulty_gateway(gateway_factory, tmp_path):
    """A gateway with a long playlist window and a 3 s idle timeout; its thread count at start
    is `baseline_threads`."""
    profile = tmp_path / "faults.yaml"
    text = (REPO / "profiles/test-small.yaml").read_text()
    profile.write_text(re.sub(r"(?m)^window_segments: \d+", "window_segments: 200", text))
    config = tmp_path / "gateway.yaml"
    config.write_text(f"rtmp:\n  idle_timeout_seconds: {IDLE_TIMEOUT}\n")
    gateway = gateway_factory("--config", str(config), profile=str(profile))
    gateway.baseline_threads = thread_count(gateway.proc.pid)
    return gateway


def api_stream(gateway, name):
    status, body = http_fetch(gateway.http_url(f"/api/streams/{name}"))
    assert status == 200, f"/api/streams/{name} answered {status}"
    return json.loads(body)


def assert_threads_settle(gateway, name):
    """After the stream ended, the gateway's threads go back to the baseline (with a deadline)."""
    wait_for(lambda: api_stream(gateway, name)["state"] == "ended", 15, f"{name} to be reported ended")
    pid = gateway.proc.pid
    limit = gateway.baseline_threads + THREAD_TOLERANCE
    try:
        wait_for(lambda: thread_count(pid) <= limit, 20, f"threads <= {limit}", interval=0.25)
    except AssertionError:
        names = sorted(Path(f"/proc/{pid}/task/{task}/comm").read_text().strip()
                       for task in os.listdir(f"/proc/{pid}/task"))
        raise AssertionError(f"{thread_count(pid)} threads stay behind (baseline {gateway.baseline_threads}): "
                             f"{names}") from None


# --- Playlists ---

def media_playlist(gateway, name, rendition):
    status, body = http_fetch(gateway.http_url(f"/live/{name}/{rendition}/index.m3u8"))
    return body.decode(errors="replace") if status == 200 else None


def parse_media_playlist(text):
    """Segments of a media playlist (RFC 8216 4.3.2) as dicts: uri, duration, discontinuity, map."""
    segments, pending_discontinuity, current_map, duration = [], False, None, None
    for line in text.splitlines():
        line = line.strip()
        if line == "#EXT-X-DISCONTINUITY":
            pending_discontinuity = True
        elif line.startswith("#EXT-X-MAP:"):
            current_map = re.search(r'URI="([^"]+)"', line).group(1)
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line and not line.startswith("#"):
            segments.append({"uri": line, "duration": duration, "discontinuity": pending_discontinuity,
                             "map": current_map})
            pending_discontinuity, duration = False, None
    return segments


def parts_of(segments):
    """Segments split at every EXT-X-DISCONTINUITY."""
    parts = [[]]
    for segment in segments:
        if segment["discontinuity"] and parts[-1]:
            parts.append([])
        parts[-1].append(segment)
    return parts


def rendition_names(gateway, name):
    """Media playlist folders the master playlist names (video variants and audio renditions)."""
    status, body = http_fetch(gateway.http_url(f"/live/{name}/master.m3u8"))
    assert status == 200, f"master.m3u8 answered {status}"
    text = body.decode()
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    uris += re.findall(r'URI="([^"]+)"', text)
    return sorted({uri.split("/")[0] for uri in uris})


def wait_ended(gateway, name, renditions, timeout=20):
    """Waits until every named media playlist ends with EXT-X-ENDLIST; returns their texts."""
    def ended():
        texts = {r: media_playlist(gateway, name, r) for r in renditions}
        return texts if all(t and t.rstrip().endswith("#EXT-X-ENDLIST") for t in texts.values()) else None

    return wait_for(ended, timeout, f"EXT-X-ENDLIST in {name}/{renditions}", interval=0.25)


def wait_segments(gateway, name, count, rendition="360p", timeout=30):
    def listed():
        text = media_playlist(gateway, name, rendition)
        return text is not None and len(parse_media_playlist(text)) >= count

    wait_for(listed, timeout, f"{count} segments in {name}/{rendition}", interval=0.2)


def assert_fetchable(gateway, name, rendition, text):
    """Every init and media segment the playlist lists answers 200 with well-formed boxes."""
    base = f"/live/{name}/{rendition}/"
    segments = parse_media_playlist(text)
    assert segments, f"{rendition} lists no segment"
    inits = {}
    for uri in sorted({s["map"] for s in segments if s["map"]}):
        status, body = http_fetch(gateway.http_url(base + uri))
        assert status == 200 and body, f"{rendition}/{uri} answered {status}"
        kinds = [path for path, _ in mp4_boxes(body)]
        assert "moov" in kinds, f"{rendition}/{uri} has no moov: {kinds[:8]}"
        inits[uri] = mp4_boxes(body)
    for segment in segments:
        assert segment["map"], f"{rendition}/{segment['uri']} has no EXT-X-MAP before it"
        status, body = http_fetch(gateway.http_url(base + segment["uri"]))
        assert status == 200 and body, f"{rendition}/{segment['uri']} answered {status}"
        kinds = [path for path, _ in mp4_boxes(body)]
        assert "moof" in kinds and "mdat" in kinds, f"{rendition}/{segment['uri']}: {kinds[:8]}"
    return inits


def visual_size(init_boxes):
    """(width, height) of the avc1 sample entry (ISO/IEC 14496-12 12.1.3) of an init segment."""
    for path, payload in init_boxes:
        if path.endswith("/avc1"):
            return int.from_bytes(payload[24:26], "big"), int.from_bytes(payload[26:28], "big")
    return None


# --- Decoding ---

def decoded_tints(url, timeout=90):
    """Decodes a whole media playlist with ffmpeg; returns one letter (R/G/B) per decoded frame,
    from each frame's dominant colour."""
    done = subprocess.run(
        [*FFMPEG, "-i", url, "-map", "0:v:0", "-fps_mode", "passthrough", "-vf", "scale=1:1:flags=area",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, timeout=timeout)
    assert done.returncode == 0, f"ffmpeg could not decode {url}: {done.stderr.decode()[-1500:]}"
    pixels = done.stdout
    return "".join("RGB"[max(range(3), key=lambda c: pixels[i + c])] for i in range(0, len(pixels) - 2, 3))


def decoded_audio_seconds(url, timeout=60):
    """Decodes an audio playlist with ffmpeg; returns the decoded duration."""
    done = subprocess.run([*FFMPEG, "-i", url, "-map", "0:a:0", "-f", "framecrc", "-"], capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"ffmpeg could not decode {url}: {done.stderr[-1500:]}"
    total = 0
    for line in done.stdout.splitlines():
        if line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]
            total += int(fields[3])
    return total / 48000  # framecrc durations are in the stream time base, 1/48000 for this AAC


def runs(letters):
    """'RRRGGB' -> [('R', 3), ('G', 2), ('B', 1)]."""
    out = []
    for letter in letters:
        if out and out[-1][0] == letter:
            out[-1] = (letter, out[-1][1] + 1)
        else:
            out.append((letter, 1))
    return out


def frames_listed(segments):
    return round(sum(s["duration"] for s in segments) * FPS)


def check_playable(gateway, name, renditions, expected_tints=None, hole_seconds=0.0):
    """The stream ended; every playlist is fetchable; video decodes with the tints expected
    (in that order), at least MIN_SHARE of the frames its segments list (less `hole_seconds`
    of listed time without pictures); audio decodes. Returns {rendition: playlist text}."""
    texts = wait_ended(gateway, name, renditions)
    for rendition, text in texts.items():
        assert_fetchable(gateway, name, rendition, text)
        url = gateway.http_url(f"/live/{name}/{rendition}/index.m3u8")
        segments = parse_media_playlist(text)
        listed = sum(s["duration"] for s in segments) - hole_seconds
        if rendition == "audio":
            decoded = decoded_audio_seconds(url)
            assert decoded >= MIN_SHARE * listed, f"audio decoded {decoded:.2f}s of {listed:.2f}s listed"
            continue
        tints = decoded_tints(url)
        assert len(tints) >= MIN_SHARE * listed * FPS, (
            f"{rendition}: {len(tints)} frames decoded for {listed:.2f}s listed (after a {hole_seconds}s hole)")
        if expected_tints:
            order = [letter for letter, _ in runs(tints)]
            assert order == list(expected_tints), f"{rendition}: decoded parts {runs(tints)}"
    return texts


# --- Cases ---

def test_publisher_killed_mid_gop_ends_the_playlists(faulty_gateway, clips):
    gw = faulty_gateway
    clip = clips("red10", [("R", 10)], gop=60)
    offset = gw.log_offset()
    publisher = publish_ffmpeg(gw.rtmp_url("killed"), clip, loop=True)
    try:
        gw.wait_log(r"stream=killed .*publish start", 20, after=offset)
        wait_segments(gw, "killed", 3)
        # A random point within the source's 2 s GOP (seeded per run, printed on failure).
        seed = random.randrange(1 << 30)
        delay = random.Random(seed).uniform(0.05, 1.95)
        print(f"SIGKILL {delay:.2f}s after the third segment (seed {seed})")
        with pytest.raises(subprocess.TimeoutExpired):  # still publishing at the kill point
            publisher.wait(delay)
        publisher.send_signal(signal.SIGKILL)
        publisher.wait(10)
        gw.wait_log(r"stream=killed .*publish stop|publish stop.*stream=killed", 10, after=offset)
    finally:
        stop_process(publisher)
    texts = check_playable(gw, "killed", ["360p", "240p", "audio"], expected_tints="R")
    assert "#EXT-X-DISCONTINUITY\n" not in texts["360p"], f"seed {seed}: one publish, no discontinuity"
    assert_threads_settle(gw, "killed")


def test_reconnect_within_seconds_continues_with_a_discontinuity(faulty_gateway, clips):
    gw = faulty_gateway
    red, blue = clips("red10", [("R", 10)]), clips("blue5", [("B", 5)])
    offset = gw.log_offset()
    first = publish_ffmpeg(gw.rtmp_url("again"), red, loop=True)
    second = None
    try:
        gw.wait_log(r"stream=again .*publish start", 20, after=offset)
        wait_segments(gw, "again", 3)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = publish_ffmpeg(gw.rtmp_url("again"), blue)
        wait_for(lambda: len(re.findall(r"stream=again .*publish start", gw.log()[offset:])) >= 2, 20,
                 "the second publish to start")

        def reopened():
            text = media_playlist(gw, "again", "360p")
            return text if text and len(parts_of(parse_media_playlist(text))) == 2 else None

        # While the second publish runs the stream is live again: no EXT-X-ENDLIST (RFC 8216
        # 4.3.3.4), a dynamic MPD.
        live_text = wait_for(reopened, 20, "a segment of the second publish", interval=0.2)
        status, mpd = http_fetch(gw.http_url("/live/again/manifest.mpd"))
        assert second.poll() is None, "the second publish ended before it could be checked"
        assert "#EXT-X-ENDLIST" not in live_text, f"a live playlist must not end:\n{live_text}"
        assert status == 200 and 'type="dynamic"' in mpd.decode(), mpd.decode()[:300]
        assert second.wait(60) == 0, second.stderr.read().decode()[-1000:]
    finally:
        stop_process(first)
        if second:
            stop_process(second)
    texts = check_playable(gw, "again", ["360p", "240p", "audio"], expected_tints="RB")
    for rendition, text in texts.items():
        parts = parts_of(parse_media_playlist(text))
        assert len(parts) == 2, f"{rendition}: {len(parts)} parts, expected one EXT-X-DISCONTINUITY"
    tints = decoded_tints(gw.http_url("/live/again/360p/index.m3u8"))
    red_part, blue_part = parts_of(parse_media_playlist(texts["360p"]))
    for tint, part in (("R", red_part), ("B", blue_part)):
        listed = frames_listed(part)
        assert tints.count(tint) >= MIN_SHARE * listed, f"{tints.count(tint)} {tint} frames of {listed} listed"
    assert api_stream(gw, "again")["discontinuities"] >= 1
    assert_threads_settle(gw, "again")


def test_reconnect_with_another_resolution_gets_new_init_segments(faulty_gateway, clips):
    gw = faulty_gateway
    red = clips("red10", [("R", 10)])
    blue = clips("blue4-480x272", [("B", 4)], size="480x272")
    offset = gw.log_offset()
    first = publish_ffmpeg(gw.rtmp_url("resize"), red, loop=True)
    second = None
    try:
        gw.wait_log(r"stream=resize .*publish start", 20, after=offset)
        wait_segments(gw, "resize", 3)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = publish_ffmpeg(gw.rtmp_url("resize"), blue)
        assert second.wait(60) == 0, second.stderr.read().decode()[-1000:]
    finally:
        stop_process(first)
        if second:
            stop_process(second)
    # 360p (640x360) would upscale a 480x272 source: it ends with the first part and leaves the
    # master; 240p continues after a discontinuity with a new init segment of the new size.
    wait_ended(gw, "resize", ["360p", "240p", "audio"])
    assert rendition_names(gw, "resize") == ["240p", "audio"]
    texts = check_playable(gw, "resize", ["240p", "audio"], expected_tints="RB")
    inits = assert_fetchable(gw, "resize", "240p", texts["240p"])
    parts = parts_of(parse_media_playlist(texts["240p"]))
    assert len(parts) == 2, f"240p: {len(parts)} parts"
    old_map, new_map = parts[0][0]["map"], parts[1][0]["map"]
    assert old_map != new_map, "the changed rung must announce a new EXT-X-MAP"
    assert visual_size(inits[old_map]) == (426, 240)
    assert visual_size(inits[new_map]) == (424, 240), visual_size(inits[new_map])
    # The 360p playlist keeps the first part only and stays playable.
    check_playable(gw, "resize", ["360p"], expected_tints="R")
    assert_threads_settle(gw, "resize")


def publish_python(gw, name, clip, **options):
    """Runs the scripted publisher to the end; returns it."""
    offset = gw.log_offset()
    publisher = Publisher(gw.rtmp_url(name), clip, **options).start()
    try:
        assert publisher.published.wait(20), f"publish of {name} was not accepted: {publisher.error}"
        assert publisher.wait(60), "the scripted publisher did not finish"
    finally:
        publisher.stop()
    assert publisher.error is None, publisher.error
    gw.wait_log(rf"stream={name} .*publish stop|publish stop.*stream={name}", 10, after=offset)
    return publisher


def test_timestamp_jump_forward_keeps_every_part(faulty_gateway, clips):
    gw = faulty_gateway
    # Keyframes every second, so each part starts on one.
    clip = clips("rgb-jump", JUMP_PARTS, gop=30)
    # From 2 s on the encoder's clock runs 20 s ahead.
    publish_python(gw, "ahead", clip, jumps=[(2000, 20000)])
    # The gateway shows the last picture before a jump for up to two segments (2 s here).
    texts = check_playable(gw, "ahead", ["360p", "240p", "audio"], expected_tints="RGB", hole_seconds=2.0)
    tints = decoded_tints(gw.http_url("/live/ahead/360p/index.m3u8"))
    counts = {t: tints.count(t) for t in "RGB"}
    assert counts["G"] + counts["B"] >= MIN_SHARE * 5 * FPS, f"frames after the jump: {counts}"
    segments = parse_media_playlist(texts["360p"])
    # The output timeline does not carry the 20 s gap.
    assert sum(s["duration"] for s in segments) <= 7 + 2.1, [s["duration"] for s in segments]
    assert_threads_settle(gw, "ahead")


def test_timestamp_jump_backward_keeps_every_part(faulty_gateway, clips):
    gw = faulty_gateway
    clip = clips("rgb-jump", JUMP_PARTS, gop=30)
    # At 2 s the encoder restarts its clock at 0 (an encoder restart without reconnecting).
    publish_python(gw, "behind", clip, jumps=[(2000, -2000)])
    texts = wait_ended(gw, "behind", ["360p", "240p", "audio"])
    tints = decoded_tints(gw.http_url("/live/behind/360p/index.m3u8"))
    counts = {t: tints.count(t) for t in "RGB"}
    assert counts["G"] >= MIN_SHARE * 2 * FPS and counts["B"] >= MIN_SHARE * 3 * FPS, (
        f"frames decoded per part (published R=60 G=60 B=90): {counts}; runs {runs(tints)}")
    check_playable(gw, "behind", list(texts), expected_tints="RGB")
    assert_threads_settle(gw, "behind")


def test_timestamps_wrapping_at_2_pow_32_ms_keep_segments_coming(faulty_gateway, clips):
    gw = faulty_gateway
    clip = clips("red6", [("R", 6)])
    # The first tag is sent at 2^32 - 3 s: the 32-bit RTMP timestamp wraps 3 s into the clip.
    publisher = publish_python(gw, "wrap", clip, offset_ms=(1 << 32) - 3000)
    sent = [ts for _, ts in publisher.sent_timestamps]
    assert max(sent) > (1 << 32) - 100 and min(sent) < 1000, "the publisher must have crossed the wrap"
    texts = check_playable(gw, "wrap", ["360p", "240p", "audio"], expected_tints="R")
    for rendition in ("360p", "240p"):
        segments = parse_media_playlist(texts[rendition])
        durations = [s["duration"] for s in segments]
        assert len(segments) >= 5, f"{rendition}: only {len(segments)} segments: {durations}"
        assert max(durations) <= 1.5, f"{rendition}: a hole at the wrap: {durations}"
        assert not any(s["discontinuity"] for s in segments), "a wrap is not a discontinuity"
    assert_threads_settle(gw, "wrap")


@pytest.mark.parametrize("keep", ["audio", "video"])
def test_single_track_publish_is_playable(faulty_gateway, clips, keep):
    gw = faulty_gateway
    clip = clips("red10", [("R", 10)])
    name = f"only-{keep}"
    offset = gw.log_offset()
    publisher = subprocess.Popen(
        [*FFMPEG, "-re", "-t", "5", "-i", str(clip), "-vn" if keep == "audio" else "-an", "-c", "copy", "-f", "flv",
         gw.rtmp_url(name)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        gw.wait_log(rf"stream={name} .*publish start", 20, after=offset)
        assert publisher.wait(60) == 0, publisher.stderr.read().decode()[-1000:]
    finally:
        stop_process(publisher)
    expected = ["audio"] if keep == "audio" else ["240p", "360p"]
    wait_ended(gw, name, expected)
    assert rendition_names(gw, name) == expected
    check_playable(gw, name, expected, expected_tints=None if keep == "audio" else "R")
    status, body = http_fetch(gw.http_url(f"/live/{name}/manifest.mpd"))
    assert status == 200
    content_types = set(re.findall(r'contentType="(\w+)"', body.decode()))
    assert content_types == {keep}, content_types
    assert_threads_settle(gw, name)


def test_silent_publisher_is_closed_after_the_idle_timeout(faulty_gateway, clips):
    gw = faulty_gateway
    clip = clips("red10", [("R", 10)])
    offset = gw.log_offset()
    publisher = publish_ffmpeg(gw.rtmp_url("silent"), clip, loop=True)
    try:
        gw.wait_log(r"stream=silent .*publish start", 20, after=offset)
        wait_segments(gw, "silent", 3)
        # SIGSTOP: ffmpeg keeps its TCP connection open but sends nothing more.
        publisher.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        gw.wait_log(r"no data for \d+ s.*connection closed|connection closed.*no data for \d+ s",
                    IDLE_TIMEOUT + 4, after=offset)
        detected = time.monotonic() - stopped_at
        assert detected <= IDLE_TIMEOUT + 2, f"a dead publisher was detected after {detected:.1f}s"
        gw.wait_log(r"publish stop.*no data|no data.*publish stop", 5, after=offset)
        wait_ended(gw, "silent", ["360p", "240p", "audio"], timeout=10)
    finally:
        publisher.send_signal(signal.SIGKILL)
        publisher.send_signal(signal.SIGCONT)
        stop_process(publisher)
    check_playable(gw, "silent", ["360p", "240p", "audio"], expected_tints="R")
    assert_threads_settle(gw, "silent")
