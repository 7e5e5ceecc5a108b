"""Audio codecs at ingest (issue 20): an MP3 publisher (FLV SoundFormat 2) and an Opus one
(Enhanced RTMP `Opus`, sent by the scripted publisher: neither ffmpeg 5.1 nor GStreamer 1.22
publishes it) get AAC in every rendition, in sync with the video within one frame; a codec the
gateway does not ingest (Speex) is named in /api/streams and the log, once, and the stream goes
on without audio."""

import json
import re
import subprocess
import sys

from conftest import FFMPEG, REPO, Gateway, http_fetch, stop_process, wait_for

sys.path.insert(0, str(REPO / "scripts" / "lib"))
from rtmp_flv_publisher import Publisher, flv_tags, write_flv  # noqa: E402


def text(url):
    """The body of a 200, else "" (not there yet)."""
    status, body = http_fetch(url)
    return body.decode() if status == 200 else ""

# A white frame and a 1 kHz beep at the start of every second: their times in the output show
# the audio/video offset.
FLASH = ("color=c=black:s=640x360:r=30,drawbox=x=0:y=0:w=640:h=360:color=white:t=fill:"
         "enable='lt(mod(t\\,1)\\,0.033)'")
BEEP = "aevalsrc='if(lt(mod(t\\,1)\\,0.03)\\,0.8*sin(2*PI*1000*t)\\,0)':s={rate}"


def publish(url, audio_args, rate):
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i", FLASH,
         "-re", "-f", "lavfi", "-i", BEEP.format(rate=rate), "-c:v", "libx264", "-preset", "ultrafast",
         "-g", "30", *audio_args, "-f", "flv", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def flashes(path):
    out = subprocess.run(["ffmpeg", "-nostdin", "-i", str(path), "-map", "0:v:0", "-vf",
                          "signalstats,metadata=print:key=lavfi.signalstats.YAVG", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60).stderr
    times, last = [], None
    for line in out.splitlines():
        if m := re.search(r"pts_time:([\d.]+)", line):
            last = float(m.group(1))
        elif (m := re.search(r"YAVG=([\d.]+)", line)) and last is not None and float(m.group(1)) > 128:
            times.append(last)
    return times


def beeps(path):
    out = subprocess.run(["ffmpeg", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af",
                          "silencedetect=noise=-30dB:d=0.2", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60).stderr
    return [float(t) for t in re.findall(r"silence_end: ([\d.]+)", out)]


def assert_aac_in_sync(master, tmp_path, seconds=8):
    """Reads `seconds` of the master's first video and audio; both decode (H.264 + AAC) and each
    flash has its beep within one frame."""
    recorded = tmp_path / "out.mkv"
    done = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", master, "-map", "0:v:0",
                           "-map", "0:a:0", "-t", str(seconds), "-c", "copy", str(recorded)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                                       "-of", "json", str(recorded)], capture_output=True, text=True).stdout)
    assert sorted(s["codec_name"] for s in probe["streams"]) == ["aac", "h264"], probe
    video, audio = flashes(recorded), beeps(recorded)
    # silencedetect reports a beep's onset as the end of the silence before it: the first
    # beep of the recording (no silence before it) and the file's end are left unmatched.
    nearest = [min(audio, key=lambda a: abs(a - v)) - v for v in video if audio]
    offsets = [o for o in nearest if abs(o) < 0.5]
    print("flashes", video, "beeps", audio, "offsets", offsets)
    assert len(offsets) >= seconds - 3, (video, audio)
    assert max(abs(o) for o in offsets) <= 1 / 30 + 0.005, offsets


def ogg_packets(data):
    """The packets of an Ogg stream (RFC 3533 6: a page's segment table laces its packets)."""
    packets, current, offset = [], b"", 0
    while offset + 27 <= len(data):
        assert data[offset:offset + 4] == b"OggS", f"no Ogg page at {offset}"
        count = data[offset + 26]
        table = data[offset + 27:offset + 27 + count]
        offset += 27 + count
        for lace in table:
            current += data[offset:offset + lace]
            offset += lace
            if lace < 255:
                packets.append(current)
                current = b""
    return packets


