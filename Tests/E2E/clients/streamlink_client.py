"""streamlink 8 as a live HLS client.

`streamlink --stream-url` refuses a master playlist whose variants use a separate audio
rendition (EXT-X-MEDIA TYPE=AUDIO), so variant URLs come from the Python API: each stream is
then a muxed stream whose substreams are the video and the audio media playlists.
"""

import subprocess
import sys
from pathlib import Path

from streamlink import Streamlink

# The `streamlink` console script of the Python that runs the tests (the venv's).
STREAMLINK = str(Path(sys.executable).with_name("streamlink"))


def stream_urls(master_url):
    """{stream name: [substream URLs]}, e.g. {"best": [".../360p/index.m3u8", ".../audio/index.m3u8"]}."""
    session = Streamlink()
    streams = session.streams(f"hls://{master_url}")
    urls = {}
    for name, stream in streams.items():
        substreams = getattr(stream, "substreams", None)
        urls[name] = [s.url for s in substreams] if substreams else [stream.url]
    return urls


def record(master_url, stream, seconds, out_path, timeout=60):
    """Record `seconds` of `stream` to `out_path`; returns (exit code, combined output)."""
    command = [STREAMLINK, "--loglevel", "warning", "--stream-segmented-duration", str(seconds),
               "--stream-timeout", "20", "-f", "-o", str(out_path), f"hls://{master_url}", stream]
    # ffmpeg (on PATH) muxes the video and audio substreams.
    done = subprocess.run(["timeout", "-k", "5", str(timeout), *command], capture_output=True, text=True,
                          timeout=timeout + 15)
    return done.returncode, (done.stdout + done.stderr)[-2000:]
