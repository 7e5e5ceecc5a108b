#!/usr/bin/env python3
"""A minimal RTMP publisher that sends the tags of an FLV file with rewritten timestamps.

    rtmp_flv_publisher.py URL FILE.flv [--offset-ms N] [--jump AT_MS:DELTA_MS ...] [--stall-after S]
                          [--corrupt-nal-every N [--corrupt-frames inter|disposable]] [--vanish]

Real encoders send timestamps that wrap at 2^32 ms (RTMP spec 5.3.1.2) or jump after an encoder
restart; ffmpeg cannot produce all of them (its FLV muxer writes the extended timestamp byte
masked with 0x7F, so it never sends a timestamp >= 2^31 ms). This client can:

* add a constant offset, modulo 2^32 (`offset_ms`): a clip starting 5 s before the wrap;
* add a delta from a source time on (`jumps`): forward and backward jumps mid-stream;
* stop sending after some seconds without closing the TCP connection (`stall_after`);
* end by cutting the connection without deleteStream (`vanish`), as when an encoder's network fails;
* corrupt every Nth non-keyframe AVC video tag (`corrupt_nal_every`): its first NAL unit length
  prefix (ISO/IEC 14496-15 5.3.2) is rewritten to run 1000 bytes past the end of the tag, the
  way a broken encoder or a bit flip in a relay would. `corrupt_frames="disposable"` counts only
  frames whose slices are all non-reference (nal_ref_idc 0, H.264 7.4.1), so that a receiver
  which drops exactly the corrupt frames is left with a stream that still decodes cleanly.

Pacing follows the source's own timestamps against a monotonic clock, so a rewritten timestamp
never changes when a tag is sent. Flow: simple handshake (RTMP spec 5.2), connect, createStream,
publish (RTMP spec 7.2.1.1, 7.2.2.6), then audio/video messages (types 8/9) as fmt-0 chunks.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

CHUNK_SIZE = 4096
WRAP = 1 << 32


# --- AMF0 (AMF0 spec 2.x): just enough for the command flow. ---

def amf_encode(value):
    if value is None:
        return b"\x05"
    if isinstance(value, bool):
        return b"\x01" + (b"\x01" if value else b"\x00")
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        data = value.encode()
        return b"\x02" + struct.pack(">H", len(data)) + data
    if isinstance(value, dict):
        body = b"".join(struct.pack(">H", len(k.encode())) + k.encode() + amf_encode(v) for k, v in value.items())
        return b"\x03" + body + b"\x00\x00\x09"
    if isinstance(value, list):  # strict array (AMF0 2.12)
        return b"\x0a" + struct.pack(">I", len(value)) + b"".join(amf_encode(v) for v in value)
    raise TypeError(f"cannot AMF0-encode {type(value)}")


def amf_decode_all(data):
    """Decoded values of an AMF0 command body; stops quietly at anything unknown."""
    values, pos = [], 0

    def read(pos):
        marker = data[pos]
        pos += 1
        if marker == 0x00:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        if marker == 0x01:
            return data[pos] != 0, pos + 1
        if marker == 0x02:
            length = struct.unpack(">H", data[pos:pos + 2])[0]
            return data[pos + 2:pos + 2 + length].decode(errors="replace"), pos + 2 + length
        if marker in (0x05, 0x06):
            return None, pos
        if marker in (0x03, 0x08):
            if marker == 0x08:
                pos += 4
            obj = {}
            while True:
                length = struct.unpack(">H", data[pos:pos + 2])[0]
                pos += 2
                if length == 0 and data[pos] == 0x09:
                    return obj, pos + 1
                key = data[pos:pos + length].decode(errors="replace")
                obj[key], pos = read(pos + length)
        if marker == 0x0A:  # strict array
            count, pos, items = struct.unpack(">I", data[pos:pos + 4])[0], pos + 4, []
            for _ in range(count):
                item, pos = read(pos)
                items.append(item)
            return items, pos
        raise ValueError(f"AMF0 marker {marker}")

    try:
        while pos < len(data):
            value, pos = read(pos)
            values.append(value)
    except (ValueError, IndexError, struct.error):
        pass
    return values


# --- Chunk stream (RTMP spec 5.3.1). ---

def chunk_message(csid, msg_type, stream_id, timestamp, payload, chunk_size=CHUNK_SIZE):
    """One message as a fmt-0 chunk followed by fmt-3 chunks (extended timestamp repeated, 5.3.1.3)."""
    timestamp %= WRAP
    extended = timestamp >= 0xFFFFFF
    field = 0xFFFFFF if extended else timestamp
    basic = bytes([csid]) if csid < 64 else bytes([0, csid - 64])
    header = basic + field.to_bytes(3, "big") + len(payload).to_bytes(3, "big") + bytes([msg_type])
    header += struct.pack("<I", stream_id)
    ext = struct.pack(">I", timestamp) if extended else b""
    out = [header, ext, payload[:chunk_size]]
    continuation = bytes([0xC0 | csid]) if csid < 64 else bytes([0xC0, csid - 64])
    for start in range(chunk_size, len(payload), chunk_size):
        out += [continuation, ext, payload[start:start + chunk_size]]
    return b"".join(out)


class ChunkReader:
    """Server-to-client chunk parser (enough for command replies)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.chunk_size = 128
        self.streams = {}

    def _need(self, count):
        while len(self.buffer) < count:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buffer += data

    def _take(self, count):
        self._need(count)
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def message(self):
        """The next complete message as (type, stream_id, payload)."""
        while True:
            first = self._take(1)[0]
            fmt, csid = first >> 6, first & 0x3F
            if csid == 0:
                csid = 64 + self._take(1)[0]
            elif csid == 1:
                low, high = self._take(2)
                csid = 64 + low + high * 256
            state = self.streams.setdefault(csid, {"ts": 0, "len": 0, "type": 0, "sid": 0, "ext": False,
                                                   "data": b""})
            if fmt <= 2:
                field = int.from_bytes(self._take(3), "big")
                if fmt <= 1:
                    state["len"] = int.from_bytes(self._take(3), "big")
                    state["type"] = self._take(1)[0]
                if fmt == 0:
                    state["sid"] = struct.unpack("<I", self._take(4))[0]
                state["ext"] = field == 0xFFFFFF
                if state["ext"]:
                    self._take(4)
            elif state["ext"]:
                self._take(4)
            remaining = state["len"] - len(state["data"])
            state["data"] += self._take(min(remaining, self.chunk_size))
            if len(state["data"]) < state["len"]:
                continue
            payload, state["data"] = state["data"], b""
            if state["type"] == 1 and len(payload) >= 4:
                self.chunk_size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            return state["type"], state["sid"], payload


