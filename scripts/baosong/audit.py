"""`baosong audit`: detect what bypassed the server's checks, from the signed checkpoints.

Each `baosong receive` run writes a checkpoint (main commit + the (path, blob) pairs it accepted),
signed by the registry and hash-linked to the previous one. The audit finds: main rewritten (a
checkpoint's main commit is no longer an ancestor of main: a force-push), an accepted report deleted
or changed (against its first receipt, and any main-line commit that edits or deletes a report),
receipts missing, altered or listed twice, a broken checkpoint chain or any checkpoint not signed by
the registry, the store missing, rewound or rewritten against the witness, and main-line commit
times that go backwards. Findings are `Problem`s naming what and where.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.config import Config, load_config
from baosong.gitrepo import (
    REPORTS_PREFIX,
    GitError,
    GitTree,
    git_text,
    log,
    ls_tree,
    read_objects,
    ref_value,
    rev_parse,
)
from baosong.problems import Problem, sort_key
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    Checkpoint,
    ReceiptKey,
    chain_problems,
    read_checkpoints,
    receipt_via,
    unsigned_checkpoints,
    witness_path,
)
from baosong.signatures import Verifier
from baosong.storecheck import first_listings, receipt_file_problems, store_problems
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


def _main_line_edits(repo: Path, tip: str) -> list[Problem]:
    """Report files changed or deleted by a main-line commit (diffed against its first parent): the
    pull-request check refuses both, so each one bypassed the server, whatever the receipts say."""
    out: list[Problem] = []
    for c in log(repo, tip, "--first-parent", "--diff-filter=DMT", paths=[REPORTS_PREFIX]):
        for ch in c.changes:
            if not ch.path.endswith(".yaml"):
                continue
            if ch.status == "D":
                out.append(_finding(ch.path, "report-deleted",
                                    f"主分支提交 {c.id[:10]}（{iso(c.committed)}）删除了已合并的报告（blob {ch.old_blob[:10]}）。"))
            else:
                what = f"blob {ch.old_blob[:10]} → {ch.new_blob[:10]}" if ch.old_blob != ch.new_blob else \
                    f"文件模式 {ch.old_mode} → {ch.new_mode}"
                out.append(_finding(ch.path, "report-changed",
                                    f"主分支提交 {c.id[:10]}（{iso(c.committed)}）改动了已合并的报告（{what}）。"))
    return out


def _vias(repo: Path, listed: dict[ReceiptKey, list]) -> dict[ReceiptKey, str]:
    """(blob, path) -> via of its receipt, read from the receipt JSON the checkpoint names by blob id."""
    objs = read_objects(repo, sorted({e[2] for e in listed.values() if isinstance(e[2], str)}))
    out = {}
    for key, entry in listed.items():
        try:
            record = json.loads(objs.get(entry[2]) or b"null")
        except ValueError:
            record = None
        out[key] = receipt_via(record)[0] if isinstance(record, dict) else "receive"
    return out


def audit(repo: Path, rev: str = "HEAD", cfg: Config | None = None, *, witness: Path | None = None) -> AuditResult:
    repo = Path(repo)
    result = AuditResult()
    tip = rev_parse(repo, rev)
    if tip is None:
        raise GitError(["rev-parse", rev], 128, f"unknown revision {rev}")
    cfg = cfg or load_config(GitTree(repo, tip))
    problems = result.problems
    store = ref_value(repo, RECEIPTS_REF)
    checkpoints = read_checkpoints(repo, store) if store else []
    result.checkpoints = len(checkpoints)
    present = {e.path: e.oid for e in ls_tree(repo, tip, "reports")}
    problems.extend(store_problems(repo, store, checkpoints, witness_path(repo, witness),
                                   any(p.endswith(".yaml") for p in present)))
    for cp, text in chain_problems(checkpoints):
        problems.append(_finding(_cp_label(cp), "checkpoint-chain", text))
    with Verifier(cfg, repo, use_cache=False) as verifier:
        for cp, status in unsigned_checkpoints(verifier, checkpoints):
            problems.append(_finding(_cp_label(cp), "checkpoint-signature",
                                     f"检查点 {cp.sequence} 的登记系统签名不成立（{status}），检查点是伪造或被篡改的："
                                     "即使其后有已签名的检查点链接到它，它登记的回执也不可信。"))

    listed, relisted = first_listings(checkpoints)
    problems.extend(relisted)
    vias = _vias(repo, listed)
    reachable = set(git_text(repo, "rev-list", tip).split())
    result.main_commits = len(reachable)
    for cp in checkpoints:
        added = [e for e in cp.doc.get("added", []) if isinstance(e, list) and len(e) == 5]
        if added and all(vias.get((e[1], e[0])) == "push" for e in added):
            continue  # push receipts vouch for what was pushed to a branch, not for main
        main = str(cp.doc.get("main_commit", ""))
        if main not in reachable:
            gone = "" if rev_parse(repo, main) else "（该提交已不在仓库中）"
            problems.append(_finding(_cp_label(cp), "main-rewritten",
                                     f"检查点 {cp.sequence}（{cp.doc.get('created_at')}）记录的主分支提交 {main[:10]}{gone} "
                                     f"已不是 {rev} 的祖先：主分支历史被改写（强制推送）。"))

    # What main held when it was received: the first post-merge receipt of each path. A push
    # receipt only says a branch carried the blob (a branch may be edited before it is merged),
    # and a later listing of the same path cannot undo an accepted version: it is the change.
    accepted: dict[str, tuple[str, int]] = {}  # path -> (blob, checkpoint sequence)
    firsts = {id(e) for e in listed.values()}
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            if id(entry) in firsts and vias.get((entry[1], entry[0])) != "push":
                accepted.setdefault(entry[0], (entry[1], cp.sequence))
    result.accepted = len({e[0] for e in listed.values()})  # report paths with a receipt, pushed or merged
    found: dict[tuple[str, str], Problem] = {}
    for path, (blob, seq) in sorted(accepted.items()):
        now_blob = present.get(path)
        if now_blob is None:
            found[("report-deleted", path)] = _finding(path, "report-deleted",
                                                       f"已登记的报告（检查点 {seq}，blob {blob[:10]}）已从 {rev} 中删除。")
        elif now_blob != blob:
            found[("report-changed", path)] = _finding(
                path, "report-changed", f"已登记的报告被改动：检查点 {seq} 登记时 blob {blob[:10]}，现为 {now_blob[:10]}"
                "（其后的检查点再登记新内容也改变不了这一点）。")
    for f in _main_line_edits(repo, tip):
        found.setdefault((f.rule, f.path), f)
    problems.extend(found.values())
    if store is not None:
        entries = {e.path: e for e in ls_tree(repo, store, "receipts")}
        problems.extend(receipt_file_problems(entries, listed))
    problems.extend(_main_times(repo, tip))
    problems.sort(key=sort_key)
    return result
