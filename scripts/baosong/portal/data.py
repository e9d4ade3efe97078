"""Everything the portal shows, read from one commit of the registry: register, config, documents.

The register comes from `register.build_register` as typed records (`records.ReportRecord`,
`IncidentRecord`), and the providers, scores, bulletins and exports read them as they are (`Context.register`
is the `Register`): no JSON round trip (issue 12; what it cost at 50,000 reports: `bench/bench_records.py`,
bench/README.md). The full report documents (descriptions, measures, bodies) are
read from the git objects the register names (`blob`), through one `cat-file --batch`, and parsed
with the strict YAML loader on demand. Nothing is read from the working tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from baosong.config import load_config
from baosong.gitrepo import GitTree, RevisionError, git_text, read_objects
from baosong.portal.model import Context
from baosong.receipts import read_witness, witness_path
from baosong.records import ReportRecord
from baosong.register import build_register
from baosong.timeutil import parse_datetime, parse_offset
from baosong.yamlload import load_yaml

Progress = Callable[[Iterable, str], Iterable]


class PortalDataError(Exception):
    """The registry cannot be shown (not a git repository, broken configuration); message in Chinese."""


def commit_time(repo: Path, rev: str = "HEAD") -> datetime:
    """The committer time of a revision: the portal's default "now", so a build depends only on the commit."""
    parsed = parse_datetime(git_text(Path(repo), "log", "-1", "--format=%cI", "--end-of-options", rev))
    if parsed is None:
        raise PortalDataError(f"无法读取版本 {rev} 的提交时间。")
    return parsed


class Documents:
    """Full report documents by report id, parsed lazily from the blobs read in one batch."""

    def __init__(self, repo: Path, records: list[ReportRecord]) -> None:
        self._blob_of: dict[str, tuple[str, str]] = {r.id: (r.blob, r.path) for r in records
                                                    if r.id and r.blob}
        blobs = sorted({blob for blob, _ in self._blob_of.values()})
        self._raw = read_objects(Path(repo), blobs) if blobs else {}
        self._parsed: dict[str, dict | None] = {}

    def __call__(self, report_id: str) -> dict | None:
        if report_id not in self._parsed:
            blob, path = self._blob_of.get(report_id, (None, report_id))
            data = self._raw.get(blob) if blob else None
            loaded = load_yaml(data, path) if data is not None else None
            doc = loaded.data if loaded is not None else None
            self._parsed[report_id] = doc if isinstance(doc, dict) else None
        return self._parsed[report_id]


def load_context(repo: Path, rev: str = "HEAD", *, now: datetime | None = None,
                 progress: Progress | None = None) -> Context:
    """The portal's view of REV. `now` defaults to REV's commit time (see FORMAT.md, Portal)."""
    repo = Path(repo)
    try:
        tree = GitTree(repo, rev)
    except RevisionError as exc:  # unknown or ambiguous: its own message says what to write
        raise PortalDataError(exc.message) from exc
    except Exception as exc:  # GitError, or git missing entirely
        raise PortalDataError(f"{repo} 不是可读取的 git 登记库（{exc}）。") from exc
    when = now or commit_time(repo, tree.commit)
    reg = build_register(repo, tree.commit, now=when, progress=progress)
    cfg = load_config(tree)
    if not cfg.ok:
        first = next((p for p in cfg.problems if p.is_error), None)
        raise PortalDataError("登记库配置有误，无法生成门户：" + (first.render() if first else "未知错误"))
    tz = parse_offset(cfg.policy.get("timezone", "+08:00"))
    return Context(register=reg, units=cfg.units, staff=cfg.staff, policy=cfg.policy,
                   city=cfg.units_doc.get("city", ""), now=when.astimezone(tz), tz=tz,
                   document=Documents(repo, reg.reports), commit=tree.commit, config=cfg,
                   extra={"registry_office": cfg.registry_office, "witness": _witness(repo)})


def _witness(repo: Path) -> tuple[bytes, dict] | None:
    """The receipts store's witness (receipts.witness_path), published on the portal so that anyone
    can run `baosong audit --witness` against it; None when there is none or it is unreadable (the
    store's own checks report that, the portal does not guess)."""
    try:
        path = witness_path(repo)
        doc = read_witness(path)
        return (path.read_bytes(), doc) if doc is not None else None
    except (OSError, ValueError, RuntimeError):
        return None
