"""Git objects without forking git: one pack written here, indexed by one `git index-pack`.

Blobs and commits go in whole; trees go in as deltas of their previous version (a report adds one
entry to a directory of up to thousands, so a full copy per commit would cost gigabytes); delta
chains are capped at 50 like git's own packing.
"""

from __future__ import annotations

import bisect
import hashlib
import struct
import subprocess
import tempfile
import zlib
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from baosong.demo.world import DemoError
from baosong.sshsig import SshKey


def object_id(kind: bytes, data: bytes) -> str:
    return hashlib.sha1(kind + b" %d\0" % len(data) + data).hexdigest()


OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_OFS_DELTA = 1, 2, 3, 6
MAX_DELTA_DEPTH = 50  # as git's own packing: bounded chains keep reading HEAD's trees fast


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _copy_op(offset: int, size: int) -> bytes:
    op, args = 0x80, bytearray()
    for i in range(4):
        if (offset >> (8 * i)) & 0xFF:
            op |= 1 << i
            args.append((offset >> (8 * i)) & 0xFF)
    for i in range(3):
        if (size >> (8 * i)) & 0xFF:
            op |= 1 << (4 + i)
            args.append((size >> (8 * i)) & 0xFF)
    return bytes([op]) + bytes(args)


def _delta(old_len: int, new: bytes, prefix: int, suffix: int) -> bytes:
    """A git delta from a base that shares `prefix` leading and `suffix` trailing bytes with `new`."""
    ops = [_varint(old_len), _varint(len(new))]
    if prefix:
        ops.append(_copy_op(0, prefix))
    middle = new[prefix:len(new) - suffix]
    for i in range(0, len(middle), 127):
        chunk = middle[i:i + 127]
        ops.append(bytes([len(chunk)]) + chunk)
    if suffix:
        ops.append(_copy_op(old_len - suffix, suffix))
    return b"".join(ops)


def _deflate(data: bytes) -> bytes:
    """zlib with a window sized to the object: most objects are ~1 KB, and zlib.compress sets up a
    32 KB window and a 256 KB hash per call, which cost several times the compression itself."""
    wbits = min(15, max(9, len(data).bit_length()))
    c = zlib.compressobj(1, zlib.DEFLATED, wbits, 1 if wbits < 13 else 8)
    return c.compress(data) + c.flush()


