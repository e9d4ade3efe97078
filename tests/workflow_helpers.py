"""Helpers for the officer-workflow tests: a small registry in a temporary git repository, and running
`baosong` as a real process with a private settings directory."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BAOSONG = str(BIN / "baosong")
NOW = "2026-11-25T15:00:00+08:00"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "test@baosong.invalid",
    "GIT_COMMITTER_NAME": "测试", "GIT_COMMITTER_EMAIL": "test@baosong.invalid",
    "GIT_AUTHOR_DATE": "2026-11-25T14:30:00+08:00", "GIT_COMMITTER_DATE": "2026-11-25T14:30:00+08:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def env(home: Path, **extra: str) -> dict[str, str]:
    """A process environment with its own HOME and settings dir, the venv first on PATH, no colour."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))}
    out.update(GIT_ENV)
    out.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "NO_COLOR": "1",
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "LANG": "C.UTF-8",
                "PYTHONIOENCODING": "utf-8"})
    out.update(extra)
    return out


def git(root: Path, *args: str, home: Path | None = None, **extra: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], env=env(home or root.parent, **extra),
                            capture_output=True, text=True, check=True)
    return result.stdout


def make_registry(path: Path, *, with_reports: bool = False) -> Path:
    """A registry with the bundled schemas and configuration (and optionally its reports), committed."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "schema", path / "schema")
    shutil.copytree(REPO / "config", path / "config")
    if with_reports:
        shutil.copytree(REPO / "reports", path / "reports")
    else:
        (path / "reports").mkdir()
        (path / "reports" / ".gitkeep").write_text("")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "registry")
    return path


def baosong(*args: str, cwd: Path, home: Path, input: str | None = None, **extra: str,
            ) -> subprocess.CompletedProcess:
    return subprocess.run([BAOSONG, *args], cwd=cwd, env=env(home, **extra), input=input,
                          capture_output=True, text=True, timeout=120)


def baosong_inline(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    """The same CLI in this process (no interpreter start-up), for runs that need no stdin or terminal."""
    from baosong.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_xdg = os.getcwd(), os.environ.get("XDG_CONFIG_HOME")
    os.chdir(cwd)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(old_cwd)
        if old_xdg is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = old_xdg
    return subprocess.CompletedProcess(["baosong", *args], code, out.getvalue(), err.getvalue())
