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

This module is the store's read side: records, checkpoints, look-ups, the chain and file checks, the
witness file. `tsa` has RFC 3161, `receive` writes the store, `verify` checks it against main,
`storecheck` has the checks of the store as a whole that `verify` and `audit` share.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from baosong.cache import Cache, code_fingerprint
from baosong.gitrepo import (
    CatFile,
    git_text,
    is_ancestor,
    read_objects,
    ref_value,
)
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, SSH_MODULES, SigResult, Verifier
from baosong.sources import blob_id, object_format_of
from baosong.timeutil import iso, parse_datetime
from baosong.tsa import tsa_time, tsa_verify

RECEIPTS_REF = "refs/baosong/receipts"
CHECKPOINT_FILE = "checkpoint.json"
FORMAT_VERSION = 1
KEY_ENV = "BAOSONG_REGISTRY_KEY"
WITNESS_ENV = "BAOSONG_WITNESS"
WITNESS_FILE = "baosong-witness.json"


def canonical(obj: object) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8, one trailing newline."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


ReceiptKey = tuple[str, str]  # (blob, path): one report, one receipt; the same content at two paths is two reports


def path_key(path: str) -> str:
    """The SHA-256 (hex) of a report path, naming a receipt of a blob at a further path."""
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def receipt_path(blob: str, ext: str = ".json", path: str | None = None) -> str:
    """A receipt's file in the store: `receipts/<blob[:2]>/<blob>.json` for the blob's first receipt (at
    whatever path, as in every store before receipts were per path), `<blob>.<path_key(path)>.json` for
    a receipt of the same blob at a further path (a copy pushed or merged under another name)."""
    return f"receipts/{blob[:2]}/{blob if path is None else f'{blob}.{path_key(path)}'}{ext}"


def receipt_file_key(name: str) -> tuple[str, str | None] | None:
    """(blob, path key or None) named by a receipt JSON's store path; None when it is not one."""
    stem = name.rsplit("/", 1)[-1]
    if not stem.endswith(".json"):
        return None
    blob, _, key = stem[:-5].partition(".")
    return blob, key or None


def receipt_record(*, path: str, blob: str, commit: str, main_commit: str, signer: str | None,
                   principal: str | None, key: str | None, signature: str, received_at: str, registry: str | None,
                   via: str, ref: str | None = None) -> dict:
    """A receipt's JSON record as the registry signs it (FORMAT.md, "Receipts store"); `ref` for push receipts.
    The one builder: `receive` and the demo's bulk receipt service both write through it."""
    record = {"format": FORMAT_VERSION, "kind": "receipt", "path": path, "blob": blob, "commit": commit,
              "main_commit": main_commit, "signer": signer, "principal": principal, "key": key,
              "signature": signature, "received_at": received_at, "registry": registry, "via": via}
    if ref is not None:
        record["ref"] = ref
    return record


def checkpoint_entry(path: str, blob: str, receipt: bytes, received_at: str, tsa_time: str | None = None) -> list:
    """One `added` entry of a checkpoint: the report path and blob, the receipt JSON's git id, its times."""
    return [path, blob, blob_id(receipt, object_format_of(blob)), received_at, tsa_time]  # in the store's repository


def checkpoint_record(*, sequence: int, previous: str | None, main_commit: str, created_at: str,
                      registry: str | None, added: list[list], accepted_count: int, via: str,
                      refs: list[str] | None = None) -> dict:
    """A checkpoint's JSON record (the chain link over the receipts it adds); `refs` for push checkpoints."""
    checkpoint = {"format": FORMAT_VERSION, "kind": "checkpoint", "sequence": sequence, "previous": previous,
                  "main_commit": main_commit, "created_at": created_at, "registry": registry, "added": added,
                  "accepted_count": accepted_count, "via": via}
    if refs is not None:
        checkpoint["refs"] = refs
    return checkpoint


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
            out.append(parse_checkpoint(c, raw, objs.get(f"{c}:{CHECKPOINT_FILE}.sig")))
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
    return None if raw is None else parse_checkpoint(tip, raw, objs[f"{tip}:{CHECKPOINT_FILE}.sig"])


def parse_checkpoint(commit: str, raw: bytes, sig: bytes | None) -> Checkpoint:
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
REPLAY_FORMAT = 4  # 4: receipts per (blob, path); 3: receipts carry via and ref; 2: JSON in the git directory; 1 was a pickle


def _replay_store(repo: Path, digest: str, enabled: bool = True) -> Cache:
    # The allowed-signers digest is in the fingerprint: the replay was authenticated with those keys.
    code = code_fingerprint("baosong.signatures", *SSH_MODULES, "baosong.tsa", __name__)
    fingerprint = f"{digest}-{code}"
    return Cache(repo, REPLAY_CACHE, version=REPLAY_FORMAT, fingerprint=fingerprint, enabled=enabled)


def _replay_cache(repo: Path, digest: str) -> tuple[str, Checkpoint, dict[ReceiptKey, Receipt]] | None:
    """(store tip, last checkpoint, receipts by (blob, path)) of the last replay, None when absent or malformed."""
    return _replay_store(repo, digest).load(_decode_replay)


