"""The lab: one etcd, gateway nodes and nginx edges, each in its own network namespace with its own
address, started from generated configs and stopped by PID.

    with Lab(gateway_bin) as lab:          # builds the network, starts everything, waits for it
        lab.publish("gw-a", "demo", clip)  # ffmpeg in the root namespace
        lab.edge_url("edge-1", "/live/demo/master.m3u8")
        lab.kill_node("gw-a"); lab.stop_etcd(); lab.start_etcd()

`close()` (also on exceptions and KeyboardInterrupt through `with`) stops every process by PID,
SIGTERM then SIGKILL after a deadline, deletes the namespaces and the root veth, and is safe to
call again. A state file LABDIR/lab.json names the owner PID so `clusterlab clean` can remove
the leftovers of a lab whose owner died.
"""

import json
import os
import re
import secrets
import shutil
import signal
import tempfile
from pathlib import Path

from . import net
from .procs import Proc, exec_in, poll, wait_for
from .web import http_get

REPO = Path(__file__).resolve().parents[3]
EDGE_TEMPLATE = REPO / "deploy/nginx/edge.conf"
ETCD, NODES, EDGES = "etcd", ("gw-a", "gw-b", "gw-c"), ("edge-1", "edge-2")
OCTETS = {"etcd": 10, "gw-a": 11, "gw-b": 12, "gw-c": 13, "gw-d": 14, "edge-1": 21, "edge-2": 22, "edge-3": 23}
ETCD_PORT, RTMP_PORT, HTTP_PORT, EDGE_PORT = 2379, 1935, 8080, 80
USAGE_LOG_PORT = 5514  # usage.edge_log on the collecting node (UDP)
STATE_FILE = "lab.json"
DIR_PREFIX = "clusterlab-"


def default_gateway_bin():
    """$GATEWAY_BIN, else .build/release/gateway, else .build/debug/gateway."""
    if os.environ.get("GATEWAY_BIN"):
        return os.environ["GATEWAY_BIN"]
    for kind in ("release", "debug"):
        if (REPO / f".build/{kind}/gateway").exists():
            return str(REPO / f".build/{kind}/gateway")
    return str(REPO / ".build/release/gateway")


