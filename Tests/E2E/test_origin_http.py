"""The HTTP origin as a CDN or a browser sees it: media types, CORS, cache policy, byte ranges,
HEAD, errors, path traversal, the status API, metrics and the HTML pages.

One gateway and one looping publisher serve the module; the last test stops the publisher to
check the ended stream's playlists.
"""

import datetime
import http.client
import json
import re

import pytest

from clients.live import LiveStream, http_get, media_segments
from conftest import wait_for

STREAM = "origin"
RENDITIONS = ["360p", "240p"]


@pytest.fixture(scope="module")
def live(tmp_path_factory, clip10):
    with LiveStream(tmp_path_factory.mktemp("origin"), STREAM, clip10) as stream:
        yield stream


def raw_request(live, method, target, headers=None):
    """Send `target` exactly as given (no normalisation); returns (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", live.gateway.http_port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cache_directives(headers):
    """Cache-Control as {directive: value or True} (RFC 9111 5.2)."""
    directives = {}
    for part in (headers.get("Cache-Control") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip('"') if value else True
    return directives


def segment_seconds(playlist_text):
    return float(re.search(r"#EXT-X-TARGETDURATION:(\d+)", playlist_text).group(1))


def stream_files(live):
    """Relative paths of one variant's playlist, init segment and newest media segment."""
    variant = live.variants_by_height()[0]
    status, _, body = live.get(variant.uri)
    assert status == 200
    text = body.decode()
    base = variant.uri.rsplit("/", 1)[0] + "/" if "/" in variant.uri else ""
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text).group(1)
    return {"playlist": variant.uri, "init": base + init, "segment": base + media_segments(text)[-1],
            "playlist_text": text}


def test_media_types(live):
    files = stream_files(live)
    expected = {
        "master.m3u8": {"application/vnd.apple.mpegurl", "application/x-mpegurl"},
        files["playlist"]: {"application/vnd.apple.mpegurl", "application/x-mpegurl"},
        "manifest.mpd": {"application/dash+xml"},
        files["init"]: {"video/mp4"},
        files["segment"]: {"video/iso.segment", "video/mp4"},
    }
    for path, types in expected.items():
        status, headers, _ = live.get(path)
        assert status == 200, path
        media_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        assert media_type in types, f"{path}: Content-Type {headers.get('Content-Type')!r}"


