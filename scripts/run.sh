#!/usr/bin/env bash
# The main job: set up, generate the demo registry (./demo) when it is absent, build the portal from
# it and serve it on 127.0.0.1 (port: BAOSONG_PORT or --port, default 8000), printing the address.
# Extra arguments go to `baosong serve` (e.g. --port 8080, --now 2026-11-20T12:00:00+08:00).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
DEMO="${BAOSONG_DEMO:-$ROOT/demo}"
if [ ! -d "$DEMO/.git" ]; then
  echo "» 生成演示登记库 $DEMO" >&2
  baosong demo --out "$DEMO"
fi
exec baosong serve --repo "$DEMO" --port "${BAOSONG_PORT:-8000}" "$@"
