"""The register (登记簿): every report on main with its arrival, deadline and status; incidents.

Inputs, each read once: the tree of REV (`ls-tree`, then the report blobs through one
`cat-file --batch`, skipping blobs already judged — results are cached by path and blob id under the
configuration's fingerprint), the trust roots from that same tree, and the arrivals from
`history.read_arrivals` (one log pass, signatures cached per commit, receipts). Everything after
that is pure computation per report (`compute_register`).

A report that fails `baosong check` on its own (load, schema, per-file rules) is never dropped: it
goes to the separate `invalid` list with its problems and arrival, because the status enum has no
value for "unreadable" and a guessed status would be worse than none.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from baosong.check import PER_WORKER_FILES, JudgedCache, check_bytes_doc, problem_tuple
from baosong.config import Config, load_config
from baosong.deadlines import judge, next_followup_due, series_deadlines
from baosong.duties import DUTY_FIELDS, DutyPeriodRecord, RequestRecord, compute_duties, summary_counts
from baosong.gitrepo import BackgroundLog, GitTree, read_objects
from baosong.grading import computed_grade, figures_of
from baosong.history import Arrival, read_arrivals
from baosong.parallel import fork_map, workers_for
from baosong.provenance import forwarded_summary
from baosong.records import Deadline, IncidentRecord, MissedFollowup, ReportRecord
from baosong.rules import forward_problems, incident_unit_problem
from baosong.timeutil import iso, parse_datetime
from baosong.upstream import UpstreamLinks, read_upstream
from baosong.upward import upward_duties
from baosong.yamlload import load_yaml

# The fields the register needs; long texts stay out of the cache.
KEEP_FIELDS = ("id", "kind", "unit", "title", "created_at", "author", "reviewer", "signer", "stage",
               "incident", "sequence", "category", "grade", "occurred_at", "discovered_at", "phoned_at",
               "casualties", "economic_loss", "sensitive", "involved_units", "delay_reason", "info_type",
               "report", "level", "finding", "target_unit", "signoff_pending", *DUTY_FIELDS)

# forwarded_from is kept as the link summary (provenance.forwarded_summary); forwarded_incident is the
# origin's `incident` (the check summary's), for the cross-file rule forward-incident.
_KEEP = frozenset(KEEP_FIELDS) | {"forwarded_from", "forwarded_incident"}

Progress = Callable[[Iterable, str], Iterable]


@dataclass
class Register:
    rev: str
    commit: str
    now: datetime
    reports: list[ReportRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)
    config_problems: list = field(default_factory=list)
    upstream_problems: list = field(default_factory=list)  # upper receipts refused, forwards not believed (upstream.py)
    requests: list[RequestRecord] = field(default_factory=list)         # 约稿 (duties.py)
    duty_periods: list[DutyPeriodRecord] = field(default_factory=list)  # 重要时段 (duties.py)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.reports:
            counts[r.status] += 1
        return {"reports": len(self.reports), "invalid": len(self.invalid),
                "on_time": counts["on_time"], "late": counts["late"], "missed": counts["missed"],
                "not_applicable": counts["not_applicable"], "incidents": len(self.incidents),
                "open": sum(1 for i in self.incidents if i.closed_at is None),
                "overdue": sum(1 for i in self.incidents if i.overdue),
                "missed_followups": sum(1 for i in self.incidents if i.missed_followup),
                "catch_up": sum(1 for r in self.reports if r.catch_up),
                "unattested": sum(1 for r in self.reports if r.received_at is not None and not r.attested),
                "silent": sum(1 for i in self.incidents if i.silent_units),
                "upward_late": sum(1 for i in self.incidents for d in i.upward if d["status"] == "late"),
                "upward_missed": sum(1 for i in self.incidents for d in i.upward if d["status"] == "missed"),
                **summary_counts(self.requests, self.duty_periods)}


# ------------------------------------------------------------------------------------------------
# Reading: tree, blobs (cached), arrivals


def _judge_blobs(repo: Path, tree: GitTree, paths: list[str], cfg: Config, use_cache: bool,
                 progress: Progress | None, git_busy: bool = False) -> tuple[dict[str, dict], dict[str, list], dict[str, dict]]:
    """Documents of valid reports, the problems of invalid ones and their shadows (`_shadow`), by path.
    git_busy: this run's own history pass is still running in git (see below)."""
    # (path, blob) -> (error tuples, kept fields or None, shadow or None), under the configuration's fingerprint.
    cache = JudgedCache(repo, cfg.fingerprint, use_cache, name="register", decode=_decode_judged, encode=_encode_judged)
    keys = {p: (p, tree.entries[p].oid) for p in paths}
    missing = sorted({k[1] for p, k in keys.items() if k not in cache.entries})
    if missing:
        blobs = read_objects(repo, missing)
        todo = [(p, blobs.get(keys[p][1])) for p in paths if keys[p] not in cache.entries]
        # A cold run (a fresh clone, a new runner) judges every report: in worker processes when that pays.
        # The history pass started just before keeps a core busy in git when the free cores are counted;
        # it is this run's own work and ends well before the judging does (at 50,000 reports ≈ 8 s of
        # ≈ 14 s), after which workers have both cores: its core counts as free.
        own = int(git_busy)
        if workers_for(len(todo), PER_WORKER_FILES, own_busy=own) >= 2:
            judged = fork_map(lambda item: _judge_blob(*item, cfg), todo, per_worker=PER_WORKER_FILES, own_busy=own)
        else:
            judged = [_judge_blob(p, data, cfg)
                      for p, data in (progress(todo, "读取报告") if progress and len(todo) > 500 else todo)]
        for (p, _), verdict in zip(todo, judged, strict=True):
            cache.entries[keys[p]] = verdict
        cache.dirty = True
    docs: dict[str, dict] = {}
    problems_by_path: dict[str, list] = {}
    shadows: dict[str, dict] = {}
    for p in paths:
        errors, kept, shadow = cache.entries[keys[p]]
        if kept is not None:
            docs[p] = kept
        else:
            problems_by_path[p] = errors
            if shadow is not None:
                shadows[p] = shadow
    live = set(keys.values())
    if len(live) != len(cache.entries):  # drop results of blobs no longer in the tree
        cache.entries = {k: v for k, v in cache.entries.items() if k in live}
        cache.dirty = True
    cache.save()
    return docs, problems_by_path, shadows


