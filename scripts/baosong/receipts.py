"""Registry receipts: signed records of when each report blob reached main (`baosong receive` / `verify`).

Store: the ref `refs/baosong/receipts`, an append-only chain of commits. Each `receive` run adds one
commit with `receipts/<blob[:2]>/<blob>.json` (+ `.sig`, the registry's SSH signature, + `.tsr`, an
optional RFC 3161 stamp over the JSON) for every newly accepted blob, and rewrites `checkpoint.json`
(+ `.sig`): the main commit it saw, the (path, blob) pairs it accepted, and the SHA-256 of the
previous checkpoint, so the chain of checkpoints in the ref's history is a signed, hash-linked
append log (see FORMAT.md "Receipts" for why a dedicated ref). The ref is advanced with
compare-and-swap (`git update-ref REF new old`), so concurrent runs retry instead of losing records.

Receipts are written by two writers: `receive` after a merge (`"via": "receive"`) and the server's
post-receive hook / webhook when a push brings a report blob (`"via": "push"`, with the pushed `ref`).
Every writer refuses to append to a store that looks bent (latest checkpoint not signed by the
registry key, tip not fresh, or behind the witness: a small file outside the repository's refs that
remembers the last checkpoint this machine wrote), and updates the witness after each append.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import random
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from baosong.cache import Cache, code_fingerprint
from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import (
    REPORTS_PREFIX,
    ZERO_ID,
    GitError,
    RefUpdate,
    git,
    git_text,
    is_ancestor,
    ls_tree,
    read_objects,
    ref_value,
    rev_parse,
)
from baosong.problems import Problem
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, SigResult, Verifier, sign
from baosong.sources import blob_id
from baosong.timeutil import iso, parse_datetime

RECEIPTS_REF = "refs/baosong/receipts"
CHECKPOINT_FILE = "checkpoint.json"
FORMAT_VERSION = 1
KEY_ENV = "BAOSONG_REGISTRY_KEY"
WITNESS_ENV = "BAOSONG_WITNESS"
WITNESS_FILE = "baosong-witness.json"
_IDENT = {"GIT_AUTHOR_NAME": "baosong registry", "GIT_AUTHOR_EMAIL": "registry@baosong.invalid",
          "GIT_COMMITTER_NAME": "baosong registry", "GIT_COMMITTER_EMAIL": "registry@baosong.invalid"}


def canonical(obj: object) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8, one trailing newline."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def receipt_path(blob: str, ext: str = ".json") -> str:
    return f"receipts/{blob[:2]}/{blob}{ext}"


def store_label(path: str) -> str:
    """How findings name a file in the store."""
    return f"{RECEIPTS_REF}:{path}"


@dataclass(slots=True)
class Receipt:
    """A receipt as authenticated by the checkpoint chain (what the register uses)."""

    path: str
    blob: str
    oid: str  # git id of the receipt JSON in the store
    received_at: datetime
    tsa_time: datetime | None
    sequence: int  # the checkpoint that accepted it
    via: str = "receive"  # push: written by the server hook when the blob was pushed; receive: after the merge
    ref: str | None = None  # the ref a push receipt's blob was pushed to


@dataclass(slots=True)
class Checkpoint:
    commit: str  # the store commit holding this version of checkpoint.json
    raw: bytes
    sig: bytes | None
    doc: dict

    @property
    def sequence(self) -> int:
        return int(self.doc.get("sequence", 0))

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def read_checkpoints(repo: Path, tip: str | None = None, *, signatures: bool = True,
                     since: str | None = None) -> list[Checkpoint]:
    """Every version of checkpoint.json in the store's history (after `since`), oldest first.

    signatures=False reads only the latest checkpoint's signature (the others are bound to it by
    their hash links), which halves the objects read on a long store history.
    """
    tip = tip or ref_value(repo, RECEIPTS_REF)
    if tip is None:
        return []
    commits = git_text(repo, "rev-list", "--reverse", "--first-parent", f"{since}..{tip}" if since else tip).split()
    specs = [f"{c}:{CHECKPOINT_FILE}" for c in commits]
    specs += [f"{c}:{CHECKPOINT_FILE}.sig" for c in (commits if signatures else commits[-1:])]
    objs = read_objects(repo, specs)
    out = []
    for c in commits:
        raw = objs.get(f"{c}:{CHECKPOINT_FILE}")
        if raw is not None:
            out.append(_checkpoint(c, raw, objs.get(f"{c}:{CHECKPOINT_FILE}.sig")))
    # Consecutive store commits may carry the same checkpoint version (a commit adding nothing).
    dedup: list[Checkpoint] = []
    for cp in out:
        if dedup and dedup[-1].raw == cp.raw:
            dedup[-1] = cp  # keep the latest commit carrying it (the one whose signature was read)
        else:
            dedup.append(cp)
    return dedup


def latest_checkpoint(repo: Path, tip: str | None) -> Checkpoint | None:
    """The checkpoint at the store's tip (what the next checkpoint links to)."""
    if tip is None:
        return None
    objs = read_objects(repo, [f"{tip}:{CHECKPOINT_FILE}", f"{tip}:{CHECKPOINT_FILE}.sig"])
    raw = objs[f"{tip}:{CHECKPOINT_FILE}"]
    return None if raw is None else _checkpoint(tip, raw, objs[f"{tip}:{CHECKPOINT_FILE}.sig"])


def _checkpoint(commit: str, raw: bytes, sig: bytes | None) -> Checkpoint:
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None  # unreadable: the chain check reports it
    return Checkpoint(commit, raw, sig, doc if isinstance(doc, dict) else {})


def verify_record(verifier: Verifier, raw: bytes, sig: bytes | None, namespace: str, label: str) -> SigResult:
    """A registry signature over a record; only the registry's own principal counts."""
    if sig is None:
        return SigResult(label, "unsigned")
    registry = (verifier.cfg.units_doc.get("registry") or {}).get("principal", "")
    r = verifier.verify_data(raw, sig, None, namespace=namespace, label=label)
    if r.good and r.principal != registry:
        return SigResult(label, "unknown_key", r.principal, key=r.key)
    return r


def chain_problems(checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, str]]:
    """Hash links and sequence numbers of the checkpoint chain; (checkpoint, Chinese finding)."""
    out = []
    prev: Checkpoint | None = None
    for cp in checkpoints:
        want_prev = prev.digest if prev else None
        want_seq = (prev.sequence if prev else 0) + 1
        if cp.doc.get("previous") != want_prev:
            out.append((cp, f"检查点 {cp.sequence} 的 previous 与上一检查点的摘要不符：检查点链被改写或截断。"))
        elif cp.sequence != want_seq:
            out.append((cp, f"检查点序号 {cp.sequence} 不连续（应为 {want_seq}）。"))
        prev = cp
    return out


REPLAY_CACHE = "receipts-replay"
REPLAY_FORMAT = 3  # 3: receipts carry via and ref; 2: JSON in the git directory; 1 was a pickle


