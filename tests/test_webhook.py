"""`baosong webhook`: the real service on 127.0.0.1, sent real GitLab and Gitea/Forgejo push events."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
import server_helpers as sh
import trust_helpers as th
from baosong.receipts import RECEIPTS_REF

SECRET = "s3cret-token-for-the-registry-webhook"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture
def setup(world, tmp_path):
    """(forge repository without hooks, the registry's mirror, webhook URL)."""
    seed = world.registry(tmp_path / "seed")
    forge = tmp_path / "forge.git"
    th.run(["git", "clone", "-q", "--bare", str(seed.root), str(forge)], env=world.env)
    mirror = tmp_path / "mirror.git"
    th.run(["git", "clone", "-q", "--bare", str(forge), str(mirror)], env=world.env)
    th.run(["git", "config", "baosong.key", str(world.keys["registry"])], cwd=mirror, env=world.env)
    env = {**world.env, "BAOSONG_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([th.BAOSONG, "webhook", "--repo", str(mirror), "--remote", str(forge),
                             "--listen", "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert "收文登记网络钩子服务已启动" in line, proc.stderr.read1().decode() if proc.poll() is not None else line
        url = line.split("http://", 1)[1].split("/", 1)[0]
        yield forge, mirror, f"http://{url}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def officer_pushes(world, forge, tmp_path, branch: str, n: int) -> tuple[th.Registry, str]:
    reg = sh.clone(world, str(forge), tmp_path / branch, "wanghao")
    reg.branch(branch)
    path, text = sh.today_info("gaj", "wanghao", "liuzhenhua", n)
    reg.add_report(path, text, signer="wanghao", date=sh.stamp(-1))
    assert sh.push(reg, branch).returncode == 0
    return reg, reg.git("rev-parse", f"HEAD:{path}")


def gitlab_event(branch: str, after: str) -> bytes:
    return json.dumps({"object_kind": "push", "ref": f"refs/heads/{branch}", "before": "0" * 40, "after": after,
                       "project": {"path_with_namespace": "office/registry"}}).encode()


def gitea_event(branch: str, after: str) -> bytes:
    return json.dumps({"ref": f"refs/heads/{branch}", "before": "0" * 40, "after": after,
                       "repository": {"full_name": "office/registry"}}).encode()


def store(mirror) -> str:
    return th.run(["git", "for-each-ref"], cwd=mirror).stdout.decode()


def test_gitlab_push_event(world, setup, tmp_path):
    forge, mirror, url = setup
    reg, blob = officer_pushes(world, forge, tmp_path, "pr-1", 1)
    body = gitlab_event("pr-1", reg.head())
    before = store(mirror)
    for headers in ({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "wrong"},
                    {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET[:-1]},
                    {"X-Gitlab-Event": "Push Hook"}):
        status, doc = post(url, body, headers)
        assert status == 403 and "令牌或签名不符" in doc["error"]
    assert store(mirror) == before  # nothing fetched, nothing written
    start = time.monotonic()
    status, doc = post(url, body, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET})
    assert status == 200, doc
    assert time.monotonic() - start < 10  # receipted within seconds of the push event
    assert doc["receipts"] == 1 and doc["blobs"] == [blob]
    record = sh.store_receipts(mirror, world.env)[blob]
    assert (record["via"], record["ref"], record["signer"]) == ("push", "refs/heads/pr-1", "wanghao")
    assert abs(datetime.fromisoformat(record["received_at"]) - sh.now()) < timedelta(minutes=1)
    # The same event again (GitLab retries): nothing new.
    status, doc = post(url, body, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET})
    assert (status, doc["receipts"]) == (200, 0)
    # Other events are acknowledged and ignored.
    status, doc = post(url, b"{}", {"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": SECRET})
    assert status == 202


@pytest.mark.parametrize("header", ["X-Gitea-Signature", "X-Forgejo-Signature"])
def test_gitea_and_forgejo_push_events(world, setup, tmp_path, header):
    forge, mirror, url = setup
    event = header.replace("Signature", "Event")
    reg, blob = officer_pushes(world, forge, tmp_path, "pr-2", 2)
    body = gitea_event("pr-2", reg.head())
    good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    bad = hmac.new(b"another secret entirely", body, hashlib.sha256).hexdigest()
    before = store(mirror)
    status, _ = post(url, body, {event: "push", header: bad})
    assert status == 403
    # A correct signature over a different body does not authenticate this one.
    status, _ = post(url, body.replace(b"pr-2", b"pr-3"), {event: "push", header: good})
    assert status == 403
    assert store(mirror) == before
    status, doc = post(url, body, {event: "push", header: good})
    assert status == 200 and doc["blobs"] == [blob], doc
    assert sh.store_receipts(mirror, world.env)[blob]["ref"] == "refs/heads/pr-2"
    assert th.run(["git", "rev-parse", RECEIPTS_REF], cwd=mirror).returncode == 0


def test_bad_ref_and_bad_json(world, setup):
    forge, mirror, url = setup
    body = json.dumps({"ref": "refs/baosong/receipts", "after": "1" * 40}).encode()
    status, doc = post(url, body, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET})
    assert status == 400 and "引用名" in doc["error"]
    status, doc = post(url, b"{not json", {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET})
    assert status == 400


def test_refuses_to_start_without_a_secret(world, tmp_path):
    proc = th.run([th.BAOSONG, "webhook", "--repo", str(tmp_path), "--listen", "127.0.0.1:0"], env=world.env,
                  check=False)
    assert proc.returncode == 2 and "BAOSONG_WEBHOOK_SECRET" in proc.stderr.decode()
