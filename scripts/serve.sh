#!/usr/bin/env bash
# Set up (apt packages, release build) and run the gateway with profiles/default.yaml.
# Extra arguments go to `gateway serve`, e.g. scripts/serve.sh --rtmp 0.0.0.0:1935 --http 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
exec "$(swift build -c release --show-bin-path)/gateway" serve --profile profiles/default.yaml "$@"
