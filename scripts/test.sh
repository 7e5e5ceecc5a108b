#!/usr/bin/env bash
# Set up everything (apt packages, real clients, one debug build) and run the whole suite:
#   1. swift format lint --strict
#   2. swift test (unit + component tests, reusing the one build)
#   3. end-to-end tests (Tests/E2E, pytest) with real publishers and players against .build/debug/gateway
# Usage: scripts/test.sh [pytest args for the E2E part, e.g. -k rtmp]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --test

echo "== swift format lint"
swift format lint --strict --recursive Sources Tests

echo "== swift test"
swift test --skip-build

echo "== end-to-end"
export GATEWAY_BIN="$PWD/.build/debug/gateway" JS_PLAYERS_DIR="$PWD/.cache/js"
.venv/bin/python -m pytest -q -p no:cacheprovider Tests/E2E "$@"