def _judge_blob(path: str, data: bytes | None, cfg: Config) -> tuple[list[tuple], dict | None, dict | None]:
    """(error tuples, kept fields or None, shadow or None) of one report blob."""
    if data is None:
        return [(path, 1, 1, "", "file-unreadable", "无法从 git 对象中读取该文件。", "error")], None, None
    problems, summary, doc = check_bytes_doc(path, data, cfg)
    errors = [(x.path, x.line, x.column, x.field, x.rule, x.message, x.severity) for x in problems if x.is_error]
    kept = {k: doc[k] for k in KEEP_FIELDS if k in doc} if doc is not None and not errors else None
    if kept is not None and doc is not None and "forwarded_from" in doc:
        kept["forwarded_from"] = forwarded_summary(doc)  # the link only: the origin text stays in the blob
        if summary is not None and isinstance(summary.get("forwarded_incident"), str):
            kept["forwarded_incident"] = summary["forwarded_incident"]
    return errors, kept, _shadow(summary) if kept is None else None


# What `cross_file_problems` reads of a report, under the names of `rules.forward_problems`' summaries.
_SHADOW = frozenset({"id", "kind", "unit", "stage", "incident", "forwarded", "forwarded_incident"})


def _shadow(summary: dict | None) -> dict | None:
    """What the forward rules across files read of a report that fails on its own but has a check summary:
    the check judges those rules over such reports too (a forward, a forward's incident, an id taken first)."""
    if summary is None:
        return None
    return {"id": summary["id"], "kind": summary["kind"], "unit": summary["unit"], "stage": summary["stage"],
            "incident": summary["refs"].get("incident"), "forwarded": summary.get("forwarded"),
            "forwarded_incident": summary.get("forwarded_incident")}


