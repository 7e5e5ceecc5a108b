"""Media helpers for the demo and the benchmark: a generated test clip and ffprobe over HTTP."""

import json
import subprocess
from pathlib import Path

FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]


def make_clip(path, seconds=10, size="640x360", rate=30, gop=60):
    """An H.264/AAC FLV test clip (moving pattern and a tone), keyframes every `gop` frames."""
    path = Path(path)
    if not path.exists():
        subprocess.run([*FFMPEG, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
                        "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop), "-keyint_min", str(gop),
                        "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "800k", "-c:a", "aac", "-b:a", "96k",
                        "-ar", "48000", "-ac", "2", "-y", str(path)], check=True, timeout=120)
    return path


def ffprobe(url, timeout=30):
    """(exit code, [(codec_type, codec_name, width, height)]) of an HTTP URL."""
    command = ["timeout", "-k", "3", str(timeout), "ffprobe", "-v", "error", "-show_entries",
               "stream=codec_type,codec_name,width,height", "-of", "json", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10)
    try:
        streams = json.loads(done.stdout or "{}").get("streams", [])
    except json.JSONDecodeError:
        streams = []
    return done.returncode, [(s.get("codec_type"), s.get("codec_name"), s.get("width"), s.get("height"))
                             for s in streams]
