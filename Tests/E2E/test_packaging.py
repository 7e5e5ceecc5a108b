"""CMAF/HLS/DASH packaging end to end: the offline `gateway transcode` output, a live publish
read while it happens, and a reconnect to the same stream name, checked with real players
(ffprobe/ffmpeg) and independent parsers (m3u8, mpegdash, pymp4, a raw ISO BMFF box walk)."""

import json
import math
import re
import subprocess
import sys
import time
from datetime import datetime
from fractions import Fraction
from urllib.parse import urljoin

import m3u8
import pytest
from mpegdash.parser import MPEGDASHParser

from clients.bmff import pymp4_boxes, pymp4_find
from conftest import (FFMPEG, GATEWAY_BIN, REPO, Gateway, http_fetch, make_clip, mp4_boxes, publish_ffmpeg,
                      stop_process, ticks, wait_for)

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher  # noqa: E402

PROFILE = REPO / "profiles/test-small.yaml"
SEGMENT_SECONDS = 1.0
FRAME_SECONDS = 1 / 30
AAC_FRAME_SECONDS = 1024 / 48000
RUNGS = {"360p": (640, 360), "240p": (426, 240)}


# --- ISO BMFF ---------------------------------------------------------------------------------

def esds_codec(esds_payload: bytes):
    """'mp4a.<objectTypeIndication hex>.<audioObjectType>' from an esds payload (ISO/IEC 14496-1 7.2.6)."""
    body = esds_payload[4:]  # version + flags
    object_type = audio_object_type = None
    pos = 0
    while pos < len(body):
        tag = body[pos]
        pos += 1
        length = 0
        for _ in range(4):
            byte = body[pos]
            pos += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        if tag == 0x03:  # ES_Descriptor: ES_ID(2) + flags(1), then nested descriptors
            flags = body[pos + 2]
            pos += 3 + (2 if flags & 0x80 else 0)
            continue
        if tag == 0x04:  # DecoderConfigDescriptor: 13 fixed bytes, then DecoderSpecificInfo
            object_type = body[pos]
            pos += 13
            continue
        if tag == 0x05:  # AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)
            audio_object_type = body[pos] >> 3
        pos += length
    assert object_type is not None and audio_object_type is not None, f"esds without config: {esds_payload.hex()}"
    return f"mp4a.{object_type:x}.{audio_object_type}"


def parse_init(data: bytes, where: str):
    """Checks a CMAF init segment and returns its track description."""
    top = pymp4_boxes(data)
    assert [b.type for b in top] == [b"ftyp", b"moov"], f"{where}: top-level boxes {[b.type for b in top]}"
    moov = top[1]
    trex = pymp4_find(moov, b"trex")
    assert pymp4_find(moov, b"mvex") is not None and trex is not None, f"{where}: moov without mvex/trex"
    mdhd = pymp4_find(moov, b"mdhd")
    hdlr = pymp4_find(moov, b"hdlr")
    tkhd = pymp4_find(moov, b"tkhd")
    assert trex.track_ID == tkhd.track_ID, f"{where}: trex track {trex.track_ID} != tkhd track {tkhd.track_ID}"
    raw = dict(mp4_boxes(data))
    stsd = "moov/trak/mdia/minf/stbl/stsd"
    info = {"timescale": mdhd.timescale, "handler": hdlr.handler_type, "track_id": tkhd.track_ID,
            "default_duration": trex.default_sample_duration}
    if hdlr.handler_type == b"vide":
        assert f"{stsd}/avc1/avcC" in raw, f"{where}: no avc1/avcC sample entry: {sorted(raw)}"
        entry = pymp4_find(moov, b"stsd").entries[0]
        avcc = entry.avc_data
        info.update(width=entry.width, height=entry.height,
                    codec=f"avc1.{avcc.profile:02x}{avcc.compatibility:02x}{avcc.level:02x}")
        assert avcc.sps and avcc.pps, f"{where}: avcC without SPS/PPS"
        btrt = raw.get(f"{stsd}/avc1/btrt")
        info["avg_bitrate"] = int.from_bytes(btrt[8:12], "big") if btrt else None
    else:
        assert hdlr.handler_type == b"soun", f"{where}: handler {hdlr.handler_type}"
        # pymp4 1.4 does not descend into mp4a, so the esds comes from the raw walk.
        assert f"{stsd}/mp4a/esds" in raw, f"{where}: no mp4a/esds sample entry: {sorted(raw)}"
        info["codec"] = esds_codec(raw[f"{stsd}/mp4a/esds"])
    return info


