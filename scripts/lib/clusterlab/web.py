"""HTTP, playlist, metrics and edge access-log helpers of the lab (stdlib only)."""

import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from posixpath import dirname, join, normpath


def http_get(url, timeout=10, headers=None, data=None):
    """(status, headers, body) of a GET (a POST with `data`); HTTP errors are answers too; a
    connection that fails is status 0."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError, socket.timeout) as error:
        return 0, None, str(error).encode()


# --- HLS media playlists

@dataclass
class MediaPlaylist:
    text: str
    media_sequence: int
    discontinuity_sequence: int
    discontinuities: int  # EXT-X-DISCONTINUITY tags in the playlist
    segments: list  # segment URIs in order

    @property
    def last_msn(self):
        return self.media_sequence + len(self.segments) - 1

    @property
    def discontinuities_total(self):
        """Discontinuities since the stream began, as far as this playlist tells: the
        DISCONTINUITY-SEQUENCE (those that slid out) plus those still listed."""
        return self.discontinuity_sequence + self.discontinuities


def parse_media(text):
    sequence = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
    if not sequence:
        return None
    discontinuity = re.search(r"#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)", text)
    segments = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return MediaPlaylist(text, int(sequence.group(1)), int(discontinuity.group(1)) if discontinuity else 0,
                         len(re.findall(r"^#EXT-X-DISCONTINUITY\s*$", text, re.M)), segments)


def fetch_media(url, timeout=5):
    status, _, body = http_get(url, timeout)
    return parse_media(body.decode(errors="replace")) if status == 200 else None


def master_uris(text):
    """Media playlist URIs of a master playlist: variants, then EXT-X-MEDIA URIs."""
    variants = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    media = re.findall(r'#EXT-X-MEDIA:.*URI="([^"]+)"', text)
    return variants + media


def resolve(base_path, uri):
    """A relative URI against the path of the playlist that lists it."""
    return uri if uri.startswith("/") else normpath(join(dirname(base_path), uri))


# --- Prometheus text exposition

_SAMPLE = re.compile(r'^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`; None when there is none."""
    total, found = 0.0, False
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        have = dict(_LABEL.findall(match.group(2) or ""))
        if all(have.get(key) == str(value) for key, value in labels.items()):
            total += float(match.group(3))
            found = True
    return total if found else None


# --- edge access log (log_format gateway_edge in deploy/nginx/edge.conf)

_ACCESS = re.compile(r'^(?P<msec>[\d.]+) (?P<remote>\S+) "(?P<method>\S+) (?P<uri>\S+) [^"]*" (?P<status>\d+) '
                     r'(?P<bytes>\d+) cache=(?P<cache>\S+) upstream=(?P<upstream>.*?) upstream_status=(?P<ustatus>.*?) '
                     r'rt=(?P<rt>[\d.]+) urt=(?P<urt>.*)$')


@dataclass
class Access:
    time: float
    method: str
    uri: str
    status: int
    cache: str
    upstreams: list  # node addresses contacted, in order ([] when answered from the cache)
    request_time: float

    @property
    def path(self):
        return self.uri.split("?", 1)[0]

    @property
    def origin_requests(self):
        return len(self.upstreams)


def read_access_log(path, after=0):
    """(entries, end offset) of an edge access log from byte offset `after`."""
    try:
        with open(path, "rb") as f:
            f.seek(after)
            data = f.read()
    except FileNotFoundError:
        return [], after
    complete = data[:data.rfind(b"\n") + 1]
    entries = []
    for line in complete.decode(errors="replace").splitlines():
        match = _ACCESS.match(line)
        if not match:
            continue
        upstreams = [u.strip() for u in re.split(r"\s*,\s*|\s+:\s+", match["upstream"]) if u.strip() not in ("", "-")]
        entries.append(Access(float(match["msec"]), match["method"], match["uri"], int(match["status"]),
                              match["cache"], upstreams, float(match["rt"])))
    return entries, after + len(complete)


def origin_requests_by_uri(entries):
    """{uri (with query): origin requests} over access-log entries."""
    counts = {}
    for entry in entries:
        counts[entry.uri] = counts.get(entry.uri, 0) + entry.origin_requests
    return counts


def origin_requests_since(lab, offsets, uris):
    """{uri: origin requests} for `uris` over every edge's access log after `offsets` (per edge)."""
    counts = {uri: 0 for uri in uris}
    for edge in lab.edges:
        entries, _ = read_access_log(lab.access_log(edge), offsets[edge])
        for uri, count in origin_requests_by_uri(entries).items():
            if uri in counts:
                counts[uri] += count
    return counts


def kind_of(path):
    """What a stream file path is, in the gateway's request-metric kinds (roughly, from the name)."""
    name = path.rsplit("/", 1)[-1]
    if "?" in path and "_HLS_msn=" in path:
        return "blocking_reload"
    if name.endswith(".m3u8"):
        return "playlist"
    if name.endswith(".mpd"):
        return "manifest"
    if name.startswith("init"):
        return "init"
    if name.startswith("part-"):
        return "part"
    if name.endswith((".m4s", ".mp4", ".ts", ".aac", ".m4a", ".cmfv", ".cmfa")):
        return "segment"
    return "other"
