"""A small registry with 约稿 and 重要时段 records for test_duties.py and test_duty_portal.py.

Each report is committed straight onto main by its officer at a chosen committer date; with no receipts
that main-line commit time is the arrival (time source `commit`), so each boundary is placed to the second.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

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



def make_duty_registry(world, root: Path):
    """(registry, ids): three requests, two duty periods and their answers, declines and daily reports."""
    units = world.units_doc()
    # A county (level district), so a request can name "every district".
    units["units"].append({"code": "nsx", "name": "南山县", "level": "district", "parent": None, "ca": None, "staff": [
        {"id": "tanglin", "name": "唐琳", "roles": ["officer"], "principal": "tanglin@nsx", "keys": [world.pub("newkey")]},
        {"id": "dengzhiyuan", "name": "邓志远", "roles": ["head"], "principal": "dengzhiyuan@nsx", "keys": []}]})
    reg = world.registry(root / "registry", units)
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


