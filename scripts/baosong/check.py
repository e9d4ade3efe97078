"""`baosong check` for files: load → validate → rules, with a content-addressed cache.

Per-file results depend only on the file's path, its bytes and the trust roots (schemas, config,
tool version), so they are cached by (path, git blob id) under the configuration's fingerprint; a
stat key (size, mtime, inode) avoids even re-reading unchanged files, as git's index does.
Cross-file rules always run, on the small per-file summaries.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from baosong.cache import Cache, code_fingerprint
from baosong.config import POLICY_PATH, UNITS_PATH, Config, load_config
from baosong.parallel import fork_map, workers_for
from baosong.problems import Problem, sort_key
from baosong.rules import check_collection, check_document
from baosong.sources import (
    OUTSIDE_RULE,
    SYMLINK_RULE,
    WorkTree,
    blob_id,
    read_no_follow,
    repo_relpath,
    symlink_message,
    symlink_on_the_way,
)
from baosong.yamlload import load_yaml

CACHE_FORMAT = 5  # 5: summaries carry forwarded, forwarded_incident; 4: summaries carry involved_units, new per-file rules; 3 was JSON in the git directory


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    summaries: list[dict] = field(default_factory=list)
    cache_hits: int = 0

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def failed_files(self) -> int:
        return len({p.path for p in self.problems if p.is_error})


def layout_path(display_path: str) -> str:
    """The registry-relative path used by layout rules: from the last `reports/` component on."""
    posix = display_path.replace("\\", "/")
    if posix.startswith("reports/") and "/reports/" not in posix:
        return posix  # the common case, without pathlib's per-call cost
    parts = posix.split("/")
    if "reports" in parts:
        idx = len(parts) - 1 - parts[::-1].index("reports")
        return "/".join(parts[idx:])
    return posix


def check_bytes(display_path: str, data: bytes, cfg: Config) -> tuple[list[Problem], dict | None]:
    """Judge one file on its own: strict load, schema, per-file rules."""
    problems, summary, _ = check_bytes_doc(display_path, data, cfg)
    return problems, summary


def check_bytes_doc(display_path: str, data: bytes, cfg: Config,
                    ) -> tuple[list[Problem], dict | None, dict | None]:
    """check_bytes, also returning the loaded document (None when it did not load or fails the schema)."""
    loaded = load_yaml(data, display_path)
    if loaded.data is None:
        return loaded.problems, None, None
    problems = list(loaded.problems)
    doc = loaded.data
    assert cfg.report_schema is not None
    for err in cfg.report_schema.errors(doc):
        line, col = loaded.position(err.path)
        problems.append(Problem(display_path, line, col, err.field, err.rule, err.message))
    if problems:
        # Rules assume a schema-valid document; a broken one would only produce noise.
        return problems, None, None
    rule_problems, summary = check_document(layout_path(display_path), doc, loaded.position, cfg, data)
    if "forwarded_from" in doc:
        # A forward's provenance is part of the file's verdict: it depends only on its bytes and the
        # trust roots (the forwarding unit's receipt keys), so it is cached with the rest.
        from baosong.provenance import verify_link

        link = verify_link(layout_path(display_path), doc, loaded.position, cfg)
        rule_problems += link.problems
        # For the cross-file rule forward-incident: a forwarded follow-up joins the forward of its origin's incident.
        summary["forwarded"] = link.id
        summary["pos"]["forwarded_from"] = loaded.position(("forwarded_from", "id"))
        incident = (link.origin or {}).get("incident")
        summary["forwarded_incident"] = incident if isinstance(incident, str) else None
    summary["path"] = display_path
    return [_with_path(p, display_path) for p in rule_problems], summary, doc


def _with_path(p: Problem, path: str) -> Problem:
    return p if p.path == path else Problem(path, p.line, p.column, p.field, p.rule, p.message, p.severity)


class JudgedCache:
    """Per-file results in the repository's cache directory (`baosong.cache`), under the fingerprint.

    Entries stay in memory in the shapes the callers use (tuples); `decode` turns the stored JSON
    back into them and returns None for anything of another shape, which then counts as no cache.
    """

    def __init__(self, root: Path, fingerprint: str, enabled: bool, *, name: str = "check",
                 decode: Callable[[Any], dict | None] | None = None, encode: Callable[[dict], Any] | None = None,
                 ) -> None:
        self.store = Cache(root, name, version=CACHE_FORMAT, fingerprint=f"{fingerprint}-{code_fingerprint()}",
                           enabled=enabled)
        self.enabled = self.store.enabled
        self._encode = encode or _encode_check
        self.entries: dict = {}
        self.dirty = False
        if self.enabled:
            self.entries = self.store.load(decode or _decode_check) or {}

    def save(self) -> None:
        if self.enabled and self.dirty:
            self.store.save(self._encode(self.entries))  # a read-only repository is only slower


def _encode_check(entries: dict[str, tuple]) -> dict[str, list]:
    return {display: list(entry) for display, entry in entries.items()}


def _decode_check(stored: Any) -> dict[str, tuple] | None:
    """display path -> (stat key, blob id, problem tuples, summary); entries of another shape are dropped."""
    if type(stored) is not dict:
        return None
    out: dict[str, tuple] = {}
    for display, entry in stored.items():
        if type(entry) is not list or len(entry) != 4:
            continue
        key, blob, problems, summary = entry
        if (type(key) is not list or len(key) != 3 or type(key[0]) is not int or type(key[1]) is not int
                or type(key[2]) is not int or type(blob) is not str or type(problems) is not list):
            continue
        tuples = tuple(problem_tuple(p) for p in problems) if problems else ()
        if None in tuples:
            continue
        if summary is not None and (summary := decode_summary(summary)) is None:
            continue
        out[display] = ((key[0], key[1], key[2]), blob, tuples, summary)
    return out


_PROBLEM_TYPES = (str, int, int, str, str, str, str)
_NONE = type(None)
# The types `rules.check_document` gives a schema-valid report's summary fields (checked on load, so
# a stored value of another type cannot reach the cross-file rules, which sort and compare them).
_SUMMARY_TYPES = {"path": (str,), "id": (str,), "kind": (str,), "unit": (str,), "stage": (str, _NONE),
                  "sequence": (int, _NONE), "created_at": (str,), "latest_time": (str, _NONE),
                  "latest_ts": (float, _NONE), "latest_field": (str, _NONE), "refs": (dict,), "pos": (dict,),
                  "involved_units": (list,), "forwarded": (str, _NONE), "forwarded_incident": (str, _NONE)}
_SUMMARY_FIELDS = tuple(_SUMMARY_TYPES)
_SUMMARY_SIGNATURES = frozenset(itertools.product(*_SUMMARY_TYPES.values()))  # every allowed combination


def problem_tuple(p: Any) -> tuple | None:
    """A stored problem (a 7-list) as the tuple `Problem(*t)` takes, or None when it has another shape."""
    if (type(p) is not list or len(p) != 7 or p[6] not in ("error", "warning")
            or not all(type(v) is t for v, t in zip(p, _PROBLEM_TYPES, strict=True))):
        return None
    return tuple(p)


def decode_summary(s: Any) -> dict | None:
    """A stored `rules.check_document` summary with its positions as tuples again, None when malformed."""
    if type(s) is not dict or tuple(map(type, map(s.get, _SUMMARY_FIELDS))) not in _SUMMARY_SIGNATURES:
        return None
    for v in s["refs"].values():
        if type(v) is not str:
            return None
    pos = {}
    for name, at in s["pos"].items():
        if type(at) is not list or len(at) != 2 or type(at[0]) is not int or type(at[1]) is not int:
            return None
        pos[name] = (at[0], at[1])
    s["pos"] = pos
    return s


def check_registry(root: Path, paths: Iterable[str] | None = None, *, now: datetime,
                   use_cache: bool = True, progress=None) -> CheckResult:
    """Check the registry under root (all of reports/ and config/), or only the given paths.

    Cross-file rules always see the whole registry, so a follow-up given alone still finds its
    first report; only problems of the requested files are returned.
    """
    source = WorkTree(root)
    cfg = load_config(source)
    result = CheckResult(problems=list(cfg.problems))
    explicit = [Path(p) for p in paths] if paths else []
    # Trust-root files named on the command line: load_config has already checked them against their
    # own schemas (their problems are in result.problems); judging them as reports would be nonsense.
    config_files = {(root / rel).resolve(): rel for rel in (UNITS_PATH, POLICY_PATH)}
    for p in [p for p in explicit if p.resolve() in config_files]:
        rel = config_files[p.resolve()]
        result.files += 1
        result.problems = [_with_path(q, p.as_posix()) if q.path == rel else q for q in result.problems]
        explicit.remove(p)
    if not cfg.ok:
        return result
    if paths and not explicit:
        return result
    cache = JudgedCache(root, cfg.fingerprint, use_cache)
    registry_files = source.list_reports()
    wanted: set[str] = set()
    summaries: list[dict] = []
    seen_abs: set[Path] = set()

    targets: list[tuple[str, Path | str, bool]] = []  # (display path, file, report problems?)
    for p in explicit:
        refused = _refusal(root, p)
        if refused is not None:
            # Never opened: a link or a path outside the registry could be any file of this machine.
            result.problems.append(refused)
            result.files += 1
            continue
        targets.append((p.as_posix(), p, True))
        seen_abs.add(p.resolve())
    root_str = str(root)
    for rel in registry_files:
        f = os.path.join(root_str, rel)
        if seen_abs and Path(f).resolve() in seen_abs:
            continue
        targets.append((rel, f, not explicit))
    verdicts = _judge_all(root, targets, cfg, cache, result, progress)
    for (display, _file, report), (problems, summary) in zip(targets, verdicts, strict=True):
        if summary is not None:
            summaries.append(summary)
        if report:
            wanted.add(display)
            result.problems.extend(problems)
        result.files += report
    cross = check_collection(summaries, cfg, now)
    result.problems.extend(p for p in cross if p.path in wanted)
    result.problems.sort(key=sort_key)
    result.summaries = summaries
    cache.save()
    return result


def _refusal(root: Path, path: Path) -> Problem | None:
    """Why an explicitly given file is not read at all, as PR mode refuses it: outside, or through a link."""
    shown = path.as_posix()
    rel = repo_relpath(root, path)
    if rel is None:
        return Problem(shown, 1, 1, "", OUTSIDE_RULE,
                       f"该文件不在登记库（{root.resolve()}）之内，不予检查。baosong check 只检查登记库中的报告："
                       "请把报告放到登记库的 reports/<年份>/<单位代码>/ 目录下后再检查，或用 --repo 指定它所在的登记库。")
    link = symlink_on_the_way(root, rel)
    if link is not None:
        return Problem(shown, 1, 1, "", SYMLINK_RULE, symlink_message(link, rel))
    return None


PER_WORKER_FILES = 1000  # files per worker process: below, starting one costs more than it saves


def _judge_all(root: Path, targets: list, cfg: Config, cache: JudgedCache, result: CheckResult, progress,
               ) -> list[tuple[list[Problem], dict | None]]:
    """Verdicts for all targets: from the cache when the stat key matches, else judged afresh."""
    verdicts: list = [None] * len(targets)
    misses: list[tuple[int, str, Path | str, str | None]] = []
    for i, (display, file, _) in enumerate(targets):
        entry = cache.entries.get(display)
        try:
            st = os.lstat(file)  # a link never matches a cached regular file
        except OSError:
            st = None
        if st is not None and entry is not None and entry[0] == _stat_key(st):
            result.cache_hits += 1
            verdicts[i] = ([Problem(*p) for p in entry[2]], entry[3])
        else:
            misses.append((i, display, file, entry[1] if entry else None))
    work = [(display, str(file), known) for _, display, file, known in misses]
    if workers_for(len(work), PER_WORKER_FILES) >= 2:
        judged = fork_map(lambda w: _judge(w[0], w[1], w[2], cfg), work, per_worker=PER_WORKER_FILES)
        judged = list(progress(judged)) if progress else judged
    else:
        judged = [_judge(w[0], w[1], w[2], cfg) for w in (progress(work) if progress else work)]
    for (i, display, _, _), (stat_key, blob, problem_tuples, summary, reused) in zip(misses, judged, strict=True):
        if reused:  # touched but unchanged content
            result.cache_hits += 1
            entry = cache.entries[display]
            problem_tuples, summary = entry[2], entry[3]
        if blob is not None:
            cache.entries[display] = (stat_key, blob, problem_tuples, summary)
            cache.dirty = True
        verdicts[i] = ([Problem(*p) for p in problem_tuples], summary)
    return verdicts


def _stat_key(st: os.stat_result) -> tuple:
    """(size, mtime, inode): cheap change detection, as git's index does."""
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _judge(display: str, file: str, known_blob: str | None, cfg: Config) -> tuple:
    """(stat key, blob id, problem tuples, summary, reused?) for one file; blob None = not cacheable."""
    def fail(rule: str, message: str) -> tuple:
        return None, None, [_astuple(Problem(display, 1, 1, "", rule, message))], None, False

    try:
        st = os.lstat(file)
    except OSError:
        return fail("file-missing", "文件不存在或无法读取，请检查路径。")
    if stat.S_ISLNK(st.st_mode):
        return fail(SYMLINK_RULE, symlink_message(display, display))
    if not stat.S_ISREG(st.st_mode):
        return fail("file-not-regular", "这不是普通文件（目录或特殊文件），请只提交 .yaml 报告文件。")
    stat_key = _stat_key(st)
    try:
        data = read_no_follow(file)
    except OSError as exc:
        return fail("file-unreadable", f"无法读取文件：{exc.strerror}")
    blob = blob_id(data)
    if blob == known_blob:
        return stat_key, blob, None, None, True
    if not display.endswith(".yaml"):
        problems = [Problem(display, 1, 1, "", "path-extension", "报告文件须以 .yaml 结尾（不用 .yml、.txt 等），请重命名。")]
        summary = None
    else:
        problems, summary = check_bytes(display, data, cfg)
    return stat_key, blob, tuple(_astuple(p) for p in problems), summary, False


def _astuple(p: Problem) -> tuple:
    return (p.path, p.line, p.column, p.field, p.rule, p.message, p.severity)
