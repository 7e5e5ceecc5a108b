#!/usr/bin/env bash
# A gateway cluster on this machine: one etcd, three gateway nodes (gw-a, gw-b, gw-c) and two nginx
# edges (deploy/nginx/edge.conf), each in its own network namespace with its own address on a
# random free 10.X.Y.0/24, reached from here through a veth (scripts/lib/clusterlab).
#
#   scripts/cluster-demo.sh [--keep]      (as root; GATEWAY_BIN=path/to/gateway to choose the binary)
#
# Publishes a test clip to gw-a in a loop, prints the edge URLs and every node's /api/cluster,
# plays the stream through both edges with ffprobe, then kills gw-a (SIGKILL), republishes to gw-b
# as a reconnecting encoder would, and shows the same edge URL playing again with
# EXT-X-MEDIA-SEQUENCE never going down. --keep leaves everything running until Ctrl-C.
# Every process is stopped by PID at the end and the namespaces are removed, also on Ctrl-C.
# Needs: iproute2, etcd (etcd-server), nginx, ffmpeg. A binary without cluster support runs as
# one node behind the edges, without the failover part.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
if [ -z "${GATEWAY_BIN:-}" ]; then
    for candidate in .build/release/gateway .build/debug/gateway; do
        [ -x "$candidate" ] && { GATEWAY_BIN="$REPO/$candidate"; break; }
    done
fi
export GATEWAY_BIN="${GATEWAY_BIN:-$REPO/.build/release/gateway}"
# The lab stops its own processes by PID; should Python itself be killed, remove what it left.
trap 'python3 scripts/lib/clusterlab clean >/dev/null 2>&1 || true' EXIT
python3 scripts/lib/clusterlab demo "$@"
