"""Writing the receipts store: `baosong receive` after a merge and push receipts from the server's hook
or webhook (see `receipts` for the store's format and read side). Every writer refuses to append to a
store that looks bent and advances the witness after each append."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import random
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from baosong.cache import Cache, git_dirs
from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import (
    REPORTS_PREFIX,
    CatFile,
    GitError,
    RefUpdate,
    git,
    git_text,
    is_ancestor,
    read_objects,
    ref_value,
    ref_values,
    rev_parse,
    tree_bytes,
    tree_entries,
    write_objects,
)
from baosong.problems import Problem
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    Checkpoint,
    ReceiptKey,
    ReceiveError,
    canonical,
    checkpoint_entry,
    checkpoint_record,
    existing_receipts,
    parse_checkpoint,
    read_checkpoints,
    read_witness,
    receipt_path,
    receipt_record,
    verify_record,
    witness_path,
    write_witness,
)
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, SigResult, Verifier, sign
from baosong.sources import object_format_of
from baosong.timeutil import iso
from baosong.tsa import stamp

# ---------------------------------------------------------------------------------------------
# receive


_IDENT = {"GIT_AUTHOR_NAME": "baosong registry", "GIT_AUTHOR_EMAIL": "registry@baosong.invalid",
          "GIT_COMMITTER_NAME": "baosong registry", "GIT_COMMITTER_EMAIL": "registry@baosong.invalid"}

@dataclass
class ReceiveResult:
    receipts: list[dict] = field(default_factory=list)  # the new receipt records
    checkpoint: int | None = None  # sequence of the checkpoint written, None when nothing changed
    main_commit: str = ""
    attempts: int = 0
    problems: list[Problem] = field(default_factory=list)



def _openssh_public_key(text: bytes) -> str | None:
    """The public half of an OpenSSH-format private key file ("type base64"), read from its clear header
    (present even when the key is encrypted); None for other formats."""
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


def _commit_files(repo: Path, old: str | None, files: dict[str, bytes], message: str, now: datetime,
                  reader: CatFile | None = None) -> str:
    """A new store commit: old's tree plus files, with old as parent.

    Only the trees on the paths of the new files are read and rewritten (a handful of objects
    through one cat-file and one hash-object), so the cost does not grow with the store: a store
    of 50,000 receipts has 100,000+ entries, which a temporary index would read and write in full.
    """
    names = sorted(files)
    oids = write_objects(repo, [files[n] for n in names])
    # The repository's own object format (SHA-1, or SHA-256 after `git init --object-format=sha256`):
    # the ids git just returned tell it, and the trees below are hashed and parsed the same way.
    fmt = object_format_of(oids[0])
    width = len(oids[0]) // 2
    dirs = {""}
    for name in names:
        parts = name.split("/")[:-1]
        dirs.update("/".join(parts[:k]) for k in range(1, len(parts) + 1))
    specs = {d: (f"{old}^{{tree}}" if d == "" else f"{old}:{d}") for d in dirs} if old else {}
    raw = read_objects(repo, sorted(specs.values()), reader) if old else {}
    trees = {d: tree_entries(data, width) if old and (data := raw.get(specs[d])) is not None else {} for d in dirs}
    for name, oid in zip(names, oids, strict=True):
        folder, _, base = name.rpartition("/")
        trees[folder][base.encode()] = (b"100644", bytes.fromhex(oid))
    contents = []
    for d in sorted(dirs, key=lambda x: (x.count("/") + (1 if x else 0)), reverse=True):  # deepest first
        data = tree_bytes(trees[d])
        contents.append(data)
        tree_oid = hashlib.new(fmt, b"tree %d\0" % len(data) + data).digest()
        if d:
            parent, _, base = d.rpartition("/")
            trees[parent][base.encode()] = (b"40000", tree_oid)
    written = write_objects(repo, contents, "tree")
    tree = written[-1]  # the root, written last
    stamp_env = {**_IDENT, "GIT_AUTHOR_DATE": now.isoformat(), "GIT_COMMITTER_DATE": now.isoformat()}
    args = ["commit-tree", tree, "-m", message]
    if old:
        args += ["-p", old]
    return git(repo, *args, env=stamp_env).decode().strip()


def _make_receipt(intro, sig: SigResult, registry: dict, tsa: dict | None, now: datetime, key_path: Path,
                  via: str = "receive", ref: str | None = None) -> tuple[bytes, bytes, bytes | None, dict]:
    """(receipt JSON, its signature, TSA reply or None, the record) for one blob at one path.

    via: "receive" (post-merge job; main_commit is the main-line commit that brought the blob in) or
    "push" (server hook / webhook; ref is the pushed ref, main_commit its new tip)."""
    record = receipt_record(path=intro.path, blob=intro.blob, commit=intro.commit, main_commit=intro.main_commit,
                            signer=sig.staff, principal=sig.principal, key=sig.key, signature=sig.status,
                            received_at=iso(now), registry=registry.get("principal"), via=via, ref=ref)
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


def _in_order(todo: Iterable[ReceiptKey]) -> list[ReceiptKey]:
    """The order of a checkpoint's `added` entries ([path, blob, …] sorted), which is also the order in
    which readers give a blob's first listing its first receipt file (`storecheck.receipt_files`)."""
    return sorted(todo, key=lambda k: (k[1], k[0]))


