"""Scale-out (issue 17): gateway nodes sharing a registry in etcd behind the nginx edge tier of
deploy/nginx/edge.conf, as real processes in network namespaces (scripts/lib/clusterlab): one
etcd, three gateway nodes (gw-a, gw-b, gw-c) and two edges, each on its own address; the test,
ffmpeg publishers and Chromium reach them from the root namespace.

One lab serves the module; tests run in file order and each leaves the lab as it found it
(etcd and a killed node are started again). With a GATEWAY_BIN that has no cluster support the
nodes run without a `cluster:` section, the edges use gw-a alone, and the tests that need the
cluster are skipped; the others still prove the lab and the edge configuration (playback and
request collapsing through both edges).
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from clients import browser, probe
from clients.llhls import LLPlaylist
from clients.static_server import StaticServer
from conftest import GATEWAY_BIN, JS_PLAYERS_DIR, REPO, wait_for

sys.path.insert(0, str(REPO / "scripts/lib"))
from clusterlab import Lab, cluster_support, viewers, web  # noqa: E402

# With stream keys configured a gateway admits only the named streams, each with its key; the key
# is also what lets a reconnecting publisher take a stream over on another node.
MAIN, LOWLAT, ETCDLESS = "main", "lowlat", "etcdless"
KEYS = {MAIN: "lab-secret-1", LOWLAT: "lab-secret-2", ETCDLESS: "lab-secret-3"}
LL_PROFILE = "profiles/test-small-ll.yaml"
LADDER_SIZES = [(640, 360), (426, 240)]
RENDITIONS = ["360p/index.m3u8", "240p/index.m3u8"]
HLS_JS = "hlsjs/hls-class.mjs"  # default export: the Hls class (scripts/fetch-js-players.sh)
REQUESTS_METRIC = "gateway_stream_requests_total"

# hls.js (standard mode) on a page of another origin, exposing window.playerState.
HLSJS_PAGE = """<!doctype html><html><body><video id="v" muted autoplay playsinline></video>
<script type="module">
const params = new URLSearchParams(location.search);
const v = document.getElementById('v');
const state = window.playerState = {engine: 'hlsjs', currentTime: 0, paused: true, width: 0, height: 0,
  error: null, errors: []};
