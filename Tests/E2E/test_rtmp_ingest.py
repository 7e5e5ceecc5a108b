"""RTMP ingest end to end: real publishers (ffmpeg, GStreamer rtmp2sink) and real players
(ffmpeg, rtmpdump) against the gateway binary."""

import os
import random
import socket
import subprocess
from pathlib import Path

from conftest import FFMPEG, publish_ffmpeg, stop_process, wait_for


def video_hashes(framemd5_text: str):
    """The per-packet MD5 column of an ffmpeg framemd5 listing (video stream only)."""
    return [line.rsplit(",", 1)[1].strip() for line in framemd5_text.splitlines()
            if line and not line.startswith("#")]


def source_hashes(clip: Path):
    out = subprocess.run([*FFMPEG, "-i", str(clip), "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return video_hashes(out)


def start_rtmp_player(url, out_path: Path):
    return subprocess.Popen(
        [*FFMPEG, "-i", url, "-map", "0:v", "-c", "copy", "-f", "framemd5", str(out_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_ffmpeg_publish_and_play_is_bit_identical(gateway, clip10, tmp_path):
    expected = source_hashes(clip10)
    offset = gateway.log_offset()
    publisher = publish_ffmpeg(gateway.rtmp_url("bitexact"), clip10)
    gateway.wait_log(r"stream=bitexact .*publish start", 20, after=offset)
    played_path = tmp_path / "played.md5"
    player = start_rtmp_player(gateway.rtmp_url("bitexact"), played_path)
    try:
        assert publisher.wait(60) == 0, publisher.stderr.read().decode()
        # The player sees the source's last packet, then the publisher's end closes its stream.
        wait_for(lambda: played_path.exists() and expected[-1] in played_path.read_text(), 20,
                 "the player to receive the last source packet")
    finally:
        stop_process(player, timeout=5)
    played = video_hashes(played_path.read_text())
    assert len(played) >= len(expected) // 2, f"played only {len(played)} of {len(expected)} packets"
    start = expected.index(played[0])  # a GOP-cache start: must be a source packet
    assert played == expected[start:start + len(played)], "played packets differ from the source"
    assert played[-1] == expected[-1]


def test_gstreamer_rtmp2sink_publish_and_rtmpdump_play(gateway, tmp_path):
    offset = gateway.log_offset()
    gst = subprocess.Popen(
        ["timeout", "-k", "3", "-s", "INT", "20", "gst-launch-1.0", "-q",
         "videotestsrc", "is-live=true", "pattern=ball", "!", "video/x-raw,width=640,height=360,framerate=30/1",
         "!", "x264enc", "tune=zerolatency", "speed-preset=veryfast", "key-int-max=30", "bitrate=800",
         "!", "video/x-h264,profile=main", "!", "h264parse", "!", "flvmux", "name=m", "streamable=true",
         "!", "rtmp2sink", f"location={gateway.rtmp_url('gst')}",
         "audiotestsrc", "is-live=true", "wave=sine", "!", "audioconvert", "!", "audioresample",
         "!", "audio/x-raw,rate=48000,channels=2", "!", "avenc_aac", "!", "aacparse", "!", "m."],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        gateway.wait_log(r"stream=gst .*publish start", 20, after=offset)
        dump = tmp_path / "dump.flv"
        subprocess.run(["timeout", "-k", "3", "6", "rtmpdump", "--live", "-q", "-r", gateway.rtmp_url("gst"),
                        "-o", str(dump)], timeout=15)
    finally:
        stop_process(gst, timeout=10)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
         "stream=codec_type,codec_name,width,height,nb_read_packets", "-of", "json", str(dump)],
        check=True, capture_output=True, text=True).stdout
    import json
    streams = {s["codec_type"]: s for s in json.loads(probe)["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert (streams["video"]["width"], streams["video"]["height"]) == (640, 360)
    assert int(streams["video"]["nb_read_packets"]) >= 60, streams["video"]
    assert streams["audio"]["codec_name"] == "aac"
    assert int(streams["audio"]["nb_read_packets"]) >= 50


KEYS_CONFIG = """
rtmp:
  app: live
streams:
  secured: { key: "hunter2-secret" }
"""


def test_wrong_or_missing_key_is_refused_without_logging_the_secret(gateway_factory, clip10, tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(KEYS_CONFIG)
    gw = gateway_factory("--config", str(config))
    for name, reason in [("secured?key=wrong-guess", "wrong_key"), ("secured", "missing_key"),
                         ("unknown?key=hunter2-secret", "bad_name")]:
        offset = gw.log_offset()
        publisher = publish_ffmpeg(gw.rtmp_url(name), clip10)
        assert publisher.wait(30) != 0, f"publish to {name} should fail"
        gw.wait_log(rf"publish refused.*reason={reason}|reason={reason}.*publish refused", 10, after=offset)
    # The right key publishes.
    offset = gw.log_offset()
    ok = publish_ffmpeg(gw.rtmp_url("secured?key=hunter2-secret"), clip10)
    try:
        gw.wait_log(r"stream=secured .*publish start", 20, after=offset)
    finally:
        stop_process(ok)
    log = gw.log()
    assert "hunter2-secret" not in log and "wrong-guess" not in log


def test_second_publisher_takes_over(gateway, clip10):
    offset = gateway.log_offset()
    first = publish_ffmpeg(gateway.rtmp_url("takeover"), clip10, loop=True)
    second = None
    try:
        gateway.wait_log(r"stream=takeover .*publish start", 20, after=offset)
        offset = gateway.log_offset()
        second = publish_ffmpeg(gateway.rtmp_url("takeover"), clip10, loop=True)
        gateway.wait_log(r"publish takeover", 20, after=offset)
        # The first publisher's connection is closed by the gateway, so its ffmpeg exits.
        first.wait(20)
        assert second.poll() is None, "the new publisher must keep publishing"
        assert "taken over by a new publisher" in gateway.log()
    finally:
        stop_process(first)
        if second:
            stop_process(second)


def test_garbage_on_the_port_does_not_disturb_a_live_stream(gateway, clip10, tmp_path):
    offset = gateway.log_offset()
    publisher = publish_ffmpeg(gateway.rtmp_url("steady"), clip10)
    played_path = tmp_path / "steady.md5"
    player = None
    try:
        gateway.wait_log(r"stream=steady .*publish start", 20, after=offset)
        rng = random.Random(1234)
        # Random bytes, a valid C0 followed by garbage, and a bad version byte.
        payloads = [bytes(rng.getrandbits(8) for _ in range(4096)),
                    b"\x03" + bytes(1536) + bytes(rng.getrandbits(8) for _ in range(3000)),
                    b"\x06" + bytes(2000)]
        for payload in payloads:
            with socket.create_connection(("127.0.0.1", gateway.rtmp_port), timeout=5) as s:
                s.sendall(payload)
                s.settimeout(10)
                try:
                    while s.recv(65536):
                        pass  # the gateway answers (S0S1S2) and then closes on the bad bytes
                except (ConnectionResetError, socket.timeout):
                    pass
        gateway.wait_log(r"connection closed", 15, after=offset)
        player = start_rtmp_player(gateway.rtmp_url("steady"), played_path)
        assert publisher.wait(60) == 0
        wait_for(lambda: played_path.exists() and len(video_hashes(played_path.read_text())) > 60, 20,
                 "the concurrent stream to keep flowing to a player")
        assert "publish stop" in gateway.log()[offset:]
    finally:
        stop_process(publisher)
        if player:
            stop_process(player, timeout=5)


def test_read_batching_is_off_for_an_encoded_ladder_and_on_for_passthrough(gateway_factory, clip10):
    """Batching trades up to read_batching_ms of latency for fewer wake-ups: worth it for copy
    streams, not where an encoder's delay already fills the latency budget."""
    for profile, expected in [("profiles/test-small.yaml", "off (encoded ladder)"),
                              ("profiles/passthrough.yaml", "150ms")]:
        gateway = gateway_factory(profile=profile)
        publisher = publish_ffmpeg(gateway.rtmp_url("batching"), clip10)
        try:
            line = gateway.wait_log(r".*stream=batching .*publish start", 20).group(0)
            assert f"read_batching={expected} " in line, f"{profile}: {line}"
        finally:
            stop_process(publisher)
