"""Caches: nothing a branch carries is read as a cache; the cache is data in the git directory.

The attack (issue 9, design review §0): a branch commits `.baosong-cache/<name>.pickle` with
`git add -f`, holding an object whose `__reduce__` runs code when unpickled. Every checkout of that
branch (CI, an officer's laptop) then ran it inside `baosong check`, and a file that reached main
ran in `receive` and `registry`. Here the payload only creates a marker file outside the
repository; no command may create it, with or without `--no-cache`, and no command may modify a
tracked file. Then the properties of the cache that replaced the pickles: it lives in
`$(git rev-parse --git-common-dir)/baosong-cache/`, a corrupt or wrong-shaped file there changes
no verdict and is rebuilt, a warm run judges like a cold one, and `--no-cache` neither reads nor
writes it.
"""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import pytest
import trust_helpers as th
from baosong.config import load_config
from baosong.sources import WorkTree

DAY = "2026-11-25T10:40:00+08:00"
NOW = "2026-11-25T12:10:00+08:00"  # the follow-up is late by then: PR mode needs the first report's arrival
FIRST_ID = "gaj-20261125-wanghao-01"


class Payload:
    """Unpickling this opens (creates) the marker file: stands for any code an attacker wants run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def followup(n: int = 2, seq: int = 1) -> tuple[str, str]:
    rid = f"gaj-20261125-wanghao-{n:02d}"
    text = (f'id: "{rid}"\nkind: "emergency"\nunit: "gaj"\ntitle: "续报"\ncreated_at: "2026-11-25T11:30:00+08:00"\n'
            f'author: "wanghao"\nsigner: "liuzhenhua"\nstage: "followup"\nincident: "{FIRST_ID}"\nsequence: {seq}\n'
            'description: "伤员已全部送医。"\n')
    return f"reports/2026/gaj/{rid}.yaml", text


def planted_names(reg: th.Registry) -> list[str]:
    """Every file name the old code unpickled from `.baosong-cache/` (fingerprints from public files)."""
    fp = load_config(WorkTree(reg.root)).fingerprint
    return ["signatures.pickle", f"check-{fp}.pickle", f"register-{fp}.pickle", f"prcheck-index-{fp}.pickle",
            "receipts-replay.pickle"]


def plant(reg: th.Registry, markers: Path) -> None:
    """Commit a payload under every cache name, forced past .gitignore, as a hostile branch does."""
    folder = reg.root / ".baosong-cache"
    folder.mkdir(exist_ok=True)
    for name in planted_names(reg):
        (folder / name).write_bytes(pickle.dumps(Payload(markers / f"ran-{name}")))
    reg.git("add", "-f", ".baosong-cache")


def hostile_pr(world: th.World, tmp_path: Path) -> tuple[th.Registry, Path]:
    """main: an emergency first report with a receipt; branch pr (checked out): a follow-up plus the payloads."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    assert receive(reg, "2026-11-25T10:45:00+08:00", "--no-cache").returncode == 0
    markers = tmp_path / "markers"
    markers.mkdir()
    reg.branch("pr")
    f, t = followup()
    reg.write(f, t)
    plant(reg, markers)
    reg.commit("follow-up", signer="wanghao", date=DAY)
    assert reg.git("ls-files", ".baosong-cache").count("\n") == len(planted_names(reg)) - 1
    return reg, markers


def receive(reg: th.Registry, now: str, *extra: str) -> subprocess.CompletedProcess:
    return reg.baosong("receive", "--key", str(reg.world.keys["registry"]), "--now", now, *extra)


