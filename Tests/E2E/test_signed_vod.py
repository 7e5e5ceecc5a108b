"""Signed VOD URLs: a protected stream's recording plays from /vod/NAME/ID/t/TOKEN/ (the token
carried by every relative URI of its playlists), and is refused without one (except to an
admin) or with another stream's token."""

import json
import subprocess
import urllib.request

from conftest import GATEWAY_BIN, Gateway, http_fetch, publish_ffmpeg, stop_process, wait_for

ADMIN = "vod-admin-token-0123456789"


def recordings(gw):
    request = urllib.request.Request(gw.http_url("/api/recordings?stream=vault"),
                                     headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["recordings"]


def sign(config, gw, stream, *extra):
    done = subprocess.run([GATEWAY_BIN, "sign", stream, "--config", str(config), "--base-url", gw.http_url(""),
                           *extra], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_protected_recording_plays_from_its_signed_url(tmp_path, clip10):
    (tmp_path / "secrets.txt").write_text("k1 vod-secret-0123456789\n")
    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
reconnect_grace_seconds: 0
recording: {{ dir: {tmp_path / 'recordings'} }}
admin: {{ token: {ADMIN} }}
playback: {{ require_token: true, secret_file: {tmp_path / 'secrets.txt'} }}
""")
    gw = Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])
    publisher = publish_ffmpeg(gw.rtmp_url("vault"), clip10)
    try:
        assert publisher.wait(60) == 0
        wait_for(lambda: [r for r in recordings(gw) if r["state"] == "complete"], 20, "a complete recording")
        recording = recordings(gw)[0]
        url = sign(config, gw, "vault", "--recording", recording["id"])
        assert f"/vod/vault/{recording['id']}/t/" in url and url.endswith("/master.m3u8"), url

        # ffprobe follows the master, a media playlist and its segments: every URI carries the token.
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", url],
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0, probe.stderr
        assert abs(float(json.loads(probe.stdout)["format"]["duration"]) - recording["duration_seconds"]) < 1.5
        dash = sign(config, gw, "vault", "--recording", recording["id"], "--dash")
        assert http_fetch(dash)[0] == 200

        # Without a token: refused (an admin's bearer still reads it); another stream's token: refused.
        plain = gw.http_url(f"/vod/vault/{recording['id']}/master.m3u8")
        status, body = http_fetch(plain)
        assert status == 403 and b"missing" in body, (status, body)
        admin = urllib.request.Request(plain, headers={"Authorization": f"Bearer {ADMIN}"})
        with urllib.request.urlopen(admin, timeout=10) as response:
            assert response.status == 200
        other = sign(config, gw, "other", "--recording", recording["id"]).replace("/vod/other/", "/vod/vault/")
        status, body = http_fetch(other)
        assert status == 403 and b"wrong_stream" in body, (status, body)
        # A forged token is refused on a segment too.
        forged = url.replace("/master.m3u8", "/360p/seg-1.m4s")
        token = forged.split("/t/")[1].split("/")[0]
        status, body = http_fetch(forged.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")))
        assert status == 403 and b"bad_signature" in body, (status, body)
    finally:
        stop_process(publisher)
        gw.stop()
