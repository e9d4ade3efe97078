"""The demo year's 约稿 and 重要时段: three requests (answered on time, answered late and adopted, one
declined, one unanswered, one still open) and two duty periods (春节, 汛期) with daily and zero reports,
a late one and a missing one in each.

Planted last (`demo/activities.py`), with the room the `--reports` target leaves after the other
planted cases; it plants nothing when the room is too small (a 60-report demo stays as it was).
`Simulation.add(doc, unit, created, arrival, thread, planted, refs)` queues one report arriving at `arrival`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from baosong.demo.items import record_adoption
from baosong.demo.timeline import Simulation
from baosong.timeutil import iso

# Reports this module plants at most (requests, answers, declines, periods, daily reports, adoption).
MAX_PLANTED = 45
TZ = timezone(timedelta(hours=8))
SPRING = (date(2026, 2, 15), date(2026, 2, 18))     # 春节假期（节选）
FLOOD = (date(2026, 7, 6), date(2026, 7, 10))       # 主汛期
DAILY_BODIES = ["今日辖区内总体平稳，{unit}值班人员在岗在位，发现并处置一起小型火情，无人员伤亡。",
                "今日{unit}辖区降雨量较大，已转移低洼地带群众23人，各类险情均已妥善处置。",
                "今日{unit}开展节日期间安全检查，排查隐患5处，已全部整改到位。"]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _days(span: tuple[date, date]) -> list[date]:
    return [span[0] + timedelta(days=i) for i in range((span[1] - span[0]).days + 1)]


def plant_duties(sim: Simulation, room: int) -> int:
    """Queue the demo's requests and duty periods; returns how many reports were planted (0 when
    `room`, the reports the target leaves after the other planted cases, is below MAX_PLANTED)."""
    if room < MAX_PLANTED:
        return 0
    before = len(sim.subs)
    units = sim.w.units
    districts = [c for c in sim.w.districts if c in units][:4]
    departments: list[str] = [c for c in ("slj", "yjj", "zrzy", "jtj") if c in units and c in sim.w.reporting]
    if len(districts) < 3 or len(departments) < 2:
        return 0
    office = sim.w.office
    officer = sim.w.officers[office][0]
    contact = {"name": sim.w.cfg.staff.get(officer, {}).get("name", officer), "phone": "0571-87001234"}

    def name(code: str) -> str:
        return str(units[code]["name"]).replace("江州市", "")

    def office_record(kind: str, title: str, created: datetime, **fields: Any) -> Any:
        doc = {"kind": kind, "title": title, **sim.people(office), **fields}
        return sim.add(doc, office, created, created + timedelta(minutes=25), sim.new_thread(), True)

    def answer(req: Any, unit: str, arrival: datetime, title: str) -> Any:
        doc = {"kind": "info", "title": title[:80], **sim.people(unit), "info_type": "experience",
               "body": f"{name(unit)}围绕{req.doc['title'][2:12]}，建立工作专班，细化任务清单，"
                       "截至目前已完成年度任务的八成以上，群众满意度明显提升。下一步将持续抓好落实。"}
        return sim.add(doc, unit, arrival - timedelta(hours=3), arrival, req.thread, True, {"request": req})

    # 约稿 1: three districts; two answer on time (one is adopted at province level), one declines.
    start = sim.start
    r1_time = start + timedelta(days=100, hours=9)
    r1 = office_record("request", "关于报送基层治理创新经验做法的约稿", r1_time,
                       target_units=districts[:3], due_at=iso(r1_time + timedelta(days=7, hours=8)),
                       requirements="1500字以内，写清主要做法、取得成效和下一步打算，可附典型案例。",
                       purpose="向省委办公厅报送基层治理专题信息", contact=contact, points=5)
    if r1 is not None:
        first = answer(r1, districts[0], r1_time + timedelta(days=5, hours=2), f"{name(districts[0])}基层治理创新经验做法")
        answer(r1, districts[1], r1_time + timedelta(days=7, hours=7, minutes=30),
               f"{name(districts[1])}推进网格化治理的做法")
        if first is not None:
            record_adoption(sim, first, "province")
        doc = {"kind": "decline", "title": "关于基层治理约稿不能落实的说明", **sim.people(districts[2]),
               "decline_reason": f"{name(districts[2])}基层治理创新工作尚在试点阶段，暂无成熟经验可报，待取得成效后另行报送。"}
        sim.add(doc, districts[2], r1_time + timedelta(days=2), r1_time + timedelta(days=2, hours=1), r1.thread, True,
                {"request": r1})
    # 约稿 2: two departments; one answers a day late, one never does.
    r2_time = start + timedelta(days=220, hours=10)
    r2 = office_record("request", "关于报送防汛救灾工作情况的约稿", r2_time,
                       target_units=departments[:2], due_at=iso(r2_time + timedelta(days=3, hours=7)),
                       requirements="800字以内，写清降雨及灾情、转移群众、抢险救灾措施。",
                       purpose="向省防指报送防汛救灾综合情况", contact=contact)
    if r2 is not None:
        answer(r2, departments[0], r2_time + timedelta(days=4, hours=9), f"{name(departments[0])}防汛救灾工作情况")
    # 约稿 3: every district, due after now: still open.
    r3_time = sim.now - timedelta(days=2, hours=3)
    r3 = office_record("request", "关于报送今冬明春安全生产工作情况的约稿", r3_time, target_levels=["district"],
                       due_at=iso(sim.now + timedelta(days=5)), requirements="1000字以内，突出问题隐患排查整治成效。",
                       purpose="向省安委办报送专题信息", contact=contact)
    if r3 is not None:
        answer(r3, districts[0], sim.now - timedelta(hours=20), f"{name(districts[0])}今冬明春安全生产工作情况")

    _plant_duty_periods(sim, districts, departments, office_record, name, contact)
    return len(sim.subs) - before


def _plant_duty_periods(sim: Simulation, districts: list[str], departments: list[str], office_record: Any, name: Any,
                        contact: dict) -> None:
    """重要时段: 春节 (districts, zero reports required) and 汛期 (departments and districts), one late
    and one missing day each."""
    for title, span, targets, late, missing in (
            ("2026年春节假期重要时段信息报送", SPRING, districts[:3], (1, 1), (2, 3)),
            ("2026年主汛期重要时段信息报送", FLOOD, [*departments[:2], districts[3 % len(districts)]], (0, 2), (1, 4))):
        created = _at(span[0] - timedelta(days=5), 9)
        period = office_record("duty_period", title, created, target_units=targets, start_date=span[0].isoformat(),
                               end_date=span[1].isoformat(), daily_deadline="16:00", zero_report_required=True,
                               requirements="每日16时前报送当日值班和要情，无事项的报送零报告。", contact=contact)
        if period is None:
            continue
        for d, day in enumerate(_days(span)):
            for u, unit in enumerate(targets):
                if (u, d) == missing:
                    continue  # never filed: missing from 16:00 that day
                arrival = _at(day, 16, 42) if (u, d) == late else _at(day, 9 + (u * 3 + d) % 6, 10 + 7 * u)
                zero = sim.rng.random() < 0.6
                doc = {"kind": "daily", "title": f"{name(unit)}{day.month}月{day.day}日值班情况" + ("（零报告）" if zero else ""),
                       **sim.people(unit), "duty_period": None, "date": day.isoformat()}
                if zero:
                    doc["nothing_to_report"] = True
                else:
                    doc["body"] = sim.rng.choice(DAILY_BODIES).format(unit=name(unit))
                sim.add(doc, unit, arrival - timedelta(minutes=40), arrival, period.thread, True,
                        {"duty_period": period})


__all__ = ["MAX_PLANTED", "plant_duties"]


def planted(sim: Simulation) -> None:
    """The activity's planted cases: requests and duty periods in the room left under `sim.target`."""
    plant_duties(sim, sim.target - len(sim.subs))