def _encode_judged(entries: dict[tuple[str, str], tuple]) -> list[list]:
    return [[path, blob, errors, kept, shadow] for (path, blob), (errors, kept, shadow) in entries.items()]


def _decode_judged(stored: object) -> dict[tuple[str, str], tuple] | None:
    """(path, blob) -> (error tuples, kept fields or None); entries of another shape are dropped."""
    if not isinstance(stored, list):
        return None
    out: dict[tuple[str, str], tuple] = {}
    for entry in stored:
        if not (isinstance(entry, list) and len(entry) == 5):
            continue
        path, blob, errors, kept, shadow = entry
        if not (isinstance(path, str) and isinstance(blob, str) and isinstance(errors, list)
                and (kept is None or (isinstance(kept, dict) and kept.keys() <= _KEEP))
                and (shadow is None or (isinstance(shadow, dict) and shadow.keys() <= _SHADOW))):
            continue
        tuples = [problem_tuple(e) for e in errors]
        if None not in tuples:
            out[(path, blob)] = (tuples, kept, shadow)
    return out


def build_register(repo: Path, rev: str = "HEAD", *, now: datetime, use_cache: bool = True,
                   progress: Progress | None = None) -> Register:
    """The register of REV: trust roots and reports from REV's tree, arrivals from its history."""
    repo = Path(repo)
    tree = GitTree(repo, rev)
    cfg = load_config(tree)
    reg = Register(rev, tree.commit, now, config_problems=list(cfg.problems))
    if not cfg.ok:
        return reg
    listed = tree.list_reports()
    paths = [p for p in listed if p.endswith(".yaml")]
    others = [p for p in listed if not p.endswith(".yaml") and not p.rsplit("/", 1)[-1].startswith(".")]
    # The history pass (CPU in git) runs while the blobs are judged (CPU here): on a cold run, two cores.
    with BackgroundLog(repo, tree.commit, merges=False) as history:
        docs, problems, shadows = _judge_blobs(repo, tree, paths, cfg, use_cache, progress, history.running())
        commits = history.result()
    _set_aside_cross_file(repo, tree, docs, problems, shadows, cfg)
    for p in others:
        problems[p] = [(p, 1, 1, "", "path-extension", "报告文件须以 .yaml 结尾。", "error")]
    arrivals = read_arrivals(repo, tree.commit, cfg, use_cache=use_cache, commits=commits)
    links = read_upstream(repo, cfg)
    reg.upstream_problems = links.problems
    reg.reports, reg.incidents = compute_register(docs, arrivals, cfg, now, upstream=links)
    reg.requests, reg.duty_periods = compute_duties(docs, {p: getattr(arrivals.get(p), "received_at", None) for p in docs},
                                                    cfg.units, cfg.policy, now, cfg.registry_office)
    for path in sorted(problems):
        arrival = arrivals.get(path)
        reg.invalid.append({"path": path, **_arrival_fields(arrival), "blob": tree.entries[path].oid,
                            "problems": [{"line": p[1], "column": p[2], "field": p[3], "rule": p[4],
                                          "message": p[5]} for p in problems[path]]})
    return reg