def _replay_store(repo: Path, digest: str, enabled: bool = True) -> Cache:
    # The allowed-signers digest is in the fingerprint: the replay was authenticated with those keys.
    code = code_fingerprint("baosong.signatures", "baosong.sshsig", __name__)
    fingerprint = f"{digest}-{code}"
    return Cache(repo, REPLAY_CACHE, version=REPLAY_FORMAT, fingerprint=fingerprint, enabled=enabled)


def _replay_cache(repo: Path, digest: str) -> tuple[str, Checkpoint, dict[str, Receipt]] | None:
    """(store tip, last checkpoint, receipts by blob) of the last replay, None when absent or malformed."""
    return _replay_store(repo, digest).load(_decode_replay)


def _decode_replay(stored: object) -> tuple[str, Checkpoint, dict[str, Receipt]] | None:
    if not isinstance(stored, dict):
        return None
    tip, raw, sig = stored["tip"], base64.b64decode(stored["raw"], validate=True), stored["sig"]
    sig = None if sig is None else base64.b64decode(sig, validate=True)
    receipts = {b: _receipt_from_json(b, r) for b, r in stored["receipts"].items()}
    if not isinstance(tip, str) or None in receipts.values():
        return None  # a replay is one consistent state: any bad part discards all of it
    return tip, _checkpoint(tip, raw, sig), receipts  # type: ignore[return-value]


def _receipt_from_json(blob: str, r: object) -> Receipt | None:
    if not (isinstance(r, list) and len(r) == 7 and all(isinstance(v, str) for v in r[:3])
            and (r[3] is None or isinstance(r[3], str)) and type(r[4]) is int and r[5] in ("push", "receive")
            and (r[6] is None or isinstance(r[6], str))):
        return None
    received, tsa = parse_datetime(r[2]), parse_datetime(r[3])
    if received is None or (r[3] is not None and tsa is None):
        return None
    return Receipt(r[0], blob, r[1], received, tsa, r[4], r[5], r[6])


def _save_replay(repo: Path, digest: str, tip: str, last: Checkpoint, receipts: dict[str, Receipt]) -> None:
    # Times keep their offsets and microseconds (isoformat/fromisoformat round-trip exactly).
    _replay_store(repo, digest).save({
        "tip": tip, "raw": base64.b64encode(last.raw).decode("ascii"),
        "sig": None if last.sig is None else base64.b64encode(last.sig).decode("ascii"),
        "receipts": {b: [r.path, r.oid, r.received_at.isoformat(), r.tsa_time.isoformat() if r.tsa_time else None,
                         r.sequence, r.via, r.ref] for b, r in receipts.items()}})  # a read-only repository replays again


def unsigned_checkpoints(verifier: Verifier, checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, str]]:
    """(checkpoint, status) for every checkpoint whose registry signature does not hold.

    Every checkpoint is verified, not only the latest: a forged, unsigned checkpoint that the
    registry job later chained a signed one onto is bound by the hash links, but was never
    signed by the registry, and its receipts must not be believed (`audit` and `verify`).
    """
    def one(cp: Checkpoint) -> str:
        status = verifier.record_status(cp.raw, cp.sig)
        if status is None:
            status = verify_record(verifier, cp.raw, cp.sig, CHECKPOINT_NAMESPACE, cp.commit).status
        return status

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, checkpoints))
    return [(cp, status) for cp, status in zip(checkpoints, results, strict=True) if status != "good"]


def load_receipts(repo: Path, verifier: Verifier, *, use_cache: bool = True) -> dict[str, Receipt]:
    """Receipts by blob, authenticated through the checkpoint chain (empty when there is no store).

    Only the latest checkpoint's signature is verified; the earlier ones are bound to it by their
    hash links. The replay is cached by store tip and extended with only the new checkpoints when
    the cached tip is an ancestor (the store is append-only). Receipts that no checkpoint lists, or
    a chain that does not verify, are not trusted: the register then falls back to main-line commit
    times (marked as such).
    """
    tip = ref_value(repo, RECEIPTS_REF)
    if tip is None:
        return {}
    cached = _replay_cache(repo, verifier.digest) if use_cache else None
    if cached is not None and cached[0] == tip:
        return cached[2]
    prev: Checkpoint | None = None
    out: dict[str, Receipt] = {}
    since = None
    if cached is not None and is_ancestor(repo, cached[0], tip):
        since, prev, out = cached[0], cached[1], cached[2]
    checkpoints = read_checkpoints(repo, tip, signatures=False, since=since)
    if prev is not None and checkpoints and checkpoints[0].raw == prev.raw:
        checkpoints = checkpoints[1:]  # a store commit that did not write a new checkpoint
    if not checkpoints:
        return out if prev is not None else {}
    if chain_problems(([prev] if prev else []) + checkpoints):
        return {}
    latest = checkpoints[-1]
    status = verifier.record_status(latest.raw, latest.sig)
    if status is None:
        status = verify_record(verifier, latest.raw, latest.sig, CHECKPOINT_NAMESPACE, "checkpoint").status
        verifier.remember_record(latest.raw, latest.sig, status)
    if status != "good":
        return {}
    fresh: list[Receipt] = []
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            path, blob, oid, received, tsa = entry
            when = parse_datetime(received)
            if when is not None and blob not in out:
                out[blob] = Receipt(path, blob, oid, when, parse_datetime(tsa), cp.sequence)
                fresh.append(out[blob])
    _read_via(repo, fresh)
    if use_cache:
        _save_replay(repo, verifier.digest, tip, latest, out)
    return out


def receipt_via(record: dict) -> tuple[str, str | None]:
    """(via, ref) of a receipt record: stores from before push receipts hold only post-merge ones."""
    via = record.get("via")
    ref = record.get("ref")
    return (via if isinstance(via, str) and via else "receive"), (ref if isinstance(ref, str) else None)


def _read_via(repo: Path, receipts: list[Receipt]) -> None:
    """Fill in `via` and `ref` from the receipt JSONs (the checkpoint binds each by its blob id)."""
    if not receipts:
        return
    objs = read_objects(repo, sorted({r.oid for r in receipts}))
    for r in receipts:
        raw = objs.get(r.oid)
        try:
            record = json.loads(raw) if raw is not None else None
        except ValueError:
            record = None
        if isinstance(record, dict):
            r.via, r.ref = receipt_via(record)


def lookup_receipts(repo: Path, verifier: Verifier, blobs: Iterable[str]) -> dict[str, Receipt]:
    """Receipts of a few blobs, each authenticated by its own registry signature (PR mode's look-up:
    no replay of the whole checkpoint chain). A receipt whose signature fails is not returned."""
    tip = ref_value(repo, RECEIPTS_REF)
    wanted = sorted(set(blobs))
    if tip is None or not wanted:
        return {}
    specs = [f"{tip}:{receipt_path(b, ext)}" for b in wanted for ext in (".json", ".json.sig", ".tsr")]
    objs = read_objects(repo, specs)
    out: dict[str, Receipt] = {}
    for b in wanted:
        raw, sig, tsr = (objs[f"{tip}:{receipt_path(b, ext)}"] for ext in (".json", ".json.sig", ".tsr"))
        if raw is None:
            continue
        status = verifier.record_status(raw, sig)
        if status is None:
            status = verify_record(verifier, raw, sig, RECEIPT_NAMESPACE, receipt_path(b)).status
            verifier.remember_record(raw, sig, status)
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        when = parse_datetime(record.get("received_at"))
        if status != "good" or record.get("blob") != b or when is None:
            continue
        stamp_time = None
        tsa_cfg = (verifier.cfg.units_doc.get("registry") or {}).get("tsa") or {}
        if tsr is not None and tsa_cfg.get("cert") and tsa_verify(raw, tsr, tsa_cfg["cert"])[0]:
            stamp_time = tsa_time(tsr)
            stamp_time = stamp_time.astimezone(when.tzinfo) if stamp_time else None
        via, ref = receipt_via(record)
        out[b] = Receipt(record.get("path", ""), b, blob_id(raw), when, stamp_time, 0, via, ref)
    return out


