"""Applicable deadlines per report, from `config/policy.yaml` (policy is data, never code).

Written reports: every `deadline_rules` entry with `report: written` whose stage / category / grade
filters match applies, each counting from its own clock; the earliest deadline wins (the strictest
rule; filters: stages, categories, grades, units). Follow-ups also carry the policy's follow-up duty: follow-up 1 is due
`followup.first_within_minutes` after the first report arrived, follow-up n > 1
`followup.interval_minutes` after follow-up n-1 arrived. A final report discharges the follow-up
duty pending when it arrives (`series_deadlines`). Info items, opinions and office records have no
deadline unless a rule names their stage explicitly.

A report arriving exactly at its deadline is on time; after it, late; after `missed_at` (漏报: the
policy's `missed_clock`, the event by default, plus `missed_after_minutes`; for a follow-up duty, its
deadline plus `missed_after_minutes`), missed. Pure functions: the caller supplies the arrival times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from baosong.grading import computed_grade, figures_of, severity
from baosong.records import Deadline
from baosong.timeutil import minutes_between, parse_datetime
from baosong.vocab import FOLLOWUP_FIRST_RULE, FOLLOWUP_INTERVAL_RULE

_FILTERS = (("stages", "stage"), ("categories", "category"), ("grades", "grade"), ("units", "unit"))
STATUSES = ("on_time", "late", "missed", "not_applicable")
CLOCK_FIELDS = {"occurred": "occurred_at", "discovered": "discovered_at"}


def _policy(cfg: Any) -> dict:
    """Accept a Config or the policy dict itself."""
    return cfg if isinstance(cfg, dict) else (getattr(cfg, "policy", None) or {})


def _field(doc: dict, incident: dict | None, name: str) -> Any:
    """A follow-up only reports what changed: fall back to the incident's first report."""
    value = doc.get(name)
    if value is None and incident is not None:
        value = incident.get(name)
    return value


def effective_grade(doc: dict, policy: dict, incident: dict | None = None) -> str | None:
    """The more severe of the declared grade and the grade the figures imply.

    Under-declaring a grade must not buy a looser deadline, so the stricter reading applies.
    """
    category = _field(doc, incident, "category")
    declared = _field(doc, incident, "grade")
    figures = figures_of(doc) or (figures_of(incident) if incident else {})
    computed, _ = computed_grade(category, figures, policy)
    candidates = [g for g in (declared, computed) if isinstance(g, str)]
    return min(candidates, key=severity) if candidates else None


def _candidates(doc: dict, policy: dict, incident: dict | None) -> dict[str, list[Deadline]]:
    """Every matching rule's deadline, by report type (`written`, `phone`), in policy order."""
    facts = {"stage": doc.get("stage"), "category": _field(doc, incident, "category"),
             "grade": effective_grade(doc, policy, incident), "unit": doc.get("unit")}
    missed_after = policy.get("missed_after_minutes")
    clocks: dict[str, datetime | None] = {}
    missed_start = _missed_start(doc, policy, incident)
    out: dict[str, list[Deadline]] = {"written": [], "phone": []}
    for rule in policy.get("deadline_rules", []):
        if any(facts[key] not in rule[filt] for filt, key in _FILTERS if filt in rule):
            continue
        clock = rule.get("clock", "occurred")
        if clock not in CLOCK_FIELDS:
            continue
        if clock not in clocks:
            clocks[clock] = parse_datetime(_field(doc, incident, CLOCK_FIELDS[clock]))
        start = clocks[clock]
        if start is None and clock == "discovered":  # discovered falls back to occurred
            clock = "occurred"
            if clock not in clocks:
                clocks[clock] = parse_datetime(_field(doc, incident, "occurred_at"))
            start = clocks[clock]
        if start is None:
            continue
        deadline = start + timedelta(minutes=rule["minutes"])
        missed = (missed_start or start) + timedelta(minutes=missed_after) if missed_after is not None else None
        out.setdefault(rule.get("report", "written"), []).append(
            Deadline(deadline, rule["id"], clock, rule["minutes"], max(missed, deadline) if missed else None))
    return out


def _missed_start(doc: dict, policy: dict, incident: dict | None) -> datetime | None:
    """Where the 漏报 window starts: the clock the policy names (`missed_clock`, default the event)."""
    clock = policy.get("missed_clock", "occurred")
    start = parse_datetime(_field(doc, incident, CLOCK_FIELDS.get(clock, "occurred_at")))
    if start is None and clock == "discovered":
        start = parse_datetime(_field(doc, incident, "occurred_at"))
    return start