def parse_segment(data: bytes, init, where: str):
    """Checks a CMAF media segment (styp? moof mdat) and returns its timing."""
    top = pymp4_boxes(data)
    kinds = [b.type for b in top]
    assert kinds in ([b"styp", b"moof", b"mdat"], [b"moof", b"mdat"]), f"{where}: top-level boxes {kinds}"
    moof, mdat = top[-2], top[-1]
    tfhd, tfdt, trun = (pymp4_find(moof, k) for k in (b"tfhd", b"tfdt", b"trun"))
    assert tfhd is not None and tfdt is not None and trun is not None, f"{where}: traf lacks tfhd/tfdt/trun"
    assert tfhd.track_ID == init["track_id"], f"{where}: track {tfhd.track_ID}, init says {init['track_id']}"
    assert trun.sample_count > 0, f"{where}: empty trun"
    default = tfhd.default_sample_duration or init["default_duration"]
    durations = [s.sample_duration if s.sample_duration is not None else default for s in trun.sample_info]
    sizes = [s.sample_size for s in trun.sample_info]
    assert None not in sizes, f"{where}: trun without sample sizes"
    assert sum(sizes) == len(mdat.data), f"{where}: trun sizes {sum(sizes)} != mdat payload {len(mdat.data)}"
    if tfhd.flags.default_base_is_moof:
        moof_size = moof.end - moof.offset
        assert trun.data_offset == moof_size + 8, f"{where}: data_offset {trun.data_offset} does not hit the mdat"
    first_cto = trun.sample_info[0].sample_composition_time_offsets or 0
    return {"tfdt": tfdt.baseMediaDecodeTime, "first_pts": tfdt.baseMediaDecodeTime + first_cto,
            "duration": sum(durations), "samples": trun.sample_count, "bytes": len(data),
            "sequence": pymp4_find(moof, b"mfhd").sequence_number}


# --- players -----------------------------------------------------------------------------------

def brief(stderr, lines=6):
    """The first lines of a tool's error output and how many there were."""
    all_lines = stderr.strip().splitlines()
    return "\n".join(all_lines[:lines]) + (f"\n... ({len(all_lines)} lines)" if len(all_lines) > lines else "")


