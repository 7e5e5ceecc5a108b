"""Low-latency HLS (draft-pantos-hls-rfc8216bis) end to end: hls.js in low-latency mode playing
parts, blocking playlist reloads (timing, refusals, the part-less Safari form), PART-TARGET
stability, rendition reports, parts against their segments byte for byte, the preload hint
held until its part exists, and standard clients (ffprobe, hls.js without LL mode, Chromium's
native HLS) on the same stream.

One gateway and one looping publisher serve the whole module (profiles/test-small-ll.yaml:
360p + 240p + audio, 1 s segments, 0.25 s parts). The publisher loops a 10 s clip, so every 10 s
the input has one longer frame; parts must still stay within PART-TARGET. Parts are addressed as
a client addresses them, by (media sequence number, part index) counted in the playlist, never by
URI name. Timing allowance for a loaded 2-core machine: ALLOWANCE seconds on top of the spec's.
"""

import re
import statistics
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from clients import browser, probe
from clients.live import LiveStream
from clients.llhls import (LLPlaylist, fetch_playlist, first_sample_is_sync, timed_get, top_boxes,
                           trex_default_flags)
from clients.static_server import StaticServer
from conftest import JS_PLAYERS_DIR, REPO

STREAM = "lowlat"
PROFILE = "profiles/test-small-ll.yaml"
HLS_JS = "hlsjs/hls-class.mjs"  # default export: the Hls class of hlsjs/hls.mjs (fetch-js-players.sh)
RENDITIONS = ["360p/index.m3u8", "240p/index.m3u8", "audio/index.m3u8"]
LADDER_SIZES = [(640, 360), (426, 240)]
TARGET_DURATION = 1.0
ALLOWANCE = 0.15
WATCH_SECONDS = 10.0

# Own page on another origin: hls.js with lowLatencyMode from ?ll=1|0, exposing playerState
# (the fields clients/browser.watch reads) plus part/fragment counts, partList, latency.
HLSJS_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video>
<script type="module">
const params = new URLSearchParams(location.search);
const v = document.getElementById('v');
const state = window.playerState = {engine: 'hlsjs', currentTime: 0, paused: true, width: 0, height: 0,
  error: null, lowLatencyMode: params.get('ll') === '1', parts: 0, fragments: 0, partList: 0,
  latency: null, targetLatency: null, canBlockReload: null, partTarget: null, blockingReloads: 0};
performance.setResourceTimingBufferSize(100000);
try {
  const Hls = (await import(params.get('hls'))).default;
  const hls = window.hls = new Hls({lowLatencyMode: state.lowLatencyMode});
  hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) state.error = 'hls.js ' + d.type + '/' + d.details; });
  hls.on(Hls.Events.FRAG_LOADED, (e, d) => { if (d.part) state.parts++; else state.fragments++; });
  hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch((e) => console.log('play() rejected ' + e)));
  hls.loadSource(params.get('src'));
  hls.attachMedia(v);
  setInterval(() => {
    const level = hls.levels && hls.levels[hls.currentLevel];
    const d = level && level.details;
    Object.assign(state, {currentTime: v.currentTime, paused: v.paused, width: v.videoWidth,
      height: v.videoHeight, latency: hls.latency, targetLatency: hls.targetLatency,
      partList: d && d.partList ? d.partList.length : 0, canBlockReload: d ? d.canBlockReload : null,
      partTarget: d ? d.partTarget : null,
      blockingReloads: performance.getEntriesByType('resource').filter((r) => r.name.includes('_HLS_msn=')).length});
  }, 250);
} catch (e) { state.error = String(e); }
</script></body></html>"""


# Chromium's own HLS on <video src=master.m3u8> (as in test_players.py).
BARE_VIDEO_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>
const v = document.getElementById('v');
window.playerState = {engine: 'native', currentTime: 0, paused: true, width: 0, height: 0, error: null};
setInterval(() => Object.assign(window.playerState, {currentTime: v.currentTime, paused: v.paused,
  width: v.videoWidth, height: v.videoHeight, error: v.error && ('MediaError ' + v.error.code)}), 250);
v.src = new URLSearchParams(location.search).get('src');
v.play().catch((e) => console.log('play() rejected: ' + e));
</script></body></html>"""


def profile_part_seconds():
    return float(re.search(r"^part_seconds:\s*([\d.]+)", (REPO / PROFILE).read_text(), re.M).group(1))


PART_SECONDS = profile_part_seconds()


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"ll.html": HLSJS_PAGE, "bare-video.html": BARE_VIDEO_PAGE}) as server:
        yield server


