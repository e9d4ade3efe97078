"""Score tables: a hand-built registry scored under the shipped policy and under a second scheme.

The expected figures below were computed by hand from the policies (see scoring_helpers for what is
planted). Shipped policy (quota 2/month, 1 point per missing item; adoption own 5 / city 10 /
prefecture 20 / province 30 / national 50, every adoption counts; instruction city 5; late 1,
missed 2, concealed 2, fabricated 2; repeat × 2):

  gaj  Feb: late −1                          → −1   Mar: prefecture +20, 2nd late −1×2 → +18
  dcq  Feb: city +10, province +30, 市委书记 +5, 1 of 2 items −1 → +44
       Mar: national +50, missed −2 (the notice joins it), concealed −2, 1 of 2 items −1 → +45
  xhq  Feb: own +5 → +5   Mar: 0 of 2 items −2 → −2   Apr: fabricated −2 (April not over: no quota)
  Q1: dcq 89, gaj 17, xhq 3        year: dcq 89, gaj 17, xhq 1

Second scheme (quota 1, 3 points per missing item; adoption own 1 / city 2 / prefecture 4 /
province 8 / national 16, highest level only; instruction city 10; late 5, missed 10, concealed 20,
fabricated 7; repeat × 3):

  gaj  Feb: late −5   Mar: prefecture +4, 2nd late −5×3 → −11           Q1 −16
  dcq  Feb: city and province superseded (0), 市委书记 +10 → +10
       Mar: national +16, missed −10, concealed −20 → −14             Q1 −4
  xhq  Feb: own +1   Mar: 0 of 1 item −3   Apr: fabricated −7          Q1 −2, year −9
  Q1: xhq 1st, dcq 2nd, gaj 3rd        year: dcq −4, xhq −9, gaj −16
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
import scoring_helpers as h
from baosong.portal import score_pages
from baosong.portal.model import DataFile, HomeBlock, Page
from baosong.scoring import compute_scores, parse_period, period_table

REPO = Path(__file__).resolve().parents[1]


def scores(policy: dict | None = None, reports: list[dict] | None = None, now=h.NOW):
    return compute_scores(reports or h.records(), h.office_docs(), policy or h.shipped_policy(), h.UNITS, now=now,
                          registry_office="xxk")


def table(s, key: str) -> dict:
    return period_table(s, parse_period(key))


def totals(tab: dict) -> dict[str, float]:
    return {r["unit"]: r["total"] for r in tab["rows"]}


def ranks(tab: dict) -> list[tuple[str, int]]:
    return [(r["unit"], r["rank"]) for r in tab["rows"]]


def row(tab: dict, unit: str) -> dict:
    return next(r for r in tab["rows"] if r["unit"] == unit)


# ---- periods ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind", "months", "label"), [
    ("2026", "year", 12, "2026年"),
    ("2026-Q3", "quarter", 3, "2026年第三季度"),
    ("2026-q1", "quarter", 3, "2026年第一季度"),
    ("2026-09", "month", 1, "2026年9月"),
    ("2026-B5", "bimonth", 2, "2026年9—10月"),
])
def test_period_syntax(text, kind, months, label):
    p = parse_period(text)
    assert (p.kind, len(p.months), p.label) == (kind, months, label)


def test_period_months_and_bad_input():
    assert parse_period("2026-B5").months == ("2026-09", "2026-10")
    assert parse_period("2026-Q4").months == ("2026-10", "2026-11", "2026-12")
    for bad in ("2026-13", "2026-Q5", "2026-B7", "26-09", "2026-", "二〇二六", ""):
        with pytest.raises(ValueError, match="统计周期"):
            parse_period(bad)


# ---- the shipped policy -------------------------------------------------------------------------

def test_monthly_tables_by_hand():
    s = scores()
    assert totals(table(s, "2026-02")) == {"dcq": 44, "xhq": 5, "gaj": -1}
    assert totals(table(s, "2026-03")) == {"dcq": 45, "gaj": 18, "xhq": -2}
    april = table(s, "2026-04")
    assert totals(april) == {"dcq": 0, "gaj": 0, "xhq": -2}
    assert not april["complete"] and row(april, "dcq")["shortfall"] == 0  # the month is not over


def test_quarter_and_year_by_hand():
    s = scores()
    q1 = table(s, "2026-Q1")
    assert ranks(q1) == [("dcq", 1), ("gaj", 2), ("xhq", 3)]
    assert totals(q1) == {"dcq": 89, "gaj": 17, "xhq": 3}
    assert totals(table(s, "2026")) == {"dcq": 89, "gaj": 17, "xhq": 1}
    assert totals(table(s, "2026-B2")) == {"dcq": 45, "gaj": 18, "xhq": -4}
    assert "xxk" not in totals(q1)  # the registry office is not ranked
    assert q1["complete"] and q1["months_counted"] == ["2026-02", "2026-03"]


def test_breakdown_by_source():
    q1 = table(scores(), "2026-Q1")
    dcq, gaj, xhq = row(q1, "dcq"), row(q1, "gaj"), row(q1, "xhq")
    assert dcq["adoption_by_level"] == {"own": 0, "city": 10, "prefecture": 0, "province": 30, "national": 50}
    assert dcq["points"] == {"adoption": 90, "instruction": 5, "shortfall": -2, "late": 0, "missed": -2,
                             "concealed": -2, "fabricated": 0}
    assert gaj["points"]["adoption"] == 20 and gaj["points"]["late"] == -3 and gaj["offences"]["late"] == 2
    assert xhq["adoption_by_level"]["own"] == 5 and xhq["points"]["shortfall"] == -2
    # Counts: an emergency counts for the quota once per incident (its first report).
    assert gaj["counts"] == {"emergency": 3, "incidents": 2, "info": 2, "opinion": 1, "quota_items": 5}
    assert (gaj["quota"], gaj["shortfall"]) == (4, 0)
    assert (dcq["counts"]["quota_items"], dcq["quota"], dcq["shortfall"]) == (2, 4, 2)
    assert (xhq["counts"]["quota_items"], xhq["shortfall"]) == (2, 2)


def test_every_point_traceable_to_its_sources():
    s = scores()
    ids = {r.id for r in h.records()}
    for tab in (table(s, "2026"), table(s, "2026-Q1")):
        for r in tab["rows"]:
            assert sum(e["points"] for e in r["entries"]) == r["total"]
            for e in r["entries"]:
                assert e["unit"] == r["unit"]
                if e["type"] == "shortfall":
                    assert set(e["counted_reports"]) <= ids and len(e["counted_reports"]) == e["counted"]
                else:
                    assert {e["report"], *e["records"]} - {None} <= ids and (e["report"] or e["records"])
    by_id = {e["id"]: e for e in s.entries}
    second_late = by_id["late:gaj-20260315-wanghao-01"]
    assert (second_late["occurrence"], second_late["multiplier"], second_late["points"]) == (2, 2, -2)
    assert by_id["late:gaj-20260210-wanghao-01"]["points"] == -1
    # The notice finding the same missed report joins the register's entry instead of charging again.
    missed = by_id["missed:dcq-20260312-lijing-01"]
    assert missed["records"] == ["xxk-20260328-wangli-01"] and missed["points"] == -2
    assert not any(e["id"] == "missed:xxk-20260328-wangli-01" for e in s.entries)
    concealed = by_id["concealed:xxk-20260325-wangli-01"]
    assert (concealed["unit"], concealed["points"], concealed["incident"]) == ("dcq", -2, "dcq-20260312-lijing-01")
    adoption = by_id["adoption:xxk-20260305-wangli-01"]
    assert (adoption["report"], adoption["month"], adoption["points"]) == ("dcq-20260203-lijing-01", "2026-03", 50)
    assert by_id["shortfall:xhq:2026-03"]["counted_reports"] == []
    assert by_id["shortfall:dcq:2026-02"]["counted_reports"] == ["dcq-20260203-lijing-01"]


def test_repeat_multiplier_restarts_each_year():
    reports = h.records()
    late = dataclasses.replace(next(r for r in reports if r.id == "gaj-20260315-wanghao-01"),
                               id="gaj-20270110-wanghao-01", received_at=datetime.fromisoformat("2027-01-10T12:45:00+08:00"),
                               created_at=datetime.fromisoformat("2027-01-10T12:00:00+08:00"))
    s = scores(reports=reports + [late], now=h.NOW.replace(year=2027, month=1, day=20))
    entry = next(e for e in s.entries if e["id"] == "late:gaj-20270110-wanghao-01")
    assert (entry["occurrence"], entry["points"]) == (1, -1)


def test_equal_totals_share_a_rank():
    reports = [r for r in h.records() if r.unit != "gaj" and r.kind != "adoption"]
    s = compute_scores(reports, {}, h.shipped_policy(), h.UNITS, now=h.NOW, registry_office="xxk")
    feb = table(s, "2026-02")
    # Feb without adoptions: gaj 0 of 2 (−2), dcq 1 of 2 (−1), xhq 2 of 2 (0).
    assert ranks(feb) == [("xhq", 1), ("dcq", 2), ("gaj", 3)]
    mar = table(s, "2026-03")
    # Mar: gaj −2 (nothing), dcq missed −2 (its first counts, −1 shortfall → −3), xhq −2.
    assert totals(mar) == {"gaj": -2, "xhq": -2, "dcq": -3}
    assert ranks(mar) == [("gaj", 1), ("xhq", 1), ("dcq", 3)]


# ---- a second scheme ----------------------------------------------------------------------------

def test_second_scheme_decides_the_table():
    s = scores(h.second_scheme())
    assert totals(table(s, "2026-02")) == {"dcq": 10, "xhq": 1, "gaj": -5}
    assert totals(table(s, "2026-03")) == {"dcq": -14, "gaj": -11, "xhq": -3}
    q1 = table(s, "2026-Q1")
    assert ranks(q1) == [("xhq", 1), ("dcq", 2), ("gaj", 3)]
    assert totals(q1) == {"xhq": -2, "dcq": -4, "gaj": -16}
    assert ranks(table(s, "2026")) == [("dcq", 1), ("xhq", 2), ("gaj", 3)]
    assert totals(table(s, "2026")) == {"dcq": -4, "xhq": -9, "gaj": -16}
    dcq = row(q1, "dcq")
    # Highest level only: the national adoption scores, the city and province ones stay at 0.
    assert dcq["adoption_by_level"] == {"own": 0, "city": 0, "prefecture": 0, "province": 0, "national": 16}
    assert dcq["adopted"] == 3 and dcq["quota"] == 2 and dcq["shortfall"] == 0
    superseded = [e for e in s.entries if e.get("superseded_by")]
    assert {e["id"] for e in superseded} == {"adoption:xxk-20260215-wangli-01", "adoption:xxk-20260220-wangli-01"}
    late = next(e for e in s.entries if e["id"] == "late:gaj-20260315-wanghao-01")
    assert (late["multiplier"], late["points"]) == (3, -15)


def test_both_schemes_are_valid_policy_files():
    schema = json.loads((REPO / "schema" / "policy.schema.json").read_text(encoding="utf-8"))
    for policy in (h.shipped_policy(), h.second_scheme()):
        jsonschema.validate(policy, schema)
    broken = h.second_scheme()
    broken["scoring"]["praise_top"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


# ---- the portal's 考核 pages -------------------------------------------------------------------

def provided(ctx) -> tuple[dict[str, Page], dict[str, bytes], list[HomeBlock]]:
    items = list(score_pages.provide(ctx))
    return ({i.path: i for i in items if isinstance(i, Page)}, {i.path: i.data for i in items if isinstance(i, DataFile)},
            [i for i in items if isinstance(i, HomeBlock)])


def test_score_pages_year_breakdown_chart_and_downloads():
    pages, files, blocks = provided(h.context())
    index = pages["scores/index.md"].body
    rows = h.table_rows(index, "scores-2026")
    assert [(r[0], r[1], r[-1]) for r in rows] == [("1", "江州市东城区", "89"), ("2", "江州市公安局", "17"),
                                                 ("3", "江州市西湖区", "1")]
    assert 'href="2026/dcq.html"' in index
    # The chart: inline SVG with Chinese labels, nothing that loads or runs, and the same numbers as a table.
    svg = re.search(r"<svg.*?</svg>", index, re.S).group(0)
    assert "江州市东城区" in svg and "2月" in svg and "<script" not in svg and "http://" not in svg.replace(
        "http://www.w3.org", "")
    chart = {r[0]: r[1:] for r in h.table_rows(index, "scores-chart-2026")}
    assert chart["江州市东城区"] == ["44", "89", "89"] and chart["江州市西湖区"] == ["5", "3", "1"]
    # The unit page links every point to its report and office record.
    dcq = pages["scores/2026/dcq.md"].body
    for target in ("dcq-20260203-lijing-01", "xxk-20260305-wangli-01", "xxk-20260325-wangli-01",
                   "xxk-20260328-wangli-01", "dcq-20260312-lijing-01"):
        assert f'href="../../reports/{target}.html"' in dcq
    ledger = h.table_rows(dcq, "unit-ledger")
    assert sorted(r[2] for r in ledger) == sorted(["+10", "+30", "+5", "-1", "+50", "-2", "-2", "-1"])
    # Per-period tables and their downloads.
    q1 = h.table_rows(pages["scores/2026-Q1.md"].body, "scores-2026-Q1")
    assert [r[-1] for r in q1] == ["89", "17", "3"]
    assert [r[5] for r in q1] == ["2 / 4", "5 / 4", "2 / 4"]  # items counted / quota of February and March
    april = h.table_rows(pages["scores/2026-04.md"].body, "scores-2026-04")
    assert sorted(r[5] for r in april) == ["0 / —", "0 / —", "1 / —"]  # April not over: no quota yet
    assert {"downloads/scores/scores-2026-Q1.xlsx", "downloads/scores/scores-2026-02.csv",
            "downloads/bulletin/bulletin-2026-Q1.json"} <= set(files)
    assert "downloads/bulletin/bulletin-2026-04.csv" not in files  # April is not over: no bulletin
    assert "downloads/scores/scores-2026-02.xlsx" not in files  # monthly workbooks only through baosong export
    assert 'href="../downloads/scores/scores-2026-Q1.xlsx"' in pages["scores/2026-Q1.md"].body
    assert blocks and "江州市东城区" in blocks[0].html


def test_score_pages_escape_report_text():
    pages, _, _ = provided(h.retitled("dcq-20260203-lijing-01", "<script>alert(1)</script>联系电话13812345678"))
    body = pages["scores/2026/dcq.md"].body
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert "13812345678" not in body


def test_sources_outside_the_register_are_named_not_linked():
    ctx = h.context()
    docs = h.office_docs()
    docs["xxk-20260405-wangli-01"]["report"] = "xhq-20260101-ghost-01"
    ctx.document = docs.get
    pages, _, _ = provided(ctx)
    body = pages["scores/2026/xhq.md"].body
    assert "xhq-20260101-ghost-01（不在登记簿中）" in body and "ghost-01.html" not in body
    assert 'href="../../reports/xxk-20260405-wangli-01.html"' in body  # the notice itself is linked
