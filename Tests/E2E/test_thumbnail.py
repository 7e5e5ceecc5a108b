"""Stream thumbnails: /live/NAME/thumbnail.jpg is a JPEG of the top rung's newest segment-start
picture (MJPEG from libavcodec), refreshed every segment, short-lived in caches, checked like every
other URL of a protected stream, and absent with thumbnail_width: 0."""

import subprocess
import urllib.request

from clients.probe import probe_jpeg
from conftest import GATEWAY_BIN, Gateway, http_fetch, publish_ffmpeg, stop_process, wait_for


def test_thumbnail_is_a_fresh_jpeg_of_the_top_rung(tmp_path, clip10):
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml"])
    publisher = publish_ffmpeg(gw.rtmp_url("thumbs"), clip10, loop=True)
    try:
        url = gw.http_url("/live/thumbs/thumbnail.jpg")
        first = wait_for(lambda: (r := http_fetch(url)) and r[0] == 200 and r[1], 20, "a thumbnail")
        stream = probe_jpeg(first, tmp_path)
        # test-small.yaml's top rung is 640x360.
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("mjpeg", 640, 360), stream
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.headers["Content-Type"] == "image/jpeg"
            assert "immutable" not in response.headers["Cache-Control"], response.headers["Cache-Control"]
        # ?width= gives a smaller one (rounded down to a multiple of 16; never larger).
        small = http_fetch(url + "?width=170")
        assert small[0] == 200, small[0]
        assert (lambda s: (s["width"], s["height"]))(probe_jpeg(small[1], tmp_path)) == (160, 90)
        assert (lambda s: (s["width"], s["height"]))(probe_jpeg(http_fetch(url + "?width=3840")[1], tmp_path)) == (640, 360)
        for bad in ("10", "abc", "99999"):
            assert http_fetch(url + "?width=" + bad)[0] == 400, bad
        # A new one every segment (1 s here): the moving test pattern makes each one different.
        wait_for(lambda: (r := http_fetch(url))[0] == 200 and r[1] != first, 10, "a newer thumbnail")
    finally:
        stop_process(publisher)
        gw.stop()


def test_no_thumbnail_when_turned_off(tmp_path, clip10):
    config = tmp_path / "gateway.yaml"
    config.write_text("thumbnail_width: 0\n")
    gw = Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])
    publisher = publish_ffmpeg(gw.rtmp_url("plain"), clip10, loop=True)
    try:
        wait_for(lambda: http_fetch(gw.http_url("/live/plain/360p/index.m3u8"))[0] == 200, 20, "the stream")
        wait_for(lambda: b"seg-2" in http_fetch(gw.http_url("/live/plain/360p/index.m3u8"))[1], 20, "segments")
        assert http_fetch(gw.http_url("/live/plain/thumbnail.jpg"))[0] == 404
    finally:
        stop_process(publisher)
        gw.stop()


def test_thumbnail_of_a_protected_stream_needs_its_token(tmp_path, clip10):
    (tmp_path / "secrets.txt").write_text("k1 thumb-secret-0123456789\n")
    config = tmp_path / "gateway.yaml"
    config.write_text(f"playback: {{ require_token: true, secret_file: {tmp_path / 'secrets.txt'} }}\n")
    gw = Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])
    publisher = publish_ffmpeg(gw.rtmp_url("vault"), clip10, loop=True)
    try:
        signed = subprocess.run([GATEWAY_BIN, "sign", "vault", "--config", str(config), "--base-url",
                                 gw.http_url("")], capture_output=True, text=True, check=True,
                                timeout=20).stdout.strip()
        thumb = signed.replace("master.m3u8", "thumbnail.jpg")
        body = wait_for(lambda: (r := http_fetch(thumb)) and r[0] == 200 and r[1], 20, "the signed thumbnail")
        assert body[:2] == b"\xff\xd8"
        status, text = http_fetch(gw.http_url("/live/vault/thumbnail.jpg"))
        assert status == 403 and text == b"forbidden: missing\n", (status, text)
    finally:
        stop_process(publisher)
        gw.stop()