try {
  const Hls = (await import(params.get('hls'))).default;
  const hls = window.hls = new Hls();
  hls.on(Hls.Events.ERROR, (e, d) => {
    state.errors.push(d.details);
    if (d.fatal) state.error = 'hls.js ' + d.type + '/' + d.details;
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch((e) => console.log('play() rejected ' + e)));
  hls.loadSource(params.get('src'));
  hls.attachMedia(v);
  setInterval(() => Object.assign(state, {currentTime: v.currentTime, paused: v.paused, width: v.videoWidth,
    height: v.videoHeight}), 250);
} catch (e) { state.error = String(e); }
</script></body></html>"""


def lab_unavailable():
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "etcd", "nginx", "ffmpeg"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} is not installed (scripts/setup.sh --test)"
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "`ip netns` does not work here"
    return None


pytestmark = pytest.mark.skipif(lab_unavailable() is not None, reason=str(lab_unavailable()))


@pytest.fixture(scope="module")
def cluster_mode(tmp_path_factory):
    """(supported, why not): whether GATEWAY_BIN accepts a `cluster:` section."""
    return cluster_support(GATEWAY_BIN, tmp_path_factory.mktemp("cluster-probe"))


@pytest.fixture(scope="module")
def lab(cluster_mode, clip10):
    streams = {name: {"key": key} for name, key in KEYS.items()}
    streams[LOWLAT]["profile"] = LL_PROFILE
    with Lab(GATEWAY_BIN, cluster=cluster_mode[0], streams=streams, say=print) as running:
        running.publish("gw-a", MAIN, clip10, key=KEYS[MAIN], label="main-publisher")
        wait_for(lambda: all(len(segments(running.edge_url("edge-1", f"/live/{MAIN}/{r}"))) >= 3
                             for r in RENDITIONS), 60, f"{MAIN}: 3 segments in every playlist through edge-1",
                 interval=0.25)
        yield running
    assert not running.leftovers(), f"the lab left namespaces or links behind: {running.leftovers()}"
    assert not [p.name for p in running.procs.values() if p.alive()], "lab processes still running"


@pytest.fixture
def cluster(lab, cluster_mode):
    if not cluster_mode[0]:
        pytest.skip(f"GATEWAY_BIN has no cluster support: {cluster_mode[1]}")
    return lab


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"hlsjs.html": HLSJS_PAGE}) as server:
        yield server


@pytest.fixture
def driver():
    if not (Path(JS_PLAYERS_DIR) / HLS_JS).is_file():
        pytest.skip(f"{HLS_JS} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR} (scripts/fetch-js-players.sh)")
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


def segments(url):
    playlist = web.fetch_media(url)
    return playlist.segments if playlist else []


def hlsjs_page(js_server, src):
    return js_server.url("hlsjs.html?" + urllib.parse.urlencode({"src": src, "hls": js_server.url(HLS_JS)}))


def requests_metric(lab, node, stream, kind):
    return web.metric(lab.metrics(node), REQUESTS_METRIC, stream=stream, kind=kind)


def owner(lab, stream):
    """The node that owns `stream` according to gw-a's (any node's) /api/cluster; single-node: gw-a."""
    if not lab.cluster:
        return "gw-a"
    for node in lab.nodes:
        answer = lab.procs[node].alive() and lab.api_cluster(node)
        if answer:
            return next((s["node"] for s in answer["streams"] if s["name"] == stream), None)
    return None


# 1. The lab itself: every host on its own address, reached from the root namespace

def test_every_host_answers_on_its_own_address(lab):
    assert lab.etcd_ready()
    for node in lab.nodes:
        assert web.http_get(lab.node_url(node, "/healthz"))[0] == 200, node
    for edge in lab.edges:
        assert web.http_get(lab.edge_url(edge, "/healthz"))[0] == 200, edge
    for host in [*lab.nodes, *lab.edges, "etcd"]:
        shown = subprocess.run(["ip", "-n", lab.ns(host), "-4", "-o", "addr"], capture_output=True, text=True).stdout
        assert f"{lab.ip(host)}/24" in shown, (host, shown)
    if lab.cluster:
        for node in lab.nodes:
            answer = lab.api_cluster(node)
            assert answer and answer["node"] == node and answer["etcd"] == "connected", (node, answer)
            assert sorted(n["node"] for n in answer["nodes"]) == sorted(lab.nodes), answer


# 2. Viewers through both edges play the stream published on gw-a

@pytest.mark.parametrize("edge", ["edge-1", "edge-2"])
def test_ffprobe_plays_through_edge(lab, edge):
    result = probe.probe(lab.edge_url(edge, f"/live/{MAIN}/master.m3u8"), timeout=30)
    assert result.returncode == 0, f"ffprobe exit {result.returncode}: {result.stderr}"
    assert result.video_sizes() == LADDER_SIZES, result.streams
    assert result.codecs("audio") == ["aac"], result.streams
    # The second request for a segment is a cache hit, with the origin's CORS header passed on.
    path = f"/live/{MAIN}/360p/" + segments(lab.edge_url(edge, f"/live/{MAIN}/360p/index.m3u8"))[-1]
    answers = [web.http_get(lab.edge_url(edge, path)) for _ in range(2)]
    assert [a[0] for a in answers] == [200, 200] and answers[0][2] == answers[1][2], path
    assert answers[1][1]["X-Cache-Status"] == "HIT", dict(answers[1][1])
    assert answers[1][1]["Access-Control-Allow-Origin"] == "*", dict(answers[1][1])
    assert "immutable" in answers[1][1]["Cache-Control"], dict(answers[1][1])


@pytest.mark.parametrize("edge", ["edge-1", "edge-2"])
def test_hlsjs_plays_through_edge(lab, js_server, driver, edge):
    report = browser.watch(driver, hlsjs_page(js_server, lab.edge_url(edge, f"/live/{MAIN}/master.m3u8")), seconds=8)
    assert report.started and report.error is None, report.summary()
    assert report.advance >= 6.0, f"advanced only {report.advance:.2f}s: {report.summary()}"
    assert (report.last["width"], report.last["height"]) in LADDER_SIZES, report.summary()


# 3. Any node serves any stream

def test_a_node_that_does_not_own_the_stream_serves_it(cluster):
    lab = cluster
    assert owner(lab, MAIN) == "gw-a"
    for node in ("gw-b", "gw-c"):
        status, _, body = web.http_get(lab.node_url(node, f"/live/{MAIN}/master.m3u8"))
        assert status == 200, (node, status, body[:200])
        own = web.http_get(lab.node_url("gw-a", f"/live/{MAIN}/master.m3u8"))[2]
        assert web.master_uris(body.decode()) == web.master_uris(own.decode()), (body, own)
        theirs = web.fetch_media(lab.node_url(node, f"/live/{MAIN}/360p/index.m3u8"))
        assert theirs and len(theirs.segments) >= 3, (node, theirs)
        path = f"/live/{MAIN}/360p/{theirs.segments[-1]}"
        via_node, via_owner = web.http_get(lab.node_url(node, path)), web.http_get(lab.node_url("gw-a", path))
        assert via_node[0] == 200 and via_node[2] == via_owner[2], (node, path, via_node[0], via_owner[0])
        listed = {s["name"]: s for s in lab.api_cluster(node)["streams"]}
        assert listed[MAIN]["node"] == "gw-a" and listed[MAIN]["advertise"] == lab.node_url("gw-a"), listed


# 4. Request collapsing: many viewers, about one origin request per object per edge

def test_200_viewers_through_the_edges_collapse_to_one_origin_request_per_segment(lab):
    viewers_count, seconds = 200, 10
    origin = owner(lab, MAIN)
    offsets = {edge: web.read_access_log(lab.access_log(edge))[1] for edge in lab.edges}
    before_text = lab.metrics(origin)
    urls = [lab.edge_url(lab.edges[i % 2], f"/live/{MAIN}/{RENDITIONS[(i // 2) % 2]}") for i in range(viewers_count)]
    stats = viewers.watch(urls, seconds, reload=0.5, ramp=1.0)
    after_text = lab.metrics(origin)
    print("viewers:", stats.summary())
    assert stats.failures == 0 and set(stats.statuses) == {200}, stats.summary()

    per_object, upstream_total = {}, 0
    for edge in lab.edges:
        entries, _ = web.read_access_log(lab.access_log(edge), offsets[edge])
        assert len(entries) >= 0.9 * stats.requests / 2, f"{edge}: {len(entries)} log lines"
        for uri, count in web.origin_requests_by_uri(entries).items():
            upstream_total += count
            if web.kind_of(uri) == "segment":
                per_object[uri] = per_object.get(uri, 0) + count
    fetched = set(stats.segments)
    print(f"{len(fetched)} segments fetched {len(stats.segment_seconds)} times; origin requests per segment "
          f"(both edges): {sorted(per_object.values())}; all origin requests from the edges: {upstream_total}")
    # nginx keeps a cache entry for whole seconds: at the edge the playlists change every 1 to 2 s.
    assert len(fetched) >= len(RENDITIONS) * (seconds - 3), f"viewers fetched only {len(fetched)} segments"
    assert len(stats.segment_seconds) >= viewers_count * (seconds - 3), stats.summary()
    bound = len(lab.edges) + 1
    worst = {uri: count for uri, count in per_object.items() if count > bound}
    assert not worst, f"more than {bound} origin requests for a segment (edge access logs): {worst}"
    assert fetched <= set(per_object), f"segments fetched by viewers without an origin request: {fetched - set(per_object)}"

    segment_requests = [web.metric(text, REQUESTS_METRIC, stream=MAIN, kind="segment") for text in (before_text, after_text)]
    if segment_requests[1] is not None:
        delta = segment_requests[1] - (segment_requests[0] or 0)
        print(f"{origin} {REQUESTS_METRIC}{{stream={MAIN},kind=segment}} +{delta:.0f} for {len(per_object)} segments")
        assert delta <= bound * len(per_object), (delta, len(per_object))
    else:
        assert not lab.cluster, f"{origin} /metrics has no {REQUESTS_METRIC}{{stream=\"{MAIN}\",kind=\"segment\"}}"
        # Single node: every origin request the edges logged reached gw-a, plus our two /metrics reads.
        served = [web.metric(text, "gateway_http_requests_total", status="200") for text in (before_text, after_text)]
        delta = served[1] - served[0]
        print(f"gw-a gateway_http_requests_total{{status=200}} +{delta:.0f}, edge access logs: {upstream_total}")
        assert upstream_total <= delta <= upstream_total + 2, (delta, upstream_total)


def test_llhls_blocking_reloads_collapse_through_the_edges(lab, clip10):
    node = "gw-b" if lab.cluster else "gw-a"
    publisher = lab.publish(node, LOWLAT, clip10, key=KEYS[LOWLAT], label="lowlat-publisher")
    try:
        playlist_url = lab.node_url(node, f"/live/{LOWLAT}/360p/index.m3u8")

        def live_playlist():
            status, _, body = web.http_get(playlist_url)
            parsed = LLPlaylist(body.decode(), playlist_url) if status == 200 else None
            return parsed if parsed and len(parsed.segments) >= 2 and parsed.can_block_reload else None

        wait_for(live_playlist, 40, f"{LOWLAT}: an LL playlist with 2 segments on {node}", interval=0.25)
        offsets = {edge: web.read_access_log(lab.access_log(edge))[1] for edge in lab.edges}
        before = requests_metric(lab, node, LOWLAT, "blocking_reload")
        keys = []
        for _ in range(4):
            msn, part = live_playlist().next_part()
            query = f"?_HLS_msn={msn}&_HLS_part={part}"
            keys.append(f"/live/{LOWLAT}/360p/index.m3u8{query}")
            answers = viewers.burst([lab.edge_url(lab.edges[i % 2], keys[-1]) for i in range(100)])
            assert {status for status, _, _ in answers} == {200}, [a[0] for a in answers]
            for _, body, _ in answers:
                assert LLPlaylist(body.decode()).reached(msn, part), f"answer to {query} lacks the part"
            print(f"{query}: 100 answers in {min(a[2] for a in answers):.2f}..{max(a[2] for a in answers):.2f}s")
        after = requests_metric(lab, node, LOWLAT, "blocking_reload")
    finally:
        publisher.stop(5)
    per_key = web.origin_requests_since(lab, offsets, keys)
    print("origin requests per blocking reload (both edges):", per_key)
    bound = len(lab.edges) + 1
    assert all(0 < count <= bound for count in per_key.values()), per_key
    if after is not None:
        print(f"{node} {REQUESTS_METRIC}{{stream={LOWLAT},kind=blocking_reload}} +{after - (before or 0):.0f}")
        assert after - (before or 0) <= bound * len(keys), (before, after)
    else:
        assert not lab.cluster, f"{node} /metrics has no {REQUESTS_METRIC}{{kind=\"blocking_reload\"}}"


# 5. etcd down: streams keep playing, a new publish is admitted locally, the registry heals

def test_etcd_down_keeps_streams_playing_and_the_registry_heals(cluster, clip10):
    lab = cluster
    edge_url = lab.edge_url("edge-1", f"/live/{MAIN}/360p/index.m3u8")
    offset = lab.procs["gw-c"].log_offset()
    publisher = None
    try:
        lab.stop_etcd()
        last = web.fetch_media(edge_url).last_msn
        wait_for(lambda: (p := web.fetch_media(edge_url)) and p.last_msn >= last + 3, 15,
                 f"3 new {MAIN} segments through edge-1 with etcd down", interval=0.25)
        publisher = lab.publish("gw-c", ETCDLESS, clip10, key=KEYS[ETCDLESS], label="etcdless-publisher")
        lab.procs["gw-c"].wait_log(r"etcd unavailable", 20, after=offset)
        wait_for(lambda: len(segments(lab.node_url("gw-c", f"/live/{ETCDLESS}/360p/index.m3u8"))) >= 2, 30,
                 f"{ETCDLESS} admitted on gw-c while etcd is down", interval=0.25)
        assert all(lab.procs[node].alive() for node in lab.nodes), "a gateway exited while etcd was down"
        lab.start_etcd()

        def healed():
            for node in lab.nodes:
                answer = lab.api_cluster(node)
                listed = {s["name"]: s["node"] for s in (answer or {}).get("streams", [])}
                if not answer or answer["etcd"] != "connected" or listed.get(MAIN) != "gw-a" \
                        or listed.get(ETCDLESS) != "gw-c":
                    return None
            return True

        wait_for(healed, 30, "every node's /api/cluster to list both streams again", interval=0.5)
        assert all(lab.procs[node].alive() for node in lab.nodes)
    finally:
        if not lab.procs["etcd"].alive():
            lab.start_etcd()
        if publisher:
            publisher.stop(5)


# 6. Failover: the owner dies, the publisher reconnects to another node, viewers go on

class PlaylistWatcher(threading.Thread):
    """Reads a media playlist every 0.25 s in the background: (seconds, MediaPlaylist or None)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.samples, self.stopped = url, [], threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        while not self.stopped.wait(0.25):
            self.samples.append((time.monotonic() - self.started_at, web.fetch_media(self.url, timeout=3)))

    def seen(self):
        return [p for _, p in self.samples if p]


