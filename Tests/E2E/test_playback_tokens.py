"""Signed playback URLs (issue 19): every real player plays a protected stream from a token URL
(`/live/NAME/t/TOKEN/master.m3u8`), every kind of URL refuses a missing, expired, forged,
other-stream or other-address token, an open stream needs none, and a flood of bad tokens
neither grows the gateway's memory nor its log.

One gateway (playback.require_token with a two-key secret file, an admin token) and one looping
ffmpeg that publishes the same clip twice: VAULT (protected, profiles/test-small.yaml) and LOBBY
(`require_token: false`, passthrough). The LL-HLS stream for parts and blocking reloads is
published only by the test that needs it. "Plays" is test_players.py's definition, and no
request of a playing player may be refused (gateway_playback_refusals_total stays put).
"""

import concurrent.futures
import http.client
import re
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from urllib.parse import urljoin

import pytest

from clients import browser, gst, probe, streamlink_client, tokens, vlc
from clients.live import http_get, media_segments, parse_master
from clients.llhls import fetch_playlist
from clients.static_server import StaticServer
from conftest import FFMPEG, JS_PLAYERS_DIR, REPO, publish_ffmpeg, stop_process, wait_for
from test_players import (BARE_VIDEO_PAGE, HLS_JS, LADDER_SIZES, VIDEO_JS, WATCH_SECONDS, assert_gst_played,
                          assert_plays)

VAULT, LOBBY, VAULT_LL = "vault", "lobby", "vault-ll"
# The first key signs; both verify (rotation: the older key's tokens stay valid).
SECRETS = [("k2", "second-Secret.0123456789_new"), ("k1", "first-Secret.9876543210_old")]
ADMIN = "admin-Token.0123456789abcdef"
FOREIGN_NET = "203.0.113.0/24"  # TEST-NET-3: never the client's address here


@pytest.fixture(scope="module")
def js_server():
    with StaticServer(JS_PLAYERS_DIR, pages={"bare-video.html": BARE_VIDEO_PAGE}) as server:
        yield server


@pytest.fixture(scope="module")
def signed(tmp_path_factory, js_server, clip10):
    args = ["--hls-js-url", js_server.url(HLS_JS), "--videojs-url", js_server.url(VIDEO_JS),
            "--dash-js-url", js_server.url("dashjs/dash.all.min.js")]
    streams = {LOBBY: {"require_token": "false", "profile": REPO / "profiles/passthrough.yaml"},
               VAULT_LL: {"profile": REPO / "profiles/test-small-ll.yaml"}}
    gateway = tokens.SignedGateway(tmp_path_factory.mktemp("tokens"), clip10, args, SECRETS, streams,
                                   protected=VAULT, open_stream=LOBBY, admin_token=ADMIN)
    yield gateway
    gateway.close()


@pytest.fixture
def no_refusals(signed):
    """A playing player's requests all carry a valid token: none may be refused."""
    before = signed.refusals()
    yield
    assert tokens.counts_delta(before, signed.refusals()) == {}, "the gateway refused a player's request"


@pytest.fixture
def driver():
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


def api_master(signed, **body):
    status, answer = signed.api_token({"stream": VAULT, "ttl_seconds": 600, **body})
    assert status == 200, answer
    return signed.gateway.http_url(answer["master"])


# 1. The token reaches every URI without the player's help

def test_playlists_and_the_mpd_carry_the_token_in_relative_uris(signed):
    master_url = signed.sign()
    text = http_get(master_url)[2].decode()
    variants, media = parse_master(text)
    uris = [v.uri for v in variants] + [m["URI"] for m in media]
    assert [(v.width, v.height) for v in variants if v.height] == LADDER_SIZES, text
    mpd = http_get(signed.sign(dash=True))[2].decode()
    for uri in list(uris):
        playlist = http_get(urljoin(master_url, uri))[2].decode()
        uris += [urljoin(uri, u) for u in media_segments(playlist) + re.findall(r'URI="([^"]+)"', playlist)]
    folder = master_url.rsplit("/", 1)[0] + "/"
    assert all(urljoin(master_url, uri).startswith(folder) for uri in uris), uris
    # The MPD's templates and BaseURLs too (its UTCTiming "/time" is no stream URL).
    mpd_uris = re.findall(r'(?:media|initialization)="([^"]+)"', mpd) + re.findall(r"<BaseURL>([^<]*)<", mpd)
    assert mpd_uris and all(urljoin(folder, uri).startswith(folder) for uri in mpd_uris), mpd_uris


