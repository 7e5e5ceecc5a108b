"""Publisher gaps (issue "Recording, DVR and VOD"): a publisher that vanishes (its connection cut,
no unpublish) leaves its stream live for `reconnect_grace_seconds`, on a slate: every rendition
keeps getting segments of the last picture with silence, so hls.js keeps playing; when the
publisher returns, its own picture follows a discontinuity. (The grace expiring into ENDLIST is
in test_recording.py.)"""

import re
import signal
import subprocess

from clients import browser
from conftest import FFMPEG, Gateway, fetch_text, poll, publish_ffmpeg, stop_process, wait_for

PROFILE = "profiles/test-small.yaml"


def black_clip(path, seconds=20):
    """A black H.264/AAC clip: its luma average is far from testsrc2's."""
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "color=c=black:size=640x360:rate=30", "-f", "lavfi",
         "-i", "sine=frequency=220:sample_rate=48000", "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast",
         "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000", "-ac", "2", "-y", str(path)],
        check=True, timeout=120)
    return path


def newest(gw, name):
    """(media sequence of the last listed segment, its URI, the playlist text) of the 360p rung;
    (0, None, "") before there is a playlist."""
    try:
        text = fetch_text(gw.http_url(f"/live/{name}/360p/index.m3u8"))
    except OSError:
        return 0, None, ""
    first = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    uris = [line for line in text.splitlines() if line.startswith("seg-")]
    return first + len(uris) - 1, uris[-1], text


def mean_luma(gw, name, uri, workdir):
    """YAVG (signalstats) of the first frame of a 360p segment, decoded by ffmpeg."""
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', fetch_text(gw.http_url(f"/live/{name}/360p/index.m3u8")))
    data = subprocess.run(["curl", "-fsS", gw.http_url(f"/live/{name}/360p/{init.group(1)}")],
                          capture_output=True, check=True).stdout
    data += subprocess.run(["curl", "-fsS", gw.http_url(f"/live/{name}/360p/{uri}")],
                           capture_output=True, check=True).stdout
    path = workdir / "probe.mp4"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-f", "lavfi", "-show_entries", "frame_tags=lavfi.signalstats.YAVG", "-of",
         "csv=p=0", f"movie={path},signalstats"], capture_output=True, text=True, timeout=30).stdout
    values = [float(v) for v in out.split() if v]
    return values[0] if values else None


def test_a_vanished_publisher_leaves_a_slate_that_hlsjs_plays_until_it_returns(tmp_path, clip10):
    black = black_clip(tmp_path / "black.flv")
    workdir = tmp_path / "gw"
    workdir.mkdir()
    (workdir / "gateway.yaml").write_text("reconnect_grace_seconds: 20\n")
    gw = Gateway(workdir, ["--profile", PROFILE, "--config", str(workdir / "gateway.yaml")])
    first = publish_ffmpeg(gw.rtmp_url("gap"), clip10, loop=True)
    second = None
    driver = browser.make_driver()
    try:
        wait_for(lambda: first.poll() is None and newest(gw, "gap")[0] >= 4, 40, "four segments")
        driver.get(gw.http_url("/live/gap/?player=hls.js"))
        state = lambda: browser.player_state(driver) or {}
        wait_for(lambda: state().get("currentTime", 0) > 1, 30, "hls.js playing")
        before = newest(gw, "gap")[0]
        first.send_signal(signal.SIGKILL)  # the connection is cut: no FCUnpublish, no deleteStream
        first.wait(10)
        gw.wait_log(r"publisher vanished; stream stays live for a reconnect, on a slate", 10)
        start_position = state()["currentTime"]
        seen = {}

        def slate_played():
            # Within 8 s of the vanish: 6 new segments listed, and hls.js 6 s further on.
            seen["state"], seen["newest"] = state(), newest(gw, "gap")
            advanced = seen["state"].get("currentTime", 0) - start_position
            return advanced >= 6 and seen["newest"][0] >= before + 6 and not seen["state"].get("error")

        assert poll(slate_played, 8, interval=0.25), \
            f"in 8 s on the slate: hls.js {seen['state']} from {start_position:.2f}, segments {before} -> " \
            f"{seen['newest'][0]}"
        slate_sequence, slate_uri, slate_text = seen["newest"]
        assert "#EXT-X-ENDLIST" not in slate_text
        for rendition in ("240p", "audio"):
            text = fetch_text(gw.http_url(f"/live/gap/{rendition}/index.m3u8"))
            assert f"seg-{slate_sequence}.m4s" in text, f"{rendition} keeps up with the slate"
        slate_luma = mean_luma(gw, "gap", slate_uri, tmp_path)

        second = publish_ffmpeg(gw.rtmp_url("gap"), black, loop=True)
        gw.wait_log(r"slate ended", 20)
        back = wait_for(lambda: (lambda n: n if n[0] >= slate_sequence + 3 else None)(newest(gw, "gap")), 30,
                        "segments of the returned publisher")
        assert back[2].count("#EXT-X-DISCONTINUITY\n") >= 1, back[2]
        returned_luma = mean_luma(gw, "gap", back[1], tmp_path)
        print(f"slate YAVG {slate_luma}, returned publisher YAVG {returned_luma}")
        assert slate_luma is not None and slate_luma > 40, "the slate is the last testsrc2 picture"
        assert returned_luma is not None and returned_luma < 25, "the returned publisher's black picture"
        assert "gateway_slate_seconds_total" in fetch_text(gw.http_url("/metrics"))
    finally:
        driver.quit()
        stop_process(first)
        if second:
            stop_process(second)
        gw.stop()


