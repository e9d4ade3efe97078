"""Where registry files come from: the working tree (an officer's local check) or a git tree (CI).

Both give bytes by repository-relative POSIX path, so every later stage is the same.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol


def blob_id(data: bytes) -> str:
    """Git's blob id, so cache keys agree with what git stores."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


class Source(Protocol):
    label: str

    def read(self, relpath: str) -> bytes | None: ...

    def list_reports(self) -> list[str]: ...


class WorkTree:
    """Files as they are on disk under a registry root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)

    def read(self, relpath: str) -> bytes | None:
        try:
            return (self.root / relpath).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def list_reports(self) -> list[str]:
        base = self.root / "reports"
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = Path(dirpath).relative_to(self.root).as_posix()
            out.extend(f"{rel}/{name}" for name in filenames if not name.startswith("."))
        return sorted(out)

