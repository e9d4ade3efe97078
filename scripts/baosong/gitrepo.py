"""Git plumbing over the git CLI: one parsed `git log` pass, many objects through one `cat-file --batch`.

Everything the trust stages need from git is read here and returned as plain records. Report content
and trust roots are always read from git objects (a given commit's tree), never from the working
tree, so a pull request cannot influence how it is judged by editing files outside git.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
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


class RevisionError(GitError):
    """A revision names no commit (rule `rev-unknown`) or could name several (`rev-ambiguous`).

    `stderr` (and `message`) is a Chinese sentence for users; `candidates` lists what an ambiguous
    name could mean."""

    def __init__(self, rev: str, rule: str, message: str, candidates: Iterable[str] = ()) -> None:
        super().__init__(["rev-parse", rev], 128, message)
        self.rev = rev
        self.rule = rule
        self.message = message
        self.candidates = list(candidates)


_HEX_RE = re.compile(r"[0-9a-f]{4,64}")
_FULL_ID_LENGTHS = (40, 64)  # SHA-1 and SHA-256 repositories
# Pseudo-refs live in the git directory, where no push can write; git looks there first.
_PSEUDO_REF_RE = re.compile(r"(?:[A-Z]+_)*HEAD")
_REV_SUFFIX_RE = re.compile(r"(.*?)((?:[~^][0-9]*)*)", re.S)


def shown(text: str) -> str:
    """A name from the command line or a branch, safe to print: control characters escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
                   for c in text)


def dwim_candidates(name: str) -> list[str]:
    """The refs git would try for a short name, in git's order (git-rev-parse(1), SPECIFYING REVISIONS)."""
    return [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}", f"refs/remotes/{name}",
            f"refs/remotes/{name}/HEAD"]


def _existing_refs(repo: Path, refs: list[str]) -> dict[str, str]:
    """{ref: object id} for those of `refs` that exist, matched exactly (never git's guessing)."""
    out = git(repo, "for-each-ref", "--format=%(refname)%00%(objectname)", *refs)
    wanted = set(refs)
    found: dict[str, str] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        ref, _, oid = line.partition("\0")
        if ref in wanted and oid:
            found[ref] = oid
    return found


def _peel_commit(repo: Path, oid: str, suffix: str = "") -> str | None:
    """The commit a full object id (plus `~n`/`^n` steps) names; a full id is never read as a ref name."""
    out = git(repo, "rev-parse", "-q", "--verify", "--end-of-options", f"{oid}{suffix}^{{commit}}", check=False)
    return out.decode().strip() or None


def resolve_commit(repo: Path, rev: str) -> str:
    """The commit a revision from a user names, without letting anyone plant a look-alike name.

    Accepted: a fully qualified ref (`refs/remotes/origin/main`), a full commit id, an abbreviated
    commit id or a short name (`main`, `origin/main`) when exactly one thing carries it (of git's
    candidates refs/NAME, refs/tags/NAME, refs/heads/NAME, refs/remotes/NAME, refs/remotes/NAME/HEAD
    and, for a hex name, the commits whose id starts with it), or a pseudo-ref such as HEAD, read
    from the git directory only. Each may end in `~n` / `^n` steps. git itself would silently prefer
    a tag `origin/main` over the branch `refs/remotes/origin/main`; here that is an ambiguity.
    Raises RevisionError (rule `rev-unknown` or `rev-ambiguous`).
    """
    repo = Path(repo)
    name, suffix = _REV_SUFFIX_RE.fullmatch(rev).groups()  # type: ignore[union-attr]  # matches any text

    def unknown() -> RevisionError:
        return RevisionError(rev, "rev-unknown", f"找不到版本“{shown(rev)}”。")

    if not name or name.startswith("-") or "\0" in name:
        raise unknown()
    if _PSEUDO_REF_RE.fullmatch(name):
        if not (repo / git_text(repo, "rev-parse", "--git-path", name)).is_file():
            raise unknown()
        commit = _peel_commit(repo, name, suffix)  # git reads $GIT_DIR/NAME before any ref
    elif name.startswith("refs/"):
        found = _existing_refs(repo, [name])
        commit = _peel_commit(repo, found[name], suffix) if name in found else None
    elif _HEX_RE.fullmatch(name) and len(name) in _FULL_ID_LENGTHS:
        commit = _peel_commit(repo, name, suffix)  # a full id names its object, as in git
    else:
        refs = _existing_refs(repo, dwim_candidates(name))
        commits: list[str] = []
        if _HEX_RE.fullmatch(name):
            objects = git_text(repo, "rev-parse", f"--disambiguate={name}", check=False).split()
            commits = sorted({c for oid in objects if (c := _peel_commit(repo, oid))})
        candidates = [*sorted(refs, key=dwim_candidates(name).index), *(f"提交 {c}" for c in commits)]
        if len(candidates) > 1:
            raise RevisionError(rev, "rev-ambiguous",
                                f"版本“{shown(rev)}”有歧义，可能指：{'、'.join(shown(c) for c in candidates)}。"
                                "同名的标签或分支可能是别人推送的，不能替您选择；请写完整的引用名（如 "
                                "refs/remotes/origin/main）或完整的提交编号（commit id）。", candidates)
        if refs:
            commit = _peel_commit(repo, next(iter(refs.values())), suffix)
        else:
            commit = _peel_commit(repo, commits[0], suffix) if commits else None
    if commit is None:
        raise unknown()
    return commit


