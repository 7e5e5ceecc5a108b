"""Headless Chromium through Selenium, reading the gateway player page's `window.playerState`.

Chromium 156 plays HLS natively (no flag turns it off); hls.js and Video.js are loaded by the
page from the URLs given to `gateway serve --hls-js-url/--videojs-url`.
"""

import shutil
import time
from dataclasses import dataclass, field

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from conftest import poll, ticks

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
         "--autoplay-policy=no-user-gesture-required", "--mute-audio",
         "--disable-gpu", "--no-first-run", "--disable-extensions"]

STATE_JS = "return window.playerState ? JSON.parse(JSON.stringify(window.playerState)) : null"
# Diagnostics: media events of every <video> on the page, with the position they happened at.
HOOK_EVENTS_JS = """
window.mediaEvents = window.mediaEvents || [];
document.querySelectorAll('video').forEach((v) => {
  if (v.dataset.hooked) return;
  v.dataset.hooked = '1';
  ['waiting', 'stalled', 'seeking', 'error', 'ended'].forEach((name) => v.addEventListener(name,
    () => window.mediaEvents.push(name + '@' + v.currentTime.toFixed(2))));
});
"""


def make_driver():
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path keeps Selenium Manager from trying to download one.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def player_state(driver):
    return driver.execute_script(STATE_JS)


def console_errors(driver, limit=10):
    try:
        entries = driver.get_log("browser")
    except Exception:  # the log is diagnostics only
        return []
    return [e["message"][:300] for e in entries if e["level"] == "SEVERE" and "favicon" not in e["message"]][:limit]


@dataclass
class Playback:
    """What a page did while it was watched: one sample per second after the first advance."""

    url: str
    started: bool = False
    startup_seconds: float = 0.0
    samples: list = field(default_factory=list)  # playerState snapshots with a "wall" key
    error: str = None
    console: list = field(default_factory=list)
    events: list = field(default_factory=list)

    @property
    def advance(self):
        return self.samples[-1]["currentTime"] - self.samples[0]["currentTime"] if len(self.samples) > 1 else 0.0

    def advance_over_last(self, seconds):
        """How far the position moved during the last `seconds` of the observation."""
        if len(self.samples) < 2:
            return 0.0
        end = self.samples[-1]
        start = next(s for s in self.samples if s["wall"] >= end["wall"] - seconds)
        return end["currentTime"] - start["currentTime"]

    @property
    def last(self):
        return self.samples[-1] if self.samples else {}

    def summary(self):
        brief = [(round(s["wall"], 1), round(s["currentTime"], 2), s["width"], s["height"], s.get("rendition"))
                 for s in self.samples]
        return (f"{self.url}: started={self.started} startup={self.startup_seconds:.1f}s error={self.error} "
                f"samples(wall, t, w, h, rendition)={brief} events={self.events} console={self.console}")


def watch(driver, url, seconds=10.0, startup_timeout=25.0):
    """Open `url` and record playerState every second for `seconds` after the position first moves."""
    report = Playback(url)
    t0 = time.monotonic()
    driver.get(url)
    driver.execute_script(HOOK_EVENTS_JS)
    seen = {}

    def started_or_failed():
        state = player_state(driver)
        previous, seen["state"] = seen.get("state"), state
        if state and state.get("error"):
            report.error = state["error"]
            return True
        return bool(state and previous and state.get("currentTime", 0) > previous.get("currentTime", 0)
                    and not state.get("paused", True))

    report.started = bool(poll(started_or_failed, startup_timeout, interval=0.25)) and not report.error
    report.startup_seconds = time.monotonic() - t0
    if report.started:
        for _ in ticks(1.0, seconds):
            state = player_state(driver)
            state["wall"] = time.monotonic() - t0
            report.samples.append(state)
            if state.get("error"):
                report.error = state["error"]
                break
    report.events = driver.execute_script("return (window.mediaEvents || []).slice(-20)")
    report.console = console_errors(driver)
    return report


def throttle(driver, download_bits_per_second, latency_ms=20):
    """Chrome DevTools network emulation (throughput in bytes/s); None lifts it."""
    driver.execute_cdp_cmd("Network.enable", {})
    if download_bits_per_second is None:
        conditions = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    else:
        rate = download_bits_per_second / 8.0
        conditions = {"offline": False, "latency": latency_ms, "downloadThroughput": rate, "uploadThroughput": rate}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
