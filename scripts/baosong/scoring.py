"""Score tables (考核积分): register records + office records + the policy's `scoring` section.

Everything the policy can decide comes from `policy["scoring"]`; this module only applies it. The
result is a ledger: one entry per point movement (an adoption, a leader's instruction, a month's
quota shortfall, a late / missed / concealed / fabricated report), each naming the unit, the date
that places it in a period, the points and the report and office-record ids that produced it.
Period tables (month, bimonth, quarter, year) are sums of ledger entries, so every point in a
table can be traced back to its sources.

Dates that place an entry in a period (local time of the policy's timezone):
- reports counted for the quota, late and missed reports: the report's arrival (`received_at`);
- adoptions, instructions, notices: the record's own `adopted_at` / `instructed_at` / `decided_at`
  (its arrival when the field is absent).

A month's quota shortfall is charged only once the month is over (`now` past its end), for the
months from the first month the register holds anything up to `now`. The repeat multiplier applies
to a unit's 2nd and later offences of the same finding within one calendar year, in date order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from baosong.duties import DutyPeriodRecord, RequestRecord
from baosong.periods import (
    PERIOD_KINDS,
    Period,
    month_range,
    month_start,
    next_month,
    parse_period,
    period_of,
)
from baosong.records import IncidentRecord, ReportRecord
from baosong.timeutil import parse_datetime, parse_offset
from baosong.vocab import SCORE_TYPE_ZH as TYPE_ZH

LEVELS = ("own", "city", "prefecture", "province", "national")
FINDINGS = ("late", "missed", "concealed", "fabricated")
ENTRY_TYPES = ("adoption", "instruction", "shortfall", *FINDINGS)
# 约稿 and 重要时段 (policy `scoring.requests` / `scoring.duty`); kept apart in a row's `duties` so that
# a table's `points` keeps its shape for schemes without them.
DUTY_TYPES = ("request", "request_adopted", "request_missing", "request_zeroed", "daily_late", "daily_missing")
ALL_TYPES = (*ENTRY_TYPES, *DUTY_TYPES)
COUNTED_KINDS = ("emergency", "info", "opinion")
DEFAULT_PRAISE_TOP = 3


# ------------------------------------------------------------------------------------------------
# Scores


@dataclass
class Scores:
    """The ledger and the monthly counts; `period_table` turns them into a ranked table."""

    rules: dict                                   # the policy's scoring section
    now: datetime
    tz: timezone
    units: list[str]                              # ranked units (every unit but the registry office)
    unit_names: dict[str, str]
    quota_units: set[str]
    months: list[str]                             # months in scope, oldest first
    entries: list[dict] = field(default_factory=list)
    counts: dict[str, dict[str, dict]] = field(default_factory=dict)   # unit -> month -> counts
    titles: dict[str, str] = field(default_factory=dict)               # id -> title of every cited id
    unattributed: list[dict] = field(default_factory=list)             # office records no unit could take

    def month_complete(self, month: str) -> bool:
        return month_start(next_month(month), self.tz) <= self.now

    def complete(self, period: Period) -> bool:
        return period.end(self.tz) <= self.now

    def periods(self, kinds: Iterable[str] | None = None) -> list[Period]:
        """Every period of the policy's kinds that overlaps the months in scope, chronological."""
        wanted = [k for k in PERIOD_KINDS if k in set(kinds if kinds is not None else self.rules.get("periods", []))]
        found = {period_of(kind, m) for m in self.months for kind in wanted}
        return sorted(found, key=Period.sort_key)

    def name(self, unit: str | None) -> str:
        return self.unit_names.get(unit or "", unit or "")

    @property
    def has_duties(self) -> bool:
        """Whether the scheme scores 约稿 or 重要时段 (`scoring.requests` / `scoring.duty`): ranking tables
        then show those points (a row's `duties`) in a column of their own."""
        return bool(self.rules.get("requests") or self.rules.get("duty"))


