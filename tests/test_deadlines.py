"""Deadlines from the shipped config/policy.yaml, computed by hand for every rule and boundary."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from baosong.config import load_config
from baosong.deadlines import deadline_for, judge, next_followup_due, phone_deadline_for, series_deadlines
from baosong.sources import WorkTree

REPO = Path(__file__).resolve().parents[1]
O = datetime.fromisoformat("2026-11-25T10:00:00+08:00")  # noqa: E741 - the event's clock in every case


@pytest.fixture(scope="module")
def cfg():
    loaded = load_config(WorkTree(REPO))
    assert loaded.ok, loaded.problems
    return loaded


def first(unit: str = "dcq", category: str = "other", grade: str = "IV", **extra) -> dict:
    doc = {"kind": "emergency", "stage": "first", "unit": unit, "category": category, "grade": grade,
           "occurred_at": O.isoformat(), "casualties": {"deaths": 0}}
    doc.update(extra)
    return doc


def minutes(n: float) -> datetime:
    return O + timedelta(minutes=n)


def test_city_rule_two_hours_from_the_event(cfg):
    d = deadline_for(first(), cfg)
    assert (d.rule, d.clock, d.minutes, d.at) == ("city-written", "occurred", 120, minutes(120))
    assert d.missed_at == minutes(1440)


@pytest.mark.parametrize(("arrival", "status", "delay"), [
    (119, "on_time", 0),
    (120, "on_time", 0),          # exactly at the deadline is on time
    (120.5, "late", 1),           # 30 seconds late is one minute late (rounded up)
    (121, "late", 1),
    (1440, "late", 1320),         # exactly 24 h after the event: still late
    (1441, "missed", 1321),       # over 24 h: missed (漏报)
])
def test_status_boundaries(cfg, arrival, status, delay):
    assert judge(deadline_for(first(), cfg), minutes(arrival)) == (status, delay)


def test_decree493_counts_from_discovery_and_beats_the_city_rule(cfg):
    d = deadline_for(first(category="accident", discovered_at=minutes(30).isoformat()), cfg)
    assert (d.rule, d.clock, d.at) == ("decree493-written", "discovered", minutes(90))
    # The 24-hour 漏报 line counts from the clock the policy names (missed_clock: occurred, the
    # event: “超过24小时即视为漏报”), not from the winning rule's discovery clock.
    assert d.missed_at == minutes(1440)
    assert judge(d, minutes(1441)) == ("missed", 1351)


def test_missed_clock_discovered_counts_the_24_hours_from_discovery(cfg):
    policy = {**cfg.policy, "missed_clock": "discovered"}
    d = deadline_for(first(category="accident", discovered_at=minutes(30).isoformat()), policy)
    assert d.missed_at == minutes(30 + 1440)
    # Without a discovery time it falls back to the event, like the rules' own clock.
    assert deadline_for(first(), policy).missed_at == minutes(1440)
    # The line is never before the deadline, whatever the clock.
    late_rule = {**policy, "missed_after_minutes": 10}
    assert deadline_for(first(), late_rule).missed_at == minutes(120)


def test_discovered_clock_falls_back_to_occurred(cfg):
    d = deadline_for(first(category="accident"), cfg)
    assert (d.rule, d.clock, d.at) == ("decree493-written", "occurred", minutes(60))


def test_decree493_does_not_apply_to_other_categories(cfg):
    assert deadline_for(first(category="fire", discovered_at=minutes(30).isoformat()), cfg).rule == "city-written"


def test_provincial_overlay_is_strictest_for_major_events(cfg):
    d = deadline_for(first(category="accident", grade="II", discovered_at=minutes(5).isoformat()), cfg)
    assert (d.rule, d.at) == ("province-major-written", minutes(35))
    assert deadline_for(first(grade="I"), cfg).rule == "province-major-written"
    assert deadline_for(first(grade="III"), cfg).rule == "city-written"


def test_figures_not_the_declared_grade_decide_when_they_are_worse(cfg):
    # Ten deaths in an accident is 重大 (II) whatever the report declares: the overlay applies.
    doc = first(category="accident", grade="IV", casualties={"deaths": 10})
    assert deadline_for(doc, cfg).rule == "province-major-written"


def test_county_rule_applies_to_county_units_only(cfg):
    # County and city rules are both 2 h from the event: the tie goes to the rule listed first.
    assert deadline_for(first(unit="nsx"), cfg).rule == "city-written"
    assert phone_deadline_for(first(unit="nsx"), cfg).rule == "county-phone"
    assert phone_deadline_for(first(unit="nsx"), cfg).at == minutes(20)
    assert phone_deadline_for(first(unit="dcq"), cfg).rule == "city-phone"
    assert phone_deadline_for(first(unit="dcq"), cfg).at == minutes(60)
    assert phone_deadline_for(first(unit="nsx", grade="II"), cfg).rule == "province-major-phone"


def test_followups(cfg):
    first_arrival = minutes(100)
    one = {"kind": "emergency", "stage": "followup", "sequence": 1, "unit": "dcq", "incident": "x"}
    d1 = deadline_for(one, cfg, first_arrival, incident=first())
    assert (d1.rule, d1.clock, d1.at) == ("followup.first_within_minutes", "first_arrival",
                                                            minutes(160))
    assert judge(d1, minutes(160)) == ("on_time", 0)
    assert judge(d1, minutes(161)) == ("late", 1)
    two = {**one, "sequence": 2}
    d2 = deadline_for(two, cfg, first_arrival, minutes(150), incident=first())
    assert (d2.rule, d2.clock, d2.at) == ("followup.interval_minutes", "previous_arrival",
                                                            minutes(150 + 1440))
    assert d2.missed_at == minutes(150 + 2 * 1440)
    assert deadline_for(two, cfg, first_arrival, None, incident=first()) is None  # clock unknown


def test_next_followup_due(cfg):
    assert next_followup_due(cfg, minutes(0), []).at == minutes(60)
    assert next_followup_due(cfg, minutes(0), [minutes(50), minutes(500)]).at == minutes(500 + 1440)


def test_final_discharges_the_pending_followup_duty(cfg):
    final = {"kind": "emergency", "stage": "final", "unit": "dcq", "incident": "x"}

    def judged(arrived, followups):
        written, _ = series_deadlines(final, cfg, incident=first(), first_arrival=minutes(100),
                                      followups=followups, arrived_at=minutes(arrived))
        return written.rule, written.at, judge(written, minutes(arrived))

    # No follow-up before it: the final stands for follow-up 1, due 60 min after the first report.
    assert judged(150, []) == ("followup.first_within_minutes", minutes(160), ("on_time", 0))
    assert judged(200, []) == ("followup.first_within_minutes", minutes(160), ("late", 40))
    # After follow-up 1 (arrived +150) it stands for follow-up 2, due 24 h later; past that + 24 h: missed.
    assert judged(1000, [(1, minutes(150))])[1:] == (minutes(150 + 1440), ("on_time", 0))
    assert judged(150 + 2 * 1440 + 1, [(1, minutes(150))])[2] == ("missed", 1441)
    # A follow-up that arrived after the final does not count as one it followed.
    assert judged(200, [(1, minutes(300))])[1] == minutes(160)
    # Follow-up 2 counts from follow-up 1 in the same function.
    two = {**final, "stage": "followup", "sequence": 2}
    written, _ = series_deadlines(two, cfg, incident=first(), first_arrival=minutes(100),
                                  followups=[(1, minutes(150))], arrived_at=minutes(500))
    assert written.at == minutes(150 + 1440)


def test_no_deadline_for_finals_and_other_kinds(cfg):
    # Without the series (deadline_for alone) a final has no rule of its own.
    final = {"kind": "emergency", "stage": "final", "unit": "dcq", "incident": "x"}
    assert deadline_for(final, cfg, minutes(100), minutes(200), incident=first()) is None
    for kind in ("info", "opinion", "adoption", "instruction", "notice", "correction"):
        assert deadline_for({"kind": kind, "unit": "dcq"}, cfg) is None
    assert judge(None, minutes(5)) == ("not_applicable", None)


def test_policy_is_data(cfg):
    policy = {**cfg.policy, "deadline_rules": [{**r, "minutes": 30} if r["id"] == "city-written" else r
                                               for r in cfg.policy["deadline_rules"]]}
    assert deadline_for(first(), policy).at == minutes(30)
