"""`baosong init` (the office's work tree) and `baosong init --bare` (the server), and the whole way
from them to a register: an officer's push over HTTP, a merge, a refused merge, `baosong registry`."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import server_helpers as sh
import trust_helpers as th
import yaml
from baosong.hook import HOOK_MARKER

OFFICE = ["--city", "临江市", "--office-code", "ljxxk", "--office", "临江市委办公室信息科", "--admin-id", "wangli",
          "--admin-name", "王丽", "--ci", "gitlab"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def baosong(world: th.World, *args: str, cwd=None):
    proc = th.run([th.BAOSONG, *args], cwd=cwd, env=world.env, check=False)
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    return proc


def test_init_worktree(world, tmp_path):
    target = tmp_path / "registry"
    proc = baosong(world, "init", str(target), *OFFICE, "--admin-key", f"{world.keys['wangli']}.pub")
    assert proc.returncode == 0, proc.stderr
    for rel in ("schema/report.schema.json", "schema/units.schema.json", "schema/policy.schema.json",
                "config/policy.yaml", "config/units.yaml", "reports/.gitkeep", ".gitignore", ".gitlab-ci.yml"):
        assert (target / rel).is_file(), rel
    units = yaml.safe_load((target / "config/units.yaml").read_text(encoding="utf-8"))
    assert (units["city"], units["registry_office"], units["registry"]["principal"]) == ("临江市", "ljxxk", "registry@ljxxk")
    admin = units["units"][0]["staff"][0]
    assert (admin["principal"], admin["roles"], admin["keys"]) == ("wangli@ljxxk", ["officer", "admin"], [world.pub("wangli")])
    assert "临江市" in (target / "config/policy.yaml").read_text(encoding="utf-8")
    assert th.run(["git", "symbolic-ref", "HEAD"], cwd=target).stdout.decode().strip() == "refs/heads/main"
    assert "登记管理员" in proc.stdout or "下一步" in proc.stdout
    check = baosong(world, "check", cwd=target)
    assert check.returncode == 0, check.stdout
    # A directory in use is refused; so is a run without the answers and without a terminal.
    assert baosong(world, "init", str(target), *OFFICE).returncode == 2
    proc = baosong(world, "init", str(tmp_path / "other"), "--city", "临江市")
    assert proc.returncode == 2 and "--office-code" in proc.stderr and not (tmp_path / "other").exists()
    proc = baosong(world, "init", str(tmp_path / "bad"), *OFFICE[:3], "Bad-Code", *OFFICE[4:])
    assert proc.returncode == 2 and "登记机关单位代码“Bad-Code”" in proc.stderr


@pytest.mark.parametrize("ci,dest", [("gitea", ".gitea/workflows/baosong.yml"), ("forgejo", ".forgejo/workflows/baosong.yml")])
def test_init_ci_choice(world, tmp_path, ci, dest):
    proc = baosong(world, "init", str(tmp_path / "r"), *OFFICE[:-1], ci)
    assert proc.returncode == 0 and (tmp_path / "r" / dest).is_file() and not (tmp_path / "r/.gitlab-ci.yml").exists()


def test_init_bare_on_an_existing_repository_keeps_history(world, tmp_path):
    seed = world.registry(tmp_path / "seed")
    bare = tmp_path / "existing.git"
    th.run(["git", "clone", "-q", "--bare", str(seed.root), str(bare)], env=world.env)
    main = th.run(["git", "rev-parse", "main"], cwd=bare).stdout
    proc = baosong(world, "init", "--bare", str(bare))
    assert proc.returncode == 0 and "已接管现有裸仓库" in proc.stdout, proc.stderr
    assert th.run(["git", "rev-parse", "main"], cwd=bare).stdout == main
    key = bare / "baosong" / "registry_ed25519"
    assert key.is_file() and key.stat().st_mode & 0o777 == 0o600
    pub = th.run(["ssh-keygen", "-y", "-f", str(key)]).stdout.decode().split()[:2]
    assert " ".join(pub) in proc.stdout
    config = th.run(["git", "config", "--get-regexp", "^baosong"], cwd=bare).stdout.decode()
    assert f"baosong.key {key}" in config and "baosong.mainbranch main" in config
    for name in ("pre-receive", "post-receive"):
        hook = bare / "hooks" / name
        assert hook.stat().st_mode & 0o111 and HOOK_MARKER in hook.read_text() and f"hook {name}" in hook.read_text()
    # Again: our hooks are replaced in place, the key is kept.
    assert baosong(world, "init", "--bare", str(bare)).returncode == 0
    assert " ".join(pub) in baosong(world, "init", "--bare", str(bare)).stdout
    # Someone else's hook is not overwritten without --force.
    (bare / "hooks" / "pre-receive").write_text("#!/bin/sh\nexec /opt/forge/hook\n")
    proc = baosong(world, "init", "--bare", str(bare))
    assert proc.returncode == 2 and "不是 baosong 安装的钩子" in proc.stderr
    assert baosong(world, "init", "--bare", str(bare), "--force").returncode == 0
    assert (bare / "hooks" / "pre-receive.bak").read_text() == "#!/bin/sh\nexec /opt/forge/hook\n"
    # A work tree is not a bare repository.
    assert "不是裸仓库" in baosong(world, "init", "--bare", str(seed.root)).stderr


def test_from_init_to_register_over_http(world, tmp_path):
    """The README's walk-through: server, office work tree, an officer's push, a merge, a refused
    merge, the register on a fresh clone."""
    srv = tmp_path / "srv"
    proc = baosong(world, "init", "--bare", str(srv / "registry.git"))
    assert proc.returncode == 0, proc.stderr
    registry_pub = proc.stdout.strip().splitlines()[-1]
    office = tmp_path / "office"
    proc = baosong(world, "init", str(office), *OFFICE, "--admin-key", f"{world.keys['wangli']}.pub",
                   "--registry-key", registry_pub)
    assert proc.returncode == 0, proc.stderr
    units_file = office / "config/units.yaml"
    units = yaml.safe_load(units_file.read_text(encoding="utf-8"))
    units["units"].append({"code": "gaj", "name": "临江市公安局", "level": "department", "parent": None, "staff": [
        {"id": "wanghao", "name": "王浩", "roles": ["officer"], "principal": "wanghao@gaj", "keys": [world.pub("wanghao")]},
        {"id": "liuzhenhua", "name": "刘振华", "roles": ["head"], "principal": "liuzhenhua@gaj", "keys": []}]})
    units_file.write_text(yaml.safe_dump(units, allow_unicode=True, sort_keys=False), encoding="utf-8")
    admin = th.Registry(office, world)
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(world.keys["wangli"]))):
        admin.git("config", k, v)
    admin.commit("开设登记库", signer="wangli", date=sh.stamp())
    with sh.http_server(srv, world.env) as base:
        url = f"{base}/registry.git"
        admin.git("remote", "add", "origin", url)
        assert sh.push(admin, "main").returncode == 0

        officer = sh.clone(world, url, tmp_path / "officer", "wanghao")
        officer.branch("report-1")
        path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", 1)
        officer.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
        proc = sh.push(officer, "report-1")
        assert proc.returncode == 0 and "登记系统已收文：1 份报告" in proc.stderr, proc.stderr
        receipt = next(iter(sh.store_receipts(srv / "registry.git", world.env).values()))

        admin.git("fetch", "-q", "origin")
        admin.git("merge", "-q", "--no-ff", "-S", "-m", "合并 report-1", "origin/report-1", signer="wangli",
                  date=sh.stamp())
        assert sh.push(admin, "main").returncode == 0

        # The officer's next branch carries an unsigned commit; the administrator merges it anyway.
        officer.git("fetch", "-q", "origin")
        officer.git("checkout", "-q", "-b", "report-2", "origin/main")
        p2, t2 = sh.today_info("gaj", "wanghao", "liuzhenhua", 2)
        officer.write(p2, t2)
        officer.git("add", "-A")
        officer.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "unsigned", date=sh.stamp(-1))
        assert sh.push(officer, "report-2").returncode == 0
        admin.git("fetch", "-q", "origin")
        admin.git("merge", "-q", "--no-ff", "-S", "-m", "合并 report-2", "origin/report-2", signer="wangli",
                  date=sh.stamp())
        proc = sh.push(admin, "main")
        assert proc.returncode != 0 and "登记系统拒绝本次推送" in proc.stderr and "signature-unsigned" in proc.stderr

        reader = tmp_path / "reader"
        th.run(["git", "clone", "-q", url, str(reader)], env=world.env)
        th.run(["git", "fetch", "-q", "origin", "refs/baosong/*:refs/baosong/*"], cwd=reader, env=world.env)
    proc = baosong(world, "registry", "--format", "json", cwd=reader)
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)["reports"]
    assert [r["path"] for r in reports] == [path]  # report-2 never reached main
    record = reports[0]
    assert datetime.fromisoformat(record["received_at"]) == datetime.fromisoformat(receipt["received_at"])
    assert record["signer"] == "wanghao" and record["signature"] == "good"
