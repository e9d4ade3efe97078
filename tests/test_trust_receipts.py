"""Receipts (`baosong receive` / `verify`) and the arrival times the register gets from them."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trust_helpers as th
from baosong.cli import main as cli_main
from baosong.config import load_config
from baosong.deadlines import deadline_for, judge
from baosong.gitrepo import GitTree
from baosong.history import read_arrivals
from baosong.receipts import CHECKPOINT_FILE, RECEIPTS_REF, canonical, receipt_path
from baosong.receive import receive as receive_fn
from baosong.signatures import CHECKPOINT_NAMESPACE, sign
from baosong.timeutil import parse_datetime
from baosong.yamlload import load_yaml


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def receive(reg: th.Registry, now: str, *extra: str) -> subprocess.CompletedProcess:
    return reg.baosong("receive", "--key", str(reg.world.keys["registry"]), "--now", now, *extra)


def merge_report(reg: th.Registry, path: str, text: str, *, commit_date: str, merge_date: str,
                 signer: str = "wanghao", branch: str = "pr") -> None:
    reg.branch(branch)
    reg.add_report(path, text, signer=signer, date=commit_date)
    reg.merge(branch, date=merge_date)


def status_of(reg: th.Registry, path: str) -> tuple[str, str]:
    """(register status, time source) of one report, as the register computes it."""
    cfg = load_config(GitTree(reg.root, "HEAD"))
    arrival = read_arrivals(reg.root, "HEAD", cfg)[path]
    doc = load_yaml((reg.root / path).read_bytes(), path).data
    return judge(deadline_for(doc, cfg), arrival.received_at)[0], arrival.time_source


def test_receipts_are_signed_and_verify(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T10:40:00+08:00")
    proc = receive(reg, "2026-11-25T11:00:00+08:00", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(r["path"], r["signer"], r["signature"]) for r in out["receipts"]] == [(path, "wanghao", "good")]
    assert out["checkpoint"] == 1
    assert receive(reg, "2026-11-25T11:05:00+08:00").returncode == 0  # nothing new: no second receipt
    assert "无需登记" in receive(reg, "2026-11-25T11:05:00+08:00").stdout
    proc = reg.baosong("verify")
    assert proc.returncode == 0 and "共验证 1 份回执、1 个检查点" in proc.stdout
    # The receipt (11:00) vouches for the merge (10:40): the arrival is the earlier of the two.
    arrival = read_arrivals(reg.root)[path]
    assert (arrival.time_source, arrival.received_at) == ("commit", parse_datetime("2026-11-25T10:40:00+08:00"))
    assert (arrival.receipt_time, arrival.receipt_via) == (parse_datetime("2026-11-25T11:00:00+08:00"), "receive")
    assert (arrival.attested, arrival.catch_up) == (True, False)
    assert arrival.main_time == parse_datetime("2026-11-25T10:40:00+08:00")


def test_altered_receipt_does_not_verify(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T13:00:00+08:00")
    assert receive(reg, "2026-11-25T13:05:00+08:00").returncode == 0
    blob = reg.git("rev-parse", f"HEAD:{path}")
    rpath = receipt_path(blob)
    # Someone with write access to the ref back-dates the receipt (keeping the old signature).
    forged = reg.git("show", f"{RECEIPTS_REF}:{rpath}").replace("13:05:00", "11:05:00")
    oid = reg.git("hash-object", "-w", "--stdin", input=forged.encode())
    env_index = tmp_path / "index"
    run = lambda *a: th.run(["git", *a], cwd=reg.root, env={**world.env, "GIT_INDEX_FILE": str(env_index)})  # noqa: E731
    run("read-tree", RECEIPTS_REF)
    run("update-index", "--cacheinfo", f"100644,{oid},{rpath}")
    tree = run("write-tree").stdout.decode().strip()
    commit = reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "fix time")
    reg.git("update-ref", RECEIPTS_REF, commit)
    proc = reg.baosong("verify")
    assert proc.returncode == 1
    assert rpath in proc.stdout and "receipt-signature" in proc.stdout and "receipt-altered" in proc.stdout
    # The register does not take the forged time (11:05, before the 12:00 deadline): it reads the
    # signed checkpoint (13:05), so the merge (13:00) is the arrival.
    assert status_of(reg, path) == ("late", "commit")


def _store_files(reg: th.Registry, tmp_path: Path, files: dict[str, bytes], *, replace_tip: bool) -> None:
    """Write files into the receipts store: as a new store commit, or (replace_tip) in place of its tip,
    as a holder of the registry key could (and, with re-signed checkpoints, the registry itself)."""
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "store-index")}
    run = lambda *a, **k: th.run(["git", *a], cwd=reg.root, env=env, **k).stdout.decode().strip()  # noqa: E731
    run("read-tree", RECEIPTS_REF)
    for name, data in files.items():
        oid = run("hash-object", "-w", "--stdin", input=data)
        run("update-index", "--add", "--cacheinfo", f"100644,{oid},{name}")
    tree = run("write-tree")
    parents = reg.git("rev-list", "--parents", "-n", "1", RECEIPTS_REF).split()[1:] if replace_tip else [RECEIPTS_REF]
    commit = reg.git("commit-tree", tree, *(x for p in parents for x in ("-p", p)), "-m", "store edit")
    reg.git("update-ref", RECEIPTS_REF, commit)


def _resign_checkpoint(reg: th.Registry, tmp_path: Path, edit) -> None:
    """Replace the store's tip checkpoint by an edited one signed with the registry key (and forget
    the witness: the store then looks as the registry would have written it)."""
    doc = json.loads(reg.git("show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"))
    edit(doc)
    raw = canonical(doc)
    _store_files(reg, tmp_path, {CHECKPOINT_FILE: raw,
                                 CHECKPOINT_FILE + ".sig": sign(raw, reg.world.keys["registry"], CHECKPOINT_NAMESPACE)},
                 replace_tip=True)
    (reg.root / ".git" / "baosong-witness.json").unlink()  # as if the registry had written this store


def test_register_takes_via_from_the_checkpoint_and_verify_checks_the_receipt_agrees(world, tmp_path):
    """The register reads a receipt's via (and ref) from the signed checkpoint that lists it rather
    than from every receipt JSON (a cold register at 50,000 reports reads 50,000 fewer objects);
    `verify` refuses a receipt whose own via differs from its checkpoint's."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T10:40:00+08:00")
    assert receive(reg, "2026-11-25T11:00:00+08:00").returncode == 0
    assert json.loads(reg.git("show", f"{RECEIPTS_REF}:{CHECKPOINT_FILE}"))["via"] == "receive"
    assert reg.baosong("verify").returncode == 0

    def to_push(doc: dict) -> None:
        doc["via"], doc["refs"] = "push", ["refs/heads/pr"]

    _resign_checkpoint(reg, tmp_path, to_push)
    assert read_arrivals(reg.root, use_cache=False)[path].receipt_via == "push"  # the checkpoint's word
    proc = reg.baosong("verify")
    assert proc.returncode == 1, proc.stdout
    assert "store-rewound" not in proc.stdout
    assert "receipt-via-mismatch" in proc.stdout and receipt_path(reg.git("rev-parse", f"HEAD:{path}")) in proc.stdout


