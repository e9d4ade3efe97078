"""The registry server: `baosong init --bare` installs hooks; officers push over smart HTTP (`git
http-backend` behind a local HTTP server process on 127.0.0.1). post-receive writes push receipts;
pre-receive guards main and refs/baosong/*."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime, timedelta

import pytest
import server_helpers as sh
import trust_helpers as th
from baosong.receipts import RECEIPTS_REF, WITNESS_FILE, read_witness


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture
def server(world, tmp_path):
    """(bare repository, its URL): seeded with the test registry's first commit, pushed over HTTP."""
    root = tmp_path / "srv"
    root.mkdir()
    bare = sh.init_server(world, root)
    seed = world.registry(tmp_path / "seed")
    with sh.http_server(root, world.env) as base:
        url = f"{base}/registry.git"
        seed.git("remote", "add", "origin", url)
        proc = sh.push(seed, "main")
        assert proc.returncode == 0, proc.stderr
        yield bare, url


def officer_push(world, url, tmp_path, name: str, n: int, signer: str = "wanghao", unit: str = "gaj",
                 head: str = "liuzhenhua") -> tuple[th.Registry, str]:
    reg = sh.clone(world, url, tmp_path / name, signer)
    reg.branch(name)
    path, text = sh.today_info(unit, signer, head, n)
    reg.add_report(path, text, signer=signer, date=sh.stamp(-1))
    return reg, path


def test_push_receipts_over_http(world, server, tmp_path):
    bare, url = server
    reg, path = officer_push(world, url, tmp_path, "pr-1", 1)
    before = sh.now()
    proc = sh.push(reg, "pr-1")
    after = sh.now() + timedelta(seconds=1)
    assert proc.returncode == 0, proc.stderr
    assert "remote: 登记系统已收文：1 份报告（检查点 1）" in proc.stderr
    blob = reg.git("rev-parse", f"HEAD:{path}")
    receipts = sh.store_receipts(bare, world.env)
    record = receipts[blob]
    assert (record["via"], record["ref"], record["path"], record["signer"], record["signature"]) == \
        ("push", "refs/heads/pr-1", path, "wanghao", "good")
    assert before <= datetime.fromisoformat(record["received_at"]) <= after  # the server's clock, at push time
    assert record["commit"] == reg.head()

    # The branch pushed again with the report edited: the new blob gets its own receipt; the old one stays.
    reg.write(path, reg.root.joinpath(path).read_text().replace("取得阶段性成效", "取得明显成效"))
    reg.commit("edit", signer="wanghao", date=sh.stamp(-1))
    assert sh.push(reg, "pr-1").returncode == 0
    receipts = sh.store_receipts(bare, world.env)
    new_blob = reg.git("rev-parse", f"HEAD:{path}")
    assert set(receipts) == {blob, new_blob} and receipts[blob] == record
    # A push that brings no new report blob writes nothing.
    reg.git("commit", "--allow-empty", "-S", "-q", "-m", "nothing", signer="wanghao", date=sh.stamp())
    tip = th.run(["git", "rev-parse", RECEIPTS_REF], cwd=bare, env=world.env).stdout
    proc = sh.push(reg, "pr-1")
    assert "已收文" not in proc.stderr
    assert th.run(["git", "rev-parse", RECEIPTS_REF], cwd=bare, env=world.env).stdout == tip
    # Checkpoints are chained and signed; the witness follows the store.
    checkpoint = json.loads(th.run(["git", "show", f"{RECEIPTS_REF}:checkpoint.json"], cwd=bare, env=world.env).stdout)
    assert (checkpoint["sequence"], checkpoint["via"], checkpoint["refs"]) == (2, "push", ["refs/heads/pr-1"])
    assert read_witness(bare / WITNESS_FILE)["commit"] == tip.decode().strip()
    verify = th.run([th.BAOSONG, "verify", "--repo", str(bare), "--rev", "main"], env=world.env, check=False)
    assert verify.returncode == 0, verify.stdout.decode()


