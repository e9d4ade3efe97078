"""`baosong registry` on a real signed repository: statuses computed by hand for each deadline rule.

Every report is committed straight onto main by its officer at a chosen committer date; with no
receipts, that main-line commit time is the arrival (time source `commit`), so each boundary can be
placed to the second.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import yaml

from tests.trust_helpers import World

O = datetime.fromisoformat("2026-11-25T10:00:00+08:00")  # noqa: E741 - when every event occurs
NOW = "2026-11-28T12:00:00+08:00"
HEADS = {"dcq": "sunweidong", "gaj": "liuzhenhua", "nsx": "dengzhiyuan", "xxk": "zhoujianhua"}
OFFICERS = {"dcq": "lijing", "gaj": "wanghao", "nsx": "tanglin", "xxk": "wangli"}


def at(minutes: float) -> datetime:
    return O + timedelta(minutes=minutes)


class Builder:
    def __init__(self, registry) -> None:
        self.reg = registry
        self.count: dict[str, int] = {}

    def report(self, unit: str, arrive: datetime, *, signed: bool = True, **fields) -> str:
        author = OFFICERS[unit]
        day = "20261125"
        self.count[author] = self.count.get(author, 0) + 1
        rid = f"{unit}-{day}-{author}-{self.count[author]:02d}"
        doc = {"id": rid, "unit": unit, "title": "测试报告", "created_at": "2026-11-25T10:05:00+08:00",
               "author": author, "signer": HEADS[unit], **fields}
        path = f"reports/2026/{unit}/{rid}.yaml"
        self.reg.add_report(path, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                            signer=author if signed else None, date=arrive.isoformat())
        return rid

    def first(self, unit: str, arrive: datetime, category: str = "other", grade: str = "IV", **extra) -> str:
        return self.report(unit, arrive, kind="emergency", stage="first", category=category,
                           occurred_at=O.isoformat(), place="某地", description="发生一起事件。",
                           casualties={"deaths": 0, "injuries": 1}, grade=grade, trend="平稳。", measures="已处置。",
                           **extra)

    def followup(self, unit: str, arrive: datetime, incident: str, sequence: int, **extra) -> str:
        return self.report(unit, arrive, kind="emergency", stage="followup", incident=incident, sequence=sequence,
                           description="最新进展。", **extra)

    def final(self, unit: str, arrive: datetime, incident: str) -> str:
        return self.report(unit, arrive, kind="emergency", stage="final", incident=incident, description="处置完毕。")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def case(world, tmp_path_factory):
    units = world.units_doc()
    # A county unit, so the county overlay (units: [nsx, blx]) is exercised.
    units["units"].append({"code": "nsx", "name": "南山县", "level": "district", "parent": None, "ca": None, "staff": [
        {"id": "tanglin", "name": "唐琳", "roles": ["officer"], "principal": "tanglin@nsx", "keys": [world.pub("newkey")]},
        {"id": "dengzhiyuan", "name": "邓志远", "roles": ["head"], "principal": "dengzhiyuan@nsx", "keys": []}]})
    reg = world.registry(tmp_path_factory.mktemp("reg") / "registry", units)
    world.keys["tanglin"] = world.keys["newkey"]
    b = Builder(reg)
    ids = {}
    # city-written (2 h from the event): the four boundaries.
    ids["at_deadline"] = b.first("dcq", at(120))
    ids["one_minute_late"] = b.first("dcq", at(121), delay_reason="值班人员交接延误。")
    ids["24h"] = b.first("dcq", at(1440), delay_reason="通信中断，未能及时报送。")
    ids["24h_1min"] = b.first("dcq", at(1441), delay_reason="通信中断，未能及时报送。")
    # decree493-written (1 h from discovery) beats the city rule for an accident.
    ids["decree"] = b.first("gaj", at(95), category="accident", discovered_at=at(30).isoformat(),
                            involved_units=["dcq", "xhq"], delay_reason="核实伤亡人数耗时。")
    # province-major-written (35 min) beats everything for a major event; phone 15 min.
    ids["major"] = b.first("dcq", at(35), category="traffic", grade="II", phoned_at=at(20).isoformat())
    # county unit: city and county written rules tie (the city rule, listed first, is named); phone 20 min.
    ids["county"] = b.first("nsx", at(100), phoned_at=at(15).isoformat())
    # Follow-ups of "at_deadline" (first arrived at +120): 1 h, then 24 h after the previous one.
    ids["fu1"] = b.followup("dcq", at(180), ids["at_deadline"], 1)
    ids["fu2"] = b.followup("dcq", at(180 + 1441), ids["at_deadline"], 2, delay_reason="夜间值守人员不足。")
    # The decree incident: dcq reports (involved), xhq never does -> silent; closed by a final.
    ids["decree_fu1"] = b.followup("dcq", at(150), ids["decree"], 1)
    ids["decree_final"] = b.final("gaj", at(600), ids["decree"])
    ids["info"] = b.report("gaj", at(200), kind="info", info_type="dynamic", body="某项工作取得进展。")
    ids["unsigned"] = b.first("dcq", at(60), signed=False)
    reg.write("reports/2026/dcq/dcq-20261125-lijing-99.yaml", "id: [broken\n")
    reg.commit("add a broken report", signer="lijing", date=at(300).isoformat())
    proc = reg.baosong("registry", "--format", "json", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return reg, ids, data


def record(data, rid):
    return next(r for r in data["reports"] if r["id"] == rid)


def incident(data, rid):
    return next(i for i in data["incidents"] if i["id"] == rid)


@pytest.mark.parametrize(("name", "status", "delay", "rule", "deadline"), [
    ("at_deadline", "on_time", 0, "city-written", at(120)),
    ("one_minute_late", "late", 1, "city-written", at(120)),
    ("24h", "late", 1320, "city-written", at(120)),
    ("24h_1min", "missed", 1321, "city-written", at(120)),
    ("decree", "late", 5, "decree493-written", at(90)),
    ("major", "on_time", 0, "province-major-written", at(35)),
    ("county", "on_time", 0, "city-written", at(120)),
    ("fu1", "on_time", 0, "followup.first_within_minutes", at(180)),
    ("fu2", "late", 1, "followup.interval_minutes", at(180 + 1440)),
    ("decree_fu1", "on_time", 0, "followup.first_within_minutes", at(155)),
])
def test_status_per_rule(case, name, status, delay, rule, deadline):
    _, ids, data = case
    r = record(data, ids[name])
    assert (r["status"], r["delay_minutes"], r["deadline_rule"]) == (status, delay, rule)
    assert datetime.fromisoformat(r["deadline_at"]) == deadline
    assert r["deadline_at"].endswith("+08:00")


def test_arrival_falls_back_to_the_main_line_commit_time(case):
    _, ids, data = case
    r = record(data, ids["one_minute_late"])
    assert r["time_source"] == "commit"
    assert datetime.fromisoformat(r["received_at"]) == at(121)
    assert (r["signature"], r["signer"], r["author"]) == ("good", "lijing", "lijing")
    assert r["delay_reason"] == "值班人员交接延误。"


def test_phone_deadlines(case):
    _, ids, data = case
    major, county = record(data, ids["major"]), record(data, ids["county"])
    assert (major["phone_rule"], major["phone_status"]) == ("province-major-phone", "late")
    assert (county["phone_rule"], county["phone_status"]) == ("county-phone", "on_time")
    assert record(data, ids["at_deadline"])["phone_status"] == "not_phoned"


def test_info_has_no_deadline_and_a_final_discharges_the_pending_followup(case):
    _, ids, data = case
    r = record(data, ids["info"])
    assert (r["status"], r["deadline_at"], r["delay_minutes"]) == ("not_applicable", None, None)
    # The decree incident's final (+600) came after follow-up 1 (+150): it stands for follow-up 2,
    # due 24 h after follow-up 1, so it is on time against that duty.
    r = record(data, ids["decree_final"])
    assert (r["status"], r["deadline_rule"]) == ("on_time", "followup.interval_minutes")
    assert datetime.fromisoformat(r["deadline_at"]) == at(150 + 1440)


def test_open_incident_is_overdue_after_its_next_followup_due(case):
    reg, ids, data = case
    inc = incident(data, ids["at_deadline"])
    assert inc["reports"] == [ids["at_deadline"], ids["fu1"], ids["fu2"]]
    assert inc["closed_at"] is None
    assert datetime.fromisoformat(inc["next_followup_due"]) == at(180 + 1441 + 1440)
    assert inc["overdue"] is True  # NOW is 2026-11-28 12:00, the follow-up was due 11-27 11:01
    assert inc["missed_followup"] is None  # follow-up 3 is overdue, but still within its 24 h
    # The incidents whose first report was never followed up at all (follow-up 1 due 1 h after it,
    # missed 24 h after that) are missed follow-ups by NOW.
    lone = incident(data, ids["one_minute_late"])
    assert (lone["missed_followup"]["sequence"], lone["missed_followup"]["rule"]) == (1, "followup.first_within_minutes")
    assert data["summary"]["missed_followups"] == sum(1 for i in data["incidents"] if i["missed_followup"]) == 6
    before = reg.baosong("registry", "--format", "json", "--now", at(180 + 1441 + 1440).isoformat())
    assert incident(json.loads(before.stdout), ids["at_deadline"])["overdue"] is False  # exactly at the due time
    # 24 h after it fell due, follow-up 3, never filed, counts as missed (漏报), in the summary too.
    edge = reg.baosong("registry", "--format", "json", "--now", at(180 + 1441 + 2 * 1440).isoformat())
    assert incident(json.loads(edge.stdout), ids["at_deadline"])["missed_followup"] is None  # exactly at the line
    after = json.loads(reg.baosong("registry", "--format", "json", "--now",
                                   at(180 + 1441 + 2 * 1440 + 1).isoformat()).stdout)
    missed = incident(after, ids["at_deadline"])["missed_followup"]
    assert (missed["sequence"], missed["rule"]) == (3, "followup.interval_minutes")
    assert datetime.fromisoformat(missed["missed_at"]) == at(180 + 1441 + 2 * 1440)
    assert after["summary"]["missed_followups"] == 7


def test_closed_incident_and_silent_unit(case):
    _, ids, data = case
    inc = incident(data, ids["decree"])
    assert inc["reports"] == [ids["decree"], ids["decree_fu1"], ids["decree_final"]]
    assert datetime.fromisoformat(inc["closed_at"]) == at(600)
    assert (inc["next_followup_due"], inc["overdue"]) == (None, False)
    assert inc["silent_units"] == ["xhq"]  # dcq filed a follow-up; xhq was named and never reported


def test_unsigned_and_invalid_reports_are_listed_not_dropped(case):
    _, ids, data = case
    assert record(data, ids["unsigned"])["signature"] == "unsigned"
    assert [i["path"] for i in data["invalid"]] == ["reports/2026/dcq/dcq-20261125-lijing-99.yaml"]
    assert data["invalid"][0]["problems"] and data["invalid"][0]["received_at"].endswith("+08:00")
    assert data["summary"]["invalid"] == 1
    assert len(data["reports"]) == len(ids)


def test_table_output_is_chinese_and_deterministic(case):
    reg, ids, _ = case
    one = reg.baosong("registry", "--now", NOW)
    two = reg.baosong("registry", "--now", NOW, "--no-cache")
    assert one.returncode == 0 and one.stdout == two.stdout
    assert "漏报" in one.stdout and "迟报" in one.stdout and "续报超期" in one.stdout
    assert "无效报告（1 份" in one.stdout
    assert ids["24h_1min"] in one.stdout


def _documented(section: str) -> set[str]:
    """The field names of a FORMAT.md field list: backticked names outside parentheses and braces."""
    import re

    while True:
        shorter = re.sub(r"\([^()]*\)|\{[^{}]*\}", "", section)
        if shorter == section:
            return set(re.findall(r"`([a-z_]+)`", section))
        section = shorter


def test_format_md_lists_exactly_the_record_fields(case):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "scripts/baosong/FORMAT.md").read_text(encoding="utf-8")
    fields = text[text.index("### Register record fields"):text.index("### Deadlines (deadlines.py)")]
    _, _, data = case
    assert _documented(fields[fields.index("Reports:"):fields.index("Incidents:")]) == \
        set().union(*(r.keys() for r in data["reports"]))
    assert _documented(fields[fields.index("Incidents:"):fields.index("Summary:")]) == \
        set().union(*(i.keys() for i in data["incidents"]))
    assert _documented(fields[fields.index("Summary:"):]) == set(data["summary"])