def _decode_replay(stored: object) -> tuple[str, Checkpoint, dict[ReceiptKey, Receipt]] | None:
    if not isinstance(stored, dict):
        return None
    tip, raw, sig = stored["tip"], base64.b64decode(stored["raw"], validate=True), stored["sig"]
    sig = None if sig is None else base64.b64decode(sig, validate=True)
    receipts = {}
    for item in stored["receipts"]:
        r = _receipt_from_json(item[0], item[1:]) if isinstance(item, list) and item and isinstance(item[0], str) else None
        if r is None:
            return None
        receipts[(r.blob, r.path)] = r
    if not isinstance(tip, str):
        return None  # a replay is one consistent state: any bad part discards all of it
    return tip, parse_checkpoint(tip, raw, sig), receipts


def _receipt_from_json(blob: str, r: object) -> Receipt | None:
    if not (isinstance(r, list) and len(r) == 7 and all(isinstance(v, str) for v in r[:3])
            and (r[3] is None or isinstance(r[3], str)) and type(r[4]) is int and r[5] in ("push", "receive")
            and (r[6] is None or isinstance(r[6], str))):
        return None
    received, tsa = parse_datetime(r[2]), parse_datetime(r[3])
    if received is None or (r[3] is not None and tsa is None):
        return None
    return Receipt(r[0], blob, r[1], received, tsa, r[4], r[5], r[6])


def _save_replay(repo: Path, digest: str, tip: str, last: Checkpoint, receipts: dict[ReceiptKey, Receipt]) -> None:
    # Times keep their offsets and microseconds (isoformat/fromisoformat round-trip exactly).
    _replay_store(repo, digest).save({
        "tip": tip, "raw": base64.b64encode(last.raw).decode("ascii"),
        "sig": None if last.sig is None else base64.b64encode(last.sig).decode("ascii"),
        "receipts": [[r.blob, r.path, r.oid, r.received_at.isoformat(), r.tsa_time.isoformat() if r.tsa_time else None,
                      r.sequence, r.via, r.ref] for r in receipts.values()]})  # a read-only repository replays again


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

    results = verifier.map(one, checkpoints)  # worker processes on a free core (threads would share the GIL)
    return [(cp, status) for cp, status in zip(checkpoints, results, strict=True) if status != "good"]


def load_receipts(repo: Path, verifier: Verifier, *, use_cache: bool = True) -> dict[ReceiptKey, Receipt]:
    """Receipts by (blob, path), authenticated through the checkpoint chain (empty when there is no store).

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
    out: dict[ReceiptKey, Receipt] = {}
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
    unnamed: list[Receipt] = []  # receipts whose checkpoint does not name their via and ref
    for cp in checkpoints:
        named = checkpoint_via(cp.doc)
        for entry in cp.doc.get("added", []):
            path, blob, oid, received, tsa = entry
            when = parse_datetime(received)
            if when is not None and (blob, path) not in out:
                out[blob, path] = rec = Receipt(path, blob, oid, when, parse_datetime(tsa), cp.sequence)
                if named is None:
                    unnamed.append(rec)
                else:
                    rec.via, rec.ref = named
    _read_via(repo, unnamed)
    if use_cache:
        _save_replay(repo, verifier.digest, tip, latest, out)
    return out


def checkpoint_via(doc: dict) -> tuple[str, str | None] | None:
    """(via, ref) of every receipt a checkpoint adds, as the checkpoint names them; None when it does
    not name them for all (a checkpoint from before push receipts, a push checkpoint over several refs).

    Both writers (`receive`, the demo) sign a run's receipts and its checkpoint with the same `via`,
    and a push checkpoint's `refs` are the refs of the blobs it adds, so a checkpoint with one ref
    names each receipt's. The register takes them from the checkpoint, which the chain already
    authenticates, instead of reading every receipt JSON; `verify` checks that each receipt agrees
    (rule receipt-via-mismatch)."""
    via = doc.get("via")
    if via == "receive":
        return "receive", None
    refs = doc.get("refs")
    if via == "push" and isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], str) and refs[0]:
        return "push", refs[0]
    return None


def named_vias(checkpoints: list[Checkpoint]) -> dict[ReceiptKey, tuple[str, str | None]]:
    """(blob, path) -> (via, ref) named by the checkpoint that first lists it (see `checkpoint_via`)."""
    out: dict[ReceiptKey, tuple[str, str | None]] = {}
    seen: set[ReceiptKey] = set()
    for cp in checkpoints:
        named = checkpoint_via(cp.doc)
        for entry in cp.doc.get("added", []):
            key = listing_key(entry)
            if key is None or key in seen:
                continue
            seen.add(key)
            if named is not None:
                out[key] = named
    return out


def listing_key(entry: object) -> ReceiptKey | None:
    """(blob, path) of a checkpoint's `added` entry, None when the entry is malformed."""
    if isinstance(entry, list) and len(entry) == 5 and isinstance(entry[0], str) and isinstance(entry[1], str):
        return entry[1], entry[0]
    return None


