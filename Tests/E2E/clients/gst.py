"""GStreamer 1.22 as a live player: decode to fakesink on the real-time clock and count the
frames fpsdisplaysink rendered.

HLS goes through playbin3 (hlsdemux2); legacy playbin/hlsdemux renders nothing from live fMP4.
DASH goes through an explicit `souphttpsrc ! dashdemux` pipeline: playbin(3) typefinds an MPD
fetched over HTTP as application/xml, and dashdemux2 refuses explicit pipelines.
gst-launch runs WITHOUT -e and is stopped by SIGINT from `timeout`: with -e it would wait for an
EOS that a live adaptive demuxer never sends.
"""

import re
import subprocess
from dataclasses import dataclass, field

VIDEO_SINK = "fpsdisplaysink video-sink=fakesink text-overlay=false sync=true"


@dataclass
class GstRun:
    command: list
    returncode: int
    rendered: int = 0
    dropped: int = 0
    sizes: list = field(default_factory=list)  # negotiated raw video sizes, in order
    errors: list = field(default_factory=list)
    log_tail: str = ""

    def summary(self):
        return (f"rc={self.returncode} rendered={self.rendered} dropped={self.dropped} "
                f"sizes={sorted(set(self.sizes))} errors={self.errors} log tail:\n{self.log_tail}")


def hls_pipeline(url):
    return ["playbin3", f"uri={url}", f"video-sink={VIDEO_SINK}", "audio-sink=fakesink sync=true"]


def dash_pipeline(url):
    return ["souphttpsrc", f"location={url}", "!", "dashdemux", "name=d",
            "d.video_00", "!", "queue", "!", "decodebin", "!", "videoconvert", "!", *VIDEO_SINK.split(),
            "d.audio_00", "!", "queue", "!", "decodebin", "!", "audioconvert", "!", "fakesink", "sync=true"]


def run(pipeline, seconds, log_path):
    command = ["timeout", "-k", "3", "-s", "INT", str(seconds), "gst-launch-1.0", "-v", *pipeline]
    with open(log_path, "w") as log:
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 15).returncode
    text = open(log_path, errors="replace").read()
    result = GstRun(command, returncode, log_tail=text[-1500:])
    counts = re.findall(r"rendered: (\d+), dropped: (\d+)", text)
    if counts:
        result.rendered, result.dropped = int(counts[-1][0]), int(counts[-1][1])
    caps = re.findall(r"video/x-raw[^\"\n]*?width=\(int\)(\d+), height=\(int\)(\d+)", text)
    result.sizes = [f"{w}x{h}" for w, h in caps]
    result.errors = [line.strip()[:300] for line in text.splitlines() if line.startswith("ERROR")][:5]
    return result


def play_hls(url, seconds, log_path):
    return run(hls_pipeline(url), seconds, log_path)


def play_dash(url, seconds, log_path):
    return run(dash_pipeline(url), seconds, log_path)


def play_static_dash(url, seconds, log_path):
    """A static (VOD) MPD through playbin3, which follows it from Period to Period (the explicit
    dashdemux pipeline above links only the first Period's pads)."""
    return run(hls_pipeline(url), seconds, log_path)
