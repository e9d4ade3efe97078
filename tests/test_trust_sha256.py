"""A registry in a SHA-256 repository (`git init --object-format=sha256`): the server set up by
`baosong init --bare`, push receipts from its hooks, the merge, `receive`, the register, `verify` and
`audit` — the receipts store is written with the repository's own object ids."""

from __future__ import annotations

import json

import pytest
import server_helpers as sh
import trust_helpers as th
from baosong.history import read_arrivals
from baosong.receipts import RECEIPTS_REF


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def test_sha256_registry_end_to_end(world, tmp_path):
    bare = tmp_path / "srv" / "registry.git"
    th.run(["git", "init", "-q", "--bare", "--object-format=sha256", str(bare)], env=world.env)
    sh.init_server(world, tmp_path / "srv")  # adopts the bare repository, keeps its object format
    seed = world.registry(tmp_path / "seed", object_format="sha256")
    seed.git("remote", "add", "origin", str(bare))
    assert sh.push(seed, "main").returncode == 0

    officer = sh.clone(world, str(bare), tmp_path / "officer", "wanghao")
    officer.branch("pr-1")
    path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", 1)
    officer.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
    blob = officer.git("rev-parse", f"HEAD:{path}")
    assert len(blob) == 64
    proc = sh.push(officer, "pr-1")
    assert proc.returncode == 0 and "登记系统已收文：1 份报告（检查点 1）" in proc.stderr, proc.stderr
    record = json.loads(th.run(["git", "show", f"{RECEIPTS_REF}:receipts/{blob[:2]}/{blob}.json"], cwd=bare,
                               env=world.env).stdout)
    assert (record["blob"], record["path"], record["via"], record["signature"]) == (blob, path, "push", "good")

    admin = sh.clone(world, str(bare), tmp_path / "admin", "wangli")
    admin.git("merge", "-q", "--no-ff", "-S", "-m", "Merge pr-1", "origin/pr-1", signer="wangli", date=sh.stamp())
    proc = sh.push(admin, "main")
    assert proc.returncode == 0, proc.stderr
    proc = th.run([th.BAOSONG, "receive", "--repo", str(bare), "--rev", "main", "--key", str(world.keys["registry"])],
                  env=world.env, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    fsck = th.run(["git", "fsck", "--strict", "--no-dangling"], cwd=bare, env=world.env, check=False)
    assert fsck.returncode == 0, fsck.stderr.decode()  # the store's trees and commits are well-formed
    arrival = read_arrivals(bare, "main")[path]
    assert (arrival.blob, arrival.time_source, arrival.receipt_via, arrival.attested) == (blob, "push", "push", True)
    for command in ("verify", "audit"):
        proc = th.run([th.BAOSONG, command, "--repo", str(bare), "--rev", "main"], env=world.env, check=False)
        assert proc.returncode == 0, (command, proc.stdout.decode(), proc.stderr.decode())
    assert "共验证 1 份回执、2 个检查点" in th.run([th.BAOSONG, "verify", "--repo", str(bare), "--rev", "main"],
                                                   env=world.env).stdout.decode()
    # The register in a clone that fetched the store.
    admin.git("fetch", "-q", "origin", "refs/baosong/*:refs/baosong/*")
    admin.git("reset", "-q", "--hard", "origin/main")
    proc = admin.baosong("registry", "--format", "json", "--now", sh.stamp(1))
    assert proc.returncode == 0, proc.stderr
    [row] = [r for r in json.loads(proc.stdout)["reports"] if r["path"] == path]
    assert (row["blob"], row["time_source"], row["receipt_via"]) == (blob, "push", "push")
