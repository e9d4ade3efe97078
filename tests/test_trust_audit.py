"""`baosong audit`: what bypassed the server's checks is found from the signed checkpoints."""

from __future__ import annotations

import hashlib
import json

import pytest
import trust_helpers as th
from baosong.history import read_arrivals
from baosong.receipts import RECEIPTS_REF, canonical, receipt_path
from baosong.signatures import CHECKPOINT_NAMESPACE, sign

T1 = "2026-11-25T10:40:00+08:00"
T2 = "2026-11-25T10:50:00+08:00"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture()
def accepted(world, tmp_path):
    """main with two merged reports, both received (checkpoint 1)."""
    reg = world.registry(tmp_path / "r")
    paths = []
    for n, when in ((1, T1), (2, T2)):
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=n)
        reg.branch(f"pr{n}")
        reg.add_report(path, text, signer="wanghao", date=when)
        reg.merge(f"pr{n}", date=when)
        paths.append(path)
    proc = reg.baosong("receive", "--key", str(world.keys["registry"]), "--now", "2026-11-25T11:00:00+08:00")
    assert proc.returncode == 0, proc.stderr
    return reg, paths


def audit(reg: th.Registry) -> tuple[int, list[dict]]:
    proc = reg.baosong("audit", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_clean_history_has_no_findings(accepted):
    reg, _ = accepted
    assert audit(reg) == (0, [])
    assert "未发现问题" in reg.baosong("audit").stdout


def test_force_push_and_the_dropped_report_are_found(accepted):
    reg, paths = accepted
    # Rewrite main to before the second merge and push something else over it.
    reg.git("reset", "-q", "--hard", "HEAD~1")
    reg.git("commit", "-q", "--allow-empty", "-S", "-m", "rewritten", signer="wangli", date="2026-11-25T12:00:00+08:00")
    code, findings = audit(reg)
    assert code == 1
    rewritten = [f for f in findings if f["rule"] == "main-rewritten"]
    assert rewritten and "检查点 1" in rewritten[0]["message"]
    assert [f["path"] for f in findings if f["rule"] == "report-deleted"] == [paths[1]]


def test_deleted_and_changed_reports_are_found(accepted):
    reg, paths = accepted
    (reg.root / paths[0]).unlink()
    reg.write(paths[1], (reg.root / paths[1]).read_text().replace("两车相撞", "一车侧翻"))
    reg.commit("tidy up", signer="wangli", date="2026-11-25T12:00:00+08:00")
    code, findings = audit(reg)
    assert code == 1
    assert {(f["rule"], f["path"]) for f in findings} == {("report-deleted", paths[0]), ("report-changed", paths[1])}


def test_missing_receipt_is_found(accepted, tmp_path):
    reg, paths = accepted
    blob = reg.git("rev-parse", f"HEAD:{paths[0]}")
    index = {"GIT_INDEX_FILE": str(tmp_path / "idx")}
    env = {**reg.world.env, **index}
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    th.run(["git", "rm", "-q", "--cached", receipt_path(blob)], cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "oops"))
    code, findings = audit(reg)
    assert code == 1
    assert [(f["rule"], f["path"]) for f in findings] == [("receipt-missing", f"{RECEIPTS_REF}:{receipt_path(blob)}")]
    assert reg.baosong("verify").returncode == 1


def test_main_line_times_going_backwards_are_found(accepted):
    reg, _ = accepted
    back = reg.commit("back-dated", signer="wangli", date="2026-11-24T09:00:00+08:00")
    code, findings = audit(reg)
    assert code == 1
    hits = [f for f in findings if f["rule"] == "main-time-backwards"]
    assert len(hits) == 1 and back[:10] in hits[0]["path"]


def test_forged_checkpoint_is_found_and_not_trusted(accepted, tmp_path):
    """A checkpoint appended with a key that is not the registry's: the audit names it, and the
    register stops trusting the receipts (it falls back to main-line times, marked as such)."""
    reg, paths = accepted
    last = json.loads(reg.git("show", f"{RECEIPTS_REF}:checkpoint.json"))
    raw_last = th.run(["git", "show", f"{RECEIPTS_REF}:checkpoint.json"], cwd=reg.root, env=reg.world.env).stdout
    forged = {**last, "sequence": 2, "previous": hashlib.sha256(raw_last).hexdigest(), "added": []}
    data = canonical(forged)
    sig = sign(data, reg.world.keys["outsider"], CHECKPOINT_NAMESPACE)
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "idx")}
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    for name, content in (("checkpoint.json", data), ("checkpoint.json.sig", sig)):
        oid = reg.git("hash-object", "-w", "--stdin", input=content)
        th.run(["git", "update-index", "--cacheinfo", f"100644,{oid},{name}"], cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "forged"))
    code, findings = audit(reg)
    assert code == 1 and [f["rule"] for f in findings] == ["checkpoint-signature"]
    assert "检查点 2" in findings[0]["message"]
    assert {a.time_source for a in read_arrivals(reg.root).values()} == {"commit"}
