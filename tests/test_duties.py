"""约稿 and 重要时段 in `baosong registry`: every status at its boundary, computed by hand.

Each report is committed straight onto main by its officer at a chosen committer date; with no receipts
that main-line commit time is the arrival (time source `commit`, the register's own rule), so each
boundary can be placed to the second: exactly at the due time, one minute after, nothing by the end of
the day.
"""

from __future__ import annotations

import json

import pytest

from tests.duty_helpers import NOW, REQUEST_DUE, make_duty_registry
from tests.trust_helpers import World


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def case(world, tmp_path_factory):
    return make_duty_registry(world, tmp_path_factory.mktemp("reg"))


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


def test_table_output_lists_requests_and_duty_periods(case):
    reg, ids = case
    proc = reg.baosong("registry", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"  {ids['r2']}  时限 11-25 18:00  未报送 2；未报送：gaj、dcq  测试记录" in lines
    assert f"  {ids['p1']}  2026-11-24—2026-11-26 每日 16:00 前  按时 1，迟报 1，零报告 2，未报 1，未到时限 1  测试记录" in lines
