"""SSH signature verification of commits (and registry records), at a trusted time, cached per commit.

Git's own `%G?` is not enough: it checks key validity at the committer date, which the client sets,
and it does not tie the signer to a unit. Here the allowed-signers file is generated from a trusted
`config/units.yaml` (staff keys, per-unit certificate authorities restricted to that unit's staff,
validity windows, revoked keys) and each signature is judged as `ssh-keygen -Y verify` judges it with
`-Overify-time` set to the trusted time: the CI clock for a pull request, the receipt or main-line
time in the register. The judging runs in-process (`baosong.sshsig`: ~0.25 ms a signature against a
~7 ms ssh-keygen process); what that cannot judge (FIDO `sk-` keys, unknown key types) is handed to
ssh-keygen itself, counted in `fallback_counts()` and reported by the commands.

Commits are immutable, so a result is cached by (commit id, allowed-signers digest, verify time) in
the repository's cache directory (`baosong.cache`, inside the git directory) and every commit is
verified once.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import re
import struct
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from baosong import sshsig, sshverify
from baosong.cache import Cache, code_fingerprint
from baosong.config import UNITS_PATH, Config
from baosong.gitrepo import CatFile, read_objects
from baosong.parallel import CHUNK, fork_chunks, idle_cpus, workers_for
from baosong.timeutil import iso, parse_datetime

GIT_NAMESPACE = "git"
RECEIPT_NAMESPACE = "baosong-receipt"
CHECKPOINT_NAMESPACE = "baosong-checkpoint"
STATUSES = ("good", "unsigned", "unknown_key", "bad", "expired", "revoked", "wrong_unit")
CACHE_FORMAT = 2  # 2: JSON in the git directory; 1 was a pickle in the work tree
# The modules whose code decides a verdict in-process (part of the cache fingerprints).
SSH_MODULES = ("baosong.sshkey", "baosong.sshsig", "baosong.sshverify")
T = TypeVar("T")
R = TypeVar("R")
_SSH_ARMOR = b"-----BEGIN SSH SIGNATURE-----"


@dataclass(frozen=True, slots=True)
class SigResult:
    commit: str
    status: str
    principal: str | None = None
    staff: str | None = None  # staff id of the principal, None for the registry or an unknown key
    unit: str | None = None
    key: str | None = None  # SHA256 fingerprint of the signing key
    verify_time: datetime | None = None

    @property
    def good(self) -> bool:
        return self.status == "good"


def short(commit: str) -> str:
    return commit[:10]


def message(r: SigResult, unit: str | None = None) -> str:
    """A Chinese explanation naming the commit and the key; `unit` for wrong_unit (the report's unit)."""
    c, key = short(r.commit), r.key or "（无）"
    when = iso(r.verify_time) or ""
    who = f"{r.principal}，" if r.principal else ""
    if r.status == "good":
        return f"提交 {c} 由 {r.principal} 签名（密钥 {key}）。"
    if r.status == "unsigned":
        return (f"提交 {c} 没有签名。报送提交须用本人在 {UNITS_PATH} 登记的 SSH 密钥签名：先设置 "
                "git config gpg.format ssh 与 git config user.signingkey ~/.ssh/id_ed25519.pub，再用 git commit -S 提交。")
    if r.status == "unknown_key":
        return (f"提交 {c} 的签名密钥 {key} 未在 {UNITS_PATH} 中登记，也不是本单位证书颁发机构签发的证书，"
                "请用本人登记的密钥重新签名提交，或请登记管理员登记该公钥。")
    if r.status == "bad":
        return f"提交 {c} 的签名无效（密钥 {key}）：签名与提交内容不符，提交可能被篡改，请重新签名提交。"
    if r.status == "expired":
        return (f"提交 {c} 的签名密钥 {key}（{who}按可信时间 {when} 判断）不在有效期内；"
                "提交日期由提交者自行填写，不能作为签名时间。请用有效的密钥重新签名提交。")
    if r.status == "revoked":
        return f"提交 {c} 的签名密钥 {key}（{who.rstrip('，')}）已被吊销（{UNITS_PATH} revoked_keys），签名不予认可。"
    if r.status == "wrong_unit":
        owner = f"单位“{r.unit}”" if r.unit else "登记系统"
        return (f"提交 {c} 的签名人 {r.principal}（密钥 {key}）属于{owner}，不能为单位“{unit}”提交报告："
                "各单位只能提交本单位的报告。")
    return f"提交 {c}：签名状态 {r.status}。"


# ---------------------------------------------------------------------------------------------
# Raw objects and SSHSIG


def split_signature(raw: bytes) -> tuple[bytes | None, bytes]:
    """(armored signature or None, signed payload) of a raw commit object: the gpgsig header removed."""
    header, sep, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    sig: list[bytes] = []
    in_sig = False
    for line in header.split(b"\n"):
        if in_sig and line.startswith(b" "):
            sig.append(line[1:])
            continue
        in_sig = False
        if line.startswith((b"gpgsig ", b"gpgsig-sha256 ")):
            in_sig = True
            sig.append(line.split(b" ", 1)[1])
            continue
        kept.append(line)
    payload = b"\n".join(kept) + sep + body
    return (b"\n".join(sig) + b"\n" if sig else None), payload


def _ssh_string(data: bytes, pos: int) -> tuple[bytes, int]:
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    return data[pos + 4:pos + 4 + n], pos + 4 + n


def signature_key(armored: bytes) -> bytes | None:
    """The public key blob inside an SSHSIG signature, None when it is not one."""
    try:
        body = b"".join(ln.strip() for ln in armored.splitlines() if ln.strip() and not ln.startswith(b"-----"))
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        return None
    return _sshsig_key(raw)


def _sshsig_key(raw: bytes) -> bytes | None:
    """signature_key's reading of a dearmored signature."""
    try:
        if raw[:6] != b"SSHSIG":
            return None
        blob, _ = _ssh_string(raw, 10)
        return blob or None
    except (ValueError, struct.error):
        return None


_CANONICAL_BODY = re.compile(rb"[A-Za-z0-9+/=\n]*")


def _canonical_dearmor(armored: bytes) -> bytes | None:
    """`sshsig.dearmor(armored)` when the armour has the form `ssh-keygen -Y sign` writes (the header
    line, base64 lines, the footer line, nothing after it), else None. For such an armour
    `signature_key` (lenient) and `sshsig.dearmor` (strict, OpenSSH's reading) read the same bytes, so
    one decoding serves both; any other armour goes through both readers as before."""
    end = armored.find(sshsig.END, len(sshsig.BEGIN))
    if end == -1 or not armored.startswith(sshsig.BEGIN) or armored[end + len(sshsig.END):] not in (b"", b"\n"):
        return None
    if _CANONICAL_BODY.fullmatch(armored, len(sshsig.BEGIN), end) is None:
        return None
    try:
        return sshsig.dearmor(armored)
    except sshsig.Invalid:
        return None


@lru_cache(maxsize=4096)  # a registry has few keys and many signatures
def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint; for an ed25519 certificate, that of the certified key (as ssh-keygen shows)."""
    try:
        kind, pos = _ssh_string(blob, 0)
        if kind == b"ssh-ed25519-cert-v01@openssh.com":
            _nonce, pos = _ssh_string(blob, pos)
            pk, _ = _ssh_string(blob, pos)
            blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", len(pk)) + pk
    except struct.error:
        pass
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def key_blob(line: str) -> bytes | None:
    """The blob of an OpenSSH public key line ("type base64 [comment]")."""
    parts = line.split()
    if len(parts) < 2:
        return None
    try:
        return base64.b64decode(parts[1], validate=True)
    except ValueError:
        return None


def _key_text(line: str) -> str:
    return " ".join(line.split()[:2])  # no comment: it would be read as part of the allowed-signers line


def ssh_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


# ---------------------------------------------------------------------------------------------
# Allowed signers from the configuration


@dataclass
class Identity:
    principal: str
    staff: str | None
    unit: str | None
    roles: tuple[str, ...]


def allowed_signers(cfg: Config) -> tuple[str, str, dict[bytes, str], dict[str, Identity]]:
    """(allowed-signers text, revoked-keys text, plain key blob → principal, principal → identity).

    A unit's CA is written once per staff member, so the certificate must name one of that unit's
    staff principals and the person's own validity window applies to certificates too.
    """
    doc = cfg.units_doc or {}
    lines: list[str] = []
    keymap: dict[bytes, str] = {}
    idents: dict[str, Identity] = {}
    for unit in doc.get("units", []):
        ca = unit.get("ca")
        for person in unit.get("staff", []):
            principal = person["principal"]
            idents[principal] = Identity(principal, person["id"], unit["code"], tuple(person.get("roles", [])))
            opts = [f'namespaces="{GIT_NAMESPACE}"']
            for fieldname, opt in (("valid_after", "valid-after"), ("valid_before", "valid-before")):
                when = parse_datetime(person.get(fieldname))
                if when is not None:
                    opts.append(f'{opt}="{ssh_time(when)}"')
            for key in person.get("keys") or []:
                lines.append(f"{principal} {','.join(opts)} {_key_text(key)}")
                blob = key_blob(key)
                if blob:
                    keymap.setdefault(blob, principal)
            if ca:
                lines.append(f"{principal} cert-authority,{','.join(opts)} {_key_text(ca)}")
    registry = doc.get("registry") or {}
    if registry.get("principal"):
        principal = registry["principal"]
        idents.setdefault(principal, Identity(principal, None, None, ("registry",)))
        for key in registry.get("keys") or []:
            lines.append(f'{principal} namespaces="{RECEIPT_NAMESPACE},{CHECKPOINT_NAMESPACE}" {_key_text(key)}')
            blob = key_blob(key)
            if blob:
                keymap.setdefault(blob, principal)
    revoked = "".join(f"{_key_text(k)}\n" for k in doc.get("revoked_keys") or [])
    return "".join(f"{ln}\n" for ln in lines), revoked, keymap, idents


def _decode_results(stored: object) -> dict[tuple, tuple] | None:
    """Stored results as {(commit id, digest, time) or ("record", sha256, digest): (status, principal, key)}.

    Stored as a list of [key, value] pairs (JSON has no tuple keys); an entry of another shape is
    dropped, so at worst that commit is verified again.
    """
    if not isinstance(stored, list):
        return None
    out: dict[tuple, tuple] = {}
    for entry in stored:
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        key, value = entry
        if (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)
                and isinstance(value, list) and len(value) == 3 and value[0] in STATUSES
                and all(v is None or isinstance(v, str) for v in value[1:])):
            out[tuple(key)] = tuple(value)
    return out


class Verifier:
    """Verifies signatures against one configuration. Use as a context manager (temporary files)."""

    in_process = True  # False: every signature through ssh-keygen (the tests' oracle, the benchmarks)

    def __init__(self, cfg: Config, repo: Path | None = None, *, use_cache: bool = True) -> None:
        self.cfg = cfg
        self.allowed_text, self.revoked_text, self.keymap, self.identities = allowed_signers(cfg)
        self.revoked_blobs = {key_blob(k) for k in (cfg.units_doc or {}).get("revoked_keys") or []}
        self.digest = hashlib.sha256((self.allowed_text + "\0" + self.revoked_text).encode()).hexdigest()[:16]
        self._native: sshverify.Signers | str | None = None  # built on first use, see _signers()
        self.fallbacks: Counter = Counter()  # reason -> signatures ssh-keygen judged because sshsig could not
        self._tmp = tempfile.TemporaryDirectory(prefix="baosong-sig-")
        tmp = Path(self._tmp.name)
        self.allowed_file = tmp / "allowed_signers"
        self.allowed_file.write_text(self.allowed_text or "\n")
        self.revoked_file: Path | None = None
        if self.revoked_text:
            self.revoked_file = tmp / "revoked_keys"
            self.revoked_file.write_text(self.revoked_text)
        self.repo = Path(repo) if repo is not None else None
        # This module's code is the fingerprint: a changed verification must not reuse old results.
        self._store = Cache(self.repo, "signatures", version=CACHE_FORMAT,
                            fingerprint=code_fingerprint(__name__, *SSH_MODULES),
                            enabled=use_cache)
        self._cache: dict[tuple, tuple] = self._load_cache()
        self._new: dict[tuple, tuple] = {}
        self._names = itertools.count()  # next() on a count is atomic: unique file names across threads

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.save()
        self._tmp.cleanup()

    # -- cache ---------------------------------------------------------------------------------

    def _load_cache(self) -> dict[tuple, tuple]:
        return self._store.load(_decode_results) or {}

    def save(self) -> None:
        if not self._store.enabled or not self._new:
            return
        current = self._load_cache()  # another process may have added entries meanwhile
        current.update(self._new)
        if self._store.save([[list(k), list(v)] for k, v in current.items()]):
            self._cache = current
            self._new = {}
        # else: a read-only repository is still verified correctly, only again next time

    def _record_key(self, raw: bytes, sig: bytes | None) -> tuple:
        return ("record", hashlib.sha256(raw + b"\0" + (sig or b"")).hexdigest(), self.digest)

    def record_status(self, raw: bytes, sig: bytes | None) -> str | None:
        """Cached status of a registry record (receipt, checkpoint): records are immutable too."""
        hit = self._new.get(self._record_key(raw, sig)) or self._cache.get(self._record_key(raw, sig))
        return hit[0] if hit else None

    def remember_record(self, raw: bytes, sig: bytes | None, status: str) -> None:
        self._new[self._record_key(raw, sig)] = (status, None, None)

    # -- ssh-keygen ----------------------------------------------------------------------------

    def _sigfile(self, sig: bytes) -> Path:
        path = Path(self._tmp.name) / f"sig-{os.getpid()}-{next(self._names)}"  # forked workers share the dir
        path.write_bytes(sig)
        return path

    def _run(self, args: list[str], payload: bytes) -> tuple[int, str, str]:
        proc = subprocess.run(["ssh-keygen", *args], input=payload, capture_output=True)
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")

    def _verify(self, sigfile: Path, payload: bytes, principal: str, namespace: str, when: datetime | None,
                revoked: bool = True) -> tuple[bool, str]:
        args = ["-Y", "verify", "-f", str(self.allowed_file), "-I", principal, "-n", namespace, "-s", str(sigfile)]
        if revoked and self.revoked_file is not None:
            args += ["-r", str(self.revoked_file)]
        if when is not None:
            args.append(f"-Overify-time={ssh_time(when)}")
        rc, out, err = self._run(args, payload)
        return rc == 0, out + err

    def _find_principals(self, sigfile: Path, when: datetime | None) -> list[str]:
        args = ["-Y", "find-principals", "-f", str(self.allowed_file), "-s", str(sigfile)]
        if when is not None:
            args.append(f"-Overify-time={ssh_time(when)}")
        rc, out, _ = self._run(args, b"")
        return [p for p in out.split() if p] if rc == 0 else []

    def verify_data(self, payload: bytes, sig: bytes, when: datetime | None, *, namespace: str,
                    claimed: datetime | None = None, label: str = "") -> SigResult:
        """Verify one detached SSH signature over payload at time `when` (None: the current time).

        Judged in-process (`sshsig`) when it can be, else by ssh-keygen: the same questions in the
        same order either way, so the verdict does not depend on which one answered."""
        if not sig.startswith(_SSH_ARMOR):
            return SigResult(label, "unknown_key", verify_time=when)  # a PGP or X.509 signature
        dearmored = _canonical_dearmor(sig)
        blob = _sshsig_key(dearmored) if dearmored is not None else signature_key(sig)
        if blob is None:
            return SigResult(label, "bad", verify_time=when)
        fp = fingerprint(blob)
        if blob in self.revoked_blobs:
            principal = self.keymap.get(blob)
            return self._result(label, "revoked", principal, fp, when)
        signers = self._signers() if self.in_process else "强制使用 ssh-keygen"
        if isinstance(signers, sshverify.Signers):
            try:
                return self._judge(sshverify.Check(signers, sig, payload, dearmored), label, blob, fp, namespace, when,
                                   claimed)
            except sshsig.Unsupported as exc:
                signers = str(exc)
        if self.in_process:
            _count_fallback(self.fallbacks, signers)
        check = _KeygenCheck(self, sig, payload)
        try:
            return self._judge(check, label, blob, fp, namespace, when, claimed)
        finally:
            check.close()

    def _signers(self) -> sshverify.Signers | str:
        """The in-process allowed signers (built once), or why there are none (then ssh-keygen judges)."""
        if self._native is None:
            try:
                self._native = sshverify.Signers(self.allowed_text, self.revoked_text)
            except sshsig.Unsupported as exc:
                self._native = str(exc)
        return self._native

    def _judge(self, check: sshverify.Check | _KeygenCheck, label: str, blob: bytes, fp: str, namespace: str,
               when: datetime | None, claimed: datetime | None) -> SigResult:
        principal = self.keymap.get(blob)
        candidates = [principal] if principal else check.find_principals(when)
        if not candidates and claimed is not None:
            # A certificate valid only at the claimed (client-set) time: expired, not unknown.
            candidates = check.find_principals(claimed)
        if not candidates:
            return SigResult(label, "unknown_key", key=fp, verify_time=when)
        stderr = ""
        for cand in candidates:
            ok, text = check.verify(cand, namespace, when)
            if ok:
                return self._result(label, "good", cand, _fp_from(text) or fp, when)
            stderr += text
        cand = candidates[0]
        if self.revoked_file is not None and check.verify(cand, namespace, when, False)[0]:
            return self._result(label, "revoked", cand, fp, when)
        if "expired" in stderr or "not yet valid" in stderr:
            return self._result(label, "expired", cand, fp, when)
        if claimed is not None and check.verify(cand, namespace, claimed)[0]:
            return self._result(label, "expired", cand, fp, when)
        return self._result(label, "bad", cand, fp, when)

    def map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """[fn(item) for item in items], in forked worker processes when that pays (`baosong.parallel`:
        large batches, a free core). fn must only verify (the workers' memory is their own: no cache
        writes); the ssh-keygen fallbacks the workers counted are merged here. When ssh-keygen judges
        (no in-process path for this configuration), its processes run outside the GIL: threads then
        keep the cores busy instead."""
        if not items:
            return []
        if not (self.in_process and isinstance(self._signers(), sshverify.Signers)):
            # Imported here: it imports logging, which a push (one commit, in-process) needs neither of.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 2)) as pool:
                return list(pool.map(fn, items))
        workers = _workers(len(items))
        if workers < 2:
            return [fn(x) for x in items]
        self._signers()  # built once, before the fork, for every worker
        chunks: list[Sequence[T]] = [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]

        def run(chunk: Sequence[T]) -> tuple[list[R], Counter]:  # in a worker: results, ssh-keygen fallbacks
            before = Counter(self.fallbacks)
            return [fn(x) for x in chunk], self.fallbacks - before

        done = fork_chunks(run, chunks, workers)
        if done is None:  # a worker died or could not start: do it here
            return [fn(x) for x in items]
        out: list[R] = []
        for results, fallbacks in done:
            out.extend(results)
            for reason, n in fallbacks.items():
                _count_fallback(self.fallbacks, reason, n)
        return out

    def _result(self, label: str, status: str, principal: str | None, fp: str | None,
                when: datetime | None) -> SigResult:
        ident = self.identities.get(principal) if principal else None
        return SigResult(label, status, principal, ident.staff if ident else None, ident.unit if ident else None,
                         fp, when)

    # -- commits -------------------------------------------------------------------------------

    def verify_commits(self, repo: Path, items: Iterable[tuple[str, datetime, datetime | None]],
                       reader: CatFile | None = None) -> dict[str, SigResult]:
        """Verify commits at their trusted times: items are (commit id, trusted time, claimed time).
        reader: a cat-file process of the caller's to read the commits through."""
        results: dict[str, SigResult] = {}
        todo: list[tuple[str, datetime, datetime | None]] = []
        keys: list[tuple[str, str, str]] = []  # the cache keys of todo (strftime once per commit)
        for cid, when, claimed in items:
            key = (cid, self.digest, ssh_time(when))
            hit = self._new.get(key) or self._cache.get(key)
            if hit is not None:
                status, principal, fp = hit
                results[cid] = self._result(cid, status, principal, fp, when)
            else:
                todo.append((cid, when, claimed))
                keys.append(key)
        if not todo:
            return results
        raws = read_objects(repo, [cid for cid, _, _ in todo], reader)

        def one(item: tuple[str, datetime, datetime | None]) -> SigResult:
            cid, when, claimed = item
            raw = raws.get(cid)
            if raw is None:
                return SigResult(cid, "bad", verify_time=when)
            sig, payload = split_signature(raw)
            if sig is None:
                return SigResult(cid, "unsigned", verify_time=when)
            r = self.verify_data(payload, sig, when, namespace=GIT_NAMESPACE, claimed=claimed, label=cid)
            ident = self.identities.get(r.principal or "")
            if ident is not None and ident.staff is None:
                # The registry's receipt key is not a staff key: it may not sign commits.
                return SigResult(cid, "unknown_key", key=r.key, verify_time=when)
            return r

        done = self.map(one, todo)  # worker processes or threads, whichever pays (see map)
        for item, key, r in zip(todo, keys, done, strict=True):
            results[item[0]] = r
            self._new[key] = (r.status, r.principal, r.key)
        return results


def _fp_from(text: str) -> str | None:
    for word in text.split():
        if word.startswith("SHA256:"):
            return word
    return None


class _KeygenCheck:
    """One signature judged by ssh-keygen processes (the same interface as sshverify.Check)."""

    def __init__(self, verifier: Verifier, sig: bytes, payload: bytes) -> None:
        self.verifier = verifier
        self.payload = payload
        self.sigfile = verifier._sigfile(sig)

    def verify(self, principal: str, namespace: str, when: datetime | None, revoked: bool = True) -> tuple[bool, str]:
        return self.verifier._verify(self.sigfile, self.payload, principal, namespace, when, revoked)

    def find_principals(self, when: datetime | None) -> list[str]:
        return self.verifier._find_principals(self.sigfile, when)

    def close(self) -> None:
        self.sigfile.unlink(missing_ok=True)


PARALLEL_MIN_SIGNATURES = 1000  # per worker process: below, starting one costs more than it saves
_CHUNK = CHUNK
_idle_cpus = idle_cpus  # a module global, so that tests can set the load


def _workers(n: int) -> int:
    """Worker processes for n in-process checks: more than one only for a large batch and a free core."""
    return workers_for(n, PARALLEL_MIN_SIGNATURES, _idle_cpus())


_FALLBACKS: Counter = Counter()  # process-wide: what the command reports at the end
_FALLBACK_LOCK = threading.Lock()


def _count_fallback(local: Counter, reason: str, n: int = 1) -> None:
    with _FALLBACK_LOCK:
        local[reason] += n
        _FALLBACKS[reason] += n


def fallback_counts() -> dict[str, int]:
    """Signatures judged by ssh-keygen in this process because sshsig could not, by reason."""
    with _FALLBACK_LOCK:
        return dict(_FALLBACKS)


def fallback_note() -> str | None:
    """The line the commands print when ssh-keygen had to judge some signatures (None: it did not)."""
    counts = fallback_counts()
    if not counts:
        return None
    detail = "；".join(f"{reason}：{n} 个" for reason, n in sorted(counts.items()))
    return (f"注意：{sum(counts.values())} 个签名不能在进程内验证，已改用 ssh-keygen 验证（{detail}）。"
            "验证结论不受影响，只是较慢。")


def sign(data: bytes, key_path: Path, namespace: str) -> bytes:
    """An SSHSIG signature over data with a private key file, as `ssh-keygen -Y sign` makes it.

    In-process for an unencrypted ed25519, ECDSA or RSA key file; anything else (a passphrase, a
    FIDO key, a certificate beside the key, loose permissions) is left to ssh-keygen itself."""
    key = sshsig.load_signing_key(key_path)
    if key is not None:
        return sshsig.sign_with(key, data, namespace.encode()).encode()
    with tempfile.TemporaryDirectory(prefix="baosong-sign-") as tmp:
        target = Path(tmp) / "data"
        target.write_bytes(data)
        proc = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(key_path), "-n", namespace, str(target)],
                              capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise OSError(proc.stderr.decode("utf-8", "replace").strip() or "ssh-keygen -Y sign failed")
        return (Path(tmp) / "data.sig").read_bytes()
