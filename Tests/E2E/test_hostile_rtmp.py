"""Hostile RTMP input against the gateway binary while a real stream is live.

One gateway (short handshake and idle timeouts) serves the whole module; ffmpeg publishes a looped
clip to it from the start. Each test attacks the RTMP port from its own raw sockets and checks that
1. the gateway closes every bad connection within that connection's timeout and logs why
   (`client=IP:PORT reason=... connection closed`, or `connection refused` at the listener), and
2. the live stream keeps flowing: the publisher stays connected and its renditions' playlists keep
   gaining segments.
"""

import os
import random
import re
import selectors
import socket
import struct
import time

import pytest

from conftest import Gateway, http_fetch, publish_ffmpeg, stop_process, wait_for

HANDSHAKE_TIMEOUT = 2
IDLE_TIMEOUT = 5
# Slack on top of a timeout for a busy 2-core machine (the live stream is transcoding meanwhile).
SLACK = 4
SLOWLORIS_CONNECTIONS = 1000
STREAM = "steady"
RENDITIONS = ("360p", "240p")
CONFIG = f"""\
rtmp:
  max_connections: 2000
  max_connections_per_ip: 1500
  handshake_timeout_seconds: {HANDSHAKE_TIMEOUT}
  idle_timeout_seconds: {IDLE_TIMEOUT}
"""
HANDSHAKE_SIZE = 1536
DEFAULT_CHUNK_SIZE = 128


# --- AMF0 (AMF0 spec 2.x) and chunks (RTMP spec 5.3), just enough to drive the gateway. ---

def amf0(*values):
    out = b""
    for value in values:
        if value is None:
            out += b"\x05"
        elif isinstance(value, bool):
            out += b"\x01" + bytes([value])
        elif isinstance(value, (int, float)):
            out += b"\x00" + struct.pack(">d", value)
        elif isinstance(value, str):
            out += b"\x02" + struct.pack(">H", len(value.encode())) + value.encode()
        elif isinstance(value, dict):
            out += b"\x03"
            for key, item in value.items():
                out += struct.pack(">H", len(key.encode())) + key.encode() + amf0(item)
            out += b"\x00\x00\x09"
        else:
            raise TypeError(type(value))
    return out


def chunks(msg_type, payload, csid=3, stream_id=0, timestamp=0, length=None):
    """A message as a type 0 chunk plus type 3 continuations (RTMP spec 5.3.1.2.1, 5.3.1.2.4).
    `length` overrides the announced message length."""
    announced = len(payload) if length is None else length
    out = bytes([csid]) + timestamp.to_bytes(3, "big") + announced.to_bytes(3, "big") + bytes([msg_type])
    out += struct.pack("<I", stream_id)
    for offset in range(0, max(len(payload), 1), DEFAULT_CHUNK_SIZE):
        if offset:
            out += bytes([0xC0 | csid])
        out += payload[offset:offset + DEFAULT_CHUNK_SIZE]
    return out


