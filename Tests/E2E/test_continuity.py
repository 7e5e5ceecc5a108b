"""Stream continuity across a gateway crash (issue "Recording, DVR and VOD", Restarts): after
`kill -9` and a restart with the same data directory, a stream published again continues its
media sequence (it never goes down, RFC 8216 6.2.2), starts with a discontinuity, and its DASH
Period ids are new. The numbering lives in DATA_DIR/.state/NAME.json, written crash-safely."""

import json
import re
import signal

from conftest import Gateway, fetch_text, publish_ffmpeg, stop_process, wait_for

PROFILE = "profiles/test-small.yaml"


def playlist_state(url):
    """(first media sequence, last media sequence, discontinuity sequence, text) or None."""
    try:
        text = fetch_text(url)
    except OSError:
        return None
    sequence = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
    count = text.count("#EXTINF")
    if not sequence or count < 3:
        return None
    first = int(sequence.group(1))
    discontinuity = re.search(r"#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)", text)
    return first, first + count - 1, int(discontinuity.group(1)) if discontinuity else 0, text


def run_publish(workdir, data, clip, name):
    """Starts a gateway on `data` and a looping publisher of `clip` to NAME; returns both."""
    workdir.mkdir()
    gw = Gateway(workdir, ["--profile", PROFILE, "--data-dir", str(data)])
    publisher = publish_ffmpeg(gw.rtmp_url(name), clip, loop=True)
    return gw, publisher


def test_kill_9_and_restart_continue_the_media_sequence(tmp_path, clip10):
    data = tmp_path / "data"
    gw, publisher = run_publish(tmp_path / "first", data, clip10, "again")
    try:
        url = gw.http_url("/live/again/360p/index.m3u8")
        wait_for(lambda: playlist_state(url), 40, "three segments before the crash")
        # Let a few more segments through, then crash with the newest numbers on screen.
        first_seen = playlist_state(url)[1]
        wait_for(lambda: (playlist_state(url) or (0, 0))[1] >= first_seen + 2, 20, "two more segments")
        before = playlist_state(url)
        periods_before = set(re.findall(r'<Period id="([^"]+)"', fetch_text(gw.http_url("/live/again/manifest.mpd"))))
        assert gw.stop(signal.SIGKILL) != 0
    finally:
        stop_process(publisher)
    state = json.loads((data / ".state/again.json").read_text())
    assert state["next_sequence"] > before[1], state
    assert not list((data / ".state").glob("*.tmp")), "no half-written state file"

    gw, publisher = run_publish(tmp_path / "second", data, clip10, "again")
    try:
        url = gw.http_url("/live/again/360p/index.m3u8")
        after = wait_for(lambda: playlist_state(url), 40, "three segments after the restart")
        mpd = fetch_text(gw.http_url("/live/again/manifest.mpd"))
    finally:
        stop_process(publisher)
        gw.stop()
    print(f"before the crash: MSN {before[0]}-{before[1]} disc {before[2]}; after: MSN {after[0]}-{after[1]} "
          f"disc {after[2]}; state {state}")
    assert after[0] > before[1], f"the media sequence went down: {before[:3]} -> {after[:3]}"
    assert after[2] >= before[2]
    assert after[3].split("#EXTINF")[0].count("#EXT-X-DISCONTINUITY\n") == 1, after[3]
    periods_after = set(re.findall(r'<Period id="([^"]+)"', mpd))
    assert periods_after and not periods_after & periods_before, (periods_before, periods_after)
