"""Profiles from the operator's side: `gateway validate` on every shipped profile and on a broken
one, and editing the profile of a running gateway (applies to the next publish; a broken edit
is rejected and the last good version stays in use)."""

import os
import re
import subprocess

import pytest

from conftest import (GATEWAY_BIN, REPO, Gateway, http_fetch, make_clip, mp4_boxes, publish_ffmpeg,
                      stop_process, wait_for)

PROFILES = sorted((REPO / "profiles").glob("*.yaml"))


def validate(*args):
    run = subprocess.run([GATEWAY_BIN, "validate", *map(str, args)], capture_output=True, text=True,
                         timeout=30, cwd=REPO)
    return run.returncode, run.stdout + run.stderr


def rendition_names(profile_text):
    return re.findall(r"(?m)^\s*- name: (\S+)\s*$", profile_text)


def ladder_rows(output):
    """First column of each row of the printed ladder table ("name size bitrate ...")."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(r"\s+name\s+size\s+bitrate", line))
    rows = []
    for line in lines[header + 1:]:
        # The table ends at the first unindented line or "skipped:", "warning:", "cpu:"...
        if not line.startswith("  ") or line.split()[0].endswith(":"):
            break
        rows.append(line.split())
    return rows


# --- 4. validate ---------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES, ids=[p.stem for p in PROFILES])
def test_validate_accepts_every_shipped_profile(profile):
    code, output = validate(profile)
    assert code == 0, output
    text = profile.read_text()
    name = re.search(r"(?m)^name: (\S+)", text).group(1)
    assert f"{profile}: OK" in output and f'profile "{name}"' in output, output
    # The default 1920x1080 source fits every shipped rung, so each one is planned.
    assert [row[0] for row in ladder_rows(output)] == rendition_names(text), output


def test_validate_plans_the_ladder_for_a_given_source():
    code, output = validate("profiles/test-small.yaml", "--source", "480x270")
    assert code == 0, output
    rows = ladder_rows(output)
    assert [row[:3] for row in rows] == [["240p", "426x240", "300k"]], output
    assert re.search(r"skipped: 360p: .*larger than the source 480x270", output), output

    code, output = validate("profiles/test-small.yaml")
    assert [row[:3] for row in ladder_rows(output)] == [["360p", "640x360", "600k"], ["240p", "426x240", "300k"]]


BROKEN_PROFILE = """\
name: broken
segment_seconds: 1
window_segments: 4
colour: blue
video:
  encoder: libx264
  preset: ultrafast
  renditions:
    - name: 360p
      width: 641
      height: 360
      bitrate: -600k
      profile: main
    - name: 240p
      width: 426
      height: 240
      bitrate: 300k
      preset: warpspeed
      birate: 300k
audio:
  codec: aac
  bitrate: 96k
  channels: 2
  sample_rate: 48000
"""

# (text on the offending line, token the column points at, field path, message pattern)
BROKEN_EXPECTED = [
    ("colour: blue", "colour", "colour", r"unknown key"),
    ("width: 641", "641", r"video.renditions[0].width", r"odd width"),
    ("bitrate: -600k", "-600k", r"video.renditions[0].bitrate", r"negative"),
    ("preset: warpspeed", "warpspeed", r"video.renditions[1].preset", r"unknown x264 preset"),
    ("birate: 300k", "birate", r"video.renditions[1].birate", r"unknown key.*bitrate"),
]


def test_validate_reports_each_problem_with_its_position(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_PROFILE)
    code, output = validate(path)
    assert code == 1, output
    lines = BROKEN_PROFILE.splitlines()
    problems = [line for line in output.splitlines() if re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line)]
    assert len(problems) == len(BROKEN_EXPECTED), output
    for marker, token, field, message in BROKEN_EXPECTED:
        number = next(i for i, line in enumerate(lines) if line.strip() == marker) + 1
        column = lines[number - 1].index(token) + 1
        pattern = rf"{re.escape(str(path))}:{number}:{column}: {re.escape(field)}: .*{message}"
        assert any(re.match(pattern, line) for line in problems), f"no /{pattern}/ in:\n{output}"
    assert f"{len(BROKEN_EXPECTED)} problems found" in output


# --- 5. hot reload ---------------------------------------------------------------------------------

def replace_file(path, text):
    """Writes like an editor saving: a new file renamed over the old one."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def published_ladder(gateway, name, min_segments=1):
    """Once `name` has a complete segment: (variant URIs of its master playlist, 360p btrt avgBitrate)."""
    base = gateway.http_url(f"/live/{name}/")

    def first_segment():
        status, body = http_fetch(base + "360p/index.m3u8")
        return status == 200 and body.decode().count("#EXTINF") >= min_segments

    wait_for(first_segment, 30, f"a complete segment of {name}")
    status, body = http_fetch(base + "master.m3u8")
    assert status == 200, f"{name}/master.m3u8: {status}"
    variants = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
    status, init = http_fetch(base + "360p/init-1.mp4")
    assert status == 200
    btrt = dict(mp4_boxes(init))["moov/trak/mdia/minf/stbl/stsd/avc1/btrt"]
    return variants, int.from_bytes(btrt[8:12], "big")