def test_without_via_in_the_checkpoint_the_register_reads_the_listed_receipt_not_the_altered_one(world, tmp_path):
    """A store from before checkpoints named their receipts' via: the register reads each receipt
    JSON by the blob id its checkpoint lists, so a receipt rewritten later in the store (new blob
    id, unsigned by the registry) changes neither its via nor its time."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T13:00:00+08:00")
    assert receive(reg, "2026-11-25T13:05:00+08:00").returncode == 0
    _resign_checkpoint(reg, tmp_path, lambda doc: doc.pop("via"))
    assert reg.baosong("verify").returncode == 0
    rpath = receipt_path(reg.git("rev-parse", f"HEAD:{path}"))
    forged = json.loads(reg.git("show", f"{RECEIPTS_REF}:{rpath}"))
    forged.update(via="push", ref="refs/heads/pr", received_at="2026-11-25T11:05:00+08:00")
    _store_files(reg, tmp_path, {rpath: canonical(forged)}, replace_tip=False)
    arrival = read_arrivals(reg.root, use_cache=False)[path]
    assert (arrival.receipt_via, arrival.time_source) == ("receive", "commit")
    assert arrival.receipt_time == parse_datetime("2026-11-25T13:05:00+08:00")
    assert status_of(reg, path) == ("late", "commit")
    proc = reg.baosong("verify")
    assert proc.returncode == 1 and "receipt-altered" in proc.stdout and "receipt-signature" in proc.stdout


def test_forged_commit_date_does_not_make_a_late_report_on_time(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", delay_reason="山区信号中断，无法及时上报。")
    # The commit claims 10:30 (deadline 12:00), but it reached the registry at 15:00.
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T15:00:00+08:00")
    assert status_of(reg, path) == ("late", "commit")  # fallback: main-line time, marked as such
    assert read_arrivals(reg.root)[path].attested is False
    assert receive(reg, "2026-11-25T15:01:00+08:00").returncode == 0
    assert status_of(reg, path) == ("late", "commit")  # the receipt one minute later vouches for it
    assert read_arrivals(reg.root)[path].attested is True


def test_content_swapped_after_the_deadline_gets_the_later_time(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T10:40:00+08:00")
    assert receive(reg, "2026-11-25T11:00:00+08:00").returncode == 0
    assert status_of(reg, path) == ("on_time", "commit")
    # A push that bypasses PR mode swaps the content at the same path after the deadline.
    swapped = text.replace("造成人员受伤", "无人员伤亡")
    reg.add_report(path, swapped, signer="wanghao", date="2026-11-25T16:00:00+08:00")
    assert receive(reg, "2026-11-25T16:02:00+08:00").returncode == 0
    arrival = read_arrivals(reg.root)[path]
    assert arrival.received_at == parse_datetime("2026-11-25T16:00:00+08:00")
    assert status_of(reg, path) == ("late", "commit")
    assert reg.baosong("audit").returncode == 1  # report-changed


def test_back_dated_swap_is_marked_and_audited(world, tmp_path):
    """Where no server guard attests main-line times, a swap committed on main with a back-dated
    committer date takes that date (the earliest trusted time is the main line's): the register
    marks its late receipt as a catch-up and the time as unattested, and `audit` names the change."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T10:40:00+08:00")
    assert receive(reg, "2026-11-25T10:41:00+08:00").returncode == 0
    reg.add_report(path, text.replace("造成人员受伤", "无人员伤亡"), signer="wanghao", date="2026-11-25T10:35:00+08:00")
    assert receive(reg, "2026-11-25T16:00:00+08:00").returncode == 0
    arrival = read_arrivals(reg.root)[path]
    assert (arrival.time_source, arrival.catch_up, arrival.attested) == ("commit", True, False)
    findings = json.loads(reg.baosong("audit", "--format", "json").stdout)
    assert {"report-changed", "main-time-backwards"} <= {f["rule"] for f in findings}
    verify = reg.baosong("verify")
    assert verify.returncode == 0 and "receipt-catch-up" in verify.stdout and "补登回执" in verify.stdout