def ffprobe_streams(url, extra=()):
    """Stream entries (deduplicated across HLS programs) with decoded frame counts."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", *extra, "-count_frames", "-show_entries",
         "stream=index,codec_type,width,height,nb_read_frames", "-of", "json", str(url)],
        capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or out.stderr.strip():
        pytest.fail(f"ffprobe {url} (exit {out.returncode}):\n{brief(out.stderr)}")
    return list({s["index"]: s for s in json.loads(out.stdout)["streams"]}.values())


def ffmpeg_decode_all(url):
    out = subprocess.run([*FFMPEG, "-i", str(url), "-map", "0", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or out.stderr.strip():
        pytest.fail(f"ffmpeg decode of {url} (exit {out.returncode}):\n{brief(out.stderr)}")


def source_packets(clip):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets",
         "-of", "json", str(clip)], check=True, capture_output=True, text=True, timeout=60).stdout
    return {s["codec_type"]: int(s["nb_read_packets"]) for s in json.loads(out)["streams"]}


def video_frames(streams):
    return sorted(int(s["nb_read_frames"]) for s in streams if s["codec_type"] == "video")


# --- manifests ---------------------------------------------------------------------------------

def dash_timeline(template):
    """(number, t, d) of every segment a SegmentTimeline lists (ISO/IEC 23009-1 5.3.9.6)."""
    entries = []
    number = template.start_number if template.start_number is not None else 1
    t = 0
    for s in template.segment_timelines[0].Ss:
        t = s.t if s.t is not None else t
        for _ in range((s.r or 0) + 1):
            entries.append((number, t, s.d))
            number += 1
            t += s.d
    return entries


def iso_duration(text):
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    assert match, f"unsupported duration {text}"
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def iso_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def segment_number(uri):
    match = re.fullmatch(r"seg-(\d+)\.m4s", uri.rsplit("/", 1)[-1])
    assert match, f"unexpected segment URI {uri}"
    return int(match.group(1))


def check_master(master, inits):
    """RFC 8216 4.3.4.1/4.3.4.2 attributes of every variant against the init segments behind it."""
    assert master.is_variant and master.version == 7
    assert [m.group_id for m in master.media] == ["audio"] and master.media[0].type == "AUDIO"
    assert master.media[0].uri == "audio/index.m3u8"
    bandwidths = [v.stream_info.bandwidth for v in master.playlists]
    assert bandwidths == sorted(bandwidths, reverse=True), f"variants not ordered by bandwidth: {bandwidths}"
    for variant in master.playlists:
        name = variant.uri.split("/")[0]
        info = variant.stream_info
        video = inits[name]
        assert info.bandwidth > 0 and 0 < info.average_bandwidth <= info.bandwidth, (name, info)
        codecs = info.codecs.split(",")
        assert codecs == [video["codec"], inits["audio"]["codec"]] and "mp4a.40.2" in codecs, (name, codecs)
        assert codecs[0].startswith("avc1."), codecs
        assert info.resolution == (video["width"], video["height"]), (name, info.resolution)
        assert abs(info.frame_rate - 30) < 0.01, (name, info.frame_rate)
        assert info.audio == "audio"


def check_media_playlist(playlist, segments, timescale, ended=True):
    """EXTINF, TARGETDURATION and the EXT-X-MAP of one media playlist against the fetched segments."""
    assert playlist.version == 7 and not playlist.is_variant
    assert playlist.segments, "empty media playlist"
    for segment, info in zip(playlist.segments, segments):
        assert segment.init_section is not None and segment.init_section.uri, "segment without EXT-X-MAP"
        assert abs(segment.duration - info["duration"] / timescale) < 0.0015, \
            f"{segment.uri}: EXTINF {segment.duration} vs samples {info['duration'] / timescale}"
        # RFC 8216 4.3.3.1: every EXTINF rounded to an integer is <= TARGETDURATION.
        assert round(segment.duration) <= playlist.target_duration, (segment.uri, playlist.target_duration)
    numbers = [segment_number(s.uri) for s in playlist.segments]
    assert numbers == list(range(playlist.media_sequence, playlist.media_sequence + len(numbers))), numbers
    if ended:
        assert playlist.is_endlist


def check_durations_and_alignment(timings, inits):
    """Every video segment but the last lasts segment_seconds within a frame, segment N starts at
    the same PTS in every rung, tracks have no gaps, and audio boundaries follow video's."""
    rungs = [name for name in timings if name != "audio"]
    count = len(timings[rungs[0]])
    for name, track in timings.items():
        assert len(track) == count, f"{name} has {len(track)} segments, {rungs[0]} has {count}"
        for before, after in zip(track, track[1:]):
            assert after["tfdt"] == before["tfdt"] + before["duration"], f"{name}: gap/overlap {before} -> {after}"
    for name in rungs:
        scale = inits[name]["timescale"]
        for index, seg in enumerate(timings[name][:-1]):
            seconds = seg["duration"] / scale
            assert abs(seconds - SEGMENT_SECONDS) <= FRAME_SECONDS + 1e-6, f"{name} segment {index + 1}: {seconds}s"
    for index in range(count):
        starts = {name: Fraction(timings[name][index]["first_pts"], inits[name]["timescale"]) for name in rungs}
        assert len(set(starts.values())) == 1, f"segment {index + 1} starts differ across rungs: {starts}"
        video_start = timings[rungs[0]][index]["tfdt"] / inits[rungs[0]]["timescale"]
        audio_start = timings["audio"][index]["tfdt"] / inits["audio"]["timescale"]
        assert abs(audio_start - video_start) <= AAC_FRAME_SECONDS + 1e-6, \
            f"segment {index + 1}: audio starts at {audio_start}, video at {video_start}"


