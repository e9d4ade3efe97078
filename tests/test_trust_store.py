"""The receipts store bent by hand (issue 10's attacks): `audit` and `verify` must exit non-zero and
name each finding in Chinese. Each attack reproduces what was seen: the ref deleted (a `git push
--mirror` from a plain clone), rewound ten commits, a forged unsigned checkpoint that a signed one was
later chained onto, and an accepted report edited on main with a forged checkpoint re-listing it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import trust_helpers as th
from baosong.receipts import CHECKPOINT_FILE, RECEIPTS_REF, WITNESS_FILE, canonical, receipt_path
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, sign
from baosong.sources import blob_id

MERGED = "2026-11-25T10:40:00+08:00"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def receive(reg: th.Registry, now: str) -> None:
    proc = reg.baosong("receive", "--key", str(reg.world.keys["registry"]), "--now", now)
    assert proc.returncode == 0, proc.stderr


def git_dir(reg: th.Registry) -> Path:
    return Path(reg.git("rev-parse", "--path-format=absolute", "--git-common-dir"))


def write_witness(reg: th.Registry, path: Path | None = None) -> Path:
    """The witness as the registry server keeps it (shared shape: ref, commit, sequence, digest, at)."""
    raw = th.run(["git", "show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"], cwd=reg.root, env=reg.world.env).stdout
    doc = json.loads(raw)
    target = path or git_dir(reg) / "baosong-witness.json"
    target.write_text(json.dumps({"ref": RECEIPTS_REF, "commit": reg.head(RECEIPTS_REF), "sequence": doc["sequence"],
                                  "digest": hashlib.sha256(raw).hexdigest(), "at": doc["created_at"]}))
    return target


def findings(reg: th.Registry, command: str, *extra: str) -> tuple[int, list[dict]]:
    proc = reg.baosong(command, "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def append_to_store(reg: th.Registry, tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    """A commit on the store's tip with these files changed, written around the registry job."""
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "store-index")}
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    for name, content in files.items():
        oid = reg.git("hash-object", "-w", "--stdin", input=content)
        th.run(["git", "update-index", "--add", "--cacheinfo", f"100644,{oid},{name}"], cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", message))


def latest(reg: th.Registry) -> tuple[dict, bytes]:
    raw = th.run(["git", "show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"], cwd=reg.root, env=reg.world.env).stdout
    return json.loads(raw), raw


def append_checkpoint(reg: th.Registry, tmp_path: Path, added: list, *, key: str | None, extra: dict | None = None,
                      ) -> None:
    """A checkpoint linked to the current latest one, signed with `key` (None: unsigned)."""
    last, raw_last = latest(reg)
    doc = {**last, "sequence": last["sequence"] + 1, "previous": hashlib.sha256(raw_last).hexdigest(),
           "main_commit": reg.head("main"), "added": added,
           "accepted_count": last["accepted_count"] + len(added)}
    data = canonical(doc)
    files = {CHECKPOINT_FILE: data, **(extra or {})}
    files[CHECKPOINT_FILE + ".sig"] = sign(data, reg.world.keys[key], CHECKPOINT_NAMESPACE) if key else b""
    append_to_store(reg, tmp_path, files, f"checkpoint {doc['sequence']}")


def merged_registry(world: th.World, root: Path, n: int = 2) -> tuple[th.Registry, list[str]]:
    reg = world.registry(root)
    paths = []
    for i in range(1, n + 1):
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=i)
        reg.branch(f"pr{i}")
        reg.add_report(path, text, signer="wanghao", date=MERGED)
        reg.merge(f"pr{i}", date=MERGED)
        paths.append(path)
    receive(reg, "2026-11-25T10:41:00+08:00")
    return reg, paths


def test_deleted_store_is_found_against_the_witness(world, tmp_path):
    reg, _ = merged_registry(world, tmp_path / "r")
    write_witness(reg)
    assert findings(reg, "audit") == (0, []) and findings(reg, "verify")[0] == 0
    tip = reg.head(RECEIPTS_REF)
    reg.git("update-ref", "-d", RECEIPTS_REF)  # what `git push --mirror` from a plain clone does on the server
    for command in ("audit", "verify"):
        code, found = findings(reg, command)
        assert code == 1, command
        missing = [f for f in found if f["rule"] == "store-missing"]
        assert len(missing) == 1 and "回执库" in missing[0]["message"] and "被删除" in missing[0]["message"]
        assert f"git update-ref {RECEIPTS_REF} {tip}" in missing[0]["message"]  # the objects are still there
    text = reg.baosong("audit")
    assert text.returncode == 1 and "[store-missing]" in text.stdout


