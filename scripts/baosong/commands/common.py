"""Helpers shared by subcommands: options, times, terminal output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sized
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from baosong.problems import terminal_safe
from baosong.timeutil import parse_datetime

T = TypeVar("T")


def parse_now(text: str | None) -> datetime:
    """--now TIME, or the machine clock (aware, local offset)."""
    if text is None:
        return datetime.now().astimezone()
    parsed = parse_datetime(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"时间“{text}”无效，须为带时区的 ISO 8601 时间，如 2026-11-25T14:30:00+08:00")
    return parsed


def add_repo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), metavar="目录",
                        help="登记库所在目录（默认：当前目录）")


def not_a_registry(root: Path) -> bool:
    """True (after saying what to do) when `root` is not a registry checkout."""
    if (root / "reports").is_dir() or (root / "config").is_dir():
        return False
    print(f"错误：{terminal_safe(root)} 不是登记库（缺少 reports/ 与 config/ 目录）。请在登记库根目录运行，或用 --repo 指定。",
          file=sys.stderr)
    return True


def use_colour(stream=None) -> bool:
    # Resolved at call time: a default bound at import would keep a stream that tests (or a
    # redirect) have since replaced and closed.
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def colour(text: str, code: str, stream=None) -> str:
    return f"\033[{code}m{text}\033[0m" if use_colour(stream) else text


def progress(items: Iterable[T], desc: str) -> Iterable[T]:
    """A progress bar on a terminal only (and for collections of 200 or more); plain iteration in CI
    logs and pipes."""
    if not sys.stderr.isatty() or not isinstance(items, Sized) or len(items) < 200:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="个", leave=False, file=sys.stderr)


def print_problems(problems: list, fmt: str, summary: str) -> int:
    """Problems as JSON, or one coloured line each plus a summary line; exit status 1 on any error."""
    from baosong.problems import render_json

    failed = any(p.is_error for p in problems)
    if fmt == "json":
        print(render_json(problems))
    else:
        for p in problems:
            print(colour(p.render(), "31" if p.is_error else "33"))
        print(colour(summary, "31" if failed else "32"))
    return 1 if failed else 0


def git_failed(exc: Exception) -> int:
    """A git command failed: say so in Chinese (git's own message follows), usage-level exit status.

    A revision that names nothing or is ambiguous (gitrepo.RevisionError) has a message of its own."""
    from baosong.gitrepo import RevisionError

    if isinstance(exc, RevisionError):
        print(f"错误：{terminal_safe(exc.message)}", file=sys.stderr)
        return 2
    print(f"错误：git 命令失败：{terminal_safe(getattr(exc, 'stderr', '') or exc)}", file=sys.stderr)
    return 2


def print_signature_note() -> None:
    """On stderr, when ssh-keygen had to judge signatures the in-process verifier could not (which
    and how many): the verdicts are the same, but the run was slower and the reader should know."""
    signatures = sys.modules.get("baosong.signatures")  # not imported: no signature was verified
    note = signatures.fallback_note() if signatures is not None else None
    if note:
        print(colour(note, "33", sys.stderr), file=sys.stderr)
