"""The demo's history: every submission as the officer's signed branch commit (its push is the
report's arrival) and the administrator's signed merge into main, then the receipts store; all in
one pack (`pack.py`), refs set at the end.

Commits are signed in-process (SSHSIG over the exact payload, ed25519, `baosong.sshsig`, ~0.1 ms
each): one `ssh-keygen -Y sign` per commit costs ~5 ms and cannot be batched, because each merge's
payload names the previous merge's id, signature included. git 2.39's fast-import cannot carry `gpgsig`.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from baosong.config import Config
from baosong.demo.files import report_text
from baosong.demo.pack import OBJ_BLOB, OBJ_COMMIT, Pack, Trees, ident, signed_commit
from baosong.demo.receipts import ReceiptService
from baosong.demo.timeline import Submission
from baosong.demo.world import DEFAULT_START, KEY_DIR, DemoError, Progress
from baosong.receipts import RECEIPTS_REF, witness_path, write_witness
from baosong.sshsig import SshKey


def run_git(repo: Path, *args: str, input_: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=repo, input=input_, capture_output=True)
    if proc.returncode != 0:
        raise DemoError(f"git {' '.join(args[:2])} 失败：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def write_history(out: Path, cfg: Config, subs: list[Submission], keys: dict[str, SshKey], admin_key: SshKey,
                   admin: str, registry_key: SshKey, outage: tuple[datetime, datetime],
                   progress: Progress | None) -> None:
    """Every object in one pack, then the refs; check out main.

    Main first, in merge order — per submission: the report blob, the changed trees, the officer's
    signed branch commit and the administrator's signed merge. Then the receipts store, in the
    order the registry wrote it (see receipts.ReceiptService).
    """
    run_git(out, "init", "-q", "-b", "main")
    run_git(out, "config", "core.quotepath", "false")
    pack = Pack()
    trees = Trees(pack)
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out)
        if f.is_file() and rel.parts[0] not in (KEY_DIR, ".git"):
            trees.set(rel.as_posix(), pack.add(OBJ_BLOB, f.read_bytes())[0])
    staff = cfg.staff
    office_name = cfg.units[cfg.registry_office]["name"]

    def person(sid: str, when: datetime) -> str:
        return ident(staff[sid]["name"], staff[sid]["principal"], when)

    first_time = DEFAULT_START - timedelta(hours=15)
    tip, _ = pack.add(OBJ_COMMIT, signed_commit(
        trees.flush(), [], person(admin, first_time), person(admin, first_time),
        f"建立{office_name}信息报送登记库\n\n初始化 schema/ 与 config/（演示库）。\n", admin_key))
    mains: list[tuple[datetime, str]] = [(first_time, tip)]  # (merge time, main tip) in order
    written: list[tuple[Submission, str, str, str]] = []  # (submission, blob, branch commit, merge commit)
    schema = cfg.report_schema.schema if cfg.report_schema else {}
    items = list(enumerate(subs, start=1))
    for n, sub in progress(items, "写入提交") if progress else items:
        assert sub.merged is not None
        blob, _ = pack.add(OBJ_BLOB, report_text(sub.doc, schema))
        trees.set(sub.path, blob)
        tree = trees.flush()
        branch, _ = pack.add(OBJ_COMMIT, signed_commit(
            tree, [tip], person(sub.author, sub.committed), person(sub.author, sub.committed),
            f"报送：{sub.doc['title']}\n\n{sub.path}\n", keys[sub.author]))
        tip, _ = pack.add(OBJ_COMMIT, signed_commit(
            tree, [tip, branch], person(admin, sub.merged), person(admin, sub.merged),
            f"合并报送 #{n}：{sub.id}\n\n{sub.unit}/{sub.id} → main\n", admin_key))
        mains.append((sub.merged, tip))
        written.append((sub, blob, branch, tip))
    receipts = ReceiptService(pack, cfg, keys, registry_key, seed=len(subs))
    receipts.replay(written, mains, outage)
    pack.finish(out)
    run_git(out, "update-ref", "refs/heads/main", tip)
    if receipts.tip:
        run_git(out, "update-ref", RECEIPTS_REF, receipts.tip)
        # What the registry's server keeps beside the store (here the git directory, the default):
        # `audit`/`verify` compare the store with it, and the portal publishes it.
        assert receipts.previous is not None and receipts.last_run is not None
        write_witness(witness_path(out), receipts.tip, receipts.sequence, receipts.previous, receipts.last_run)
    run_git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    run_git(out, "read-tree", "-u", "--reset", "HEAD")