def test_deleted_store_without_a_witness_is_a_warning(world, tmp_path):
    reg, _ = merged_registry(world, tmp_path / "r")
    # An auditor's fresh clone: no witness of its own (receive keeps one in the git directory).
    (reg.root / ".git" / WITNESS_FILE).unlink()
    reg.git("update-ref", "-d", RECEIPTS_REF)
    code, found = findings(reg, "verify")
    assert code == 0 and [(f["rule"], f["severity"]) for f in found] == [("store-absent", "warning")]
    assert "--witness" in found[0]["message"]


def test_rewound_store_is_found_against_the_witness(world, tmp_path):
    reg, _ = merged_registry(world, tmp_path / "r")
    for i in range(3, 14):  # eleven more receive runs: eleven more store commits
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=i)
        reg.add_report(path, text, signer="wanghao", date=f"2026-11-25T11:{i:02d}:00+08:00")
        receive(reg, f"2026-11-25T11:{i:02d}:30+08:00")
    witness = write_witness(reg, tmp_path / "published-witness.json")  # as downloaded from the portal
    tip = reg.head(RECEIPTS_REF)
    reg.git("update-ref", RECEIPTS_REF, f"{RECEIPTS_REF}~10")
    # receive kept its own witness in the git directory: it sees the rewind at once ...
    assert findings(reg, "audit")[0] == 1
    (reg.root / ".git" / WITNESS_FILE).unlink()
    assert findings(reg, "audit")[0] == 0  # ... and without a witness a shorter chain is a valid chain
    for command in ("audit", "verify"):
        code, found = findings(reg, command, "--witness", str(witness))
        rewound = [f for f in found if f["rule"] == "store-rewound"]
        assert code == 1 and len(rewound) == 1, (command, found)
        assert "回退" in rewound[0]["message"] and "10 个提交" in rewound[0]["message"] and tip in rewound[0]["message"]
    # The environment variable names the witness too.
    proc = reg.baosong("verify", env={"BAOSONG_WITNESS": str(witness)})
    assert proc.returncode == 1 and "[store-rewound]" in proc.stdout


def test_rewritten_store_and_mismatching_witness(world, tmp_path):
    reg, _ = merged_registry(world, tmp_path / "r")
    witness = write_witness(reg)
    # Same sequence number, other bytes: a rewritten chain that is not a descendant of the witness.
    doc = json.loads(witness.read_text())
    doc["digest"] = "0" * 64
    witness.write_text(json.dumps(doc))
    code, found = findings(reg, "audit")
    assert code == 1 and [f["rule"] for f in found] == ["witness-mismatch"]
    assert "摘要" in found[0]["message"]
    witness.write_text("{not json")
    code, found = findings(reg, "verify")
    assert code == 1 and [f["rule"] for f in found] == ["witness-unreadable"]


def test_forged_checkpoint_chained_by_a_signed_one_is_found(world, tmp_path):
    """A report merged three hours late; someone appends an unsigned checkpoint listing it with an
    on-time receipt time, and the registry job (before it learnt to refuse) chains its own signed
    checkpoint onto it. Only the middle checkpoint is forged: every checkpoint must be verified."""
    reg, _ = merged_registry(world, tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=9)
    reg.branch("late")
    reg.add_report(path, text, signer="wanghao", date="2026-11-25T15:00:00+08:00")
    reg.merge("late", date="2026-11-25T15:00:00+08:00")  # deadline 12:00: three hours late
    blob = reg.git("rev-parse", f"HEAD:{path}")
    record = {"format": 1, "kind": "receipt", "path": path, "blob": blob, "received_at": "2026-11-25T11:00:00+08:00",
              "registry": "registry@xxk", "via": "receive"}
    data = canonical(record)
    append_checkpoint(reg, tmp_path, [[path, blob, blob_id(data), record["received_at"], None]], key=None,
                      extra={receipt_path(blob): data, receipt_path(blob, ".json.sig"): b""})
    append_checkpoint(reg, tmp_path, [], key="registry")  # the registry job's next run, signed
    for command in ("audit", "verify"):
        code, found = findings(reg, command)
        forged = [f for f in found if f["rule"] == "checkpoint-signature"]
        assert code == 1 and len(forged) == 1, (command, found)
        assert "检查点 2" in forged[0]["message"] and "伪造" in forged[0]["message"]
    assert "receipt-signature" in {f["rule"] for f in findings(reg, "verify")[1]}


