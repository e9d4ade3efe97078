"""`baosong audit`: detect what bypassed the server's checks, from the signed checkpoints.

Each `baosong receive` run writes a checkpoint (main commit + the (path, blob) pairs it accepted),
signed by the registry and hash-linked to the previous one. The audit finds: main rewritten (a
checkpoint's main commit is no longer an ancestor of main: a force-push), an accepted report deleted
or changed, receipts missing or altered, a broken checkpoint chain or signature, and main-line commit
times that go backwards. Findings are `Problem`s naming what and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.config import Config, load_config
from baosong.gitrepo import GitError, GitTree, git_text, ls_tree, ref_value, rev_parse
from baosong.problems import Problem, sort_key
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    Checkpoint,
    chain_problems,
    read_checkpoints,
    receipt_file_problems,
    unsigned_checkpoints,
)
from baosong.signatures import Verifier
from baosong.timeutil import iso


@dataclass
class AuditResult:
    problems: list[Problem] = field(default_factory=list)
    checkpoints: int = 0
    accepted: int = 0
    main_commits: int = 0


def _cp_label(cp: Checkpoint) -> str:
    return f"{RECEIPTS_REF}@{cp.commit[:10]}:{CHECKPOINT_FILE}"


def _finding(path: str, rule: str, message: str) -> Problem:
    return Problem(path, 1, 1, "", rule, message)


def _main_times(repo: Path, tip: str) -> list[Problem]:
    """Main-line commit times must not go backwards (a sign of back-dated or replayed history)."""
    out: list[Problem] = []
    lines = git_text(repo, "log", "--first-parent", "--format=%H %cI", tip).splitlines()
    rows = [(c, datetime.fromisoformat(t)) for c, t in (ln.split() for ln in lines)]
    for (child, t_child), (parent, t_parent) in zip(rows, rows[1:], strict=False):
        if t_child < t_parent:
            out.append(_finding(f"main@{child[:10]}", "main-time-backwards",
                                f"主分支提交 {child[:10]} 的提交时间 {iso(t_child)} 早于其前一提交 {parent[:10]} 的 "
                                f"{iso(t_parent)}：主分支时间倒退，提交日期不可信。"))
    return out


def audit(repo: Path, rev: str = "HEAD", cfg: Config | None = None) -> AuditResult:
    repo = Path(repo)
    result = AuditResult()
    tip = rev_parse(repo, rev)
    if tip is None:
        raise GitError(["rev-parse", rev], 128, f"unknown revision {rev}")
    cfg = cfg or load_config(GitTree(repo, tip))
    problems = result.problems
    checkpoints = read_checkpoints(repo)
    result.checkpoints = len(checkpoints)
    for cp, text in chain_problems(checkpoints):
        problems.append(_finding(_cp_label(cp), "checkpoint-chain", text))
    with Verifier(cfg, repo, use_cache=False) as verifier:
        for cp, status in unsigned_checkpoints(verifier, checkpoints):
            problems.append(_finding(_cp_label(cp), "checkpoint-signature",
                                     f"检查点 {cp.sequence} 的登记系统签名不成立（{status}），检查点可能被伪造或篡改。"))

    reachable = set(git_text(repo, "rev-list", tip).split())
    result.main_commits = len(reachable)
    for cp in checkpoints:
        main = str(cp.doc.get("main_commit", ""))
        if main not in reachable:
            gone = "" if rev_parse(repo, main) else "（该提交已不在仓库中）"
            problems.append(_finding(_cp_label(cp), "main-rewritten",
                                     f"检查点 {cp.sequence}（{cp.doc.get('created_at')}）记录的主分支提交 {main[:10]}{gone} "
                                     f"已不是 {rev} 的祖先：主分支历史被改写（强制推送）。"))

    accepted: dict[str, tuple[str, int]] = {}  # path -> (blob, checkpoint sequence)
    listed: dict[str, list] = {}
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            accepted[entry[0]] = (entry[1], cp.sequence)
            listed[entry[1]] = entry
    result.accepted = len(accepted)
    present = {e.path: e.oid for e in ls_tree(repo, tip, "reports")}
    for path, (blob, seq) in sorted(accepted.items()):
        now_blob = present.get(path)
        if now_blob is None:
            problems.append(_finding(path, "report-deleted",
                                     f"已登记的报告（检查点 {seq}，blob {blob[:10]}）已从 {rev} 中删除。"))
        elif now_blob != blob:
            problems.append(_finding(path, "report-changed",
                                     f"已登记的报告被改动：登记时 blob {blob[:10]}，现为 {now_blob[:10]}。"))
    store = ref_value(repo, RECEIPTS_REF)
    if store is not None:
        entries = {e.path: e for e in ls_tree(repo, store, "receipts")}
        problems.extend(receipt_file_problems(entries, listed))
    problems.extend(_main_times(repo, tip))
    problems.sort(key=sort_key)
    return result
