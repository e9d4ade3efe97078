"""Where registry files come from: the working tree (an officer's local check) or a git tree (CI).

Both give bytes by repository-relative POSIX path, so every later stage is the same.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Protocol


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """Git's blob id, so cache keys agree with what git stores; object_format "sha256" for a repository
    made with `git init --object-format=sha256` (see `object_format_of`)."""
    h = hashlib.new(object_format, b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def object_format_of(oid: str) -> str:
    """The object format an id belongs to: "sha256" for 64 hex digits, else "sha1". Ids of one
    repository share its format, so a blob id tells how to compute the ids next to it."""
    return "sha256" if len(oid) == 64 else "sha1"


class Source(Protocol):
    label: str

    def read(self, relpath: str) -> bytes | None: ...

    def list_reports(self) -> list[str]: ...


# Why a work-tree path is not read; the same rule names as the pull-request check uses for git trees.
SYMLINK_RULE = "report-symlink"
OUTSIDE_RULE = "path-outside-repo"


def repo_relpath(root: Path, path: str | Path) -> str | None:
    """`path` (absolute, or relative to the current directory) as a POSIX path relative to `root`.

    None when it lies outside the registry. Judged on the names, not by resolving links: a link
    inside the registry that points outside is found by `symlink_on_the_way`, and named as such.
    """
    target = os.path.abspath(path)
    for base in dict.fromkeys((os.path.abspath(root), os.path.realpath(root))):
        if target == base:
            return ""
        if target.startswith(base.rstrip(os.sep) + os.sep):
            return Path(os.path.relpath(target, base)).as_posix()
    return None


def symlink_on_the_way(root: Path, relpath: str) -> str | None:
    """The first component of `relpath` under `root` that is a symbolic link (as a relative path), or None.

    Every directory on the way counts: `reports/2026/gaj` linked to /etc makes `reports/2026/gaj/x.yaml`
    a file outside the registry.
    """
    current = str(root)
    parts = [p for p in relpath.split("/") if p]
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return "/".join(parts[: i + 1])
        except OSError:
            return None  # missing: the caller says so when it tries to read
    return None


def symlink_message(link: str, path: str) -> str:
    """The Chinese explanation for a refused link (`link` is the component, `path` the file asked for)."""
    what = "报告文件本身" if link == path else f"路径上的“{link}”"
    return (f"{what}是符号链接，检查不会读取它指向的内容。登记库中的报告必须是普通文件，"
            "不能是符号链接，也不能放在经由符号链接的目录中（拉取请求检查同样拒绝）。"
            "请删除该链接，把报告作为普通文件放在 reports/<年份>/<单位代码>/ 目录下后重新检查。")


def read_no_follow(path: str | Path) -> bytes:
    """A regular file's bytes, refusing (OSError ELOOP) to follow a link in its last component.

    The components before it are checked by `symlink_on_the_way`; O_NOFOLLOW closes the window
    between that check and the open for the file itself.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


class WorkTree:
    """Files as they are on disk under a registry root. Symbolic links are never followed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)
        self.refused: dict[str, str] = {}  # relpath -> the link on the way, for a precise message

    def read(self, relpath: str) -> bytes | None:
        link = symlink_on_the_way(self.root, relpath)
        if link is not None:
            self.refused[relpath] = link
            return None
        try:
            return read_no_follow(self.root / relpath)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError:  # ELOOP: replaced by a link since the check
            self.refused[relpath] = relpath
            return None

    def list_reports(self) -> list[str]:
        """Every file under reports/, and every link (to a file or a directory), which is then refused."""
        base = self.root / "reports"
        if base.is_symlink():
            return ["reports"]
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):  # followlinks=False: a linked dir is listed, not entered
            rel = Path(dirpath).relative_to(self.root).as_posix()
            linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in linked)
            out.extend(f"{rel}/{name}" for name in [*filenames, *linked] if not name.startswith("."))
        return sorted(out)

