"""Activity: emergencies (紧急信息). An incident's first report, its follow-ups and final report, the
office records that follow serious ones, and the planted late / missed / outage cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from baosong.deadlines import deadline_for
from baosong.demo.items import info, record_adoption, record_instruction, record_notice
from baosong.demo.texts import (
    CAUSES,
    DELAY_REASONS,
    EVENTS,
    INVOLVED,
    MEASURES,
    ROADS,
    TRENDS,
    UNIT_CATEGORIES,
)
from baosong.demo.timeline import Simulation, Submission
from baosong.demo.world import CATEGORIES
from baosong.grading import GRADES, computed_grade, severity
from baosong.timeutil import iso


def incident(sim: Simulation, when: datetime, *, category: str | None = None, unit: str | None = None,
             fate: str = "on_time", followups: int | None = None, close: bool = True,
             involved: str | None = None, silent: bool = False, planted: bool = False,
             late_followup: bool = False, pending: bool = False, pushed_before_deadline: timedelta | None = None,
             merge_delay: timedelta | None = None) -> Submission | None:
    rng = sim.rng
    if unit is None:
        unit = rng.choice(sim.w.emergency_units)
    if category is None:
        category = rng.choice(UNIT_CATEGORIES.get(unit, list(CATEGORIES)))
    place, district = sim.place(unit)
    title_t, what = rng.choice(EVENTS[category])
    road = rng.choice(ROADS)
    thread = sim.new_thread()
    casualties, loss = _figures(sim, category)
    grade = _grade_for(sim, category, casualties, loss)
    occurred = when.replace(second=0)
    discovered = occurred + sim.minutes(2, 12 if severity(grade) <= 1 else 40)
    doc: dict = {"kind": "emergency", "title": title_t.format(place=place, road=road)[:80],
                 **sim.people(unit), "stage": "first", "category": category,
                 "occurred_at": iso(occurred), "discovered_at": iso(discovered),
                 "phoned_at": iso(discovered + sim.minutes(3, 10)),
                 "place": f"{place}{road}", "description": f"{iso(occurred)[11:16]}许，{place}{road}{what}。"
                 + casualty_text(casualties, loss), "casualties": casualties, "grade": grade}
    if loss:
        doc["economic_loss"] = loss
    if category in ("social_security", "public_health") and rng.random() < 0.3:
        doc["sensitive"] = True
        doc["sensitive_reason"] = "涉及学生群体，社会关注度高" if category == "public_health" else "人员聚集，易引发舆情"
    doc["trend"] = rng.choice(TRENDS)
    doc["measures"] = rng.choice(MEASURES)
    if involved:
        doc["involved_units"] = [involved]
    if pending:
        del doc["signer"]
        doc["signoff_pending"] = True
    deadline = deadline_for({**doc, "unit": unit}, sim.w.policy)
    assert deadline is not None, "every first report has a deadline in the shipped policy"
    due = deadline.at
    if pushed_before_deadline is not None:
        arrival = due - pushed_before_deadline
    elif fate == "on_time":
        arrival = discovered + (due - discovered) * rng.uniform(0.35, 0.95)
    elif fate == "late":
        arrival = due + sim.minutes(8, 240)
    else:  # missed: long past the 24-hour line
        assert deadline.missed_at is not None
        arrival = deadline.missed_at + sim.minutes(60, 900)
    if fate != "on_time":
        doc["delay_reason"] = rng.choice(DELAY_REASONS)
    created = max(discovered + (arrival - discovered) * 0.5, occurred + timedelta(minutes=1))
    first = sim.add(doc, unit, created, arrival, thread, planted)
    if first is None:
        return None
    first.merge_delay = merge_delay
    n = followups if followups is not None else rng.choice((1, 1, 2, 2, 3, 4))
    _series(sim, first, n, close, involved, silent, late_followup, pending, casualties, loss, grade)
    if not planted:
        # Office records that follow emergencies: adoption in the daily bulletins, leaders'
        # instructions on serious events, and a notice for some late reports.
        if rng.random() < 0.15:
            record_adoption(sim, first, rng.choice(("city", "city", "province")))
        if severity(grade) <= 2 and rng.random() < 0.5:
            record_instruction(sim, first, rng.choice(("city", "province")))
        if fate == "late" and rng.random() < 0.5:
            record_notice(sim, first, "late")
    return first


def draw(sim: Simulation, when: datetime) -> None:
    """A random incident: a unit that handles emergencies, a category it sees, sometimes another unit involved."""
    unit = sim.rng.choice(sim.w.emergency_units)
    category = sim.rng.choice(UNIT_CATEGORIES.get(unit, list(CATEGORIES)))
    involved = sim.rng.choice(INVOLVED[category]) if sim.rng.random() < 0.12 else None
    incident(sim, when, unit=unit, category=category,
             fate="on_time" if sim.rng.random() < 0.97 else "late",
             involved=involved if involved in sim.w.reporting and involved != unit else None)


def planted(sim: Simulation) -> None:
    """The emergencies every demo must show, whatever its size and seed."""
    at = sim.random_time
    units = sim.w.units
    for i, (unit, cat) in enumerate((("nsx", "accident"), ("jkq", "fire"), ("jjzd", "traffic"),
                                     ("xhq", "natural_disaster"))):
        incident(sim, at(0.1 + 0.15 * i, 0.2 + 0.15 * i), category=cat, unit=unit if unit in units else None,
                 fate="late", planted=True, followups=2)
    missed = incident(sim, at(0.3, 0.4), category="environment", unit="sthj" if "sthj" in units else None,
                      fate="missed", planted=True, followups=1)
    if missed:
        record_notice(sim, missed, "missed")
    incident(sim, sim.now - timedelta(days=2), category="public_health", planted=True,
             followups=1, close=False)
    # An incident never followed up: past its 漏报 window, the missing follow-up counts as missed.
    incident(sim, at(0.7, 0.75), category="fire", unit="xfzd" if "xfzd" in units else None, planted=True,
             followups=0, close=False)
    # Issue 10's first scenario: a traffic first report pushed 19 minutes before its deadline and
    # merged by the office an hour later — on time by its push receipt.
    incident(sim, at(0.8, 0.85), category="traffic", unit="jjzd" if "jjzd" in units else None, planted=True,
             followups=1, pushed_before_deadline=timedelta(minutes=19), merge_delay=timedelta(minutes=60))
    # Reports filed during the receipt service's outage: main-line times, catch-up receipts.
    in_outage = sim.outage[0] + timedelta(hours=3)
    incident(sim, in_outage, category="accident", unit="yjj" if "yjj" in units else None, planted=True,
             followups=1)
    info(sim, in_outage + timedelta(hours=5), info_type="dynamic", planted=True, single=True)
    silent_unit = "zjj" if "zjj" in sim.w.units else sim.w.reporting[-1]
    incident(sim, at(0.45, 0.55), category="other", unit=sim.w.districts[0], involved=silent_unit,
             silent=True, planted=True, followups=2)
    incident(sim, at(0.55, 0.6), category="social_security", unit="gaj" if "gaj" in sim.w.units else None,
             involved=sim.w.districts[1 % len(sim.w.districts)], planted=True, followups=3)
    incident(sim, at(0.6, 0.7), category="traffic", fate="on_time", planted=True, followups=3,
             late_followup=True, pending=True)


def _series(sim: Simulation, first: Submission, n: int, close: bool, involved: str | None, silent: bool,
           late_followup: bool, pending: bool, casualties: dict, loss: float, grade: str) -> None:
    rng, unit = sim.rng, first.unit
    category = first.doc["category"]
    prev = first.arrival
    involved_slot = rng.randrange(1, n + 1) if involved and not silent else None
    if involved_slot:
        n = max(n, 2)
        involved_slot = max(involved_slot, 2)
    for seq in range(1, n + 1):
        if seq == 1:
            gap = sim.minutes(15, 55)
        else:
            gap = sim.minutes(180, 1300) if not (late_followup and seq == 2) else sim.minutes(1500, 1800)
        arrival = prev + gap
        by = involved if seq == involved_slot else unit
        assert by is not None
        casualties, loss = _evolve(sim, casualties, loss)
        grade = min(grade, _grade_for(sim, category, casualties, loss), key=severity)
        doc = {"kind": "emergency", "title": f"续报（{seq}）：{first.doc['title']}"[:80], **sim.people(by),
               "stage": "followup", "incident": None, "sequence": seq,
               "description": ("补充签发，" if pending and seq == 1 else "") + "最新进展："
               + casualty_text(casualties, loss) + rng.choice(MEASURES),
               "casualties": casualties, "grade": grade}
        if loss:
            doc["economic_loss"] = loss
        if seq >= 2 and rng.random() < 0.5:
            doc["cause"] = rng.choice(CAUSES)
        if late_followup and seq == 2:
            doc["delay_reason"] = rng.choice(DELAY_REASONS)
        sub = sim.add(doc, by, prev + gap * 0.6, arrival, first.thread, first.planted, {"incident": first})
        if sub is None:
            return
        prev = arrival
    if close:
        arrival = prev + sim.minutes(120, 1200)
        doc = {"kind": "emergency", "title": f"终报：{first.doc['title']}"[:80], **sim.people(unit),
               "stage": "final", "incident": None,
               "description": "事件处置工作已基本结束。" + casualty_text(casualties, loss)
               + "善后工作正在有序开展。", "casualties": casualties, "grade": grade,
               "cause": rng.choice(CAUSES)}
        if loss:
            doc["economic_loss"] = loss
        sim.add(doc, unit, prev + (arrival - prev) * 0.7, arrival, first.thread, first.planted,
                {"incident": first})


def _figures(sim: Simulation, category: str) -> tuple[dict, float]:
    rng = sim.rng
    roll = rng.random() if category in ("accident", "traffic", "fire", "natural_disaster") else rng.random() * 0.7
    deaths = 0 if roll < 0.55 else rng.randint(1, 2) if roll < 0.9 else rng.randint(3, 6) if roll < 0.985 \
        else rng.randint(10, 14)
    casualties = {"deaths": deaths, "serious_injuries": rng.choice((0, 0, 1, 2, 3)),
                  "injuries": rng.randint(0, 12), "missing": 0 if rng.random() < 0.9 else rng.randint(1, 3)}
    loss = round(rng.uniform(5, 300), 1) if category in ("accident", "fire", "environment", "natural_disaster",
                                                            "traffic") else 0.0
    return casualties, loss


def _evolve(sim: Simulation, casualties: dict, loss: float) -> tuple[dict, float]:
    rng = sim.rng
    c = dict(casualties)
    if c["missing"] and rng.random() < 0.6:
        found = rng.randint(1, c["missing"])
        c["missing"] -= found
        c["deaths"] += rng.randint(0, found)
    if c["serious_injuries"] and rng.random() < 0.2:
        c["serious_injuries"] -= 1
        c["deaths"] += 1
    if rng.random() < 0.3:
        c["injuries"] += rng.randint(0, 3)
    if loss and rng.random() < 0.5:
        loss = round(loss * rng.uniform(1.0, 1.6), 1)
    return c, loss


def _grade_for(sim: Simulation, category: str, casualties: dict, loss: float) -> str:
    figures = {k: casualties[k] for k in ("deaths", "serious_injuries")}
    if loss:
        figures["economic_loss"] = loss
    grade, _ = computed_grade(category, figures, sim.w.policy)
    if grade is None:  # no table for the category: the declared grade is the officer's judgement
        grade = sim.rng.choices(GRADES[1:], weights=(2, 12, 86))[0]
    return grade


def casualty_text(c: dict, loss: float) -> str:
    parts = [f"{label}{c[k]}人" for k, label in (("deaths", "死亡"), ("serious_injuries", "重伤"),
                                                ("injuries", "轻伤"), ("missing", "失联")) if c.get(k)]
    text = ("目前已造成" + "、".join(parts) + "。") if parts else "暂无人员伤亡。"
    return text + (f"初步估算直接经济损失约{loss:g}万元。" if loss else "")