def test_receive_refuses_an_unregistered_key(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    proc = reg.baosong("receive", "--key", str(world.keys["outsider"]), "--now", "2026-11-25T11:00:00+08:00")
    assert proc.returncode == 2 and "registry.keys" in proc.stderr
    proc = reg.baosong("receive", "--now", "2026-11-25T11:00:00+08:00")
    assert proc.returncode == 2 and "BAOSONG_REGISTRY_KEY" in proc.stderr


def test_tsa_stamp_verifies_with_openssl(world, tmp_path):
    units = world.units_doc()
    units["registry"]["tsa"] = th.make_tsa(tmp_path / "tsa")
    reg = world.registry(tmp_path / "r", units)
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    # The authority stamps with the real clock: the merge is dated after it, so the stamp is the
    # earliest trusted time.
    later = (datetime.now(UTC) + timedelta(days=1)).astimezone(parse_datetime(th.T0).tzinfo).isoformat()
    merge_report(reg, path, text, commit_date=later, merge_date=later)
    assert receive(reg, later).returncode == 0
    blob = reg.git("rev-parse", f"HEAD:{path}")
    for name in (".json", ".tsr"):
        (tmp_path / f"r{name}").write_bytes(th.run(["git", "show", f"{RECEIPTS_REF}:{receipt_path(blob, name)}"],
                                                   cwd=reg.root, env=world.env).stdout)
    ok = th.run(["openssl", "ts", "-verify", "-data", str(tmp_path / "r.json"), "-in", str(tmp_path / "r.tsr"),
                 "-CAfile", str(tmp_path / "tsa" / "ca.pem")], check=False)
    assert ok.returncode == 0, ok.stderr
    assert reg.baosong("verify").returncode == 0
    arrival = read_arrivals(reg.root)[path]
    assert arrival.time_source == "tsa" and arrival.tsa_time is not None
    # A stamp over other bytes fails.
    (tmp_path / "r.json").write_bytes(b"{}\n")
    bad = th.run(["openssl", "ts", "-verify", "-data", str(tmp_path / "r.json"), "-in", str(tmp_path / "r.tsr"),
                  "-CAfile", str(tmp_path / "tsa" / "ca.pem")], check=False)
    assert bad.returncode != 0


def _officer_clone(world: th.World, server: Path, root: Path, n: int) -> th.Registry:
    clone = th.Registry(root, world)
    th.run(["git", "clone", "-q", str(server), str(root)], env=world.env)
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(world.keys["wanghao"])), ("commit.gpgsign", "true")):
        clone.git("config", k, v)
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=n)
    clone.add_report(path, text, signer="wanghao", date="2026-11-25T10:30:00+08:00")
    return clone