def test_edited_report_with_a_forged_relisting_checkpoint_is_report_changed(world, tmp_path):
    """An accepted report is edited on main; a forged checkpoint re-lists its path with the new blob
    and the old receipt time, and a signed checkpoint is chained after it. The accepted version is
    the first one received, whatever a later checkpoint claims."""
    reg, paths = merged_registry(world, tmp_path / "r")
    old_blob = reg.git("rev-parse", f"HEAD:{paths[0]}")
    reg.write(paths[0], (reg.root / paths[0]).read_text().replace("两车相撞", "一车侧翻"))
    reg.commit("tidy up", signer="wangli", date="2026-11-25T12:00:00+08:00")
    new_blob = reg.git("rev-parse", f"HEAD:{paths[0]}")
    record = {"format": 1, "kind": "receipt", "path": paths[0], "blob": new_blob,
              "received_at": "2026-11-25T10:41:00+08:00", "registry": "registry@xxk"}
    data = canonical(record)
    append_checkpoint(reg, tmp_path, [[paths[0], new_blob, blob_id(data), record["received_at"], None]],
                      key=None, extra={receipt_path(new_blob): data,
                                       receipt_path(new_blob, ".json.sig"): sign(data, world.keys["outsider"],
                                                                                  RECEIPT_NAMESPACE)})
    append_checkpoint(reg, tmp_path, [], key="registry")
    code, found = findings(reg, "audit")
    assert code == 1
    changed = [f for f in found if f["rule"] == "report-changed"]
    assert [f["path"] for f in changed] == [paths[0]]
    assert old_blob[:10] in changed[0]["message"] and "改动" in changed[0]["message"]
    assert "checkpoint-signature" in {f["rule"] for f in found}
    assert findings(reg, "verify")[0] == 1


def test_a_checkpoint_listing_a_blob_twice_is_found(world, tmp_path):
    """One receipt per blob: a second listing (a replayed checkpoint, even one signed with the
    registry key) is named, and the first listing stands."""
    reg, paths = merged_registry(world, tmp_path / "r")
    blob = reg.git("rev-parse", f"HEAD:{paths[0]}")
    first, _ = latest(reg)
    entry = next(e for e in first["added"] if e[1] == blob)
    append_checkpoint(reg, tmp_path, [[entry[0], blob, entry[2], "2026-11-25T09:00:00+08:00", None]], key="registry")
    for command in ("audit", "verify"):
        code, found = findings(reg, command)
        assert code == 1 and [f["rule"] for f in found] == ["receipt-relisted"], (command, found)
        assert "检查点 1" in found[0]["message"] and "检查点 2" in found[0]["message"]


def test_a_deleted_store_re_stamped_by_receive_changes_no_status(world, tmp_path):
    """What the deleted ref did next in the issue: with no store and no witness, `receive` stamps
    every report on main again with its own clock (on time 74 → 54, missed 1 → 26 on the demo).
    Those are catch-up receipts now: no report becomes later than the merge that accepted it."""
    reg, _ = merged_registry(world, tmp_path / "r", n=3)
    before = json.loads(reg.baosong("registry", "--format", "json", "--now", "2026-11-30T12:00:00+08:00").stdout)
    assert {r["status"] for r in before["reports"]} == {"on_time"}
    reg.git("update-ref", "-d", RECEIPTS_REF)
    (git_dir(reg) / "baosong-witness.json").unlink(missing_ok=True)  # a server that kept no witness
    receive(reg, "2026-11-28T09:00:00+08:00")  # three days later
    after = json.loads(reg.baosong("registry", "--format", "json", "--now", "2026-11-30T12:00:00+08:00").stdout)
    assert [(r["path"], r["status"], r["received_at"]) for r in after["reports"]] == \
        [(r["path"], r["status"], r["received_at"]) for r in before["reports"]]
    assert {(r["catch_up"], r["receipt_at"]) for r in after["reports"]} == {(True, "2026-11-28T09:00:00+08:00")}
