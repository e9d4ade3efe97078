"""The registry office's own upward duties (上报义务): policy `upward_rules`, judged per incident.

A rule applies to an incident when its filters match (`categories`; `grades` against the more severe of
the declared grade and the grade the figures imply, over the whole series, so a grade under-declared
or raised in a follow-up still counts; `sensitive`: true only sensitive events, false only others). Per
destination (`to`: province, national, ...) the earliest due time wins, as for deadline rules; the
漏报 line is the rule's `missed_after_minutes` (default: the policy's) after the same clock, never
earlier than the due time.

When was the duty done? When the upper registry received the forward: the earliest believed upper
receipt of a forward of any report of the incident (`upstream.read_upstream`). The office's
`delay_reason` is the one its forwarded report carries upstairs (a late forward is a late report
there, and the upper registry's check asks it for a reason like any other). Statuses (`STATUSES`):

- `on_time` / `late` / `missed`: judged by the upper receipt (exactly at the due time is on time);
  `missed` also when nothing was forwarded and `now` is past the 漏报 line;
- `pending_receipt` (已报送，待回执): forwarded (found upstairs, committed by this office's staff) but
  no upper receipt believed yet; `done_at` is the office's own commit time, `delay_minutes` judged by it;
- `not_due` (未到期): nothing forwarded and the due time is not reached;
- `overdue` (已超时，未报送): nothing forwarded, past due, not yet past the 漏报 line;
- `untracked` (未接入上级登记库): no upper registry is configured for that destination (units.yaml
  `upstream`), so the register cannot know; the due time is still shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from baosong.deadlines import judge
from baosong.grading import severity
from baosong.records import Deadline
from baosong.timeutil import iso, parse_datetime
from baosong.upstream import Forward, UpstreamLinks

STATUSES = ("on_time", "late", "missed", "not_due", "overdue", "pending_receipt", "untracked")
CLOCK_FIELDS = {"occurred": "occurred_at", "discovered": "discovered_at"}


@dataclass(frozen=True, slots=True)
class UpwardDuty:
    """One upward duty of one incident and its verdict."""

    to: str                       # province | national | ... (policy upward_rules[].to)
    rule: str                     # the winning rule's id
    due_at: datetime
    missed_at: datetime | None
    done_at: datetime | None      # upper receipt time, or the office's own time when pending_receipt
    status: str                   # STATUSES
    delay_minutes: int | None
    delay_reason: str | None      # from the forwarded report upstairs, when late
    source: str | None = None     # upper_receipt | own | None
    upstream: str | None = None   # the upper registry's id
    report: str | None = None     # the forwarded report's id upstairs
    origin: str | None = None     # which report of the incident was forwarded

    def to_json(self) -> dict[str, Any]:
        return {"to": self.to, "rule": self.rule, "due_at": iso(self.due_at), "missed_at": iso(self.missed_at),
                "done_at": iso(self.done_at), "status": self.status, "delay_minutes": self.delay_minutes,
                "delay_reason": self.delay_reason, "source": self.source, "upstream": self.upstream,
                "report": self.report, "origin": self.origin}


def _effective(grades: list[str | None]) -> str | None:
    known = [g for g in grades if isinstance(g, str)]
    return min(known, key=severity) if known else None


def _applies(rule: dict, category: str | None, grade: str | None, sensitive: bool) -> bool:
    if "categories" in rule and category not in rule["categories"]:
        return False
    if "grades" in rule and grade not in rule["grades"]:
        return False
    return not ("sensitive" in rule and bool(rule["sensitive"]) != sensitive)


def duty_deadlines(policy: dict, *, category: str | None, grades: list[str | None], sensitive: bool,
                   clocks: dict[str, Any]) -> list[Deadline]:
    """The strictest applicable rule per destination, in policy order of destinations.

    `clocks`: {"occurred_at": ..., "discovered_at": ...} (strings or datetimes); `Deadline.rule` is the
    rule id, and the destination is looked up from the rule (`duty_to`)."""
    grade = _effective(grades)
    best: dict[str, Deadline] = {}
    for rule in policy.get("upward_rules") or []:
        if not _applies(rule, category, grade, sensitive):
            continue
        clock = rule.get("clock", "occurred")
        start = _when(clocks.get(CLOCK_FIELDS.get(clock, "occurred_at")))
        if start is None and clock == "discovered":
            clock, start = "occurred", _when(clocks.get("occurred_at"))
        if start is None:
            continue
        due = start + timedelta(minutes=rule["minutes"])
        grace = rule.get("missed_after_minutes", policy.get("missed_after_minutes"))
        missed = max(start + timedelta(minutes=grace), due) if grace is not None else None
        current = best.get(rule["to"])
        if current is None or due < current.at:  # ties: the rule listed first
            best[rule["to"]] = Deadline(due, rule["id"], clock, rule["minutes"], missed)
    return list(best.values())


def duty_to(policy: dict, rule_id: str) -> str:
    return next(r["to"] for r in policy.get("upward_rules") or [] if r["id"] == rule_id)


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else parse_datetime(value)


def judge_duty(to: str, deadline: Deadline, forwards: list[Forward], now: datetime,
               tracked: bool) -> UpwardDuty:
    """The verdict of one duty, given the forwards of the incident's reports to that destination."""
    receipted = [(f.received_at, f) for f in forwards if f.received_at is not None]
    own = [(f.own_at, f) for f in forwards if f.received_at is None and f.own_at is not None]
    best: Forward | None = None
    done_at: datetime | None = None
    delay: int | None = None
    source: str | None = None
    if receipted:
        done_at, best = min(receipted, key=lambda x: x[0])
        status, delay = judge(deadline, done_at)
        source = "upper_receipt"
    elif own:
        done_at, best = min(own, key=lambda x: x[0])
        _, delay = judge(deadline, done_at)
        status, source = "pending_receipt", "own"
    elif not tracked:
        status = "untracked"
    elif now <= deadline.at:
        status = "not_due"
    elif deadline.missed_at is None or now <= deadline.missed_at:
        status = "overdue"
    else:
        status = "missed"
    return UpwardDuty(to, deadline.rule, deadline.at, deadline.missed_at, done_at, status, delay,
                      best.delay_reason if best is not None and delay else None, source,
                      best.upstream if best else None, best.report if best else None, best.origin if best else None)


def upward_duties(policy: dict, now: datetime, links: UpstreamLinks | None, *, category: str | None,
                  grades: list[str | None], sensitive: bool, clocks: dict[str, Any],
                  report_ids: list[str]) -> list[UpwardDuty]:
    """Every upward duty of one incident (`report_ids`: the ids of its reports, first report first)."""
    out = []
    for deadline in duty_deadlines(policy, category=category, grades=grades, sensitive=sensitive, clocks=clocks):
        to = duty_to(policy, deadline.rule)
        tracked = links is not None and to in links.levels()
        forwards = [f for rid in report_ids for f in (links.forwards.get(rid, []) if links else [])
                    if links is not None and links.to.get(f.upstream) == to]
        out.append(judge_duty(to, deadline, forwards, now, tracked))
    return out


__all__ = ["STATUSES", "UpwardDuty", "duty_deadlines", "judge_duty", "upward_duties"]
