"""约稿 and 重要时段 in the ledger: hand-computed under the shipped policy and under a second scheme.

The inputs are the register's typed records (requests and duty periods from duties.py); every point is traced to the request or duty period behind it.
"""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest
from baosong.duties import DutyDay, DutyPeriodRecord, RequestRecord, RequestUnit
from baosong.records import ReportRecord
from baosong.register import Register
from baosong.scoring import DUTY_TYPES, compute_scores, parse_period, period_table, table_json

from tests import scoring_helpers as h
from tests.scoring_helpers import _rec, t

R1, R2, R3 = "xxk-20260301-wangli-01", "xxk-20260302-wangli-01", "xxk-20260303-wangli-01"
PERIOD = "xxk-20260225-wangli-01"
A, B, C, G1 = "dcq-20260310-lijing-01", "gaj-20260310-wanghao-01", "dcq-20260319-lijing-01", "gaj-20260205-wanghao-01"
DECLINE, REJECTION = "gaj-20260305-wanghao-01", "xxk-20260306-wangli-01"


def unit(code: str, status: str, report: str | None = None, received: str | None = None,
         declines: tuple[str, ...] = (), rejected: tuple[str, ...] = ()) -> RequestUnit:
    return RequestUnit(code, status, report, dt(t(received)) if received else None, declines, rejected)


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


REQUESTS = [
    RequestRecord(R1, "约稿一", "xxk", dt(t("03-10 17:00")), None, None, (
        unit("gaj", "late", B, "03-10 17:01"), unit("dcq", "on_time", A, "03-10 17:00"),
        unit("xhq", "declined", "xhq-20260305-chenxue-01", "03-05 10:00"))),
    RequestRecord(R2, "约稿二", "xxk", dt(t("03-20 17:00")), 5, None, (
        unit("gaj", "missing", declines=(DECLINE,), rejected=(REJECTION,)), unit("dcq", "on_time", C, "03-19 09:00"),
        unit("xhq", "missing"))),
    RequestRecord(R3, "约稿三", "xxk", dt(t("04-05 17:00")), None, None, (unit("gaj", "missing"),)),
]
DAY = date(2026, 3, 1)
PERIODS = [DutyPeriodRecord(PERIOD, "春节", "xxk", DAY, DAY, "16:00", True, ("gaj", "dcq", "xhq"), (
    DutyDay(DAY, "gaj", "missing", dt(t("03-01 16:00"))),
    DutyDay(DAY, "dcq", "late", dt(t("03-01 16:00")), "dcq-20260301-lijing-01", dt(t("03-01 16:30"))),
    DutyDay(DAY, "xhq", "zero", dt(t("03-01 16:00")), "xhq-20260301-chenxue-01", dt(t("03-01 09:00")))))]


def records() -> list[ReportRecord]:
    return [_rec(G1, "info", "02-05 10:00"), _rec(A, "info", "03-10 17:00"), _rec(B, "info", "03-10 17:01"),
            _rec(C, "info", "03-19 09:00"),
            _rec("xxk-20260315-wangli-01", "adoption", "03-15 10:00"),
            _rec("xxk-20260220-wangli-01", "adoption", "02-20 10:00"),
            _rec("xxk-20260225-wangli-02", "adoption", "02-25 10:00"),
            _rec(REJECTION, "notice", "03-06 09:00")]


def office_docs() -> dict[str, dict]:
    def adoption(report: str, level: str, when: str) -> dict:
        return {"kind": "adoption", "report": report, "level": level, "adopted_at": t(when), "outlet": "《江州信息》"}

    return {"xxk-20260315-wangli-01": adoption(A, "city", "03-15 10:00"),
            "xxk-20260220-wangli-01": adoption(G1, "national", "02-20 10:00"),
            "xxk-20260225-wangli-02": adoption(G1, "province", "02-25 10:00"),
            REJECTION: {"kind": "notice", "finding": "reason_rejected", "target_unit": "gaj", "report": DECLINE,
                        "decided_at": t("03-06 09:00"), "body": "理由不成立。"}}


