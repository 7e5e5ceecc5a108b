"""Signed playback URLs (issue 19) from the test side: a playback config with its secret file,
tokens from `gateway sign`, tampered tokens, the checks every refusal must pass, and
`SignedGateway`, a gateway publishing a protected and an open stream.

A token is `base64url(claims JSON) "." base64url(HMAC-SHA256)`, in the path:
`/live/NAME/t/TOKEN/master.m3u8`. The tests never compute a valid signature themselves: valid
tokens come from the gateway (`gateway sign`, `POST /api/tokens`); tampered ones are edits of
those, as an attacker would make them.
"""

import base64
import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from clients.live import http_get, media_segments, parse_master
from conftest import FFMPEG, GATEWAY_BIN, Gateway, stop_process, wait_for

REFUSAL_METRIC = "gateway_playback_refusals_total"
TOKEN_IN_URL = re.compile(r"/live/[^/]+/t/([^/]+)/")


def write_config(directory: Path, secrets, streams=None, trust_forwarded_for=False, admin_token=None,
                 name="gateway.yaml"):
    """A gateway config with `playback: { require_token: true }` and its secret file (`secrets`:
    [(key id, secret)], the first signs). `streams`: {name: {key: value}} as in the config."""
    directory.mkdir(parents=True, exist_ok=True)
    secret_file = directory / (Path(name).stem + "-secrets.txt")
    secret_file.write_text("".join(f"{kid} {secret}\n" for kid, secret in secrets))
    secret_file.chmod(0o600)
    lines = ["playback:", "  require_token: true", f"  secret_file: {secret_file}",
             f"  trust_forwarded_for: {'true' if trust_forwarded_for else 'false'}"]
    if admin_token:
        lines += ["admin:", f"  token: {admin_token}"]
    if streams:
        lines.append("streams:")
        for stream, options in streams.items():
            lines.append(f"  {stream}:")
            lines += [f"    {key}: {value}" for key, value in options.items()]
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    return path


def sign(gateway_bin, config, stream, base_url, ttl=3600, ip=None, viewer=None, dash=False):
    """The URL `gateway sign` prints (the master playlist's, or the MPD's with `dash`)."""
    command = [str(gateway_bin), "sign", stream, "--config", str(config), "--ttl", str(ttl),
               "--base-url", base_url]
    if ip:
        command += ["--ip", ip]
    if viewer:
        command += ["--viewer", viewer]
    if dash:
        command.append("--dash")
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"gateway sign exit {done.returncode}: {done.stderr}"
    url = done.stdout.strip()
    assert url.startswith(base_url.rstrip("/") + f"/live/{stream}/t/"), url
    return url


def token_of(url):
    match = TOKEN_IN_URL.search(url)
    assert match, f"no /live/NAME/t/TOKEN/ in {url}"
    return match.group(1)


def folder(stream, token):
    """`/live/NAME/t/TOKEN/`: the prefix every URL of the stream takes with this token."""
    return f"/live/{stream}/t/{token}/"


def _b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims(token):
    payload, _ = token.split(".")
    return json.loads(_b64decode(payload))


def with_claims(token, **changes):
    """The token with edited claims and the original signature (a forgery without the secret)."""
    payload, signature = token.split(".")
    edited = dict(json.loads(_b64decode(payload)), **changes)
    return _b64encode(json.dumps(edited, sort_keys=True, separators=(",", ":")).encode()) + "." + signature


def with_flipped_signature(token, index=5):
    """The token with one signature character changed (not the last one: its low bits are padding)."""
    payload, signature = token.split(".")
    replacement = "A" if signature[index] != "A" else "B"
    return f"{payload}.{signature[:index]}{replacement}{signature[index + 1:]}"


def assert_refused(answer, reason, token=None, secrets=(), what=""):
    """`answer` is (status, headers, body): 403, `forbidden: REASON`, no-store, nothing secret."""
    status, headers, body = answer
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    assert status == 403, f"{what}: expected 403 {reason}, got {status}: {text[:200]}"
    assert text == f"forbidden: {reason}\n", f"{what}: expected reason {reason}, got {text[:200]!r}"
    assert "no-store" in (headers.get("Cache-Control") or ""), f"{what}: {dict(headers)}"
    for secret in [token, *secrets]:
        if secret:
            assert secret not in text and secret.split(".")[-1] not in text, f"{what}: body quotes a secret"
            assert all(secret not in value for value in headers.values()), f"{what}: a header quotes a secret"