def _when(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else parse_datetime(value)


def arrival(record: ReportRecord) -> datetime | None:
    """When a report reached the registry (its drafting time if the register has no arrival)."""
    return record.received_at or record.created_at


def _month_key(when: datetime | None, tz: timezone) -> str | None:
    """`YYYY-MM` of a time in local time."""
    return when.astimezone(tz).strftime("%Y-%m") if when is not None else None


def _empty_counts() -> dict:
    return {"emergency": 0, "incidents": 0, "info": 0, "opinion": 0, "quota_items": 0, "quota_reports": []}


def compute_scores(reports: Iterable[ReportRecord], office_docs: Mapping[str, dict], policy: dict,
                   units: Mapping[str, dict], *, now: datetime, registry_office: str | None = None,
                   incidents: Iterable[IncidentRecord] = (), requests: Iterable[RequestRecord] = (),
                   duty_periods: Iterable[DutyPeriodRecord] = ()) -> Scores:
    """The ledger of every unit from the register records and the office records' documents.

    `reports`: register records (`records.ReportRecord`). `office_docs`:
    report id → full document of the `adoption`, `instruction` and `notice` records among them
    (records whose document is missing are listed in `unattributed`). `units`: units.yaml entries
    by code, in the order tables list them before ranking. `incidents`: the register's incident
    records; a follow-up never filed past its 漏报 window (`missed_followup`) is charged as missed.
    `requests` / `duty_periods`: the register's 约稿 and 重要时段 records in their JSON form (duties.py).
    """
    rules = policy.get("scoring") or {}
    tz = parse_offset(policy.get("timezone", "+08:00"))
    records = [r for r in reports if r.id]
    by_id = {r.id: r for r in records if r.id}
    ranked = [code for code in units if code != registry_office]
    quota_levels = set(rules.get("quota_levels", []))
    scores = Scores(rules=rules, now=now.astimezone(tz), tz=tz, units=ranked,
                    unit_names={code: u.get("name", code) for code, u in units.items()},
                    quota_units={c for c in ranked if units[c].get("level") in quota_levels}, months=[])
    if not rules:
        return scores
    month_of = {r.id: _month_key(arrival(r), tz) for r in records if r.id}
    known = [m for m in month_of.values() if m]
    now_month = scores.now.strftime("%Y-%m")
    scores.months = month_range(min(known), max(now_month, max(known))) if known else [now_month]

    _count(scores, records, month_of)
    _office_points(scores, records, office_docs, by_id)
    _offences(scores, records, office_docs, by_id, list(incidents))
    _shortfall(scores)
    _duties(scores, list(requests), list(duty_periods), office_docs, records)
    scores.entries.sort(key=lambda e: (e["date"], ALL_TYPES.index(e["type"]), e["id"]))
    for e in scores.entries:
        for rid in [e.get("report"), *e.get("records", []), *e.get("counted_reports", [])]:
            if rid and rid in by_id:
                scores.titles[rid] = by_id[rid].title or rid
    return scores


def _count(scores: Scores, records: list[ReportRecord], month_of: dict[str, str | None]) -> None:
    quota_kinds = set(scores.rules.get("quota_kinds", []))
    for r in records:
        kind = r.kind
        if kind not in COUNTED_KINDS or not r.id:
            continue
        month = month_of[r.id]
        if month is None:
            continue
        per_unit = scores.counts.setdefault(r.unit or "", {})
        c = per_unit.get(month)
        if c is None:
            c = per_unit[month] = _empty_counts()
        c[kind] += 1
        first = kind == "emergency" and r.stage == "first"
        c["incidents"] += 1 if first else 0
        # An emergency counts once per incident: its first report.
        if kind in quota_kinds and (kind != "emergency" or first):
            c["quota_items"] += 1
            c["quota_reports"].append(r.id)


def _entry(scores: Scores, kind: str, key: str, unit: str, when: datetime, points: float, **extra: Any) -> dict:
    local = when.astimezone(scores.tz)
    entry = {"id": f"{kind}:{key}", "unit": unit, "type": kind, "points": points, "base": points, "multiplier": 1,
             "occurrence": None, "date": local, "month": local.strftime("%Y-%m"), "report": None, "records": []}
    entry.update(extra)
    scores.entries.append(entry)
    return entry


def _office_points(scores: Scores, records: list[ReportRecord], docs: Mapping[str, dict],
                   by_id: dict[str, ReportRecord]) -> None:
    rules = scores.rules
    highest: dict[str, list[dict]] = defaultdict(list)   # report id -> its adoption entries
    for r in records:
        kind, rid = r.kind, r.id or ""
        if kind not in ("adoption", "instruction"):
            continue
        doc = docs.get(rid)
        target = by_id.get(doc.get("report") or "") if doc else None
        if doc is None or target is None or target.kind not in COUNTED_KINDS or target.id is None:
            scores.unattributed.append({"record": rid, "kind": kind, "report": (doc or {}).get("report"),
                                        "reason": "记录内容无法读取" if doc is None else "所采用或批示的报告不在登记簿中"})
            continue
        level = doc.get("level")
        table = rules.get("adoption_points" if kind == "adoption" else "instruction_points", {})
        when = _when(doc.get("adopted_at" if kind == "adoption" else "instructed_at")) or arrival(r)
        if when is None:
            continue
        entry = _entry(scores, kind, rid, target.unit or "", when, float(table.get(level, 0)),
                       report=target.id, records=[rid], level=level,
                       outlet=doc.get("outlet"), leader=doc.get("leader"))
        if kind == "adoption":
            highest[target.id].append(entry)
    if rules.get("adoption_mode") == "highest":
        # One report scores its highest level once; the other adoptions stay in the ledger at 0.
        for entries in highest.values():
            best = max(entries, key=lambda e: (e["points"], -e["date"].timestamp(), e["id"]))
            for e in entries:
                if e is not best:
                    e.update(points=0.0, base=0.0, superseded_by=best["id"])


def _offences(scores: Scores, records: list[ReportRecord], docs: Mapping[str, dict],
              by_id: dict[str, ReportRecord], incidents: list[IncidentRecord]) -> None:
    deductions = scores.rules.get("deductions", {})
    offences: list[dict] = []
    charged: dict[tuple[str, str], dict] = {}      # (finding, report id) -> entry
    for r in records:
        status, rid = r.status, r.id or ""
        if status in ("late", "missed") and status in deductions:
            when = arrival(r) or r.deadline_at
            if when is None:
                continue
            e = _entry(scores, status, rid, r.unit or "", when, -float(deductions[status]),
                       report=rid, source="register", delay_minutes=r.delay_minutes,
                       deadline_at=r.deadline_at, received_at=r.received_at,
                       incident=r.incident)
            charged[(status, rid)] = e
            offences.append(e)
    for inc in incidents:
        # A follow-up never filed: there is no report to carry the status, so the incident does.
        miss = inc.missed_followup
        if miss is None or "missed" not in deductions:
            continue
        offences.append(_entry(scores, "missed", f"{inc.id}#followup-{miss.sequence}", inc.unit or "",
                               miss.missed_at, -float(deductions["missed"]), source="register", incident=inc.id,
                               followup=miss.sequence, deadline_at=miss.deadline_at,
                               received_at=None, delay_minutes=None))
    incident_reports: dict[tuple[str, str, str], dict] = {}   # (finding, incident, unit) -> first entry
    for e in sorted(offences, key=lambda x: (x["date"], x["id"])):
        if e.get("incident"):
            incident_reports.setdefault((e["type"], e["incident"], e["unit"]), e)
    notices: dict[tuple, dict] = {}
    for r in records:
        rid = r.id or ""
        if r.kind != "notice":
            continue
        doc = docs.get(rid)
        finding: str = (doc or {}).get("finding") or ""
        if finding == "reason_rejected":
            continue  # it rejects a decline: the request's verdict (duties.py) carries it
        unit: str = (doc or {}).get("target_unit") or ""
        if doc is None or finding not in deductions or not unit:
            scores.unattributed.append({"record": rid, "kind": "notice", "report": (doc or {}).get("report"),
                                        "reason": "记录内容无法读取" if doc is None else "认定类别不在计分办法中"})
            continue
        report, incident = doc.get("report"), doc.get("incident")
        # The same finding about the same report (or incident) is charged once; the notice joins it.
        same = charged.get((finding, report)) if report else None
        if same is None and incident and not report:
            same = incident_reports.get((finding, incident, unit))
        key = (finding, unit, report or incident or rid)
        same = same or notices.get(key)
        if same is not None:
            same["records"].append(rid)
            continue
        when = _when(doc.get("decided_at")) or arrival(r)
        if when is None:
            continue
        target = by_id.get(report) if report else None
        e = _entry(scores, finding, rid, unit, when, -float(deductions[finding]), report=report,
                   records=[rid], source="notice", incident=incident,
                   delay_minutes=target.delay_minutes if target else None)
        notices[key] = e
        offences.append(e)
    multiplier = float(scores.rules.get("repeat_multiplier", 1))
    seen: dict[tuple[str, int, str], int] = defaultdict(int)
    for e in sorted(offences, key=lambda x: (x["date"], x["id"])):
        n = seen[(e["unit"], e["date"].year, e["type"])] = seen[(e["unit"], e["date"].year, e["type"])] + 1
        e["occurrence"] = n
        if n >= 2 and multiplier != 1:
            e.update(multiplier=multiplier, points=e["base"] * multiplier)


def _duties(scores: Scores, requests: list[RequestRecord], periods: list[DutyPeriodRecord],
            docs: Mapping[str, dict], records: list[ReportRecord]) -> None:
    """约稿 answers, their adoption, unanswered requests, late and missing daily reports; then the
    optional rule that the Nth unanswered request in a calendar year zeroes the unit's year."""
    rules = scores.rules.get("requests") or {}
    duty = scores.rules.get("duty") or {}
    ranked = set(scores.units)
    adoptions: dict[str, list[str]] = defaultdict(list)   # answer id -> adoption record ids
    for r in records:
        doc = docs.get(r.id or "") if r.kind == "adoption" else None
        if doc is not None and isinstance(doc.get("report"), str):
            adoptions[doc["report"]].append(r.id or "")
    if rules:
        for req in requests:
            for u in req.units:
                unit, status, key = u.unit, u.status, f"{req.id}:{u.unit}"
                if unit not in ranked:
                    continue
                when = u.received_at
                if status in ("on_time", "late") and when is not None:
                    own = req.points
                    points = float(own if own is not None and status == "on_time" else
                                   rules.get("answered" if status == "on_time" else "late", 0) or 0)
                    _entry(scores, "request", key, unit, when, points, report=u.report, request=req.id,
                           records=[req.id], status=status)
                    adopted = adoptions.get(u.report or "")
                    if adopted and rules.get("adopted"):
                        _entry(scores, "request_adopted", key, unit, when, float(rules["adopted"]),
                               report=u.report, request=req.id, records=[req.id, *adopted],
                               status=status)
                elif status == "missing":
                    refused = [*u.declines, *u.rejected]
                    _entry(scores, "request_missing", key, unit, req.due_at, -float(rules.get("missing", 0) or 0),
                           request=req.id, records=[req.id, *refused], status=status)
    if duty:
        for period in periods:
            for d in period.days:
                unit, status = d.unit, d.status
                if unit not in ranked or status not in ("late", "missing") or not duty.get(status):
                    continue
                when = d.received_at if status == "late" else d.due_at
                if when is None:
                    continue
                day = d.date.isoformat()
                _entry(scores, f"daily_{status}", f"{period.id}:{unit}:{day}", unit, when,
                       -float(duty[status]), report=d.report, records=[period.id],
                       duty_period=period.id, day=day, status=status)
    limit = rules.get("zero_year_after")
    if not limit:
        return
    missing: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for e in scores.entries:
        if e["type"] == "request_missing":
            missing[(e["unit"], e["date"].year)].append(e)
    for (unit, year), found in sorted(missing.items()):
        if len(found) < limit:
            continue
        trigger = sorted(found, key=lambda e: (e["date"], e["id"]))[limit - 1]
        total = sum(e["points"] for e in scores.entries if e["unit"] == unit and e["date"].year == year)
        # Cancels whatever the unit earned in that year: the year's total ends at 0 (never raised).
        _entry(scores, "request_zeroed", f"{unit}:{year}", unit, trigger["date"], -max(total, 0.0),
               request=trigger.get("request"), records=[e["request"] for e in found], limit=limit,
               missing_count=len(found))


def _shortfall(scores: Scores) -> None:
    quota = scores.rules.get("monthly_quota", 0) or 0
    points = float(scores.rules.get("quota_shortfall_points", 0) or 0)
    if not quota:
        return
    for unit in scores.units:
        if unit not in scores.quota_units:
            continue
        for month in scores.months:
            if not scores.month_complete(month):
                continue
            c = scores.counts.get(unit, {}).get(month) or _empty_counts()
            missing = max(0, quota - c["quota_items"])
            if missing:
                end = month_start(next_month(month), scores.tz) - timedelta(seconds=1)
                _entry(scores, "shortfall", f"{unit}:{month}", unit, end, -missing * points, base=-points,
                       quota=quota, counted=c["quota_items"], missing=missing,
                       counted_reports=list(c["quota_reports"]))


# ------------------------------------------------------------------------------------------------
# Period tables


def period_table(scores: Scores, period: Period) -> dict:
    """The ranked table of one period: a row per unit with counts, points by source, total and rank."""
    months = set(period.months)
    entries_of: dict[str, list[dict]] = defaultdict(list)
    for e in scores.entries:
        if e["month"] in months:
            entries_of[e["unit"]].append(e)
    complete_months = [m for m in period.months if m in set(scores.months) and scores.month_complete(m)]
    quota = scores.rules.get("monthly_quota", 0) or 0
    rows = []
    for unit in scores.units:
        counts = _empty_counts()
        for m in period.months:
            c = scores.counts.get(unit, {}).get(m)
            if c:
                for k in counts:
                    counts[k] = counts[k] + c[k]
        entries = entries_of.get(unit, [])
        points = {k: 0.0 for k in ENTRY_TYPES}
        duties = {k: 0.0 for k in DUTY_TYPES}
        by_level = {k: 0.0 for k in LEVELS}
        adopted_by_level = {k: 0 for k in LEVELS}
        offences = {k: 0 for k in FINDINGS}
        for e in entries:
            (duties if e["type"] in duties else points)[e["type"]] += e["points"]
            if e["type"] == "adoption" and e.get("level") in by_level:
                by_level[e["level"]] += e["points"]
                adopted_by_level[e["level"]] += 1
            if e["type"] in offences:
                offences[e["type"]] += 1
        in_quota = unit in scores.quota_units
        rows.append({
            "unit": unit, "name": scores.name(unit), "rank": None,
            "counts": {k: v for k, v in counts.items() if k != "quota_reports"},
            "adopted": sum(1 for e in entries if e["type"] == "adoption"),
            "instructed": sum(1 for e in entries if e["type"] == "instruction"),
            "quota": quota * len(complete_months) if in_quota else None,
            "shortfall": sum(e["missing"] for e in entries if e["type"] == "shortfall"),
            "points": points, "adoption_by_level": by_level, "adopted_by_level": adopted_by_level,
            "offences": offences, "duties": duties,
            "total": sum(points.values()) + sum(duties.values()), "entries": entries,
        })
    rows.sort(key=lambda r: (-r["total"], -(r["points"]["adoption"] + r["points"]["instruction"]), r["unit"]))
    for r in rows:
        # Equal totals share a rank (1, 1, 3).
        r["rank"] = 1 + sum(1 for other in rows if other["total"] > r["total"])
    return {"period": period, "key": period.key, "label": period.label, "complete": scores.complete(period),
            "months_counted": complete_months, "rows": rows, "totals": _totals(rows)}


def _totals(rows: list[dict]) -> dict:
    groups = ("counts", "points", "adoption_by_level", "adopted_by_level", "offences", "duties")
    out: dict[str, Any] = {g: defaultdict(int) for g in groups}
    for r in rows:
        for group in groups:
            for k, v in r[group].items():
                out[group][k] += v
    out = {k: dict(v) for k, v in out.items()}
    out.update(adopted=sum(r["adopted"] for r in rows), instructed=sum(r["instructed"] for r in rows),
               shortfall=sum(r["shortfall"] for r in rows), total=sum(r["total"] for r in rows))
    return out


def cumulative_by_month(scores: Scores, year: int) -> dict[str, list[float]]:
    """Each ranked unit's running total at the end of each month of `year` in scope (for the chart)."""
    months = [m for m in scores.months if m.startswith(f"{year}-")]
    per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in scores.entries:
        if e["month"] in months:
            per[e["unit"]][e["month"]] += e["points"]
    out: dict[str, list[float]] = {}
    for unit in scores.units:
        running, series = 0.0, []
        for m in months:
            running += per[unit][m]
            series.append(running)
        out[unit] = series
    return out


# ------------------------------------------------------------------------------------------------
# Text


def fmt_points(value: float | None, sign: bool = False) -> str:
    """10.0 → "10", 2.5 → "2.5"; with sign: "+10" / "-2" / "0"."""
    if value is None:
        return ""
    number = round(float(value), 2)
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"+{text}" if sign and number > 0 else text


def json_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def entry_text(entry: dict, level_zh: Mapping[str, str]) -> str:
    """What produced an entry, in Chinese (titles are added by whoever shows it)."""
    kind = entry["type"]
    if kind == "adoption":
        text = f"被{entry.get('outlet') or '刊物'}采用（{level_zh.get(entry.get('level') or '', entry.get('level'))}）"
        return text + ("；同一信息只计最高层级一次，本条不计分" if entry.get("superseded_by") else "")
    if kind == "instruction":
        return f"获{entry.get('leader') or '领导'}批示（{level_zh.get(entry.get('level') or '', entry.get('level'))}）"
    if kind == "shortfall":
        return f"{entry['month'][:4]}年{int(entry['month'][5:])}月报送 {entry['counted']} 条，任务 {entry['quota']} 条，" \
               f"少报 {entry['missing']} 条"
    if kind in DUTY_TYPES:
        return duty_entry_text(entry)
    text = TYPE_ZH[kind] + ("（登记簿判定）" if entry.get("source") == "register" else "（通报认定）")
    if entry.get("occurrence") and entry["occurrence"] >= 2:
        text += f"；本年度第 {entry['occurrence']} 次{TYPE_ZH[kind]}"
        if entry.get("multiplier", 1) != 1:
            text += f"，扣分乘以 {fmt_points(entry['multiplier'])}"
    return text


def duty_entry_text(entry: dict) -> str:
    """A 约稿 / 重要时段 entry in Chinese."""
    kind = entry["type"]
    if kind == "request":
        return "按时完成约稿" if entry.get("status") == "on_time" else "逾期完成约稿"
    if kind == "request_adopted":
        return "约稿稿件被采用，另行加分"
    if kind == "request_missing":
        return "约稿逾期未报送" + ("（不能落实的理由未被认可）" if entry.get("records", [])[1:] else "")
    if kind == "request_zeroed":
        return f"本年度第 {entry.get('limit')} 次约稿未报送，按规定全年积分清零"
    if kind == "daily_late":
        return f"重要时段 {entry.get('day')} 日报迟报"
    return f"重要时段 {entry.get('day')} 未按时报送日报（含零报告）"


def table_json(table: dict, level_zh: Mapping[str, str] | None = None) -> dict:
    """A period table as JSON-ready data (dates as ISO strings, integral points as integers)."""
    def entry(e: dict) -> dict:
        out = {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in e.items()}
        out["points"] = json_number(e["points"])
        out["base"] = json_number(e["base"])
        out["multiplier"] = json_number(e["multiplier"])
        if level_zh is not None:
            out["text"] = entry_text(e, level_zh)
        return out

    def nums(d: dict) -> dict:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in d.items()}

    rows = [{**{k: v for k, v in r.items() if k not in ("entries", "points", "adoption_by_level", "total", "duties")},
             "points": nums(r["points"]), "duties": nums(r["duties"]), "adoption_by_level": nums(r["adoption_by_level"]),
             "total": json_number(r["total"]), "entries": [entry(e) for e in r["entries"]]} for r in table["rows"]]
    totals = {k: nums(v) if isinstance(v, dict) else (json_number(v) if isinstance(v, float) else v)
              for k, v in table["totals"].items()}
    return {"period": table["key"], "label": table["label"], "complete": table["complete"],
            "months_counted": table["months_counted"], "rows": rows, "totals": totals}


__all__ = ["ALL_TYPES", "DUTY_TYPES", "ENTRY_TYPES", "duty_entry_text", "FINDINGS", "LEVELS", "PERIOD_KINDS", "Period", "Scores", "compute_scores",
           "cumulative_by_month", "entry_text", "fmt_points", "json_number", "month_range", "parse_period",
           "period_of", "period_table", "table_json"]
