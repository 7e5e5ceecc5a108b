#!/usr/bin/env python3
"""Ingest-to-available latency of live HLS segments (used by scripts/bench-latency.sh).

    hls_latency.py --upstream RTMP_PORT --playlist URL_OR_PATH [options] -- PUBLISHER_CMD...

PUBLISHER_CMD is run with "{port}" replaced by the port of a pass-through TCP proxy that forwards
to 127.0.0.1:RTMP_PORT. The proxy parses the publisher's RTMP chunk stream (RTMP spec 5.3.1) and
stamps the arrival of every video message with its RTMP timestamp. With a real-time (-re)
publisher, media time t arrives at wall time start + t; start is the median of
(arrival - timestamp) over all video messages, so it is measured where the server receives the
bytes, not guessed from the publisher's side.

Meanwhile the rendition playlist (HTTP URL or file) is polled every --poll seconds; each new
segment URI is stamped when first seen. Segment k (counted from the first one, k = 0) ends at
media time E_k = sum of the EXTINF durations of segments 0..k (RFC 8216 4.3.2.1), i.e. (k+1)*d
for a fixed segment length d, so

    latency_k = appear_k - (start + E_k)

is how long after the end of segment k reached the server the segment became listed. Segment 0
(start-up) and segments closed by the end of the stream (listed after the publisher left, or
ending after the last video frame sent) are left out of the summary. Prints one "RESULT" line plus one "SEG" line per segment.
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

HANDSHAKE_BYTES = 1 + 1536 + 1536  # C0 + C1 + C2 (RTMP spec 5.2.1)


class ChunkStreamTimestamps:
    """Client-to-server RTMP chunk stream parser that only keeps message timestamps."""

    def __init__(self):
        self.buffer = bytearray()
        self.skip = HANDSHAKE_BYTES
        self.chunk_size = 128  # RTMP spec 5.4.1 default
        self.streams = {}  # csid -> dict(ts, field, length, type, extended, received)
        self.video = []  # (arrival, timestamp ms)

    def feed(self, data, arrival):
        if self.skip:
            used = min(self.skip, len(data))
            self.skip -= used
            data = data[used:]
        self.buffer += data
        while self._parse_chunk(arrival):
            pass

    def _parse_chunk(self, arrival):
        buf = self.buffer
        if not buf:
            return False
        fmt, csid, pos = buf[0] >> 6, buf[0] & 0x3F, 1
        if csid == 0:  # RTMP spec 5.3.1.1: 2-byte and 3-byte basic headers
            if len(buf) < 2:
                return False
            csid, pos = 64 + buf[1], 2
        elif csid == 1:
            if len(buf) < 3:
                return False
            csid, pos = 64 + buf[1] + buf[2] * 256, 3
        state = self.streams.setdefault(
            csid, {"ts": 0, "field": 0, "length": 0, "type": 0, "extended": False, "received": 0})
        header_len = {0: 11, 1: 7, 2: 3, 3: 0}[fmt]
        if len(buf) < pos + header_len:
            return False
        header = buf[pos:pos + header_len]
        pos += header_len
        field = int.from_bytes(header[0:3], "big") if fmt < 3 else None
        extended = field == 0xFFFFFF if fmt < 3 else state["extended"]
        if extended:  # RTMP spec 5.3.1.3
            if len(buf) < pos + 4:
                return False
            ext_value = int.from_bytes(buf[pos:pos + 4], "big")
            pos += 4
            if fmt < 3:
                field = ext_value
        starts_message = state["received"] == 0
        if fmt <= 1:
            length, msg_type = int.from_bytes(header[3:6], "big"), header[6]
        else:
            length, msg_type = state["length"], state["type"]
        remaining = (length if starts_message else state["length"] - state["received"])
        payload = min(self.chunk_size, remaining)
        if len(buf) < pos + payload:
            return False
        # The whole chunk is here: commit the header state (RTMP spec 5.3.1.2).
        if fmt < 3:
            state["field"] = field
            state["extended"] = extended
        if starts_message:
            state["ts"] = field if fmt == 0 else state["ts"] + state["field"]
            state["length"], state["type"] = length, msg_type
            state["body"] = bytearray()
        state["body"] += buf[pos:pos + payload]
        state["received"] += payload
        del buf[:pos + payload]
        if state["received"] >= state["length"]:
            state["received"] = 0
            if state["type"] == 1 and len(state["body"]) >= 4:  # Set Chunk Size, RTMP spec 5.4.1
                self.chunk_size = int.from_bytes(state["body"][:4], "big") & 0x7FFFFFFF
            elif state["type"] == 9:
                self.video.append((arrival, state["ts"]))
            state["body"] = bytearray()
        return True


def run_proxy(listener, upstream_port, parser, done):
    """Forwards one connection both ways; stamps client bytes as they arrive."""
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", upstream_port))
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def pump(src, dst, stamp):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if stamp:
                    parser.feed(data, time.monotonic())
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    back = threading.Thread(target=pump, args=(server, client, False), daemon=True)
    back.start()
    pump(client, server, True)
    done.set()
    back.join(timeout=5)
    client.close()
    server.close()


class PlaylistPoller:
    """Fetches a media playlist (HTTP keep-alive or a file) and stamps first sightings."""

    def __init__(self, location):
        self.location = location
        self.url = urllib.parse.urlsplit(location) if location.startswith("http") else None
        self.connection = None
        self.first_seen = {}  # uri -> (appear time, extinf seconds, order)
        self.fetch_errors = 0

    def fetch(self):
        if self.url is None:
            try:
                with open(self.location, "rb") as f:
                    return f.read().decode("utf-8", "replace")
            except OSError:
                return None
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=2)
            self.connection.request("GET", self.url.path)
            response = self.connection.getresponse()
            body = response.read()
            return body.decode("utf-8", "replace") if response.status == 200 else None
        except (OSError, http.client.HTTPException):
            self.fetch_errors += 1
            self.connection = None
            return None

    def poll_once(self):
        text = self.fetch()
        now = time.monotonic()
        if not text:
            return
        # Only complete lines count: a file being rewritten may end mid-URI.
        lines = text.split("\n")[:-1] if not text.endswith("\n") else text.split("\n")
        extinf = None
        for line in lines:
            line = line.strip()
            if line.startswith("#EXTINF:"):
                extinf = float(line[8:].split(",")[0])  # RFC 8216 4.3.2.1
            elif line and not line.startswith("#"):
                if line not in self.first_seen and extinf is not None:
                    self.first_seen[line] = (now, extinf, len(self.first_seen))
                extinf = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", type=int, required=True, help="server RTMP port")
    ap.add_argument("--playlist", required=True, help="rendition playlist URL or file path")
    ap.add_argument("--label", default="server")
    ap.add_argument("--poll", type=float, default=0.02, help="poll interval, seconds")
    ap.add_argument("--tail", type=float, default=4.0, help="seconds to keep polling after the publisher ends")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("missing publisher command")

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    parser = ChunkStreamTimestamps()
    disconnected = threading.Event()
    proxy = threading.Thread(target=run_proxy, args=(listener, args.upstream, parser, disconnected), daemon=True)
    proxy.start()

    poller = PlaylistPoller(args.playlist)
    publisher = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ended_at = None
    while True:
        poller.poll_once()
        if ended_at is None and disconnected.is_set():
            ended_at = time.monotonic()
        if ended_at is not None and time.monotonic() - ended_at > args.tail:
            break
        if ended_at is None and publisher.poll() is not None and not disconnected.wait(2):
            ended_at = time.monotonic()
        time.sleep(args.poll)
    publisher.wait()

    if not parser.video:
        print(f"RESULT {args.label} error=no-video-received")
        return 1
    start = statistics.median(arrival - ts / 1000 for arrival, ts in parser.video)
    spread = [arrival - ts / 1000 - start for arrival, ts in parser.video]
    segments = sorted(poller.first_seen.items(), key=lambda item: item[1][2])
    last_video = max(ts for _, ts in parser.video) / 1000
    media_end = 0.0
    latencies = []
    for k, (uri, (appear, extinf, _)) in enumerate(segments):
        media_end += extinf
        latency = appear - (start + media_end)
        # Not counted: start-up, and segments closed by the end of the stream, not by a next IDR.
        steady = k > 0 and appear < ended_at and media_end < last_video
        print(f"SEG {args.label} k={k} extinf={extinf:.3f} end={media_end:.3f} latency={latency:.3f}"
              f"{'' if steady else ' (excluded)'} {uri}")
        if steady:
            latencies.append(latency)
    if not latencies:
        print(f"RESULT {args.label} error=no-segments fetch_errors={poller.fetch_errors}")
        return 1
    latencies.sort()
    p90 = latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))]
    print(f"RESULT {args.label} n={len(latencies)} median={statistics.median(latencies):.3f} "
          f"min={latencies[0]:.3f} p90={p90:.3f} max={latencies[-1]:.3f} "
          f"send_jitter_ms={1000 * (max(spread) - min(spread)):.0f} video_msgs={len(parser.video)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