def test_refs_baosong_cannot_be_pushed(world, server, tmp_path):
    bare, url = server
    reg, _ = officer_push(world, url, tmp_path, "pr-1", 1)
    assert sh.push(reg, "pr-1").returncode == 0  # a receipts store now exists on the server
    path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", 2)
    reg.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
    assert sh.push(reg, "pr-1").returncode == 0  # and has two commits
    state = th.run(["git", "for-each-ref"], cwd=bare, env=world.env).stdout
    reg.git("fetch", "-q", "origin", "refs/baosong/*:refs/baosong/*")
    reg.git("update-ref", RECEIPTS_REF, reg.git("commit-tree", f"{RECEIPTS_REF}^{{tree}}", "-p", RECEIPTS_REF,
                                                "-m", "x"))
    for args in ([RECEIPTS_REF], [f":{RECEIPTS_REF}"], [f"{RECEIPTS_REF}~1:refs/baosong/other"],
                 ["--force", f"{RECEIPTS_REF}~2:{RECEIPTS_REF}"]):
        proc = sh.push(reg, *args)
        assert proc.returncode != 0, args
        assert "remote: 登记系统拒绝本次推送" in proc.stderr and "receipts-ref-protected" in proc.stderr, proc.stderr
    # `git push --mirror` from a plain clone (no refs/baosong/* there) would delete the store: refused whole.
    plain = sh.clone(world, url, tmp_path / "plain", "wanghao")
    proc = th.run(["git", "push", "--mirror", "origin"], cwd=plain.root, env=world.env, check=False)
    assert proc.returncode != 0 and "回执库只能由服务器上的登记系统写入" in proc.stderr.decode()
    assert th.run(["git", "for-each-ref"], cwd=bare, env=world.env).stdout == state


def test_guard_on_main(world, server, tmp_path):
    bare, url = server
    officer, path = officer_push(world, url, tmp_path, "pr-1", 1)
    assert sh.push(officer, "pr-1").returncode == 0
    admin = sh.clone(world, url, tmp_path / "admin", "wangli")
    admin.git("fetch", "-q", "origin")
    main_before = admin.head("origin/main")

    # A back-dated merge (the administrator's clock, or intent) is refused.
    admin.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pr-1", "origin/pr-1", signer="wangli", date=sh.stamp(-60))
    proc = sh.push(admin, "main")
    assert proc.returncode != 0 and "main-commit-time" in proc.stderr and "相差超过 5 分钟" in proc.stderr, proc.stderr
    # The same merge made now passes the check and is accepted.
    admin.git("reset", "-q", "--hard", main_before)
    admin.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pr-1", "origin/pr-1", signer="wangli", date=sh.stamp())
    proc = sh.push(admin, "main")
    assert proc.returncode == 0, proc.stderr
    merged = admin.head()

    # An administrator merging a branch that edits an accepted report is refused like anyone else.
    officer.git("fetch", "-q", "origin")
    officer.git("checkout", "-q", "-b", "pr-2", "origin/main")
    officer.write(path, (officer.root / path).read_text().replace("取得阶段性成效", "成效显著"))
    officer.commit("edit accepted report", signer="wanghao", date=sh.stamp(-1))
    assert sh.push(officer, "pr-2").returncode == 0  # branches are free; main is guarded
    admin.git("fetch", "-q", "origin")
    admin.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pr-2", "origin/pr-2", signer="wangli", date=sh.stamp())
    proc = sh.push(admin, "main")
    assert proc.returncode != 0 and "report-modified" in proc.stderr and "remote:" in proc.stderr, proc.stderr

    # An unsigned commit on main (pushed directly) is refused.
    admin.git("reset", "-q", "--hard", merged)
    p3, t3 = sh.today_info("xxk", "wangli", "zhoujianhua", 3)
    admin.write(p3, t3)
    admin.git("add", "-A")
    admin.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "unsigned", date=sh.stamp())
    proc = sh.push(admin, "main")
    assert proc.returncode != 0 and "signature-unsigned" in proc.stderr

    # Rewinding or deleting main is refused.
    proc = sh.push(admin, "--force", f"{main_before}:refs/heads/main")
    assert proc.returncode != 0 and "main-rewound" in proc.stderr
    proc = sh.push(admin, ":refs/heads/main")
    assert proc.returncode != 0 and "main-deleted" in proc.stderr
    assert th.run(["git", "rev-parse", "main"], cwd=bare, env=world.env).stdout.decode().strip() == merged


