#!/usr/bin/env bash
# Edge tier vs direct origin, and failover time, on the cluster lab (scripts/lib/clusterlab:
# etcd, gw-a/gw-b/gw-c and two nginx edges in network namespaces). Not run in CI.
#
#   scripts/bench-cluster.sh [--viewers 100,1000] [--seconds 15] [--reload 1.0] [--procs 2]
#                            [--reconnect-delay 1.0] [--failovers 3] [--profile profiles/test-small.yaml]
#   (as root; GATEWAY_BIN or BENCH_GATEWAY_BIN chooses the binary, default the release build)
#
# One publisher (a looping 640x360 clip, -c copy) on gw-a. For every viewer count N, in one run:
# N player-like viewers (asyncio, one keep-alive connection each: reload the media playlist every
# --reload s, fetch each new segment) through the two edges, then the same N directly on gw-a.
# Prints req/s, p99 time to fetch the newest segment, gw-a's CPU seconds (and per viewer, less
# its CPU with no viewers), the edges' CPU, origin requests per segment per rendition (target
# with edges: <= edges + 1), and the edges/direct ratios. Then failover: SIGKILL the owner, the
# publisher reconnects to the next node after --reconnect-delay, time from the kill to the first
# new segment listed through edge-1 (target: <= 5 s plus the delay). The viewers share the
# machine's cores with the gateways and nginx: compare columns, not absolute numbers.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
source scripts/lib/common.sh
if [ -z "${GATEWAY_BIN:-}" ]; then
    GATEWAY_BIN="$(gateway_bench_bin)"
fi
export GATEWAY_BIN
ulimit -n 65536 2>/dev/null || true
trap 'python3 scripts/lib/clusterlab clean >/dev/null 2>&1 || true' EXIT
echo "python3 scripts/lib/clusterlab bench $*  (GATEWAY_BIN=$GATEWAY_BIN, $(nproc) cores, load $(load_average))"
python3 scripts/lib/clusterlab bench "$@"
