#!/usr/bin/env python3
"""Record real RTMP publishes and turn them into libFuzzer seeds for `gateway-fuzz`.

    rtmp_capture.py proxy --target PORT --out DIR     # prints "listening on PORT", runs until SIGTERM
    rtmp_capture.py seeds --captures DIR --out Tests/Fuzz/corpus

`proxy` forwards every TCP connection on 127.0.0.1 to the gateway's RTMP port and writes the bytes
of each direction to DIR/conn-N.c2s and DIR/conn-N.s2c. `seeds` splits each client stream into
what the four fuzz targets take (see Sources/RTMPWire/Fuzzing/FuzzHarness.swift):

* handshake/  C0+C1+C2 (RTMP spec 5.2) and the first chunk bytes after it;
* chunk/      the chunk stream after the handshake (RTMP spec 5.3), in pieces of at most 64 KiB;
* amf0/       command and data message payloads (types 20 and 18, RTMP spec 7.1.1, 7.1.2);
* flv/        a selector byte (0 video, 1 audio) + audio/video message bodies (FLV spec E.4.2, E.4.3),
              sequence headers included, plus a few hand-made Enhanced RTMP bodies.
"""

import argparse
import hashlib
import os
import signal
import socket
import struct
import sys
import threading
from pathlib import Path

HANDSHAKE_LENGTH = 1 + 1536 + 1536
PIECE = 64 * 1024


# --- proxy ---

def pump(source, sink, record):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            record.write(data)
            record.flush()
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (sink, source):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy(target_port, out_dir: Path):
    out_dir.mkdir(parents=True, exist_ok=True)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"listening on {listener.getsockname()[1]}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    count = 0
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", target_port), timeout=10)
        upstream.settimeout(None)
        count += 1
        c2s = open(out_dir / f"conn-{count}.c2s", "wb")
        s2c = open(out_dir / f"conn-{count}.s2c", "wb")
        threading.Thread(target=pump, args=(client, upstream, c2s), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, s2c), daemon=True).start()


# --- chunk stream (RTMP spec 5.3) ---

def decode_chunks(data):
    """(type, payload) of every complete message in a client chunk stream; stops at a truncated chunk."""
    chunk_size = 128
    streams = {}
    messages = []
    pos = 0
    while pos < len(data):
        start = pos
        first = data[pos]
        pos += 1
        fmt, csid = first >> 6, first & 0x3F
        if csid == 0:
            if pos + 1 > len(data):
                break
            csid = 64 + data[pos]
            pos += 1
        elif csid == 1:
            if pos + 2 > len(data):
                break
            csid = 64 + data[pos] + data[pos + 1] * 256
            pos += 2
        state = streams.setdefault(csid, {"length": 0, "type": 0, "ext": False, "pending": None})
        header = [11, 7, 3, 0][fmt]
        if pos + header > len(data):
            break
        if fmt < 3:
            field = int.from_bytes(data[pos:pos + 3], "big")
            if fmt <= 1:
                state["length"] = int.from_bytes(data[pos + 3:pos + 6], "big")
                state["type"] = data[pos + 6]
            state["ext"] = field == 0xFFFFFF
            state["pending"] = None
        pos += header
        if state["ext"]:
            # Extended timestamp (RTMP spec 5.3.1.3); continuation chunks from ffmpeg and GStreamer repeat it.
            pos += 4
        pending = state["pending"] or b""
        take = min(state["length"] - len(pending), chunk_size)
        if pos + take > len(data):
            return messages, start
        pending += data[pos:pos + take]
        pos += take
        if len(pending) == state["length"]:
            state["pending"] = None
            messages.append((state["type"], pending))
            if state["type"] == 1 and len(pending) >= 4:
                chunk_size = int.from_bytes(pending[:4], "big") & 0x7FFFFFFF
        else:
            state["pending"] = pending
    return messages, pos


# --- seeds ---

def write_seed(directory: Path, data: bytes, label: str):
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{label}-{hashlib.sha1(data).hexdigest()[:12]}"
    (directory / name).write_bytes(data)