def test_api_tokens_is_admin_only_and_answers_every_url(signed):
    body = {"stream": VAULT, "ttl_seconds": 60, "viewer": "alice"}
    assert signed.api_token(body, authorization=None)[0] == 403
    assert signed.api_token(body, authorization="Bearer wrong-token-0123456789")[0] == 403
    assert signed.api_token({"stream": "../x"})[0] == 400
    status, answer = signed.api_token(body)
    assert status == 200, answer
    assert answer["path"] == tokens.folder(VAULT, answer["token"]), answer
    assert answer["master"] == answer["path"] + "master.m3u8" and answer["manifest"] == answer["path"] + "manifest.mpd"
    assert abs(answer["expires"] - (time.time() + 60)) <= 5, answer
    claims = tokens.claims(answer["token"])
    assert (claims["str"], claims["sub"], claims["kid"]) == (VAULT, "alice", SECRETS[0][0]), claims
    assert http_get(signed.gateway.http_url(answer["master"]))[0] == 200


# 2. Every player, from a token URL

@pytest.mark.usefixtures("no_refusals")
def test_ffprobe_reads_the_signed_master_and_mpd(signed):
    for url in (signed.sign(viewer="probe"), signed.sign(dash=True), api_master(signed)):
        result = probe.probe(url, timeout=30)
        assert result.returncode == 0, f"{url}: ffprobe exit {result.returncode}: {result.stderr}"
        assert result.video_sizes() == LADDER_SIZES and result.codecs("audio") == ["aac"], result.streams


