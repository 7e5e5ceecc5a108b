"""Player-like HTTP viewers on asyncio (standard library only).

Each viewer keeps one keep-alive HTTP/1.1 connection to its server, reloads its media playlist
every `reload` seconds and, as a live player does, fetches the newest segment when it joins and
then every segment newly listed; the time each fetch takes is recorded (they are the newest
segments at the live edge). Also a burst: many requests for one URL sent at the same moment
(LL-HLS blocking reloads).
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .web import parse_media, resolve


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after a failure or `Connection: close`."""

    def __init__(self, host, port, timeout=15.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None

    async def get(self, target):
        """(status, body) of a GET; status 0 when the connection failed."""
        for attempt in (0, 1):  # a kept-alive connection the server closed: retry once, fresh
            fresh = self.writer is None
            try:
                if fresh:
                    self.reader, self.writer = await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port), self.timeout)
                self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
                return await asyncio.wait_for(self._response(), self.timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                self.close()
                if fresh or attempt:
                    return 0, b""
        return 0, b""

    async def _response(self):
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Stats:
    requests: int = 0
    failures: int = 0  # connection failures and timeouts
    statuses: Counter = field(default_factory=Counter)
    segment_seconds: list = field(default_factory=list)  # time to fetch each newly listed segment
    segments: Counter = field(default_factory=Counter)  # segment path -> fetches
    bytes: int = 0
    elapsed: float = 0.0

    def count(self, status, body):
        self.requests += 1
        self.statuses[status] += 1
        self.failures += status == 0
        self.bytes += len(body)

    def p99(self):
        if not self.segment_seconds:
            return None
        ordered = sorted(self.segment_seconds)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    def summary(self):
        p99 = self.p99()
        return (f"{self.requests} requests in {self.elapsed:.1f}s ({self.requests / max(self.elapsed, 1e-9):.0f}/s), "
                f"statuses {dict(self.statuses)}, {len(self.segment_seconds)} segment fetches, "
                f"p99 {'-' if p99 is None else f'{p99 * 1000:.0f} ms'}, {self.bytes / 1e6:.1f} MB")


async def _viewer(url, stats, deadline, reload, delay):
    parts = urlsplit(url)
    conn = Connection(parts.hostname, parts.port or 80)
    await asyncio.sleep(delay)
    seen = None
    try:
        while time.monotonic() < deadline:
            tick = time.monotonic()
            status, body = await conn.get(parts.path)
            stats.count(status, body)
            playlist = parse_media(body.decode(errors="replace")) if status == 200 else None
            if playlist and playlist.segments:
                # Joining: the newest segment only; then every segment listed since the last reload.
                new = playlist.segments[-1:] if seen is None else [s for s in playlist.segments if s not in seen]
                seen = set(playlist.segments)
                for uri in new:
                    path = resolve(parts.path, uri)
                    started = time.monotonic()
                    status, body = await conn.get(path)
                    stats.count(status, body)
                    if status == 200:
                        stats.segment_seconds.append(time.monotonic() - started)
                        stats.segments[path] += 1
            await asyncio.sleep(max(0.0, tick + reload - time.monotonic()))
    finally:
        conn.close()


async def _watch(urls, seconds, reload, ramp):
    stats = Stats()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(_viewer(url, stats, deadline, reload, ramp * i / max(len(urls), 1))
                           for i, url in enumerate(urls)))
    stats.elapsed = time.monotonic() - started
    return stats


def watch(urls, seconds, reload=1.0, ramp=1.0):
    """One viewer per media playlist URL in `urls` (repeat a URL for more viewers of it) for
    `seconds`; viewers start spread over `ramp` seconds. Returns Stats."""
    return asyncio.run(_watch(list(urls), seconds, reload, ramp))


async def _burst(urls, timeout):
    conns = []
    for url in urls:
        parts = urlsplit(url)
        conn = Connection(parts.hostname, parts.port or 80, timeout)
        conn.reader, conn.writer = await asyncio.open_connection(conn.host, conn.port)
        conns.append((conn, parts.path + (f"?{parts.query}" if parts.query else "")))

    async def one(conn, target):
        started = time.monotonic()
        status, body = await conn.get(target)
        conn.close()
        return status, body, time.monotonic() - started

    return await asyncio.gather(*(one(conn, target) for conn, target in conns))


def burst(urls, timeout=20.0):
    """Connects once per URL, then sends every GET at the same moment; [(status, body, seconds)]."""
    return asyncio.run(_burst(list(urls), timeout))
