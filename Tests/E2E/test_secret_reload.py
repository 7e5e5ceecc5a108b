"""SIGHUP reloads playback.secret_file: a rotated-out key's tokens are refused at once, the new
key's work, and a file that does not check keeps the secrets in use."""

import signal
import subprocess

from conftest import GATEWAY_BIN, Gateway, http_fetch, publish_ffmpeg, stop_process, wait_for


def sign(config, gw):
    done = subprocess.run([GATEWAY_BIN, "sign", "vault", "--config", str(config), "--base-url", gw.http_url("")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_sighup_rotates_the_playback_secrets(tmp_path, clip10):
    secrets = tmp_path / "secrets.txt"
    secrets.write_text("k1 first-secret-0123456789\n")
    config = tmp_path / "gateway.yaml"
    config.write_text(f"playback: {{ require_token: true, secret_file: {secrets} }}\n")
    gw = Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])
    publisher = publish_ffmpeg(gw.rtmp_url("vault"), clip10, loop=True)
    try:
        old = sign(config, gw)
        wait_for(lambda: http_fetch(old)[0] == 200, 30, "the stream with the first key's token")

        # Rotate: k2 signs now, k1 is gone.
        secrets.write_text("k2 second-secret-0123456789\n")
        new = sign(config, gw)
        assert http_fetch(new)[0] == 403, "the running gateway does not know k2 before SIGHUP"
        offset = gw.log_offset()
        gw.proc.send_signal(signal.SIGHUP)
        gw.wait_log(r"playback secrets reloaded", 10, after=offset)
        assert http_fetch(new)[0] == 200
        status, body = http_fetch(old)
        assert status == 403 and b"unknown_key" in body, (status, body)

        # A broken file (a secret too short) keeps k2.
        secrets.write_text("k3 short\n")
        offset = gw.log_offset()
        gw.proc.send_signal(signal.SIGHUP)
        gw.wait_log(r"playback secrets not reloaded", 10, after=offset)
        assert http_fetch(new)[0] == 200
        assert gw.proc.poll() is None
    finally:
        stop_process(publisher)
        gw.stop()
