#!/usr/bin/env bash
# Sourced by run.sh and test.sh: create .venv and install baosong (editable) with its dependencies.
# Re-installs only when pyproject.toml changed, so repeated runs start fast.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（当前：$("$PY" --version 2>&1)）。" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "» 创建虚拟环境 $VENV" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.baosong-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)-${BAOSONG_EXTRAS:-test}"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "» 安装依赖（首次运行需要几分钟）" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[${BAOSONG_EXTRAS:-test}]"
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