def test_failover_keeps_the_edge_url_playing(cluster, js_server, driver, clip10):
    lab = cluster
    assert owner(lab, MAIN) == "gw-a"
    master, media = (lab.edge_url("edge-1", f"/live/{MAIN}/{path}") for path in ("master.m3u8", "360p/index.m3u8"))
    driver.get(hlsjs_page(js_server, master))
    wait_for(lambda: (browser.player_state(driver) or {}).get("currentTime", 0) > 2, 25, "hls.js playing")
    watcher = PlaylistWatcher(media)
    watcher.start()
    try:
        wait_for(lambda: len(watcher.seen()) >= 4, 10, "edge playlist samples")
        before = watcher.seen()[-1]
        old_uris = {uri for p in watcher.seen() for uri in p.segments}
        mpd_url = lab.edge_url("edge-1", f"/live/{MAIN}/manifest.mpd")
        periods_before = set(re.findall(r'<Period id="([^"]+)"', web.http_get(mpd_url)[2].decode()))
        killed_at = time.monotonic()
        lab.kill_node("gw-a")
        lab.procs["main-publisher"].stop(5)
        lab.publish("gw-b", MAIN, clip10, key=KEYS[MAIN], label="main-publisher")  # as OBS reconnects

        def resumed():
            latest = watcher.seen()[-1] if watcher.seen() else None
            return latest if latest and set(latest.segments) - old_uris else None

        after = wait_for(resumed, 20, "a new segment listed through the same edge URL", interval=0.1)
        resumed_in = time.monotonic() - killed_at
        # The issue's target is 5 s plus the publisher's reconnect delay (none here); 3 s of allowance
        # for a loaded 2-core machine.
        assert resumed_in <= 8, f"the stream came back through the edge {resumed_in:.1f}s after the SIGKILL"
        position = browser.player_state(driver)["currentTime"]
        wait_for(lambda: len([p for p in watcher.seen() if set(p.segments) - old_uris]) >= 8, 15, "more new segments")
        state = wait_for(lambda: (s := browser.player_state(driver)) and (s.get("error") or
                         s["currentTime"] >= position + 3) and s, 25, "hls.js to play on after the failover")
    finally:
        watcher.stopped.set()
        watcher.join(5)
        if not lab.procs["gw-a"].alive():  # back in the cluster for whatever runs next
            lab.start_node("gw-a")
    sequences = [p.media_sequence for p in watcher.seen()]
    print(f"first new segment through edge-1 {resumed_in:.1f}s after SIGKILL; MEDIA-SEQUENCE samples "
          f"{sequences[0]}..{sequences[-1]}; hls.js errors {state.get('errors')}")
    assert all(b >= a for a, b in zip(sequences, sequences[1:])), f"EXT-X-MEDIA-SEQUENCE went down: {sequences}"
    final = watcher.seen()[-1]
    assert final.discontinuities_total == before.discontinuities_total + 1, (before.text, final.text)
    assert max(p.discontinuities_total for p in watcher.seen()) == before.discontinuities_total + 1
    new = [uri for uri in final.segments if uri not in old_uris]
    assert new and final.last_msn > before.last_msn, final.text
    assert state.get("error") is None and not state["paused"], f"hls.js after the failover: {state}"
    assert owner(lab, MAIN) == "gw-b"
    # DASH: the node the stream moved to continues in a new Period (ids from etcd's numbering).
    periods_after = set(re.findall(r'<Period id="([^"]+)"', web.http_get(mpd_url)[2].decode()))
    assert periods_before and periods_after and not periods_after & periods_before, (periods_before, periods_after)