@pytest.fixture(scope="module")
def live(tmp_path_factory, js_server, clip10):
    # The player page loads the offline hls.js (the class is found in the chunk by the page).
    args = ["--hls-js-url", js_server.url("hlsjs/hls.mjs")]
    with LiveStream(tmp_path_factory.mktemp("lowlat"), STREAM, clip10, args, profile=PROFILE) as stream:
        yield stream


@pytest.fixture(scope="module")
def driver():
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


def playlist(live, rendition="360p/index.m3u8", msn=None, part=None):
    answer, parsed = fetch_playlist(live.url(rendition), msn, part)
    assert answer.status == 200, f"{rendition} msn={msn} part={part}: {answer.status} {answer.body[:200]!r}"
    return answer, parsed


def watch_page(live, js_server, driver, page, **params):
    query = urllib.parse.urlencode({"src": live.master_url, **params})
    report = browser.watch(driver, js_server.url(f"{page}?{query}"), seconds=WATCH_SECONDS)
    assert report.started, f"playback never started: {report.summary()}"
    assert report.error is None, report.summary()
    assert report.advance >= WATCH_SECONDS - 2, f"advanced only {report.advance:.2f}s: {report.summary()}"
    assert report.advance_over_last(3) >= 1.0, f"stalled at the end: {report.summary()}"
    assert (report.last["width"], report.last["height"]) in LADDER_SIZES, report.summary()
    return report


# 1. hls.js in low-latency mode loads parts and stays close to the live edge

def watch_hlsjs(live, js_server, driver, low_latency):
    if not (Path(JS_PLAYERS_DIR) / HLS_JS).is_file():
        pytest.skip(f"{HLS_JS} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR}")
    return watch_page(live, js_server, driver, "ll.html", hls=js_server.url(HLS_JS), ll=int(low_latency))


def test_hlsjs_low_latency_mode_plays_parts(live, js_server, driver):
    report = watch_hlsjs(live, js_server, driver, low_latency=True)
    last = report.last
    latencies = [s["latency"] for s in report.samples[-4:]]
    print(f"hls.js LL: latency {latencies} target {last['targetLatency']} parts={last['parts']} "
          f"fragments={last['fragments']} partList={last['partList']} blocking={last['blockingReloads']}")
    assert last["canBlockReload"] and last["partTarget"] == playlist(live)[1].part_target, last
    assert last["partList"] > 0, f"no parts in hls.js level details: {last}"
    # Four parts a second per track; at the live edge hls.js must fetch most media as parts.
    assert last["parts"] >= 2 * WATCH_SECONDS, f"hls.js loaded only {last['parts']} parts: {report.summary()}"
    assert last["blockingReloads"] > 0, f"hls.js sent no blocking reload: {last}"
    assert 0 < statistics.median(latencies) < 3.0, f"hls.js latency {latencies}s: {report.summary()}"


def test_player_page_catches_up_to_part_hold_back(live, driver):
    """The gateway's own page: hls.js low-latency mode plus the page's catch-up (hls.js's own
    acts only with more than 1 s buffered). A player that joined up to a segment behind settles
    within a few parts of its target (PART-HOLD-BACK) instead of staying behind for good."""
    if not (Path(JS_PLAYERS_DIR) / "hlsjs/hls.mjs").is_file():
        pytest.skip(f"hlsjs/hls.mjs not in JS_PLAYERS_DIR={JS_PLAYERS_DIR}")
    seconds = 2 * WATCH_SECONDS
    report = browser.watch(driver, live.url("?player=hlsjs"), seconds=seconds)
    assert report.started and report.error is None, report.summary()
    assert report.advance >= seconds - 2, f"advanced only {report.advance:.2f}s: {report.summary()}"
    target, part = driver.execute_script(
        "return [window.hls.targetLatency, window.hls.latestLevelDetails.partTarget]")
    latencies = [s["latency"] for s in report.samples if s.get("latency") is not None]
    print(f"player page: latency {latencies} target {target} part {part}")
    assert latencies and part, report.summary()
    settled = statistics.median(latencies[-4:])
    assert settled - target <= 3 * part, f"latency {settled:.2f}s vs target {target:.2f}s: {latencies}"


# 2. A blocking reload answers as soon as its part exists

