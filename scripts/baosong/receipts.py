"""Registry receipts: signed records of when each report blob reached main (`baosong receive` / `verify`).

Store: the ref `refs/baosong/receipts`, an append-only chain of commits. Each `receive` run adds one
commit with `receipts/<blob[:2]>/<blob>.json` (+ `.sig`, the registry's SSH signature, + `.tsr`, an
optional RFC 3161 stamp over the JSON) for every newly accepted blob, and rewrites `checkpoint.json`
(+ `.sig`): the main commit it saw, the (path, blob) pairs it accepted, and the SHA-256 of the
previous checkpoint, so the chain of checkpoints in the ref's history is a signed, hash-linked
append log (see FORMAT.md "Receipts" for why a dedicated ref). The ref is advanced with
compare-and-swap (`git update-ref REF new old`), so concurrent runs retry instead of losing records.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import random
import re
import shlex
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import (
    ZERO_ID,
    GitError,
    cache_dir,
    git,
    git_text,
    is_ancestor,
    ls_tree,
    read_objects,
    ref_value,
)
from baosong.problems import Problem
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, SigResult, Verifier, sign
from baosong.sources import blob_id
from baosong.timeutil import iso, parse_datetime

RECEIPTS_REF = "refs/baosong/receipts"
CHECKPOINT_FILE = "checkpoint.json"
FORMAT_VERSION = 1
KEY_ENV = "BAOSONG_REGISTRY_KEY"
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


REPLAY_CACHE = "receipts-replay.pickle"


def _replay_cache(repo: Path, digest: str) -> tuple[str, Checkpoint, dict[str, Receipt]] | None:
    try:
        with open(cache_dir(repo) / REPLAY_CACHE, "rb") as fh:
            stored = pickle.load(fh)
        if stored.get("format") != FORMAT_VERSION or stored.get("digest") != digest:
            return None
        last = _checkpoint(stored["tip"], stored["raw"], stored["sig"])
        return stored["tip"], last, {b: Receipt(*r) for b, r in stored["receipts"].items()}
    except Exception:  # missing or corrupt: replayed from the start
        return None


def _save_replay(repo: Path, digest: str, tip: str, last: Checkpoint, receipts: dict[str, Receipt]) -> None:
    try:
        folder = cache_dir(repo)
        folder.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT_VERSION, "digest": digest, "tip": tip, "raw": last.raw, "sig": last.sig,
                "receipts": {b: (r.path, r.blob, r.oid, r.received_at, r.tsa_time, r.sequence)
                             for b, r in receipts.items()}}
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / REPLAY_CACHE)
    except OSError:
        pass  # read-only checkout: replayed again next time


def unsigned_checkpoints(verifier: Verifier, checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, str]]:
    """(checkpoint, status) for checkpoints whose registry signature does not hold.

    The hash links bind every checkpoint to the next, so verifying the latest one covers its whole
    unbroken chain; the end of each segment before a broken link is verified too.
    """
    breaks = {id(cp) for cp, _ in chain_problems(checkpoints)}
    ends = [cp for i, cp in enumerate(checkpoints) if i == len(checkpoints) - 1 or id(checkpoints[i + 1]) in breaks]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda cp: verify_record(verifier, cp.raw, cp.sig, CHECKPOINT_NAMESPACE, cp.commit), ends)
        return [(cp, r.status) for cp, r in zip(ends, results, strict=True) if not r.good]


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
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            path, blob, oid, received, tsa = entry
            when = parse_datetime(received)
            if when is not None and blob not in out:
                out[blob] = Receipt(path, blob, oid, when, parse_datetime(tsa), cp.sequence)
    if use_cache:
        _save_replay(repo, verifier.digest, tip, latest, out)
    return out


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
        out[b] = Receipt(record.get("path", ""), b, blob_id(raw), when, stamp_time, 0)
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


def registry_public_key(key_path: Path) -> str:
    proc = subprocess.run(["ssh-keygen", "-y", "-f", str(key_path)], capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ReceiveError(f"无法读取登记系统私钥 {key_path}：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return " ".join(proc.stdout.decode().split()[:2])


def _write_objects(repo: Path, blobs: list[bytes]) -> list[str]:
    """Write many blobs with one `git hash-object -w --stdin-paths`."""
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="baosong-objects-") as tmp:
        paths = []
        for i, data in enumerate(blobs):
            p = Path(tmp) / str(i)
            p.write_bytes(data)
            paths.append(str(p))
        out = git(repo, "hash-object", "-w", "--no-filters", "--stdin-paths", input="\n".join(paths).encode() + b"\n")
    return out.decode().split()


def _commit_files(repo: Path, old: str | None, files: dict[str, bytes], message: str, now: datetime) -> str:
    """A new store commit: old's tree plus files, with old as parent (a temporary index; no work tree)."""
    names = sorted(files)
    oids = _write_objects(repo, [files[n] for n in names])
    with tempfile.TemporaryDirectory(prefix="baosong-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if old:
            git(repo, "read-tree", f"{old}^{{tree}}", env=env)
        else:
            git(repo, "read-tree", "--empty", env=env)
        info = "".join(f"100644 {oid}\t{name}\n" for name, oid in zip(names, oids, strict=True))
        git(repo, "update-index", "--add", "--index-info", input=info.encode(), env=env)
        tree = git_text(repo, "write-tree", env=env)
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
                  ) -> tuple[bytes, bytes, bytes | None, dict]:
    """(receipt JSON, its signature, TSA reply or None, the record) for one blob at one path."""
    record = {"format": FORMAT_VERSION, "kind": "receipt", "path": intro.path, "blob": intro.blob,
              "commit": intro.commit, "main_commit": intro.main_commit, "signer": sig.staff,
              "principal": sig.principal, "key": sig.key, "signature": sig.status,
              "received_at": iso(now), "registry": registry.get("principal")}
    data = canonical(record)
    tsr = None
    if tsa:
        tsr, when = stamp(data, tsa)
        record["tsa_time"] = iso(when.astimezone(now.tzinfo))  # not in the signed bytes: the stamp itself proves it
    return data, sign(data, key_path, RECEIPT_NAMESPACE), tsr, record