def test_forge_merge_is_judged_too(world, server, tmp_path):
    """A forge's merge button merges in a temporary repository on the server and pushes to the bare
    repository through receive-pack: the same hooks judge it."""
    bare, url = server
    officer, path = officer_push(world, url, tmp_path, "pr-1", 1, signer="lijing", unit="gaj", head="liuzhenhua")
    assert sh.push(officer, "pr-1").returncode == 0  # lijing (dcq) filed a gaj report: wrong unit
    forge = tmp_path / "forge-tmp"
    th.run(["git", "clone", "-q", str(bare), str(forge)], env=world.env)
    tmp = th.Registry(forge, world)
    tmp.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pull request 1", "origin/pr-1", signer="zhoujianhua",
            date=sh.stamp())
    proc = th.run(["git", "push", "origin", "HEAD:main"], cwd=forge, env=world.env, check=False)
    assert proc.returncode != 0 and "signature-wrong-unit" in proc.stderr.decode()


def test_guard_settings_from_git_config(world, tmp_path):
    """baosong.mainBranch and baosong.maxClockSkew come from the server repository's git config."""
    root = tmp_path / "srv"
    root.mkdir()
    bare = sh.init_server(world, root, "--main", "trunk", "--max-skew", "120")
    seed = world.registry(tmp_path / "seed")
    seed.git("branch", "-m", "main", "trunk")
    seed.git("remote", "add", "origin", str(bare))
    assert sh.push(seed, "trunk").returncode == 0
    seed.git("commit", "--allow-empty", "-S", "-q", "-m", "an hour ago", signer="wangli", date=sh.stamp(-60))
    assert sh.push(seed, "trunk").returncode == 0, "within the configured 120 minutes"
    seed.git("commit", "--allow-empty", "-S", "-q", "-m", "three hours ago", signer="wangli", date=sh.stamp(-180))
    proc = sh.push(seed, "trunk")
    assert proc.returncode != 0 and "相差超过 120 分钟" in proc.stderr
    seed.git("reset", "-q", "--hard", "HEAD~1")
    assert sh.push(seed, "--force", "HEAD~1:refs/heads/main").returncode == 0  # main is just a branch here


def test_missing_key_is_reported_not_fatal(world, server, tmp_path):
    bare, url = server
    th.run(["git", "config", "--unset", "baosong.key"], cwd=bare, env=world.env)
    reg, _ = officer_push(world, url, tmp_path, "pr-1", 1)
    proc = sh.push(reg, "pr-1")
    assert proc.returncode == 0  # post-receive cannot undo a push; it says so and logs it
    assert "登记系统未能写收文回执" in proc.stderr and "baosong.key" in proc.stderr
    assert "baosong.key" in (bare / "baosong-hook.log").read_text(encoding="utf-8")


def test_one_blob_pushed_at_two_paths(world, server, tmp_path):
    """A report and an identical copy at another path, pushed together: each path is a report and
    gets its own push receipt. The copy is removed on the branch before the merge; the report that
    remains keeps its push time (it is not left unreceived because its blob was receipted at the copy)."""
    from baosong.config import load_config
    from baosong.gitrepo import GitTree
    from baosong.history import pending_arrivals, read_arrivals

    bare, url = server
    reg = sh.clone(world, url, tmp_path / "pr-1", "wanghao")
    reg.branch("pr-1")
    path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", 1)
    copy = path.rsplit("/", 1)[0] + "/a-copy.yaml"
    reg.add_report(copy, text, signer="wanghao", date=sh.stamp(-2))  # saved under a wrong name first
    reg.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
    before = sh.now()
    proc = sh.push(reg, "pr-1")
    assert proc.returncode == 0 and "登记系统已收文：2 份报告（检查点 1）" in proc.stderr, proc.stderr
    blob = reg.git("rev-parse", f"HEAD:{path}")
    assert reg.git("rev-parse", f"HEAD:{copy}") == blob
    listing = th.run(["git", "ls-tree", "-r", "--name-only", RECEIPTS_REF], cwd=bare, env=world.env).stdout.decode()
    records = [json.loads(th.run(["git", "show", f"{RECEIPTS_REF}:{name}"], cwd=bare, env=world.env).stdout)
               for name in listing.split() if name.startswith("receipts/") and name.endswith(".json")]
    assert sorted((r["path"], r["blob"], r["via"]) for r in records) == [(copy, blob, "push"), (path, blob, "push")]
    verify = th.run([th.BAOSONG, "verify", "--repo", str(bare), "--rev", "main"], env=world.env, check=False)
    assert verify.returncode == 0, verify.stdout.decode()
    # PR mode's look-up (each receipt on its own): both paths arrived at the push, not at "now".
    later = sh.now() + timedelta(hours=1)
    pending = pending_arrivals(bare, {path: blob, copy: blob}, load_config(GitTree(bare, "main")), later)
    assert {p: (t.source, t.at <= sh.now()) for p, t in pending.items()} == {path: ("push", True), copy: ("push", True)}

    # The check refuses the copy (id-filename); the officer removes it and the office merges.
    reg.git("rm", "-q", copy)
    reg.commit("remove the copy", signer="wanghao", date=sh.stamp())
    assert sh.push(reg, "pr-1").returncode == 0
    admin = sh.clone(world, url, tmp_path / "admin", "wangli")
    admin.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pr-1", "origin/pr-1", signer="wangli", date=sh.stamp())
    proc = sh.push(admin, "main")
    assert proc.returncode == 0, proc.stderr
    arrival = read_arrivals(bare, "main")[path]
    assert (arrival.time_source, arrival.receipt_via, arrival.attested) == ("push", "push", True)
    assert arrival.received_at is not None and before - timedelta(seconds=1) <= arrival.received_at <= sh.now()
    for command in ("verify", "audit"):
        proc = th.run([th.BAOSONG, command, "--repo", str(bare), "--rev", "main"], env=world.env, check=False)
        assert proc.returncode == 0, (command, proc.stdout.decode())


