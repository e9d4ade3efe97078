"""Pull-request mode: `baosong check --base REV [--now TIME]`, the way CI judges a change.

The change is merge-base(REV, HEAD) → HEAD. It may only add regular files under `reports/` at
well-formed paths; trust roots (config, schemas, tooling: everything outside `reports/`) are read
from REV, never from the change, and may be changed only by commits signed by a registry admin.
Every commit in the range must be signed by a key the base configuration knows, valid at *now*
(the CI clock, not the committer date), by staff of the unit that owns every report it adds.
Lateness is judged under the register's arrival rule: an added report arrived when the server
receipted its push (a push receipt), else now: a late report needs `delay_reason`, and with one it
passes, recorded as late. Report content is read from git objects, never the work tree.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.check import CheckResult, check_bytes
from baosong.config import UNITS_PATH, Config, load_config
from baosong.deadlines import STATUS_ZH, judge, series_deadlines
from baosong.gitrepo import (
    REPORTS_PREFIX,
    Change,
    GitTree,
    cache_dir,
    git,
    is_shallow,
    log,
    merge_base,
    read_objects,
    rev_parse,
)
from baosong.history import arrival_times, pending_arrivals, report_unit, unit_check
from baosong.problems import Problem, sort_key
from baosong.rules import PATH_RE, check_collection
from baosong.signatures import SigResult, Verifier, message, short
from baosong.timeutil import iso
from baosong.yamlload import load_yaml

REGULAR = "100644"
DELAY_HINT = "delay_reason: 迟报原因说明…"


@dataclass
class PRResult(CheckResult):
    base: str = ""
    head: str = ""
    merge_base: str = ""
    added: list[str] = field(default_factory=list)
    commits: int = 0
    late: dict[str, dict] = field(default_factory=dict)  # path -> {status, delay_minutes, deadline_at, rule}


def _p(path: str, rule: str, msg: str, severity: str = "error", line: int = 1, col: int = 1,
       fieldname: str = "") -> Problem:
    return Problem(path, line, col, fieldname, rule, msg, severity)  # type: ignore[arg-type]


def _raw_diff(repo: Path, a: str, b: str, *flags: str) -> list[Change]:
    out = git(repo, "diff", "--raw", "-z", "--no-abbrev", *flags, a, b)
    fields = out.split(b"\0")
    changes: list[Change] = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].decode()
        if not meta.startswith(":"):
            i += 1
            continue
        old_mode, new_mode, old_blob, new_blob, status = meta[1:].split(" ")
        if status[0] in "RC":
            src, dst = fields[i + 1].decode("utf-8", "surrogateescape"), fields[i + 2].decode("utf-8", "surrogateescape")
            changes.append(Change(status[0], old_mode, new_mode, old_blob, new_blob, f"{src}\0{dst}"))
            i += 3
        else:
            changes.append(Change(status[0], old_mode, new_mode, old_blob, new_blob,
                                  fields[i + 1].decode("utf-8", "surrogateescape")))
            i += 2
    return changes


def _mode_zh(mode: str) -> str:
    return {"120000": "符号链接", "160000": "子模块", "100755": "可执行文件", "040000": "目录"}.get(mode, f"模式 {mode}")


def _shape_problems(repo: Path, mb: str, head: str) -> tuple[list[Problem], list[str], list[str]]:
    """Append-only rules on the net change. Returns (problems, added report paths, changed trust-root paths)."""
    problems: list[Problem] = []
    added: list[str] = []
    roots: list[str] = []
    renamed: dict[str, str] = {}  # old path -> new path, for a message of its own
    for ch in _raw_diff(repo, mb, head, "-M"):
        if ch.status == "R":
            src, dst = ch.path.split("\0")
            if src.startswith(REPORTS_PREFIX) or dst.startswith(REPORTS_PREFIX):
                renamed[src] = dst
                renamed[dst] = src
                problems.append(_p(dst, "report-renamed", f"报告不能改名或移动（{src} → {dst}）：已报送的文件一经合并不可改动。"
                                   "如需更正，请保留原文件，另外新增一份 correction（更正）报告。"))
    for ch in _raw_diff(repo, mb, head, "--no-renames"):
        path = ch.path
        if not path.startswith(REPORTS_PREFIX):
            roots.append(path)
            continue
        if path in renamed:
            continue
        if ch.status == "A":
            if ch.new_mode == "120000":
                problems.append(_p(path, "report-symlink", "报告不能是符号链接，请提交普通文件。"))
            elif ch.new_mode != REGULAR:
                problems.append(_p(path, "report-mode", f"报告须为普通文件（模式 100644），这里是{_mode_zh(ch.new_mode)}；"
                                   "请去掉可执行权限（git update-index --chmod=-x 文件）后重新提交。"))
            elif not PATH_RE.match(path):
                problems.append(_p(path, "path-layout", "报告文件须放在 reports/<年份>/<单位代码>/<报告编号>.yaml，"
                                   "请移动文件（在合并前修改本拉取请求即可）。"))
            else:
                added.append(path)
        elif ch.status == "D":
            problems.append(_p(path, "report-deleted", "不能删除已报送的报告：登记库只能新增。如报告有误，请新增一份 "
                               "correction（更正）报告说明。"))
        elif ch.status == "T" or ch.new_mode == "120000":
            problems.append(_p(path, "report-symlink", f"不能把已报送的报告改成{_mode_zh(ch.new_mode)}。"))
        elif ch.old_blob == ch.new_blob:
            problems.append(_p(path, "report-mode-change", f"不能修改已报送报告的文件模式（{ch.old_mode} → {ch.new_mode}）。"))
        else:
            problems.append(_p(path, "report-modified", "不能修改已报送的报告：报告一经合并即不可改动。如需更正或补充，"
                               "请新增 correction（更正）报告或续报。"))
    return problems, sorted(added), sorted(roots)


def _commit_problems(repo: Path, mb: str, head: str, cfg: Config, now: datetime, added: list[str],
                     roots: list[str], use_cache: bool) -> tuple[list[Problem], int]:
    """Signatures, signer's unit and admin rights, commit by commit."""
    problems: list[Problem] = []
    commits = log(repo, f"{mb}..{head}")
    added_set, roots_set = set(added), set(roots)
    with Verifier(cfg, repo, use_cache=use_cache) as verifier:
        sigs = verifier.verify_commits(repo, [(c.id, now, c.committed) for c in commits])
    for c in reversed(commits):
        sig: SigResult = sigs[c.id]
        touched = [ch.path for ch in c.changes]
        adds = sorted({p for p in touched if p in added_set})
        root_paths = sorted({p for p in touched if p in roots_set})
        where = (adds or root_paths or touched or [f"提交 {short(c.id)}"])[0]
        if not sig.good:
            problems.append(_p(where, f"signature-{sig.status.replace('_', '-')}", message(sig)))
        else:
            for path in adds:
                checked = unit_check(sig, report_unit(path))
                if not checked.good:
                    problems.append(_p(path, "signature-wrong-unit", message(checked, report_unit(path))))
        ident = verifier.identities.get(sig.principal or "") if sig.good else None
        if root_paths and (ident is None or "admin" not in ident.roles):
            by = f"由 {sig.principal}（密钥 {sig.key}）签名" if sig.good else "没有有效的签名"
            for path in root_paths:
                problems.append(_p(path, "trust-root-change",
                                   f"{path} 属于信任根（配置、模式或工具），只有登记管理员（admin）签名的提交才能修改；"
                                   f"提交 {short(c.id)} {by}。判断依据是基准分支上的 {UNITS_PATH}，"
                                   "本变更中对它的修改不会被用来判断本变更。"))
    return problems, len(commits)