def refusal_counts(metrics_text):
    """{reason: count} of gateway_playback_refusals_total."""
    counts = {}
    for reason, value in re.findall(rf'^{REFUSAL_METRIC}{{reason="([^"]+)"}} (\S+)$', metrics_text, re.M):
        counts[reason] = counts.get(reason, 0) + float(value)
    return counts


def counts_delta(before, after):
    return {reason: after.get(reason, 0) - before.get(reason, 0)
            for reason in set(before) | set(after) if after.get(reason, 0) != before.get(reason, 0)}


class SignedGateway:
    """A gateway (profiles/test-small.yaml) with a playback section, and one looping ffmpeg that
    publishes `clip` (-c copy) as `protected` and as `open_stream` (`require_token: false` in
    `streams`). Waits until both list segments; URLs of `protected` by default."""

    def __init__(self, workdir, clip, gateway_args, secrets, streams, protected, open_stream, admin_token):
        self.workdir, self.clip, self.protected, self.admin_token = workdir, clip, protected, admin_token
        self.config = write_config(workdir, secrets, streams, admin_token=admin_token)
        self.gateway = Gateway(workdir, ["--config", str(self.config), "--profile", "profiles/test-small.yaml",
                                         *gateway_args])
        self.base = self.gateway.http_url("")
        self.pid = self.gateway.proc.pid
        self._log = open(workdir / "publisher.log", "w")
        # One publisher, two streams (-c copy both ways).
        self.publisher = subprocess.Popen(
            [*FFMPEG, "-re", "-stream_loop", "-1", "-i", str(clip),
             "-map", "0", "-c", "copy", "-f", "flv", self.gateway.rtmp_url(protected),
             "-map", "0", "-c", "copy", "-f", "flv", self.gateway.rtmp_url(open_stream)],
            stdout=subprocess.DEVNULL, stderr=self._log)
        try:
            self.token = token_of(self.sign())
            wait_for(lambda: self.ready(protected, self.token), 40, f"{protected}: 3 segments per playlist", 0.25)
            wait_for(lambda: self.ready(open_stream, None, 2), 40, f"{open_stream}: 2 segments per playlist", 0.25)
        except BaseException:
            self.close()
            raise

    def close(self):
        stop_process(self.publisher, timeout=5)
        self._log.close()
        self.gateway.stop()

    def sign(self, stream=None, config=None, **options):
        return sign(GATEWAY_BIN, config or self.config, stream or self.protected, self.base, **options)

    def api_token(self, body, authorization="admin", method="POST"):
        """(status, JSON or text) of POST /api/tokens; "admin": with the configured admin token."""
        authorization = f"Bearer {self.admin_token}" if authorization == "admin" else authorization
        headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
        request = urllib.request.Request(self.gateway.http_url("/api/tokens"), data=json.dumps(body).encode(),
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def path(self, rel, stream=None, token=None):
        stream = stream or self.protected
        return (folder(stream, token) if token else f"/live/{stream}/") + rel

    def get(self, rel, stream=None, token=None):
        return http_get(self.gateway.http_url(self.path(rel, stream, token)))

    def ready(self, stream, token, count=3):
        if self.publisher.poll() is not None:
            raise AssertionError(f"publisher exited ({self.publisher.returncode})")
        status, _, body = self.get("master.m3u8", stream, token)
        if status != 200:
            return False
        variants, media = parse_master(body.decode())
        for uri in [v.uri for v in variants] + [m["URI"] for m in media if m.get("URI")]:
            status, _, body = self.get(uri, stream, token)
            if status != 200 or len(media_segments(body.decode())) < count:
                return False
        return bool(variants)

    def refusals(self):
        return refusal_counts(http_get(self.gateway.http_url("/metrics"))[2].decode())

    def rss_kib(self):
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def kinds(self, token):
        """{kind of URL: path below the stream folder} of the live stream, read with `token`."""
        variants, _ = parse_master(self.get("master.m3u8", token=token)[2].decode())
        playlist = self.get(variants[0].uri, token=token)[2].decode()
        folder = variants[0].uri.rsplit("/", 1)[0] + "/"
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist).group(1)
        return {"master": "master.m3u8", "media playlist": variants[0].uri, "mpd": "manifest.mpd",
                "init": folder + init, "segment": folder + media_segments(playlist)[-1], "player page": ""}