def assert_untouched(reg: th.Registry, markers: Path, proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert sorted(p.name for p in markers.iterdir()) == [], "a planted cache file was unpickled"
    assert reg.git("status", "--porcelain", "--ignored", "--untracked-files=all") == "", "the work tree changed"


@pytest.mark.parametrize("args", [
    ("check", "--base", "main", "--now", NOW),
    ("check", "--base", "main", "--now", NOW, "--no-cache"),
    ("check", "--now", NOW),  # file mode: what the pre-commit hook runs
], ids=["pr", "pr-no-cache", "file"])
def test_checking_a_branch_never_reads_its_cache_files(world, tmp_path, args):
    reg, markers = hostile_pr(world, tmp_path)
    proc = reg.baosong(*args)
    assert proc.returncode in (0, 1), proc.stderr
    assert_untouched(reg, markers, proc)


@pytest.mark.parametrize("command", ["registry", "receive"])
def test_cache_files_that_reached_main_are_never_read(world, tmp_path, command):
    reg, markers = hostile_pr(world, tmp_path)
    reg.merge("pr", date="2026-11-25T11:50:00+08:00")  # a careless admin merged it
    if command == "registry":
        proc = reg.baosong("registry", "--now", NOW, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert {r["path"] for r in json.loads(proc.stdout)["reports"]} >= {followup()[0]}
    else:
        proc = receive(reg, "2026-11-25T11:55:00+08:00", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert [r["path"] for r in json.loads(proc.stdout)["receipts"]] == [followup()[0]]
    assert_untouched(reg, markers, proc)


# ------------------------------------------------------------------------------------------------
# The cache in the git directory: data only, rebuilt when damaged, never changing a verdict


def pr_registry(world: th.World, tmp_path: Path) -> th.Registry:
    """Like hostile_pr without payloads: main with a received first report and a direct info report,
    branch pr (checked out) with a late follow-up and an unsigned report of another unit."""
    reg = world.registry(tmp_path / "r")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.branch("first")
    reg.add_report(path, text, signer="wanghao", date=DAY)
    reg.merge("first", date=DAY)
    p2, t2 = th.info("dcq", "lijing", "sunweidong")
    reg.add_report(p2, t2, signer="lijing", date=DAY)
    assert receive(reg, "2026-11-25T10:45:00+08:00", "--no-cache").returncode == 0
    reg.branch("pr")
    f, t = followup()
    reg.add_report(f, t, signer="wanghao", date=DAY)
    p3, t3 = th.info("xhq", "chenxue", "xuguoqiang", n=2)
    reg.add_report(p3, t3, signer=None, date=DAY)
    return reg


COMMANDS = {
    "pr": ("check", "--base", "main", "--now", NOW, "--format", "json"),
    "file": ("check", "--now", NOW, "--format", "json"),
    "registry": ("registry", "--rev", "main", "--now", NOW, "--format", "json"),
}


def verdicts(reg: th.Registry, *extra: str) -> dict[str, tuple[int, str]]:
    out = {}
    for name, args in COMMANDS.items():
        proc = reg.baosong(*args, *extra)
        assert "Traceback" not in proc.stderr, proc.stderr
        out[name] = (proc.returncode, proc.stdout)
    return out


def cache_files(reg: th.Registry) -> dict[str, Path]:
    folder = reg.root / ".git" / "baosong-cache"
    return {f.stem: f for f in folder.glob("*.json")}


def test_cache_lives_in_the_git_directory_and_warm_runs_judge_like_cold_ones(world, tmp_path):
    reg = pr_registry(world, tmp_path)
    reference = verdicts(reg, "--no-cache")
    assert not (reg.root / ".git" / "baosong-cache").exists()  # --no-cache writes nothing
    assert reference["pr"][0] == 1 and "signature-unsigned" in reference["pr"][1]
    assert "late-no-reason" in reference["pr"][1]
    cold = verdicts(reg)
    warm = verdicts(reg)
    assert cold == reference and warm == reference
    files = cache_files(reg)
    assert set(files) == {"check", "register", "signatures", "prcheck-index", "receipts-replay"}
    for f in files.values():
        stored = json.loads(f.read_text())
        assert stored["cache"] == f.stem and stored["format"] >= 1 and stored["fingerprint"]
    assert "delete" in (reg.root / ".git" / "baosong-cache" / "README").read_text()
    assert not (reg.root / ".baosong-cache").exists()
    assert reg.git("status", "--porcelain", "--ignored") == ""


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not-an-object", "wrong-shapes", "wrong-version"])
def test_damaged_cache_gives_the_same_verdicts_and_is_rebuilt(world, tmp_path, damage):
    reg = pr_registry(world, tmp_path)
    reference = verdicts(reg, "--no-cache")
    verdicts(reg)  # fills every cache
    for f in cache_files(reg).values():
        text = f.read_text()
        stored = json.loads(text)
        if damage == "garbage":
            f.write_bytes(b"\x80\x04\x95 not json at all \xff")
        elif damage == "truncated":
            f.write_text(text[: len(text) // 2])
        elif damage == "not-an-object":
            f.write_text("[1, 2, 3]")
        elif damage == "wrong-version":
            f.write_text(json.dumps({**stored, "format": -1, "entries": "x"}))
        else:  # the right header, but every entry (or the whole payload) of another shape
            entries = stored["entries"]
            if isinstance(entries, dict) and "tip" in entries:
                entries = {"tip": 7, "raw": "%%%", "sig": [], "receipts": {"a": [1]}}
            elif isinstance(entries, dict):
                entries = {k: [None, {"x": 1}, 3, [4]] for k in entries} | {"reports/x.yaml": "junk"}
            else:
                entries = [[["a"], "b"], "junk", [[1, 2, 3], ["good", 5, None]]]
            f.write_text(json.dumps({**stored, "entries": entries}))
    assert verdicts(reg) == reference
    rebuilt = cache_files(reg)
    assert set(rebuilt) == {"check", "register", "signatures", "prcheck-index", "receipts-replay"}
    for f in rebuilt.values():
        assert json.loads(f.read_text())["format"] >= 1  # rewritten as valid data
    assert verdicts(reg) == reference


def test_no_cache_neither_reads_nor_writes_the_cache(world, tmp_path):
    reg = pr_registry(world, tmp_path)
    verdicts(reg)
    # Make the stored signature results lie: every commit "good" by wanghao.
    sig_file = cache_files(reg)["signatures"]
    stored = json.loads(sig_file.read_text())
    stored["entries"] = [[k, ["good", "wanghao@gaj", v[2]]] for k, v in stored["entries"]]
    sig_file.write_text(json.dumps(stored))
    cached = reg.baosong(*COMMANDS["pr"])
    # The cache is read and believed (which is why it must live where no branch can write)...
    assert "signature-unsigned" not in cached.stdout and "signature-wrong-unit" in cached.stdout
    before = {f: f.read_bytes() for f in cache_files(reg).values()}
    proc = reg.baosong(*COMMANDS["pr"], "--no-cache")
    assert proc.returncode == 1 and "signature-unsigned" in proc.stdout  # ...but not with --no-cache
    verdicts(reg, "--no-cache")
    reg.merge("pr", date="2026-11-25T11:50:00+08:00")  # something new for receive to verify
    assert receive(reg, "2026-11-25T12:00:00+08:00", "--no-cache").returncode == 0
    assert {f: f.read_bytes() for f in cache_files(reg).values()} == before  # nor written


# ------------------------------------------------------------------------------------------------
# Where the cache directory is, and where it is refused


def test_cache_directory_for_work_trees_linked_worktrees_and_bare_repositories(world, tmp_path):
    from baosong.cache import cache_dir

    reg = world.registry(tmp_path / "r")
    common = reg.root / ".git"
    assert cache_dir(reg.root) == common / "baosong-cache"
    assert cache_dir(reg.root / "reports") == common / "baosong-cache"
    reg.git("worktree", "add", "-q", str(tmp_path / "linked"), "-b", "side")
    assert cache_dir(tmp_path / "linked") == common / "baosong-cache"  # one cache for all worktrees
    th.run(["git", "clone", "-q", "--bare", str(reg.root), str(tmp_path / "bare.git")], env=world.env)
    assert cache_dir(tmp_path / "bare.git") == tmp_path / "bare.git" / "baosong-cache"
    assert cache_dir(tmp_path / "not-a-repo-" / "x") is None
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=plain, capture_output=True)
    if proc.returncode != 0:  # tmp_path is not inside some other repository
        assert cache_dir(plain) is None


def test_a_cache_location_git_tracks_or_a_link_out_of_the_git_directory_is_refused(world, tmp_path):
    from baosong.cache import cache_dir

    # A repository whose git directory sits inside its own work tree, with the cache location tracked.
    root = tmp_path / "odd"
    root.mkdir()
    env = world.env
    th.run(["git", "init", "-q", f"--separate-git-dir={root / 'meta'}", str(root)], env=env)
    tracked = root / "meta" / "baosong-cache" / "check.json"
    tracked.parent.mkdir()
    tracked.write_text('{"cache": "check"}')
    th.run(["git", "add", "meta/baosong-cache/check.json"], cwd=root, env=env)
    assert cache_dir(root) is None
    # A symlink from the git directory into the work tree.
    reg = world.registry(tmp_path / "r")
    (reg.root / "elsewhere").mkdir()
    (reg.root / ".git" / "baosong-cache").symlink_to(reg.root / "elsewhere")
    assert cache_dir(reg.root) is None
    proc = reg.baosong("check", "--now", NOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list((reg.root / "elsewhere").iterdir()) == []
