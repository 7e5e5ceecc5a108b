"""Signed playback URLs through the nginx edge (deploy/nginx/edge.conf, issue 19): the edge caches
one copy of each object for every viewer, whatever their token, and still refuses a missing,
expired, forged, other-stream or other-address token, even for an object it has cached.

A lab (scripts/lib/clusterlab) of one gateway node (playback.require_token, trust_forwarded_for:
it is reachable only through the edges and from the test) and two edges, each in its own network
namespace; the test, ffprobe and Chromium are viewers in the root namespace (the lab's .1
address). VAULT is published for the whole module, VAULT_LL (LL-HLS) by the test that needs it.
"""

import http.client
import json
import sys
import time
import urllib.parse
from pathlib import Path
from urllib.parse import urljoin

import pytest

from clients import browser, probe, tokens
from clients.llhls import LLPlaylist
from clients.static_server import StaticServer
from conftest import GATEWAY_BIN, JS_PLAYERS_DIR, REPO, wait_for
from test_cluster import HLS_JS, HLSJS_PAGE, LADDER_SIZES, LL_PROFILE, lab_unavailable

sys.path.insert(0, str(REPO / "scripts/lib"))
from clusterlab import Lab, viewers, web  # noqa: E402

VAULT, VAULT_LL, OTHER = "vault", "vault-ll", "elsewhere"
SECRETS = [("edge1", "edge-lab-Secret.0123456789")]
FOREIGN_NET = "203.0.113.0/24"
ADMIN_TOKEN = "edge-lab-admin-0123456789"
AUTH_CACHE_SECONDS = 5  # proxy_cache_valid of location = /_playback_check in edge.conf

pytestmark = pytest.mark.skipif(lab_unavailable() is not None, reason=str(lab_unavailable()))


@pytest.fixture(scope="module")
def lab(clip10):
    playback = {"require_token": True, "trust_forwarded_for": True, "secrets": SECRETS}
    with Lab(GATEWAY_BIN, cluster=False, nodes=("gw-a",), edges=("edge-1", "edge-2"), playback=playback,
             streams={VAULT_LL: {"profile": LL_PROFILE}}, say=print, usage_collector="gw-a",
             extra_config=f"admin: {{ token: {ADMIN_TOKEN} }}\n") as running:
        running.publish("gw-a", VAULT, clip10, label="vault-publisher")
        token = tokens.token_of(sign(running))
        wait_for(lambda: (p := playlist(running, "edge-1", token)) and len(p.segments) >= 3, 60,
                 f"{VAULT}: 3 segments through edge-1 with a token", interval=0.25)
        yield running
    assert not running.leftovers(), f"the lab left namespaces or links behind: {running.leftovers()}"


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"hlsjs.html": HLSJS_PAGE}) as server:
        yield server


def sign(lab, stream=VAULT, edge="edge-1", **options):
    """A master playlist URL on `edge` from `gateway sign` with the node's own config."""
    return tokens.sign(GATEWAY_BIN, lab.config_path("gw-a"), stream, lab.edge_url(edge), **options)


def url(lab, edge, token, rel, stream=VAULT):
    return lab.edge_url(edge, (tokens.folder(stream, token) if token else f"/live/{stream}/") + rel)


def playlist(lab, edge, token, rel="360p/index.m3u8", stream=VAULT):
    return web.fetch_media(url(lab, edge, token, rel, stream))


def kinds(lab, token):
    """{kind: path below the stream folder} of VAULT's live objects, read through edge-1."""
    media = playlist(lab, "edge-1", token)
    init = web.http_get(url(lab, "edge-1", token, "360p/index.m3u8"))[2].decode().split('#EXT-X-MAP:URI="')[1]
    return {"master": "master.m3u8", "media playlist": "360p/index.m3u8", "mpd": "manifest.mpd",
            "init": "360p/" + init.split('"')[0], "segment": "360p/" + media.segments[-1], "player page": ""}


