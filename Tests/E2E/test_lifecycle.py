"""Gateway lifecycle end to end: graceful shutdown finishes the open segments and ends the
playlists; the data-dir mirror holds the final state."""

import signal
import time
import urllib.request

from conftest import Gateway, publish_ffmpeg, stop_process, wait_for


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_sigterm_ends_playlists_and_exits_within_10s(tmp_path, clip10):
    data = tmp_path / "data"
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml", "--data-dir", str(data)])
    publisher = publish_ffmpeg(gw.rtmp_url("shutdown"), clip10, loop=True)
    try:
        gw.wait_log(r"stream=shutdown .*publish start", 20)
        playlist_url = gw.http_url("/live/shutdown/360p/index.m3u8")

        def segments_listed():
            try:
                return fetch(playlist_url).count("#EXTINF") >= 3
            except OSError:
                return False

        wait_for(segments_listed, 30, "three live segments")
        live = fetch(playlist_url)
        assert "#EXT-X-ENDLIST" not in live
        assert 'type="dynamic"' in fetch(gw.http_url("/live/shutdown/manifest.mpd"))

        started = time.monotonic()
        code = gw.stop(signal.SIGTERM, timeout=15)
        elapsed = time.monotonic() - started
        assert code == 0, gw.log()[-2000:]
        assert elapsed < 10, f"shutdown took {elapsed:.1f}s"
    finally:
        stop_process(publisher)
    log = gw.log()
    assert "shutting down" in log and "gateway stopped" in log
    final = (data / "shutdown/360p/index.m3u8").read_text()
    assert final.rstrip().endswith("#EXT-X-ENDLIST"), final
    assert final.count("#EXTINF") >= live.count("#EXTINF")
    # Every segment the final playlist lists was written completely to the mirror.
    for line in final.splitlines():
        if line.endswith(".m4s"):
            assert (data / "shutdown/360p" / line).stat().st_size > 0
    assert 'type="static"' in (data / "shutdown/manifest.mpd").read_text()
