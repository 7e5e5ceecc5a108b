"""Viewer faults against the HTTP origin while a real stream is live (issue: reliability, 4).

One gateway and one looping ffmpeg publisher serve the module. Each test misbehaves as a viewer
(a reader that stalls, one that drops the connection mid-segment, 500 connections hammering the
playlist) and checks that every answer has the right status, that well-behaved viewers and the
media threads are not held up, and that the gateway's memory stays bounded.
"""

import asyncio
import re
import socket
import struct
import time

import pytest

from clients.live import LiveStream, http_get, media_segments
from conftest import wait_for

STREAM = "viewers"
HAMMER_CONNECTIONS = 500
REQUESTS_PER_CONNECTION = 4


@pytest.fixture(scope="module")
def live(tmp_path_factory, clip10):
    with LiveStream(tmp_path_factory.mktemp("viewers"), STREAM, clip10) as stream:
        yield stream


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))


def variant_playlist(live):
    """(path of the top variant's playlist, its text)."""
    variant = live.variants_by_height()[0]
    status, _, body = live.get(variant.uri)
    assert status == 200
    return variant.uri, body.decode()


def media_sequence(text):
    return int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))


def newest_segment(live):
    """Path (relative to the stream) and bytes of the newest media segment of the top variant."""
    uri, text = variant_playlist(live)
    base = uri.rsplit("/", 1)[0] + "/" if "/" in uri else ""
    path = base + media_segments(text)[-1]
    status, _, body = live.get(path)
    assert status == 200
    return path, body


def request_bytes(live, path):
    return (f"GET /live/{STREAM}/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode()


def wait_for_new_segments(live, count, timeout=30):
    """Wait until the top variant's media sequence has advanced by `count`: the media threads run."""
    start = media_sequence(variant_playlist(live)[1])
    wait_for(lambda: media_sequence(variant_playlist(live)[1]) >= start + count, timeout,
             f"{count} new segments")


def test_stalled_reader_does_not_hold_up_other_viewers(live):
    path, expected = newest_segment(live)
    stalled = socket.socket()
    # A tiny receive window so the gateway's writes to this viewer block almost at once.
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", live.gateway.http_port))
    try:
        stalled.sendall(request_bytes(live, path))
        # While that viewer reads nothing, others get the playlist promptly and segments keep coming.
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            uri, _ = variant_playlist(live)
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 1.0, f"a playlist fetch took {slowest:.2f}s next to a stalled reader"
        wait_for_new_segments(live, 2)

        # The stalled reader then drains 1 KiB at a time through its 4 KiB window (the gateway's
        # writes stay back-pressured all the way) and still gets the whole, unchanged segment.
        stalled.settimeout(10)
        response = b""
        while b"\r\n\r\n" not in response:
            response += stalled.recv(1024)
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        assert length == len(expected)
        while len(body) < length:
            piece = stalled.recv(1024)
            assert piece, f"connection closed after {len(body)} of {length} bytes"
            body += piece
        assert body == expected
    finally:
        stalled.close()


def test_viewers_dropping_mid_segment_leave_the_origin_healthy(live):
    path, expected = newest_segment(live)
    assert len(expected) > 4096, "the segment is too small to drop a connection in its middle"
    for index in range(30):
        viewer = socket.create_connection(("127.0.0.1", live.gateway.http_port), timeout=10)
        viewer.sendall(request_bytes(live, path))
        viewer.recv(2048)
        if index % 2:
            # RST instead of FIN: SO_LINGER with a zero timeout (the abortive close of RFC 9293 3.10.7.1).
            viewer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        viewer.close()
    # The origin still answers everything correctly, and the stream goes on.
    status, _, body = live.get(path)
    assert (status, body) == (200, expected)
    status, _, _ = http_get(live.gateway.http_url("/healthz"))
    assert status == 200
    assert live.gateway.proc.poll() is None
    wait_for_new_segments(live, 2)
    assert "Fatal error" not in live.gateway.log()


async def hammer(port, path, connections, requests_each):
    """`connections` concurrent keep-alive connections, each GETting `path` `requests_each` times.
    Returns (statuses, per-request latencies in seconds, connection errors)."""
    statuses, latencies, errors = [], [], []
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    async def one_connection():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 20)
        except (OSError, asyncio.TimeoutError) as error:
            errors.append(repr(error))
            return
        try:
            for _ in range(requests_each):
                started = time.monotonic()
                writer.write(request)
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
                status = int(head.split(b" ", 2)[1])
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                await asyncio.wait_for(reader.readexactly(length), 20)
                latencies.append(time.monotonic() - started)
                statuses.append(status)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, AttributeError) as error:
            errors.append(repr(error))
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return statuses, latencies, errors


def test_500_connections_hammering_a_playlist_are_all_answered(live):
    uri, _ = variant_playlist(live)
    pid = live.gateway.proc.pid
    rss_before = rss_kib(pid)
    statuses, latencies, errors = asyncio.run(
        hammer(live.gateway.http_port, f"/live/{STREAM}/{uri}", HAMMER_CONNECTIONS, REQUESTS_PER_CONNECTION))
    rss_after = rss_kib(pid)
    assert not errors, f"{len(errors)} connections failed, e.g. {errors[:3]}"
    assert len(statuses) == HAMMER_CONNECTIONS * REQUESTS_PER_CONNECTION
    assert set(statuses) == {200}, f"statuses: {sorted(set(statuses))}"
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 5.0, f"p99 playlist latency {p99:.2f}s under {HAMMER_CONNECTIONS} connections"
    # Connections cost a bounded amount of memory (buffers are per connection, not per request).
    growth_mib = (rss_after - rss_before) / 1024
    assert growth_mib < 96, f"RSS grew {growth_mib:.0f} MiB while serving {HAMMER_CONNECTIONS} connections"
    # The media threads were not starved: the stream is still producing segments.
    wait_for_new_segments(live, 2)
