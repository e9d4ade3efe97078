"""The receipts store cannot be bent quietly: receipt writers refuse to append to a store that was
deleted, rewound, or extended with a checkpoint the registry key did not sign, and keep a witness of
the last checkpoint they wrote (`receipts.read_witness` / `write_witness`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trust_helpers as th
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    WITNESS_FILE,
    canonical,
    read_witness,
    receipt_path,
    write_witness,
)
from baosong.receive import StoreBentError, receive
from baosong.timeutil import parse_datetime


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def at(minute: int) -> str:
    return f"2026-11-25T{11 + minute // 60:02d}:{minute % 60:02d}:00+08:00"


def registry_with_receipts(world: th.World, root: Path, n: int) -> th.Registry:
    """n reports merged one by one, each followed by a receive run (n store commits)."""
    reg = world.registry(root)
    for i in range(n):
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=i + 1)
        reg.branch(f"pr{i}")
        reg.add_report(path, text, signer="wanghao", date="2026-11-25T10:30:00+08:00")
        reg.merge(f"pr{i}", date=at(i))
        result = receive(reg.root, world.keys["registry"], parse_datetime(at(i)), "main")
        assert result.checkpoint == i + 1
    return reg


def cli_receive(reg: th.Registry, now: str, *extra: str):
    return reg.baosong("receive", "--key", str(reg.world.keys["registry"]), "--now", now, *extra)


def store_state(reg: th.Registry) -> str:
    return reg.git("for-each-ref", "refs/baosong/")


def test_witness_follows_every_append(world, tmp_path):
    reg = registry_with_receipts(world, tmp_path / "r", 2)
    witness = read_witness(reg.root / ".git" / WITNESS_FILE)
    tip = reg.head(RECEIPTS_REF)
    raw = th.run(["git", "show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"], cwd=reg.root, env=world.env).stdout
    import hashlib

    assert witness == {"ref": RECEIPTS_REF, "commit": tip, "sequence": 2, "digest": hashlib.sha256(raw).hexdigest(),
                       "at": "2026-11-25T11:01:00+08:00"}
    # --witness elsewhere (the server's state directory): a store with no witness there yet is adopted
    # (its latest checkpoint verifies) and the witness written.
    elsewhere = tmp_path / "state" / "witness.json"
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=9)
    reg.add_report(path, text, signer="wanghao", date="2026-11-25T12:00:00+08:00")
    proc = cli_receive(reg, "2026-11-25T12:05:00+08:00", "--witness", str(elsewhere))
    assert proc.returncode == 0, proc.stderr
    assert read_witness(elsewhere)["sequence"] == 3
    assert read_witness(reg.root / ".git" / WITNESS_FILE)["sequence"] == 2  # the other witness is left alone
    # The store's trees are built object by object (no index): git finds them well-formed.
    fsck = th.run(["git", "fsck", "--strict", "--no-dangling"], cwd=reg.root, env=world.env, check=False)
    assert fsck.returncode == 0, fsck.stderr.decode()
    assert len(reg.git("ls-tree", "-r", "--name-only", RECEIPTS_REF).split()) == 3 * 2 + 2


def test_deleted_store_is_not_restamped(world, tmp_path):
    """`git push --mirror` from a plain clone deletes refs/baosong/receipts on the server; the next
    receive must not stamp every report on main at "now"."""
    reg = registry_with_receipts(world, tmp_path / "r", 3)
    reg.git("update-ref", "-d", RECEIPTS_REF)
    proc = cli_receive(reg, "2026-11-26T09:00:00+08:00")
    assert proc.returncode == 2, proc.stdout
    assert "回执库 refs/baosong/receipts 不存在" in proc.stderr and "git push --mirror" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert store_state(reg) == ""  # nothing written
    with pytest.raises(StoreBentError):
        receive(reg.root, world.keys["registry"], parse_datetime("2026-11-26T09:00:00+08:00"), "main")


def test_rewound_store_is_refused(world, tmp_path):
    reg = registry_with_receipts(world, tmp_path / "r", 11)
    reg.git("update-ref", RECEIPTS_REF, reg.head(f"{RECEIPTS_REF}~10"))
    before = store_state(reg)
    proc = cli_receive(reg, "2026-11-26T09:00:00+08:00")
    assert proc.returncode == 2, proc.stdout
    assert "落后于见证文件" in proc.stderr and "检查点 11" in proc.stderr
    assert store_state(reg) == before


def _forge_checkpoint(reg: th.Registry, tmp_path: Path, *, unsigned: bool) -> None:
    """Append a store commit with a checkpoint that lists a back-dated receipt (no registry key)."""
    last = json.loads(reg.git("show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"))
    raw_last = th.run(["git", "show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"], cwd=reg.root, env=reg.world.env).stdout
    import hashlib

    forged = {**last, "sequence": last["sequence"] + 1, "previous": hashlib.sha256(raw_last).hexdigest(),
              "added": [["reports/2026/gaj/x.yaml", "ab" * 20, "cd" * 20, "2026-11-25T09:00:00+08:00", None]]}
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "forge-index")}
    oid = reg.git("hash-object", "-w", "--stdin", input=canonical(forged))
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    th.run(["git", "update-index", "--cacheinfo", f"100644,{oid},{CHECKPOINT_FILE}"], cwd=reg.root, env=env)
    if unsigned:
        th.run(["git", "update-index", "--force-remove", f"{CHECKPOINT_FILE}.sig"], cwd=reg.root, env=env)
    else:  # signed, but by an officer's key instead of the registry's
        sig = th.run(["ssh-keygen", "-Y", "sign", "-n", "baosong-checkpoint", "-f", str(reg.world.keys["wanghao"])],
                     input=canonical(forged), env=reg.world.env).stdout
        soid = reg.git("hash-object", "-w", "--stdin", input=sig)
        th.run(["git", "update-index", "--cacheinfo", f"100644,{soid},{CHECKPOINT_FILE}.sig"], cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "forged"))


@pytest.mark.parametrize("unsigned", [True, False], ids=["unsigned", "officer-key"])
def test_forged_checkpoint_is_not_chained_onto(world, tmp_path, unsigned):
    reg = registry_with_receipts(world, tmp_path / "r", 1)
    (reg.root / ".git" / WITNESS_FILE).unlink()  # even with no witness (a fresh CI clone): the signature decides
    _forge_checkpoint(reg, tmp_path, unsigned=unsigned)
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=5)
    reg.add_report(path, text, signer="wanghao", date="2026-11-25T12:00:00+08:00")
    before = store_state(reg)
    proc = cli_receive(reg, "2026-11-25T13:00:00+08:00")
    assert proc.returncode == 2, proc.stdout
    assert "没有登记系统密钥的有效签名" in proc.stderr and ("（unsigned）" if unsigned else "（bad）") in proc.stderr
    assert store_state(reg) == before


def test_tip_that_only_deletes_receipts_is_refused(world, tmp_path):
    """A commit on top of the store that removes receipt files but keeps the signed checkpoint would
    make the next run re-stamp those reports: the tip must carry a checkpoint of its own."""
    reg = registry_with_receipts(world, tmp_path / "r", 2)
    blob = reg.git("rev-parse", "main:" + th.emergency("gaj", "wanghao", "liuzhenhua", n=1)[0])
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "idx")}
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    th.run(["git", "update-index", "--force-remove", receipt_path(blob), receipt_path(blob, ".json.sig")],
           cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "tidy"))
    proc = cli_receive(reg, "2026-11-26T09:00:00+08:00")
    assert proc.returncode == 2 and "没有写入新的检查点" in proc.stderr, proc.stderr


def test_damaged_witness_is_a_clear_error(world, tmp_path):
    reg = registry_with_receipts(world, tmp_path / "r", 1)
    (reg.root / ".git" / WITNESS_FILE).write_text("{not json")
    proc = cli_receive(reg, "2026-11-26T09:00:00+08:00")
    assert proc.returncode == 2 and f"见证文件 {reg.root / '.git' / WITNESS_FILE} 不是有效的 JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_write_witness_is_atomic_and_round_trips(tmp_path):
    target = tmp_path / "w" / "witness.json"
    write_witness(target, "a" * 40, 7, "b" * 64, parse_datetime("2026-11-25T11:00:00+08:00"))
    assert read_witness(target) == {"ref": RECEIPTS_REF, "commit": "a" * 40, "sequence": 7, "digest": "b" * 64,
                                    "at": "2026-11-25T11:00:00+08:00"}
    assert [p.name for p in target.parent.iterdir()] == ["witness.json"]  # no temporary file left behind