def _store_commit(repo: Path, old: str | None, last: Checkpoint | None, tip: str, todo: dict, signed: dict,
                  registry: dict, now: datetime, key_path: Path, via: str = "receive",
                  refs: list[str] | None = None, reader: CatFile | None = None,
                  firsts: set[str] | frozenset[str] = frozenset()) -> tuple[str, dict, bytes]:
    """The next store commit: the new receipts (todo: (blob, path) -> Introduced) and a checkpoint
    linked to the last one. firsts: the blobs whose first receipt file the store already has."""
    files: dict[str, bytes] = {}
    added = []
    taken = set(firsts)
    for blob, path in _in_order(todo):
        data, sig, tsr, record = signed[blob, path]
        name = receipt_path(blob, "", path if blob in taken else None)
        taken.add(blob)
        files[name + ".json"] = data
        files[name + ".json.sig"] = sig
        if tsr is not None:
            files[name + ".tsr"] = tsr
        added.append(checkpoint_entry(path, blob, data, record["received_at"], record.get("tsa_time")))
    checkpoint = checkpoint_record(
        sequence=(last.sequence if last else 0) + 1, previous=last.digest if last else None, main_commit=tip,
        created_at=iso(now), registry=registry.get("principal"), added=added,
        accepted_count=int(last.doc.get("accepted_count", 0) if last else 0) + len(added), via=via, refs=refs)
    raw = canonical(checkpoint)
    files[CHECKPOINT_FILE] = raw
    files[CHECKPOINT_FILE + ".sig"] = sign(raw, key_path, CHECKPOINT_NAMESPACE)
    message = f"{via}: {len(added)} receipt(s), checkpoint {checkpoint['sequence']} at {tip[:10]}"
    return _commit_files(repo, old, files, message, now, reader), checkpoint, files[CHECKPOINT_FILE + ".sig"]




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
            reader: CatFile | None = None, store_tip: object = _UNREAD,
            ) -> tuple[str, dict, list[dict], int] | None:
    """The writers' common loop: guard the store, build the next store commit, compare-and-swap.

    build(old tip, last checkpoint, verifier) returns (new commit, checkpoint, receipt records, the
    checkpoint's signature), or None when there is nothing to write. Returns (commit, checkpoint, records, attempts) or None.
    reader: the caller's cat-file process; store_tip: the store ref as the caller read it before the lock,
    used by the first attempt only when the witness still names it (every writer on this machine
    advances the witness under the lock; a writer that does not only makes the compare-and-swap fail,
    and the retry reads the ref again).
    """
    git_dir, common_dir = git_dirs(repo)
    wfile = witness_path(repo, witness, common_dir)
    with _receive_lock(repo, git_dir) if lock else contextlib.nullcontext(), \
            Verifier(cfg, repo, use_cache=use_cache) as verifier:
        for attempt in range(1, max_attempts + 1):
            witness_doc = read_witness(wfile)
            if attempt == 1 and isinstance(store_tip, str) and witness_doc is not None and witness_doc["commit"] == store_tip:
                old: str | None = store_tip  # read before the lock, and no writer of ours has moved it since
            else:
                old = ref_value(repo, RECEIPTS_REF)
            last, parent_raw = None, None
            if old is not None:
                specs = [f"{old}:{CHECKPOINT_FILE}", f"{old}:{CHECKPOINT_FILE}.sig", f"{old}^:{CHECKPOINT_FILE}"]
                objs = read_objects(repo, specs, reader)
                if (checkpoint_raw := objs[specs[0]]) is not None:
                    last = parse_checkpoint(old, checkpoint_raw, objs[specs[1]])
                parent_raw = objs[specs[2]]
            guard_store(repo, verifier, old, last, witness_doc, wfile, parent_raw)
            built = build(old, last, verifier)
            if built is None:
                return None
            new, checkpoint, records, checkpoint_sig = built
            try:
                git(repo, "update-ref", "-m", f"baosong {checkpoint.get('via', 'receive')}", RECEIPTS_REF, new,
                    old or "0" * len(new))  # the null id of the repository's object format: create only
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
                  key_path: Path, signed: dict, via: str, refs: dict[ReceiptKey, str] | None = None,
                  reader: CatFile | None = None) -> None:
    """Receipts for reports (blob, path) not signed yet in this run (kept across compare-and-swap retries)."""
    from baosong.history import Introduced, report_unit, unit_check

    if not missing:
        return
    sigs = verifier.verify_commits(repo, [(i.commit, now, i.claimed_time) for i in missing], reader)
    make = partial(_make_receipt, registry=registry, tsa=registry.get("tsa"), now=now, key_path=key_path, via=via)

    def one(i: Introduced) -> tuple[bytes, bytes, bytes | None, dict]:
        return make(i, unit_check(sigs[i.commit], report_unit(i.path)), ref=(refs or {}).get((i.blob, i.path)))

    if len(missing) == 1:  # the usual push: no thread pool (nor concurrent.futures and logging to import)
        signed[missing[0].blob, missing[0].path] = one(missing[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        made = pool.map(one, missing)
        signed.update(((i.blob, i.path), rec) for i, rec in zip(missing, made, strict=True))


def receive(repo: Path, key_path: Path, now: datetime, rev: str = "HEAD", *, cfg: Config | None = None,
            max_attempts: int = 200, use_cache: bool = True, lock: bool = True,
            witness: Path | None = None) -> ReceiveResult:
    """Record a receipt for every report blob on main (rev) that has none, then a checkpoint.

    Safe to run concurrently: the store ref is only moved from the value this run started from;
    a run that loses the race re-reads the store and retries (receipts already signed are reused).
    Refuses (StoreBentError) to append to a bent store; see guard_store.
    """
    from baosong.config import load_config
    from baosong.gitrepo import GitTree
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
    signed: dict[ReceiptKey, tuple[bytes, bytes, bytes | None, dict]] = {}  # (blob, path) -> (json, sig, tsr, record)

    def build(old: str | None, last: Checkpoint | None, verifier: Verifier) -> tuple[str, dict, list[dict], bytes] | None:
        tip = rev_parse(repo, rev) or ""
        result.main_commit = tip
        # A push checkpoint names main's tip too, but receipted only what the push brought: the
        # post-merge run still has to look at main.
        if last is not None and last.doc.get("main_commit") == tip and last.doc.get("via", "receive") == "receive":
            return None  # nothing new on main since the last checkpoint
        state = {(i.blob, p): i for p, i in main_reports(repo, tip).items() if is_report(i)}
        have, firsts = existing_receipts(repo, old, state)
        todo = {k: i for k, i in state.items() if k not in have}
        _sign_missing(cfg, repo, verifier, [i for k, i in todo.items() if k not in signed], registry, now,
                      key_path, signed, "receive")
        new, checkpoint, sig = _store_commit(repo, old, last, tip, todo, signed, registry, now, key_path,
                                             firsts=firsts)
        return new, checkpoint, [signed[k][3] for k in _in_order(todo)], sig

    done = _append(repo, cfg, key_path, now, witness, use_cache, lock, max_attempts, build)
    if done is not None:
        _, checkpoint, result.receipts, result.attempts = done
        result.checkpoint = checkpoint["sequence"]
    return result


def pushed_reports(repo: Path, updates: list[RefUpdate], main_ref: str, main_tip: str | None = None,
                   ) -> dict[ReceiptKey, tuple[object, str]]:
    """Reports a push brings: (blob, path) -> (Introduced record, ref), each with its oldest introducing
    commit. The same blob at two paths is two reports (a copy under another name): each gets a receipt.

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
    found: dict[ReceiptKey, tuple[object, str]] = {}
    for u in updates:
        if u.deleted or u.ref.startswith("refs/baosong/"):
            continue
        commits = log_between(repo, [u.new], sorted(before), paths=[REPORTS_PREFIX])
        for c in reversed(commits):  # oldest first: a blob's receipt names the commit that introduced it
            for ch in c.changes:
                if ch.status not in "AMT" or (ch.new_blob, ch.path) in found:
                    continue
                intro = Introduced(ch.path, ch.new_blob, ch.new_mode, c.id, u.new, c.committed, c.committed)
                if is_report(intro):
                    found[ch.new_blob, ch.path] = (intro, u.ref)
    return found


PUSH_CONFIG_CACHE = "push-config"


def _push_config(repo: Path, tip: str, *, use_cache: bool = True, reader: CatFile | None = None,
                 ) -> tuple[Config, list[Problem]]:
    """units.yaml of main, validated once per (tool version, units.yaml blob, units schema blob) and
    kept in the cache directory (baosong.cache): a push then costs no schema compilation. The two
    blob ids are read through reader when given (no rev-parse process)."""
    from baosong import __version__
    from baosong.config import UNITS_SCHEMA_PATH, config_from_units, load_config
    from baosong.gitrepo import GitTree

    if reader is not None:
        ids = [found[0] for spec in (f"{tip}:{UNITS_PATH}", f"{tip}:{UNITS_SCHEMA_PATH}")
               if (found := reader.read(spec)) is not None]
    else:
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

    repo = Path(repo)
    result = ReceiveResult()
    main_ref = main if main.startswith("refs/") else f"refs/heads/{main}"
    # Every push runs this: both refs with one for-each-ref (exact names, as rev_parse matches a full
    # ref), one cat-file process for every object read below, the git directories with one rev-parse.
    store_tip: object  # the store's tip, or _UNREAD when it must be read later
    if _PLAIN_REF_RE.fullmatch(main_ref):
        values = ref_values(repo, [main_ref, RECEIPTS_REF], peel={main_ref})
        tip, store_tip = values[main_ref], values[RECEIPTS_REF]
    else:  # a revision expression in baosong.mainBranch: resolved as before
        tip, store_tip = rev_parse(repo, main_ref), _UNREAD
    if tip is None:
        return result  # no main yet: not a registry (the first push creates it)
    result.main_commit = tip
    found = pushed_reports(repo, updates, main_ref, tip)
    if not found:
        return result
    git_dirs(repo)  # settles the cache directory for the caches below
    with CatFile(repo) as reader:
        return _receive_found(repo, key_path, now, result, found, tip, store_tip, reader, cfg=cfg,
                              max_attempts=max_attempts, use_cache=use_cache, lock=lock, witness=witness)


_PLAIN_REF_RE = re.compile(r"refs/[A-Za-z0-9._/-]+")


def _receive_found(repo: Path, key_path: Path, now: datetime, result: ReceiveResult, found: dict, tip: str,
                   store_tip: object, reader: CatFile, *, cfg: Config | None, max_attempts: int, use_cache: bool,
                   lock: bool, witness: Path | None) -> ReceiveResult:
    """receive_push once the pushed report blobs are known."""
    if cfg is None:
        cfg, problems = _push_config(repo, tip, use_cache=use_cache, reader=reader)
        if problems:
            result.problems = problems
            return result
    registry = _check_registry_key(cfg, key_path)
    signed: dict[ReceiptKey, tuple[bytes, bytes, bytes | None, dict]] = {}
    refs = {key: ref for key, (_, ref) in found.items()}

    def build(old: str | None, last: Checkpoint | None, verifier: Verifier) -> tuple[str, dict, list[dict], bytes] | None:
        have, firsts = existing_receipts(repo, old, found, reader)
        todo = {key: intro for key, (intro, _) in found.items() if key not in have}
        if not todo:
            return None
        _sign_missing(cfg, repo, verifier, [i for k, i in todo.items() if k not in signed], registry, now,
                      key_path, signed, "push", refs, reader)
        new, checkpoint, sig = _store_commit(repo, old, last, tip, todo, signed, registry, now, key_path, "push",
                                             sorted({refs[k] for k in todo}), reader, firsts)
        return new, checkpoint, [signed[k][3] for k in _in_order(todo)], sig

    done = _append(repo, cfg, key_path, now, witness, use_cache, lock, max_attempts, build, reader, store_tip)
    if done is not None:
        _, checkpoint, result.receipts, result.attempts = done
        result.checkpoint = checkpoint["sequence"]
    return result