@contextlib.contextmanager
def _receive_lock(repo: Path) -> Iterator[None]:
    """Serialise receive runs on one machine, so concurrent runs do not all sign the same receipts.

    Only an optimisation: correctness comes from the compare-and-swap on the ref, which also holds
    across machines; without fcntl (Windows) runs simply race and retry.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock = Path(git_text(repo, "rev-parse", "--absolute-git-dir")) / "baosong-receive.lock"
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
                  registry: dict, now: datetime, key_path: Path) -> tuple[str, dict]:
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
                  "accepted_count": int(last.doc.get("accepted_count", 0) if last else 0) + len(added)}
    raw = canonical(checkpoint)
    files[CHECKPOINT_FILE] = raw
    files[CHECKPOINT_FILE + ".sig"] = sign(raw, key_path, CHECKPOINT_NAMESPACE)
    message = f"receive: {len(added)} receipt(s), checkpoint {checkpoint['sequence']} at {tip[:10]}"
    return _commit_files(repo, old, files, message, now), checkpoint


def receive(repo: Path, key_path: Path, now: datetime, rev: str = "HEAD", *, cfg: Config | None = None,
            max_attempts: int = 200, use_cache: bool = True, lock: bool = True) -> ReceiveResult:
    """Record a receipt for every report blob on main (rev) that has none, then a checkpoint.

    Safe to run concurrently: the store ref is only moved from the value this run started from;
    a run that loses the race re-reads the store and retries (receipts already signed are reused).
    """
    from baosong.config import load_config
    from baosong.gitrepo import GitTree, rev_parse
    from baosong.history import is_report, main_reports, report_unit, unit_check

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
    with _receive_lock(repo) if lock else contextlib.nullcontext():
        for attempt in range(1, max_attempts + 1):
            result.attempts = attempt
            tip = rev_parse(repo, rev) or ""
            old = ref_value(repo, RECEIPTS_REF)
            last = latest_checkpoint(repo, old)
            if last is not None and last.doc.get("main_commit") == tip:
                result.main_commit = tip
                return result  # nothing new on main since the last checkpoint
            state = {p: i for p, i in main_reports(repo, tip).items() if is_report(i)}
            have = _existing(repo, old, (i.blob for i in state.values()))
            todo = {p: i for p, i in state.items() if i.blob not in have}
            missing = [i for i in todo.values() if i.blob not in signed]
            if missing:
                with Verifier(cfg, repo, use_cache=use_cache) as verifier:
                    sigs = verifier.verify_commits(repo, [(i.commit, now, i.claimed_time) for i in missing])
                make = partial(_make_receipt, registry=registry, tsa=registry.get("tsa"), now=now, key_path=key_path)
                with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                    made = pool.map(make, missing, [unit_check(sigs[i.commit], report_unit(i.path)) for i in missing])
                    signed.update((i.blob, rec) for i, rec in zip(missing, made, strict=True))
            new, checkpoint = _store_commit(repo, old, last, tip, todo, signed, registry, now, key_path)
            try:
                git(repo, "update-ref", "-m", "baosong receive", RECEIPTS_REF, new, old or ZERO_ID)
            except GitError:
                time.sleep(random.uniform(0.01, 0.05 * min(attempt, 10)))  # another run moved the ref: retry
                continue
            result.receipts = [signed[todo[p].blob][3] for p in sorted(todo)]
            result.checkpoint = checkpoint["sequence"]
            result.main_commit = tip
            return result
    raise ReceiveError(f"回执库 {RECEIPTS_REF} 持续被其他进程更新，{max_attempts} 次尝试后仍未写入，请稍后重试。")


# ---------------------------------------------------------------------------------------------
# verify


@dataclass
class VerifyResult:
    receipts: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)


def _finding(path: str, rule: str, message: str) -> Problem:
    return Problem(store_label(path), 1, 1, "", rule, message)


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


def verify_store(repo: Path, cfg: Config) -> VerifyResult:
    """Check every receipt offline: registry signature, TSA stamp, the blob still present, the checkpoints."""
    repo = Path(repo)
    result = VerifyResult()
    tip = ref_value(repo, RECEIPTS_REF)
    if tip is None:
        return result
    entries = {e.path: e for e in ls_tree(repo, tip)}
    jsons = sorted(p for p in entries if p.startswith("receipts/") and p.endswith(".json"))
    objs = read_objects(repo, [entries[p].oid for p in entries if p.startswith("receipts/")])
    tsa_cfg = (cfg.units_doc.get("registry") or {}).get("tsa") or {}
    problems = result.problems
    checkpoints = read_checkpoints(repo, tip)
    listed = {e[1]: e for cp in checkpoints for e in cp.doc.get("added", [])}  # blob -> entry
    blobs_named = {p: p.rsplit("/", 1)[1][:-5] for p in jsons}
    present = read_objects(repo, sorted(set(blobs_named.values())))

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
                return [_finding(path, "receipt-unreadable", "回执不是有效的 JSON，已被损坏或篡改。")]
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
                                    f"检查点 {cp.sequence} 的登记系统签名不成立（{status}）。"))
        for cp, text in chain_problems(checkpoints):
            problems.append(Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-chain", text))
    problems.extend(receipt_file_problems(entries, listed))
    result.receipts = len(jsons)
    result.checkpoints = len(checkpoints)
    return result