def _push_with_retry(clone: th.Registry) -> bool:
    rng = random.Random(str(clone.root))
    time.sleep(rng.uniform(0, 1.5))  # officers do not all press enter in the same millisecond
    for _ in range(60):
        if clone.git("push", "-q", "origin", "main", check=False, date="2026-11-25T10:45:00+08:00") == "" and \
                clone.git("ls-remote", "origin", "refs/heads/main").split()[0] == clone.head():
            return True
        time.sleep(rng.uniform(0, 0.2))
        clone.git("pull", "-q", "--rebase", "origin", "main", check=False, date="2026-11-25T10:45:00+08:00")
    return False


@pytest.mark.slow
def test_twenty_concurrent_pushes_and_receives(world, tmp_path):
    """Twenty officers push one report each to a bare server (retrying on non-fast-forward); the
    registry job runs after every push, concurrently (through the CLI). Nothing is lost."""
    seed = world.registry(tmp_path / "seed")
    server = tmp_path / "server.git"
    th.run(["git", "clone", "-q", "--bare", str(seed.root), str(server)], env=world.env)
    n = 20
    clones = [_officer_clone(world, server, tmp_path / f"c{i}", i + 1) for i in range(n)]
    outcomes: list[tuple[bool, int]] = []

    def officer(clone: th.Registry) -> None:
        pushed = _push_with_retry(clone)
        code = cli_main(["receive", "--repo", str(server), "--rev", "main", "--key", str(world.keys["registry"]),
                         "--now", "2026-11-25T11:00:00+08:00", "--format", "json"])
        outcomes.append((pushed, code))

    threads = [threading.Thread(target=officer, args=(c,)) for c in clones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [(True, 0)] * n
    assert_store_complete(world, server, n)


def test_receive_without_the_lock_retries_on_the_ref_and_loses_nothing(world, tmp_path):
    """The compare-and-swap alone (another machine, or no flock) keeps concurrent runs correct."""
    reg = world.registry(tmp_path / "r")
    for i in range(6):
        path, text = th.emergency("gaj", "wanghao", "liuzhenhua", n=i + 1)
        reg.add_report(path, text, signer="wanghao", date="2026-11-25T10:30:00+08:00")
    results = []

    def run(minute: int) -> None:
        now = parse_datetime(f"2026-11-25T11:0{minute}:00+08:00")
        results.append(receive_fn(reg.root, world.keys["registry"], now, "main", lock=False))

    threads = [threading.Thread(target=run, args=(m,)) for m in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.receipts) for r in results) == 6  # each blob received exactly once
    assert reg.baosong("verify").returncode == 0
    assert reg.baosong("audit").returncode == 0


