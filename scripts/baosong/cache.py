"""The one owner of baosong's local state: data-only JSON files under the git directory.

Why here: a checkout is written by whoever wrote the branch. A cache in the work tree
(`.baosong-cache/`, as before) can arrive with a branch (`git add -f`), and a cache that is
deserialised with pickle then runs the branch's code inside `baosong check`. So the caches live in
`$(git rev-parse --git-common-dir)/baosong-cache/` — like git-annex's `.git/annex/`, beside
`.git/hooks`, where a branch cannot write — shared by linked worktrees and usable in bare
repositories. A location git tracks, or one that leads out of the git directory (a symlink), is
refused: then nothing is cached.

Files hold only data (JSON), with a header naming the cache, its format version and a fingerprint
of what the results depend on (configuration, the tool's source). A missing, corrupt, foreign or
wrong-shaped file reads as "no cache" and is rebuilt; saving is atomic (temporary file +
`os.replace`) and a failure to save (read-only repository, full disk) only costs speed. Nothing
here raises for a bad cache: each caller's decode function checks the shapes of the entries it gets
back, and whatever it drops is computed again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

from baosong import __version__
from baosong.gitrepo import GitError, git

DIR_NAME = "baosong-cache"
README_TEXT = """\
baosong cache
=============

This directory holds results computed by baosong (check results by file content, signature
verifications by commit, the receipts replay, the pull-request index). They are plain JSON data,
kept here, inside the git directory, so that nothing a branch carries can be read as a cache.

It is safe to delete this directory at any time: baosong rebuilds it on the next run (the first
run is then slower). `--no-cache` on any baosong command neither reads nor writes it.
"""

T = TypeVar("T")
_resolved: dict[str, Path | None] = {}
_dirs: dict[str, tuple[Path, Path]] = {}  # git_dirs, per process
_code: dict[tuple[str, ...], str] = {}


def code_fingerprint(*modules: str) -> str:
    """A digest of baosong's own source code: all of it, or only the named modules.

    Part of every cache's fingerprint, so results computed by other code (an upgrade, a merged
    branch, an editable install being worked on) are never reused, even when the version string did
    not change. Caches whose results are costly to rebuild (signatures) name only the modules that
    decide them, so that an unrelated change does not re-verify every commit.
    """
    if modules not in _code:
        package = Path(__file__).resolve().parent
        if modules:
            files = [Path(spec.origin) for m in modules if (spec := find_spec(m)) is not None and spec.origin]
        else:
            files = sorted(package.rglob("*.py"))
        digest = hashlib.sha256(__version__.encode())
        for f in files:
            try:
                data = f.read_bytes()
            except OSError:
                data = b"?"
            name = f.relative_to(package).as_posix() if f.is_relative_to(package) else f.name
            digest.update(f"\0{name}\0{len(data)}\0".encode() + data)
        _code[modules] = digest.hexdigest()[:16]
    return _code[modules]


def cache_dir(repo: Path | str) -> Path | None:
    """The cache directory of the repository containing repo, or None when there is no safe one.

    None when repo is not in a git repository, or the location is tracked by git or resolves
    outside the git directory. The answer is remembered per process (a few git calls each).
    """
    key = os.path.abspath(repo)
    if key not in _resolved:
        _resolved[key] = _resolve(Path(key))
    return _resolved[key]


def git_dirs(repo: Path | str) -> tuple[Path, Path]:
    """(absolute git dir, absolute common dir) of repo, with the one rev-parse that also settles
    cache_dir(repo): a hook that needs both starts one git process, not two. Remembered per process. GitError outside a repository."""
    key = os.path.abspath(repo)
    if key in _dirs:
        return _dirs[key]
    args = ("rev-parse", "--absolute-git-dir", "--path-format=absolute", "--git-common-dir", "--show-toplevel")
    out = git(Path(key), *args, check=False).decode("utf-8", "surrogateescape").splitlines()
    if len(out) < 2 or not out[0] or not out[1]:
        # Not a repository: let git say why, as the callers always reported it.
        git(Path(key), "rev-parse", "--absolute-git-dir", "--git-common-dir")
        raise GitError(args, 128, f"no git directory for {key}")
    if key not in _resolved:
        _resolved[key] = _resolve(Path(key), out[1:])
    _dirs[key] = Path(out[0]), Path(out[1])
    return _dirs[key]


def _resolve(repo: Path, out: list[str] | None = None) -> Path | None:
    if not repo.is_dir():
        return None
    # One call: the common dir always prints; the top level only in a work tree (git then exits 128).
    if out is None:
        out = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir", "--show-toplevel",
                  check=False).decode("utf-8", "surrogateescape").splitlines()
    if not out or not out[0]:
        return None
    common = Path(out[0])
    if not common.is_dir():
        return None
    folder = common / DIR_NAME
    real_common = common.resolve()
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(real_common)):
        return None  # a link out of the git directory, perhaps into a work tree
    if len(out) > 1 and out[1] and folder.resolve().is_relative_to(Path(out[1]).resolve()):
        # The git directory lies inside a work tree (always so for `.git/`): git must not track it.
        tracked = git(Path(out[1]), "ls-files", "-z", "--", str(folder), check=False)
        if tracked:
            return None
    return folder


class Cache:
    """One named cache file, `<dir>/<name>.json`: `load(decode)` the stored entries, `save(entries)`.

    `enabled=False` (`--no-cache`) and a repository without a safe cache directory both make a
    cache that never reads or writes anything.
    """

    def __init__(self, repo: Path | str | None, name: str, *, version: int, fingerprint: str = "",
                 enabled: bool = True) -> None:
        self.name = name
        self.version = version
        self.fingerprint = fingerprint
        folder = cache_dir(repo) if (enabled and repo is not None) else None
        self.folder = folder
        self.file: Path | None = folder / f"{name}.json" if folder is not None else None

    @property
    def enabled(self) -> bool:
        return self.file is not None

    def load(self, decode: Callable[[Any], T | None]) -> T | None:
        """decode(stored entries), or None when the file is absent, unreadable, not JSON, of another
        name, format or fingerprint, or when decode finds it of another shape (or raises on it)."""
        if self.file is None:
            return None
        was_enabled = gc.isenabled()
        # A warm cache is hundreds of thousands of small containers created at once; the cyclic
        # collector would only rescan them over and over (about a third of the load time at 50,000).
        gc.disable()
        try:
            with open(self.file, "rb") as fh:
                stored = json.loads(fh.read())
            if (type(stored) is not dict or stored.get("cache") != self.name
                    or stored.get("format") != self.version or stored.get("fingerprint") != self.fingerprint):
                return None
            return decode(stored.get("entries"))
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            return None
        finally:
            if was_enabled:
                gc.enable()

    def save(self, entries: Any) -> bool:
        """Write entries atomically; False when they could not be written (nothing is raised)."""
        if self.file is None or self.folder is None:
            return False
        tmp: str | None = None
        try:
            data = json.dumps({"cache": self.name, "format": self.version, "fingerprint": self.fingerprint,
                               "entries": entries}, separators=(",", ":")).encode("ascii")
            self._ensure_folder(self.folder)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{self.name}-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.file)
            return True
        except (OSError, ValueError, TypeError, RecursionError):
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            return False

    @staticmethod
    def _ensure_folder(folder: Path) -> None:
        if not folder.is_dir():
            folder.mkdir(mode=0o755)
        readme = folder / "README"
        if not readme.exists():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".README-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(README_TEXT)
            os.chmod(tmp, 0o644)
            os.replace(tmp, readme)