def http_no_redirect(target):
    parts = urllib.parse.urlsplit(target)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    conn.request("GET", parts.path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def origin_refusals(lab):
    return tokens.refusal_counts(lab.metrics("gw-a"))


def assert_edge_refused(answer, token, what):
    status, headers, body = answer
    assert status == 403, f"{what}: {status} {body[:200]!r}"
    assert "no-store" in (headers.get("Cache-Control") or ""), f"{what}: {dict(headers)}"
    assert not token or token.split(".")[-1].encode() not in body, f"{what}: the answer quotes the token"
    assert SECRETS[0][1].encode() not in body


# 1. One cached copy for every viewer

def test_viewers_with_different_tokens_share_one_cached_copy(lab):
    alice, bob = (tokens.token_of(sign(lab, viewer=name)) for name in ("alice", "bob"))
    objects = kinds(lab, alice)
    offset = web.read_access_log(lab.access_log("edge-1"))[1]
    for kind in ("init", "segment"):
        first = web.http_get(url(lab, "edge-1", alice, objects[kind]))
        second = web.http_get(url(lab, "edge-1", bob, objects[kind]))
        assert first[0] == second[0] == 200 and first[2] == second[2], (kind, first[0], second[0])
        assert second[1]["X-Cache-Status"] == "HIT", (kind, dict(second[1]))
        assert "immutable" in second[1]["Cache-Control"], dict(second[1])
    # The micro-cached playlist, the MPD and the player page: the same bytes for every token.
    for kind in ("media playlist", "mpd", "player page"):
        answers = [web.http_get(url(lab, "edge-1", token, objects[kind])) for token in (alice, bob)]
        assert [a[0] for a in answers] == [200, 200], (kind, [a[0] for a in answers])
        assert alice.encode() not in answers[0][2] and bob.encode() not in answers[1][2], kind
    assert web.http_get(url(lab, "edge-1", bob, "360p/index.m3u8"))[1]["X-Cache-Status"] in ("HIT", "UPDATING")
    # /live/NAME/t/TOKEN redirects to the player page (./TOKEN/, relative), through the edge uncached.
    redirect = http_no_redirect(lab.edge_url("edge-1", f"/live/{VAULT}/t/{alice}"))
    assert redirect.status == 301 and redirect.getheader("Location") == f"./{alice}/", redirect.status
    # The access log shows no token (a credential), and one origin request per object.
    entries, _ = web.read_access_log(lab.access_log("edge-1"), offset)
    assert entries and all("/t/-" in e.uri and alice not in e.uri for e in entries), [e.uri for e in entries]
    assert alice not in lab.access_log("edge-1").read_text() and bob not in lab.access_log("edge-1").read_text()
    for kind in ("init", "segment"):
        logged = web.origin_requests_by_uri(entries).get(f"/live/{VAULT}/t/-/{objects[kind]}", 0)
        assert logged <= 1, (kind, logged)


def test_forty_viewers_with_their_own_tokens_collapse_to_one_origin_request_per_segment(lab):
    urls = [url(lab, lab.edges[i % 2], tokens.token_of(sign(lab, viewer=f"v{i}")), "360p/index.m3u8")
            for i in range(40)]
    offsets = {edge: web.read_access_log(lab.access_log(edge))[1] for edge in lab.edges}
    stats = viewers.watch(urls, 8, reload=0.5, ramp=1.0)
    print("viewers:", stats.summary())
    assert stats.failures == 0 and set(stats.statuses) == {200}, stats.summary()
    per_segment = {}
    for edge in lab.edges:
        entries, _ = web.read_access_log(lab.access_log(edge), offsets[edge])
        for uri, count in web.origin_requests_by_uri(entries).items():
            if web.kind_of(uri) == "segment":
                per_segment[uri] = per_segment.get(uri, 0) + count
    print("origin requests per segment (both edges):", sorted(per_segment.values()))
    assert len(per_segment) >= 4 and len(stats.segment_seconds) >= 40 * 4, (per_segment, stats.summary())
    assert max(per_segment.values()) <= len(lab.edges) + 1, per_segment

    # Usage at the edge (usage.edge_log): the origin saw two or three requests per segment, yet
    # its usage report has every one of the forty viewers (their token's viewer ID), through an
    # edge, with their media bytes; the edges' own fetches are not counted again.
    def report():
        status, _, body = web.http_get(lab.node_url("gw-a", f"/api/usage?stream={VAULT}&group=day"),
                                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert status == 200, (status, body[:200])
        return json.loads(body)

    # Every byte the viewers got is logged (UDP on the lab's bridge: nothing lost here), once
    # the recorder's next flush (every 5 s) has written the last sessions.
    seen = {}

    def counted():
        buckets = report()["buckets"]
        seen["bucket"] = buckets and buckets[0]
        return buckets and buckets[0]["unique_viewers"] >= 40 and buckets[0]["bytes"] >= 0.9 * stats.bytes
    try:
        wait_for(counted, 20, "forty viewers and their bytes in the usage report")
    finally:
        print("usage bucket:", json.dumps(seen.get("bucket"))[:600], "viewers got", stats.bytes)
    bucket = seen["bucket"]
    assert bucket["sessions_via_edge"] == bucket["sessions"], bucket
    assert bucket["minutes_by_rendition"].get("360p", 0) > 0, bucket
    assert 'gateway_usage_edge_log_lines_total{outcome="recorded"}' in lab.metrics("gw-a")


# 2. Refused even when cached

def test_invalid_tokens_are_refused_even_when_the_object_is_cached(lab):
    valid = tokens.token_of(sign(lab))
    objects = kinds(lab, valid)
    for rel in objects.values():
        web.http_get(url(lab, "edge-1", valid, rel))
    cached = web.http_get(url(lab, "edge-1", valid, objects["segment"]))
    assert cached[0] == 200 and cached[1]["X-Cache-Status"] == "HIT", dict(cached[1])
    cases = {
        "missing": (None, "missing"),
        "flipped signature": (tokens.with_flipped_signature(valid), "bad_signature"),
        "edited expiry": (tokens.with_claims(valid, exp=tokens.claims(valid)["exp"] + 86400), "bad_signature"),
        "other stream's": (tokens.token_of(sign(lab, OTHER)), "wrong_stream"),
        "other address's": (tokens.token_of(sign(lab, ip=FOREIGN_NET)), "ip"),
    }
    before = origin_refusals(lab)
    for case, (token, reason) in cases.items():
        for kind, rel in objects.items():
            for edge in lab.edges:
                assert_edge_refused(web.http_get(url(lab, edge, token, rel)), token, f"{case}, {kind}, {edge}")
    forged = cases["flipped signature"][0]
    assert http_no_redirect(lab.edge_url("edge-1", f"/live/{VAULT}/t/{forged}")).status == 403
    # A viewer's own X-Forwarded-For is replaced by the edge: the address-bound token stays refused.
    foreign = cases["other address's"][0]
    spoofed = web.http_get(url(lab, "edge-1", foreign, objects["segment"]), headers={"X-Forwarded-For": "203.0.113.9"})
    assert_edge_refused(spoofed, foreign, "spoofed X-Forwarded-For")
    delta = tokens.counts_delta(before, origin_refusals(lab))
    print("origin refusals:", delta)
    # Plain URLs reach the origin (a key of their own: never the token's cached copy); a bad
    # token's check is cached per token and address, about once per edge.
    assert delta.pop("missing") == len(objects) * len(lab.edges), delta
    for reason in ("bad_signature", "wrong_stream", "ip"):
        checks = sum(1 for token, r in cases.values() if r == reason) * len(lab.edges) + (reason == "bad_signature")
        assert 1 <= delta.pop(reason, 0) <= 2 * checks, (reason, delta)
    assert not delta, delta
    # ... while a valid token, bound to this viewer's address, still gets the cached copy.
    own = tokens.token_of(sign(lab, ip=f"{lab.net.root_ip}/32"))
    answer = web.http_get(url(lab, "edge-1", own, objects["segment"]))
    assert answer[0] == 200 and answer[1]["X-Cache-Status"] == "HIT" and answer[2] == cached[2]


def test_an_expired_token_is_refused_within_the_auth_cache_time(lab):
    token = tokens.token_of(sign(lab, ttl=2))
    expires = tokens.claims(token)["exp"]
    objects = kinds(lab, token)  # checked and cached while valid
    assert web.http_get(url(lab, "edge-1", token, objects["segment"]))[0] == 200
    wait_for(lambda: web.http_get(url(lab, "edge-1", token, objects["segment"]))[0] == 403,
             expires - time.time() + AUTH_CACHE_SECONDS + 3, "the expired token to be refused", interval=0.25)
    late = time.time() - expires
    print(f"refused {late:.1f}s after expiry")
    assert late <= AUTH_CACHE_SECONDS + 2
    for kind, rel in objects.items():
        for edge in lab.edges:
            assert_edge_refused(web.http_get(url(lab, edge, token, rel)), token, f"expired, {kind}, {edge}")


# 3. LL-HLS: blocking reloads and parts with tokens, collapsed and checked

def test_blocking_reloads_with_tokens_collapse_and_are_checked(lab, clip10):
    publisher = lab.publish("gw-a", VAULT_LL, clip10, label="vault-ll-publisher")
    try:
        tokens_ = [tokens.token_of(sign(lab, VAULT_LL, viewer=f"ll{i}")) for i in range(40)]

        def live_playlist():  # from the node: the edge's copy may be a second old
            folder = tokens.folder(VAULT_LL, tokens_[0])
            status, _, body = web.http_get(lab.node_url("gw-a", folder + "360p/index.m3u8"))
            parsed = LLPlaylist(body.decode()) if status == 200 else None
            return parsed if parsed and len(parsed.segments) >= 2 and parsed.can_block_reload else None

        wait_for(live_playlist, 40, f"{VAULT_LL}: an LL playlist on gw-a", interval=0.25)
        offsets = {edge: web.read_access_log(lab.access_log(edge))[1] for edge in lab.edges}
        keys = []
        for _ in range(3):
            msn, part = live_playlist().next_part()
            query = f"360p/index.m3u8?_HLS_msn={msn}&_HLS_part={part}"
            keys.append(f"/live/{VAULT_LL}/t/-/{query}")
            answers = viewers.burst([url(lab, lab.edges[i % 2], token, query, VAULT_LL)
                                     for i, token in enumerate(tokens_)])
            assert {status for status, _, _ in answers} == {200}, [a[0] for a in answers]
            assert all(LLPlaylist(body.decode()).reached(msn, part) for _, body, _ in answers), query
            # The same (cached) reload with a forged token: refused at once.
            started = time.monotonic()
            forged = tokens.with_flipped_signature(tokens_[0])
            assert_edge_refused(web.http_get(url(lab, "edge-1", forged, query, VAULT_LL)), forged, query)
            assert time.monotonic() - started < 1.0, "a refused blocking reload was held"
        part_uri = LLPlaylist(answers[0][1].decode()).parts()[-1].uri
        part = [web.http_get(url(lab, "edge-2", token, urljoin("360p/", part_uri), VAULT_LL)) for token in tokens_[:2]]
        assert [p[0] for p in part] == [200, 200] and part[1][1]["X-Cache-Status"] == "HIT", [p[0] for p in part]
        assert_edge_refused(web.http_get(url(lab, "edge-2", None, urljoin("360p/", part_uri), VAULT_LL)), None, "part")
    finally:
        publisher.stop(5)
    per_key = web.origin_requests_since(lab, offsets, keys)
    print("origin requests per blocking reload (both edges):", per_key)
    assert all(0 < count <= len(lab.edges) + 1 for count in per_key.values()), per_key


# 4. Players through the edge with a token

@pytest.mark.parametrize("edge", ["edge-1", "edge-2"])
def test_ffprobe_plays_through_the_edge_with_a_token(lab, edge):
    for signed_url in (sign(lab, edge=edge), sign(lab, edge=edge, dash=True)):
        result = probe.probe(signed_url, timeout=30)
        assert result.returncode == 0, f"{signed_url}: ffprobe exit {result.returncode}: {result.stderr}"
        assert result.video_sizes() == LADDER_SIZES and result.codecs("audio") == ["aac"], result.streams


def test_hlsjs_plays_through_the_edge_with_a_token(lab, js_server):
    if not (Path(JS_PLAYERS_DIR) / HLS_JS).is_file():
        pytest.skip(f"{HLS_JS} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR} (scripts/fetch-js-players.sh)")
    before = origin_refusals(lab)
    page = js_server.url("hlsjs.html?" + urllib.parse.urlencode({"src": sign(lab, edge="edge-2"),
                                                                  "hls": js_server.url(HLS_JS)}))
    driver = browser.make_driver()
    try:
        report = browser.watch(driver, page, seconds=8)
    finally:
        driver.quit()
    assert report.started and report.error is None, report.summary()
    assert report.advance >= 6.0, f"advanced only {report.advance:.2f}s: {report.summary()}"
    assert (report.last["width"], report.last["height"]) in LADDER_SIZES, report.summary()
    assert tokens.counts_delta(before, origin_refusals(lab)) == {}
