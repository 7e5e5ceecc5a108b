"""Processes of the lab: started (in a namespace through `ip netns exec`, which execs, so the PID
is the program's own), logged to a file, waited for by log line with a deadline, stopped by PID."""

import os
import re
import signal
import subprocess
import time


def poll(predicate, timeout, interval=0.1):
    """`predicate()`'s first truthy value within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def wait_for(predicate, timeout, what, interval=0.1):
    value = poll(predicate, timeout, interval)
    if not value:
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
    return value


def in_ns(ns, argv):
    return ["ip", "netns", "exec", ns, *argv] if ns else list(argv)


def exec_in(ns, argv, timeout=30, **kwargs):
    """Run a client inside namespace `ns` (None: the root namespace) to completion."""
    return subprocess.run(in_ns(ns, argv), capture_output=True, text=True, timeout=timeout, **kwargs)


class Proc:
    """One program of the lab. `start()` may be called again after it stopped (same log file,
    appended; `wait_log` then only reads what this run wrote)."""

    def __init__(self, name, argv, log_path, ns=None, cwd=None, env=None):
        self.name, self.argv, self.log_path, self.ns, self.cwd, self.env = name, list(argv), log_path, ns, cwd, env
        self.proc = None
        self.offset = 0
        self._log = None

    def start(self):
        assert not self.alive(), f"{self.name} already runs (pid {self.pid})"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._close_log()
        self._log = open(self.log_path, "ab")
        self.offset = self._log.tell()
        # Own session: a Ctrl-C in the terminal reaches the lab's Python, which stops everything
        # by PID, instead of reaching every child at once.
        self.proc = subprocess.Popen(in_ns(self.ns, self.argv), cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self):
        return self.proc.poll() if self.proc else None

    def log(self, after=None):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.offset if after is None else after)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_offset(self):
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def wait_log(self, pattern, timeout, after=None):
        """The first match of regex `pattern` in this run's log (or after byte offset `after`);
        fails early when the process exits."""
        rx = re.compile(pattern)

        def probe():
            found = rx.search(self.log(after))
            if not found and not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.returncode}) while waiting for /{pattern}/:\n"
                                   f"{self.log()[-3000:]}")
            return found

        return wait_for(probe, timeout, f"{self.name} log line /{pattern}/")

    def send(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self):
        """SIGKILL, then reap."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close_log()
        return self.returncode

    def stop(self, timeout=10, sig=signal.SIGTERM):
        """`sig` (SIGTERM), then SIGKILL if it has not exited within `timeout` seconds."""
        if self.alive():
            os.kill(self.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._close_log()
        return self.returncode

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def cpu_seconds(self):
        """User + system CPU seconds of the process (all its threads): /proc/PID/stat 14 and 15."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, TypeError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