def test_blocking_reload_answers_within_one_part_of_the_parts_appearance(live):
    url = live.url("360p/index.m3u8")
    _, current = playlist(live)
    figures = []
    with ThreadPoolExecutor(1) as pool:
        for _ in range(6):
            msn, part = current.next_part()
            held = pool.submit(fetch_playlist, url, msn, part)
            missed_at = time.monotonic()  # the last poll start whose playlist lacked the part
            deadline = missed_at + 3 * TARGET_DURATION
            while time.monotonic() < deadline:
                started = time.monotonic()
                poll_answer, polled = fetch_playlist(url)
                assert poll_answer.status == 200, poll_answer.status
                if polled.reached(msn, part):
                    seen_at = poll_answer.done
                    break
                missed_at = started
                time.sleep(0.01)
            else:
                raise AssertionError(f"part ({msn}, {part}) not in the plain playlist after {3 * TARGET_DURATION}s")
            answer, current = held.result(timeout=10)
            assert answer.status == 200, f"_HLS_msn={msn}&_HLS_part={part}: {answer.status} {answer.body!r}"
            assert current.reached(msn, part), f"blocking reload for ({msn}, {part}) lacks it:\n{current.text}"
            assert answer.headers.get("Cache-Control") == "public, max-age=1", dict(answer.headers)
            figures.append((msn, part, round(answer.elapsed, 3), round(answer.done - missed_at, 3),
                            round(answer.done - seen_at, 3)))
    print("(msn, part, held, answered after last miss, answered after poll saw it):", figures)
    worst = max(f[3] for f in figures)
    limit = current.part_target + ALLOWANCE
    assert worst <= limit, f"a blocking reload answered {worst}s (> {limit}s) after its part appeared: {figures}"


# 3. Refusals, and the part-less (Safari) form waiting for a whole segment

def test_blocking_reload_refusals_and_part_less_form(live):
    plain, current = playlist(live)
    assert plain.headers.get("Cache-Control") == "no-cache", dict(plain.headers)
    far = fetch_playlist(live.url("360p/index.m3u8"), current.live_msn + 5)[0]
    assert far.status == 400 and far.elapsed < 0.5, (far.status, far.elapsed, far.body)
    far_part = fetch_playlist(live.url("360p/index.m3u8"), current.live_msn + 5, 0)[0]
    assert far_part.status == 400 and far_part.elapsed < 0.5, (far_part.status, far_part.elapsed, far_part.body)
    part_only = timed_get(live.url("360p/index.m3u8?_HLS_part=1"))
    assert part_only.status == 400 and part_only.elapsed < 0.5, (part_only.status, part_only.body)
    # _HLS_msn alone (what Safari sends to wait for the next segment): the segment in progress,
    # then, right after it completed, the last one allowed (last complete + 2). Each waits until
    # that segment has its EXTINF.
    waits = []
    for ahead in (1, 2):
        msn = current.last_msn + ahead
        answer, current = playlist(live, msn=msn)
        waits.append((msn, round(answer.elapsed, 3), current.last_msn))
        assert current.last_msn >= msn, f"_HLS_msn={msn} answered a playlist ending at {current.last_msn}"
        assert answer.elapsed <= ahead * (TARGET_DURATION + ALLOWANCE), waits
        assert answer.headers.get("Cache-Control") == "public, max-age=1", dict(answer.headers)
    print("part-less waits (msn, seconds, last msn answered):", waits)


# 4. PART-TARGET and PART-HOLD-BACK never change

def test_part_target_and_hold_back_are_fixed_over_100_reloads(live):
    current = {r: playlist(live, r)[1] for r in RENDITIONS}
    seen, parts, started = set(), {}, time.monotonic()
    for count in range(100):
        rendition = RENDITIONS[count % len(RENDITIONS)]
        msn, part = current[rendition].next_part()
        answer, reloaded = playlist(live, rendition, msn, part)
        assert reloaded.reached(msn, part), f"{rendition} ({msn}, {part}) missing:\n{reloaded.text}"
        current[rendition] = reloaded
        seen.add((rendition, reloaded.can_block_reload, reloaded.part_target, reloaded.part_hold_back))
        for *_, listed in reloaded.segments:  # complete segments: their last part is known
            parts.update({(rendition, p.msn, p.index): (p.duration, p.independent, p is listed[-1]) for p in listed})
    elapsed = time.monotonic() - started
    print(f"100 reloads in {elapsed:.1f}s; (rendition, CAN-BLOCK-RELOAD, PART-TARGET, PART-HOLD-BACK): {seen}")
    assert len({s[1:] for s in seen}) == 1 and {s[0] for s in seen} == set(RENDITIONS), seen
    _, can_block, target, hold_back = seen.pop()
    assert can_block == "YES" and PART_SECONDS <= target <= 1.1 * PART_SECONDS, (target, PART_SECONDS)
    assert hold_back == pytest.approx(3 * target, abs=0.0015), (hold_back, target)
    assert elapsed < 40, f"100 reloads following the hint took {elapsed:.1f}s"
    # RFC 8216bis 4.4.4.9: every part <= PART-TARGET; >= 85% of it unless INDEPENDENT or a segment's last.
    too_long = {k: v[0] for k, v in parts.items() if v[0] > target}
    too_short = {k: v[0] for k, v in parts.items() if v[0] < 0.85 * target and not (v[1] or v[2])}
    assert not too_long, f"parts (rendition, msn, part): seconds longer than PART-TARGET {target}: {too_long}"
    assert not too_short, f"parts (rendition, msn, part): seconds under 85% of PART-TARGET: {too_short}"


