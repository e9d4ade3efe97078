"""约稿 (requests) and 重要时段 (duty periods): verdicts per unit, from the register's arrivals.

A `request` record (filed by the registry office) asks target units for a report by `due_at`; a unit
answers with any info or emergency report naming `request: <id>`, or files a `decline` with its reason.
A `duty_period` record asks target units for a `daily` report on each day of the period by the daily
deadline (a 零报告, `nothing_to_report: true`, when nothing happened).

Every time judged here is a report's arrival as the register computes it (`history.Arrival.received_at`:
the earliest trusted registry time for the blob, see FORMAT.md "The arrival rule"), so a request answer
and a daily report are on time or late exactly as any other report. Exactly at the due time is on time.
A record that arrives after `now` has not arrived yet (a register computed as of an earlier time).

Statuses:
- per request and unit: `on_time` / `late` (the earliest answer arrived by / after `due_at`),
  `declined` (no answer, a decline the office did not reject with a `notice` of finding
  `reason_rejected`), `missing` (none of these and now is past `due_at`), `open` (not due yet);
- per duty period, unit and day: `on_time` / `zero` (a summary / a 零报告 arrived by the day's deadline),
  `late` (the earliest daily report for that day arrived after it), `missing` (nothing arrived and now is
  past the deadline; with `zero_report_required: false` a day without a report counts as `zero`, as the
  office asked for reports only when something happened), `not_due` (the deadline has not come).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from baosong.timeutil import iso, parse_datetime, parse_offset

ANSWER_KINDS = ("info", "emergency")
REQUEST_STATUSES = ("on_time", "late", "declined", "missing", "open")
DAILY_STATUSES = ("on_time", "late", "zero", "missing", "not_due")
# The notice finding by which the office rejects a decline's reason.
REASON_REJECTED = "reason_rejected"
# Fields of report documents this module reads (the register keeps them in its per-blob cache).
DUTY_FIELDS = ("request", "target_units", "target_levels", "due_at", "points", "start_date", "end_date",
               "daily_deadline", "zero_report_required", "duty_period", "date", "nothing_to_report")


@dataclass(frozen=True, slots=True)
class RequestUnit:
    """One target unit's standing on one request."""

    unit: str
    status: str                     # REQUEST_STATUSES
    report: str | None = None       # the answer (or the accepted decline) that decided the status
    received_at: datetime | None = None
    declines: tuple[str, ...] = ()  # every decline the unit filed, accepted or not
    rejected: tuple[str, ...] = ()  # notices that rejected one of them

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "status": self.status, "report": self.report,
                "received_at": iso(self.received_at), "declines": list(self.declines),
                "rejected": list(self.rejected)}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A 约稿 with each target unit's verdict."""

    id: str
    title: str
    unit: str                       # the office that filed it
    due_at: datetime
    points: float | None
    received_at: datetime | None    # when the request itself reached the registry
    units: tuple[RequestUnit, ...]
    others: tuple[str, ...] = ()    # answers from units the request did not ask (listed, not judged)

    @property
    def closed(self) -> bool:
        return all(u.status != "open" for u in self.units)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for u in self.units if u.status == s) for s in REQUEST_STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "unit": self.unit, "due_at": iso(self.due_at),
                "points": self.points, "received_at": iso(self.received_at), "closed": self.closed,
                "counts": self.counts(), "units": [u.to_json() for u in self.units], "others": list(self.others)}


@dataclass(frozen=True, slots=True)
class DutyDay:
    """One unit's daily report duty on one day of a duty period."""

    date: date
    unit: str
    status: str                     # DAILY_STATUSES
    due_at: datetime
    report: str | None = None
    received_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "unit": self.unit, "status": self.status, "report": self.report,
                "due_at": iso(self.due_at), "received_at": iso(self.received_at)}


@dataclass(frozen=True, slots=True)
class DutyPeriodRecord:
    """A 重要时段 with a cell per target unit and day (days in date order, units in units.yaml order)."""

    id: str
    title: str
    unit: str
    start: date
    end: date
    daily_deadline: str
    zero_report_required: bool
    units: tuple[str, ...]
    days: tuple[DutyDay, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for d in self.days if d.status == s) for s in DAILY_STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "unit": self.unit, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "daily_deadline": self.daily_deadline,
                "zero_report_required": self.zero_report_required, "units": list(self.units),
                "counts": self.counts(), "days": [d.to_json() for d in self.days]}


def target_units(doc: Mapping[str, Any], units: Mapping[str, Mapping[str, Any]], office: str | None) -> list[str]:
    """The units a request or duty period names, by code or by level, in units.yaml order (never the office)."""
    codes = set(doc.get("target_units") or [])
    levels = set(doc.get("target_levels") or [])
    return [code for code, u in units.items()
            if code != office and (code in codes or u.get("level") in levels)]


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def daily_due(day: date, deadline: str, tz: timezone) -> datetime:
    """The day's deadline as an aware time (`16:00` local)."""
    hours, minutes = (int(x) for x in deadline.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=tz)


