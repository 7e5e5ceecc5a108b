"""The on_publish admission hook: a real HTTP endpoint allows or refuses publishes, and a slow
hook only delays (then refuses) its own publisher."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import publish_ffmpeg, stop_process, wait_for


class Hook(BaseHTTPRequestHandler):
    requests = []
    release_slow = threading.Event()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Hook.requests.append(body)
        if body["name"].startswith("slow"):
            Hook.release_slow.wait(10)
        status = 403 if body["name"].startswith("denied") else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_on_publish_hook_allows_refuses_and_times_out(gateway_factory, clip10, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "hook.yaml"
    config.write_text(f"""
rtmp:
  on_publish: {{ url: "http://127.0.0.1:{server.server_port}/publish", timeout_seconds: 1.5 }}
""")
    gw = gateway_factory("--config", str(config))
    publishers = []
    try:
        offset = gw.log_offset()
        publishers.append(publish_ffmpeg(gw.rtmp_url("allowed?key=k1"), clip10, loop=True))
        gw.wait_log(r"stream=allowed .*publish start", 20, after=offset)
        assert {"name": "allowed", "app": "live", "client_ip": "127.0.0.1", "key": "k1"} in Hook.requests

        offset = gw.log_offset()
        denied = publish_ffmpeg(gw.rtmp_url("denied"), clip10)
        assert denied.wait(30) != 0
        gw.wait_log(r"publish refused.*reason=webhook_denied|reason=webhook_denied.*publish refused", 10,
                    after=offset)

        # A hook that hangs: its publisher is refused after the timeout, while another publish
        # admitted meanwhile starts at once.
        offset = gw.log_offset()
        started = time.monotonic()
        slow = publish_ffmpeg(gw.rtmp_url("slow"), clip10)
        publishers.append(slow)
        wait_for(lambda: any(r["name"] == "slow" for r in Hook.requests), 10, "the slow publish to reach the hook")
        publishers.append(publish_ffmpeg(gw.rtmp_url("allowed2"), clip10, loop=True))
        gw.wait_log(r"stream=allowed2 .*publish start", 10, after=offset)
        allowed_after = time.monotonic() - started
        gw.wait_log(r"reason=webhook_unavailable", 10, after=offset)
        refused_after = time.monotonic() - started
        assert allowed_after < refused_after, (allowed_after, refused_after)
        assert 1.0 < refused_after < 6, refused_after
        assert slow.wait(20) != 0
    finally:
        Hook.release_slow.set()
        for p in publishers:
            stop_process(p)
        server.shutdown()
    assert "k1" not in gw.log()