def check_static_mpd(mpd, inits, timings, first_number):
    assert mpd.type == "static"
    total = sum(s["duration"] for s in timings["360p"]) / inits["360p"]["timescale"]
    assert abs(iso_duration(mpd.media_presentation_duration) - total) < 0.002
    seen = set()
    for adaptation in mpd.periods[0].adaptation_sets:
        for rep in adaptation.representations:
            seen.add(rep.id)
            info = inits[rep.id]
            assert rep.codecs == info["codec"] and rep.bandwidth > 0, (rep.id, rep.codecs, rep.bandwidth)
            if adaptation.content_type == "video":
                assert (rep.width, rep.height) == (info["width"], info["height"]), rep.id
            template = rep.segment_templates[0] if rep.segment_templates else adaptation.segment_templates[0]
            assert template.timescale == info["timescale"], rep.id
            listed = dash_timeline(template)
            actual = [(first_number + i, s["tfdt"], s["duration"]) for i, s in enumerate(timings[rep.id])]
            assert listed == actual, f"{rep.id}: SegmentTimeline {listed} != segments {actual}"
    assert seen == set(inits), f"MPD representations {seen}"


# --- 1. offline transcode ------------------------------------------------------------------------

def test_offline_transcode_output_is_valid_vod(tmp_path):
    clip = make_clip(tmp_path / "clip6.flv", seconds=6, gop=45)  # GOP off the 1 s grid on purpose
    packets = source_packets(clip)
    out_dir = tmp_path / "vod"
    run = subprocess.run([GATEWAY_BIN, "transcode", str(clip), "--profile", str(PROFILE), "--output",
                          str(out_dir), "--quiet"], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert run.returncode == 0, run.stdout + run.stderr

    names = [*RUNGS, "audio"]
    # Real players: silent at warning level, and every frame decodes.
    for path in ["master.m3u8", *(f"{n}/index.m3u8" for n in names), "manifest.mpd"]:
        probe = subprocess.run(["ffprobe", "-v", "warning", str(out_dir / path)], capture_output=True,
                               text=True, timeout=60)
        assert probe.returncode == 0 and probe.stderr == "", f"ffprobe {path}:\n{probe.stderr}"
    ffmpeg_decode_all(out_dir / "master.m3u8")
    streams = ffprobe_streams(out_dir / "master.m3u8")
    sizes = sorted((s["width"], s["height"]) for s in streams if s["codec_type"] == "video")
    assert sizes == sorted(RUNGS.values())
    assert video_frames(streams) == [packets["video"]] * len(RUNGS), (streams, packets)
    audio_frames = [int(s["nb_read_frames"]) for s in streams if s["codec_type"] == "audio"]
    assert len(audio_frames) == 1 and abs(audio_frames[0] - packets["audio"]) <= 2, (audio_frames, packets)

    # Independent parsers.
    inits, timings, playlists = {}, {}, {}
    for name in names:
        playlists[name] = m3u8.load(str(out_dir / name / "index.m3u8"))
        playlist = playlists[name]
        assert playlist.playlist_type == "vod" and playlist.is_endlist and playlist.media_sequence == 1
        maps = {s.init_section.uri for s in playlist.segments}
        assert len(maps) == 1, maps
        inits[name] = parse_init((out_dir / name / maps.pop()).read_bytes(), f"{name} init")
        timings[name] = [parse_segment((out_dir / name / s.uri).read_bytes(), inits[name], f"{name}/{s.uri}")
                         for s in playlist.segments]
        check_media_playlist(playlist, timings[name], inits[name]["timescale"])
    for name, size in RUNGS.items():
        assert (inits[name]["width"], inits[name]["height"]) == size
        assert sum(s["samples"] for s in timings[name]) == packets["video"]
    assert inits["audio"]["codec"] == "mp4a.40.2"
    assert len(timings["360p"]) == math.ceil(packets["video"] * FRAME_SECONDS / SEGMENT_SECONDS)

    master = m3u8.load(str(out_dir / "master.m3u8"))
    check_master(master, inits)
    assert [v.uri for v in master.playlists] == [f"{n}/index.m3u8" for n in RUNGS]
    check_durations_and_alignment(timings, inits)
    check_static_mpd(MPEGDASHParser.parse((out_dir / "manifest.mpd").read_text()), inits, timings, 1)


# --- 2. live ----------------------------------------------------------------------------------------

class LiveReader:
    """Polls a live stream's manifests and fetches everything they list at once, counting failures."""

    def __init__(self, gateway, name):
        self.gateway = gateway
        self.base = gateway.http_url(f"/live/{name}/")
        self.failures = []  # (url, status, why)
        self.fetched = 0
        self.inits = {}  # (rendition, uri) -> parsed init
        self.segments = {}  # (rendition, number) -> parsed segment
        self.dash_numbers = set()

    def get(self, url, why):
        status, body = http_fetch(url)
        self.fetched += 1
        if status != 200:
            self.failures.append((url, status, why))
            return None
        return body

    def media_playlist(self, name):
        url = urljoin(self.base, f"{name}/index.m3u8")
        body = self.get(url, "media playlist")
        if body is None:
            return None
        playlist = m3u8.loads(body.decode(), uri=url)
        for segment in playlist.segments:
            init_uri = segment.init_section.uri
            init_data = self.get(urljoin(url, init_uri), f"EXT-X-MAP of {name}")
            if init_data is not None and (name, init_uri) not in self.inits:
                self.inits[(name, init_uri)] = parse_init(init_data, f"{name}/{init_uri}")
            data = self.get(urljoin(url, segment.uri), f"listed in {name}/index.m3u8")
            key = (name, segment_number(segment.uri))
            if data is not None and (name, init_uri) in self.inits and key not in self.segments:
                self.segments[key] = parse_segment(
                    data, self.inits[(name, init_uri)], f"{name}/{segment.uri}")
        return playlist

    def dynamic_mpd_window(self, mpd):
        """Fetches every segment the dynamic MPD says is available now (ISO/IEC 23009-1 5.3.9.5.3)."""
        now = time.time()
        start = iso_time(mpd.availability_start_time)
        depth = iso_duration(mpd.time_shift_buffer_depth)
        period = mpd.periods[-1]
        period_start = iso_duration(period.start)
        for adaptation in period.adaptation_sets:
            for rep in adaptation.representations:
                template = rep.segment_templates[0] if rep.segment_templates else adaptation.segment_templates[0]
                first = template.start_number if template.start_number is not None else 1
                init_url = urljoin(self.base, template.initialization.replace("$RepresentationID$", rep.id))
                if template.segment_timelines:
                    ends = [(n, (t + d - (template.presentation_time_offset or 0)) / template.timescale)
                            for n, t, d in dash_timeline(template)]
                else:
                    seconds = template.duration / template.timescale
                    newest = first + math.floor((now - start - period_start) / seconds) - 1
                    ends = [(n, (n - first + 1) * seconds) for n in range(first, newest + 1)]
                available = [n for n, end in ends if now - depth <= start + period_start + end <= now]
                if available:
                    self.get(init_url, f"MPD initialization of {rep.id}")
                for number in available:
                    media = template.media.replace("$RepresentationID$", rep.id).replace("$Number$", str(number))
                    self.get(urljoin(self.base, media), f"MPD $Number$ {number} of {rep.id} at {now:.3f}")
                    self.dash_numbers.add((rep.id, number))


def start_probe(url):
    return subprocess.Popen(["ffprobe", "-v", "error", url], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def test_live_stream_is_playable_while_live_and_after_end(gateway, clip10):
    packets = source_packets(clip10)
    names = [*RUNGS, "audio"]
    reader = LiveReader(gateway, "pkglive")
    publisher = publish_ffmpeg(gateway.rtmp_url("pkglive"), clip10)
    probes = None
    live_polls = 0
    try:
        wait_for(lambda: http_fetch(reader.base + "master.m3u8")[0] == 200, 20, "the live master playlist")
        for _ in ticks(0.3, 120):  # one round of fetches per tick while the publisher runs
            if publisher.poll() is not None:
                break
            master_body = reader.get(reader.base + "master.m3u8", "master")
            playlists = {n: reader.media_playlist(n) for n in names}
            mpd_body = reader.get(reader.base + "manifest.mpd", "MPD")
            if master_body is None or mpd_body is None or None in playlists.values():
                continue  # counted in reader.failures
            master = m3u8.loads(master_body.decode())
            assert [v.uri for v in master.playlists] == [f"{n}/index.m3u8" for n in RUNGS]
            mpd = MPEGDASHParser.parse(mpd_body.decode())
            if publisher.poll() is None:  # still live after every fetch of this round
                live_polls += 1
                assert mpd.type == "dynamic" and mpd.availability_start_time, "MPD not dynamic while live"
                reader.dynamic_mpd_window(mpd)
                for name, playlist in playlists.items():
                    assert not playlist.is_endlist, f"{name} has ENDLIST while live"
                    assert all(s.program_date_time for s in playlist.segments), f"{name}: no PROGRAM-DATE-TIME"
                    assert playlist.target_duration >= 1
                if probes is None and len(playlists["360p"].segments) >= 3:
                    # Real players on the live stream, in parallel with the polling.
                    probes = {url: start_probe(url) for url in
                              [reader.base + p for p in ["master.m3u8", "manifest.mpd",
                                                         *(f"{n}/index.m3u8" for n in names)]]}
        assert publisher.wait(10) == 0, publisher.stderr.read().decode()
    finally:
        stop_process(publisher)
        for probe in (probes or {}).values():
            stop_process(probe, timeout=5)
    assert live_polls >= 5, f"only {live_polls} polls while live"
    assert probes is not None, "never saw 3 live segments"
    for url, probe in probes.items():
        assert probe.returncode == 0 and probe.stderr.read() == "", f"ffprobe on live {url}"
    assert reader.dash_numbers, "the dynamic MPD never announced an available segment"
    assert not reader.failures, f"{len(reader.failures)} of {reader.fetched} requests failed: {reader.failures[:10]}"

    # The end: ENDLIST everywhere, a static MPD, and the last window decodes completely.
    def ended():
        found = {n: m3u8.loads(http_fetch(urljoin(reader.base, f"{n}/index.m3u8"))[1].decode()) for n in names}
        return found if all(p.is_endlist for p in found.values()) else None

    final = wait_for(ended, 20, "EXT-X-ENDLIST in every media playlist")
    for name in names:
        reader.media_playlist(name)
    mpd = MPEGDASHParser.parse(http_fetch(reader.base + "manifest.mpd")[1].decode())
    assert mpd.type == "static"
    assert not reader.failures, reader.failures

    for name in RUNGS:
        # Every source frame went into some segment, and the segments were numbered from 1 on.
        numbers = sorted(n for r, n in reader.segments if r == name)
        assert numbers == list(range(1, numbers[-1] + 1)), f"{name}: segments seen {numbers}"
        assert sum(reader.segments[(name, n)]["samples"] for n in numbers) == packets["video"]
    timings = {n: [reader.segments[(n, segment_number(s.uri))] for s in final[n].segments] for n in names}
    inits = {n: reader.inits[(n, final[n].segments[0].init_section.uri)] for n in names}
    for name in names:
        check_media_playlist(final[name], timings[name], inits[name]["timescale"])
    check_master(m3u8.loads(http_fetch(reader.base + "master.m3u8")[1].decode()), inits)
    check_durations_and_alignment(timings, inits)
    check_static_mpd(mpd, inits, timings, final["360p"].media_sequence)

    ffmpeg_decode_all(reader.base + "master.m3u8")
    listed_frames = sorted(sum(s["samples"] for s in timings[n]) for n in RUNGS)
    assert video_frames(ffprobe_streams(reader.base + "master.m3u8")) == listed_frames


# --- 3. reconnect -----------------------------------------------------------------------------------

RECONNECT_CASES = {"same-size": "640x360", "smaller": "320x180"}


@pytest.fixture(scope="module", params=sorted(RECONNECT_CASES))
def reconnected(request, tmp_path_factory):
    """Two publishes to one name (the second of `RECONNECT_CASES[param]` size), a profile with a
    live window long enough to list both, and every listed segment parsed. The first publisher
    vanishes after its clip (the scripted publisher cuts its connection, no deleteStream) and the
    second comes back within `reconnect_grace_seconds`, with `slate: off` so that only the two
    clips' frames are listed; the second ends cleanly (ENDLIST)."""
    work = tmp_path_factory.mktemp(f"reconnect-{request.param}")
    profile = work / "window.yaml"
    profile.write_text(re.sub(r"(?m)^window_segments: \d+$", "window_segments: 20", PROFILE.read_text()))
    clips = [make_clip(work / "a.flv", seconds=3, gop=45),
             make_clip(work / "b.flv", seconds=3, size=RECONNECT_CASES[request.param], gop=45)]
    config = work / "gateway.yaml"
    config.write_text("reconnect_grace_seconds: 60\nslate: off\n")
    gateway = Gateway(work, ["--profile", str(profile), "--config", str(config)])
    base = gateway.http_url("/live/again/")
    try:
        parts = []
        for position, clip in enumerate(clips):
            if position == 0:
                first = Publisher(gateway.rtmp_url("again"), clip, vanish=True).start()
                assert first.wait(30) and first.error is None, first.error
            else:
                publisher = publish_ffmpeg(gateway.rtmp_url("again"), clip)
                try:
                    assert publisher.wait(30) == 0, publisher.stderr.read().decode()
                finally:
                    stop_process(publisher)
            expected = sum(len(p) for p in parts) + math.ceil(3 / SEGMENT_SECONDS)
            last = position == len(clips) - 1

            def listed(expected=expected, last=last):
                status, body = http_fetch(base + "240p/index.m3u8")
                playlist = m3u8.loads(body.decode()) if status == 200 else None
                done = playlist and len(playlist.segments) >= expected and playlist.is_endlist == last
                return playlist if done else None

            what = "ENDLIST after the second publish" if last else "the first publish's segments, live"
            playlist = wait_for(listed, 20, what)
            parts.append([s.uri for s in playlist.segments][sum(len(p) for p in parts):])
        yield {"gateway": gateway, "base": base, "parts": parts, "clips": clips, "case": request.param}
    finally:
        gateway.stop()


def fetch_track(base, name):
    """A media playlist with every init and segment it lists, parsed."""
    status, body = http_fetch(base + f"{name}/index.m3u8")
    assert status == 200, f"{name}/index.m3u8: {status}"
    playlist = m3u8.loads(body.decode())
    inits, segments = {}, []
    for segment in playlist.segments:
        init_uri = segment.init_section.uri
        if init_uri not in inits:
            status, data = http_fetch(base + f"{name}/{init_uri}")
            assert status == 200, f"{name}/{init_uri}: {status}"
            inits[init_uri] = parse_init(data, f"{name}/{init_uri}")
        status, data = http_fetch(base + f"{name}/{segment.uri}")
        assert status == 200, f"{name}/{segment.uri}: {status}"
        segments.append(parse_segment(data, inits[init_uri], f"{name}/{segment.uri}"))
    return playlist, inits, segments


def test_reconnect_continues_playlists_with_discontinuity(reconnected):
    base, parts, clips = reconnected["base"], reconnected["parts"], reconnected["clips"]
    second_size = tuple(int(x) for x in RECONNECT_CASES[reconnected["case"]].split("x"))
    frames = [source_packets(c)["video"] for c in clips]
    split = len(parts[0])
    assert len(parts[1]) >= 3, parts

    status, body = http_fetch(base + "master.m3u8")
    master = m3u8.loads(body.decode())
    second_rungs = [n for n, size in RUNGS.items() if size[1] <= second_size[1]] or ["240p"]
    assert [v.uri for v in master.playlists] == [f"{n}/index.m3u8" for n in second_rungs]

    for name in [*second_rungs, "audio"]:
        playlist, inits, segments = fetch_track(base, name)
        assert playlist.is_endlist and playlist.media_sequence == 1
        # RFC 8216 4.3.2.3 / 4.3.3.3: one discontinuity, before the first segment of the second
        # publish; none has left the window, so the discontinuity sequence is still 0.
        marks = [i for i, s in enumerate(playlist.segments) if s.discontinuity]
        assert marks == [split], f"{name}: discontinuities at {marks}, second publish starts at {split}"
        assert playlist.discontinuity_sequence == 0
        numbers = [segment_number(s.uri) for s in playlist.segments]
        assert numbers == list(range(1, len(numbers) + 1)), numbers
        # One timeline: the decode times never go backwards, not even across the discontinuity.
        timescale = next(iter(inits.values()))["timescale"]
        for index, (before, after) in enumerate(zip(segments, segments[1:])):
            assert after["tfdt"] >= before["tfdt"] + before["duration"], \
                f"{name}: segment {index + 2} starts at {after['tfdt']}, before the end of segment {index + 1}"
        for segment, info in zip(playlist.segments, segments):
            assert abs(segment.duration - info["duration"] / timescale) < 0.0015, segment.uri
        if name in RUNGS:
            maps = [s.init_section.uri for s in playlist.segments]
            first_init, second_init = inits[maps[0]], inits[maps[split]]
            assert (first_init["width"], first_init["height"]) == RUNGS[name]
            expected = RUNGS[name] if second_size[1] >= RUNGS[name][1] else second_size
            assert (second_init["width"], second_init["height"]) == expected
            if expected != RUNGS[name]:
                assert maps[split] != maps[0], f"{name}: a new picture size must come with a new EXT-X-MAP"
            assert sum(s["samples"] for s in segments[:split]) == frames[0], (name, frames)
            assert sum(s["samples"] for s in segments[split:]) == frames[1], (name, frames)
            streams = ffprobe_streams(base + f"{name}/index.m3u8")
            assert video_frames(streams) == [sum(frames)], f"{name}: decoded {streams}, published {frames}"


def test_reconnect_dash_periods_describe_their_own_segments(reconnected):
    """After a reconnect the MPD has one Period per publish (ISO/IEC 23009-1 5.3.2); each Period's
    Representations must describe that Period's segments, and Period starts follow the timeline."""
    base, parts = reconnected["base"], reconnected["parts"]
    status, body = http_fetch(base + "manifest.mpd")
    mpd = MPEGDASHParser.parse(body.decode())
    assert mpd.type == "static"
    assert len(mpd.periods) == 2, [p.id for p in mpd.periods]
    first_video_start = None
    for period, part in zip(mpd.periods, parts):
        for adaptation in period.adaptation_sets:
            for rep in adaptation.representations:
                template = rep.segment_templates[0]
                listed = dash_timeline(template)
                assert [n for n, _, _ in listed] == [segment_number(u) for u in part], (period.id, rep.id)
                status, data = http_fetch(base + template.initialization.replace("$RepresentationID$", rep.id))
                assert status == 200
                init = parse_init(data, f"{period.id}/{rep.id} init")
                assert rep.codecs == init["codec"], f"Period {period.id} {rep.id}: codecs {rep.codecs} vs init {init}"
                if adaptation.content_type != "video":
                    continue
                assert (rep.width, rep.height) == (init["width"], init["height"]), \
                    f"Period {period.id} {rep.id}: says {rep.width}x{rep.height}, its init is " \
                    f"{init['width']}x{init['height']}"
                first = listed[0][1]
                status, data = http_fetch(base + template.media.replace("$RepresentationID$", rep.id)
                                          .replace("$Number$", str(listed[0][0])))
                assert parse_segment(data, init, rep.id)["tfdt"] == first
                if first_video_start is None:
                    first_video_start = first
                offset = (first - first_video_start) / template.timescale
                assert abs(iso_duration(period.start) - offset) < 0.002, \
                    f"Period {period.id} starts at {period.start}, its first segment at +{offset:.3f}s"