def compute_duties(docs: Mapping[str, Mapping[str, Any]], received: Mapping[str, datetime | None],
                   units: Mapping[str, Mapping[str, Any]], policy: Mapping[str, Any], now: datetime,
                   office: str | None = None) -> tuple[list[RequestRecord], list[DutyPeriodRecord]]:
    """Request and duty-period records from the valid documents and their arrivals (both by path).

    `units`: units.yaml entries by code; `office`: the registry office's code. Records are sorted by id.
    """
    tz = parse_offset(policy.get("timezone", "+08:00"))
    requests: dict[str, tuple[str, Mapping[str, Any]]] = {}
    periods: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for path, doc in docs.items():
        if doc.get("kind") == "request" and doc.get("unit") == office:
            requests.setdefault(doc["id"], (path, doc))
        elif doc.get("kind") == "duty_period" and doc.get("unit") == office:
            periods.setdefault(doc["id"], (path, doc))
    # Replies, by (request id, unit) / (duty period id, unit, date): (arrival, id, doc), earliest first.
    answers: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    declines: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    dailies: dict[tuple[str, str, date], list[tuple[datetime, str, bool]]] = {}
    rejected: dict[str, list[str]] = {}   # decline id -> notice ids
    for path, doc in docs.items():
        kind, unit, at = doc.get("kind"), doc.get("unit") or "", received.get(path)
        if at is None or at > now:
            continue  # not on the main line, or judged as of a `now` before it arrived
        if kind == "notice" and doc.get("finding") == REASON_REJECTED and isinstance(doc.get("report"), str):
            rejected.setdefault(doc["report"], []).append(doc["id"])
            continue
        if kind in ANSWER_KINDS and doc.get("request") in requests:
            answers.setdefault((doc["request"], unit), []).append((at, doc["id"]))
        elif kind == "decline" and doc.get("request") in requests:
            declines.setdefault((doc["request"], unit), []).append((at, doc["id"]))
        elif kind == "daily" and doc.get("duty_period") in periods and (day := _day(doc.get("date"))):
            dailies.setdefault((doc["duty_period"], unit, day), []).append(
                (at, doc["id"], doc.get("nothing_to_report") is True))

    request_records = []
    for rid in sorted(requests):
        path, doc = requests[rid]
        due = parse_datetime(doc.get("due_at"))
        if due is None:
            continue
        targets = target_units(doc, units, office)
        rows = [_request_unit(unit, due, now, answers.get((rid, unit), []), declines.get((rid, unit), []), rejected)
                for unit in targets]
        others = sorted(i for (r, u), found in answers.items() if r == rid and u not in targets for _, i in found)
        points = doc.get("points")
        request_records.append(RequestRecord(rid, doc.get("title") or rid, doc.get("unit") or "", due,
                                             float(points) if isinstance(points, int | float) else None,
                                             received.get(path), tuple(rows), tuple(others)))

    period_records = []
    for pid in sorted(periods):
        path, doc = periods[pid]
        start, end, deadline = _day(doc.get("start_date")), _day(doc.get("end_date")), doc.get("daily_deadline")
        if start is None or end is None or end < start or not isinstance(deadline, str):
            continue
        targets = target_units(doc, units, office)
        zero_required = doc.get("zero_report_required") is not False
        days = []
        day = start
        while day <= end:
            due = daily_due(day, deadline, tz)
            for unit in targets:
                days.append(_daily(day, unit, due, now, dailies.get((pid, unit, day), []), zero_required))
            day += timedelta(days=1)
        period_records.append(DutyPeriodRecord(pid, doc.get("title") or pid, doc.get("unit") or "", start, end,
                                               deadline, zero_required, tuple(targets), tuple(days)))
    return request_records, period_records


def _request_unit(unit: str, due: datetime, now: datetime, answers: list[tuple[datetime, str]],
                  declines: list[tuple[datetime, str]], rejected: Mapping[str, list[str]]) -> RequestUnit:
    filed = tuple(i for _, i in sorted(declines))
    refused = tuple(n for i in filed for n in rejected.get(i, []))
    if answers:
        at, rid = min(answers)
        return RequestUnit(unit, "on_time" if at <= due else "late", rid, at, filed, refused)
    accepted = sorted((at, i) for at, i in declines if i not in rejected)
    if accepted:
        at, rid = accepted[0]
        return RequestUnit(unit, "declined", rid, at, filed, refused)
    return RequestUnit(unit, "missing" if now > due else "open", None, None, filed, refused)


def _daily(day: date, unit: str, due: datetime, now: datetime, found: list[tuple[datetime, str, bool]],
           zero_required: bool) -> DutyDay:
    if found:
        at, rid, zero = min(found)
        status = "late" if at > due else "zero" if zero else "on_time"
        return DutyDay(day, unit, status, due, rid, at)
    if now <= due:
        return DutyDay(day, unit, "not_due", due)
    return DutyDay(day, unit, "missing" if zero_required else "zero", due)


def today_missing(period: DutyPeriodRecord, now: datetime, tz: timezone) -> list[DutyDay]:
    """Today's cells of units that have not reported (missing, or not due yet with nothing filed)."""
    today = now.astimezone(tz).date()
    return [d for d in period.days if d.date == today and d.report is None and d.status in ("missing", "not_due")]


def summary_counts(requests: Iterable[RequestRecord], periods: Iterable[DutyPeriodRecord]) -> dict[str, int]:
    """约稿 and 重要时段 in the register's summary: how many requests and duty periods, the target units'
    answers to the requests by status (`request_on_time` … `request_open`, REQUEST_STATUSES) and the
    units' days of the duty periods by status (`daily_on_time` … `daily_not_due`, DAILY_STATUSES)."""
    requests, periods = list(requests), list(periods)
    out = {"requests": len(requests)}
    out.update({f"request_{s}": 0 for s in REQUEST_STATUSES})
    for req in requests:
        for u in req.units:
            out[f"request_{u.status}"] += 1
    out["duty_periods"] = len(periods)
    out.update({f"daily_{s}": 0 for s in DAILY_STATUSES})
    for period in periods:
        for d in period.days:
            out[f"daily_{d.status}"] += 1
    return out


__all__ = ["DAILY_STATUSES", "DUTY_FIELDS", "REQUEST_STATUSES", "DutyDay", "DutyPeriodRecord", "RequestRecord",
           "RequestUnit", "compute_duties", "daily_due", "summary_counts", "target_units", "today_missing"]
