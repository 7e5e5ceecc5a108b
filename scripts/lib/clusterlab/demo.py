"""The cluster demo (scripts/cluster-demo.sh): one etcd, three gateway nodes, two nginx edges;
a publisher on gw-a; playback through both edges; then gw-a is killed, the publisher reconnects
to gw-b and the same edge URL plays on, its media sequence never going down."""

import json
import signal
import time

from .lab import Lab, cluster_support, wait_for
from .media import ffprobe, make_clip
from .web import fetch_media

STREAM, KEY = "demo", "demo-secret"


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def show_cluster(lab):
    if not lab.cluster:
        return
    for node in lab.nodes:
        if lab.procs[node].alive():
            say(f"GET {lab.node_url(node, '/api/cluster')}\n    {json.dumps(lab.api_cluster(node))}")


def probe_edges(lab):
    for edge in lab.edges:
        url = lab.edge_url(edge, f"/live/{STREAM}/master.m3u8")
        say(f"ffprobe -v error -show_entries stream=codec_type,codec_name,width,height -of json {url}")
        code, streams = ffprobe(url)
        say(f"    exit {code}: {streams}")
        if code != 0 or not streams:
            raise RuntimeError(f"{url} does not play")


def failover(lab, clip):
    media = lab.edge_url("edge-1", f"/live/{STREAM}/360p/index.m3u8")
    before = fetch_media(media)
    old = set(before.segments)
    say(f"edge-1 media playlist: EXT-X-MEDIA-SEQUENCE {before.media_sequence}, last segment {before.segments[-1]}, "
        f"{before.discontinuities_total} discontinuities so far")
    say(f"kill -9 {lab.procs['gw-a'].pid}   (gw-a, the stream's owner)")
    killed = time.monotonic()
    lab.kill_node("gw-a")
    lab.procs["publisher"].stop(5)
    say(f"publisher reconnects to gw-b: {' '.join(lab.publish('gw-b', STREAM, clip, key=KEY, label='publisher').argv)}")
    samples = []

    def resumed():
        playlist = fetch_media(media, timeout=3)
        if playlist:
            samples.append(playlist.media_sequence)
        return playlist if playlist and set(playlist.segments) - old else None

    after = wait_for(resumed, 30, "a new segment through edge-1", interval=0.2)
    say(f"first new segment through the same edge URL {time.monotonic() - killed:.1f}s after the kill: "
        f"EXT-X-MEDIA-SEQUENCE {after.media_sequence}, last segment {after.segments[-1]}, "
        f"{after.discontinuities_total} discontinuities")
    decreasing = [(a, b) for a, b in zip(samples, samples[1:]) if b < a]
    say(f"EXT-X-MEDIA-SEQUENCE seen meanwhile: {samples[0] if samples else '-'}..{samples[-1] if samples else '-'}"
        f" ({'never went down' if not decreasing else f'WENT DOWN: {decreasing}'})")
    show_cluster(lab)
    probe_edges(lab)


def run(gateway_bin, keep=False):
    say(f"gateway binary: {gateway_bin}")
    supported, why = cluster_support(gateway_bin)
    if not supported:
        say(f"this binary has no cluster support ({why}): single node behind the edges, no failover")
    # SIGTERM (e.g. from the shell's trap) unwinds like Ctrl-C, so everything is stopped by PID.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    with Lab(gateway_bin, cluster=supported, streams={STREAM: {"key": KEY}}, say=say) as lab:
        for host in ["etcd", *lab.nodes, *lab.edges]:
            say(f"{host:7} {lab.ip(host):15} netns {lab.ns(host):14} pid {lab.procs[host].pid}  "
                f"log {lab.procs[host].log_path}")
        clip = make_clip(lab.dir / "clip.flv")
        publisher = lab.publish("gw-a", STREAM, clip, key=KEY, label="publisher")
        say(f"publisher: {' '.join(publisher.argv)}")
        wait_for(lambda: (p := fetch_media(lab.edge_url("edge-1", f"/live/{STREAM}/360p/index.m3u8")))
                 and len(p.segments) >= 3, 60, "3 segments through edge-1", interval=0.25)
        for edge in lab.edges:
            say(f"play: {lab.edge_url(edge, f'/live/{STREAM}/master.m3u8')}")
        show_cluster(lab)
        probe_edges(lab)
        if supported:
            failover(lab, clip)
        if keep:
            say("running; Ctrl-C stops everything")
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
        say("stopping every process by PID and removing the namespaces")
    say(f"done; leftovers: {lab.leftovers() or 'none'}")
