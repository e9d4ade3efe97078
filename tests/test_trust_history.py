"""history.read_arrivals: who brought each report in, through which main-line commit, signed by whom,
verified at which trusted time."""

from __future__ import annotations

import json

import pytest
import trust_helpers as th
from baosong.gitrepo import BackgroundLog, GitError, log
from baosong.history import read_arrivals
from baosong.timeutil import parse_datetime

T = "2026-11-25T10:30:00+08:00"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def test_branch_merge_fast_forward_and_evil_merge(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    p1, t1 = th.emergency("gaj", "wanghao", "liuzhenhua", n=1)
    reg.branch("pr1")
    added = reg.add_report(p1, t1, signer="wanghao", date=T)
    merge = reg.merge("pr1", date="2026-11-25T10:45:00+08:00")
    p2, t2 = th.info("xhq", "chenxue", "xuguoqiang")
    direct = reg.add_report(p2, t2, signer="chenxue-cert", date="2026-11-25T10:50:00+08:00")
    # An "evil merge": the merge commit itself adds a report no branch commit added.
    reg.branch("pr2")
    reg.commit("empty", signer="wanghao", date=T)
    reg.checkout("main")
    reg.git("merge", "-q", "--no-ff", "--no-commit", "pr2", date=T)
    p3, t3 = th.info("dcq", "lijing", "sunweidong")
    reg.write(p3, t3)
    reg.git("add", p3)
    evil = reg.commit("merge pr2", signer="lijing", date="2026-11-25T11:00:00+08:00")
    arrivals = read_arrivals(reg.root)
    assert sorted(arrivals) == sorted([p1, p2, p3])
    a1, a2, a3 = arrivals[p1], arrivals[p2], arrivals[p3]
    assert (a1.commit, a1.main_commit, a1.signer, a1.signature) == (added, merge, "wanghao", "good")
    assert a1.main_time == parse_datetime("2026-11-25T10:45:00+08:00") and a1.time_source == "commit"
    assert (a2.commit, a2.main_commit, a2.signer, a2.signature) == (direct, direct, "chenxue", "good")
    assert (a3.commit, a3.main_commit, a3.signer, a3.signature) == (evil, evil, "lijing", "good")
    # The path-limited variant (PR mode's look-up) agrees.
    limited = read_arrivals(reg.root, paths=[p1, p3])
    assert {p: (a.commit, a.main_commit) for p, a in limited.items()} == {p1: (added, merge), p3: (evil, evil)}


def test_other_units_report_is_wrong_unit_and_unsigned_is_unsigned(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    p1, t1 = th.info("gaj", "wanghao", "liuzhenhua")
    reg.add_report(p1, t1, signer="lijing", date=T)
    p2, t2 = th.info("dcq", "lijing", "sunweidong")
    reg.add_report(p2, t2, signer=None, date=T)
    arrivals = read_arrivals(reg.root)
    assert (arrivals[p1].signature, arrivals[p1].signer) == ("wrong_unit", "lijing")
    assert (arrivals[p2].signature, arrivals[p2].signer, arrivals[p2].key) == ("unsigned", None, None)


def test_signatures_are_verified_at_the_trusted_time_and_cached(world, tmp_path):
    # wanghao's key stops being valid at noon; his report reached main at 10:45, so it stays good
    # however late the register is computed, but a commit that reached main after noon is expired
    # even though it claims an earlier date.
    units = world.units_doc(wanghao={"valid_before": "2026-11-25T12:00:00+08:00"})
    reg = world.registry(tmp_path / "r", units)
    p1, t1 = th.emergency("gaj", "wanghao", "liuzhenhua", n=1)
    c1 = reg.add_report(p1, t1, signer="wanghao", date="2026-11-25T10:45:00+08:00")
    p2, t2 = th.emergency("gaj", "wanghao", "liuzhenhua", n=2)
    reg.branch("late")
    c2 = reg.add_report(p2, t2, signer="wanghao", date="2026-11-25T11:00:00+08:00")  # back-dated
    reg.merge("late", date="2026-11-25T13:00:00+08:00")
    arrivals = read_arrivals(reg.root)
    assert arrivals[p1].signature == "good"
    assert arrivals[p2].signature == "expired"
    stored = json.loads((reg.root / ".git" / "baosong-cache" / "signatures.json").read_text())
    cached = {key[0] for key, _value in stored["entries"]}
    assert {c1, c2} <= cached
    again = read_arrivals(reg.root)
    assert {p: a.signature for p, a in again.items()} == {p1: "good", p2: "expired"}


def test_the_history_pass_started_in_the_background_is_the_same_log(world, tmp_path):
    """The register starts `git log` before judging the blobs (`BackgroundLog`): same commits as
    `log`, git's failure raised as GitError, and git ended when the block is left by an exception."""
    reg = world.registry(tmp_path / "r")
    p1, t1 = th.info("gaj", "wanghao", "liuzhenhua")
    reg.branch("pr1")
    reg.add_report(p1, t1, signer="wanghao", date=T)
    reg.merge("pr1", date="2026-11-25T10:45:00+08:00")
    with BackgroundLog(reg.root, "main", merges=False) as history:
        got = history.result()
    assert got == log(reg.root, "main", merges=False)
    assert any(ch.path == p1 for c in got for ch in c.changes)
    with pytest.raises(GitError), BackgroundLog(reg.root, "no-such-branch") as history:
        history.result()
    with pytest.raises(KeyboardInterrupt), BackgroundLog(reg.root, "main") as history:
        raise KeyboardInterrupt
    assert history._proc is not None and history._proc.returncode is not None
