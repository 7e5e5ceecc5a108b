"""The on_play viewer hook (http.on_play): a real HTTP endpoint is asked once per new viewer
session, a 2xx lets that session play, a refusal is a 403 with its reason, and an unreachable
hook refuses new sessions (503) while sessions it already allowed play on."""

import json
import subprocess
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import GATEWAY_BIN, publish_ffmpeg, stop_process, wait_for


class Hook(BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Hook.requests.append(body)
        allowed = "allowed" in (body.get("user_agent") or "") or body.get("viewer") == "good-viewer"
        self.send_response(204 if allowed else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fetch(url, user_agent):
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def calls(**match):
    return [r for r in Hook.requests if all(r.get(k) == v for k, v in match.items())]


def test_on_play_asks_once_per_session_refuses_and_fails_closed(gateway_factory, clip10, tmp_path):
    Hook.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "secrets.txt").write_text("k1 play-hook-secret-0123456789\n")
    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
http:
  on_play: {{ url: "http://127.0.0.1:{server.server_port}/play", timeout_seconds: 1 }}
playback: {{ require_token: false, secret_file: {tmp_path / 'secrets.txt'} }}
streams: {{ vip: {{ require_token: true }} }}
""")
    gw = gateway_factory("--config", str(config))
    publisher = publish_ffmpeg(gw.rtmp_url("cam1"), clip10, loop=True)
    try:
        master = gw.http_url("/live/cam1/master.m3u8")
        wait_for(lambda: fetch(master, "allowed-probe")[0] == 200, 30, "the stream, allowed")

        # A real player session: ffmpeg reads the master, a playlist and segments for 4 s, every
        # request with its User-Agent; the hook hears of it once.
        done = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-user_agent", "allowed-ffmpeg",
                               "-i", master, "-t", "4", "-c", "copy", "-f", "null", "-"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        sessions = calls(user_agent="allowed-ffmpeg")
        assert len(sessions) == 1, Hook.requests
        assert sessions[0]["stream"] == "cam1" and sessions[0]["client_ip"] == "127.0.0.1", sessions

        # Refused: 403 with the reason, for every kind of URL, and the hook is not asked again
        # for a while however often the player retries.
        for path in ("/live/cam1/master.m3u8", "/live/cam1/360p/index.m3u8", "/live/cam1/manifest.mpd",
                     "/live/cam1/360p/init.mp4", "/live/cam1/"):
            status, headers, body = fetch(gw.http_url(path), "blocked-player")
            assert status == 403 and headers.get("X-Playback-Refusal") == "hook_denied", (path, status, body)
        assert len(calls(user_agent="blocked-player")) == 1, Hook.requests
        # The thumbnail is a preview, not playback: never hooked.
        wait_for(lambda: fetch(gw.http_url("/live/cam1/thumbnail.jpg"), "blocked-player")[0] == 200, 20,
                 "the thumbnail without the hook")

        # A protected stream's token is checked, so its viewer ID is the session: the hook sees
        # it and decides by it. An open stream's token is not checked, so its viewer is not
        # believed (the session is the address and User-Agent again).
        def signed_url(stream):
            done = subprocess.run([GATEWAY_BIN, "sign", stream, "--config", str(config), "--viewer", "good-viewer",
                                   "--base-url", gw.http_url("")], capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()
        publishers = [publish_ffmpeg(gw.rtmp_url("vip"), clip10, loop=True)]
        try:
            vip = signed_url("vip")
            wait_for(lambda: fetch(vip, "some-other-agent")[0] == 200, 30, "the protected stream for good-viewer")
            assert len(calls(viewer="good-viewer")) == 1, Hook.requests
            status, headers, _ = fetch(signed_url("cam1"), "some-other-agent")
            assert status == 403 and headers.get("X-Playback-Refusal") == "hook_denied", (status, headers)
            assert calls(stream="cam1", user_agent="some-other-agent")[0].get("viewer") is None, Hook.requests
        finally:
            for proc in publishers:
                stop_process(proc)

        # The hook goes away: new sessions are refused (fail closed) within its timeout, and
        # the session it allowed plays on.
        server.shutdown()
        server.server_close()
        status, headers, _ = fetch(master, "allowed-newcomer")
        assert status == 503 and headers.get("X-Playback-Refusal") == "hook_unavailable", (status, headers)
        assert fetch(master, "allowed-ffmpeg")[0] == 200
        metrics = fetch(gw.http_url("/metrics"), "probe")[2].decode()
        assert 'gateway_play_hook_answers_total{outcome="deny"}' in metrics
        assert 'gateway_play_hook_answers_total{outcome="unavailable"}' in metrics
        gw.wait_log(r"on_play refused a viewer", 5)
    finally:
        stop_process(publisher)
        server.server_close()
