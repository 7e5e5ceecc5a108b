"""The lab's network: a hub namespace holding a Linux bridge, one namespace per host joined to the
bridge by a veth pair (its end is `eth0` in the host), and a veth from the root namespace to the
bridge (.1), so that processes in the root namespace (the test, ffmpeg, Chromium) reach every host
by address. Every name carries the lab id; the /24 is a random 10.X.Y.0/24 that no interface or
route of the root namespace uses yet (checked under a lock, so concurrent labs never pick the
same one).
"""

import fcntl
import ipaddress
import random
import subprocess

LOCK_PATH = "/tmp/clusterlab.lock"
HUB = "hub"
BRIDGE = "br0"


class NetError(RuntimeError):
    pass


def run(*argv, check=True, timeout=30):
    """Run a command; raises NetError with its stderr when it fails (and `check`)."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise NetError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip()}")
    return done


def namespaces():
    """Names of the network namespaces that `ip netns` knows."""
    return [line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines() if line.strip()]


def links(namespace=None):
    """Interface names in `namespace` (None: the root namespace)."""
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    out = run(*prefix, "-o", "link", "show").stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]


def used_networks():
    """Every IPv4 network the root namespace has an address or a route in."""
    used = []
    for line in run("ip", "-4", "-o", "addr", "show").stdout.splitlines():
        fields = line.split()
        if "inet" in fields:
            used.append(ipaddress.ip_network(fields[fields.index("inet") + 1], strict=False))
    for line in run("ip", "-4", "route", "show", "table", "all").stdout.splitlines():
        first = line.split()[0] if line.split() else ""
        if first in ("broadcast", "local", "unreachable", "prohibit", "blackhole"):
            first = line.split()[1]
        if first and first[0].isdigit():
            used.append(ipaddress.ip_network(first if "/" in first else first + "/32", strict=False))
    return used


def pick_subnet(rng=random):
    used = used_networks()
    for _ in range(500):
        candidate = ipaddress.ip_network(f"10.{rng.randint(16, 254)}.{rng.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(network) for network in used):
            return candidate
    raise NetError("no free 10.X.Y.0/24 found")


class Network:
    """`Network(lab_id, {"etcd": 10, "gw-a": 11, ...}).create()`; `destroy()` is idempotent."""

    def __init__(self, lab_id, hosts):
        self.lab_id = lab_id
        self.prefix = f"cl{lab_id}"  # ns "cl<id>-<host>", links "cl<id>h<octet>", root veth "cl<id>r"
        self.hosts = dict(hosts)
        self.subnet = None
        self.root_link = f"{self.prefix}r"

    def ns(self, host):
        return f"{self.prefix}-{host}"

    def ip(self, host):
        return str(self.subnet.network_address + self.hosts[host])

    @property
    def root_ip(self):
        return str(self.subnet.network_address + 1)

    def create(self):
        with open(LOCK_PATH, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.subnet = pick_subnet()
            hub = self.ns(HUB)
            run("ip", "netns", "add", hub)
            run("ip", "-n", hub, "link", "set", "lo", "up")
            run("ip", "-n", hub, "link", "add", BRIDGE, "type", "bridge")
            run("ip", "-n", hub, "link", "set", BRIDGE, "up")
            # The root namespace's own leg; its address claims the subnet before the lock is released.
            run("ip", "link", "add", self.root_link, "type", "veth", "peer", "name", f"{self.prefix}h1", "netns", hub)
            run("ip", "addr", "add", f"{self.root_ip}/{self.subnet.prefixlen}", "dev", self.root_link)
            run("ip", "link", "set", self.root_link, "up")
            run("ip", "-n", hub, "link", "set", f"{self.prefix}h1", "master", BRIDGE, "up")
        for host, octet in self.hosts.items():
            ns, leg = self.ns(host), f"{self.prefix}h{octet}"
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "link", "add", leg, "netns", hub, "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "-n", hub, "link", "set", leg, "master", BRIDGE, "up")
            run("ip", "-n", ns, "addr", "add", f"{self.ip(host)}/{self.subnet.prefixlen}", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")

    def leftovers(self):
        """Namespaces and root-namespace links of this lab that still exist."""
        mine = [n for n in namespaces() if n.startswith(self.prefix + "-")]
        return mine + [link for link in links() if link.startswith(self.prefix)]

    def destroy(self):
        """Deletes the namespaces (their veths go with them) and the root veth. Safe to repeat.
        Processes still running in a namespace keep it alive: stop them first."""
        for ns in namespaces():
            if ns.startswith(self.prefix + "-"):
                run("ip", "netns", "del", ns, check=False)
        if self.root_link in links():
            run("ip", "link", "del", self.root_link, check=False)