def rev_parse(repo: Path, rev: str) -> str | None:
    """The commit a revision names, or None when there is none; RevisionError when it is ambiguous.

    Resolved by resolve_commit, so every command option that takes a revision refuses names that a
    pushed tag or branch could hijack."""
    try:
        return resolve_commit(repo, rev)
    except RevisionError as exc:
        if exc.rule == "rev-unknown":
            return None
        raise


def ref_value(repo: Path, ref: str) -> str | None:
    """The id a ref points at (no peeling), or None when the ref does not exist."""
    text = git(repo, "rev-parse", "-q", "--verify", ref, check=False).decode().strip()
    return text or None


def ref_values(repo: Path, refs: list[str], peel: set[str] | frozenset[str] = frozenset()) -> dict[str, str | None]:
    """{ref: object id or None} of fully qualified refs, matched exactly, with one `for-each-ref`;
    the refs in `peel` give the commit they name (as rev_parse would), the others the id they hold."""
    out = git(repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)", *refs)
    found: dict[str, str | None] = dict.fromkeys(refs)
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        ref, oid, kind = (line.split("\0") + ["", ""])[:3]
        if ref in found and oid:
            found[ref] = oid if ref not in peel or kind == "commit" else _peel_commit(repo, oid)
    return found


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
    return list(_parse_log(git(repo, *_log_args(rev, extra, paths, merges))))


def _log_args(rev: str, extra: tuple[str, ...], paths: Iterable[str] | None, merges: bool) -> list[str]:
    diff_merges = "--diff-merges=first-parent" if merges else "--diff-merges=off"
    args = ["log", "--raw", "--no-abbrev", "-z", "--no-renames", diff_merges, "--topo-order",
            f"--format={_LOG_FORMAT}", *extra, "--end-of-options", rev]
    if paths is not None:
        args += ["--", *paths]
    return args


class BackgroundLog:
    """`log(repo, rev, merges=...)` started on entering the block and collected by `result()`: git works
    on another core while this process does something else (a cold register judges its blobs
    meanwhile). git writes into a temporary file, so no thread runs here (forked workers stay safe)
    and no pipe fills up. Call `result()` inside the block; leaving it by an exception ends git."""

    def __init__(self, repo: Path, rev: str, *, merges: bool = True) -> None:
        self.repo, self.args = Path(repo), _log_args(rev, (), None, merges)
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> BackgroundLog:
        self._out, self._err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self._proc = subprocess.Popen(["git", *_GIT_CONFIG, *self.args], cwd=self.repo, stdin=subprocess.DEVNULL,
                                      stdout=self._out, stderr=self._err, env=_env())
        return self

    def running(self) -> bool:
        """git is still working (on a core of its own, as a rule)."""
        return self._proc is not None and self._proc.poll() is None

    def result(self) -> list[Commit]:
        """The commits, as `log` returns them; GitError when git failed."""
        assert self._proc is not None, "call result() inside the with block"
        rc = self._proc.wait()
        self._out.seek(0)
        out = self._out.read()
        if rc != 0:
            self._err.seek(0)
            raise GitError(self.args, rc, self._err.read().decode("utf-8", "replace"))
        return list(_parse_log(out))

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None and exc[0] is not None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.wait()
        self._out.close()
        self._err.close()


def parent_changes(repo: Path, rev: str) -> dict[str, list[list[Change]]]:
    """For every commit reachable from rev: its changes against each parent it differs from.

    A merge gets one list per parent whose tree differs (git prints no diff for an identical parent);
    a root commit one list against the empty tree. This is what "which commit produced this content"
    needs: a first-parent diff hides what a merge kept from one side or added itself.
    """
    out: dict[str, list[list[Change]]] = {}
    for chunk in _parse_log(git(repo, "log", "--raw", "--no-abbrev", "-z", "--no-renames", "--root",
                                "--diff-merges=separate", f"--format={_LOG_FORMAT}", "--end-of-options", rev)):
        out.setdefault(chunk.id, []).append(chunk.changes)
    return out