# ---------------------------------------------------------------------------------------------
# RFC 3161 time stamps (openssl ts)


def _openssl(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True)


def tsa_query(data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(data)
        fh.flush()
        proc = _openssl(["ts", "-query", "-data", fh.name, "-sha256", "-cert"])
    if proc.returncode != 0:
        raise OSError(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def tsa_request(query: bytes, tsa: dict) -> bytes:
    """Send a time-stamp query to the configured authority: a command (stdin → stdout) or an HTTP URL."""
    if tsa.get("command"):
        proc = subprocess.run(shlex.split(tsa["command"]), input=query, capture_output=True, timeout=60)
        if proc.returncode != 0 or not proc.stdout:
            raise OSError(proc.stderr.decode("utf-8", "replace").strip() or "time-stamp command failed")
        return proc.stdout
    import urllib.request  # only with a TSA configured: not on every hook run

    req = urllib.request.Request(tsa["url"], data=query, headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (the URL is a trust root)
        return resp.read()


def tsa_verify(data: bytes, reply: bytes, cert_pem: str) -> tuple[bool, str]:
    """openssl ts -verify: the stamp is signed by a TSA certified by cert_pem and covers data."""
    with tempfile.TemporaryDirectory(prefix="baosong-tsa-") as tmp:
        d, r, c = Path(tmp) / "data", Path(tmp) / "reply.tsr", Path(tmp) / "ca.pem"
        d.write_bytes(data)
        r.write_bytes(reply)
        c.write_text(cert_pem)
        proc = _openssl(["ts", "-verify", "-data", str(d), "-in", str(r), "-CAfile", str(c)])
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    return proc.returncode == 0, text.strip()


_TS_RE = re.compile(r"^Time stamp: (\w{3}) +(\d+) (\d\d:\d\d:\d\d)(?:\.\d+)? (\d{4}) GMT$", re.M)


def tsa_time(reply: bytes) -> datetime | None:
    """The genTime of a time-stamp reply."""
    proc = _openssl(["ts", "-reply", "-in", "/dev/stdin", "-text"], reply)
    m = _TS_RE.search(proc.stdout.decode("utf-8", "replace"))
    if proc.returncode != 0 or not m:
        return None
    month, day, hms, year = m.groups()
    return datetime.strptime(f"{month} {day} {hms} {year}", "%b %d %H:%M:%S %Y").replace(tzinfo=UTC)


def stamp(data: bytes, tsa: dict) -> tuple[bytes, datetime]:
    """Obtain and check a stamp over data; the reply is kept only if it verifies against the configured CA."""
    reply = tsa_request(tsa_query(data), tsa)
    ok, text = tsa_verify(data, reply, tsa["cert"])
    when = tsa_time(reply)
    if not ok or when is None:
        raise OSError(f"时间戳服务的回复无法验证：{text}")
    return reply, when


# ---------------------------------------------------------------------------------------------
# receive


@dataclass
class ReceiveResult:
    receipts: list[dict] = field(default_factory=list)  # the new receipt records
    checkpoint: int | None = None  # sequence of the checkpoint written, None when nothing changed
    main_commit: str = ""
    attempts: int = 0
    problems: list[Problem] = field(default_factory=list)


class ReceiveError(RuntimeError):
    """Receive cannot run (no key, key not registered, TSA down...): a Chinese message for the user."""


def _openssh_public_key(text: bytes) -> str | None:
    """The public half of an OpenSSH-format private key file ("type base64"), read from its clear header
    (present even when the key is encrypted); None for other formats."""
    import base64
    import struct

    m = re.search(rb"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", text, re.S)
    try:
        data = base64.b64decode(b"".join(m.group(1).split())) if m else b""
        magic = b"openssh-key-v1\0"
        if not data.startswith(magic):
            return None
        pos = len(magic)
        fields = []
        for _ in range(3):  # cipher, kdf, kdf options
            (n,) = struct.unpack(">I", data[pos:pos + 4])
            fields.append(data[pos + 4:pos + 4 + n])
            pos += 4 + n
        (nkeys,) = struct.unpack(">I", data[pos:pos + 4])
        (n,) = struct.unpack(">I", data[pos + 4:pos + 8])
        blob = data[pos + 8:pos + 8 + n]
        (tn,) = struct.unpack(">I", blob[:4])
        kind = blob[4:4 + tn].decode("ascii")
    except (ValueError, struct.error, UnicodeDecodeError, IndexError):
        return None
    if nkeys != 1 or len(blob) != n or not kind:
        return None
    return f"{kind} {base64.b64encode(blob).decode()}"


def registry_public_key(key_path: Path) -> str:
    """The registry key's public key ("type base64"); ReceiveError when the file cannot be read."""
    try:
        text = Path(key_path).read_bytes()
    except OSError as exc:
        raise ReceiveError(f"无法读取登记系统私钥 {key_path}：{exc.strerror}") from exc
    parsed = _openssh_public_key(text)
    if parsed is not None:
        return parsed  # no ssh-keygen process on every push
    proc = subprocess.run(["ssh-keygen", "-y", "-f", str(key_path)], capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ReceiveError(f"无法读取登记系统私钥 {key_path}：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return " ".join(proc.stdout.decode().split()[:2])


def _write_objects(repo: Path, blobs: list[bytes], kind: str = "blob") -> list[str]:
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


def _tree_entries(raw: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """A raw git tree object: name -> (mode, binary object id)."""
    out = {}
    i = 0
    while i < len(raw):
        sp = raw.index(b" ", i)
        nul = raw.index(b"\0", sp)
        out[raw[sp + 1:nul]] = (raw[i:sp], raw[nul + 1:nul + 21])
        i = nul + 21
    return out


def _tree_bytes(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """A raw tree object, entries in git's order (a directory sorts as if its name ended in '/')."""
    order = sorted(entries, key=lambda name: name + (b"/" if entries[name][0] == b"40000" else b""))
    return b"".join(entries[n][0] + b" " + n + b"\0" + entries[n][1] for n in order)


def _commit_files(repo: Path, old: str | None, files: dict[str, bytes], message: str, now: datetime) -> str:
    """A new store commit: old's tree plus files, with old as parent.

    Only the trees on the paths of the new files are read and rewritten (a handful of objects
    through one cat-file and one hash-object), so the cost does not grow with the store: a store
    of 50,000 receipts has 100,000+ entries, which a temporary index would read and write in full.
    """
    names = sorted(files)
    oids = _write_objects(repo, [files[n] for n in names])
    dirs = {""}
    for name in names:
        parts = name.split("/")[:-1]
        dirs.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
    specs = {d: (f"{old}^{{tree}}" if d == "" else f"{old}:{d}") for d in dirs} if old else {}
    raw = read_objects(repo, sorted(specs.values())) if old else {}
    trees = {d: _tree_entries(raw[specs[d]]) if old and raw.get(specs[d]) is not None else {} for d in dirs}
    for name, oid in zip(names, oids, strict=True):
        folder, _, base = name.rpartition("/")
        trees[folder][base.encode()] = (b"100644", bytes.fromhex(oid))
    contents = []
    for d in sorted(dirs, key=lambda x: (x.count("/") + (1 if x else 0)), reverse=True):  # deepest first
        data = _tree_bytes(trees[d])
        contents.append(data)
        oid = hashlib.sha1(b"tree %d\0" % len(data) + data).digest()
        if d:
            parent, _, base = d.rpartition("/")
            trees[parent][base.encode()] = (b"40000", oid)
    written = _write_objects(repo, contents, "tree")
    tree = written[-1]  # the root, written last
    stamp_env = {**_IDENT, "GIT_AUTHOR_DATE": now.isoformat(), "GIT_COMMITTER_DATE": now.isoformat()}
    args = ["commit-tree", tree, "-m", message]
    if old:
        args += ["-p", old]
    return git(repo, *args, env=stamp_env).decode().strip()


def _existing(repo: Path, store_tip: str | None, blobs: Iterable[str]) -> set[str]:
    """Which blobs already have a receipt in the store at store_tip (one cat-file process)."""
    if store_tip is None:
        return set()
    wanted = sorted(set(blobs))
    found = read_objects(repo, [f"{store_tip}:{receipt_path(b)}" for b in wanted])
    return {b for b in wanted if found.get(f"{store_tip}:{receipt_path(b)}") is not None}


def _make_receipt(intro, sig: SigResult, registry: dict, tsa: dict | None, now: datetime, key_path: Path,
                  via: str = "receive", ref: str | None = None) -> tuple[bytes, bytes, bytes | None, dict]:
    """(receipt JSON, its signature, TSA reply or None, the record) for one blob at one path.

    via: "receive" (post-merge job; main_commit is the main-line commit that brought the blob in) or
    "push" (server hook / webhook; ref is the pushed ref, main_commit its new tip)."""
    record = {"format": FORMAT_VERSION, "kind": "receipt", "path": intro.path, "blob": intro.blob,
              "commit": intro.commit, "main_commit": intro.main_commit, "signer": sig.staff,
              "principal": sig.principal, "key": sig.key, "signature": sig.status,
              "received_at": iso(now), "registry": registry.get("principal"), "via": via}
    if ref is not None:
        record["ref"] = ref
    data = canonical(record)
    tsr = None
    if tsa:
        tsr, when = stamp(data, tsa)
        record["tsa_time"] = iso(when.astimezone(now.tzinfo))  # not in the signed bytes: the stamp itself proves it
    return data, sign(data, key_path, RECEIPT_NAMESPACE), tsr, record


@contextlib.contextmanager
def _receive_lock(repo: Path, git_dir: Path | None = None) -> Iterator[None]:
    """Serialise receive runs on one machine, so concurrent runs do not all sign the same receipts.

    Only an optimisation: correctness comes from the compare-and-swap on the ref, which also holds
    across machines; without fcntl (Windows) runs simply race and retry.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock = (git_dir or Path(git_text(repo, "rev-parse", "--absolute-git-dir"))) / "baosong-receive.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_registry_key(cfg: Config, key_path: Path) -> dict:
    registry = cfg.units_doc.get("registry") or {}
    pub = registry_public_key(key_path)
    if pub not in {" ".join(k.split()[:2]) for k in registry.get("keys") or []}:
        raise ReceiveError(f"登记系统私钥 {key_path} 的公钥未登记在 {UNITS_PATH} 的 registry.keys 中，"
                           "用它签署的回执将无法验证。请先登记公钥：" + pub)
    return registry


def _store_commit(repo: Path, old: str | None, last: Checkpoint | None, tip: str, todo: dict, signed: dict,
                  registry: dict, now: datetime, key_path: Path, via: str = "receive",
                  refs: list[str] | None = None) -> tuple[str, dict, bytes]:
    """The next store commit: the new receipts and a checkpoint linked to the last one."""
    files: dict[str, bytes] = {}
    added = []
    for path in sorted(todo):
        blob = todo[path].blob
        data, sig, tsr, record = signed[blob]
        files[receipt_path(blob)] = data
        files[receipt_path(blob, ".json.sig")] = sig
        if tsr is not None:
            files[receipt_path(blob, ".tsr")] = tsr
        added.append([path, blob, blob_id(data), record["received_at"], record.get("tsa_time")])
    checkpoint = {"format": FORMAT_VERSION, "kind": "checkpoint", "sequence": (last.sequence if last else 0) + 1,
                  "previous": last.digest if last else None, "main_commit": tip, "created_at": iso(now),
                  "registry": registry.get("principal"), "added": added,
                  "accepted_count": int(last.doc.get("accepted_count", 0) if last else 0) + len(added),
                  "via": via}
    if refs is not None:
        checkpoint["refs"] = refs
    raw = canonical(checkpoint)
    files[CHECKPOINT_FILE] = raw
    files[CHECKPOINT_FILE + ".sig"] = sign(raw, key_path, CHECKPOINT_NAMESPACE)
    message = f"{via}: {len(added)} receipt(s), checkpoint {checkpoint['sequence']} at {tip[:10]}"
    return _commit_files(repo, old, files, message, now), checkpoint, files[CHECKPOINT_FILE + ".sig"]


# ---------------------------------------------------------------------------------------------
# The witness: the last checkpoint this machine wrote, kept outside the refs


class WitnessError(ReceiveError, ValueError):
    """The witness file exists but cannot be read: a Chinese message naming the file (a ValueError too,
    which the audit side catches as "damaged")."""


def witness_path(repo: Path, explicit: Path | None = None, common_dir: Path | None = None) -> Path:
    """--witness FILE, else $BAOSONG_WITNESS, else <git-common-dir>/baosong-witness.json."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(WITNESS_ENV):
        return Path(os.environ[WITNESS_ENV])
    common = common_dir or Path(git_text(Path(repo), "rev-parse", "--git-common-dir"))
    return (Path(repo) / common).resolve() / WITNESS_FILE


def read_witness(path: Path) -> dict | None:
    """The witness as written by write_witness, or None when there is none yet.

    Raises WitnessError when the file exists but is not a witness (damaged, or written by hand)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WitnessError(f"无法读取见证文件 {path}：{exc}") from exc
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise WitnessError(f"见证文件 {path} 不是有效的 JSON（{exc}）。请从备份恢复，或核实回执库无误后删除它。") from exc
    ok = (isinstance(doc, dict) and doc.get("ref") == RECEIPTS_REF and isinstance(doc.get("commit"), str)
          and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", doc["commit"]) is not None
          and isinstance(doc.get("sequence"), int) and isinstance(doc.get("digest"), str))
    if not ok:
        raise WitnessError(f"见证文件 {path} 缺少字段 ref、commit、sequence 或 digest，或其值无效。"
                           "请从备份恢复，或核实回执库无误后删除它。")
    return doc


def write_witness(path: Path, commit: str, sequence: int, digest: str, at: datetime) -> None:
    """Atomically replace the witness (a temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"ref": RECEIPTS_REF, "commit": commit, "sequence": sequence, "digest": digest, "at": iso(at)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".baosong-witness-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _advance_witness(path: Path, commit: str, checkpoint: dict, now: datetime) -> None:
    """Record the checkpoint just written, unless the witness already knows a later one."""
    current = read_witness(path)
    if current is None or current["sequence"] < checkpoint["sequence"]:
        write_witness(path, commit, checkpoint["sequence"], hashlib.sha256(canonical(checkpoint)).hexdigest(), now)


class StoreBentError(ReceiveError):
    """The store was deleted, rewound or extended by someone other than the registry: nothing is written."""


_RESTORE_HINT = ("请勿继续登记：先查明原因，从登记服务器或备份恢复回执库（git update-ref {ref} <提交>），"
                 "核对无误后再运行。")


_UNREAD = object()


def guard_store(repo: Path, verifier: Verifier, tip: str | None, last: Checkpoint | None,
                witness: dict | None, witness_file: Path, parent_checkpoint: object = _UNREAD) -> None:
    """Refuse to append to a store that is missing, rewound, or extended without the registry key.

    Appending to a bent store would re-stamp reports at "now" (store deleted or rewound) or sign a
    forged checkpoint into the chain. Checks: the store exists if the witness says it did; its tip is
    the witness's commit or a descendant whose checkpoints chain from the witness's checkpoint; the
    tip commit carries a checkpoint of its own (every writer writes one per commit: a tip that only
    deletes or edits receipt files is not a writer's); that checkpoint is signed by the registry key.
    """
    hint = _RESTORE_HINT.format(ref=RECEIPTS_REF)
    if tip is None:
        if witness is not None:
            raise StoreBentError(
                f"回执库 {RECEIPTS_REF} 不存在，但见证文件 {witness_file} 记载它已写到检查点 {witness['sequence']}"
                f"（提交 {witness['commit'][:12]}）：回执库被删除（例如从普通克隆执行了 git push --mirror）。"
                f"若继续登记，所有报告都会被记为现在才送达。{hint}")
        return
    if last is None:
        raise StoreBentError(f"回执库 {RECEIPTS_REF} 的最新提交 {tip[:12]} 中没有 {CHECKPOINT_FILE}：它不是登记系统写入的。{hint}")
    if witness is not None and witness["commit"] != tip:
        try:
            ahead = is_ancestor(repo, witness["commit"], tip)
        except GitError:
            ahead = False  # the witness's commit is gone from the repository
        if not ahead:
            raise StoreBentError(
                f"回执库 {RECEIPTS_REF} 落后于见证文件 {witness_file}：见证记载检查点 {witness['sequence']}"
                f"（提交 {witness['commit'][:12]}），而回执库现在指向 {tip[:12]}（检查点 {last.sequence}），"
                f"不是其后续：回执库被回退或替换。{hint}")
        prev_digest, prev_seq = witness["digest"], witness["sequence"]
        for cp in read_checkpoints(repo, tip, signatures=False, since=witness["commit"]):
            if cp.digest == prev_digest:
                continue
            if cp.doc.get("previous") != prev_digest or cp.sequence != prev_seq + 1:
                raise StoreBentError(
                    f"回执库 {RECEIPTS_REF} 在见证的检查点 {witness['sequence']} 之后的检查点 {cp.sequence}"
                    f"（提交 {cp.commit[:12]}）没有接续上一检查点的摘要：检查点链被改写。{hint}")
            prev_digest, prev_seq = cp.digest, cp.sequence
    if parent_checkpoint is _UNREAD:  # the tip's first parent's checkpoint.json (None: no parent, or none there)
        parent_checkpoint = read_objects(repo, [f"{tip}^:{CHECKPOINT_FILE}"])[f"{tip}^:{CHECKPOINT_FILE}"]
    if parent_checkpoint is not None and parent_checkpoint == last.raw:
        raise StoreBentError(
            f"回执库 {RECEIPTS_REF} 的最新提交 {tip[:12]} 没有写入新的检查点（登记系统每次写入都会写检查点）："
            f"它是别人追加的，可能删改了回执。{hint}")
    status = verifier.record_status(last.raw, last.sig)
    if status is None:
        status = verify_record(verifier, last.raw, last.sig, CHECKPOINT_NAMESPACE, CHECKPOINT_FILE).status
        verifier.remember_record(last.raw, last.sig, status)
    if status != "good":
        raise StoreBentError(
            f"回执库 {RECEIPTS_REF} 最新的检查点 {last.sequence}（提交 {tip[:12]}）没有登记系统密钥的有效签名"
            f"（{status}）：可能是伪造的检查点。在它之后追加会把伪造内容签入检查点链。{hint}")
    if witness is not None and last.sequence < witness["sequence"]:
        raise StoreBentError(f"回执库的检查点 {last.sequence} 早于见证文件 {witness_file} 记载的检查点 "
                             f"{witness['sequence']}：回执库被回退。{hint}")


# ---------------------------------------------------------------------------------------------
# receive (post-merge) and push receipts (server hook, webhook)


def _append(repo: Path, cfg: Config, key_path: Path, now: datetime, witness: Path | None, use_cache: bool,
            lock: bool, max_attempts: int,
            build: Callable[[str | None, Checkpoint | None, Verifier], tuple[str, dict, list[dict], bytes] | None],
            ) -> tuple[str, dict, list[dict], int] | None:
    """The writers' common loop: guard the store, build the next store commit, compare-and-swap.

    build(old tip, last checkpoint, verifier) returns (new commit, checkpoint, receipt records, the
    checkpoint's signature), or None when there is nothing to write. Returns (commit, checkpoint, records, attempts) or None.
    """
    git_dir, common_dir = (Path(x) for x in git_text(repo, "rev-parse", "--absolute-git-dir",
                                                         "--git-common-dir").splitlines())
    wfile = witness_path(repo, witness, common_dir)
    with _receive_lock(repo, git_dir) if lock else contextlib.nullcontext(), \
            Verifier(cfg, repo, use_cache=use_cache) as verifier:
        for attempt in range(1, max_attempts + 1):
            old = ref_value(repo, RECEIPTS_REF)
            last, parent_raw = None, None
            if old is not None:
                specs = [f"{old}:{CHECKPOINT_FILE}", f"{old}:{CHECKPOINT_FILE}.sig", f"{old}^:{CHECKPOINT_FILE}"]
                objs = read_objects(repo, specs)
                if objs[specs[0]] is not None:
                    last = _checkpoint(old, objs[specs[0]], objs[specs[1]])
                parent_raw = objs[specs[2]]
            guard_store(repo, verifier, old, last, read_witness(wfile), wfile, parent_raw)
            built = build(old, last, verifier)
            if built is None:
                return None
            new, checkpoint, records, checkpoint_sig = built
            try:
                git(repo, "update-ref", "-m", f"baosong {checkpoint.get('via', 'receive')}", RECEIPTS_REF, new,
                    old or ZERO_ID)
            except GitError:
                time.sleep(random.uniform(0.01, 0.05 * min(attempt, 10)))  # another writer moved the ref: retry
                continue
            _advance_witness(wfile, new, checkpoint, now)
            # Signed here with a key just checked against registry.keys: the next append need not
            # run ssh-keygen to verify it again.
            verifier.remember_record(canonical(checkpoint), checkpoint_sig, "good")
            return new, checkpoint, records, attempt
    raise ReceiveError(f"回执库 {RECEIPTS_REF} 持续被其他进程更新，{max_attempts} 次尝试后仍未写入，请稍后重试。")


def _sign_missing(cfg: Config, repo: Path, verifier: Verifier, missing: list, registry: dict, now: datetime,
                  key_path: Path, signed: dict, via: str, refs: dict[str, str] | None = None) -> None:
    """Receipts for blobs not signed yet in this run (kept across compare-and-swap retries)."""
    from baosong.history import report_unit, unit_check

    if not missing:
        return
    sigs = verifier.verify_commits(repo, [(i.commit, now, i.claimed_time) for i in missing])
    make = partial(_make_receipt, registry=registry, tsa=registry.get("tsa"), now=now, key_path=key_path, via=via)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        made = pool.map(lambda i: make(i, unit_check(sigs[i.commit], report_unit(i.path)),
                                       ref=(refs or {}).get(i.blob)), missing)
        signed.update((i.blob, rec) for i, rec in zip(missing, made, strict=True))


def receive(repo: Path, key_path: Path, now: datetime, rev: str = "HEAD", *, cfg: Config | None = None,
            max_attempts: int = 200, use_cache: bool = True, lock: bool = True,
            witness: Path | None = None) -> ReceiveResult:
    """Record a receipt for every report blob on main (rev) that has none, then a checkpoint.

    Safe to run concurrently: the store ref is only moved from the value this run started from;
    a run that loses the race re-reads the store and retries (receipts already signed are reused).
    Refuses (StoreBentError) to append to a bent store; see guard_store.
    """
    from baosong.config import load_config
    from baosong.gitrepo import GitTree, rev_parse
    from baosong.history import is_report, main_reports

    repo = Path(repo)
    result = ReceiveResult()
    if rev_parse(repo, rev) is None:
        raise ReceiveError(f"找不到主分支 {rev}。")
    cfg = cfg or load_config(GitTree(repo, rev))
    if not cfg.ok:
        result.problems = cfg.problems
        return result
    registry = _check_registry_key(cfg, key_path)
    signed: dict[str, tuple[bytes, bytes, bytes | None, dict]] = {}  # blob -> (json, sig, tsr, record)

    def build(old: str | None, last: Checkpoint | None, verifier: Verifier) -> tuple[str, dict, list[dict], bytes] | None:
        tip = rev_parse(repo, rev) or ""
        result.main_commit = tip
        # A push checkpoint names main's tip too, but receipted only what the push brought: the
        # post-merge run still has to look at main.
        if last is not None and last.doc.get("main_commit") == tip and last.doc.get("via", "receive") == "receive":
            return None  # nothing new on main since the last checkpoint
        state = {p: i for p, i in main_reports(repo, tip).items() if is_report(i)}
        have = _existing(repo, old, (i.blob for i in state.values()))
        todo = {p: i for p, i in state.items() if i.blob not in have}
        _sign_missing(cfg, repo, verifier, [i for i in todo.values() if i.blob not in signed], registry, now,
                      key_path, signed, "receive")
        new, checkpoint, sig = _store_commit(repo, old, last, tip, todo, signed, registry, now, key_path)
        return new, checkpoint, [signed[todo[p].blob][3] for p in sorted(todo)], sig

    done = _append(repo, cfg, key_path, now, witness, use_cache, lock, max_attempts, build)
    if done is not None:
        _, checkpoint, result.receipts, result.attempts = done
        result.checkpoint = checkpoint["sequence"]
    return result


def pushed_reports(repo: Path, updates: list[RefUpdate], main_ref: str, main_tip: str | None = None,
                   ) -> dict[str, tuple[object, str]]:
    """Report blobs a push brings: blob -> (Introduced record, ref), each with its oldest introducing commit.

    The new commits of an updated ref are those reachable from its new value and not from main or
    from the old values of the pushed refs. Other refs are deliberately not excluded: a forge may
    point its own refs (refs/pull/N/head, refs/merge-requests/N/head) at the pushed commits before
    this runs, and a blob must not be lost to that race; a blob already receipted is skipped later
    anyway. Merges are diffed against their first parent, so content a merge resolution creates is
    receipted too.
    """
    from baosong.gitrepo import log_between
    from baosong.history import Introduced, is_report

    pushed = {u.ref for u in updates}
    before = {u.old for u in updates if not u.created}
    if main_ref not in pushed:
        main_tip = main_tip or ref_value(repo, main_ref)
        if main_tip:
            before.add(main_tip)
    found: dict[str, tuple[object, str]] = {}
    for u in updates:
        if u.deleted or u.ref.startswith("refs/baosong/"):
            continue
        commits = log_between(repo, [u.new], sorted(before), paths=[REPORTS_PREFIX])
        for c in reversed(commits):  # oldest first: a blob's receipt names the commit that introduced it
            for ch in c.changes:
                if ch.status not in "AMT" or ch.new_blob in found:
                    continue
                intro = Introduced(ch.path, ch.new_blob, ch.new_mode, c.id, u.new, c.committed, c.committed)
                if is_report(intro):
                    found[ch.new_blob] = (intro, u.ref)
    return found


PUSH_CONFIG_CACHE = "push-config"


def _push_config(repo: Path, tip: str, *, use_cache: bool = True) -> tuple[Config, list[Problem]]:
    """units.yaml of main, validated once per (tool version, units.yaml blob, units schema blob) and
    kept in the cache directory (baosong.cache): a push then costs no schema compilation."""
    from baosong import __version__
    from baosong.config import UNITS_SCHEMA_PATH, config_from_units, load_config
    from baosong.gitrepo import GitTree

    ids = git(repo, "rev-parse", f"{tip}:{UNITS_PATH}", f"{tip}:{UNITS_SCHEMA_PATH}", check=False).decode().split()
    key = f"{__version__}:{':'.join(ids)}" if len(ids) == 2 else ""
    cache = Cache(repo, PUSH_CONFIG_CACHE, version=1, fingerprint=key, enabled=use_cache and bool(key))
    units = cache.load(lambda entries: entries if isinstance(entries, dict) else None)
    if units is not None:
        return config_from_units(units), []
    cfg = load_config(GitTree(repo, tip))
    if not cfg.ok:
        return cfg, cfg.problems
    cache.save(cfg.units_doc)
    return cfg, []


def receive_push(repo: Path, key_path: Path, now: datetime, updates: list[RefUpdate], *, main: str = "main",
                 cfg: Config | None = None, max_attempts: int = 200, use_cache: bool = True, lock: bool = True,
                 witness: Path | None = None) -> ReceiveResult:
    """Push receipts: a receipt (`"via": "push"`, the pushed `ref`) for every report blob the push brought
    to any branch that has none yet, stamped now (the server clock), then a checkpoint.

    Called by the post-receive hook (refs already updated) and by the webhook after fetching. Trust
    roots come from the server's own main as it is now. Nothing is written when the push brought no
    new report blob.
    """
    from baosong.gitrepo import rev_parse

    repo = Path(repo)
    result = ReceiveResult()
    main_ref = main if main.startswith("refs/") else f"refs/heads/{main}"
    tip = rev_parse(repo, main_ref)
    if tip is None:
        return result  # no main yet: not a registry (the first push creates it)
    result.main_commit = tip
    found = pushed_reports(repo, updates, main_ref, tip)
    if not found:
        return result
    if cfg is None:
        cfg, problems = _push_config(repo, tip, use_cache=use_cache)
        if problems:
            result.problems = problems
            return result
    registry = _check_registry_key(cfg, key_path)
    signed: dict[str, tuple[bytes, bytes, bytes | None, dict]] = {}
    refs = {blob: ref for blob, (_, ref) in found.items()}

    def build(old: str | None, last: Checkpoint | None, verifier: Verifier) -> tuple[str, dict, list[dict], bytes] | None:
        have = _existing(repo, old, found)
        todo = {intro.path: intro for blob, (intro, _) in found.items() if blob not in have}
        if not todo:
            return None
        # One path per blob: a blob pushed at two paths at once is receipted at its first path.
        _sign_missing(cfg, repo, verifier, [i for i in todo.values() if i.blob not in signed], registry, now,
                      key_path, signed, "push", refs)
        new, checkpoint, sig = _store_commit(repo, old, last, tip, todo, signed, registry, now, key_path, "push",
                                             sorted({refs[i.blob] for i in todo.values()}))
        return new, checkpoint, [signed[todo[p].blob][3] for p in sorted(todo)], sig

    done = _append(repo, cfg, key_path, now, witness, use_cache, lock, max_attempts, build)
    if done is not None:
        _, checkpoint, result.receipts, result.attempts = done
        result.checkpoint = checkpoint["sequence"]
    return result


# ---------------------------------------------------------------------------------------------
# verify


@dataclass
class VerifyResult:
    receipts: int = 0
    checkpoints: int = 0
    catch_up: int = 0  # receipts written later than the merge that brought their blob in (see history.CATCH_UP_AFTER)
    problems: list[Problem] = field(default_factory=list)


def _finding(path: str, rule: str, message: str, severity: str = "error") -> Problem:
    return Problem(store_label(path), 1, 1, "", rule, message, severity)  # type: ignore[arg-type]


def first_listings(checkpoints: list[Checkpoint]) -> tuple[dict[str, list], list[Problem]]:
    """Each blob's first listing in the checkpoint chain (blob -> [path, blob, oid, received_at, tsa_time]),
    and a finding for every later listing of the same blob.

    The store holds one receipt per blob, so the registry never lists a blob twice: a second
    listing can only come from a forged or replayed checkpoint, and what it claims is not believed.
    """
    listed: dict[str, list] = {}
    where: dict[str, int] = {}
    problems: list[Problem] = []
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            if not isinstance(entry, list) or len(entry) != 5:
                problems.append(Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-entry",
                                        f"检查点 {cp.sequence} 的登记条目格式不正确：{str(entry)[:80]}"))
                continue
            blob = entry[1]
            if blob in listed:
                problems.append(_finding(receipt_path(blob), "receipt-relisted",
                                         f"检查点 {cp.sequence} 再次登记了 blob {blob[:10]}（{entry[0]}，回执时间 {entry[3]}），"
                                         f"该 blob 已由检查点 {where[blob]} 登记（{listed[blob][0]}，{listed[blob][3]}）。"
                                         "每个 blob 只有一份回执，重复登记只能来自伪造或重放的检查点，以首次登记为准。"))
                continue
            listed[blob] = entry
            where[blob] = cp.sequence
    return listed, problems


def receipt_file_problems(entries: dict, listed: dict[str, list]) -> list[Problem]:
    """Receipts the checkpoints list (blob -> entry) that are missing from the store or differ from it."""
    out = []
    for path, blob, oid, _, _ in listed.values():
        entry = entries.get(receipt_path(blob))
        if entry is None:
            out.append(_finding(receipt_path(blob), "receipt-missing", f"检查点记载的回执（{path}）不在回执库中，已被删除。"))
        elif entry.oid != oid:
            out.append(_finding(receipt_path(blob), "receipt-altered",
                                f"回执内容与检查点记载的不一致（{path}），回执已被改动。"))
    return out


def _count(repo: Path, spec: str) -> int:
    return int(git_text(repo, "rev-list", "--count", spec) or 0)


def store_problems(repo: Path, tip: str | None, checkpoints: list[Checkpoint], witness_file: Path,
                   reports_on_main: bool) -> list[Problem]:
    """The store as a whole against the witness kept outside the repository: deleted, rewound,
    rewritten. Without a witness a missing store is only a warning (nothing says it ever existed)."""
    label = str(witness_file)
    try:
        witness = read_witness(witness_file)
    except ValueError as exc:
        return [Problem(label, 1, 1, "", "witness-unreadable", str(exc))]
    if witness is None:
        if tip is None and reports_on_main:
            return [Problem(RECEIPTS_REF, 1, 1, "", "store-absent",
                            f"回执库 {RECEIPTS_REF} 不存在，送达时间均按主线合并时间计算（未经回执证实）。如登记系统曾写过回执，"
                            f"回执库可能已被删除（例如从普通克隆执行 git push --mirror）；请用 --witness 指定登记服务器的见证文件核对。",
                            "warning")]
        return []
    commit, sequence, digest = witness.get("commit"), witness.get("sequence"), witness.get("digest")
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return [Problem(label, 1, 1, "commit", "witness-unreadable", "见证文件缺少有效的 commit（回执库提交）。")]
    seen = f"见证文件 {label} 记载回执库在 {witness.get('at') or '?'} 已到检查点 {sequence}（提交 {commit[:10]}）"
    if tip is None:
        restore = f"git update-ref {RECEIPTS_REF} {commit}" if rev_parse(repo, commit) else "从备份恢复回执库"
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-missing",
                        f"回执库 {RECEIPTS_REF} 不存在，但{seen}：回执库被删除（例如从普通克隆执行 git push --mirror）。"
                        f"在恢复之前不要运行 baosong receive（它会以当前时间重新登记全部报告）；恢复：{restore}。")]
    if rev_parse(repo, commit) is None:
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                        f"{seen}，但该提交已不在仓库中：回执库被回退或改写。请从备份恢复回执库并核对。")]
    if tip != commit and not is_ancestor(repo, commit, tip):
        if is_ancestor(repo, tip, commit):
            return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                            f"{seen}，而回执库现在的提交 {tip[:10]} 落后其 {_count(repo, f'{tip}..{commit}')} 个提交："
                            f"回执库被回退，其间的回执丢失。恢复：git update-ref {RECEIPTS_REF} {commit}。")]
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                        f"{seen}，而回执库现在的提交 {tip[:10]} 不是它的后续：回执库历史被改写。请从备份恢复回执库并核对。")]
    at_seq = [cp for cp in checkpoints if cp.sequence == sequence]
    if not at_seq:
        return [Problem(label, 1, 1, "sequence", "witness-mismatch",
                        f"{seen}，但回执库中没有序号为 {sequence} 的检查点：检查点链被改写。")]
    if digest is not None and at_seq[-1].digest != digest:
        return [Problem(label, 1, 1, "digest", "witness-mismatch",
                        f"{seen}，但回执库中检查点 {sequence} 的摘要 {at_seq[-1].digest[:12]} 与见证记载的 {str(digest)[:12]} "
                        "不符：检查点链被改写。")]
    return []