INDEX_FORMAT = 1
PARALLEL_MIN = 2000  # below this many unindexed reports, worker processes cost more than they save
_Index = dict[str, tuple[str, str | None, str | None, str | None]]  # path -> (blob, id, incident, report)


def _index_file(repo: Path, cfg: Config) -> Path:
    return cache_dir(repo) / f"prcheck-index-{cfg.fingerprint}.pickle"


def _load_index(repo: Path, cfg: Config) -> _Index:
    try:
        with open(_index_file(repo, cfg), "rb") as fh:
            stored = pickle.load(fh)
        return stored["entries"] if stored.get("format") == INDEX_FORMAT else {}
    except Exception:  # missing or corrupt: rebuilt from the reports
        return {}


def _save_index(repo: Path, cfg: Config, index: _Index) -> None:
    target = _index_file(repo, cfg)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"format": INDEX_FORMAT, "entries": index}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        for old in target.parent.glob("prcheck-index-*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout is judged the same, only slower


def _index_entry(oid: str, summary: dict | None) -> tuple[str, str | None, str | None, str | None]:
    refs = (summary or {}).get("refs", {})
    return oid, (summary or {}).get("id"), refs.get("incident"), refs.get("report")


_WORKER_CFG: Config | None = None


def _worker_init(repo: str, commit: str) -> None:
    global _WORKER_CFG
    _WORKER_CFG = load_config(GitTree(Path(repo), commit))


def _worker(batch: list[tuple[str, str, bytes]]) -> list[tuple]:
    assert _WORKER_CFG is not None
    return [_index_entry(oid, check_bytes(path, raw, _WORKER_CFG)[1]) for path, oid, raw in batch]


def _index_reports(repo: Path, base: str, cfg: Config, todo: list[tuple[str, str]]) -> _Index:
    """Index entries for reports not indexed yet (a cold cache: every report of the registry)."""
    data = read_objects(repo, sorted({oid for _, oid in todo}))
    work = [(p, oid, data.get(oid) or b"") for p, oid in todo]
    if len(work) >= PARALLEL_MIN and (os.cpu_count() or 1) > 1:
        batches = [work[k:k + 500] for k in range(0, len(work), 500)]
        with ProcessPoolExecutor(max_workers=os.cpu_count(), initializer=_worker_init,
                                 initargs=(str(repo), base)) as pool:
            entries = [e for batch in pool.map(_worker, batches) for e in batch]
    else:
        entries = [_index_entry(oid, check_bytes(p, raw, cfg)[1]) for p, oid, raw in work]
    return {p: e for (p, _, _), e in zip(work, entries, strict=True)}


def _summaries(repo: Path, base: str, tree: GitTree, cfg: Config, added: list[str], use_cache: bool,
               ) -> tuple[list[Problem], list[dict], dict[str, bytes]]:
    """File checks for the added reports, and the summaries the cross-file rules need about them.

    Cross-file rules on an added report can only involve reports with its id, the reports it
    refers to, and the members of the incidents it belongs to. A small index of every report in
    HEAD (path -> blob, id, incident, report; cached by blob id) finds those few, which are then
    judged in full, so a pull request in a 50,000-report registry parses a handful of files.
    """
    paths = {p: tree.entries[p].oid for p in tree.list_reports()
             if p.endswith(".yaml") and tree.entries[p].mode == REGULAR}
    added_data = {p: raw or b"" for p, raw in zip(added, read_objects(repo, [paths[p] for p in added]).values(),
                                                   strict=True)} if added else {}
    problems: list[Problem] = []
    added_summaries: list[dict] = []
    for p in added:
        found, summary = check_bytes(p, added_data[p], cfg)
        problems.extend(found)
        if summary is not None:
            added_summaries.append(summary)
    index = _load_index(repo, cfg) if use_cache else {}
    added_set = set(added)
    stale = [(p, oid) for p, oid in paths.items() if p not in added_set and index.get(p, ("",))[0] != oid]
    if stale:
        index.update(_index_reports(repo, base, cfg, stale))
        if use_cache:
            _save_index(repo, cfg, {p: index[p] for p in paths if p in index})
    wanted = {s["id"] for s in added_summaries} | {v for s in added_summaries for v in s["refs"].values()}
    related = [(p, paths[p]) for p in paths if p not in added_set
               and (index[p][1] in wanted or index[p][2] in wanted or index[p][3] in wanted)]
    related_data = read_objects(repo, sorted({oid for _, oid in related}))
    summaries = [s for p, oid in related if (s := check_bytes(p, related_data.get(oid) or b"", cfg)[1]) is not None]
    return problems, summaries + added_summaries, added_data


def _duration_zh(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "", f"{mins} 分钟" if mins else ""]
    return " ".join(x for x in parts if x) or "0 分钟"


def _lateness(repo: Path, base: str, tree: GitTree, cfg: Config, now: datetime, added_data: dict[str, bytes],
              summaries: list[dict], result: PRResult) -> list[Problem]:
    """Judge each added emergency report as the register will (its push receipt, else now, as its
    arrival); late without delay_reason is refused."""
    problems: list[Problem] = []
    by_id = {s["id"]: s for s in summaries}
    docs: dict[str, dict] = {}
    for path, raw in added_data.items():
        loaded = load_yaml(raw, path)
        if isinstance(loaded.data, dict) and loaded.data.get("kind") == "emergency":
            docs[path] = loaded.data
    if not docs:
        return problems
    members: dict[str, list[str]] = {}  # incident id -> paths of its follow-ups
    for s in summaries:
        incident = s.get("refs", {}).get("incident")
        if s.get("stage") == "followup" and isinstance(incident, str):
            members.setdefault(incident, []).append(s["path"])
    sequence = {s["path"]: s.get("sequence") for s in summaries}
    arrivals_needed: set[str] = set()
    plans: dict[str, tuple[dict | None, str | None, list[str]]] = {}
    for path, doc in docs.items():
        first_doc, first_path, followups = None, None, []
        incident = doc.get("incident")
        if doc.get("stage") != "first" and isinstance(incident, str) and incident in by_id:
            first_path = by_id[incident]["path"]
            # A follow-up counts from the one before it; a final from all that came before it.
            seq = doc.get("sequence")
            followups = [p for p in members.get(incident, []) if p != path
                         and (doc.get("stage") == "final" or (isinstance(seq, int) and sequence.get(p) == seq - 1))]
            raw = tree.read(first_path)
            first_loaded = load_yaml(raw, first_path) if raw is not None else None
            first_doc = first_loaded.data if first_loaded and isinstance(first_loaded.data, dict) else None
        plans[path] = (first_doc, first_path, followups)
        arrivals_needed.update(p for p in (first_path, *followups) if p and p not in added_data)
    # One arrival rule for the register and this check (history.trusted_arrival): a report already
    # on the base arrived when the register says; an added one when the server receipted its push,
    # else now (the earliest it can be merged).
    arrived = arrival_times(repo, base, arrivals_needed, cfg)
    pending = pending_arrivals(repo, {p: tree.entries[p].oid for p in added_data}, cfg, now)

    def arrival(p: str | None) -> datetime | None:
        if p is None:
            return None
        if p in pending:
            return pending[p].at
        return arrived[p].received_at if p in arrived else None

    for path, doc in docs.items():
        first_doc, first_path, followups = plans[path]
        fallback = [p for p in (first_path, *followups) if p in arrived and not arrived[p].attested]
        if fallback:
            problems.append(_p(path, "arrival-from-commit",
                               f"{'、'.join(fallback)} 没有及时的登记回执，续报时限按其进入主分支的提交时间计算（未经回执证实）。"
                               "CI 中请先获取回执库：git fetch origin 'refs/baosong/*:refs/baosong/*'。", "warning"))
        deadline, _ = series_deadlines(doc, cfg, incident=first_doc, first_arrival=arrival(first_path),
                                       followups=[(sequence.get(p), arrival(p)) for p in followups],
                                       arrived_at=arrival(path))
        arrived_at = pending[path]
        status, delay = judge(deadline, arrived_at.at)
        if status not in ("late", "missed") or deadline is None or delay is None:
            continue
        result.late[path] = {"status": status, "delay_minutes": delay, "deadline_at": iso(deadline["deadline_at"]),
                             "rule": deadline["rule"]}
        when = (f"按本次检查时间 {iso(now)}" if arrived_at.source == "commit"
                else f"按登记服务器签收推送的回执时间 {iso(arrived_at.at)}")
        how = f"{when}作为送达时间，已超过截止时间 {iso(deadline['deadline_at'])}（规则 {deadline['rule']}）{_duration_zh(delay)}"
        reason = doc.get("delay_reason")
        if isinstance(reason, str) and reason.strip():
            problems.append(_p(path, "late-recorded", f"{how}，将登记为{STATUS_ZH[status]}（已附迟报原因说明）。",
                               "warning"))
        else:
            problems.append(_p(path, "late-no-reason", f"{how}，属于{STATUS_ZH[status]}。迟报不会被拒收，但须说明原因："
                               f"请在文件中增加一行 {DELAY_HINT}，写明迟报原因后重新提交。", fieldname="delay_reason"))
    return problems


def check_pr(repo: Path, base_rev: str, now: datetime, head_rev: str = "HEAD", *, use_cache: bool = True,
             ) -> PRResult:
    """Judge the change merge-base(base_rev, head_rev) → head_rev. Problems are data; nothing is printed."""
    repo = Path(repo)
    result = PRResult()
    if is_shallow(repo):
        result.problems.append(_p(".", "shallow-clone",
                                  "当前仓库是浅克隆（shallow clone），缺少完整历史，无法可靠判断本次变更。请先获取完整历史："
                                  "git fetch --unshallow；CI 中请设置 GitHub Actions actions/checkout 的 fetch-depth: 0，"
                                  "或 GitLab CI 的 GIT_DEPTH: 0。"))
        return result
    base, head = rev_parse(repo, base_rev), rev_parse(repo, head_rev)
    if base is None or head is None:
        missing = base_rev if base is None else head_rev
        result.problems.append(_p(".", "base-unknown", f"找不到版本“{missing}”。CI 中请先获取基准分支，例如 "
                                  f"git fetch origin main，再用 --base origin/main。"))
        return result
    mb = merge_base(repo, base, head)
    if mb is None:
        result.problems.append(_p(".", "no-merge-base", f"{base_rev} 与 {head_rev} 没有共同历史，无法判断本次变更。"))
        return result
    result.base, result.head, result.merge_base = base, head, mb
    # Trust roots from the base branch as it is now: a key revoked on main counts at once.
    cfg = load_config(GitTree(repo, base))
    if not cfg.ok:
        result.problems.extend(cfg.problems)
        return result
    shape, added, roots = _shape_problems(repo, mb, head)
    result.added = added
    result.problems.extend(shape)
    commit_problems, result.commits = _commit_problems(repo, mb, head, cfg, now, added, roots, use_cache)
    result.problems.extend(commit_problems)
    tree = GitTree(repo, head)
    file_problems, summaries, added_data = _summaries(repo, base, tree, cfg, added, use_cache)
    result.problems.extend(file_problems)
    wanted = set(added)
    result.problems.extend(p for p in check_collection(summaries, cfg, now) if p.path in wanted)
    result.problems.extend(_lateness(repo, base, tree, cfg, now, added_data, summaries, result))
    result.problems.sort(key=sort_key)
    return result