@pytest.mark.usefixtures("no_refusals")
def test_ffmpeg_records_from_a_signed_url(signed, tmp_path):
    out = tmp_path / "recorded.mp4"
    done = subprocess.run(["timeout", "-k", "3", "40", *FFMPEG, "-i", api_master(signed), "-t", "5", "-c", "copy",
                           "-y", str(out)], capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr[-2000:]
    video = probe.probe(out, count_packets=True).first("video")
    assert video and video["codec_name"] == "h264" and int(video["nb_read_packets"]) >= 100, video


@pytest.mark.usefixtures("no_refusals")
@pytest.mark.parametrize("engine", ["hlsjs", "videojs", "native"])
def test_chromium_player_page_plays_with_token(signed, driver, engine):
    script = {"hlsjs": HLS_JS, "videojs": VIDEO_JS}.get(engine)
    if script and not (Path(JS_PLAYERS_DIR) / script).is_file():
        pytest.skip(f"{script} not in JS_PLAYERS_DIR={JS_PLAYERS_DIR} (scripts/fetch-js-players.sh)")
    page = signed.sign(viewer=engine).rsplit("/", 1)[0] + f"/?player={engine}"
    assert_plays(browser.watch(driver, page, seconds=WATCH_SECONDS), engine)


@pytest.mark.usefixtures("no_refusals")
def test_chromium_bare_video_element_plays_the_signed_master(signed, js_server, driver):
    page = js_server.url("bare-video.html?" + urllib.parse.urlencode({"src": api_master(signed)}))
    assert_plays(browser.watch(driver, page, seconds=WATCH_SECONDS), "native")


@pytest.mark.usefixtures("no_refusals")
@pytest.mark.parametrize("kind", ["hls", "dash"])
def test_gstreamer_plays_with_token(signed, tmp_path, kind):
    seconds = 8
    if kind == "hls":
        result = gst.play_hls(signed.sign(), seconds, tmp_path / "gst.log")
    else:
        result = gst.play_dash(signed.sign(dash=True), seconds, tmp_path / "gst.log")
    assert_gst_played(result, seconds, 30.0)


@pytest.mark.usefixtures("no_refusals")
def test_vlc_plays_with_token(signed, tmp_path):
    seconds, fps = 8, 30.0
    result = vlc.play(api_master(signed, viewer="vlc"), seconds, str(tmp_path / "vlc-home"))
    assert result.advance >= 0.75 * seconds, result.summary()
    assert result.frames >= 0.7 * fps * seconds, result.summary()
    assert result.frames_over_last(3) >= 0.5 * fps * 3, result.summary()
    assert result.resolution in {f"{w}x{h}" for w, h in LADDER_SIZES}, result.summary()


@pytest.mark.usefixtures("no_refusals")
def test_streamlink_records_best_with_token(signed, tmp_path):
    master = signed.sign(viewer="streamlink")
    folder = master.rsplit("/", 1)[0] + "/"
    urls = streamlink_client.stream_urls(master)
    assert urls and all(u.startswith(folder) for substreams in urls.values() for u in substreams), urls
    out = tmp_path / "best.out"
    code, output = streamlink_client.record(master, "best", 6, out)
    assert code == 0, output
    video = probe.probe(out, count_packets=True).first("video")
    assert video and (video["width"], video["height"]) == LADDER_SIZES[0], video
    assert int(video.get("nb_read_packets", 0)) >= 0.5 * 6 * 30, video


def test_open_stream_plays_without_a_token(signed):
    before = signed.refusals()
    result = probe.probe(signed.gateway.http_url(f"/live/{LOBBY}/master.m3u8"), timeout=30)
    assert result.returncode == 0 and result.codecs("video") == ["h264"], f"{result.streams} {result.stderr}"
    assert signed.get("", LOBBY)[0] == 200  # the player page
    assert tokens.counts_delta(before, signed.refusals()) == {}


# 3. Refusals on every kind of URL, through both origin paths (hot path on keep-alive, responder)

def keep_alive(signed):
    return http.client.HTTPConnection("127.0.0.1", signed.gateway.http_port, timeout=10)


def keep_alive_get(conn, path):
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def test_every_kind_of_url_refuses_bad_tokens_with_a_reason(signed):
    valid = signed.token
    expiring = tokens.token_of(signed.sign(ttl=1))
    status, answer = signed.api_token({"stream": VAULT, "ttl_seconds": 7200, "not_before_seconds": 3600})
    assert status == 200, answer
    cases = {
        "missing": (None, "missing"),
        "garbage": ("not-a-token", "malformed"),
        "expired": (expiring, "expired"),
        "flipped signature": (tokens.with_flipped_signature(valid), "bad_signature"),
        "edited expiry": (tokens.with_claims(valid, exp=tokens.claims(valid)["exp"] + 86400 * 365), "bad_signature"),
        "edited stream": (tokens.with_claims(tokens.token_of(signed.sign(VAULT_LL)), str=VAULT), "bad_signature"),
        "edited key id": (tokens.with_claims(valid, kid="k0"), "unknown_key"),
        "other stream's": (tokens.token_of(signed.sign(VAULT_LL)), "wrong_stream"),
        "other address's": (tokens.token_of(signed.sign(ip=FOREIGN_NET)), "ip"),
        "not yet valid": (answer["token"], "not_yet_valid"),
    }
    kinds = signed.kinds(valid)
    for rel in kinds.values():
        assert signed.get(rel, token=valid)[0] == 200, rel
    wait_for(lambda: signed.get("master.m3u8", token=expiring)[0] == 403, 5, "the 1 s token to expire")
    before = signed.refusals()
    expected = {}
    conn = keep_alive(signed)
    for case, (token, reason) in cases.items():
        for kind, rel in kinds.items():
            for via, answer in (("close", signed.get(rel, token=token)),
                                ("keep-alive", keep_alive_get(conn, signed.path(rel, token=token)))):
                tokens.assert_refused(answer, reason, token, [s for _, s in SECRETS], f"{case} token, {kind}, {via}")
                expected[reason] = expected.get(reason, 0) + 1
        # /live/NAME/t/TOKEN without the slash (the player page's redirect) is checked too.
        bare = f"/live/{VAULT}" + (f"/t/{token}" if token else "")
        tokens.assert_refused(http_get(signed.gateway.http_url(bare)), reason, token, what=f"{case}: {bare}")
        expected[reason] += 1
    conn.close()
    assert tokens.counts_delta(before, signed.refusals()) == expected


def test_ip_bound_token_plays_from_its_own_address(signed):
    token = tokens.token_of(signed.sign(ip="127.0.0.0/8"))
    assert signed.get("master.m3u8", token=token)[0] == 200
    # Without playback.trust_forwarded_for a viewer's X-Forwarded-For changes nothing.
    foreign = tokens.token_of(signed.sign(ip=FOREIGN_NET))
    path = signed.gateway.http_url(signed.path("master.m3u8", token=foreign))
    tokens.assert_refused(http_get(path, headers={"X-Forwarded-For": "203.0.113.7"}), "ip", foreign)


def test_parts_and_blocking_reloads_carry_and_check_the_token(signed):
    log = open(signed.workdir / "publisher-ll.log", "w")
    publisher = publish_ffmpeg(signed.gateway.rtmp_url(VAULT_LL), signed.clip, loop=True, log=log)
    try:
        token = tokens.token_of(signed.sign(VAULT_LL))
        url = signed.gateway.http_url(signed.path("360p/index.m3u8", VAULT_LL, token))

        def with_parts():
            answer, playlist = fetch_playlist(url)
            return playlist if playlist and playlist.segments and playlist.parts() else None

        current = wait_for(with_parts, 40, f"{VAULT_LL}: a playlist with parts", 0.25)
        msn, part = current.next_part()
        answer, reloaded = fetch_playlist(url, msn, part)
        assert answer.status == 200 and reloaded.reached(msn, part), (answer.status, answer.body[:300])
        part_path = urljoin(signed.path("360p/index.m3u8", VAULT_LL, token), reloaded.parts()[-1].uri)
        assert part_path.startswith(tokens.folder(VAULT_LL, token)), part_path
        assert http_get(signed.gateway.http_url(part_path))[0] == 200
        rel_part = part_path[len(tokens.folder(VAULT_LL, token)):]
        msn, part = reloaded.next_part()
        reload_rel = f"360p/index.m3u8?_HLS_msn={msn}&_HLS_part={part}"
        before = signed.refusals()
        for bad, reason in ((None, "missing"), (tokens.with_flipped_signature(token), "bad_signature"),
                            (signed.token, "wrong_stream")):
            for rel in (rel_part, reload_rel):
                started = time.monotonic()
                answer = signed.get(rel, VAULT_LL, bad)
                tokens.assert_refused(answer, reason, bad, what=f"{reason}: {rel}")
                assert time.monotonic() - started < 1.0, f"{rel}: a refused blocking reload was held"
        assert tokens.counts_delta(before, signed.refusals()) == {"missing": 2, "bad_signature": 2, "wrong_stream": 2}
    finally:
        stop_process(publisher, timeout=5)
        log.close()


# 4. Key rotation: a token of the second key verifies; a removed key's does not

def test_key_rotation(signed, tmp_path):
    older = tokens.write_config(tmp_path, list(reversed(SECRETS)), name="older.yaml")
    token = tokens.token_of(signed.sign(config=older))
    assert tokens.claims(token)["kid"] == SECRETS[1][0]
    for rel in signed.kinds(token).values():
        assert signed.get(rel, token=token)[0] == 200, rel
    retired = tokens.write_config(tmp_path, [("k0", "retired-Secret.0123456789")], name="retired.yaml")
    gone = tokens.token_of(signed.sign(config=retired))
    tokens.assert_refused(signed.get("master.m3u8", token=gone), "unknown_key", gone, ["retired-Secret.0123456789"])
    stolen_id = tokens.write_config(tmp_path, [(SECRETS[1][0], "guessed-Secret.0123456789")], name="guess.yaml")
    guessed = tokens.token_of(signed.sign(config=stolen_id))
    tokens.assert_refused(signed.get("master.m3u8", token=guessed), "bad_signature", guessed)


# 5. Bad input

def raw_request(port, target: bytes):
    """Status line of a GET for raw `target` bytes, or b"" when the connection closed unanswered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("target", [
    b"/live/vault/t/" + b"A" * 100_000 + b"/master.m3u8",
    b"/live/vault/t/" + b"A" * 5_000 + b"/master.m3u8",
    b"/live/vault/t/\xff\xfe\x80/master.m3u8",
    b"/live/vault/t/abc/360p/\xc3\x28.m4s",
    b"/live/\xff/t/abc/master.m3u8",
    b"/live/vault/t/%ff%fe/master.m3u8",
], ids=["100KB-token", "5KB-token", "non-utf8-token", "non-utf8-file", "non-utf8-stream", "encoded-non-utf8"])
def test_hostile_paths_are_answered_not_crashed(signed, target):
    status = raw_request(signed.gateway.http_port, target)
    assert re.match(rb"HTTP/1\.1 (400|403|414|431) ", status), status
    assert signed.gateway.proc.poll() is None, "the gateway exited"
    assert signed.get("master.m3u8", token=signed.token)[0] == 200


def test_ten_thousand_bad_tokens_keep_memory_flat_and_the_log_short(signed):
    valid, kinds = signed.token, list(signed.kinds(signed.token).values())
    expired = tokens.token_of(signed.sign(ttl=1))
    wait_for(lambda: signed.get("master.m3u8", token=expired)[0] == 403, 5, "the 1 s token to expire")
    makers = [  # (reason, token for request i): every token but the expired one is new
        ("bad_signature", lambda i: tokens.with_claims(valid, sub=f"viewer-{i}")),
        ("unknown_key", lambda i: tokens.with_claims(valid, kid=f"k-{i}")),
        ("malformed", lambda i: f"junk{i:06d}." + "x" * (i % 700)),
        ("expired", lambda i: expired),
    ]

    def flood(count, offset):
        def worker(indexes):
            conn, seen = keep_alive(signed), {}
            for i in indexes:
                reason, make = makers[i % len(makers)]
                status, _, body = keep_alive_get(conn, signed.path(kinds[i % len(kinds)], token=make(i)))
                seen[(status, body)] = seen.get((status, body), 0) + 1
            conn.close()
            return seen
        total = {}
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            for seen in pool.map(worker, [range(offset + t, offset + count, 16) for t in range(16)]):
                for key, n in seen.items():
                    total[key] = total.get(key, 0) + n
        return total

    flood(1000, 0)  # warm-up: buffers and pools reach their working size
    rss_start, log_start, before = signed.rss_kib(), signed.gateway.log_offset(), signed.refusals()
    started = time.monotonic()
    answers = flood(10_000, 1000)
    elapsed = time.monotonic() - started
    rss_end = signed.rss_kib()
    expected = {}
    for i in range(1000, 11_000):
        reason = makers[i % len(makers)][0]
        expected[reason] = expected.get(reason, 0) + 1
    assert answers == {(403, f"forbidden: {r}\n".encode()): n for r, n in expected.items()}, answers
    assert tokens.counts_delta(before, signed.refusals()) == expected
    lines = [l for l in signed.gateway.log()[log_start:].splitlines() if "playback refused" in l]
    print(f"10,000 bad tokens in {elapsed:.1f}s; RSS {rss_start} -> {rss_end} KiB; {len(lines)} log lines")
    # At most one line per reason per 10 s (plus one window boundary).
    assert len(lines) <= len(makers) * (int(elapsed // 10) + 2), lines
    # Each line tells how many of its reason were left out since the previous one: once the next
    # expired line is out (10 s after the last), the lines account for every expired refusal of
    # the flood (and a few hundred earlier ones: the warm-up's, the previous test's).
    line = re.compile(r"reason=expired similar_refusals_not_logged=(\d+)")
    count = len(line.findall(signed.gateway.log()[log_start:]))
    accounted = wait_for(lambda: signed.get("master.m3u8", token=expired) and
                         len(found := line.findall(signed.gateway.log()[log_start:])) > count and
                         sum(1 + int(n) for n in found), 15, "the next expired line", interval=1.0)
    assert expected["expired"] <= accounted <= expected["expired"] + 400, (accounted, expected)
    assert rss_end - rss_start <= 16 * 1024, f"RSS grew {rss_end - rss_start} KiB over 10,000 refusals"
    assert signed.get("master.m3u8", token=valid)[0] == 200