def catch_up_problems(repo: Path, rev: str, listed: dict[str, list], vias: dict[str, str]) -> list[Problem]:
    """Receipts written long after the merge that brought their blob in (warnings: the arrival then
    counts from the merge, unattested). The rule is history.trusted_arrival."""
    from baosong.history import is_report, main_reports, trusted_arrival

    tip = rev_parse(repo, rev)
    if tip is None or not listed:
        return []
    out = []
    for path, intro in sorted(main_reports(repo, tip).items()):
        entry = listed.get(intro.blob)
        if entry is None or entry[0] != path or not is_report(intro):
            continue
        when = parse_datetime(entry[3])
        if when is None:
            continue
        rec = Receipt(path, intro.blob, entry[2], when, parse_datetime(entry[4]), 0, vias.get(intro.blob, "receive"))
        trusted = trusted_arrival(rec, intro.main_time)
        if trusted.catch_up:
            registry_time = rec.tsa_time or rec.received_at
            hours = (registry_time - intro.main_time).total_seconds() / 3600
            out.append(_finding(receipt_path(intro.blob), "receipt-catch-up",
                                f"补登回执：{path} 的回执时间 {iso(registry_time)} 晚于合并进主分支的时间 "
                                f"{iso(intro.main_time)}（{hours:.1f} 小时）。回执作业当时未运行，送达时间按合并时间计算，"
                                "合并时间未经回执证实。", "warning"))
    return out