def test_a_configured_slate_picture_replaces_the_last_one(tmp_path, clip10):
    slate = tmp_path / "slate.png"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", "color=c=black:size=320x180", "-frames:v", "1", "-y", str(slate)],
                   check=True, timeout=60)
    workdir = tmp_path / "gw"
    workdir.mkdir()
    (workdir / "gateway.yaml").write_text(f"reconnect_grace_seconds: 6\nslate: {slate}\n")
    gw = Gateway(workdir, ["--profile", PROFILE, "--config", str(workdir / "gateway.yaml")])
    publisher = publish_ffmpeg(gw.rtmp_url("pic"), clip10, loop=True)
    try:
        wait_for(lambda: newest(gw, "pic")[0] >= 3, 40, "three segments")
        before = newest(gw, "pic")[0]
        publisher.send_signal(signal.SIGKILL)
        publisher.wait(10)
        gw.wait_log(r"slate: the slate image", 10)
        sequence, uri, _ = wait_for(lambda: (lambda n: n if n[0] >= before + 3 else None)(newest(gw, "pic")), 15,
                                    "slate segments")
        luma = mean_luma(gw, "pic", uri, tmp_path)
        assert luma is not None and luma < 25, f"the black slate picture, not testsrc2: YAVG {luma}"
        wait_for(lambda: "#EXT-X-ENDLIST" in newest(gw, "pic")[2], 15, "ENDLIST after the grace")
    finally:
        stop_process(publisher)
        gw.stop()


def test_a_slate_that_is_no_picture_stops_start_up_with_the_reason(tmp_path):
    broken = tmp_path / "slate.png"
    broken.write_bytes(b"this is not a picture")
    config = tmp_path / "gateway.yaml"
    config.write_text(f"slate: {broken}\n")
    from conftest import GATEWAY_BIN, REPO
    done = subprocess.run([GATEWAY_BIN, "serve", "--config", str(config), "--rtmp", "127.0.0.1:0", "--http",
                           "127.0.0.1:0", "--profile", PROFILE], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "slate" in output and "cannot be decoded as a picture" in output and str(broken) in output, output


def test_a_publish_after_endlist_starts_new_playlists_that_continue_the_numbering(tmp_path, clip10):
    # RFC 8216 6.2.1: a playlist with EXT-X-ENDLIST never changes; the next publish of the name
    # gets new playlists, whose media sequence continues after a discontinuity.
    workdir = tmp_path / "gw"
    workdir.mkdir()
    gw = Gateway(workdir, ["--profile", PROFILE])
    try:
        publisher = publish_ffmpeg(gw.rtmp_url("twice"), clip10)
        assert publisher.wait(60) == 0
        ended = wait_for(lambda: (lambda n: n if "#EXT-X-ENDLIST" in n[2] else None)(newest(gw, "twice")), 20,
                         "ENDLIST after a clean end")
        again = publish_ffmpeg(gw.rtmp_url("twice"), clip10, loop=True)
        try:
            fresh = wait_for(lambda: (lambda n: n if n[0] > ended[0] and "#EXT-X-ENDLIST" not in n[2] else None)(
                newest(gw, "twice")), 30, "the new publish's playlist")
        finally:
            stop_process(again)
        text = fresh[2]
        first = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
        assert first > ended[0], f"the numbering continues: ended at {ended[0]}, new playlist from {first}"
        assert text.split("#EXTINF")[0].count("#EXT-X-DISCONTINUITY\n") == 1, text
        old_uris = [line for line in ended[2].splitlines() if line.startswith("seg-")]
        assert not any(uri in text for uri in old_uris), "the ended playlist's segments are not revived"
    finally:
        gw.stop()
