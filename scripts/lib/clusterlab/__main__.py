"""CLI of the cluster lab: `python3 scripts/lib/clusterlab {demo,bench,clean} ...` (run as root)."""

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a folder: import `clusterlab` as a package from its parent
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from clusterlab import bench, demo  # noqa: E402
from clusterlab.lab import clean_stale, default_gateway_bin  # noqa: E402


def main():
    parser = argparse.ArgumentParser(prog="clusterlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="the cluster demo (scripts/cluster-demo.sh)")
    run_demo.add_argument("--keep", action="store_true", help="keep the lab running until Ctrl-C")
    run_bench = commands.add_parser("bench", help="the edge/direct and failover benchmark (scripts/bench-cluster.sh)")
    bench.add_arguments(run_bench)
    commands.add_parser("clean", help="remove the namespaces of labs whose owner process died")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("clusterlab needs root (ip netns)")
    gateway_bin = default_gateway_bin()
    if args.command != "clean" and not os.access(gateway_bin, os.X_OK):
        sys.exit(f"no gateway binary at {gateway_bin}: build it (swift build -c release) or set GATEWAY_BIN")
    try:
        if args.command == "demo":
            demo.run(gateway_bin, keep=args.keep)
        elif args.command == "bench":
            bench.run(gateway_bin, args)
        else:
            clean_stale()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
