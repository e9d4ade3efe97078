"""A small hand-built registry for the scoring, bulletin and export tests.

`records()` are register records (the fields `register.py` gives and scoring reads) and `office_docs()`
the documents of the office records among them. Three ranked units (gaj, dcq, xhq) and the registry
office (xxk); reports from February to early April 2026; `NOW` is 10 April 2026, so February and
March are complete months (quota shortfall charged) and April is not.

What is planted (see test_scoring.py for the hand computation):
- gaj: Feb info + a late first report (30 min) and its on-time follow-up; Mar info, a second late
  first report (45 min: the repeat offence), an opinion; a prefecture-level adoption in March.
- dcq: one info item in Feb adopted at city (Feb), province (Feb) and national (Mar) level and
  instructed by 市委书记 (Feb); a missed first report in Mar (also found missed by a notice: charged
  once), a concealment notice in Mar; one item in April.
- xhq: two info items in Feb (one adopted on the own site), nothing in March, a fabrication notice in April.
"""

from __future__ import annotations

import copy
import dataclasses
import html
import re
from dataclasses import MISSING, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from baosong.portal.model import Context
from baosong.records import ReportRecord
from baosong.register import Register

REPO = Path(__file__).resolve().parents[1]
TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=TZ)

UNITS = {
    "xxk": {"code": "xxk", "name": "江州市委办公室信息科", "level": "city", "staff": []},
    "gaj": {"code": "gaj", "name": "江州市公安局", "level": "department", "staff": []},
    "dcq": {"code": "dcq", "name": "江州市东城区", "level": "district", "staff": []},
    "xhq": {"code": "xhq", "name": "江州市西湖区", "level": "district", "staff": []},
}


def t(text: str) -> str:
    """'02-10 11:30' → ISO time in 2026, +08:00."""
    return f"2026-{text[:5]}T{text[6:]}:00+08:00"


# Every field of a register record, absent (None, or the field's default): `_rec` fills in the rest.
_BLANK = {f.name: None for f in fields(ReportRecord) if f.default is MISSING} | {"attested": False, "catch_up": False}


def _rec(rid: str, kind: str, received: str, **extra: object) -> ReportRecord:
    rec = {**_BLANK, "id": rid, "kind": kind, "unit": rid.split("-")[0], "title": extra.pop("title", f"报告{rid}"),
           "stage": None, "incident": None, "status": "not_applicable", "delay_minutes": None,
           "deadline_at": None, "received_at": t(received), "created_at": t(received), "path": f"reports/{rid}.yaml",
           "blob": None}
    rec.update(extra)
    return ReportRecord.from_json(rec)


def records() -> list[ReportRecord]:
    return [
        # gaj
        _rec("gaj-20260205-wanghao-01", "info", "02-05 10:00", title="公安局推进平安建设"),
        _rec("gaj-20260210-wanghao-01", "emergency", "02-10 11:30", stage="first", incident="gaj-20260210-wanghao-01",
             status="late", delay_minutes=30, deadline_at=t("02-10 11:00"), title="某路段发生交通事故"),
        _rec("gaj-20260210-wanghao-02", "emergency", "02-10 12:10", stage="followup",
             incident="gaj-20260210-wanghao-01", status="on_time", deadline_at=t("02-10 12:30"), sequence=1,
             title="某路段交通事故续报"),
        _rec("gaj-20260302-wanghao-01", "info", "03-02 09:00", title="公安局经验做法"),
        _rec("gaj-20260315-wanghao-01", "emergency", "03-15 12:45", stage="first", incident="gaj-20260315-wanghao-01",
             status="late", delay_minutes=45, deadline_at=t("03-15 12:00"), title="某商场发生火情"),
        _rec("gaj-20260320-wanghao-01", "opinion", "03-20 16:00", title="网民反映某路口拥堵"),
        # dcq
        _rec("dcq-20260203-lijing-01", "info", "02-03 10:00", title="东城区基层治理调研"),
        _rec("dcq-20260312-lijing-01", "emergency", "03-12 10:00", stage="first", incident="dcq-20260312-lijing-01",
             status="missed", delay_minutes=1500, deadline_at=t("03-11 09:00"), title="东城区某工地坍塌"),
        _rec("dcq-20260402-lijing-01", "info", "04-02 10:00", title="东城区四月动态"),
        # xhq
        _rec("xhq-20260206-chenxue-01", "info", "02-06 10:00", title="西湖区文明创建"),
        _rec("xhq-20260207-chenxue-01", "info", "02-07 10:00", title="西湖区春耕动态"),
        # office records (xxk)
        _rec("xxk-20260215-wangli-01", "adoption", "02-15 18:00", title="采用东城区调研"),
        _rec("xxk-20260220-wangli-01", "adoption", "02-20 18:00", title="省级采用东城区调研"),
        _rec("xxk-20260305-wangli-01", "adoption", "03-05 18:00", title="国家级采用东城区调研"),
        _rec("xxk-20260216-wangli-01", "adoption", "02-16 18:00", title="网站采用西湖区信息"),
        _rec("xxk-20260318-wangli-01", "adoption", "03-18 18:00", title="地市级采用公安局经验"),
        _rec("xxk-20260222-wangli-01", "instruction", "02-22 18:00", title="市委书记批示东城区调研"),
        _rec("xxk-20260325-wangli-01", "notice", "03-25 18:00", title="关于东城区瞒报的认定"),
        _rec("xxk-20260328-wangli-01", "notice", "03-28 18:00", title="关于东城区漏报的认定"),
        _rec("xxk-20260405-wangli-01", "notice", "04-05 18:00", title="关于西湖区谎报的认定"),
    ]


