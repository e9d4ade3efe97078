"""The receipts store checked as a whole, for `verify` and `audit`: each report's first listing in the
checkpoint chain, the receipt files those listings name, and the store against the witness (deleted,
rewound, rewritten). `receipts` is the store's format and read side."""

from __future__ import annotations

import re
from pathlib import Path

from baosong.gitrepo import git_text, is_ancestor, rev_parse
from baosong.problems import Problem
from baosong.receipts import (
    CHECKPOINT_FILE,
    RECEIPTS_REF,
    Checkpoint,
    ReceiptKey,
    listing_key,
    read_witness,
    receipt_path,
    store_label,
)


def store_finding(path: str, rule: str, message: str, severity: str = "error") -> Problem:
    return Problem(store_label(path), 1, 1, "", rule, message, severity)  # type: ignore[arg-type]


def first_listings(checkpoints: list[Checkpoint]) -> tuple[dict[ReceiptKey, list], list[Problem]]:
    """Each report's first listing in the checkpoint chain ((blob, path) -> [path, blob, oid, received_at,
    tsa_time], in chain order), and a finding for every later listing of the same blob at the same path.

    The store holds one receipt per blob and path, so the registry never lists one twice: a second
    listing can only come from a forged or replayed checkpoint, and what it claims is not believed.
    The same blob at another path is another report with a receipt of its own (`receipt_files`).
    """
    listed: dict[ReceiptKey, list] = {}
    where: dict[ReceiptKey, int] = {}
    problems: list[Problem] = []
    for cp in checkpoints:
        for entry in cp.doc.get("added", []):
            key = listing_key(entry)
            if key is None:
                problems.append(Problem(f"{cp.commit[:10]}:{CHECKPOINT_FILE}", 1, 1, "", "checkpoint-entry",
                                        f"检查点 {cp.sequence} 的登记条目格式不正确：{str(entry)[:80]}"))
                continue
            blob = key[0]
            if key in listed:
                problems.append(store_finding(receipt_path(blob), "receipt-relisted",
                                         f"检查点 {cp.sequence} 再次登记了 blob {blob[:10]}（{entry[0]}，回执时间 {entry[3]}），"
                                         f"该 blob 已由检查点 {where[key]} 在同一路径登记（{listed[key][3]}）。"
                                         "每份报告（blob 与路径）只有一份回执，重复登记只能来自伪造或重放的检查点，以首次登记为准。"))
                continue
            listed[key] = entry
            where[key] = cp.sequence
    return listed, problems


def receipt_files(listed: dict[ReceiptKey, list]) -> dict[ReceiptKey, str]:
    """The store file (JSON) of each listed receipt: the first listing of a blob in the chain has the
    blob's own file, a listing of the same blob at a further path the file named by that path
    (`receipt_path`), exactly as the writers name them."""
    out: dict[ReceiptKey, str] = {}
    seen: set[str] = set()
    for blob, path in listed:
        out[blob, path] = receipt_path(blob, path=path if blob in seen else None)
        seen.add(blob)
    return out


def receipt_file_problems(entries: dict, listed: dict[ReceiptKey, list]) -> list[Problem]:
    """Receipts the checkpoints list ((blob, path) -> entry) that are missing from the store or differ from it."""
    out = []
    for key, name in receipt_files(listed).items():
        path, _, oid, _, _ = listed[key]
        entry = entries.get(name)
        if entry is None:
            out.append(store_finding(name, "receipt-missing", f"检查点记载的回执（{path}）不在回执库中，已被删除。"))
        elif entry.oid != oid:
            out.append(store_finding(name, "receipt-altered", f"回执内容与检查点记载的不一致（{path}），回执已被改动。"))
    return out


def _count(repo: Path, spec: str) -> int:
    return int(git_text(repo, "rev-list", "--count", spec) or 0)


def store_problems(repo: Path, tip: str | None, checkpoints: list[Checkpoint], witness_file: Path,
                   reports_on_main: bool) -> list[Problem]:
    """The store as a whole against the witness kept outside the repository: deleted, rewound,
    rewritten. Without a witness a missing store is only a warning (nothing says it ever existed)."""
    label = str(witness_file)
    try:
        witness = read_witness(witness_file)
    except ValueError as exc:
        return [Problem(label, 1, 1, "", "witness-unreadable", str(exc))]
    if witness is None:
        if tip is None and reports_on_main:
            return [Problem(RECEIPTS_REF, 1, 1, "", "store-absent",
                            f"回执库 {RECEIPTS_REF} 不存在，送达时间均按主线合并时间计算（未经回执证实）。如登记系统曾写过回执，"
                            f"回执库可能已被删除（例如从普通克隆执行 git push --mirror）；请用 --witness 指定登记服务器的见证文件核对。",
                            "warning")]
        return []
    commit, sequence, digest = witness.get("commit"), witness.get("sequence"), witness.get("digest")
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return [Problem(label, 1, 1, "commit", "witness-unreadable", "见证文件缺少有效的 commit（回执库提交）。")]
    seen = f"见证文件 {label} 记载回执库在 {witness.get('at') or '?'} 已到检查点 {sequence}（提交 {commit[:10]}）"
    if tip is None:
        restore = f"git update-ref {RECEIPTS_REF} {commit}" if rev_parse(repo, commit) else "从备份恢复回执库"
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-missing",
                        f"回执库 {RECEIPTS_REF} 不存在，但{seen}：回执库被删除（例如从普通克隆执行 git push --mirror）。"
                        f"在恢复之前不要运行 baosong receive（它会以当前时间重新登记全部报告）；恢复：{restore}。")]
    if rev_parse(repo, commit) is None:
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                        f"{seen}，但该提交已不在仓库中：回执库被回退或改写。请从备份恢复回执库并核对。")]
    if tip != commit and not is_ancestor(repo, commit, tip):
        if is_ancestor(repo, tip, commit):
            return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                            f"{seen}，而回执库现在的提交 {tip[:10]} 落后其 {_count(repo, f'{tip}..{commit}')} 个提交："
                            f"回执库被回退，其间的回执丢失。恢复：git update-ref {RECEIPTS_REF} {commit}。")]
        return [Problem(RECEIPTS_REF, 1, 1, "", "store-rewound",
                        f"{seen}，而回执库现在的提交 {tip[:10]} 不是它的后续：回执库历史被改写。请从备份恢复回执库并核对。")]
    at_seq = [cp for cp in checkpoints if cp.sequence == sequence]
    if not at_seq:
        return [Problem(label, 1, 1, "sequence", "witness-mismatch",
                        f"{seen}，但回执库中没有序号为 {sequence} 的检查点：检查点链被改写。")]
    if digest is not None and at_seq[-1].digest != digest:
        return [Problem(label, 1, 1, "digest", "witness-mismatch",
                        f"{seen}，但回执库中检查点 {sequence} 的摘要 {at_seq[-1].digest[:12]} 与见证记载的 {str(digest)[:12]} "
                        "不符：检查点链被改写。")]
    return []