def followup_deadline(sequence: int, cfg: Any, first_arrival: datetime | None,
                      previous_arrival: datetime | None) -> Deadline | None:
    """The follow-up duty for follow-up number `sequence` (1-based), or None when its clock is unknown."""
    policy = _policy(cfg)
    duty = policy.get("followup") or {}
    if sequence == 1:
        rule, clock, start, minutes = (FOLLOWUP_FIRST_RULE, "first_arrival", first_arrival,
                                       duty.get("first_within_minutes"))
    else:
        rule, clock, start, minutes = (FOLLOWUP_INTERVAL_RULE, "previous_arrival", previous_arrival,
                                       duty.get("interval_minutes"))
    if start is None or minutes is None:
        return None
    deadline = start + timedelta(minutes=minutes)
    # Missing a follow-up is judged from when it fell due: the incident is already known upstairs.
    grace = policy.get("missed_after_minutes")
    return Deadline(deadline, rule, clock, minutes, deadline + timedelta(minutes=grace) if grace is not None else None)


def _earliest(candidates: list[Deadline]) -> Deadline | None:
    # min() keeps the first of equal deadlines, so ties go to the rule listed first in the policy.
    return min(candidates, key=lambda c: c.at) if candidates else None


def deadlines_for(doc: dict, cfg: Any, first_arrival: datetime | None = None,
                  previous_arrival: datetime | None = None, *, incident: dict | None = None,
                  ) -> tuple[Deadline | None, Deadline | None]:
    """(written deadline, phone deadline) in one pass over the rules; see deadline_for."""
    if doc.get("kind") != "emergency":
        return None, None
    policy = _policy(cfg)
    candidates = _candidates(doc, policy, incident)
    written = candidates["written"]
    sequence = doc.get("sequence")
    if doc.get("stage") == "followup" and isinstance(sequence, int) and not isinstance(sequence, bool):
        duty = followup_deadline(sequence, policy, first_arrival, previous_arrival)
        if duty is not None:
            written.append(duty)
    return _earliest(written), _earliest(candidates["phone"])


def deadline_for(doc: dict, cfg: Any, first_arrival: datetime | None = None,
                 previous_arrival: datetime | None = None, *, incident: dict | None = None) -> Deadline | None:
    """The strictest written-report deadline for one report, or None when none applies.

    Returns {"deadline_at", "rule", "clock", "minutes", "missed_at"}. For a follow-up pass the first
    report's arrival (sequence 1) or the previous follow-up's arrival (later ones), and the first
    report's document as `incident` so its category, grade and clocks apply.
    """
    return deadlines_for(doc, cfg, first_arrival, previous_arrival, incident=incident)[0]


def phone_deadline_for(doc: dict, cfg: Any, *, incident: dict | None = None) -> Deadline | None:
    """The strictest phone-report deadline (`report: phone`), judged against `phoned_at`; for warnings."""
    return deadlines_for(doc, cfg, incident=incident)[1]


def judge(deadline: Deadline | None, arrived_at: datetime | None) -> tuple[str, int | None]:
    """(status, delay_minutes). Exactly at the deadline is on time; beyond `missed_at` is missed."""
    if deadline is None or arrived_at is None:
        return "not_applicable", None
    if arrived_at <= deadline.at:
        return "on_time", 0
    delay = minutes_between(deadline.at, arrived_at)
    missed_at = deadline.missed_at
    if missed_at is not None and arrived_at > missed_at:
        return "missed", delay
    return "late", delay


def series_deadlines(doc: dict, cfg: Any, *, incident: dict | None, first_arrival: datetime | None,
                     followups: list[tuple[int, datetime | None]], arrived_at: datetime | None,
                     ) -> tuple[Deadline | None, Deadline | None]:
    """(written deadline, phone deadline) of one report of an incident, given the other reports' arrivals.

    `followups`: (sequence, arrival) of the incident's follow-ups other than this report. A
    follow-up n counts from follow-up n-1's arrival. A final report discharges the follow-up duty
    pending when it arrives (follow-up 1 if none had arrived, else the next after the latest one
    that had): it is late if it comes after that follow-up was due. The register and `check
    --base` both judge with this function, so they agree.
    """
    if doc.get("kind") != "emergency":
        return None, None
    if doc.get("stage") == "first":
        return deadlines_for(doc, cfg)
    sequence = doc.get("sequence")
    previous = None
    if doc.get("stage") == "followup" and isinstance(sequence, int) and not isinstance(sequence, bool) and sequence > 1:
        previous = next((a for s, a in followups if s == sequence - 1), None)
    written, phone = deadlines_for(doc, cfg, first_arrival, previous, incident=incident)
    if doc.get("stage") == "final" and arrived_at is not None:
        before = sorted((s, a) for s, a in followups if a is not None and a <= arrived_at and isinstance(s, int))
        duty = next_followup_due(cfg, first_arrival, [a for _, a in before])
        if duty is not None and (written is None or duty.at < written.at):
            written = duty
    return written, phone


def next_followup_due(cfg: Any, first_arrival: datetime | None, followup_arrivals: list[datetime],
                      ) -> Deadline | None:
    """The duty for the next follow-up of an open incident, given the arrivals of follow-ups so far."""
    previous = followup_arrivals[-1] if followup_arrivals else None
    return followup_deadline(len(followup_arrivals) + 1, cfg, first_arrival, previous)
