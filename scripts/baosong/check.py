"""`baosong check` for files: load → validate → rules, with a content-addressed cache.

Per-file results depend only on the file's path, its bytes and the trust roots (schemas, config,
tool version), so they are cached by (path, git blob id) under the configuration's fingerprint; a
stat key (size, mtime, inode) avoids even re-reading unchanged files, as git's index does.
Cross-file rules always run, on the small per-file summaries.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from baosong.config import Config, load_config
from baosong.problems import Problem, sort_key
from baosong.rules import check_collection, check_document
from baosong.sources import WorkTree, blob_id
from baosong.yamlload import load_yaml

CACHE_DIR = ".baosong-cache"
CACHE_FORMAT = 1


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
    parts = Path(display_path).as_posix().split("/")
    if "reports" in parts:
        idx = len(parts) - 1 - parts[::-1].index("reports")
        return "/".join(parts[idx:])
    return Path(display_path).as_posix()


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
    rule_problems, summary = check_document(layout_path(display_path), doc, loaded.position, cfg)
    summary["path"] = display_path
    return [_with_path(p, display_path) for p in rule_problems], summary, doc


def _with_path(p: Problem, path: str) -> Problem:
    return p if p.path == path else Problem(path, p.line, p.column, p.field, p.rule, p.message, p.severity)


class _Cache:
    def __init__(self, root: Path, fingerprint: str, enabled: bool) -> None:
        self.file = root / CACHE_DIR / f"check-{fingerprint}.pickle"
        self.enabled = enabled
        self.entries: dict[str, tuple] = {}
        self.dirty = False
        if enabled:
            try:
                with open(self.file, "rb") as fh:
                    stored = pickle.load(fh)
                if stored.get("format") == CACHE_FORMAT:
                    self.entries = stored["entries"]
            except Exception:  # a missing or corrupt cache is simply rebuilt
                self.entries = {}

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            (self.file.parent / ".gitignore").write_text("*\n")
            fd, tmp = tempfile.mkstemp(dir=self.file.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"format": CACHE_FORMAT, "entries": self.entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
            for old in self.file.parent.glob("check-*.pickle"):
                if old != self.file:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only checkout still gets correct results, only slower


def check_registry(root: Path, paths: Iterable[str] | None = None, *, now: datetime,
                   use_cache: bool = True, progress=None) -> CheckResult:
    """Check the registry under root (all of reports/ and config/), or only the given paths.

    Cross-file rules always see the whole registry, so a follow-up given alone still finds its
    first report; only problems of the requested files are returned.
    """
    source = WorkTree(root)
    cfg = load_config(source)
    result = CheckResult(problems=list(cfg.problems))
    if not cfg.ok:
        return result
    cache = _Cache(root, cfg.fingerprint, use_cache)
    registry_files = source.list_reports()
    explicit = [Path(p) for p in paths] if paths else []
    wanted: set[str] = set()
    summaries: list[dict] = []
    seen_abs: set[Path] = set()

    targets: list[tuple[str, Path, bool]] = []  # (display path, file, report problems?)
    for p in explicit:
        targets.append((p.as_posix(), p, True))
        seen_abs.add(p.resolve())
    for rel in registry_files:
        f = root / rel
        if f.resolve() in seen_abs:
            continue
        targets.append((rel, f, not explicit))
    for display, file, report in progress(targets) if progress else targets:
        problems, summary = _check_file(display, file, cfg, cache, result)
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


def _check_file(display: str, file: Path, cfg: Config, cache: _Cache, result: CheckResult,
                ) -> tuple[list[Problem], dict | None]:
    try:
        st = os.stat(file)
    except OSError:
        return [Problem(display, 1, 1, "", "file-missing", "文件不存在或无法读取，请检查路径。")], None
    if not os.path.isfile(file):
        return [Problem(display, 1, 1, "", "file-not-regular", "这不是普通文件（目录或特殊文件），请只提交 .yaml 报告文件。")], None
    stat_key = (st.st_size, st.st_mtime_ns, st.st_ino)
    entry = cache.entries.get(display)
    if entry is not None and entry[0] == stat_key:
        result.cache_hits += 1
        return [Problem(*p) for p in entry[2]], entry[3]
    try:
        data = file.read_bytes()
    except OSError as exc:
        return [Problem(display, 1, 1, "", "file-unreadable", f"无法读取文件：{exc.strerror}")], None
    blob = blob_id(data)
    if entry is not None and entry[1] == blob:
        result.cache_hits += 1
        cache.entries[display] = (stat_key, *entry[1:])
        cache.dirty = True
        return [Problem(*p) for p in entry[2]], entry[3]
    if not display.endswith(".yaml"):
        problems: list[Problem] = [Problem(display, 1, 1, "", "path-extension",
                                           "报告文件须以 .yaml 结尾（不用 .yml、.txt 等），请重命名。")]
        summary = None
    else:
        problems, summary = check_bytes(display, data, cfg)
    cache.entries[display] = (stat_key, blob, [_astuple(p) for p in problems], summary)
    cache.dirty = True
    return problems, summary


def _astuple(p: Problem) -> tuple:
    return (p.path, p.line, p.column, p.field, p.rule, p.message, p.severity)
