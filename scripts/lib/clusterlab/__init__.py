"""A lab network of real processes for the cluster tests, demo and benchmark: one etcd, gateway
nodes and nginx edges (deploy/nginx/edge.conf), each in its own network namespace on its own
address of a random 10.X.Y.0/24, reached from the root namespace through a veth. Needs root,
iproute2 (`ip netns`), etcd and nginx. Standard library only.

    python3 scripts/lib/clusterlab demo [--keep]    the demo (scripts/cluster-demo.sh)
    python3 scripts/lib/clusterlab bench ...        the benchmark (scripts/bench-cluster.sh)
    python3 scripts/lib/clusterlab clean            remove labs whose owner process died
"""

from .lab import EDGES, NODES, REPO, Lab, clean_stale, cluster_support, default_gateway_bin, poll, wait_for, wait_http  # noqa: F401
from .procs import Proc, exec_in  # noqa: F401