def scores(policy: dict):
    policy = copy.deepcopy(policy)
    policy["scoring"]["monthly_quota"] = 0  # quotas are tested elsewhere; here only duties and adoptions
    return compute_scores(records(), office_docs(), policy, h.UNITS, now=h.NOW, registry_office="xxk",
                          requests=REQUESTS, duty_periods=PERIODS)


def second_scheme() -> dict:
    policy = h.second_scheme()
    policy["scoring"]["requests"] = {"answered": 1, "missing": 5, "zero_year_after": 2}
    policy["scoring"]["duty"] = {"missing": 3}
    return policy


def duty_entries(s, unit: str) -> list[tuple[str, str, float]]:
    return [(e["type"], e["id"], e["points"]) for e in s.entries if e["unit"] == unit and e["type"] in DUTY_TYPES]


def year_row(s, code: str) -> dict:
    tab = period_table(s, parse_period("2026"))
    return next(r for r in tab["rows"] if r["unit"] == code)


def test_shipped_policy_points_for_requests_and_daily_reports():
    s = scores(h.shipped_policy())
    # requests: answered 2 (the request's own points win when on time), late 1, adopted +3, missing -2.
    assert duty_entries(s, "dcq") == [
        ("daily_late", f"daily_late:{PERIOD}:dcq:2026-03-01", -0.5),
        ("request", f"request:{R1}:dcq", 2.0),
        ("request_adopted", f"request_adopted:{R1}:dcq", 3.0),
        ("request", f"request:{R2}:dcq", 5.0)]
    assert duty_entries(s, "gaj") == [
        ("daily_missing", f"daily_missing:{PERIOD}:gaj:2026-03-01", -1.0),
        ("request", f"request:{R1}:gaj", 1.0),
        ("request_missing", f"request_missing:{R2}:gaj", -2.0),
        ("request_missing", f"request_missing:{R3}:gaj", -2.0)]
    # A declined request and a zero report cost nothing.
    assert duty_entries(s, "xhq") == [("request_missing", f"request_missing:{R2}:xhq", -2.0)]
    dcq, gaj = year_row(s, "dcq"), year_row(s, "gaj")
    assert dcq["duties"] == {"request": 7, "request_adopted": 3, "request_missing": 0, "request_zeroed": 0,
                             "daily_late": -0.5, "daily_missing": 0}
    # Totals: dcq city adoption 10 + 9.5; gaj national 50 + province 30 (sum mode) - 4; no zeroing rule.
    assert dcq["total"] == 19.5 and gaj["total"] == 76
    # Traceable: the missing entry names the request, the rejected decline and the rejecting notice.
    missing = next(e for e in s.entries if e["id"] == f"request_missing:{R2}:gaj")
    assert missing["records"] == [R2, DECLINE, REJECTION] and missing["date"].isoformat() == t("03-20 17:00")
    adopted = next(e for e in s.entries if e["id"] == f"request_adopted:{R1}:dcq")
    assert adopted["report"] == A and adopted["records"] == [R1, "xxk-20260315-wangli-01"]
    # The notice rejecting a decline is not an unknown finding.
    assert all(u["record"] != REJECTION for u in s.unattributed)


def test_second_scheme_zeroes_the_year_at_the_second_unanswered_request():
    s = scores(second_scheme())
    # gaj: national adoption 16 (highest mode: province not scored) + late answer 0 - 5 - 3 - 5 = 3,
    # then the second unanswered request (R3, 04-05) zeroes the year: -3.
    assert duty_entries(s, "gaj") == [
        ("daily_missing", f"daily_missing:{PERIOD}:gaj:2026-03-01", -3.0),
        ("request", f"request:{R1}:gaj", 0.0),
        ("request_missing", f"request_missing:{R2}:gaj", -5.0),
        ("request_missing", f"request_missing:{R3}:gaj", -5.0),
        ("request_zeroed", "request_zeroed:gaj:2026", -3.0)]
    zeroed = next(e for e in s.entries if e["type"] == "request_zeroed")
    assert zeroed["records"] == [R2, R3] and zeroed["date"].isoformat() == t("04-05 17:00")
    assert year_row(s, "gaj")["total"] == 0
    # dcq: city adoption 2 + answered 1 + own points 5; no adopted bonus, no daily late rule in this scheme.
    assert duty_entries(s, "dcq") == [("request", f"request:{R1}:dcq", 1.0), ("request", f"request:{R2}:dcq", 5.0)]
    assert year_row(s, "dcq")["total"] == 8
    # xhq: one unanswered request is not two.
    assert duty_entries(s, "xhq") == [("request_missing", f"request_missing:{R2}:xhq", -5.0)]
    text = table_json(period_table(s, parse_period("2026")), {"city": "市级"})
    row = next(r for r in text["rows"] if r["unit"] == "gaj")
    assert any(e["text"] == "本年度第 2 次约稿未报送，按规定全年积分清零" for e in row["entries"])