class Lab:
    """`cluster=False`: the gateways get no `cluster:` section (a binary without cluster support
    rejects it) and the edges use only the first node as their upstream. `streams`: per-stream
    config ({"name": {"key": "secret", "profile": "profiles/x.yaml", "require_token": "false"}}),
    the same on every node. `playback`: signed playback URLs on every node, e.g.
    {"require_token": True, "trust_forwarded_for": True, "secrets": [("k1", "16+ characters")]}
    (the secrets go to LABDIR/playback-secrets.txt, the first line signs)."""

    def __init__(self, gateway_bin=None, *, cluster=True, nodes=NODES, edges=EDGES,
                 profile="profiles/test-small.yaml", streams=None, playback=None, lease_seconds=3,
                 reconnect_grace_seconds=2, base_dir=None, keep_dir=False, say=None, usage_collector=None,
                 extra_config=""):
        self.gateway_bin = str(gateway_bin or default_gateway_bin())
        self.cluster, self.nodes, self.edges = cluster, list(nodes), list(edges)
        self.profile, self.streams, self.playback = profile, dict(streams or {}), dict(playback or {})
        self.lease_seconds, self.reconnect_grace_seconds = lease_seconds, reconnect_grace_seconds
        # A node that collects the edges' usage lines (usage.edge_log); None: the edges send none.
        self.usage_collector = usage_collector
        self.extra_config = extra_config  # YAML appended to every node's config
        self.keep_dir = keep_dir or os.environ.get("CLUSTERLAB_KEEP") == "1"
        self.say = say or (lambda message: None)
        self.id = secrets.token_hex(3)[:5]
        self.dir = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{self.id}-", dir=base_dir or "/tmp"))
        self.dir.chmod(0o755)  # nginx workers (nobody) reach their cache below it
        self.net = net.Network(self.id, {h: OCTETS[h] for h in [ETCD, *self.nodes, *self.edges]})
        self.procs = {}  # name -> Proc: etcd, nodes, edges, and clients started through the lab
        self._closed = False

    # --- lifecycle

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def start(self):
        try:
            (self.dir / STATE_FILE).write_text(json.dumps({"id": self.id, "owner": os.getpid(),
                                                           "prefix": self.net.prefix}))
            self.net.create()
            self.say(f"lab {self.id}: {self.net.subnet} in namespaces {self.net.prefix}-*, files in {self.dir}")
            self.start_etcd()
            for node in self.nodes:
                self.start_node(node)
            for edge in self.edges:
                self.start_edge(edge)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        """Stops every process by PID (clients first, then edges, nodes, etcd) and removes the
        network. Idempotent."""
        if self._closed:
            return
        order = sorted(self.procs.values(), key=lambda p: (p.name == ETCD, p.name in self.nodes, p.name in self.edges))
        for proc in order:
            try:
                proc.stop(timeout=15 if proc.name in self.nodes else 5)
            except Exception as error:  # keep going: the network must go too
                self.say(f"stopping {proc.name}: {error}")
        self.net.destroy()
        self._closed = True
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:  # kept for its logs; nothing of it is left for `clean`
            (self.dir / STATE_FILE).unlink(missing_ok=True)

    def leftovers(self):
        return self.net.leftovers()

    # --- addresses

    def ip(self, host):
        return self.net.ip(host)

    def ns(self, host):
        return self.net.ns(host)

    @property
    def etcd_url(self):
        return f"http://{self.ip(ETCD)}:{ETCD_PORT}"

    def node_url(self, node, path=""):
        return f"http://{self.ip(node)}:{HTTP_PORT}{path}"

    def edge_url(self, edge, path=""):
        return f"http://{self.ip(edge)}:{EDGE_PORT}{path}"

    def rtmp_url(self, node, name, key=None, app="live"):
        return f"rtmp://{self.ip(node)}:{RTMP_PORT}/{app}/{name}" + (f"?key={key}" if key else "")

    def upstreams(self):
        return self.nodes if self.cluster else self.nodes[:1]

    # --- etcd

    def start_etcd(self):
        """Starts etcd (again: the same data dir) and waits until its v3 JSON gateway answers."""
        ip, data = self.ip(ETCD), self.dir / "etcd/data"
        proc = self.procs.get(ETCD) or Proc(ETCD, [
            "etcd", "--name", "lab", "--data-dir", str(data), "--logger", "zap", "--log-outputs", "stderr",
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", f"http://{ip}:2380", "--initial-advertise-peer-urls", f"http://{ip}:2380",
            "--initial-cluster", f"lab=http://{ip}:2380"], self.dir / "etcd/etcd.log", ns=self.ns(ETCD))
        self.procs[ETCD] = proc.start()
        wait_for(lambda: self.etcd_ready() or (not proc.alive() and self._died(proc)), 30, "etcd /v3/kv/range")

    def etcd_ready(self):
        status, _, body = http_get(f"{self.etcd_url}/v3/kv/range", timeout=2,
                                   data=json.dumps({"key": "AA=="}).encode())  # base64 of b"\0"
        return status == 200 and b"header" in body

    def stop_etcd(self):
        """SIGKILL, as a crash."""
        return self.procs[ETCD].kill()

    # --- gateway nodes

    def node_config(self, node):
        ip = self.ip(node)
        lines = [f"# clusterlab {self.id}: node {node}",
                 f"profile: {REPO / self.profile}",
                 "rtmp:", f"  listen: {ip}:{RTMP_PORT}",
                 "http:", f"  listen: {ip}:{HTTP_PORT}",
                 f"data_dir: {self.dir / node / 'data'}",
                 f"reconnect_grace_seconds: {self.reconnect_grace_seconds}"]
        if self.streams:
            lines.append("streams:")
            for name, options in self.streams.items():
                lines.append(f"  {name}:")
                for key, value in options.items():
                    lines.append(f"    {key}: {REPO / value if key == 'profile' else value}")
        if self.playback:
            lines += ["playback:", f"  secret_file: {self.playback_secret_file()}"]
            lines += [f"  {key}: {str(value).lower() if isinstance(value, bool) else value}"
                      for key, value in self.playback.items() if key != "secrets"]
        if node == self.usage_collector:
            lines += ["usage:", "  edge_log:", f"    listen: {ip}:{USAGE_LOG_PORT}",
                      f"    from: [{', '.join(self.ip(e) for e in self.edges)}]"]
        if self.cluster:
            lines += ["cluster:", f"  etcd: {self.etcd_url}", f"  node: {node}",
                      f"  advertise: {self.node_url(node)}", f"  lease_seconds: {self.lease_seconds}"]
        return "\n".join(lines) + "\n" + self.extra_config

    def playback_secret_file(self):
        """LABDIR/playback-secrets.txt with `playback["secrets"]` (written on first use)."""
        path = self.dir / "playback-secrets.txt"
        if not path.exists():
            path.write_text("".join(f"{kid} {secret}\n" for kid, secret in self.playback["secrets"]))
            path.chmod(0o600)
        return path

    def config_path(self, node):
        """A node's gateway.yaml (e.g. for `gateway sign --config`)."""
        return self.dir / node / "gateway.yaml"

    def start_node(self, node):
        """Starts (or restarts, same config and data dir) a gateway node and waits for its listeners."""
        config = self.config_path(node)
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(self.node_config(node))
        proc = self.procs.get(node) or Proc(node, [self.gateway_bin, "serve", "--config", str(config)],
                                            self.dir / node / "gateway.log", ns=self.ns(node), cwd=REPO)
        self.procs[node] = proc.start()
        proc.wait_log(r"RTMP listening on", 60)
        proc.wait_log(r"HTTP listening on", 30)
        return proc

    def kill_node(self, node):
        """SIGKILL, as a crash."""
        return self.procs[node].kill()

    def api_cluster(self, node):
        """`GET /api/cluster` of a node as JSON, or None."""
        status, _, body = http_get(self.node_url(node, "/api/cluster"), timeout=3)
        return json.loads(body) if status == 200 else None

    def metrics(self, node):
        status, _, body = http_get(self.node_url(node, "/metrics"), timeout=5)
        return body.decode() if status == 200 else ""

    # --- nginx edges

    def edge_config(self, edge):
        """deploy/nginx/edge.conf with this lab's values, inside a minimal main config."""
        home = self.dir / edge
        lines = []
        for line in EDGE_TEMPLATE.read_text().splitlines():
            if "{{SERVER}}" in line and not line.lstrip().startswith("#"):
                lines += [line.replace("{{SERVER}}", f"{self.ip(n)}:{HTTP_PORT}") for n in self.upstreams()]
            elif "{{USAGE_LOG}}" in line and not line.lstrip().startswith("#"):
                if self.usage_collector:
                    lines.append(line.replace("{{USAGE_LOG}}", f"{self.ip(self.usage_collector)}:{USAGE_LOG_PORT}"))
            else:
                lines.append(line)
        text = "\n".join(lines) + "\n"
        for key, value in {"LISTEN": f"{self.ip(edge)}:{EDGE_PORT}", "CACHE_DIR": home / "cache",
                           "LOG_DIR": home / "logs"}.items():
            text = text.replace("{{" + key + "}}", str(value))
        leftover = re.findall(r"\{\{\w+\}\}", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
        assert not leftover, f"unrendered placeholders in {EDGE_TEMPLATE}: {leftover}"
        (home / "edge.conf").write_text(text)
        return (f"user nobody nogroup;\nworker_processes 1;\nworker_rlimit_nofile 16384;\npid {home}/nginx.pid;\n"
                f"error_log {home}/logs/error.log notice;\nevents {{ worker_connections 8192; }}\n"
                f"http {{\n    include {home}/edge.conf;\n}}\n")

    def start_edge(self, edge):
        home = self.dir / edge
        (home / "logs").mkdir(parents=True, exist_ok=True)
        home.chmod(0o755)
        conf = home / "nginx.conf"
        conf.write_text(self.edge_config(edge))
        tested = exec_in(self.ns(edge), ["nginx", "-t", "-q", "-p", str(home), "-c", str(conf)])
        if tested.returncode != 0:
            raise RuntimeError(f"nginx -t {conf}: {tested.stderr}")
        proc = self.procs.get(edge) or Proc(edge, ["nginx", "-p", str(home), "-c", str(conf), "-g", "daemon off;"],
                                            home / "logs/nginx.out", ns=self.ns(edge))
        self.procs[edge] = proc.start()
        wait_for(lambda: http_get(self.edge_url(edge, "/healthz"), timeout=2)[0] or (not proc.alive() and self._died(proc)), 20,
                 f"{edge} answering")
        return proc

    def access_log(self, edge):
        return self.dir / edge / "logs/gateway-edge.access.log"

    # --- clients

    def publish(self, node, name, clip, key=None, label=None):
        """A looping real-time ffmpeg publisher (-c copy) of `clip` to `node`, from the root namespace."""
        label = label or f"publisher-{name}-{node}"
        argv = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1",
                "-i", str(clip), "-c", "copy", "-f", "flv", self.rtmp_url(node, name, key)]
        proc = Proc(label, argv, self.dir / "clients" / f"{label}.log")
        if label in self.procs:
            self.procs[label].stop(5)
        self.procs[label] = proc.start()
        return proc

    def track(self, proc):
        """Registers a client Proc so that `close()` stops it too."""
        self.procs[proc.name] = proc
        return proc

    def _died(self, proc):
        raise RuntimeError(f"{proc.name} exited ({proc.returncode}):\n{proc.log()[-3000:]}")


