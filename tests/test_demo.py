"""`baosong demo`: a valid, signed, deterministic demo registry with the cases the register must show."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from baosong.yamlload import load_yaml

BAOSONG = str(Path(sys.executable).parent / "baosong")
NOW = "2026-11-20T12:00:00+08:00"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([BAOSONG, *args], cwd=cwd, capture_output=True, text=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "registry"
    proc = run("demo", "--out", str(out), "--reports", "200", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert "报告 200 份" in proc.stdout
    return out


@pytest.fixture(scope="module")
def register(demo) -> dict:
    proc = run("registry", "--format", "json", "--now", NOW, cwd=demo)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_demo_passes_check(demo):
    proc = run("check", "--no-cache", cwd=demo)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "共检查 200 个文件：0 个错误" in proc.stdout


def test_objects_are_well_formed(demo):
    # The pack is written by hand (trees as deltas): git itself must find every object sound.
    proc = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=demo, capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr
    assert git(demo, "status", "--porcelain") == ""  # the work tree is main's tree


def test_receipts_verify_and_audit_is_clean(demo):
    # The demo's registry job writes the receipts store itself: `verify` and `audit` must accept it.
    proc = run("verify", cwd=demo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "200 份回执" in proc.stdout and "补登回执" in proc.stdout
    proc = run("audit", cwd=demo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_store_commits_and_checkpoints_are_as_receive_and_the_hook_write_them(demo):
    # One record builder (receipts.checkpoint_record): a push checkpoint names how it was written and
    # the pushed ref, as the server hook's does; the demo's own format left both out.
    subjects = git(demo, "log", "--format=%s", "refs/baosong/receipts").splitlines()
    assert {s.split(":")[0] for s in subjects} == {"push", "receive"}
    pushes = 0
    for line in git(demo, "log", "--format=%H %s", "refs/baosong/receipts").splitlines():
        commit, subject = line.split(" ", 1)
        checkpoint = json.loads(git(demo, "show", f"{commit}:checkpoint.json"))
        assert checkpoint["via"] == subject.split(":")[0]
        if checkpoint["via"] == "push":
            pushes += 1
            receipt = json.loads(git(demo, "show", f"{commit}:receipts/{checkpoint['added'][0][1][:2]}/"
                                                   f"{checkpoint['added'][0][1]}.json"))
            assert checkpoint["refs"] == [receipt["ref"]] and receipt["ref"].startswith("refs/heads/report/")
        else:
            assert "refs" not in checkpoint
    assert pushes > 150


def test_demo_keeps_a_witness_of_its_receipts_store(demo, tmp_path):
    # The registry's writer keeps the store's last checkpoint beside it (the git directory here): a
    # clone of the demo rewound by two store commits is found against that witness.
    witness = json.loads((demo / ".git" / "baosong-witness.json").read_text(encoding="utf-8"))
    assert witness["commit"] == git(demo, "rev-parse", "refs/baosong/receipts")
    assert witness["sequence"] == int(git(demo, "rev-list", "--count", "refs/baosong/receipts"))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--mirror", str(demo), str(clone)], check=True)
    git(clone, "update-ref", "refs/baosong/receipts", "refs/baosong/receipts~2")
    proc = run("audit", "--repo", str(clone), "--witness", str(demo / ".git" / "baosong-witness.json"),
               "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1 and "store-rewound" in {f["rule"] for f in json.loads(proc.stdout)}


def test_commits_are_ssh_signed_by_registered_keys(demo):
    allowed = demo / ".demo-keys" / "allowed_signers"
    out = git(demo, "-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed}",
              "log", "-6", "--format=%G? %GS %P")
    lines = out.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("G ") for line in lines), out
    merges = [line for line in lines if len(line.split()) == 4]  # status, signer, two parents
    assert merges and all(" zhoujianhua@xxk " in m for m in merges)  # the registry administrator merges
    assert git(demo, "rev-list", "--count", "HEAD") == "401"
    assert git(demo, "rev-list", "--count", "--first-parent", "HEAD") == "201"


def test_signature_verifies_with_ssh_keygen_over_the_commit_payload(demo, tmp_path):
    raw = git(demo, "cat-file", "commit", "HEAD^2")  # a branch commit by an officer
    head, _, message = raw.partition("\n\n")
    lines = head.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("gpgsig "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    signature = "\n".join([lines[start][len("gpgsig "):]] + [line[1:] for line in lines[start + 1:end]]) + "\n"
    payload = "\n".join(lines[:start] + lines[end:]) + "\n\n" + message + "\n"
    (tmp_path / "sig").write_text(signature)
    author = next(line for line in lines if line.startswith("author ")).split("<")[1].split(">")[0]
    proc = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(demo / ".demo-keys" / "allowed_signers"),
                           "-I", author, "-n", "git", "-s", str(tmp_path / "sig")],
                          input=payload.encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    tampered = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(demo / ".demo-keys" / "allowed_signers"),
                               "-I", author, "-n", "git", "-s", str(tmp_path / "sig")],
                              input=payload.replace("报送", "报告", 1).encode(), capture_output=True)
    assert tampered.returncode != 0


def test_register_shows_every_case(register):
    reports, incidents = register["reports"], register["incidents"]
    statuses = {r["status"] for r in reports}
    assert {"on_time", "late", "missed", "not_applicable"} <= statuses
    assert all(r["delay_reason"] for r in reports if r["status"] in ("late", "missed"))
    assert sum(r["status"] == "late" for r in reports) >= 4
    assert sum(r["status"] == "missed" for r in reports) == 1
    assert any(i["overdue"] for i in incidents)
    assert any(i["silent_units"] for i in incidents)
    assert register["invalid"] == []
    assert {r["signature"] for r in reports} == {"good"}
    # Push receipts are the arrivals; the reports of the receipt service's outage have main-line
    # times, with catch-up receipts.
    assert {(r["time_source"], r["receipt_via"]) for r in reports} == {("push", "push"), ("commit", "receive")}
    outage = [r for r in reports if r["time_source"] == "commit"]
    assert outage and all(r["catch_up"] and not r["attested"] for r in outage)
    assert register["summary"]["catch_up"] == len(outage)
    assert sum(1 for i in incidents if i["missed_followup"]) >= 1  # the planted incident never followed up


def test_office_merge_delays_do_not_make_reports_late(register):
    """Nights, weekends: the office merges long after the push, past many deadlines. The push
    receipt is the arrival, so those reports stay on time — the planted case of issue 10 among them
    (pushed 19 minutes before its deadline, merged an hour later)."""
    reports = register["reports"]
    merged_late = [r for r in reports if r["deadline_at"] and r["time_source"] == "push"
                   and r["merged_at"] > r["deadline_at"] >= r["received_at"]]
    assert len(merged_late) >= 5 and {r["status"] for r in merged_late} == {"on_time"}
    hour = [r for r in merged_late if r["stage"] == "first" and r["category"] == "traffic"
            and (datetime.fromisoformat(r["merged_at"]) - datetime.fromisoformat(r["received_at"])).total_seconds() == 3600
            and (datetime.fromisoformat(r["deadline_at"]) - datetime.fromisoformat(r["received_at"])).total_seconds() == 19 * 60]
    assert len(hour) == 1


def test_demo_covers_every_kind_category_type_and_level(demo, register):
    reports = register["reports"]
    assert {r["kind"] for r in reports} == {"emergency", "info", "opinion", "adoption", "instruction", "notice",
                                            "correction", "request", "decline", "duty_period", "daily"}
    assert {r["category"] for r in reports if r["stage"] == "first"} >= {
        "accident", "traffic", "fire", "natural_disaster", "environment", "public_health", "social_security", "other"}
    assert {r["stage"] for r in reports if r["kind"] == "emergency"} == {"first", "followup", "final"}
    docs = [load_yaml(p.read_bytes(), str(p)).data for p in (demo / "reports").rglob("*.yaml")]
    assert {d.get("info_type") for d in docs if d["kind"] == "info"} == {
        "dynamic", "experience", "problem", "suggestion", "research"}
    assert {d["level"] for d in docs if d["kind"] == "adoption"} == {"own", "city", "prefecture", "province", "national"}


def test_report_files_are_written_as_baosong_new_writes_them(demo):
    """One report-file writer: the demo's files are byte for byte what `baosong new` would write for their data."""
    from baosong.newreport import document_text

    schema = json.loads((demo / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    paths = sorted((demo / "reports").rglob("*.yaml"))
    assert len(paths) == 200
    for p in paths:
        data = p.read_bytes()
        assert document_text(load_yaml(data, str(p)).data, schema).encode() == data, p
    assert "  # 标题" in paths[0].read_text(encoding="utf-8")


def test_same_seed_same_reports_and_trees(demo, tmp_path):
    again = tmp_path / "again"
    assert run("demo", "--out", str(again), "--reports", "200", "--seed", "3").returncode == 0
    assert git(again, "rev-parse", "HEAD:reports") == git(demo, "rev-parse", "HEAD:reports")
    # Same history shape and dates; only the throwaway keys (and so signatures and ids) differ.
    fmt = ["log", "--format=%ct %an %s"]
    assert git(again, *fmt) == git(demo, *fmt)
    other = tmp_path / "other"
    assert run("demo", "--out", str(other), "--reports", "200", "--seed", "4").returncode == 0
    assert git(other, "rev-parse", "HEAD:reports") != git(demo, "rev-parse", "HEAD:reports")


def test_refuses_a_non_empty_target_and_too_few_reports(demo, tmp_path):
    proc = run("demo", "--out", str(demo))
    assert proc.returncode == 1 and "不为空" in proc.stderr
    proc = run("demo", "--out", str(tmp_path / "tiny"), "--reports", "5")
    assert proc.returncode == 1 and "--reports 至少为" in proc.stderr
