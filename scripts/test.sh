#!/usr/bin/env bash
# The whole test suite: set up (virtualenv, packages, system tools when root), lint, then pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
echo "» ruff" >&2
ruff check scripts tests bench
echo "» pytest" >&2
set +e
python -m pytest -q "$@"
status=$?
set -e
# pytest's 5 means "no tests collected": that must fail, not pass silently.
exit $status