def receipt_via(record: dict) -> tuple[str, str | None]:
    """(via, ref) of a receipt record: stores from before push receipts hold only post-merge ones."""
    via = record.get("via")
    ref = record.get("ref")
    return (via if isinstance(via, str) and via else "receive"), (ref if isinstance(ref, str) else None)


def _read_via(repo: Path, receipts: list[Receipt]) -> None:
    """Fill in `via` and `ref` from the receipt JSONs (the checkpoint binds each by its blob id): for
    receipts whose checkpoint does not name them (`checkpoint_via`)."""
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


def existing_receipts(repo: Path, store_tip: str | None, keys: Iterable[ReceiptKey], reader: CatFile | None = None,
              ) -> tuple[set[ReceiptKey], set[str]]:
    """(which reports (blob, path) already have a receipt in the store at store_tip, which blobs have
    their first receipt file), read with one cat-file process (the writers' look-up, before they sign).

    A blob's first receipt file names its path inside; a receipt of the same blob at another path
    has a file named by that path (`receipt_path`)."""
    if store_tip is None:
        return set(), set()
    wanted = sorted(set(keys))
    specs = {f"{store_tip}:{receipt_path(b)}" for b, _ in wanted} | \
        {f"{store_tip}:{receipt_path(b, path=p)}" for b, p in wanted}
    found = read_objects(repo, sorted(specs), reader)
    firsts: dict[str, object] = {}
    for b, _ in wanted:
        raw = found.get(f"{store_tip}:{receipt_path(b)}")
        if raw is not None and b not in firsts:
            with contextlib.suppress(ValueError, AttributeError):
                firsts[b] = json.loads(raw).get("path")
            firsts.setdefault(b, None)
    have = {(b, p) for b, p in wanted
            if firsts.get(b) == p or found.get(f"{store_tip}:{receipt_path(b, path=p)}") is not None}
    return have, set(firsts)


def lookup_receipts(repo: Path, verifier: Verifier, keys: Iterable[ReceiptKey], *, ref: str = RECEIPTS_REF,
                    refused: dict[str, str] | None = None) -> dict[ReceiptKey, Receipt]:
    """Receipts of a few reports by (blob, path), each authenticated by its own registry signature (PR
    mode's look-up: no replay of the whole checkpoint chain). A receipt whose signature fails is not
    returned, nor a receipt of the blob at another path (each path is a report of its own).

    ref: the store to read (an upper registry's store fetched under refs/baosong/upstream/, verified
    with a verifier holding that registry's keys); refused: filled with blob -> why, for every
    receipt present in the store but not believed (the caller shows it)."""
    tip = ref_value(repo, ref)
    wanted = sorted(set(keys))
    if tip is None or not wanted:
        return {}
    exts = (".json", ".json.sig", ".tsr")
    names = sorted({receipt_path(b, path=p) for b, p in wanted} | {receipt_path(b) for b, _ in wanted})
    objs = read_objects(repo, [f"{tip}:{n[:-5]}{ext}" for n in names for ext in exts])
    out: dict[ReceiptKey, Receipt] = {}
    for b, p in wanted:
        for name in (receipt_path(b, path=p), receipt_path(b)):  # the path's own file, then the blob's first
            raw, sig, tsr = (objs[f"{tip}:{name[:-5]}{ext}"] for ext in exts)
            if raw is None:
                continue
            found = _believe(verifier, name, b, raw, sig, tsr)
            if isinstance(found, str):
                if refused is not None:
                    refused[b] = found
            elif found.path == p:
                out[b, p] = found
                break
    return out


def _believe(verifier: Verifier, name: str, blob: str, raw: bytes, sig: bytes | None, tsr: bytes | None,
             ) -> Receipt | str:
    """One receipt file checked on its own: the Receipt, or why it is not believed."""
    status = verifier.record_status(raw, sig)
    if status is None:
        status = verify_record(verifier, raw, sig, RECEIPT_NAMESPACE, name).status
        verifier.remember_record(raw, sig, status)
    try:
        record = json.loads(raw)
    except ValueError:
        return "回执不是有效的 JSON"
    when = parse_datetime(record.get("received_at")) if isinstance(record, dict) else None
    if status != "good":
        return f"签名状态：{status}"
    if not isinstance(record, dict) or record.get("blob") != blob or when is None:
        return "回执内容与 blob 不符或缺少送达时间"
    path = record.get("path")
    if not isinstance(path, str) or (name != receipt_path(blob) and name != receipt_path(blob, path=path)):
        return "回执记载的路径与回执文件名不符"
    stamp_time = None
    tsa_cfg = (verifier.cfg.units_doc.get("registry") or {}).get("tsa") or {}
    if tsr is not None and tsa_cfg.get("cert") and tsa_verify(raw, tsr, tsa_cfg["cert"])[0]:
        stamp_time = tsa_time(tsr)
        stamp_time = stamp_time.astimezone(when.tzinfo) if stamp_time else None
    via, pushed_to = receipt_via(record)
    return Receipt(path, blob, blob_id(raw, object_format_of(blob)), when, stamp_time, 0, via, pushed_to)




class ReceiveError(RuntimeError):
    """Receive cannot run (no key, key not registered, TSA down...): a Chinese message for the user."""



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
