#!/usr/bin/env bash
# The whole test suite: set up (virtualenv, packages, system tools when root), lint, then pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
# The portal's browser tests drive Debian's chromium (CJK font for readable screenshots).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "» 安装 chromium（门户浏览器测试）" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
# The editor-client tests drive yaml-language-server and ajv (npm packages pinned in tests/clients) on
# Debian's node; npm ci installs exactly the lock file, again only when it changed.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "» 安装 nodejs、npm（编辑器客户端测试）" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if command -v npm >/dev/null 2>&1 && ! cmp -s tests/clients/package-lock.json tests/clients/node_modules/.baosong-lock; then
  echo "» 安装 npm 包（tests/clients）" >&2
  npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error >/dev/null
  cp tests/clients/package-lock.json tests/clients/node_modules/.baosong-lock
fi
echo "» ruff" >&2
ruff check scripts tests bench
echo "» lint-imports" >&2
lint-imports --no-cache
echo "» mypy" >&2
mypy
echo "» pytest" >&2
set +e
python -m pytest -q "$@"
status=$?
set -e
# pytest's 5 means "no tests collected": that must fail, not pass silently.
exit $status
