"""ffprobe (FFmpeg 5.1) over HTTP URLs and recorded files."""

import json
import subprocess
from dataclasses import dataclass


@dataclass
class Probe:
    returncode: int
    streams: list
    stderr: str

    def video_sizes(self):
        return sorted({(s["width"], s["height"]) for s in self.streams if s.get("codec_type") == "video"},
                      reverse=True)

    def codecs(self, kind):
        return sorted({s.get("codec_name") for s in self.streams if s.get("codec_type") == kind})

    def first(self, kind):
        return next((s for s in self.streams if s.get("codec_type") == kind), None)


def probe(target, count_packets=False, timeout=30):
    """Stream list of `target` (URL or file); ffprobe is bounded by `timeout` seconds."""
    entries = "stream=index,codec_type,codec_name,width,height,nb_read_packets,avg_frame_rate"
    command = ["ffprobe", "-v", "error", "-show_entries", entries, "-of", "json"]
    if count_packets:
        command.append("-count_packets")
    command.append(str(target))
    try:
        done = subprocess.run(["timeout", "-k", "3", str(timeout), *command], capture_output=True, text=True,
                              timeout=timeout + 10)
    except subprocess.TimeoutExpired as error:
        return Probe(-1, [], f"timed out: {error}")
    try:
        streams = json.loads(done.stdout or "{}").get("streams", [])
    except json.JSONDecodeError:
        streams = []
    return Probe(done.returncode, streams, done.stderr[-2000:])


def probe_jpeg(data, tmp_path, name="thumb.jpg"):
    """ffprobe's codec_name, width and height of JPEG bytes (written to tmp_path/name)."""
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
                          "-of", "json", str(path)], capture_output=True, text=True, timeout=20)
    return json.loads(out.stdout)["streams"][0]