def test_opus_over_enhanced_rtmp_becomes_aac_in_sync(tmp_path):
    seconds = 10
    video_flv, opus = tmp_path / "flash.flv", tmp_path / "beep.ogg"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", FLASH, "-t", str(seconds), "-c:v", "libx264", "-preset",
                    "ultrafast", "-g", "30", "-an", "-y", str(video_flv)], check=True, timeout=60)
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", BEEP.format(rate=48000), "-t", str(seconds), "-c:a", "libopus",
                    "-b:a", "96k", "-frame_duration", "20", "-f", "ogg", "-y", str(opus)], check=True, timeout=60)
    packets = ogg_packets(opus.read_bytes())
    head, frames = packets[0], packets[2:]  # OpusHead, OpusTags, then 20 ms audio packets
    assert head.startswith(b"OpusHead") and len(frames) >= seconds * 50 - 1, (head[:8], len(frames))
    # ExAudioTagHeader: SoundFormat 9 | AudioPacketType (0 SequenceStart, 1 CodedFrames), FourCC.
    audio = [(8, 0, bytes([0x90]) + b"Opus" + head)]
    audio += [(8, index * 20, bytes([0x91]) + b"Opus" + frame) for index, frame in enumerate(frames)]
    video = [tag for tag in flv_tags(video_flv) if tag[0] == 9]
    clip = tmp_path / "opus.flv"
    write_flv(clip, video + audio)

    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml"])
    publisher = Publisher(gw.rtmp_url("opus"), clip).start()
    try:
        assert publisher.published.wait(20), f"publish refused: {publisher.error}"
        master = gw.http_url("/live/opus/master.m3u8")
        wait_for(lambda: "mp4a.40.2" in text(master), 30, "a master with AAC audio")
        status = json.loads(text(gw.http_url("/api/streams/opus")))
        assert status["input"]["audio_codec"] == "opus", status["input"]
        assert status["audio"]["codec"] == "aac" and not status["audio"]["passthrough"], status["audio"]
        wait_for(lambda: text(gw.http_url("/live/opus/audio/index.m3u8")).count("#EXTINF") >= 3, 30, "3 s of audio")
        assert_aac_in_sync(master, tmp_path, seconds=5)
        assert publisher.wait(30), "the scripted publisher did not finish"
        assert publisher.error is None, publisher.error
        assert "dropping a malformed media message" not in gw.log()
    finally:
        publisher.stop()
        gw.stop()


def test_mp3_becomes_aac_in_sync(tmp_path):
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml"])
    publisher = publish(gw.rtmp_url("mp3"), ["-c:a", "libmp3lame", "-b:a", "128k"], 44100)
    try:
        master = gw.http_url("/live/mp3/master.m3u8")
        wait_for(lambda: "mp4a.40.2" in text(master), 30, "a master with AAC audio")
        status = json.loads(text(gw.http_url("/api/streams/mp3")))
        assert status["input"]["audio_codec"] == "mp3", status["input"]
        assert status["audio"]["codec"] == "aac" and not status["audio"]["passthrough"], status["audio"]
        # Every rendition's variant pairs its video with the AAC audio.
        variants = [line for line in text(master).splitlines() if line.startswith("#EXT-X-STREAM-INF")]
        assert variants and all('mp4a.40.2"' in v or "mp4a.40.2," in v for v in variants), variants

        assert_aac_in_sync(master, tmp_path)
    finally:
        stop_process(publisher)
        gw.stop()


def test_speex_is_named_refused_once_and_the_video_goes_on(tmp_path):
    gw = Gateway(tmp_path, ["--profile", "profiles/test-small.yaml"])
    publisher = publish(gw.rtmp_url("spx"), ["-c:a", "libspeex", "-ar", "16000"], 16000)
    try:
        wait_for(lambda: "#EXTINF" in text(gw.http_url("/live/spx/360p/index.m3u8")), 30,
                 "video segments")
        status = json.loads(text(gw.http_url("/api/streams/spx")))
        assert status["input"]["audio_codec"] == "speex (unsupported)", status["input"]
        assert status["ingest_errors"] == 0, "an unsupported codec is not a malformed message"
        assert status.get("audio") is None, f"no audio track, so no audio rendition: {status.get('audio')}"
        gw.wait_log(r"audio not ingested.*|audio_codec=speex.*audio not ingested", 5)
        assert len(re.findall(r"audio not ingested", gw.log_path.read_text())) == 1
        assert "mp4a" not in text(gw.http_url("/live/spx/master.m3u8"))
    finally:
        stop_process(publisher)
        gw.stop()