# 5. Rendition reports point at parts that exist

def test_rendition_reports_point_at_existing_parts(live):
    checked = []
    _, current = playlist(live)
    for _ in range(4):
        for rendition in RENDITIONS:
            # Right after a new 360p part, the others may not have theirs yet: the race to catch.
            answer, reloaded = (playlist(live, rendition, *current.next_part()) if rendition == RENDITIONS[0]
                                else playlist(live, rendition))
            if rendition == RENDITIONS[0]:
                current = reloaded
            others = {r for r in RENDITIONS if r != rendition}
            reported = {urllib.parse.urljoin(rendition, uri): (msn, part) for uri, msn, part in reloaded.reports}
            assert set(reported) == others, f"{rendition} reports {reloaded.reports}"
            for other, (msn, part) in reported.items():
                assert part is not None, f"{rendition}: report for {other} without LAST-PART"
                target, listed = fetch_playlist(live.url(other), msn, part)
                assert target.status == 200, f"{other}?_HLS_msn={msn}&_HLS_part={part}: {target.status}"
                assert target.elapsed < current.part_target / 2, (
                    f"{rendition} reported ({msn}, {part}) of {other}, which was held {target.elapsed:.3f}s")
                found = listed.part(msn, part)
                assert found, f"{other} lacks reported part ({msn}, {part}):\n{listed.text}"
                assert timed_get(listed.resolve(found.uri)).status == 200, found
                checked.append((rendition, other, msn, part, round(target.elapsed, 3)))
    print("reports checked (from, to, msn, part, answered in):", checked)


# 6. Parts are the segment, byte for byte, and INDEPENDENT marks sync starts