def enhanced_rtmp_bodies():
    """Enhanced RTMP tag bodies neither capture client sends (ExVideoTagHeader, ExAudioTagHeader)."""
    hevc_record = bytes([1] + [0] * 12 + [0xF0] + [0] * 7 + [0xFF, 0x00])
    return {
        "video-ex-hvc1-sequence-start": bytes([0x90]) + b"hvc1" + hevc_record,
        "video-ex-hvc1-coded-frames": bytes([0x91]) + b"hvc1" + bytes([0, 0, 0x21, 0, 0, 0, 2, 0x26, 0x01]),
        "video-ex-hvc1-coded-frames-x": bytes([0xA3]) + b"hvc1" + bytes([0, 0, 0, 2, 0x02, 0x01]),
        "video-ex-modex-avc1": bytes([0x97, 0x02, 0xAA, 0xBB, 0xCC, 0x03]) + b"avc1" + bytes([0, 0, 0, 1, 0x41]),
        "video-ex-metadata": bytes([0x94]) + b"hvc1" + bytes([0x02, 0x00, 0x09]) + b"colorInfo" + b"\x03\x00\x00\x09",
        "video-command-frame": bytes([0x57, 0x00]),
        "video-legacy-hevc-12": bytes([0x1C, 0x00, 0, 0, 0]) + hevc_record,
        "audio-ex-mp4a-sequence-start": bytes([0x90]) + b"mp4a" + bytes([0x11, 0x90]),
        "audio-ex-mp4a-coded-frame": bytes([0x91]) + b"mp4a" + bytes([0x21, 0x10, 0x04]),
    }


def seeds_from_captures(capture_dir: Path, out: Path):
    for path in sorted(capture_dir.glob("*.c2s")):
        client = path.read_bytes()
        label = path.parent.name + "-" + path.stem
        if len(client) < HANDSHAKE_LENGTH:
            continue
        write_seed(out / "handshake", client[:HANDSHAKE_LENGTH], f"{label}-c0c1c2")
        write_seed(out / "handshake", client[:HANDSHAKE_LENGTH + 256], f"{label}-c0c1c2-chunks")
        stream = client[HANDSHAKE_LENGTH:]
        # The first piece holds the whole command flow and the sequence headers; later ones start
        # mid-stream (headers without history), which exercises the decoder's error paths.
        for index, offset in enumerate(range(0, min(len(stream), 4 * PIECE), PIECE)):
            write_seed(out / "chunk", stream[offset:offset + PIECE], f"{label}-piece{index}")
        messages, _ = decode_chunks(stream)
        frames = {8: 0, 9: 0}
        for kind, payload in messages:
            if kind in (18, 20):
                write_seed(out / "amf0", payload, f"{label}-type{kind}")
            elif kind in (8, 9) and payload:
                is_header = payload[1] == 0 if len(payload) > 1 else False
                if is_header or (frames[kind] < 6 and len(payload) <= 32 * 1024):
                    frames[kind] += 0 if is_header else 1
                    selector = b"\x01" if kind == 8 else b"\x00"
                    write_seed(out / "flv", selector + payload, f"{label}-{'audio' if kind == 8 else 'video'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    proxy_args = commands.add_parser("proxy")
    proxy_args.add_argument("--target", type=int, required=True)
    proxy_args.add_argument("--out", type=Path, required=True)
    seed_args = commands.add_parser("seeds")
    seed_args.add_argument("--captures", type=Path, nargs="+", required=True)
    seed_args.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "proxy":
        proxy(args.target, args.out)
    else:
        for target in ("handshake", "chunk", "amf0", "flv"):
            (args.out / target).mkdir(parents=True, exist_ok=True)
            for old in (args.out / target).iterdir():
                old.unlink()
        for capture in args.captures:
            seeds_from_captures(capture, args.out)
        for label, body in enhanced_rtmp_bodies().items():
            selector = b"\x01" if label.startswith("audio") else b"\x00"
            write_seed(args.out / "flv", selector + body, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
