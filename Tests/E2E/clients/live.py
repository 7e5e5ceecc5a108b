"""One gateway plus one looping ffmpeg publisher: a live stream that several tests share."""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from conftest import Gateway, publish_ffmpeg, stop_process, wait_for


def http_get(url, timeout=10, headers=None):
    """(status, headers, body) of a GET; HTTP errors are answers too, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@dataclass
class Variant:
    """One EXT-X-STREAM-INF of a master playlist (RFC 8216 4.3.4.2)."""

    uri: str
    bandwidth: int
    width: int
    height: int
    attributes: dict


_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def parse_attributes(text):
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(text)}


def parse_master(text):
    """(variants, audio renditions' attributes) of a master playlist."""
    variants, media = [], []
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-MEDIA:"):
            media.append(parse_attributes(line.split(":", 1)[1]))
        if not line.startswith("#EXT-X-STREAM-INF:"):
            continue
        attributes = parse_attributes(line.split(":", 1)[1])
        uri = next((following for following in lines[index + 1:] if following and not following.startswith("#")), "")
        width, _, height = attributes.get("RESOLUTION", "0x0").partition("x")
        variants.append(Variant(uri, int(attributes["BANDWIDTH"]), int(width), int(height), attributes))
    return variants, media


def media_segments(playlist_text):
    """URIs of the media segments of a media playlist."""
    return [line for line in playlist_text.splitlines() if line and not line.startswith("#")]


class LiveStream:
    """`with LiveStream(workdir, "name", clip, gateway_args) as live:` starts the gateway, publishes
    `clip` in a loop in real time, and returns once every media playlist lists `min_segments`."""

    def __init__(self, workdir, name, clip, gateway_args=(), profile="profiles/test-small.yaml", min_segments=3):
        self.workdir = workdir
        self.name = name
        self.clip = clip
        self.gateway_args = ["--profile", profile, *gateway_args]
        self.min_segments = min_segments
        self.gateway = None
        self.publisher = None
        self._publisher_log = None

    def __enter__(self):
        self.gateway = Gateway(self.workdir, self.gateway_args)
        try:
            offset = self.gateway.log_offset()
            self._publisher_log = open(self.workdir / f"publisher-{self.name}.log", "w")
            self.publisher = publish_ffmpeg(self.gateway.rtmp_url(self.name), self.clip, loop=True,
                                            log=self._publisher_log)
            self.gateway.wait_log(rf"stream={re.escape(self.name)} .*publish start", 30, after=offset)
            wait_for(self._playlists_ready, 40, f"{self.min_segments} segments in every playlist", interval=0.25)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.stop_publisher()
        if self.gateway is not None:
            self.gateway.stop()

    def stop_publisher(self):
        if self.publisher is not None:
            stop_process(self.publisher, timeout=5)
        if self._publisher_log is not None:
            self._publisher_log.close()
            self._publisher_log = None

    # URLs and content

    def url(self, path=""):
        return self.gateway.http_url(f"/live/{self.name}/{path}")

    @property
    def master_url(self):
        return self.url("master.m3u8")

    @property
    def mpd_url(self):
        return self.url("manifest.mpd")

    def get(self, path, timeout=10, headers=None):
        return http_get(self.url(path), timeout, headers)

    def master(self):
        status, _, body = self.get("master.m3u8")
        assert status == 200, f"master.m3u8 answered {status}"
        return parse_master(body.decode())

    def variants_by_height(self):
        """Video variants, highest first."""
        variants, _ = self.master()
        return sorted((v for v in variants if v.height), key=lambda v: v.height, reverse=True)

    def media_playlists(self):
        variants, media = self.master()
        return [v.uri for v in variants] + [m["URI"] for m in media if m.get("URI")]

    def status(self):
        status, _, body = http_get(self.gateway.http_url(f"/api/streams/{self.name}"))
        assert status == 200, f"/api/streams/{self.name} answered {status}"
        return json.loads(body)

    def age_seconds(self):
        return float(self.status()["uptime_seconds"])

    def wait_age(self, seconds, timeout):
        """Wait until the stream has been live for `seconds` (e.g. longer than its window)."""
        return wait_for(lambda: self.age_seconds() >= seconds, timeout, f"stream age >= {seconds}s", interval=0.5)

    def _playlists_ready(self):
        if self.publisher.poll() is not None:
            raise AssertionError(f"publisher exited ({self.publisher.returncode})")
        status, _, body = self.get("master.m3u8")
        if status != 200:
            return False
        variants, media = parse_master(body.decode())
        uris = [v.uri for v in variants] + [m["URI"] for m in media if m.get("URI")]
        if not variants:
            return False
        for uri in uris:
            status, _, body = self.get(uri)
            if status != 200 or len(media_segments(body.decode())) < self.min_segments:
                return False
        return True

