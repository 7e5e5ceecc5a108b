"""VLC 3.0 headless (cvlc, dummy outputs), driven through its "oldrc" remote-control interface.

VLC refuses to run as root, so as root it runs as nobody via setpriv. --run-time and
--play-and-exit are not used: VLC compares them with stream timestamps, which makes a live
stream "end" early with exit code 0.
"""

import os
import queue
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field

from conftest import poll, ticks


@dataclass
class VlcRun:
    # (wall seconds, get_time seconds, "frames displayed"); get_time moves in steps of 1-3 s.
    samples: list = field(default_factory=list)
    resolution: str = None
    output_tail: str = ""

    @property
    def advance(self):
        """Seconds the playback position (get_time) moved."""
        return self.samples[-1][1] - self.samples[0][1] if len(self.samples) > 1 else 0

    @property
    def frames(self):
        """Frames displayed during the observation."""
        return self.samples[-1][2] - self.samples[0][2] if len(self.samples) > 1 else 0

    def frames_over_last(self, seconds):
        if len(self.samples) < 2:
            return 0
        end_wall, _, end_frames = self.samples[-1]
        start = next(frames for wall, _, frames in self.samples if wall >= end_wall - seconds - 0.1)
        return end_frames - start

    def summary(self):
        return (f"(wall, get_time, frames displayed)={[(round(w, 1), t, f) for w, t, f in self.samples]} "
                f"resolution={self.resolution} output tail:\n{self.output_tail}")


class _RemoteControl:
    def __init__(self, url, home):
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(
            [*prefix, "env", f"HOME={home}", "cvlc", "-I", "oldrc", "--rc-fake-tty", "--vout", "dummy",
             "--aout", "dummy", "--no-video-title-show", url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.transcript = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\r\n"))

    def command(self, text, until, timeout=5.0):
        """Send a command; collect output lines until one matches `until` (a regex)."""
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.read_until(until, timeout, text)

    def read_until(self, until, timeout, what="startup"):
        collected = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            collected.append(line)
            self.transcript.append(line)
            if re.search(until, line):
                return collected
        raise AssertionError(f"VLC did not answer {what!r}: {collected[-10:]}")

    def get_time(self):
        return int(self.command("get_time", r"^\s*\d+\s*$")[-1].strip())

    def frames_displayed(self):
        lines = self.command("stats", r"end of statistical info")
        found = [int(m.group(1)) for m in (re.search(r"frames displayed\s*:\s*(\d+)", l) for l in lines) if m]
        return found[-1] if found else 0

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def play(url, seconds, home, startup_timeout=20.0):
    """Play `url`; once get_time first moves, sample it and the frame count every second for `seconds`."""
    os.makedirs(home, exist_ok=True)
    os.chmod(home, 0o777)
    rc = _RemoteControl(url, home)
    result = VlcRun()
    try:
        rc.read_until(r"Remote control interface initialized", timeout=10)
        first = rc.get_time()
        # Sampled either way: a position that never moves fails the caller's assertions.
        poll(lambda: rc.get_time() > first, startup_timeout, interval=0.25)
        for elapsed in ticks(1.0, seconds):
            result.samples.append((elapsed, rc.get_time(), rc.frames_displayed()))
        info = rc.command("info", r"end of stream info", timeout=5)
        found = [m.group(1) for m in (re.search(r"Video resolution: (\d+x\d+)", l) for l in info) if m]
        result.resolution = found[-1] if found else None
    finally:
        rc.close()
        result.output_tail = "\n".join(rc.transcript[-30:])
    return result