def merge_tree(repo: Path, base: str, head: str) -> tuple[str, list[str]]:
    """(tree id, conflicted paths) of merging head into base, computed without a work tree or index.

    The tree object is written to the object store (git merge-tree --write-tree, git >= 2.38)."""
    proc = subprocess.run(["git", *_GIT_CONFIG, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages",
                           base, head], cwd=repo, capture_output=True, env=_env())
    if proc.returncode not in (0, 1):
        raise GitError(["merge-tree", "--write-tree", base, head], proc.returncode,
                       proc.stderr.decode("utf-8", "replace"))
    tree, *rest = proc.stdout.split(b"\0")
    conflicts = sorted({p.decode("utf-8", "surrogateescape") for p in rest if p}) if proc.returncode == 1 else []
    return tree.decode().strip(), conflicts


@dataclass(frozen=True, slots=True)
class RefUpdate:
    """One line of git's pre-/post-receive input: old and new object ids and the ref name."""

    old: str
    new: str
    ref: str

    @property
    def created(self) -> bool:
        return set(self.old) == {"0"}  # SHA-1 or SHA-256 null id

    @property
    def deleted(self) -> bool:
        return set(self.new) == {"0"}


def parse_ref_updates(text: str) -> list[RefUpdate]:
    """git's hook input: one "<old> <new> <ref>" per line."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append(RefUpdate(*parts))
    return out


def log_between(repo: Path, include: Iterable[str], exclude: Iterable[str], *extra: str,
                paths: Iterable[str] | None = None) -> list[Commit]:
    """`git log --raw` of the commits reachable from `include` and from none of `exclude`, newest first.

    The revisions go through stdin (a forge may have thousands of refs); merges are diffed against
    their first parent.
    """
    revs = "".join(f"{r}\n" for r in include) + "".join(f"^{r}\n" for r in exclude)  # no --not on stdin before git 2.42
    args = ["log", "--raw", "--no-abbrev", "-z", "--no-renames", "--diff-merges=first-parent", "--topo-order",
            f"--format={_LOG_FORMAT}", *extra, "--stdin"]
    if paths is not None:
        args += ["--", *paths]
    return list(_parse_log(git(repo, *args, input=revs.encode())))


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

    def read_many(self, specs: Iterable[str]) -> dict[str, bytes | None]:
        """{spec: content or None}, like read_objects but through this process (one request at a
        time: a long batch written ahead could fill both pipes)."""
        out: dict[str, bytes | None] = {}
        for spec in specs:
            found = self.read(spec)
            out[spec] = found[2] if found is not None else None
        return out

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_objects(repo: Path, specs: list[str], reader: CatFile | None = None) -> dict[str, bytes | None]:
    """Many objects at once: all requests are written before reading, through one process (reader's
    when given: a command that reads a few objects at several steps starts one cat-file, not one each)."""
    if not specs:
        return {}
    if reader is not None:
        return reader.read_many(specs)
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

    @classmethod
    def of_tree(cls, repo: Path, tree: str, label: str) -> GitTree:
        """A tree that is no commit's (such as the result of merge_tree); `commit` then holds the tree id."""
        self = cls.__new__(cls)
        self.repo, self.commit, self.label = Path(repo), tree, label
        self._entries, self._data = None, {}
        return self

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


def write_objects(repo: Path, blobs: list[bytes], kind: str = "blob") -> list[str]:
    """Write many objects of one kind with one `git hash-object -w --stdin-paths`."""
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="baosong-objects-") as tmp:
        paths = []
        for i, data in enumerate(blobs):
            p = Path(tmp) / str(i)
            p.write_bytes(data)
            paths.append(str(p))
        out = git(repo, "hash-object", "-w", "-t", kind, "--no-filters", "--stdin-paths",
                  input="\n".join(paths).encode() + b"\n")
    return out.decode().split()


def tree_entries(raw: bytes, width: int = 20) -> dict[bytes, tuple[bytes, bytes]]:
    """A raw git tree object: name -> (mode, binary object id); width: the id's bytes (20 for SHA-1,
    32 in a SHA-256 repository)."""
    out = {}
    i = 0
    while i < len(raw):
        sp = raw.index(b" ", i)
        nul = raw.index(b"\0", sp)
        out[raw[sp + 1:nul]] = (raw[i:sp], raw[nul + 1:nul + 1 + width])
        i = nul + 1 + width
    return out


def tree_bytes(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """A raw tree object, entries in git's order (a directory sorts as if its name ended in '/')."""
    order = sorted(entries, key=lambda name: name + (b"/" if entries[name][0] == b"40000" else b""))
    return b"".join(entries[n][0] + b" " + n + b"\0" + entries[n][1] for n in order)