def verify_store(repo: Path, cfg: Config, *, rev: str = "HEAD", witness: Path | None = None) -> VerifyResult:
    """Check every receipt and checkpoint offline: registry signatures (every checkpoint, not only the
    latest), hash links, TSA stamps, the blobs still present, the store against the witness; and
    name the catch-up receipts of the reports on rev."""
    repo = Path(repo)
    result = VerifyResult()
    problems = result.problems
    tip = ref_value(repo, RECEIPTS_REF)
    checkpoints = read_checkpoints(repo, tip) if tip else []
    main = rev_parse(repo, rev)
    on_main = bool(main and any(e.path.endswith(".yaml") for e in ls_tree(repo, main, "reports")))
    problems.extend(store_problems(repo, tip, checkpoints, witness_path(repo, witness), on_main))
    if tip is None:
        return result
    entries = {e.path: e for e in ls_tree(repo, tip)}
    jsons = sorted(p for p in entries if p.startswith("receipts/") and p.endswith(".json"))
    objs = read_objects(repo, [entries[p].oid for p in entries if p.startswith("receipts/")])
    tsa_cfg = (cfg.units_doc.get("registry") or {}).get("tsa") or {}
    listed, relisted = first_listings(checkpoints)
    problems.extend(relisted)
    blobs_named = {p: p.rsplit("/", 1)[1][:-5] for p in jsons}
    present = read_objects(repo, sorted(set(blobs_named.values())))
    vias: dict[str, str] = {}

    with Verifier(cfg, repo, use_cache=False) as verifier:
        def signature(path: str) -> SigResult:
            sig = objs.get(entries[path + ".sig"].oid) if path + ".sig" in entries else None
            return verify_record(verifier, objs[entries[path].oid] or b"", sig, RECEIPT_NAMESPACE, path)

        signed = dict(zip(jsons, verifier.map(signature, jsons), strict=True))  # on a free core too

        def check(path: str) -> list[Problem]:
            out: list[Problem] = []
            raw = objs[entries[path].oid] or b""
            blob = blobs_named[path]
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                return [_finding(path, "receipt-unreadable", "回执不是有效的 JSON，已被损坏或篡改。")]
            vias[blob] = receipt_via(record)[0]
            sig = objs.get(entries[path + ".sig"].oid) if path + ".sig" in entries else None
            r = signed[path]
            if not r.good:
                why = "缺少签名文件" if sig is None else f"签名状态：{r.status}（密钥 {r.key or '未知'}）"
                out.append(_finding(path, "receipt-signature", f"回执的登记系统签名不成立（{why}），回执可能被篡改。"))
            if record.get("blob") != blob:
                out.append(_finding(path, "receipt-blob-mismatch",
                                    f"回执记录的 blob {record.get('blob')} 与文件名 {blob} 不一致。"))
            if present.get(blob) is None:
                out.append(_finding(path, "receipt-blob-missing",
                                    f"回执对应的报告内容（blob {blob[:10]}，{record.get('path')}）已不在仓库中。"))
            if blob not in listed:
                out.append(_finding(path, "receipt-unlisted", "回执未列入任何已签名的检查点，可能是事后添加或被替换。"))
            tsr_path = path[:-5] + ".tsr"
            if tsr_path in entries:
                if not tsa_cfg.get("cert"):
                    out.append(_finding(tsr_path, "receipt-tsa-unverifiable",
                                        f"回执带有时间戳，但 {UNITS_PATH} 未配置 registry.tsa.cert，无法验证。"))
                else:
                    ok, text = tsa_verify(raw, objs[entries[tsr_path].oid] or b"", tsa_cfg["cert"])
                    if not ok:
                        out.append(_finding(tsr_path, "receipt-tsa", f"时间戳验证失败：{text.splitlines()[-1] if text else ''}"))
            return out

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for found in pool.map(check, jsons):
                problems.extend(found)
        for cp, status in unsigned_checkpoints(verifier, checkpoints):
            problems.append(Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-signature",
                                    f"检查点 {cp.sequence} 的登记系统签名不成立（{status}）：检查点是伪造或被篡改的，"
                                    "即使其后有已签名的检查点链接到它，它登记的回执也不可信。"))
        for cp, text in chain_problems(checkpoints):
            problems.append(Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-chain", text))
    problems.extend(receipt_file_problems(entries, listed))
    catch_up = catch_up_problems(repo, rev, listed, vias)
    problems.extend(catch_up)
    result.receipts = len(jsons)
    result.checkpoints = len(checkpoints)
    result.catch_up = len(catch_up)
    return result