@pytest.mark.parametrize("policy", [h.shipped_policy(), second_scheme()], ids=["shipped", "second"])
def test_without_duty_sections_nothing_is_charged(policy):
    policy = copy.deepcopy(policy)
    del policy["scoring"]["requests"], policy["scoring"]["duty"]
    s = scores(policy)
    assert not [e for e in s.entries if e["type"] in DUTY_TYPES]


def test_month_bulletin_summarises_requests_and_duty_periods():
    from baosong.bulletins import bulletin

    s = scores(h.shipped_policy())
    b = bulletin(s, parse_period("2026-03"), issuer="江州市委办公室信息科")
    text = "\n".join(p for sec in b["sections"] for p in sec["paragraphs"])
    # March: R1 answered by dcq (on time) and gaj (late), R2 by dcq; R2 unanswered by gaj and xhq;
    # on 1 March dcq's daily report came late and gaj's never came.
    assert "办公室约稿各单位完成3份次（其中逾期1份次），逾期未报送2份次。" in text
    assert "重要时段每日报告迟报1次、未报1次。" in text
    assert f"江州市公安局对办公室约稿《{R2}》（{R2}）逾期未报送，所述不能落实的理由未被认可，扣2分。" in text
    assert f"江州市西湖区对办公室约稿《{R2}》（{R2}）逾期未报送，扣2分。" in text
    assert f"江州市公安局在重要时段《{PERIOD}》期间2026-03-01未按时报送每日报告（含零报告），扣1分。" in text
    # February had none of it: no sentence at all.
    feb = bulletin(s, parse_period("2026-02"), issuer="江州市委办公室信息科")
    assert "约稿" not in "\n".join(p for sec in feb["sections"] for p in sec["paragraphs"])


def test_score_pages_show_the_duties_column_and_ledger():
    from baosong.portal import score_pages
    from baosong.portal.model import Context, Page

    policy = copy.deepcopy(h.shipped_policy())
    policy["scoring"]["monthly_quota"] = 0
    docs = office_docs()
    ctx = Context(register=Register("HEAD", "0" * 40, h.NOW, reports=records(), requests=REQUESTS, duty_periods=PERIODS),
                  units=copy.deepcopy(h.UNITS), staff={}, policy=policy, city="江州市", now=h.NOW, tz=h.TZ,
                  document=docs.get, commit="0" * 40, extra={"registry_office": "xxk"})
    pages = {i.path: i for i in score_pages.provide(ctx) if isinstance(i, Page)}
    index = pages["scores/index.md"].body
    assert "约稿与重要时段</th>" in index
    rows = {r[1]: r for r in h.table_rows(index, "scores-2026")}
    # The column before the total: dcq 9.5 (see above), gaj -4, xhq -2; totals 19.5, 76, -2.
    assert (rows["江州市东城区"][-2], rows["江州市东城区"][-1]) == ("9.5", "19.5")
    assert (rows["江州市公安局"][-2], rows["江州市公安局"][-1]) == ("-4", "76")
    assert (rows["江州市西湖区"][-2], rows["江州市西湖区"][-1]) == ("-2", "-2")
    ledger = h.table_rows(pages["scores/2026/gaj.md"].body, "unit-ledger")
    assert ledger[[r[3] for r in ledger].index(
        "约稿逾期未报送（不能落实的理由未被认可）")][1:4] == ["约稿未报", "-2", "约稿逾期未报送（不能落实的理由未被认可）"]