def assert_store_complete(world: th.World, server: Path, n: int) -> None:
    listing = th.run(["git", "ls-tree", "-r", "--name-only", RECEIPTS_REF], cwd=server, env=world.env).stdout.decode()
    receipts = [ln for ln in listing.splitlines() if ln.endswith(".json") and ln.startswith("receipts/")]
    reports = th.run(["git", "ls-tree", "-r", "--name-only", "main", "reports/2026"], cwd=server,
                     env=world.env).stdout.decode().split()
    assert (len(receipts), len(reports)) == (n, n)
    verify = th.run([th.BAOSONG, "verify", "--repo", str(server), "--rev", "main"], env=world.env, check=False)
    assert verify.returncode == 0, verify.stdout
    audit = th.run([th.BAOSONG, "audit", "--repo", str(server), "--rev", "main"], env=world.env, check=False)
    assert audit.returncode == 0, audit.stdout.decode()
    arrivals = read_arrivals(server, "main")
    # Every blob has its receipt (11:00); the pushes themselves (10:30-10:45) are the earlier time.
    assert sorted(a.receipt_via for a in arrivals.values()) == ["receive"] * n
    assert {(a.time_source, a.attested) for a in arrivals.values()} == {("commit", True)}
    assert {a.signature for a in arrivals.values()} == {"good"}


def test_one_blob_on_main_at_two_paths(world, tmp_path):
    """The same content merged at two paths (a copy under a wrong name, merged where no guard runs):
    `receive` writes one receipt per path, the register gives both their receipt, and the store
    verifies (it used to list the blob twice, which `verify` reads as a forged re-listing)."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    copy = path.rsplit("/", 1)[0] + "/a-copy.yaml"
    reg.write(copy, text)  # committed with the report on its branch
    merge_report(reg, path, text, commit_date="2026-11-25T10:30:00+08:00", merge_date="2026-11-25T10:40:00+08:00")
    proc = receive(reg, "2026-11-25T10:41:00+08:00", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(r["path"] for r in json.loads(proc.stdout)["receipts"]) == [copy, path]
    arrivals = read_arrivals(reg.root)
    for p in (copy, path):
        assert (arrivals[p].receipt_time, arrivals[p].attested) == (parse_datetime("2026-11-25T10:41:00+08:00"), True)
    for command in ("verify", "audit"):
        proc = reg.baosong(command)
        assert proc.returncode == 0, (command, proc.stdout)
    assert "共验证 2 份回执、1 个检查点" in reg.baosong("verify").stdout
    # Nothing is receipted twice.
    assert "无需登记" in receive(reg, "2026-11-25T10:50:00+08:00").stdout
    # Someone with write access to the store swaps the two files: each is named for a report it is not about.
    first, other = receipt_path(blob := reg.git("rev-parse", f"HEAD:{path}")), receipt_path(blob, path=path)
    if reg.git("show", f"{RECEIPTS_REF}:{first}").find(f'"path":"{path}"') >= 0:
        other = receipt_path(blob, path=copy)
    env = {**reg.world.env, "GIT_INDEX_FILE": str(tmp_path / "idx")}
    th.run(["git", "read-tree", RECEIPTS_REF], cwd=reg.root, env=env)
    for a, b in ((first, other), (other, first)):
        oid = reg.git("rev-parse", f"{RECEIPTS_REF}:{a}")
        th.run(["git", "update-index", "--cacheinfo", f"100644,{oid},{b}"], cwd=reg.root, env=env)
    tree = th.run(["git", "write-tree"], cwd=reg.root, env=env).stdout.decode().strip()
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", tree, "-p", RECEIPTS_REF, "-m", "swap"))
    out = reg.baosong("verify").stdout
    assert f"{other}:1:1: 错误 [receipt-path-mismatch]" in out and "[receipt-altered]" in out, out
