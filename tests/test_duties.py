"""约稿 and 重要时段 in `baosong registry`: every status at its boundary, computed by hand.

Each report is committed straight onto main by its officer at a chosen committer date; with no receipts
that main-line commit time is the arrival (time source `commit`, the register's own rule), so each
boundary can be placed to the second: exactly at the due time, one minute after, nothing by the end of
the day.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import yaml

from tests.trust_helpers import World

HEADS = {"dcq": "sunweidong", "gaj": "liuzhenhua", "nsx": "dengzhiyuan", "xxk": "zhoujianhua"}
OFFICERS = {"dcq": "lijing", "gaj": "wanghao", "nsx": "tanglin", "xxk": "wangli"}
NOW = "2026-11-26T12:00:00+08:00"
REQUEST_DUE = "2026-11-25T17:00:00+08:00"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Builder:
    def __init__(self, registry) -> None:
        self.reg = registry
        self.count: dict[tuple[str, str], int] = {}

    def report(self, unit: str, arrive: str, *, created: str | None = None, **fields) -> str:
        author = OFFICERS[unit]
        created = created or arrive
        day = created[:10].replace("-", "")
        n = self.count[(author, day)] = self.count.get((author, day), 0) + 1
        rid = f"{unit}-{day}-{author}-{n:02d}"
        doc = {"id": rid, "unit": unit, "title": "测试记录", "created_at": created, "author": author,
               "signer": HEADS[unit], **fields}
        self.reg.add_report(f"reports/{day[:4]}/{unit}/{rid}.yaml", yaml.safe_dump(doc, allow_unicode=True,
                                                                                  sort_keys=False),
                            signer=author, date=arrive)
        return rid

    def request(self, arrive: str, due: str, **targets) -> str:
        return self.report("xxk", arrive, kind="request", due_at=due, requirements="写清做法和成效，1500字以内。",
                           purpose="向省委办公厅报送专题信息", contact={"name": "王丽", "phone": "13812345678"},
                           **targets)

    def answer(self, unit: str, arrive: str, request: str) -> str:
        return self.report(unit, arrive, kind="info", info_type="experience", body="本单位开展专项工作，取得成效。",
                           request=request)

    def decline(self, unit: str, arrive: str, request: str) -> str:
        return self.report(unit, arrive, kind="decline", request=request,
                           decline_reason="本单位近期未开展相关工作，无素材可报。")

    def period(self, arrive: str, start: str, end: str, *, zero: bool = True, **targets) -> str:
        return self.report("xxk", arrive, kind="duty_period", start_date=start, end_date=end, daily_deadline="16:00",
                           zero_report_required=zero, **targets)

    def daily(self, unit: str, arrive: str, period: str, day: str, *, zero: bool = False) -> str:
        content = {"nothing_to_report": True} if zero else {"body": "今日辖区内发生一起小型火情，已处置。"}
        return self.report(unit, arrive, created=f"{day}T08:00:00+08:00", kind="daily", duty_period=period,
                           date=day, **content)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def case(world, tmp_path_factory):
    units = world.units_doc()
    # A county (level district), so a request can name "every district".
    units["units"].append({"code": "nsx", "name": "南山县", "level": "district", "parent": None, "ca": None, "staff": [
        {"id": "tanglin", "name": "唐琳", "roles": ["officer"], "principal": "tanglin@nsx", "keys": [world.pub("newkey")]},
        {"id": "dengzhiyuan", "name": "邓志远", "roles": ["head"], "principal": "dengzhiyuan@nsx", "keys": []}]})
    reg = world.registry(tmp_path_factory.mktemp("reg") / "registry", units)
    world.keys["tanglin"] = world.keys["newkey"]
    b = Builder(reg)
    ids: dict[str, str] = {}
    ids["r1"] = b.request("2026-11-20T09:00:00+08:00", REQUEST_DUE, target_units=["dcq", "gaj"],
                          target_levels=["district"], points=3)
    ids["r2"] = b.request("2026-11-20T09:10:00+08:00", "2026-11-25T18:00:00+08:00", target_units=["dcq", "gaj"])
    ids["r3"] = b.request("2026-11-20T09:20:00+08:00", "2026-11-30T17:00:00+08:00", target_units=["dcq"])
    ids["p1"] = b.period("2026-11-20T09:30:00+08:00", "2026-11-24", "2026-11-26", target_units=["dcq", "gaj"])
    ids["p2"] = b.period("2026-11-20T09:40:00+08:00", "2026-11-24", "2026-11-24", zero=False, target_units=["gaj"])
    ids["nsx_decline"] = b.decline("nsx", "2026-11-21T10:00:00+08:00", ids["r1"])
    ids["dcq_decline_r2"] = b.decline("dcq", "2026-11-21T11:00:00+08:00", ids["r2"])
    ids["rejection"] = b.report("xxk", "2026-11-22T09:00:00+08:00", kind="notice", finding="reason_rejected",
                                target_unit="dcq", report=ids["dcq_decline_r2"], decided_at="2026-11-22T09:00:00+08:00",
                                body="东城区所述理由不成立，请按约稿要求报送。")
    ids["outsider_answer"] = b.answer("nsx", "2026-11-22T10:00:00+08:00", ids["r3"])
    ids["d24_dcq"] = b.daily("dcq", "2026-11-24T16:00:00+08:00", ids["p1"], "2026-11-24")
    ids["d24_gaj"] = b.daily("gaj", "2026-11-24T15:00:00+08:00", ids["p1"], "2026-11-24", zero=True)
    ids["d25_dcq"] = b.daily("dcq", "2026-11-25T16:01:00+08:00", ids["p1"], "2026-11-25", zero=True)
    ids["dcq_answer"] = b.answer("dcq", REQUEST_DUE, ids["r1"])
    ids["gaj_answer"] = b.answer("gaj", "2026-11-25T17:01:00+08:00", ids["r1"])
    ids["d26_dcq"] = b.daily("dcq", "2026-11-26T11:00:00+08:00", ids["p1"], "2026-11-26", zero=True)
    return reg, ids


def registry(reg, now: str) -> dict:
    proc = reg.baosong("registry", "--format", "json", "--now", now)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["invalid"] == [], data["invalid"]
    return data


@pytest.fixture(scope="module")
def data(case):
    reg, _ = case
    return registry(reg, NOW)


def request_units(data: dict, rid: str) -> dict[str, dict]:
    found = next(r for r in data["requests"] if r["id"] == rid)
    return {u["unit"]: u for u in found["units"]}


def cells(data: dict, pid: str) -> dict[tuple[str, str], dict]:
    found = next(p for p in data["duty_periods"] if p["id"] == pid)
    return {(d["date"], d["unit"]): d for d in found["days"]}


def test_request_answered_exactly_at_due_time_is_on_time_one_minute_later_late(case, data):
    _, ids = case
    units = request_units(data, ids["r1"])
    assert list(units) == ["gaj", "dcq", "nsx"]  # units.yaml order; nsx through target_levels [district]
    assert units["dcq"] == {"unit": "dcq", "status": "on_time", "report": ids["dcq_answer"],
                            "received_at": REQUEST_DUE, "declines": [], "rejected": []}
    assert units["gaj"]["status"] == "late"
    assert units["gaj"]["report"] == ids["gaj_answer"]
    assert units["gaj"]["received_at"] == "2026-11-25T17:01:00+08:00"
    assert units["nsx"]["status"] == "declined"
    assert units["nsx"]["report"] == ids["nsx_decline"]
    r1 = next(r for r in data["requests"] if r["id"] == ids["r1"])
    assert r1["due_at"] == REQUEST_DUE and r1["title"] == "测试记录" and r1["points"] == 3
    assert r1["closed"] is True
    assert r1["counts"] == {"on_time": 1, "late": 1, "declined": 1, "missing": 0, "open": 0}


def test_rejected_decline_and_no_answer_are_missing_after_the_due_time(case, data):
    _, ids = case
    units = request_units(data, ids["r2"])
    assert units["dcq"]["status"] == "missing"
    assert units["dcq"]["declines"] == [ids["dcq_decline_r2"]]
    assert units["dcq"]["rejected"] == [ids["rejection"]]
    assert units["gaj"] == {"unit": "gaj", "status": "missing", "report": None, "received_at": None,
                            "declines": [], "rejected": []}


def test_request_before_its_due_time_is_open_and_strangers_answers_are_listed(case, data):
    reg, ids = case
    r3 = next(r for r in data["requests"] if r["id"] == ids["r3"])
    assert [(u["unit"], u["status"]) for u in r3["units"]] == [("dcq", "open")]
    assert r3["closed"] is False
    assert r3["others"] == [ids["outsider_answer"]]
    # Exactly at its due time nothing is missing yet; one second later it is.
    before = request_units(registry(reg, "2026-11-30T17:00:00+08:00"), ids["r3"])
    after = request_units(registry(reg, "2026-11-30T17:00:01+08:00"), ids["r3"])
    assert before["dcq"]["status"] == "open" and after["dcq"]["status"] == "missing"


def test_daily_reports_on_time_zero_late_missing_and_not_due(case, data):
    _, ids = case
    grid = cells(data, ids["p1"])
    assert len(grid) == 6  # 3 days x 2 units
    assert grid[("2026-11-24", "dcq")] == {"date": "2026-11-24", "unit": "dcq", "status": "on_time",
                                           "report": ids["d24_dcq"], "due_at": "2026-11-24T16:00:00+08:00",
                                           "received_at": "2026-11-24T16:00:00+08:00"}
    assert grid[("2026-11-24", "gaj")]["status"] == "zero"
    # A 零报告 one minute after the deadline is late like any other daily report.
    assert grid[("2026-11-25", "dcq")]["status"] == "late"
    assert grid[("2026-11-25", "gaj")]["status"] == "missing"
    assert grid[("2026-11-25", "gaj")]["report"] is None
    assert grid[("2026-11-26", "dcq")]["status"] == "zero"
    assert grid[("2026-11-26", "gaj")]["status"] == "not_due"
    p1 = next(p for p in data["duty_periods"] if p["id"] == ids["p1"])
    assert (p1["start"], p1["end"], p1["daily_deadline"], p1["units"]) == ("2026-11-24", "2026-11-26", "16:00",
                                                                          ["gaj", "dcq"])
    assert p1["counts"] == {"on_time": 1, "late": 1, "zero": 2, "missing": 1, "not_due": 1}


def test_daily_missing_from_the_deadline_to_the_end_of_the_day(case):
    reg, ids = case
    at_deadline = cells(registry(reg, "2026-11-25T16:00:00+08:00"), ids["p1"])
    end_of_day = cells(registry(reg, "2026-11-25T23:59:59+08:00"), ids["p1"])
    assert at_deadline[("2026-11-25", "gaj")]["status"] == "not_due"
    assert end_of_day[("2026-11-25", "gaj")]["status"] == "missing"
    # The late report that arrived at 16:01 is not there yet at 16:00: not due, not late.
    assert at_deadline[("2026-11-25", "dcq")]["status"] == "not_due"


def test_without_zero_reports_a_silent_day_counts_as_zero(case, data):
    _, ids = case
    grid = cells(data, ids["p2"])
    assert grid == {("2026-11-24", "gaj"): {"date": "2026-11-24", "unit": "gaj", "status": "zero", "report": None,
                                            "due_at": "2026-11-24T16:00:00+08:00", "received_at": None}}
