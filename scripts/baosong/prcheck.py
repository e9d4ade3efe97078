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

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from baosong.cache import Cache, code_fingerprint
from baosong.check import PER_WORKER_FILES, CheckResult, check_bytes
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
from baosong.parallel import fork_map
from baosong.problems import Problem, sort_key
from baosong.rules import PATH_RE, REPORT_ID_RE, check_collection, is_real_reason, may_join_incident
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


INDEX_FORMAT = 3  # 3: id-shaped text per blob (found by a byte search); 2 was (id, incident, report) per path
CORE = re.compile(rb"(?=-[0-9]{8}-)")  # the fixed middle of every report id: "-YYYYMMDD-"
# Bytes of an id around its middle: the unit code (up to 12) before it, the author (up to 16), "-" and
# the two-digit number after it (see rules.REPORT_ID_RE).
BEFORE, AFTER = 12, 10 + 16 + 3


def mentions(data: bytes) -> str | None:
    """What a blob could spell a report id with: the bytes around every "-YYYYMMDD-" in it, joined by
    spaces (latin-1, so that an ASCII id is found in them as a substring); None when the blob has a
    backslash anywhere (an escape could spell anything)."""
    if b"\\" in data:
        return None
    return " ".join(data[max(0, m.start() - BEFORE):m.start() + AFTER].decode("latin-1")
                    for m in CORE.finditer(data))


def may_mention(found: str | None, ids: Collection[str]) -> bool:
    """Whether a report whose blob gave `found` can have one of `ids` (each matching REPORT_ID_RE) as its
    id, incident or report; False only when that is impossible.

    A YAML scalar spells a string either literally or through escapes, which only a double-quoted scalar
    has, each starting with a backslash. Line folding (plain, quoted and block scalars) joins lines with a
    space or a line break, never found in an id; `''` in a single-quoted scalar gives a quote, never found
    in an id either; aliases, anchors, tags and merge keys are refused by the loader (yamlload.py), and so
    is every encoding but UTF-8, where the bytes of ASCII text are that text's own and no other
    character's. So a document holding an id has the id's bytes in it literally, or a backslash; and
    literal bytes of an id lie around its "-YYYYMMDD-", inside what `mentions` keeps (joining the pieces
    can only add matches, never lose one).
    """
    return found is None or any(i in found for i in ids)


def _index_store(repo: Path, use_cache: bool) -> Cache:
    return Cache(repo, "prcheck-index", version=INDEX_FORMAT, fingerprint=code_fingerprint(), enabled=use_cache)


def _decode_index(stored: object) -> dict[str, str | None] | None:
    """blob id -> mentions; entries of another shape are dropped (and searched again)."""
    if type(stored) is not dict:
        return None
    return {oid: e for oid, e in stored.items() if e is None or type(e) is str}


def _related(repo: Path, paths: dict[str, str], added: Collection[str], wanted: set[str], cfg: Config,
             use_cache: bool) -> list[dict]:
    """Summaries of the reports other than the added ones whose id, incident or report is in `wanted`
    (in tree order, as the cross-file rules see the whole registry).

    Exact without parsing the registry: only reports that `may_mention` a wanted id are judged in full,
    and those that hold one are kept. The byte search needs each blob once, then its result is kept by
    blob id (`prcheck-index`). A wanted string that is not a well-formed id (only a base schema that
    allows one lets it through) may be spelled in ways the search does not cover: then every report is
    judged.
    """
    others = {p: oid for p, oid in paths.items() if p not in added}
    if not wanted or not others:
        return []
    if all(isinstance(w, str) and REPORT_ID_RE.match(w) for w in wanted):
        store = _index_store(repo, use_cache)
        index = store.load(_decode_index) or {}
        unknown = sorted({oid for oid in others.values() if oid not in index})
        if unknown:
            found = {oid: mentions(raw or b"") for oid, raw in read_objects(repo, unknown).items()}
            index.update(found)
            live = set(others.values())
            store.save({oid: e for oid, e in index.items() if oid in live})
        todo = [(p, oid) for p, oid in others.items() if may_mention(index[oid], wanted)]
    else:
        todo = list(others.items())
    data = read_objects(repo, sorted({oid for _, oid in todo}))
    judged = fork_map(lambda item: check_bytes(item[0], data.get(item[1]) or b"", cfg)[1], todo,
                      per_worker=PER_WORKER_FILES)
    return [s for s in judged if s is not None
            and (s["id"] in wanted or any(v in wanted for v in s["refs"].values()) or s.get("forwarded") in wanted)]


def _summaries(repo: Path, tree: GitTree, cfg: Config, added: list[str], use_cache: bool,
               ) -> tuple[list[Problem], list[dict], dict[str, bytes]]:
    """File checks for the added reports, and the summaries the cross-file rules need about them.

    Cross-file rules on an added report can only involve reports with its id, the reports it refers
    to, and the members of the incidents it belongs to: every such report holds one of those ids, and
    `_related` finds them by a byte search, then judges only those in full, so a pull request in a
    50,000-report registry parses a handful of files.
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
    wanted = {s["id"] for s in added_summaries} | {v for s in added_summaries for v in s["refs"].values()}
    wanted |= {s["forwarded"] for s in added_summaries if s.get("forwarded")}  # another forward of the same origin
    summaries = _related(repo, paths, set(added), wanted, cfg, use_cache)
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
        # Another unit's follow-up is set aside by the register (foreign_series_reports): it takes no
        # place in the series, so it sets no deadline here either.
        if (s.get("stage") == "followup" and isinstance(incident, str) and incident in by_id
                and may_join_incident(s.get("unit"), "followup", by_id[incident])):
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
            first_raw = tree.read(first_path)
            first_loaded = load_yaml(first_raw, first_path) if first_raw is not None else None
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
        # (sequence as written, arrival): series_deadlines compares the sequences itself.
        series: list[tuple[Any, datetime | None]] = [(sequence.get(p), arrival(p)) for p in followups]
        deadline, _ = series_deadlines(doc, cfg, incident=first_doc, first_arrival=arrival(first_path),
                                       followups=series, arrived_at=arrival(path))
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
    file_problems, summaries, added_data = _summaries(repo, merged, cfg, added, use_cache)
    result.problems.extend(file_problems)
    wanted = set(added)
    result.problems.extend(p for p in check_collection(summaries, cfg, now) if p.path in wanted)
    result.problems.extend(_lateness(repo, base, merged, cfg, now, added_data, summaries, result,
                                     use_cache=use_cache))
    result.problems.sort(key=sort_key)
    return result