@pytest.mark.parametrize("rendition", ["360p", "audio"])
def test_parts_concatenate_to_their_segment(live, rendition):
    _, current = playlist(live, f"{rendition}/index.m3u8")
    init_uri = re.search(r'#EXT-X-MAP:URI="([^"]+)"', current.text).group(1)
    status, _, init = live.get(f"{rendition}/{init_uri}")
    assert status == 200
    trex_flags = trex_default_flags(init)
    complete = [s for s in current.segments if s[3]]
    assert len(complete) >= 3, f"parts listed for {len(complete)} complete segments:\n{current.text}"
    for msn, uri, duration, parts in complete:
        bodies = []
        for part in parts:
            status, _, body = live.get(f"{rendition}/{part.uri}")
            assert status == 200, f"{part}: {status}"
            boxes = top_boxes(body)
            expected_start = ["styp", "moof"] if part.index == 0 else ["moof"]
            assert boxes[:len(expected_start)] == expected_start, f"{part}: {boxes}"
            body_boxes = boxes[1:] if part.index == 0 else boxes
            assert body_boxes[0::2] == ["moof"] * len(body_boxes[0::2]) and body_boxes[1::2] == ["mdat"] * (
                len(body_boxes) // 2) and len(body_boxes) % 2 == 0, f"{part}: {boxes}"
            sync = first_sample_is_sync(body, trex_flags)
            assert part.independent == sync, f"{part}: INDEPENDENT={part.independent}, first sample sync={sync}"
            bodies.append(body)
        if rendition != "audio":
            assert parts[0].independent, f"segment {msn} part 0 not INDEPENDENT"
        status, _, segment = live.get(f"{rendition}/{uri}")
        assert status == 200
        assert b"".join(bodies) == segment, (
            f"{rendition} {uri} (msn {msn}, {len(segment)} B) != its parts {[p.uri for p in parts]} "
            f"({[len(b) for b in bodies]} B)")
        assert sum(p.duration for p in parts) == pytest.approx(duration, abs=0.002), (msn, duration, parts)


# 7. The preload-hinted part, asked for before it exists

def test_preload_hinted_part_is_held_until_it_exists(live):
    holds = []
    _, current = playlist(live)
    for _ in range(3):
        _, current = playlist(live, "360p/index.m3u8", *current.next_part())
        if not current.hint:
            continue
        assert current.hint_type == "PART", current.text
        msn, part = current.next_part()
        early = timed_get(current.resolve(current.hint))
        assert early.status == 200, f"hinted {current.hint}: {early.status} after {early.elapsed:.3f}s"
        _, listed = playlist(live, msn=msn, part=part)
        found = listed.part(msn, part)
        assert found and found.uri == current.hint, f"hint {current.hint} for ({msn}, {part}) but listed {found}"
        status, _, later = live.get(f"360p/{found.uri}")
        assert status == 200 and later == early.body, f"{found.uri}: held answer differs from the listed part"
        holds.append((msn, part, round(early.elapsed, 3)))
    print("hinted part held (msn, part, seconds):", holds)
    assert len(holds) >= 2, f"too few playlists carried a preload hint: {holds}"
    assert max(h[2] for h in holds) >= 0.05, f"no hinted part was requested before it existed: {holds}"


# 8. Standard clients on the same LL playlists

def test_ffprobe_reads_the_ll_playlists(live):
    expectations = {"master.m3u8": (LADDER_SIZES, ["aac"]), "360p/index.m3u8": ([LADDER_SIZES[0]], []),
                    "240p/index.m3u8": ([LADDER_SIZES[1]], []), "audio/index.m3u8": ([], ["aac"])}
    for path, (sizes, audio) in expectations.items():
        result = probe.probe(live.url(path), timeout=30)
        assert result.returncode == 0, f"{path}: ffprobe exit {result.returncode}: {result.stderr}"
        assert result.video_sizes() == sizes, f"{path}: {result.streams}"
        assert result.codecs("audio") == audio, f"{path}: {result.streams}"


def test_hlsjs_without_low_latency_mode_plays_whole_segments(live, js_server, driver):
    report = watch_hlsjs(live, js_server, driver, low_latency=False)
    last = report.last
    print(f"hls.js non-LL: latency {last['latency']} parts={last['parts']} fragments={last['fragments']} "
          f"blocking={last['blockingReloads']}")
    assert last["parts"] == 0 and last["fragments"] > 0, last


def test_chromium_native_hls_plays_the_ll_master(live, js_server, driver):
    report = watch_page(live, js_server, driver, "bare-video.html")
    print(f"native: advanced {report.advance:.2f}s, startup {report.startup_seconds:.1f}s")


def test_ll_dash_segment_in_progress_arrives_chunked_before_it_ends(live):
    """LL-DASH from the same chunks: the MPD offers segments early (availabilityTimeOffset,
    availabilityTimeComplete=false, ServiceDescription), and a segment requested while it is
    produced arrives with chunked transfer, its first bytes before it is complete, byte for byte
    the segment stored at the end."""
    status, _, body = live.get("manifest.mpd")
    mpd = body.decode()
    assert status == 200
    assert 'availabilityTimeComplete="false"' in mpd and "availabilityTimeOffset=" in mpd, mpd[:800]
    assert "<ServiceDescription" in mpd and "<Latency " in mpd
    _, current = playlist(live)
    msn = current.live_msn + 1  # the one after the segment in progress: it has not started yet
    url = live.url(f"360p/seg-{msn}.m4s")
    # Start asking just as the previous segment completes, as an LL-DASH player would.
    playlist(live, msn=msn - 1)
    started = time.monotonic()
    request = urllib.request.Request(url)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers.get("Transfer-Encoding") == "chunked", dict(response.headers)
        assert response.headers.get("Cache-Control") == "no-store"
        first = response.read1(65536)
        first_at = time.monotonic() - started
        data = first + response.read()
        done_at = time.monotonic() - started
    print(f"seg-{msn}: first {len(first)} bytes after {first_at:.3f}s, all {len(data)} after {done_at:.3f}s")
    assert done_at - first_at >= 0.3, "the segment (1 s of media) should still have been in production"
    assert top_boxes(data)[:3] == ["styp", "moof", "mdat"]
    status, _, stored = live.get(f"360p/seg-{msn}.m4s")
    assert status == 200 and stored == data, "the chunked answer is the stored segment, byte for byte"