class Pack:
    """Objects appended to one pack (trees as deltas of their previous version), indexed by `git index-pack`."""

    def __init__(self) -> None:
        self.body = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        self.offset = 12  # after the header, written at the end when the count is known
        self.count = 0

    def _put(self, kind: int, size: int, payload: bytes, extra: bytes = b"") -> int:
        header = bytearray([(kind << 4) | (size & 0x0F)])
        size >>= 4
        while size:
            header[-1] |= 0x80
            header.append(size & 0x7F)
            size >>= 7
        start = self.offset
        data = bytes(header) + extra + _deflate(payload)
        self.body.write(data)
        self.offset += len(data)
        self.count += 1
        return start

    def add(self, kind: int, data: bytes) -> tuple[str, int]:
        """(object id, pack offset) of a whole object."""
        name = {OBJ_COMMIT: b"commit", OBJ_TREE: b"tree", OBJ_BLOB: b"blob"}[kind]
        return object_id(name, data), self._put(kind, len(data), data)

    def add_delta(self, base_offset: int, delta: bytes) -> int:
        distance = self.offset - base_offset
        enc = bytearray([distance & 0x7F])
        distance >>= 7
        while distance:
            distance -= 1
            enc.insert(0, 0x80 | (distance & 0x7F))
            distance >>= 7
        return self._put(OBJ_OFS_DELTA, len(delta), delta, bytes(enc))

    def finish(self, repo: Path) -> None:
        digest = hashlib.sha1()
        proc = subprocess.Popen(["git", "index-pack", "--stdin"], cwd=repo, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        head = b"PACK" + struct.pack(">II", 2, self.count)
        digest.update(head)
        proc.stdin.write(head)
        self.body.seek(0)
        while chunk := self.body.read(1 << 20):
            digest.update(chunk)
            proc.stdin.write(chunk)
        proc.stdin.write(digest.digest())
        proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        self.body.close()
        if proc.wait() != 0:
            raise DemoError(f"写入 git 对象失败（git index-pack）：{err.decode('utf-8', 'replace')[-300:]}")


class Trees:
    """A tree kept sorted in memory; each flush writes the changed directories, as deltas of their last version."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.names: dict[str, list[bytes]] = {"": []}  # dir -> sort keys (git order: a directory sorts as "name/")
        self.entries: dict[str, list[bytes]] = {"": []}
        self.last: dict[str, tuple[int, int, int]] = {}  # dir -> (length, pack offset, delta depth)
        self.pending: dict[str, dict[bytes, bytes]] = defaultdict(dict)
        self.data: dict[str, bytes] = {}  # dir -> its current tree object

    def set(self, path: str, oid: str, mode: bytes = b"100644") -> None:
        parent, _, name = path.rpartition("/")
        self.pending[parent][name.encode()] = mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid)
        while parent not in self.names:
            self.names[parent], self.entries[parent] = [], []
            parent = parent.rpartition("/")[0]

    def flush(self) -> str:
        """Write every changed directory, deepest first (a parent takes its children's new ids); the root's id."""
        while True:
            d = max(self.pending, key=lambda x: x.count("/") + 1 if x else 0)
            changes = self.pending.pop(d)
            names, entries = self.names[d], self.entries[d]
            i, j = bisect.bisect_left(names, min(changes)), bisect.bisect_right(names, max(changes))
            # Where the unchanged head and tail lie in the previous bytes (an entry holds an object
            # id, so it occurs once): a memory search instead of summing thousands of lengths.
            old = self.data.get(d, b"")
            prefix = old.find(entries[i]) if i < len(entries) else len(old)
            suffix = len(old) - old.find(entries[j]) if j < len(entries) else 0
            for key, entry in changes.items():
                self._put(names, entries, key, entry)
            self.data[d] = data = b"".join(entries)
            oid = self._write(d, data, prefix, suffix)
            if not d:
                return oid
            parent, _, dname = d.rpartition("/")
            self.pending[parent][dname.encode() + b"/"] = b"40000 " + dname.encode() + b"\0" + bytes.fromhex(oid)

    @staticmethod
    def _put(names: list[bytes], entries: list[bytes], key: bytes, entry: bytes) -> None:
        k = bisect.bisect_left(names, key)
        if k < len(names) and names[k] == key:
            entries[k] = entry
        else:
            names.insert(k, key)
            entries.insert(k, entry)

    def _write(self, d: str, data: bytes, prefix: int, suffix: int) -> str:
        last = self.last.get(d)
        if last is None or last[2] >= MAX_DELTA_DEPTH:
            oid, offset = self.pack.add(OBJ_TREE, data)
            self.last[d] = (len(data), offset, 0)
            return oid
        old_len, base, depth = last
        offset = self.pack.add_delta(base, _delta(old_len, data, prefix, min(suffix, len(data) - prefix)))
        self.last[d] = (len(data), offset, depth + 1)
        return object_id(b"tree", data)


def signed_commit(tree: str, parents: list[str], author: str, committer: str, message: str,
                  key: SshKey) -> bytes:
    """A commit object carrying an SSH signature over its own payload in a `gpgsig` header."""
    head = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents) + \
        f"author {author}\ncommitter {committer}\n"
    signature = key.sign((head + "\n" + message).encode())
    gpgsig = "gpgsig " + signature.rstrip("\n").replace("\n", "\n ") + "\n"
    return (head + gpgsig + "\n" + message).encode()


def ident(name: str, email: str, when: datetime) -> str:
    return f"{name} <{email}> {int(when.timestamp())} +0800"