class RawClient:
    """One TCP connection to the RTMP port, driven byte by byte."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.sock = socket.create_connection(("127.0.0.1", gateway.rtmp_port), timeout=10)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.server_chunk_size = DEFAULT_CHUNK_SIZE
        self.headers = {}

    def send(self, data):
        self.sock.sendall(data)

    def _read(self, count):
        while len(self.received) < count:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed by the gateway")
            self.received += data
        out, self.received = self.received[:count], self.received[count:]
        return out

    def handshake(self):
        """Simple handshake (RTMP spec 5.2): C0+C1, read S0+S1+S2, answer S1 as C2."""
        self.send(b"\x03" + bytes(8) + random.Random(self.port).randbytes(HANDSHAKE_SIZE - 8))
        response = self._read(1 + 2 * HANDSHAKE_SIZE)
        assert response[0] == 3
        self.send(response[1:1 + HANDSHAKE_SIZE])

    def read_message(self):
        """(type, payload) of the next complete server message; applies Set Chunk Size."""
        pending = {}
        while True:
            first = self._read(1)[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + self._read(1)[0]
            elif csid == 1:
                low, high = self._read(2)
                csid = 64 + low + high * 256
            header = self.headers.setdefault(csid, {"length": 0, "type": 0, "extended": False})
            if fmt < 3:
                fields = self._read([11, 7, 3][fmt])
                if fmt < 2:
                    header["length"] = int.from_bytes(fields[3:6], "big")
                    header["type"] = fields[6]
                header["extended"] = fields[:3] == b"\xff\xff\xff"
            if header["extended"]:
                self._read(4)
            body = pending.get(csid, b"")
            body += self._read(min(header["length"] - len(body), self.server_chunk_size))
            if len(body) < header["length"]:
                pending[csid] = body
                continue
            pending.pop(csid, None)
            if header["type"] == 1:
                self.server_chunk_size = int.from_bytes(body[:4], "big") & 0x7FFFFFFF
            return header["type"], body

    def command(self, *values, stream_id=0):
        self.send(chunks(20, amf0(*values), csid=3, stream_id=stream_id))

    def wait_result(self, transaction_id):
        """Read until the `_result` of `transaction_id` (RTMP spec 7.2.1.1)."""
        expected = amf0("_result", transaction_id)
        while True:
            msg_type, payload = self.read_message()
            if msg_type == 20 and payload.startswith(expected):
                return payload

    def connect(self):
        self.handshake()
        self.command("connect", 1, {"app": "live", "type": "nonprivate", "flashVer": "FMLE/3.0",
                                    "tcUrl": self.gateway.rtmp_url("x").rsplit("/", 1)[0]})
        self.wait_result(1)

    def wait_closed(self, timeout):
        """Seconds until the gateway closed the connection; fails after `timeout`."""
        start = time.monotonic()
        self.sock.settimeout(0.5)
        while time.monotonic() - start < timeout:
            try:
                if not self.sock.recv(65536):
                    return time.monotonic() - start
            except socket.timeout:
                continue
            except ConnectionError:
                return time.monotonic() - start
        raise AssertionError(f"connection {self.port} still open after {timeout}s")

    def close_reason(self, timeout=5):
        """The reason the gateway logged when it closed this connection."""
        match = self.gateway.wait_log(
            rf"client=127\.0\.0\.1:{self.port} reason=(.*?) \[Gateway\] connection closed", timeout)
        return match.group(1)

    def close(self):
        self.sock.close()


# --- the live stream every test must leave undisturbed ---

class LiveStream:
    def __init__(self, gateway, publisher):
        self.gateway = gateway
        self.publisher = publisher

    def last_segments(self):
        """Per rendition, the media sequence number of the newest segment (RFC 8216 4.3.3.2)."""
        last = {}
        for rendition in RENDITIONS:
            status, body = http_fetch(self.gateway.http_url(f"/live/{STREAM}/{rendition}/index.m3u8"), timeout=5)
            if status != 200:
                return None
            text = body.decode()
            sequence = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
            if not sequence:
                return None
            last[rendition] = int(sequence.group(1)) + text.count("#EXTINF") - 1
        return last

    def assert_flowing(self, before):
        """The publisher is still connected and every rendition gained a segment since `before`."""
        def advanced():
            now = self.last_segments()
            return now and all(now[r] > before[r] for r in RENDITIONS) and now

        wait_for(advanced, 15, f"new segments after {before}", interval=0.25)
        assert self.publisher.poll() is None, "the publisher exited"
        stops = re.findall(rf".*stream={STREAM} .*publish stop.*", self.gateway.log())
        assert not stops, stops


@pytest.fixture(scope="module")
def live(tmp_path_factory, clip10):
    workdir = tmp_path_factory.mktemp("hostile")
    config = workdir / "gateway.yaml"
    config.write_text(CONFIG)
    gateway = Gateway(workdir, ["--profile", "profiles/test-small.yaml", "--config", str(config)])
    publisher = None
    try:
        publisher = publish_ffmpeg(gateway.rtmp_url(STREAM), clip10, loop=True, log=open(workdir / "ffmpeg.log", "w"))
        gateway.wait_log(rf"stream={STREAM} .*publish start", 30)
        stream = LiveStream(gateway, publisher)
        wait_for(stream.last_segments, 30, "the first segments of the live stream", interval=0.25)
        yield stream
    finally:
        if publisher:
            stop_process(publisher, timeout=5)
        gateway.stop()


@pytest.fixture
def before(live):
    return live.last_segments()


# --- the attacks ---

def test_random_bytes_instead_of_a_handshake(live, before):
    noise = bytearray(random.Random(1).randbytes(16384))
    noise[0] = 0xC4  # not RTMP version 3 (RTMP spec 5.2.2)
    client = RawClient(live.gateway)
    client.send(bytes(noise))
    assert client.wait_closed(SLACK) < SLACK
    assert client.close_reason() == "unsupportedVersion(196)"
    live.assert_flowing(before)


def test_random_bytes_after_version_3(live, before):
    # A valid C0, random C1/C2, then random "chunks": closed by the chunk decoder or the idle timeout.
    client = RawClient(live.gateway)
    client.send(b"\x03" + random.Random(2).randbytes(65536))
    assert client.wait_closed(IDLE_TIMEOUT + SLACK) < IDLE_TIMEOUT + SLACK
    assert client.close_reason()
    live.assert_flowing(before)


def test_garbage_after_a_valid_handshake(live, before):
    reasons = []
    for seed in range(3):
        client = RawClient(live.gateway)
        client.handshake()
        client.send(random.Random(100 + seed).randbytes(32768))
        assert client.wait_closed(IDLE_TIMEOUT + SLACK) < IDLE_TIMEOUT + SLACK
        reasons.append(client.close_reason())
    assert all(reasons), reasons
    live.assert_flowing(before)


@pytest.mark.parametrize("size", [0, 2**31])
def test_set_chunk_size_out_of_range(live, before, size):
    client = RawClient(live.gateway)
    client.connect()
    client.send(chunks(1, struct.pack(">I", size), csid=2))  # RTMP spec 5.4.1: 1 to 2^31-1
    assert client.wait_closed(SLACK) < SLACK
    assert client.close_reason() == f"invalidChunkSize({size})"
    live.assert_flowing(before)


def test_16_mib_message_length(live, before):
    client = RawClient(live.gateway)
    client.connect()
    client.command("createStream", 2, None)
    client.wait_result(2)
    # 0xFFFFFF, the largest length the 3-byte field holds (RTMP spec 5.3.1.2.1), then data.
    client.send(chunks(9, bytes(4096), csid=6, stream_id=1, length=0xFFFFFF)[:4096])
    assert client.wait_closed(SLACK) < SLACK
    assert client.close_reason() == "messageTooLarge(length: 16777215, limit: 8388608)"
    live.assert_flowing(before)


def test_unknown_message_types_are_ignored_then_idle_closed(live, before):
    client = RawClient(live.gateway)
    client.connect()
    for msg_type in (0, 7, 0x7F, 0xFF):
        client.send(chunks(msg_type, b"\x00\x01\x02\x03", csid=4))
    client.command("createStream", 2, None)
    assert client.wait_result(2), "the session stopped answering after unknown message types"
    # Then silence: the idle timeout closes it.
    assert client.wait_closed(IDLE_TIMEOUT + SLACK) < IDLE_TIMEOUT + SLACK
    assert client.close_reason() == f"no data for {IDLE_TIMEOUT} s (dead or idle peer)"
    live.assert_flowing(before)


def test_publish_before_connect(live, before):
    client = RawClient(live.gateway)
    client.handshake()
    client.command("publish", 0, None, STREAM, "live", stream_id=1)
    assert client.wait_closed(SLACK) < SLACK
    assert client.close_reason() == "command publish before connect"
    live.assert_flowing(before)


def test_slowloris_handshakes_time_out(live, before):
    """1,000 connections that never finish the handshake: half silent, half stopping inside C1."""
    selector = selectors.DefaultSelector()
    opened = {}
    partial_c1 = b"\x03" + bytes(700)
    try:
        for index in range(SLOWLORIS_CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", live.gateway.rtmp_port), timeout=10)
            if index % 2:
                sock.sendall(partial_c1)
            sock.setblocking(False)
            opened[sock] = (sock.getsockname()[1], time.monotonic())
            selector.register(sock, selectors.EVENT_READ)
        open_phase = time.monotonic() - min(t for _, t in opened.values())

        lifetimes = {}
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT + open_phase + SLACK
        while len(lifetimes) < len(opened) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                try:
                    data = sock.recv(65536)
                except ConnectionError:
                    data = b""
                if data:
                    continue  # the gateway never answers a partial C0+C1, but be lenient
                port, started = opened[sock]
                lifetimes[port] = time.monotonic() - started
                selector.unregister(sock)
        still_open = len(opened) - len(lifetimes)
        assert still_open == 0, f"{still_open} slowloris connections still open after the handshake timeout"
        assert max(lifetimes.values()) < HANDSHAKE_TIMEOUT + SLACK, max(lifetimes.values())
        assert min(lifetimes.values()) > HANDSHAKE_TIMEOUT - 0.5, min(lifetimes.values())
    finally:
        for sock in opened:
            sock.close()
        selector.close()

    log = live.gateway.log()
    timed_out = set(int(port) for port in re.findall(
        rf"client=127\.0\.0\.1:(\d+) reason=timedOut\({HANDSHAKE_TIMEOUT} s\) \[Gateway\] connection closed", log))
    missing = [port for port, _ in opened.values() if port not in timed_out]
    assert not missing, f"{len(missing)} connections closed without the handshake timeout logged"
    # The listener still takes real clients.
    client = RawClient(live.gateway)
    client.connect()
    client.close()
    live.assert_flowing(before)


def test_per_ip_limit_refuses_with_a_reason(gateway_factory, tmp_path):
    config = tmp_path / "limits.yaml"
    config.write_text("rtmp:\n  max_connections: 10\n  max_connections_per_ip: 3\n  handshake_timeout_seconds: 5\n")
    gateway = gateway_factory("--config", str(config))
    held = [RawClient(gateway) for _ in range(3)]
    try:
        for client in held:  # admitted: they get S0S1S2 back
            client.handshake()
        extra = RawClient(gateway)
        assert extra.wait_closed(SLACK) < SLACK
        gateway.wait_log(r"client=127\.0\.0\.1 reason=per-IP connection limit \(3\) reached \[Gateway\] "
                         r"connection refused", 5)
        for client in held:  # the refusal did not touch the admitted ones
            client.command("connect", 1, {"app": "live"})
            client.wait_result(1)
    finally:
        for client in held:
            client.close()