def foreign_series_reports(docs: dict[str, dict], cfg: Config) -> dict[str, str]:
    """Follow-ups and finals filed by a unit that may not report on their incident: path -> message.

    `baosong check` refuses them (rule incident-unit); one that reached main anyway (older history,
    a bypassed check) must neither close another unit's incident nor take a place in its series.
    """
    firsts: dict[str, dict] = {}
    for doc in docs.values():
        if doc.get("kind") == "emergency" and doc.get("stage") == "first":
            firsts.setdefault(doc["id"], doc)
    foreign: dict[str, str] = {}
    for path, doc in docs.items():
        first = firsts.get(doc.get("incident") or "") if doc.get("kind") == "emergency" else None
        if first is not None and doc.get("stage") != "first":
            why = incident_unit_problem(doc.get("unit"), doc.get("stage"), first, cfg)
            if why:
                foreign[path] = why
    return foreign


def _forward_view(path: str, fields: dict) -> dict[str, Any]:
    """A summary as `rules.forward_problems` reads it, from kept fields (a valid report) or a shadow."""
    incident = fields.get("incident")
    forwarded = fields["forwarded"] if "forwarded" in fields else (fields.get("forwarded_from") or {}).get("id")
    return {"path": path, "id": fields.get("id"), "kind": fields.get("kind"), "unit": fields.get("unit"),
            "stage": fields.get("stage"), "refs": {"incident": incident} if isinstance(incident, str) else {},
            "forwarded": forwarded, "forwarded_incident": fields.get("forwarded_incident")}


def cross_file_problems(docs: dict[str, dict], shadows: dict[str, dict] | None = None,
                        ) -> dict[str, list[tuple[str, str, str]]]:
    """The forward rules across files (`rules.forward_problems`), judged as `baosong check` judges them:
    over the valid reports (`docs`) and the shadows of those that fail on their own. path ->
    [(field, rule, message)]; empty, at no cost, for a registry without forwards."""
    shadows = shadows or {}
    forwards = sorted([p for p, d in docs.items() if "forwarded_from" in d] +
                      [p for p, v in shadows.items() if v.get("forwarded")])
    if not forwards:
        return {}
    summaries = [_forward_view(p, shadows.get(p) or docs[p]) for p in forwards]
    # Only the incidents forwards name are looked up: the first report of each such id in path order (as the
    # check's summaries, which are sorted by path), among valid and invalid reports alike.
    wanted = {s["refs"]["incident"] for s in summaries if s["forwarded_incident"] and s["refs"]}
    by_id: dict[str, dict] = {}
    for path in sorted(docs.keys() | shadows.keys()) if wanted else ():
        fields = shadows.get(path) or docs[path]
        if fields.get("id") in wanted and fields["id"] not in by_id:
            by_id[fields["id"]] = _forward_view(path, fields)
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for s, fieldname, rule, message in forward_problems(summaries, by_id):
        found[s["path"]].append((fieldname, rule, message))
    return dict(found)


def _set_aside_cross_file(repo: Path, tree: GitTree, docs: dict[str, dict], problems: dict[str, list],
                          shadows: dict[str, dict], cfg: Config) -> None:
    """Apply the rules across files that `baosong check` and the server guard apply, with their verdicts:
    forward-duplicate, forward-incident (`cross_file_problems`) and incident-unit (`foreign_series_reports`;
    not for a report already refused by forward-incident, as in the check). A valid report that fails one
    moves from docs to the invalid problems; an invalid one gets the problem added to its own.

    A file that reached main past the check (an administrator's merge, a push before the hooks) must not
    count, and must show where the register shows every problem.
    """
    forwards = cross_file_problems(docs, shadows)
    foreign = {p: why for p, why in foreign_series_reports(docs, cfg).items()
               if not any(rule == "forward-incident" for _, rule, _ in forwards.get(p, ()))}
    if not forwards and not foreign:
        return
    paths = sorted(forwards.keys() | foreign.keys())
    blobs = read_objects(repo, sorted({tree.entries[p].oid for p in paths}))
    for path in paths:
        raw = blobs.get(tree.entries[path].oid)
        found = []
        if path in forwards:
            # The check's own positions (its summary's), for the same lines as `baosong check`.
            summary = check_bytes_doc(path, raw, cfg)[1] if raw is not None else None
            pos = summary["pos"] if summary is not None else {}
            found += [(path, *pos.get(f, (1, 1)), f, rule, message, "error") for f, rule, message in forwards[path]]
        if path in foreign:
            line, col = load_yaml(raw, path).position(("incident",)) if raw is not None else (1, 1)
            found.append((path, line, col, "incident", "incident-unit", foreign[path], "error"))
        found.sort(key=lambda t: (t[1], t[2], t[4]))
        if path in docs:
            del docs[path]
            problems[path] = found
        else:
            problems[path] = problems[path] + found  # after the file's own errors, which the table shows first