def test_profile_edits_apply_to_the_next_publish(gateway_factory, tmp_path):
    profile = tmp_path / "edited.yaml"
    original = (REPO / "profiles/test-small.yaml").read_text()
    profile.write_text(original)
    clip = make_clip(tmp_path / "clip.flv", seconds=4, gop=60)
    gateway = gateway_factory(profile=str(profile))
    publishers = []
    try:
        # A long-running stream on the original profile.
        running = publish_ffmpeg(gateway.rtmp_url("before"), clip, loop=True)
        publishers.append(running)
        assert published_ladder(gateway, "before") == (["360p/index.m3u8", "240p/index.m3u8"], 600_000)

        # Edit: drop the 240p rung, lower the 360p bitrate.
        edited = re.sub(r"(?ms)^    - name: 240p\n.*?(?=^\S)", "", original).replace("bitrate: 600k", "bitrate: 450k")
        assert "240p" not in edited and "450k" in edited
        replace_file(profile, edited)
        offset = gateway.log_offset()
        publishers.append(publish_ffmpeg(gateway.rtmp_url("after"), clip, loop=True))
        assert published_ladder(gateway, "after") == (["360p/index.m3u8"], 450_000)
        gateway.wait_log(r"profile loaded", 10, after=offset)
        stop_process(publishers.pop())

        # The stream that was already running keeps its ladder and keeps producing both rungs.
        before_240p = http_fetch(gateway.http_url("/live/before/240p/index.m3u8"))[1].decode()
        last = re.findall(r"seg-(\d+)\.m4s", before_240p)[-1]
        wait_for(lambda: f"seg-{int(last) + 1}.m4s" in http_fetch(gateway.http_url(
            "/live/before/240p/index.m3u8"))[1].decode(), 15, "a new 240p segment of the running stream")
        assert published_ladder(gateway, "before")[0] == ["360p/index.m3u8", "240p/index.m3u8"]

        # A broken edit: the next publish still works, with the last good version.
        broken = edited.replace("window_segments: 4\n", "window_segments: 4\ncolour: blue\n")
        replace_file(profile, broken)
        broken_line = broken.splitlines().index("colour: blue") + 1
        offset = gateway.log_offset()
        publishers.append(publish_ffmpeg(gateway.rtmp_url("broken"), clip, loop=True))
        assert published_ladder(gateway, "broken") == (["360p/index.m3u8"], 450_000)
        rejected = gateway.wait_log(r".*profile edit rejected.*", 10, after=offset).group(0)
        assert re.search(rf"{re.escape(profile.name)}:{broken_line}:1: colour: unknown key", rejected), rejected
        assert gateway.proc.poll() is None
    finally:
        for publisher in publishers:
            stop_process(publisher)


# --- the --profile flag and the config's profile key ------------------------------------------------

def one_rung_profile(name, rung, width, height):
    return f"""\
name: {name}
segment_seconds: 1
window_segments: 4
video:
  encoder: libx264
  preset: ultrafast
  renditions:
    - name: {rung}
      width: {width}
      height: {height}
      bitrate: 300k
      profile: baseline
audio:
  codec: aac
  bitrate: 96k
  channels: 2
  sample_rate: 48000
"""


def master_variants(gateway, name):
    """(URI, RESOLUTION) of each variant of `name`'s master playlist once it lists one."""
    def listed():
        status, body = http_fetch(gateway.http_url(f"/live/{name}/master.m3u8"))
        if status != 200:
            return None
        text = body.decode()
        variants = re.findall(r"#EXT-X-STREAM-INF:[^\n]*?RESOLUTION=(\d+x\d+)[^\n]*\n([^#\s]\S*)", text)
        return [(uri, resolution) for resolution, uri in variants] or None

    return wait_for(listed, 30, f"{name}/master.m3u8 listing a variant")


def test_profile_flag_overrides_the_config_profile_key(tmp_path, clip10):
    """`serve --config c.yaml --profile B.yaml` with `profile: A.yaml` in c.yaml publishes with B;
    a per-stream profile from the config's `streams:` still wins for its stream."""
    profiles = {"A": ("alpha", 426, 240), "B": ("bravo", 640, 360), "C": ("charlie", 320, 180)}
    paths = {}
    for key, (rung, width, height) in profiles.items():
        paths[key] = tmp_path / f"{key}.yaml"
        paths[key].write_text(one_rung_profile(f"profile-{key}", rung, width, height))
        code, output = validate(paths[key])
        assert code == 0 and [row[0] for row in ladder_rows(output)] == [rung], output
    config = tmp_path / "gateway.yaml"
    config.write_text(f"profile: {paths['A']}\nstreams:\n  special: {{ profile: {paths['C']} }}\n")
    gateway = Gateway(tmp_path, ["--config", str(config), "--profile", str(paths["B"])])
    publishers = []
    try:
        for name in ("plain", "special"):
            publishers.append(publish_ffmpeg(gateway.rtmp_url(name), clip10, loop=True))
        plain = master_variants(gateway, "plain")
        assert plain == [("bravo/index.m3u8", "640x360")], \
            f"stream 'plain' got {plain}; the --profile flag (B: bravo 640x360) must override the config's " \
            f"profile key (A: alpha 426x240)"
        special = master_variants(gateway, "special")
        assert special == [("charlie/index.m3u8", "320x180")], f"stream 'special' (streams: entry C) got {special}"
        status, _ = http_fetch(gateway.http_url("/live/plain/alpha/index.m3u8"))
        assert status == 404, f"A's rendition alpha served for 'plain' ({status})"
    finally:
        for publisher in publishers:
            stop_process(publisher)
        gateway.stop()