# --- FLV (Adobe FLV spec E.2-E.4). ---

def flv_tags(path):
    """(tag type, timestamp ms, data) of every tag of an FLV file."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:3] != b"FLV":
        raise ValueError(f"{path} is not an FLV file")
    pos = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        timestamp = int.from_bytes(data[pos + 4:pos + 7], "big") | (data[pos + 7] << 24)
        body = data[pos + 11:pos + 11 + size]
        if len(body) < size:
            break
        tags.append((tag_type, timestamp, body))
        pos += 11 + size + 4
    return tags


def is_sequence_header(tag_type, body):
    if tag_type == 9 and len(body) >= 2:
        if body[0] & 0x80:  # Enhanced RTMP: packet type in the low nibble, 0 = sequence start
            return body[0] & 0x0F == 0
        return body[1] == 0
    if tag_type == 8 and len(body) >= 2:
        if body[0] >> 4 == 9:  # Enhanced RTMP audio: packet type in the low nibble, 0 = sequence start
            return body[0] & 0x0F == 0
        return (body[0] >> 4) == 10 and body[1] == 0
    return False


def write_flv(path, tags, headers_first=True):
    """Writes (tag type, timestamp ms, body) tags as an FLV file (FLV spec E.2, E.3) in publishing
    order: by time, video before audio at the same time, and (headers_first) every sequence header
    before the media, as encoders send them; without it a mid-stream sequence start stays in place."""
    def order(tag):
        return (headers_first and not is_sequence_header(tag[0], tag[2]), tag[1], tag[0] != 9)

    out = bytearray(b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00")
    for tag_type, timestamp, body in sorted(tags, key=order):
        out += bytes([tag_type]) + len(body).to_bytes(3, "big") + (timestamp & 0xFFFFFF).to_bytes(3, "big")
        out += bytes([(timestamp >> 24) & 0xFF]) + b"\x00\x00\x00" + body
        out += struct.pack(">I", 11 + len(body))
    with open(path, "wb") as f:
        f.write(bytes(out))


def avc_nal_length_size(tags):
    """lengthSizeMinusOne + 1 of the first AVC sequence header (ISO/IEC 14496-15 5.3.3.1), or 4."""
    for tag_type, _, body in tags:
        if tag_type == 9 and len(body) >= 10 and body[0] & 0x8F == 0x07 and body[1] == 0:
            return (body[5 + 4] & 0x03) + 1
    return 4


def avc_nal_units(data, length_size):
    """(offset of the length prefix, NAL unit bytes) of the length-prefixed NAL units in `data`."""
    units, pos = [], 0
    while pos + length_size <= len(data):
        length = int.from_bytes(data[pos:pos + length_size], "big")
        units.append((pos, data[pos + length_size:pos + length_size + length]))
        pos += length_size + length
    return units


def corruptible(body, length_size, frames):
    """True for a legacy AVC coded-frame tag (FLV spec E.4.3.1: CodecID 7, AVCPacketType 1) that
    is not a keyframe and, with frames="disposable", carries only non-reference slices."""
    if len(body) < 5 + length_size or body[0] & 0x80 or body[0] & 0x0F != 7 or body[1] != 1:
        return False
    if body[0] >> 4 == 1:
        return False
    if frames == "inter":
        return True
    slices = [unit[0] for _, unit in avc_nal_units(body[5:], length_size) if unit and unit[0] & 0x1F in (1, 5)]
    return bool(slices) and not any(header & 0x60 for header in slices)


def corrupt_nal_length(body, length_size):
    """The tag with its first NAL unit length set to overrun the tag by 1000 bytes (or as far as
    a `length_size`-byte prefix reaches)."""
    overrun = min(len(body) + 1000, (1 << (8 * length_size)) - 1)
    assert overrun > len(body) - 5 - length_size, "tag too large to overrun with this length size"
    return body[:5] + overrun.to_bytes(length_size, "big") + body[5 + length_size:]


class Publisher:
    """Publishes `flv_path` to `url` in a background thread; `stop()` closes the connection."""

    def __init__(self, url, flv_path, offset_ms=0, jumps=(), stall_after=None, loops=1, corrupt_nal_every=None,
                 corrupt_frames="inter", vanish=False, connect_extra=None):
        self.url = url
        # More connect properties (Enhanced RTMP: fourCcList, videoFourCcInfoMap...).
        self.connect_extra = dict(connect_extra or {})
        self.connect_result = None  # the decoded `_result` values of connect
        self.vanish = vanish  # after the last tag: cut the connection without deleteStream
        self.tags = flv_tags(flv_path)
        self.offset_ms = offset_ms
        self.jumps = sorted(jumps)  # [(source_ms, delta_ms)]: from source_ms on, add delta_ms
        self.stall_after = stall_after
        self.loops = loops
        if corrupt_frames not in ("inter", "disposable"):
            raise ValueError(f"corrupt_frames must be 'inter' or 'disposable', not {corrupt_frames!r}")
        self.corrupt_nal_every = corrupt_nal_every
        self.corrupt_frames = corrupt_frames
        self.corrupted = []  # source ms (from the first media tag) of every corrupted video tag sent
        self.first_corrupted = threading.Event()
        self.sent_timestamps = []  # (tag type, timestamp sent) of every media message
        self.statuses = []  # (code, description) of every onStatus the server sent after the publish started
        self.error = None
        self.published = threading.Event()
        self.finished = threading.Event()
        self.stalled = threading.Event()
        self._stop = threading.Event()
        self._sock = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=10):
        self._stop.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout)

    def wait(self, timeout):
        """True when every tag was sent (or the publish failed) within `timeout`."""
        return self.finished.wait(timeout)

    def rewrite(self, source_ms):
        delta = self.offset_ms
        for at, jump in self.jumps:
            if source_ms >= at:
                delta += jump
        return (source_ms + delta) % WRAP

    def _run(self):
        try:
            self._publish()
        except Exception as error:  # reported through .error; the tests assert on it
            if not self._stop.is_set():
                self.error = error
        finally:
            self.finished.set()

    def _publish(self):
        parsed = urllib.parse.urlsplit(self.url)
        app, _, name = parsed.path.lstrip("/").partition("/")
        sock = socket.create_connection((parsed.hostname, parsed.port or 1935), timeout=10)
        self._sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Simple handshake (RTMP spec 5.2.2-5.2.4): zero version bytes in C1.
        c1 = struct.pack(">II", 0, 0) + os.urandom(1528)
        sock.sendall(b"\x03" + c1)
        reader = ChunkReader(sock)
        s0s1s2 = reader._take(1 + 1536 + 1536)
        sock.sendall(s0s1s2[1:1537])  # C2 echoes S1
        sock.sendall(chunk_message(2, 1, 0, 0, struct.pack(">I", CHUNK_SIZE), chunk_size=128))
        tc_url = f"rtmp://{parsed.hostname}:{parsed.port or 1935}/{app}"
        self._command(sock, "connect", 1, {"app": app, "type": "nonprivate", "flashVer": "FMLE/3.0",
                                          "tcUrl": tc_url, **self.connect_extra})
        self.connect_result = self._await_result(reader, 1)
        self._command(sock, "createStream", 2, None)
        stream_id = int(self._await_result(reader, 2)[3])
        self._command(sock, "publish", 3, None, name, "live", stream_id=stream_id, csid=8)
        while True:
            _, _, payload = self._await_type(reader, (20,))
            values = amf_decode_all(payload)
            if values and values[0] == "onStatus" and len(values) > 3 and isinstance(values[3], dict):
                code = values[3].get("code", "")
                if code == "NetStream.Publish.Start":
                    break
                raise ConnectionError(f"publish refused: {code}")
        self.published.set()
        sock.settimeout(None)
        threading.Thread(target=self._drain, args=(reader,), daemon=True).start()
        self._send_media(sock, stream_id)

    def _command(self, sock, name, txn, obj, *args, stream_id=0, csid=3):
        body = amf_encode(name) + amf_encode(txn) + amf_encode(obj) + b"".join(amf_encode(a) for a in args)
        sock.sendall(chunk_message(csid, 20, stream_id, 0, body))

    @staticmethod
    def _await_type(reader, types):
        while True:
            message = reader.message()
            if message[0] in types:
                return message

    def _await_result(self, reader, txn):
        while True:
            _, _, payload = self._await_type(reader, (20,))
            values = amf_decode_all(payload)
            if len(values) >= 2 and values[1] == txn:
                if values[0] != "_result":
                    raise ConnectionError(f"command {txn} failed: {values}")
                return values

    def _drain(self, reader):
        """Reads whatever the server sends, so its replies never fill the socket, and keeps its
        onStatus codes (e.g. NetStream.Publish.Failed)."""
        try:
            while True:
                kind, _, payload = reader.message()
                if kind != 20:
                    continue
                values = amf_decode_all(payload)
                if values and values[0] == "onStatus" and len(values) > 3 and isinstance(values[3], dict):
                    self.statuses.append((values[3].get("code", ""), values[3].get("description", "")))
        except Exception:  # a closed socket, or a message this small reader does not know: stop reading
            pass

    def _send_media(self, sock, stream_id):
        started = time.monotonic()
        media = [(t, ts, body) for t, ts, body in self.tags if t in (8, 9)]
        if not media:
            return
        first = media[0][1]
        span = media[-1][1] - first + 33
        length_size = avc_nal_length_size(self.tags)
        candidates = 0  # tags eligible for corruption so far
        for loop in range(self.loops):
            for tag_type, timestamp, body in media:
                if loop > 0 and is_sequence_header(tag_type, body):
                    continue
                source_ms = timestamp - first + loop * span
                due = started + source_ms / 1000
                if self.stall_after is not None and source_ms / 1000 >= self.stall_after:
                    self.stalled.set()
                    self._stop.wait()  # keep the TCP connection open, send nothing
                    return
                while not self._stop.is_set():
                    delay = due - time.monotonic()
                    if delay <= 0:
                        break
                    self._stop.wait(min(delay, 0.05))
                if self._stop.is_set():
                    return
                sent = self.rewrite(source_ms)
                corrupt = False
                if self.corrupt_nal_every and tag_type == 9 and corruptible(body, length_size, self.corrupt_frames):
                    candidates += 1
                    if candidates % self.corrupt_nal_every == 0:
                        body, corrupt = corrupt_nal_length(body, length_size), True
                sock.sendall(chunk_message(4 if tag_type == 8 else 6, tag_type, stream_id, sent, body))
                self.sent_timestamps.append((tag_type, sent))
                if corrupt:
                    self.corrupted.append(source_ms)
                    self.first_corrupted.set()
        if self.vanish:  # a dropped connection, as when an encoder's network fails
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            return
        # A polite end (RTMP spec 7.2.2.3 deleteStream), then close.
        self._command(sock, "deleteStream", 4, None, stream_id)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(5)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("flv")
    parser.add_argument("--offset-ms", type=int, default=0)
    parser.add_argument("--jump", action="append", default=[], help="SOURCE_MS:DELTA_MS")
    parser.add_argument("--stall-after", type=float)
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--vanish", action="store_true", help="end by cutting the connection (no deleteStream)")
    parser.add_argument("--corrupt-nal-every", type=int, metavar="N",
                        help="make the first NAL length of every Nth non-keyframe AVC tag overrun the tag")
    parser.add_argument("--corrupt-frames", choices=("inter", "disposable"), default="inter",
                        help="which tags count for --corrupt-nal-every: every inter frame, or only "
                             "non-reference ones (default: inter)")
    args = parser.parse_args()
    jumps = [tuple(int(x) for x in j.split(":")) for j in args.jump]
    publisher = Publisher(args.url, args.flv, args.offset_ms, jumps, args.stall_after, args.loops,
                          args.corrupt_nal_every, args.corrupt_frames, vanish=args.vanish).start()
    try:
        while not publisher.wait(1):
            pass
    except KeyboardInterrupt:
        publisher.stop()
    if publisher.error:
        print(f"publish failed: {publisher.error}", file=sys.stderr)
        return 1
    if args.corrupt_nal_every:
        print(f"corrupted {len(publisher.corrupted)} video tags", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