# ------------------------------------------------------------------------------------------------
# Pure computation


ARRIVAL_FIELDS = ("received_at", "time_source", "attested", "catch_up", "receipt_at", "receipt_via", "merged_at",
                  "commit", "main_commit", "blob", "signer", "signature")


def _arrival_fields(arrival: Arrival | None) -> dict:
    """The arrival's part of a record; all None when the path has no arrival (not on the main line)."""
    if arrival is None:
        return {**dict.fromkeys(ARRIVAL_FIELDS), "attested": False, "catch_up": False}
    return {"received_at": arrival.received_at, "time_source": arrival.time_source, "attested": arrival.attested,
            "catch_up": arrival.catch_up, "receipt_at": arrival.tsa_time or arrival.receipt_time,
            "receipt_via": arrival.receipt_via, "merged_at": arrival.main_time, "commit": arrival.commit,
            "main_commit": arrival.main_commit, "blob": arrival.blob, "signer": arrival.signer,
            "signature": arrival.signature}


def _time(value: object) -> datetime | None:
    """A time field of a schema-valid document (already pattern-checked): the fast parse, then the strict one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return parse_datetime(value)


def _series_key(doc: dict, received: datetime | None) -> tuple:
    stage_rank = {"first": 0, "followup": 1, "final": 2}.get(doc.get("stage") or "", 3)
    seq = doc.get("sequence") if isinstance(doc.get("sequence"), int) else 0
    return (stage_rank, seq, received is None, received.timestamp() if received else 0.0, doc.get("id") or "")


def compute_register(docs: dict[str, dict], arrivals: dict[str, Arrival], cfg: Config, now: datetime,
                     *, upstream: UpstreamLinks | None = None) -> tuple[list[ReportRecord], list[IncidentRecord]]:
    """Report and incident records from documents and arrivals (both by path).

    Times in the records are datetimes; their `to_json()` (`register_json`) turns them into ISO strings.
    """
    policy = cfg.policy
    received = {p: getattr(arrivals.get(p), "received_at", None) for p in docs}
    firsts: dict[str, str] = {}  # incident id -> path of its first report
    series: dict[str, list[str]] = defaultdict(list)
    for path, doc in docs.items():
        if doc.get("kind") != "emergency":
            continue
        if doc.get("stage") == "first":
            firsts.setdefault(doc["id"], path)
            series[doc["id"]].append(path)
        elif isinstance(doc.get("incident"), str):
            series[doc["incident"]].append(path)
    for paths in series.values():
        paths.sort(key=lambda p: _series_key(docs[p], received[p]))

    records: dict[str, ReportRecord] = {}
    for path in sorted(docs):
        doc = docs[path]
        incident_doc = docs[firsts[doc["incident"]]] if doc.get("incident") in firsts else None
        first_arrival = received[firsts[doc["incident"]]] if incident_doc is not None else None
        # (sequence, arrival) of the other follow-ups; one without an int sequence can never be "the previous one".
        followups = [(seq, received[p]) for p in series.get(doc.get("incident") or "", [])
                     if p != path and docs[p].get("stage") == "followup"
                     and isinstance(seq := docs[p].get("sequence"), int)]
        deadline, phone = series_deadlines(doc, cfg, incident=incident_doc if doc.get("stage") != "first" else None,
                                           first_arrival=first_arrival, followups=followups,
                                           arrived_at=received[path])
        records[path] = _report_record(path, doc, arrivals.get(path), deadline, phone, incident_doc, policy)

    incidents = []
    for incident_id in sorted(firsts):
        incidents.append(_incident_record(incident_id, series[incident_id], docs, records, received, cfg, now,
                                          upstream))
    return [records[p] for p in sorted(records)], incidents


def _report_record(path: str, doc: dict, arrival: Arrival | None, deadline: Deadline | None, phone: Deadline | None,
                   incident: dict | None, policy: dict) -> ReportRecord:
    fields = _arrival_fields(arrival)
    received_at = fields["received_at"]
    status, delay = judge(deadline, received_at)
    base = incident or {}
    category = doc.get("category") or (base.get("category") if doc.get("kind") == "emergency" else None)
    grade_computed = None
    if doc.get("kind") == "emergency":
        grade_computed, _ = computed_grade(category, figures_of(doc), policy)
    phoned_at = _time(doc.get("phoned_at"))
    phone_status = None
    if phone is not None:
        phone_status = "not_phoned" if phoned_at is None else \
            "on_time" if phoned_at <= phone.at else "late"
    return ReportRecord(
        id=doc.get("id"), path=path, unit=doc.get("unit"), kind=doc.get("kind"),
        stage=doc.get("stage"), incident=doc.get("incident") or (doc.get("id") if doc.get("stage") == "first"
                                                                  else None),
        sequence=doc.get("sequence"), title=doc.get("title"), category=category,
        grade_declared=doc.get("grade"), grade_computed=grade_computed,
        occurred_at=_time(doc.get("occurred_at") or (base.get("occurred_at")
                                                     if doc.get("kind") == "emergency" else None)),
        discovered_at=_time(doc.get("discovered_at") or (base.get("discovered_at")
                                                         if doc.get("kind") == "emergency" else None)),
        received_at=received_at, time_source=fields["time_source"], attested=fields["attested"],
        catch_up=fields["catch_up"], receipt_at=fields["receipt_at"], receipt_via=fields["receipt_via"],
        merged_at=fields["merged_at"],
        deadline_at=deadline.at if deadline else None,
        deadline_rule=deadline.rule if deadline else None,
        clock=deadline.clock if deadline else None,
        missed_at=deadline.missed_at if deadline else None,
        status=status, delay_minutes=delay, delay_reason=doc.get("delay_reason"),
        commit=fields["commit"], main_commit=fields["main_commit"], blob=fields["blob"],
        signer=fields["signer"], signature=fields["signature"],
        author=doc.get("author"), signoff=doc.get("signer"), created_at=_time(doc.get("created_at")),
        phone_deadline_at=phone.at if phone else None,
        phone_rule=phone.rule if phone else None, phone_status=phone_status,
        involved_units=tuple(doc.get("involved_units") or ()),
        forwarded_from=forwarded_summary(doc),
    )


def _incident_record(incident_id: str, paths: list[str], docs: dict[str, dict], records: dict[str, ReportRecord],
                     received: dict[str, datetime | None], cfg: Config, now: datetime,
                     upstream: UpstreamLinks | None = None) -> IncidentRecord:
    first = docs[paths[0]]
    finals = [p for p in paths if docs[p].get("stage") == "final" and received[p] is not None]
    closed_at = min((received[p] for p in finals), default=None)  # type: ignore[type-var]
    followups = [p for p in paths if docs[p].get("stage") == "followup"]
    grade = first.get("grade")
    figures: dict[str, Any] = {}
    for p in paths:
        d = docs[p]
        if isinstance(d.get("grade"), str):
            grade = d["grade"]
        if isinstance(d.get("casualties"), dict):
            figures.update({k: v for k, v in d["casualties"].items()})
        if d.get("economic_loss") is not None:
            figures["economic_loss"] = d["economic_loss"]
    due = None
    if closed_at is None and received[paths[0]] is not None:
        arrived = [received[p] for p in followups if received[p] is not None]
        due = next_followup_due(cfg, received[paths[0]], arrived)  # type: ignore[arg-type]
    # A follow-up never filed once its 漏报 window has passed is a missed report of its own (the
    # register and the scores count it), though there is no file to carry the status.
    missed_followup = None
    if due and due.missed_at is not None and now > due.missed_at:
        missed_followup = MissedFollowup(sequence=len(followups) + 1, deadline_at=due.at,
                                         missed_at=due.missed_at, rule=due.rule)
    reporting_units = {docs[p].get("unit") for p in paths}
    involved = {u for p in paths for u in docs[p].get("involved_units") or []}
    statuses = [records[p].status for p in paths]
    grade_computed = computed_grade(first.get("category"), figures_of(
        {"casualties": figures, "economic_loss": figures.get("economic_loss")}), cfg.policy)[0]
    upward = upward_duties(cfg.policy, now, upstream, category=first.get("category"),
                           grades=[grade, grade_computed, *(docs[p].get("grade") for p in paths)],
                           sensitive=any(docs[p].get("sensitive") is True for p in paths), clocks=first,
                           report_ids=[docs[p]["id"] for p in paths])
    return IncidentRecord(
        id=incident_id, unit=first.get("unit"), title=first.get("title"), category=first.get("category"),
        grade=grade, grade_computed=grade_computed,
        occurred_at=parse_datetime(first.get("occurred_at")), opened_at=received[paths[0]],
        closed_at=closed_at, reports=tuple(docs[p]["id"] for p in paths),
        next_followup=len(followups) + 1 if due else None,
        next_followup_due=due.at if due else None,
        next_followup_rule=due.rule if due else None,
        overdue=bool(due and now > due.at),
        missed_followup=missed_followup,
        silent_units=tuple(sorted(involved - reporting_units)),
        figures={k: figures[k] for k in ("deaths", "serious_injuries", "injuries", "missing", "economic_loss")
                 if k in figures},
        first_status=statuses[0], late_reports=statuses.count("late"), missed_reports=statuses.count("missed"),
        upward=tuple(d.to_json() for d in upward),
    )


def _head(reg: Register) -> dict[str, Any]:
    return {"rev": reg.rev, "commit": reg.commit, "now": iso(reg.now), "summary": reg.summary()}


def _sections(reg: Register) -> dict[str, list[dict]]:
    """The record lists as JSON data, in output order (a new section of the register is one line here)."""
    return {"reports": [r.to_json() for r in reg.reports], "incidents": [i.to_json() for i in reg.incidents],
            "invalid": [_jsonable(x) for x in reg.invalid],
            "requests": [r.to_json() for r in reg.requests], "duty_periods": [d.to_json() for d in reg.duty_periods]}


def _jsonable(value: Any) -> Any:
    """A fresh copy of plain data with datetimes as ISO strings (the `invalid` rows)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def register_json(reg: Register) -> dict:
    """The JSON form as data: times as ISO 8601 with offset, deterministic order.

    Equal to `json.loads(register_json_text(reg))` (tests/test_records.py), built from the records'
    `to_json()` without writing and parsing the text.
    """
    return {**_head(reg), **_sections(reg)}


def register_json_text(reg: Register) -> str:
    """The JSON text, one record per line (readable, diffable, and written by the C encoder)."""

    def rows(items: list[dict]) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in items) + "\n ]"

    parts = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in _head(reg).items()]
    parts += [f' "{k}": {rows(v)}' for k, v in _sections(reg).items()]
    return "{\n" + ",\n".join(parts) + "\n}"


__all__ = ["Register", "build_register", "compute_register", "register_json", "register_json_text"]
