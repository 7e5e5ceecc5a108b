"""A tiny static HTTP server on 127.0.0.1 (OS-picked port) with CORS `*`, used to hand the
player page its JavaScript players (browsers refuse file:// scripts on http:// pages), and to
serve test pages from an origin other than the gateway's."""

import functools
import http.server
import socketserver
import threading

MEDIA_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map, **MEDIA_TYPES)

    def end_headers(self):
        # The gateway's page loads these cross-origin; ES modules need CORS.
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_GET(self):
        page = self.server.pages.get(self.path.split("?", 1)[0].lstrip("/"))
        if page is None:
            return super().do_GET()
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class StaticServer:
    """`with StaticServer(directory, pages={"x.html": html}) as server: server.url("hlsjs/hls.mjs")`.
    `pages` are HTML documents served from memory at their path."""

    def __init__(self, directory, pages=None):
        self.directory = str(directory)
        self.pages = dict(pages or {})
        self._server = None
        self._thread = None

    def __enter__(self):
        handler = functools.partial(_Handler, directory=self.directory)
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.pages = self.pages
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"