def clean_stale(say=print, base_dir="/tmp"):
    """Removes the namespaces and root veth of every lab whose owner process is gone."""
    removed = []
    for state in Path(base_dir).glob(f"{DIR_PREFIX}*/{STATE_FILE}"):
        info = json.loads(state.read_text())
        try:
            os.kill(info["owner"], 0)
            continue  # still owned
        except ProcessLookupError:
            pass
        network = net.Network(info["id"], {})
        for ns in [n for n in net.namespaces() if n.startswith(network.prefix + "-")]:
            pids = exec_in(None, ["ip", "netns", "pids", ns]).stdout.split()
            for pid in pids:
                os.kill(int(pid), signal.SIGKILL)
        network.destroy()
        shutil.rmtree(state.parent, ignore_errors=True)
        removed.append(info["id"])
        say(f"removed stale lab {info['id']}")
    return removed


def cluster_support(gateway_bin, workdir=None):
    """(True, "") when `gateway serve` accepts a `cluster:` section, else (False, why). The probe
    node binds 127.0.0.1 on OS-picked ports with etcd at a closed port (a cluster node must start
    without etcd), and is stopped by PID. Any other failure to start is an error, not a "no".
    Without `workdir` a temporary folder is used and removed."""
    if workdir is None:
        workdir = tempfile.mkdtemp(prefix="clusterlab-probe-")
        try:
            return cluster_support(gateway_bin, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "probe.yaml"
    config.write_text("rtmp:\n  listen: 127.0.0.1:0\nhttp:\n  listen: 127.0.0.1:0\n"
                      f"data_dir: {workdir / 'data'}\n"
                      "cluster:\n  etcd: http://127.0.0.1:9\n  node: probe\n  advertise: http://127.0.0.1:9\n")
    proc = Proc("probe", [str(gateway_bin), "serve", "--config", str(config)], workdir / "probe.log", cwd=REPO)
    proc.start()
    try:
        started = poll(lambda: "HTTP listening on" in proc.log() or not proc.alive(), 60)
        log = proc.log()
        if started and "HTTP listening on" in log:
            return True, ""
        if 'unknown key "cluster"' in log:
            return False, next(line for line in log.splitlines() if "cluster" in line).strip()
        raise RuntimeError(f"{gateway_bin} serve with a cluster section neither started nor refused the "
                           f"section (exit {proc.returncode}):\n{log[-2000:]}")
    finally:
        proc.stop(10)


def wait_http(url, timeout, what=None, status=200):
    """Waits until `url` answers `status`."""
    return wait_for(lambda: http_get(url, timeout=3)[0] == status, timeout, what or f"{url} -> {status}")


__all__ = ["Lab", "clean_stale", "cluster_support", "default_gateway_bin", "poll", "wait_for", "wait_http", "REPO", "NODES", "EDGES"]
