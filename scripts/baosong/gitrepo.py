"""Git plumbing over the git CLI: one parsed `git log` pass, many objects through one `cat-file --batch`.

Everything the trust stages need from git is read here and returned as plain records. Report content
and trust roots are always read from git objects (a given commit's tree), never from the working
tree, so a pull request cannot influence how it is judged by editing files outside git.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

ZERO_ID = "0" * 40
REPORTS_PREFIX = "reports/"
# Plumbing must not depend on the user's configuration (pagers, colours, signature display, renames).
_GIT_CONFIG = ("-c", "log.showSignature=false", "-c", "diff.renames=false", "-c", "core.quotePath=false",
               "-c", "color.ui=false", "-c", "log.decorate=false")
_LOG_FORMAT = "%x1e%H%x1f%P%x1f%cI"


class GitError(RuntimeError):
    """A git command failed; `stderr` says why (shown to users as is, it is git's own message)."""

    def __init__(self, args: Iterable[str], returncode: int, stderr: str) -> None:
        self.args_ = list(args)
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"git {' '.join(self.args_)}: {self.stderr or f'exit {returncode}'}")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C")  # parse git's messages, never a translation
    env["GIT_TERMINAL_PROMPT"] = "0"
    if extra:
        env.update(extra)
    return env


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> bytes:
    """Run git in repo and return stdout; GitError when it fails and check is set."""
    proc = subprocess.run(["git", *_GIT_CONFIG, *args], cwd=repo, input=input, capture_output=True,
                          env=_env(env))
    if check and proc.returncode != 0:
        raise GitError(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def git_text(repo: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    return git(repo, *args, check=check, env=env).decode("utf-8", "replace").strip()


def rev_parse(repo: Path, rev: str) -> str | None:
    """The object id a revision names (commits peeled), or None when it does not exist."""
    out = git(repo, "rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", check=False)
    text = out.decode().strip()
    return text or None


def ref_value(repo: Path, ref: str) -> str | None:
    """The id a ref points at (no peeling), or None when the ref does not exist."""
    text = git(repo, "rev-parse", "-q", "--verify", ref, check=False).decode().strip()
    return text or None


def is_shallow(repo: Path) -> bool:
    return git_text(repo, "rev-parse", "--is-shallow-repository") == "true"


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    proc = subprocess.run(["git", *_GIT_CONFIG, "merge-base", "--is-ancestor", ancestor, descendant],
                          cwd=repo, capture_output=True, env=_env())
    if proc.returncode > 1:
        raise GitError(["merge-base", "--is-ancestor", ancestor, descendant], proc.returncode,
                       proc.stderr.decode("utf-8", "replace"))
    return proc.returncode == 0


def merge_base(repo: Path, a: str, b: str) -> str | None:
    text = git(repo, "merge-base", a, b, check=False).decode().strip()
    return text or None


# ---------------------------------------------------------------------------------------------
# One parsed log pass


@dataclass(slots=True)
class Change:
    """One line of `git log --raw`: the path's mode and blob after the change, and the status letter."""

    status: str  # A M D T ...
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    path: str


@dataclass(slots=True)
class Commit:
    id: str
    parents: list[str]
    committed: datetime  # committer date (client-set: never a trusted time on its own)
    changes: list[Change] = field(default_factory=list)


def _parse_log(out: bytes) -> Iterator[Commit]:
    for chunk in out.split(b"\x1e")[1:]:
        header, _, rest = chunk.partition(b"\0")
        cid, parents, ciso = header.decode().split("\x1f")
        commit = Commit(cid, parents.split(), datetime.fromisoformat(ciso))
        fields = rest.lstrip(b"\n").split(b"\0")
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            old_mode, new_mode, old_blob, new_blob, status = meta[1:].decode().split(" ")
            commit.changes.append(Change(status[:1], old_mode, new_mode, old_blob, new_blob,
                                         path.decode("utf-8", "surrogateescape")))
        yield commit


def log(repo: Path, rev: str, *extra: str, paths: Iterable[str] | None = None, merges: bool = True,
        ) -> list[Commit]:
    """`git log --raw` of everything reachable from rev, newest first in topological order.

    merges=True diffs merges against their first parent, so a main-line merge lists exactly what it
    brought into main; merges=False leaves merges without changes (half the work on a registry
    where every report arrives through a merge).
    """
    diff_merges = "--diff-merges=first-parent" if merges else "--diff-merges=off"
    args = ["log", "--raw", "--no-abbrev", "-z", "--no-renames", diff_merges, "--topo-order",
            f"--format={_LOG_FORMAT}", *extra, "--end-of-options", rev]
    if paths is not None:
        args += ["--", *paths]
    return list(_parse_log(git(repo, *args)))


def first_parent_chain(commits: dict[str, Commit], tip: str) -> list[str]:
    """Main-line commit ids from tip back to the root, following first parents."""
    chain = []
    cur: str | None = tip
    while cur is not None and cur in commits:
        chain.append(cur)
        parents = commits[cur].parents
        cur = parents[0] if parents else None
    return chain


def owners(commits: dict[str, Commit], chain: list[str]) -> dict[str, str]:
    """For every commit, the main-line commit that brought it into main (itself when on the main line).

    Walks from the oldest main commit forward; each main commit owns what its other parents reach
    that no earlier main commit reached. O(number of commits).
    """
    owner: dict[str, str] = {}
    for main in reversed(chain):
        owner[main] = main
        stack = list(commits[main].parents[1:])
        while stack:
            cid = stack.pop()
            if cid in owner or cid not in commits:
                continue
            owner[cid] = main
            stack.extend(commits[cid].parents)
    return owner


# ---------------------------------------------------------------------------------------------
# Objects


class CatFile:
    """One `git cat-file --batch` process for many objects (tens of thousands in well under a second)."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", *_GIT_CONFIG, "cat-file", "--batch"], cwd=repo,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_env())

    def read(self, spec: str) -> tuple[str, str, bytes] | None:
        """(object id, type, content) of an object name such as `<blob>` or `<commit>:<path>`."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode()
        parts = header.split()
        if len(parts) != 3:  # "<spec> missing" / "ambiguous"
            return None
        oid, kind, size = parts
        data = self.proc.stdout.read(int(size))
        self.proc.stdout.read(1)  # the newline after the content
        return oid, kind, data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_objects(repo: Path, specs: list[str]) -> dict[str, bytes | None]:
    """Many objects at once: all requests are written before reading, through one process."""
    if not specs:
        return {}
    payload = "".join(f"{s}\n" for s in specs).encode("utf-8", "surrogateescape")
    out = git(repo, "cat-file", "--batch", input=payload)
    result: dict[str, bytes | None] = {}
    pos = 0
    for spec in specs:
        end = out.index(b"\n", pos)
        parts = out[pos:end].split()
        pos = end + 1
        if len(parts) != 3:
            result[spec] = None
            continue
        size = int(parts[2])
        result[spec] = out[pos:pos + size]
        pos += size + 1
    return result


class TreeEntry(NamedTuple):
    mode: str
    kind: str
    oid: str
    path: str


_LS_TREE_RE = re.compile(r"(\d+) (\w+) ([0-9a-f]+)\t([^\0]*)\0")


def ls_tree(repo: Path, rev: str, *paths: str) -> list[TreeEntry]:
    """Recursive listing of rev's tree (optionally limited to paths); one regex pass over the output."""
    out = git(repo, "ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev, *paths)
    return list(map(TreeEntry._make, _LS_TREE_RE.findall(out.decode("utf-8", "surrogateescape"))))


class GitTree:
    """A `Source` (see sources.py) reading files from one commit's tree: trust roots from a given commit."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = Path(repo)
        commit = rev_parse(self.repo, rev)
        if commit is None:
            raise GitError(["rev-parse", rev], 128, f"unknown revision {rev}")
        self.commit = commit
        self.label = f"{rev} ({commit[:10]})"
        self._entries: dict[str, TreeEntry] | None = None
        self._data: dict[str, bytes | None] = {}

    @property
    def entries(self) -> dict[str, TreeEntry]:
        if self._entries is None:
            self._entries = {e.path: e for e in ls_tree(self.repo, self.commit)}
        return self._entries

    def _entry(self, relpath: str) -> TreeEntry | None:
        if self._entries is not None:
            return self._entries.get(relpath)
        # A few trust-root files need no listing of a 50,000-file tree.
        found = [e for e in ls_tree(self.repo, self.commit, relpath) if e.path == relpath]
        return found[0] if found else None

    def read(self, relpath: str) -> bytes | None:
        if relpath not in self._data:
            entry = self._entry(relpath)
            if entry is None or entry.kind != "blob" or entry.mode == "120000":
                self._data[relpath] = None
            else:
                self._data[relpath] = read_objects(self.repo, [entry.oid])[entry.oid]
        return self._data[relpath]

    def prefetch(self, relpaths: Iterable[str]) -> None:
        """Read many files through one cat-file process."""
        wanted = {p: self.entries[p].oid for p in relpaths
                  if p in self.entries and p not in self._data and self.entries[p].kind == "blob"}
        objs = read_objects(self.repo, sorted(set(wanted.values())))
        for p, oid in wanted.items():
            self._data[p] = objs.get(oid)

    def blob(self, relpath: str) -> str | None:
        entry = self.entries.get(relpath)
        return entry.oid if entry else None

    def list_reports(self) -> list[str]:
        return sorted(p for p, e in self.entries.items() if p.startswith(REPORTS_PREFIX) and e.kind == "blob")