def test_cors_on_get_and_preflight(live):
    for path in ("master.m3u8", "manifest.mpd", stream_files(live)["segment"]):
        status, headers, _ = live.get(path, headers={"Origin": "http://player.example"})
        assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*", path
    status, headers, body = raw_request(live, "OPTIONS", f"/live/{STREAM}/master.m3u8", {
        "Origin": "http://player.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    assert status == 204 and body == b""
    assert headers.get("Access-Control-Allow-Origin") == "*"
    methods = {m.strip().upper() for m in headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert {"GET", "HEAD"} <= methods, headers.get("Access-Control-Allow-Methods")
    allowed = {h.strip().lower() for h in headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert "range" in allowed or "*" in allowed, headers.get("Access-Control-Allow-Headers")


def test_cache_policy_of_live_manifests_and_segments(live):
    files = stream_files(live)
    half_segment = segment_seconds(files["playlist_text"]) / 2
    for path in (files["playlist"], "manifest.mpd"):
        _, headers, _ = live.get(path)
        directives = cache_directives(headers)
        short = "no-cache" in directives or "no-store" in directives or (
            "max-age" in directives and float(directives["max-age"]) <= half_segment)
        assert short, f"{path}: live manifest Cache-Control {headers.get('Cache-Control')!r}"
    for path in (files["init"], files["segment"]):
        _, headers, _ = live.get(path)
        directives = cache_directives(headers)
        assert "immutable" in directives, f"{path}: {headers.get('Cache-Control')!r}"
        assert float(directives.get("max-age", 0)) >= 86400, f"{path}: {headers.get('Cache-Control')!r}"
        assert "no-cache" not in directives and "no-store" not in directives and "private" not in directives


def test_byte_ranges(live):
    path = f"/live/{STREAM}/" + stream_files(live)["segment"]
    status, _, full = raw_request(live, "GET", path)
    assert status == 200 and len(full) > 200
    size = len(full)
    cases = {"bytes=10-99": (10, 99), "bytes=100-": (100, size - 1), "bytes=-50": (size - 50, size - 1),
             f"bytes=0-{size * 2}": (0, size - 1)}
    for header, (first, last) in cases.items():
        status, headers, body = raw_request(live, "GET", path, {"Range": header})
        assert status == 206, f"{header}: {status}"
        assert headers.get("Content-Range") == f"bytes {first}-{last}/{size}", \
            f"{header}: {headers.get('Content-Range')}"
        assert body == full[first:last + 1], header
        assert int(headers.get("Content-Length")) == last - first + 1
        assert headers.get("Access-Control-Allow-Origin") == "*"
    status, headers, _ = raw_request(live, "GET", path, {"Range": f"bytes={size}-"})
    assert status == 416 and headers.get("Content-Range") == f"bytes */{size}"


def test_head_has_length_and_no_body(live):
    for relative in ("master.m3u8", stream_files(live)["init"], stream_files(live)["segment"]):
        path = f"/live/{STREAM}/{relative}"
        _, _, full = raw_request(live, "GET", path)
        status, headers, body = raw_request(live, "HEAD", path)
        assert status == 200 and body == b"", relative
        assert int(headers.get("Content-Length", -1)) == len(full), relative


def test_unknown_stream_is_404(live):
    for path in ("/live/nosuchstream/master.m3u8", "/live/nosuchstream/manifest.mpd", "/live/nosuchstream/"):
        status, _, _ = raw_request(live, "GET", path)
        assert status == 404, path
    status, _, _ = raw_request(live, "GET", f"/live/{STREAM}/999p/index.m3u8")
    assert status == 404


@pytest.mark.parametrize("target", [
    "/live/x/../../etc/passwd",
    "/live/x/%2e%2e/%2e%2e/etc/passwd",
    "/live/%2e%2e/x",
    f"/live/{STREAM}/../../../../etc/passwd",
    f"/live/{STREAM}/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    f"/live/{STREAM}/..%5c..%5cetc%5cpasswd",
    "/../../../../etc/passwd",
])
def test_path_traversal_is_refused(live, target):
    status, _, body = raw_request(live, "GET", target)
    assert status in (400, 404), f"{target}: {status}"
    assert b"root:" not in body


def test_overlong_url_is_414(live):
    status, _, _ = raw_request(live, "GET", f"/live/{STREAM}/" + "a" * 10000 + ".m4s")
    assert status == 414


def test_time_is_iso8601_utc_and_close_to_the_local_clock(live):
    status, _, body = http_get(live.gateway.http_url("/time"))
    assert status == 200
    text = body.decode().strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", text), text
    served = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert served.utcoffset() == datetime.timedelta(0)
    assert abs((served - now).total_seconds()) <= 2, (text, now.isoformat())


def test_healthz(live):
    status, _, _ = http_get(live.gateway.http_url("/healthz"))
    assert status == 200


def test_api_streams(live):
    status, headers, body = http_get(live.gateway.http_url("/api/streams"))
    assert status == 200 and headers.get("Content-Type", "").startswith("application/json")
    streams = {s["name"]: s for s in json.loads(body)["streams"]}
    assert STREAM in streams, streams.keys()
    assert [r["name"] for r in streams[STREAM]["renditions"]] == RENDITIONS
    assert streams[STREAM]["state"] == "live"

    status, _, body = http_get(live.gateway.http_url(f"/api/streams/{STREAM}"))
    assert status == 200
    single = json.loads(body)
    assert single["name"] == STREAM and single["state"] == "live"
    assert [r["name"] for r in single["renditions"]] == RENDITIONS

    status, headers, body = http_get(live.gateway.http_url("/api/streams/nosuchstream"))
    assert status == 404 and headers.get("Content-Type", "").startswith("application/json")
    assert "error" in json.loads(body)


def test_metrics(live):
    live.get("master.m3u8")
    status, _, body = http_get(live.gateway.http_url("/metrics"))
    assert status == 200
    text = body.decode()
    ingest = re.search(rf'^gateway_ingest_bytes_total\{{[^}}]*stream="{STREAM}"[^}}]*\}} (\d+(\.\d+)?)', text, re.M)
    assert ingest and float(ingest.group(1)) > 0, text[:2000]
    assert re.search(r'^gateway_http_requests_total\{[^}]*status="200"[^}]*\} \d+', text, re.M), text[:2000]


def test_index_and_player_page(live):
    status, headers, body = http_get(live.gateway.http_url("/"))
    assert status == 200 and headers.get("Content-Type", "").startswith("text/html")
    assert f"live/{STREAM}/" in body.decode()
    status, headers, body = live.get("")
    assert status == 200 and headers.get("Content-Type", "").startswith("text/html")
    page = body.decode()
    assert page.lstrip().lower().startswith("<!doctype html") and "master.m3u8" in page


def test_ended_stream_playlists_are_cacheable(live):
    files = stream_files(live)
    live.stop_publisher()

    def ended():
        status, _, body = live.get(files["playlist"])
        return status == 200 and "#EXT-X-ENDLIST" in body.decode()

    wait_for(ended, 15, "#EXT-X-ENDLIST in the media playlist", interval=0.25)
    variants, media = live.master()
    for path in [v.uri for v in variants] + [m["URI"] for m in media]:
        status, headers, body = live.get(path)
        assert status == 200 and "#EXT-X-ENDLIST" in body.decode(), path
        directives = cache_directives(headers)
        assert "no-cache" not in directives and "no-store" not in directives, f"{path}: {headers.get('Cache-Control')}"
        assert float(directives.get("max-age", 0)) > 0, f"{path}: {headers.get('Cache-Control')}"
    status, _, body = live.get(files["segment"])
    assert status == 200 and body, "segments of the ended stream are still served"
    status, _, body = live.get("manifest.mpd")
    mpd = body.decode()
    # ISO/IEC 23009-1 5.3.1.2: an ended presentation is static, or states its duration.
    assert status == 200 and ('type="static"' in mpd or "mediaPresentationDuration" in mpd), mpd[:400]