@pytest.mark.slow
def test_twenty_officers_push_at_once(world, server, tmp_path):
    """Twenty officers push a report each on their own branch over HTTP at the same time: twenty
    push receipts, one per blob, in a chain that verifies."""
    bare, url = server
    n = 20
    clones = []
    for i in range(n):
        reg, path = officer_push(world, url, tmp_path, f"pr-{i}", i + 1)
        clones.append((reg, path))
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(n)

    def go(reg: th.Registry, name: str) -> None:
        barrier.wait()
        time.sleep(random.uniform(0, 0.2))
        proc = sh.push(reg, name)
        results.append((proc.returncode, proc.stderr))

    threads = [threading.Thread(target=go, args=(reg, f"pr-{i}")) for i, (reg, _) in enumerate(clones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in results] == [0] * n, [err for code, err in results if code]
    receipts = sh.store_receipts(bare, world.env)
    blobs = {reg.git("rev-parse", f"HEAD:{path}") for reg, path in clones}
    assert set(receipts) == blobs
    assert sorted(r["ref"] for r in receipts.values()) == sorted(f"refs/heads/pr-{i}" for i in range(n))
    log = th.run(["git", "log", "--format=%s", RECEIPTS_REF], cwd=bare, env=world.env).stdout.decode().split("\n")
    assert len([s for s in log if s.startswith("push: 1 receipt(s)")]) == n  # one checkpoint per push
    verify = th.run([th.BAOSONG, "verify", "--repo", str(bare), "--rev", "main"], env=world.env, check=False)
    assert verify.returncode == 0, verify.stdout.decode()


def test_printed_scripts_carry_their_settings(world, tmp_path):
    """On a forge the administrator installs the printed scripts (custom_hooks/, hooks/*.d) and
    cannot set the repository's git config: the options travel in the script."""
    seed = world.registry(tmp_path / "seed")
    bare = tmp_path / "forge.git"
    th.run(["git", "clone", "-q", "--bare", str(seed.root), str(bare)], env=world.env)
    for name in ("pre-receive", "post-receive"):
        proc = th.run([th.BAOSONG, "hook", name, "--print-script", "--key", str(world.keys["registry"]),
                       "--witness", str(tmp_path / "state" / "witness.json")], env=world.env)
        (bare / "hooks" / name).write_bytes(proc.stdout)
        (bare / "hooks" / name).chmod(0o755)
    officer = sh.clone(world, str(bare), tmp_path / "officer", "wanghao")
    officer.branch("pr-1")
    path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", 1)
    officer.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
    proc = sh.push(officer, "pr-1")
    assert "登记系统已收文：1 份报告" in proc.stderr, proc.stderr
    assert read_witness(tmp_path / "state" / "witness.json")["sequence"] == 1
    proc = sh.push(officer, "--force", "pr-1:refs/baosong/receipts")
    assert proc.returncode != 0 and "receipts-ref-protected" in proc.stderr
