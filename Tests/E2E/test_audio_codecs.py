"""Audio codecs at ingest (issue 20): an MP3 publisher (FLV SoundFormat 2) gets AAC in every
rendition, in sync with the video within one frame; a codec the gateway does not ingest (Speex)
is named in /api/streams and the log, once, and the stream goes on without audio."""

import json
import re
import subprocess

from conftest import Gateway, http_fetch, stop_process, wait_for


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

        recorded = tmp_path / "out.mkv"
        done = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", master, "-map", "0:v:0",
                               "-map", "0:a:0", "-t", "8", "-c", "copy", str(recorded)],
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
        assert len(offsets) >= 5, (video, audio)
        assert max(abs(o) for o in offsets) <= 1 / 30 + 0.005, offsets
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
        gw.wait_log(r"audio not ingested.*|audio_codec=speex.*audio not ingested", 5)
        assert len(re.findall(r"audio not ingested", gw.log_path.read_text())) == 1
        assert "mp4a" not in text(gw.http_url("/live/spx/master.m3u8"))
    finally:
        stop_process(publisher)
        gw.stop()
