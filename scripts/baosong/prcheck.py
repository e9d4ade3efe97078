"""Pull-request mode: `baosong check --base REV [--now TIME]`, the way CI judges a change.

The change is judged by what merging it would do: the tree `git merge-tree` makes of REV and HEAD
(the merged tree) against REV's tree. Inside `reports/` the merged tree may only add regular files
at well-formed paths; everything outside (config, schemas, tooling, CI templates: the trust roots,
read from REV, never from the change) must equal REV's unless a registry admin's signed commit in
merge-base(REV, HEAD)..HEAD produced exactly that content. Every commit in that range must be signed
by a key the base configuration knows, valid at *now* (the CI clock, not the committer date); every
added report is attributed by tree content to the commits that introduced it, whose signers must be
staff of the report's unit. Nothing a first-parent diff hides (an evil merge) escapes these rules.
Lateness is judged under the register's arrival rule: an added report arrived when the server
receipted its push (a push receipt), else now: a late report needs `delay_reason`, and with one it
passes, recorded as late. Report content is read from git objects, never the work tree.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.cache import Cache, code_fingerprint
from baosong.check import CheckResult, check_bytes
from baosong.config import UNITS_PATH, Config, load_config
from baosong.deadlines import judge, series_deadlines
from baosong.gitrepo import (
    REPORTS_PREFIX,
    Change,
    GitTree,
    RevisionError,
    git,
    is_shallow,
    log,
    merge_base,
    merge_tree,
    parent_changes,
    read_objects,
    resolve_commit,
    shown,
)
from baosong.history import arrival_times, pending_arrivals, report_unit, unit_check
from baosong.problems import Problem, sort_key
from baosong.rules import PATH_RE, check_collection, is_real_reason
from baosong.signatures import SigResult, Verifier, message, short
from baosong.timeutil import iso
from baosong.vocab import STATUS_ZH, fmt_minutes
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


def _shape_problems(repo: Path, base: str, merged: str) -> tuple[list[Problem], list[str], list[str]]:
    """Append-only rules on merged tree against base tree. Returns (problems, added report paths,
    changed trust-root paths)."""
    problems: list[Problem] = []
    added: list[str] = []
    roots: list[str] = []
    renamed: dict[str, str] = {}  # old path -> new path, for a message of its own
    for ch in _raw_diff(repo, base, merged, "-M"):
        if ch.status == "R":
            src, dst = ch.path.split("\0")
            if src.startswith(REPORTS_PREFIX) or dst.startswith(REPORTS_PREFIX):
                renamed[src] = dst
                renamed[dst] = src
                problems.append(_p(dst, "report-renamed", f"报告不能改名或移动（{src} → {dst}）：已报送的文件一经合并不可改动。"
                                   "如需更正，请保留原文件，另外新增一份 correction（更正）报告。"))
    for ch in _raw_diff(repo, base, merged, "--no-renames"):
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


_State = tuple[str, str] | None  # (mode, object id) of a path in a tree, None when absent


def _state(mode: str, oid: str) -> _State:
    return None if mode == "000000" else (mode, oid)


def _commit_problems(repo: Path, mb: str, head: str, cfg: Config, now: datetime, merged: GitTree,
                     diffs: dict[str, list[list[Change]]], added: list[str], roots: list[str], use_cache: bool,
                     ) -> tuple[list[Problem], int]:
    """Signatures, signer's unit and admin rights, commit by commit, by tree content.

    A commit *introduced* an added report when its tree has that path and blob and none of its
    parents' trees do; it *produced* a trust root's merged content when its tree has exactly that
    entry (or lacks the path) and at least one parent's tree does not. Diffs against every parent
    show both, so a merge cannot hide what it keeps from one side or adds itself.
    """
    problems: list[Problem] = []
    commits = log(repo, f"{mb}..{head}", merges=False)
    wanted: dict[str, _State] = {p: _state(e.mode, e.oid) for p in added if (e := merged.entries.get(p))}
    wanted.update({p: (_state(e.mode, e.oid) if (e := merged.entries.get(p)) else None) for p in roots})
    introducers: dict[str, list[str]] = {p: [] for p in added}
    producers: dict[str, list[str]] = {p: [] for p in roots}
    for c in commits:
        lists = diffs.get(c.id, [])
        hits: dict[str, list[Change]] = {}
        for changes in lists:
            for ch in changes:
                if ch.path in wanted:
                    hits.setdefault(ch.path, []).append(ch)
        for path, chs in hits.items():
            target = wanted[path]
            if path in introducers and target is not None:
                blob = target[1]
                # every parent differs here, and none already had this blob
                if (len(chs) == max(1, len(c.parents))
                        and all(ch.new_blob == blob and ch.old_blob != blob for ch in chs)):
                    introducers[path].append(c.id)
            if path in producers and any(_state(ch.new_mode, ch.new_blob) == target for ch in chs):
                producers[path].append(c.id)
    with Verifier(cfg, repo, use_cache=use_cache) as verifier:
        sigs = verifier.verify_commits(repo, [(c.id, now, c.committed) for c in commits])
    is_admin: dict[str, bool] = {}
    for c in reversed(commits):
        sig: SigResult = sigs[c.id]
        touched = [ch.path for changes in diffs.get(c.id, []) for ch in changes]
        adds = sorted(p for p, ids in introducers.items() if c.id in ids)
        root_paths = sorted(p for p, ids in producers.items() if c.id in ids)
        where = (adds or root_paths or touched or [f"提交 {short(c.id)}"])[0]
        if not sig.good:
            problems.append(_p(where, f"signature-{sig.status.replace('_', '-')}", message(sig)))
        else:
            for path in adds:
                checked = unit_check(sig, report_unit(path))
                if not checked.good:
                    problems.append(_p(path, "signature-wrong-unit", message(checked, report_unit(path))))
        ident = verifier.identities.get(sig.principal or "") if sig.good else None
        is_admin[c.id] = ident is not None and "admin" in ident.roles
    by_id = {c.id: c for c in commits}
    for path in roots:
        if any(is_admin[cid] for cid in producers[path]):
            continue
        for cid in producers[path]:
            sig = sigs[cid]
            by = f"由 {sig.principal}（密钥 {sig.key}）签名" if sig.good else "没有有效的签名"
            merge = ("这是一个合并提交，它保留了一侧的旧内容（例如 git merge -s ours），合并后会撤销基准分支上的修改；"
                     if len(by_id[cid].parents) > 1 else "")
            problems.append(_p(path, "trust-root-change",
                               f"{path} 属于信任根（配置、模式或工具），只有登记管理员（admin）签名的提交才能修改；"
                               f"提交 {short(cid)} {by}。{merge}判断依据是基准分支上的 {UNITS_PATH}，"
                               "本变更中对它的修改不会被用来判断本变更。"))
        if not producers[path]:
            problems.append(_p(path, "trust-root-change",
                               f"{path} 属于信任根（配置、模式或工具）。合并本变更后它将与基准分支不同，而合并后的内容"
                               "不是本变更中任何提交的内容（两侧的修改被自动合并在一起），因此不能认定由登记管理员"
                               "（admin）签名。请先把基准分支合并进来或变基，由管理员签名提交合并后的内容，再重新推送。"))
    for path in added:
        if not introducers[path]:
            problems.append(_p(path, "report-unattributed",
                               "合并本变更后会出现这份报告，但本变更中没有任何提交新增它：内容来自基准分支历史上的版本，"
                               "由合并提交带回（例如 git merge -s ours 主分支）。这样带回的报告无法确认由本单位签名报送，"
                               "不予接受。请从基准分支重新开分支，用本单位人员签名的提交新增报告。"))
    return problems, len(commits)


INDEX_FORMAT = 2  # 2: JSON in the git directory; 1 was a pickle in the work tree
PARALLEL_MIN = 2000  # below this many unindexed reports, worker processes cost more than they save
_Index = dict[str, tuple[str, str | None, str | None, str | None]]  # path -> (blob, id, incident, report)


def _index_store(repo: Path, cfg: Config) -> Cache:
    return Cache(repo, "prcheck-index", version=INDEX_FORMAT, fingerprint=f"{cfg.fingerprint}-{code_fingerprint()}")


def _load_index(repo: Path, cfg: Config) -> _Index:
    """The stored index; entries of another shape are dropped (and indexed again)."""
    return _index_store(repo, cfg).load(_decode_index) or {}


def _decode_index(stored: object) -> _Index | None:
    if not isinstance(stored, dict):
        return None
    return {p: (e[0], e[1], e[2], e[3]) for p, e in stored.items()
            if isinstance(e, list) and len(e) == 4 and isinstance(e[0], str)
            and all(v is None or isinstance(v, str) for v in e[1:])}


def _save_index(repo: Path, cfg: Config, index: _Index) -> None:
    _index_store(repo, cfg).save({p: list(e) for p, e in index.items()})  # read-only: judged the same, slower


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
    return fmt_minutes(minutes)


def _lateness(repo: Path, base: str, tree: GitTree, cfg: Config, now: datetime, added_data: dict[str, bytes],
              summaries: list[dict], result: PRResult, *, use_cache: bool) -> list[Problem]:
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
    arrived = arrival_times(repo, base, arrivals_needed, cfg, use_cache=use_cache)
    pending = pending_arrivals(repo, {p: tree.entries[p].oid for p in added_data}, cfg, now,
                               use_cache=use_cache)

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
        result.late[path] = {"status": status, "delay_minutes": delay, "deadline_at": iso(deadline.at),
                             "rule": deadline.rule}
        when = (f"按本次检查时间 {iso(now)}" if arrived_at.source == "commit"
                else f"按登记服务器签收推送的回执时间 {iso(arrived_at.at)}")
        how = f"{when}作为送达时间，已超过截止时间 {iso(deadline.at)}（规则 {deadline.rule}）{_duration_zh(delay)}"
        reason = doc.get("delay_reason")
        if is_real_reason(reason, cfg.policy):
            problems.append(_p(path, "late-recorded", f"{how}，将登记为{STATUS_ZH[status]}（已附迟报原因说明）。",
                               "warning"))
        else:
            problems.append(_p(path, "late-no-reason", f"{how}，属于{STATUS_ZH[status]}。迟报不会被拒收，但须说明原因："
                               f"请在文件中增加一行 {DELAY_HINT}，写明迟报原因后重新提交。", fieldname="delay_reason"))
    return problems


CACHE_DIR_NAME = ".baosong-cache"


def _cache_paths(paths: list[str]) -> list[str]:
    """The `.baosong-cache` directories (or files) among paths, at any depth."""
    found = set()
    for path in paths:
        parts = path.split("/")
        if CACHE_DIR_NAME in parts:
            found.add("/".join(parts[:parts.index(CACHE_DIR_NAME) + 1]))
    return sorted(found)


def _cache_problems(repo: Path, head: str, merged: GitTree, diffs: dict[str, list[list[Change]]]) -> list[Problem]:
    """A tracked `.baosong-cache` anywhere: in the merged tree, in HEAD (the work tree CI checks out)
    or added by any commit of the range. Refused whoever signed it: caches are the tool's own state."""
    paths = list(merged.entries)
    listing = git(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", head)
    if CACHE_DIR_NAME.encode() in listing:  # rare: split 50,000 names only then
        paths += listing.decode("utf-8", "surrogateescape").split("\0")
    paths += [ch.path for lists in diffs.values() for changes in lists for ch in changes if ch.new_mode != "000000"]
    return [_p(d, "cache-in-tree", f"{shown(d)} 是 baosong 的缓存目录，不能纳入版本库：缓存只属于本机，"
               "其中的内容不可信，任何人（无论谁签名）都不能提交。请删除后重新推送："
               f"git rm -r --cached {shown(d)}，并把 {CACHE_DIR_NAME}/ 加入 .gitignore。")
            for d in _cache_paths(paths)]


def check_pr(repo: Path, base_rev: str, now: datetime, head_rev: str = "HEAD", *, use_cache: bool = True,
             ) -> PRResult:
    """Judge merging head_rev into base_rev (see the module docstring). Problems are data; nothing is printed."""
    repo = Path(repo)
    result = PRResult()
    if is_shallow(repo):
        result.problems.append(_p(".", "shallow-clone",
                                  "当前仓库是浅克隆（shallow clone），缺少完整历史，无法可靠判断本次变更。请先获取完整历史："
                                  "git fetch --unshallow；CI 中请设置 GitHub Actions actions/checkout 的 fetch-depth: 0，"
                                  "或 GitLab CI 的 GIT_DEPTH: 0。"))
        return result
    resolved: dict[str, str] = {}
    for rev in (base_rev, head_rev):
        try:
            resolved[rev] = resolve_commit(repo, rev)
        except RevisionError as exc:
            if exc.rule == "rev-ambiguous":
                result.problems.append(_p(".", "rev-ambiguous", exc.message))
            else:
                result.problems.append(_p(".", "base-unknown", f"找不到版本“{shown(rev)}”。CI 中请先获取基准分支，例如 "
                                          "git fetch origin main，再用 --base refs/remotes/origin/main（或基准提交的"
                                          "完整编号）。"))
            return result
    base, head = resolved[base_rev], resolved[head_rev]
    mb = merge_base(repo, base, head)
    if mb is None:
        result.problems.append(_p(".", "no-merge-base", f"{shown(base_rev)} 与 {shown(head_rev)} 没有共同历史，"
                                  "无法判断本次变更。"))
        return result
    result.base, result.head, result.merge_base = base, head, mb
    # Trust roots from the base branch as it is now: a key revoked on main counts at once.
    cfg = load_config(GitTree(repo, base))
    if not cfg.ok:
        result.problems.extend(cfg.problems)
        return result
    merged_id, conflicts = merge_tree(repo, base, head)
    if conflicts:
        result.problems.extend(_p(path, "merge-conflict", "本变更与基准分支在此文件上冲突，无法判断合并后的结果。"
                                  "请先把基准分支合并进来或变基（git fetch origin，再 git rebase origin/main 或 "
                                  "git merge origin/main），解决冲突后重新推送。") for path in conflicts)
        result.problems.sort(key=sort_key)
        return result
    merged = GitTree.of_tree(repo, merged_id, f"{shown(base_rev)} + {shown(head_rev)}")
    shape, added, roots = _shape_problems(repo, base, merged_id)
    result.added = added
    result.problems.extend(shape)
    diffs = parent_changes(repo, f"{mb}..{head}")  # every commit of the change against each of its parents
    cache = _cache_problems(repo, head, merged, diffs)
    if cache:
        # Stop before anything reads a cache: the work tree carries files posing as one.
        result.problems.extend(cache)
        result.problems.sort(key=sort_key)
        return result
    commit_problems, result.commits = _commit_problems(repo, mb, head, cfg, now, merged, diffs, added, roots,
                                                        use_cache)
    result.problems.extend(commit_problems)
    file_problems, summaries, added_data = _summaries(repo, base, merged, cfg, added, use_cache)
    result.problems.extend(file_problems)
    wanted = set(added)
    result.problems.extend(p for p in check_collection(summaries, cfg, now) if p.path in wanted)
    result.problems.extend(_lateness(repo, base, merged, cfg, now, added_data, summaries, result,
                                     use_cache=use_cache))
    result.problems.sort(key=sort_key)
    return result