def office_docs() -> dict[str, dict]:
    def adoption(report: str, level: str, when: str, outlet: str) -> dict:
        return {"kind": "adoption", "report": report, "level": level, "adopted_at": t(when), "outlet": outlet}

    return {
        "xxk-20260215-wangli-01": adoption("dcq-20260203-lijing-01", "city", "02-15 15:00", "《江州信息》"),
        "xxk-20260220-wangli-01": adoption("dcq-20260203-lijing-01", "province", "02-20 15:00", "《省委办公厅信息》"),
        "xxk-20260305-wangli-01": adoption("dcq-20260203-lijing-01", "national", "03-05 15:00", "《国务院办公厅信息》"),
        "xxk-20260216-wangli-01": adoption("xhq-20260206-chenxue-01", "own", "02-16 15:00", "江州政务信息网"),
        "xxk-20260318-wangli-01": adoption("gaj-20260302-wanghao-01", "prefecture", "03-18 15:00", "《地市信息交流》"),
        "xxk-20260222-wangli-01": {"kind": "instruction", "report": "dcq-20260203-lijing-01", "leader": "市委书记",
                                   "level": "city", "instructed_at": t("02-22 15:00")},
        "xxk-20260325-wangli-01": {"kind": "notice", "finding": "concealed", "target_unit": "dcq",
                                   "incident": "dcq-20260312-lijing-01", "decided_at": t("03-25 15:00")},
        "xxk-20260328-wangli-01": {"kind": "notice", "finding": "missed", "target_unit": "dcq",
                                   "report": "dcq-20260312-lijing-01", "decided_at": t("03-28 15:00")},
        "xxk-20260405-wangli-01": {"kind": "notice", "finding": "fabricated", "target_unit": "xhq",
                                   "decided_at": t("04-05 15:00")},
    }


def shipped_policy() -> dict:
    return yaml.safe_load((REPO / "config" / "policy.yaml").read_text(encoding="utf-8"))


def second_scheme() -> dict:
    """Another jurisdiction's scheme: other points, quota 1, highest-level adoption only, repeat × 3."""
    policy = copy.deepcopy(shipped_policy())
    policy["scoring"].update({
        "scheme": "another-2026", "title": "另一地2026年度信息考核办法", "monthly_quota": 1,
        "quota_shortfall_points": 3, "adoption_mode": "highest",
        "adoption_points": {"own": 1, "city": 2, "prefecture": 4, "province": 8, "national": 16},
        "instruction_points": {"own": 1, "city": 10, "prefecture": 12, "province": 14, "national": 16},
        "deductions": {"late": 5, "missed": 10, "concealed": 20, "fabricated": 7}, "repeat_multiplier": 3,
        "praise_top": 1})
    return policy


def context(policy: dict | None = None, now: datetime = NOW) -> Context:
    """A portal context over the hand-built records (documents: the office docs)."""
    docs = office_docs()
    return Context(register=Register("HEAD", "0" * 40, now, reports=records()), units=copy.deepcopy(UNITS), staff={},
                   policy=policy or shipped_policy(), city="江州市", now=now, tz=TZ, document=docs.get,
                   commit="0" * 40, extra={"registry_office": "xxk"})


def retitled(report_id: str, title: str) -> Context:
    """The context with one report's title replaced (hostile-input tests)."""
    ctx = context()
    ctx.register.reports = [dataclasses.replace(r, title=title) if r.id == report_id else r
                            for r in ctx.register.reports]
    ctx.reports_by_id[report_id] = next(r for r in ctx.register.reports if r.id == report_id)
    return ctx


def table_rows(markup: str, table_id: str) -> list[list[str]]:
    """The body rows of the HTML table with that id, as cell texts (tags dropped, entities decoded)."""
    block = re.search(rf'<table[^>]*id="{table_id}".*?</table>', markup, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>", 1)[1], re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]
