"""Low-latency HLS client helpers: an LL media playlist read through the `m3u8` parser (parts
addressed by (media sequence number, part index) as a client computes them, never from the
server's URI naming), timed GETs, and the CMAF part facts the LL tests check."""

import struct
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import m3u8

from clients.live import http_get
from conftest import mp4_boxes


@dataclass
class Part:
    msn: int
    index: int
    uri: str
    duration: float
    independent: bool


@dataclass
class Timed:
    """A GET answer with its timing (monotonic seconds)."""

    status: int
    headers: object
    body: bytes
    started: float
    done: float

    @property
    def elapsed(self):
        return self.done - self.started


def timed_get(url, timeout=10):
    started = time.monotonic()
    status, headers, body = http_get(url, timeout)
    return Timed(status, headers, body, started, time.monotonic())


class LLPlaylist:
    """One LL-HLS media playlist: complete segments, their parts, the in-progress segment."""

    def __init__(self, text, url=""):
        self.text, self.url = text, url
        parsed = m3u8.loads(text)
        self.media_sequence = parsed.media_sequence
        control = parsed.server_control
        self.can_block_reload = control.can_block_reload if control else None
        self.part_hold_back = control.part_hold_back if control else None
        self.part_target = parsed.part_inf.part_target if parsed.part_inf else None
        self.hint = parsed.preload_hint.uri if parsed.preload_hint else None
        self.hint_type = parsed.preload_hint.hint_type if parsed.preload_hint else None
        self.reports = [(r.uri, r.last_msn, r.last_part) for r in parsed.rendition_reports]
        self.segments = []  # (msn, uri, duration, [Part])
        self.pending = []  # parts of the segment after the last complete one
        for offset, segment in enumerate(parsed.segments):
            msn = self.media_sequence + offset
            parts = [Part(msn, i, p.uri, p.duration, p.independent == "YES") for i, p in enumerate(segment.parts)]
            if segment.uri is None:  # m3u8 keeps trailing parts as a segment without URI
                self.pending = parts
            else:
                self.segments.append((msn, segment.uri, segment.duration, parts))
        self.last_msn = self.segments[-1][0] if self.segments else self.media_sequence - 1

    @property
    def live_msn(self):
        """Media sequence number of the segment in progress (the one the pending parts belong to)."""
        return self.last_msn + 1

    def parts(self):
        return [p for _, _, _, parts in self.segments for p in parts] + self.pending

    def part(self, msn, index):
        return next((p for p in self.parts() if (p.msn, p.index) == (msn, index)), None)

    def last_part(self):
        parts = self.parts()
        return (parts[-1].msn, parts[-1].index) if parts else None

    def next_part(self):
        """(msn, part) a client asks for next: the hinted part, or without a hint the part after the
        last one, which a server answers with whatever part comes next (RFC 8216bis 6.2.5.2)."""
        return self.live_msn, len(self.pending)

    def reached(self, msn, index=None):
        """Whether this playlist answers a reload for (msn, index) (index None: segment msn complete):
        it lists that part or a later one."""
        if index is None:
            return self.last_msn >= msn
        return any((p.msn, p.index) >= (msn, index) for p in self.parts())

    def resolve(self, uri):
        return urljoin(self.url, uri)


def fetch_playlist(url, msn=None, part=None, timeout=10):
    """(Timed, LLPlaylist or None) of a plain or blocking (`_HLS_msn`/`_HLS_part`) reload."""
    query = "" if msn is None else f"?_HLS_msn={msn}" + ("" if part is None else f"&_HLS_part={part}")
    answer = timed_get(url + query, timeout)
    playlist = LLPlaylist(answer.body.decode(), url) if answer.status == 200 else None
    return answer, playlist


def top_boxes(data):
    """Types of the top-level boxes of an ISO BMFF byte string, in order."""
    return [path for path, _ in mp4_boxes(data) if "/" not in path]


def trex_default_flags(init_bytes):
    """default_sample_flags of the init segment's trex (ISO/IEC 14496-12 8.8.3)."""
    payload = next(p for path, p in mp4_boxes(init_bytes) if path == "moov/mvex/trex")
    return struct.unpack(">I", payload[20:24])[0]


def first_sample_is_sync(fragment_bytes, trex_flags):
    """Whether the first sample of the first moof is a sync sample (sample_is_non_sync_sample = 0;
    flags from trun first_sample_flags, trun per-sample flags, tfhd default, else trex)."""
    boxes = mp4_boxes(fragment_bytes)
    tfhd = next(p for path, p in boxes if path == "moof/traf/tfhd")
    trun = next(p for path, p in boxes if path == "moof/traf/trun")
    flags = trex_flags
    tf_flags = struct.unpack(">I", tfhd[:4])[0] & 0xFFFFFF
    if tf_flags & 0x20:
        offset = 8 + (8 if tf_flags & 0x1 else 0) + sum(4 for bit in (0x2, 0x8, 0x10) if tf_flags & bit)
        flags = struct.unpack(">I", tfhd[offset:offset + 4])[0]
    tr_flags = struct.unpack(">I", trun[:4])[0] & 0xFFFFFF
    pos = 8 + (4 if tr_flags & 0x1 else 0)
    if tr_flags & 0x4:
        flags = struct.unpack(">I", trun[pos:pos + 4])[0]
    elif tr_flags & 0x400:
        pos += (4 if tr_flags & 0x100 else 0) + (4 if tr_flags & 0x200 else 0)
        flags = struct.unpack(">I", trun[pos:pos + 4])[0]
    return not flags & 0x10000
