"""Activities: information items (信息), public-opinion items (舆情), and the office's records about
reports (采用, 批示, 更正, 通报), with the planted cases every demo must show."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from baosong.demo.texts import (
    INFO_SENTENCES,
    INFO_TITLES,
    INFO_TOPICS,
    LEADERS,
    LEVEL_WEIGHTS,
    OPINION_TOPICS,
    OUTLETS,
    PLATFORMS,
)
from baosong.demo.timeline import Simulation, Submission
from baosong.demo.world import INFO_TYPES, LEVELS
from baosong.timeutil import iso


def info(sim: Simulation, when: datetime, *, info_type: str | None = None, unit: str | None = None,
         planted: bool = False, adoptions: Iterable[str] = (), instruction: bool = False,
         correction: bool = False, single: bool = False) -> Submission | None:
    rng = sim.rng
    unit = unit or rng.choice(sim.w.reporting)
    info_type = info_type or rng.choices(INFO_TYPES, weights=(50, 15, 12, 13, 10))[0]
    unit_name = sim.w.units[unit]["name"].replace("江州市", "")
    topic = rng.choice(INFO_TOPICS)
    count = {"dynamic": 3, "research": 7}.get(info_type, 5)
    body = "".join(rng.choice(INFO_SENTENCES).format(unit=unit_name, topic=topic, n=rng.randint(3, 30),
                                                       m=rng.randint(5, 60), p=rng.randint(80, 99))
                   for _ in range(count))
    doc = {"kind": "info", "title": INFO_TITLES[info_type].format(unit=unit_name, topic=topic)[:80],
           **sim.people(unit), "info_type": info_type, "body": body,
           "keywords": rng.sample(INFO_TOPICS, 2)}
    created = when
    sub = sim.add(doc, unit, created, created + sim.minutes(30, 600), sim.new_thread(), planted)
    if sub is None or single:
        return sub
    if not adoptions and rng.random() < 0.3:
        adoptions = [rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]]
    for level in adoptions:
        record_adoption(sim, sub, level)
    if instruction or rng.random() < 0.03:
        record_instruction(sim, sub, "city")
    if correction or rng.random() < 0.005:
        record_correction(sim, sub)
    return sub


def office_doc(sim: Simulation, kind: str, title: str) -> dict:
    office = sim.w.office
    return {"kind": kind, "title": title[:80], **sim.people(office)}


def record_adoption(sim: Simulation, target: Submission, level: str) -> Submission | None:
    when = target.arrival + sim.minutes(600, 10000)
    doc = office_doc(sim, "adoption", f"采用：{target.doc['title']}")
    doc.update({"report": None, "outlet": sim.rng.choice(OUTLETS[level]), "level": level,
                "adopted_at": iso(when)})
    if sim.rng.random() < 0.3:
        doc["note"] = "综合采用" if level != "national" else "单篇采用"
    return sim.add(doc, sim.w.office, when + sim.minutes(30, 240), when + sim.minutes(300, 1440),
                   target.thread, target.planted, {"report": target})


def record_instruction(sim: Simulation, target: Submission, level: str) -> Submission | None:
    when = target.arrival + sim.minutes(120, 4000)
    leader = sim.rng.choice(LEADERS[level])
    doc = office_doc(sim, "instruction", f"{leader}批示：{target.doc['title']}")
    doc.update({"report": None, "leader": leader, "level": level, "instructed_at": iso(when),
                "content": f"请{sim.w.units[target.unit]['name']}高度重视，认真总结，抓好落实。"})
    return sim.add(doc, sim.w.office, when + sim.minutes(60, 600), when + sim.minutes(700, 2000),
                   target.thread, target.planted, {"report": target})


def record_correction(sim: Simulation, target: Submission) -> Submission | None:
    when = target.arrival + sim.minutes(240, 2880)
    doc = {"kind": "correction", "title": f"更正：{target.doc['title']}"[:80], **sim.people(target.unit),
           "report": None, "reason": "原报告中部分数据统计口径有误", "body": "经核实，原报告第二段所列数据应以本更正为准。"}
    return sim.add(doc, target.unit, when, when + sim.minutes(20, 300), target.thread, target.planted,
                   {"report": target})


def record_notice(sim: Simulation, first: Submission, finding: str) -> Submission | None:
    when = first.arrival + sim.minutes(2880, 8000)
    zh = {"missed": "漏报", "late": "迟报"}[finding]
    doc = office_doc(sim, "notice", f"关于{sim.w.units[first.unit]['name']}{zh}紧急信息的通报")
    doc.update({"finding": finding, "target_unit": first.unit, "incident": None, "decided_at": iso(when),
                "body": f"经核查，{sim.w.units[first.unit]['name']}对“{first.doc['title']}”存在{zh}问题，"
                        f"予以通报，并按考核办法扣减相应分值。"})
    return sim.add(doc, sim.w.office, when + sim.minutes(30, 300), when + sim.minutes(400, 1200),
                   first.thread, first.planted, {"incident": first})


def opinion(sim: Simulation, when: datetime, planted: bool = False) -> Submission | None:
    rng = sim.rng
    unit = rng.choice(sim.w.opinion_units)
    place, district = sim.place(unit)
    platform, url_t = rng.choice(PLATFORMS)
    topic = rng.choice(OPINION_TOPICS).format(place=place)
    first_seen = when
    doc = {"kind": "opinion", "title": topic[:80], **sim.people(unit), "platform": platform,
           "url": url_t.format(n=rng.randint(10**6, 10**7), m=rng.randint(10**5, 10**6)),
           "first_seen_at": iso(first_seen),
           "spread": {"views": rng.randint(500, 200000), "reposts": rng.randint(0, 3000),
                      "comments": rng.randint(0, 5000)},
           "verification": rng.choice(("unverified", "verifying", "confirmed", "refuted")),
           "body": f"{iso(first_seen)[5:16].replace('T', ' ')}，{platform}出现“{topic}”相关信息，"
                   f"经监测已有一定传播量。目前已会同属地核实情况，做好回应引导。"}
    if district != unit and rng.random() < 0.3:
        doc["involved_units"] = [district]
    return sim.add(doc, unit, first_seen + sim.minutes(20, 180), first_seen + sim.minutes(60, 400),
                   sim.new_thread(), planted)


def draw_info(sim: Simulation, when: datetime) -> None:
    info(sim, when)


def single_info(sim: Simulation, when: datetime) -> None:
    """One information item and nothing that follows it (how the year is topped up to the exact count)."""
    info(sim, when, single=True)


def planted_info(sim: Simulation) -> None:
    """One item of every type: the first adopted at every level, one with an instruction, one corrected."""
    at = sim.random_time
    for i, info_type in enumerate(INFO_TYPES):
        info(sim, at(0.05 + 0.18 * i, 0.1 + 0.18 * i), info_type=info_type, planted=True,
             adoptions=LEVELS if i == 0 else (), instruction=i == 1, correction=i == 2)


def draw_opinion(sim: Simulation, when: datetime) -> None:
    opinion(sim, when)


def planted_opinion(sim: Simulation) -> None:
    opinion(sim, sim.random_time(0.2, 0.8), planted=True)
