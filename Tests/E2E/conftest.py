"""End-to-end harness: runs the real `gateway` binary with real publishers and players.

Everything binds 127.0.0.1 with ports the OS picks; every child process has a deadline and is
stopped by PID. Waits poll for an observable event (a log line, a playlist entry) with a
deadline instead of sleeping a fixed time.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GATEWAY_BIN = os.environ.get("GATEWAY_BIN", str(REPO / ".build/debug/gateway"))
JS_PLAYERS_DIR = os.environ.get("JS_PLAYERS_DIR", str(REPO / ".cache/js"))


def poll(predicate, timeout, interval=0.1):
    """Poll `predicate` until it returns a truthy value (returned) or `timeout` seconds pass (None).

    The one poll interval of the harness: the events waited for (a playlist entry, a player's
    position, a status counter) are only observable by asking for them.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def wait_for(predicate, timeout, what, interval=0.1):
    """Poll `predicate` until it returns a truthy value or `timeout` seconds pass (an error)."""
    value = poll(predicate, timeout, interval)
    if not value:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")
    return value


def ticks(period, duration):
    """Yield the seconds elapsed, every `period` seconds, until `duration` has passed.

    A measurement cadence, not a wait: tests that measure playback, lag or memory over time
    sample at a fixed rate. The schedule does not drift with the time each sample takes.
    """
    start = time.monotonic()
    count = 0
    while True:
        elapsed = time.monotonic() - start
        yield elapsed
        if elapsed >= duration:
            return
        count += 1
        time.sleep(max(0.0, start + count * period - time.monotonic()))


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Signal a child and wait for it; SIGKILL after `timeout`. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class Gateway:
    """One running `gateway serve` on OS-picked ports."""

    def __init__(self, workdir: Path, args):
        self.workdir = workdir
        self.log_path = workdir / "gateway.log"
        self._log = open(self.log_path, "w")
        cmd = [GATEWAY_BIN, "serve", "--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0", *args]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)
        self.rtmp_port = int(self.wait_log(r"RTMP listening on [\d.]+:(\d+)", 60).group(1))
        self.http_port = int(self.wait_log(r"HTTP listening on [\d.]+:(\d+)", 30).group(1))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern, timeout, after=0):
        """Wait for a regex in the log (optionally only after byte offset `after`)."""
        rx = re.compile(pattern)

        def probe():
            if self.proc.poll() is not None:
                raise AssertionError(f"gateway exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            return rx.search(self.log()[after:])

        return wait_for(probe, timeout, f"log line /{pattern}/")

    def log_offset(self) -> int:
        return len(self.log())

    def rtmp_url(self, name, app="live"):
        return f"rtmp://127.0.0.1:{self.rtmp_port}/{app}/{name}"

    def http_url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def stop(self, sig=signal.SIGTERM, timeout=15):
        code = stop_process(self.proc, sig, timeout)
        self._log.close()
        return code


@pytest.fixture
def gateway_factory(tmp_path):
    started = []

    def start(*args, profile="profiles/test-small.yaml"):
        gw = Gateway(tmp_path, ["--profile", profile, *args])
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(gateway_factory):
    return gateway_factory()


FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]


def make_clip(path: Path, seconds=10, size="640x360", rate=30, gop=60, vcodec="libx264"):
    """A generated H.264/AAC (or HEVC with vcodec=libx265) clip with a moving pattern and tone."""
    if path.exists():
        return path
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(seconds), "-c:v", vcodec, "-preset", "veryfast", "-g", str(gop),
         "-keyint_min", str(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "800k",
         "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-y", str(path)],
        check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def clip10(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "clip10.flv", seconds=10)


def publish_ffmpeg(url, clip, loop=False, realtime=True, log=None):
    """Start an ffmpeg RTMP publisher (-c copy) and return the Popen."""
    args = [*FFMPEG]
    if realtime:
        args.append("-re")
    if loop:
        args += ["-stream_loop", "-1"]
    args += ["-i", str(clip), "-c", "copy", "-f", "flv", url]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log or subprocess.PIPE)


# --- Helpers shared by the packaging and profile tests (HTTP fetch, ISO BMFF box walk). ---

import struct  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402


def fetch_text(url, timeout=5):
    """GET `url` and decode it; raises OSError (URLError/HTTPError) when it cannot."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def http_fetch(url, timeout=10):
    """GET `url`; returns (status, body bytes), also for 4xx/5xx answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# Boxes whose payload is only child boxes (ISO/IEC 14496-12 8.x).
MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"dinf", b"edts", b"moof", b"traf"}
# Bytes of a sample entry before its child boxes: VisualSampleEntry 8 + 70, AudioSampleEntry 8 + 20
# (ISO/IEC 14496-12 8.5.2, 12.1.3, 12.2.3).
MP4_SAMPLE_ENTRY_FIELDS = {b"avc1": 78, b"avc3": 78, b"hvc1": 78, b"hev1": 78, b"vp09": 78, b"av01": 78, b"mp4a": 28}


def mp4_boxes(data: bytes, path=""):
    """Every box of an ISO BMFF byte string as (path, payload) in file order, descending into
    containers, stsd and sample entries: ("moov/trak/mdia/minf/stbl/stsd/avc1/avcC", b"...").
    Raises ValueError when a box size does not fit its parent."""
    boxes = []
    pos = 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError(f"{len(data) - pos} trailing bytes after the last box in {path or 'file'}")
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = len(data) - pos
        if size < header or pos + size > len(data):
            raise ValueError(f"box {kind!r} at {pos} in {path or 'file'} has size {size} past its parent")
        payload = data[pos + header:pos + size]
        name = f"{path}/{kind.decode('latin-1')}" if path else kind.decode("latin-1")
        boxes.append((name, payload))
        if kind in MP4_CONTAINERS:
            boxes += mp4_boxes(payload, name)
        elif kind == b"stsd":
            boxes += mp4_boxes(payload[8:], name)  # version/flags + entry_count
        elif kind in MP4_SAMPLE_ENTRY_FIELDS:
            boxes += mp4_boxes(payload[MP4_SAMPLE_ENTRY_FIELDS[kind]:], name)
        pos += size
    return boxes
