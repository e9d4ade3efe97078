"""Bulletins: the portal's 通报 pages and printable pages for the hand-built registry of scoring_helpers.

At NOW (10 April 2026) the finished periods are February, March, Jan–Feb (B1) and the first quarter.
Issue dates: the first working day at least three days after the period's last day — 3 March for February and
B1 (numbers 1 and 2 of 2026), 3 April for March and Q1 (numbers 3 and 4).
Q1 under the shipped policy (hand-computed in test_scoring.py): dcq 89, gaj 17, xhq 3.
"""

from __future__ import annotations

import html
import re

import scoring_helpers as h
from baosong.portal import bulletin_pages
from baosong.portal.model import DataFile, HomeBlock, Page


def provided(ctx) -> tuple[dict[str, Page], dict[str, bytes], list[HomeBlock]]:
    items = list(bulletin_pages.provide(ctx))
    return ({i.path: i for i in items if isinstance(i, Page)}, {i.path: i.data for i in items if isinstance(i, DataFile)},
            [i for i in items if isinstance(i, HomeBlock)])


def text(markup: str) -> str:
    """The visible text of a page: tags dropped, entities decoded, one paragraph per line."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", "", markup, flags=re.S)
    markup = re.sub(r"</(p|h\d|tr|li|div)>|<br>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def paragraphs(markup: str) -> list[str]:
    return [line.strip() for line in text(markup).splitlines() if line.strip()]


def test_quarterly_adoption_bulletin_page():
    pages, _, _ = provided(h.context())
    page = pages["bulletins/2026-Q1.md"]
    assert page.title == "关于2026年第一季度信息采用情况的通报"
    lines = paragraphs(page.body)
    assert lines[0] == "关于2026年第一季度信息采用情况的通报"
    assert "（2026年第4期）" in lines
    assert "各县（市、区），市直各部门，各局属单位：" in lines
    headings = [line for line in lines if re.match(r"^[一二三四五六七八九十]、", line)]
    assert headings == ["一、基本情况", "二、积分排名", "三、通报表扬", "四、通报批评", "五、有关要求"]
    # Figures: Q1 had 4 emergency reports (3 incidents), 5 info items, 1 opinion, 5 adoptions, 1 instruction.
    overview = lines[lines.index("一、基本情况") + 1]
    assert "紧急信息4份（涉及事件3起）、政务信息5条、网络舆情1条" in overview
    assert "被各级采用5条次（其中国家级1条次、省级1条次、地市级1条次、市级1条次、本单位1条次）" in overview
    assert "获领导批示1次" in overview and "迟报2份、漏报1份" in overview and "瞒报1次、谎报0次" in overview
    # The ranking table, with the hand-computed totals.
    ranking = h.table_rows(page.body, "bulletin-ranking")
    assert [(r[0], r[1], r[-1]) for r in ranking] == [("1", "江州市东城区", "89"), ("2", "江州市公安局", "17"),
                                                    ("3", "江州市西湖区", "3")]
    # The sober ending: issuing office and date line.
    assert lines.index("江州市委办公室信息科") > lines.index("五、有关要求")
    assert "2026年4月3日" in lines


def test_praised_and_criticised_lists():
    pages, _, _ = provided(h.context())
    lines = paragraphs(pages["bulletins/2026-Q1.md"].body)
    praise = lines[lines.index("三、通报表扬") + 1: lines.index("四、通报批评")]
    assert praise[0] == "（一）积分排名靠前的单位"
    assert praise[1] == "1．江州市东城区、江州市公安局、江州市西湖区2026年第一季度积分位列前三名，予以通报表扬。"
    assert "1．江州市东城区报送的《东城区基层治理调研》获市委书记批示。" in praise
    assert "（三）被省级以上采用的信息" in praise
    assert sum("《东城区基层治理调研》被" in p for p in praise) == 2   # province and national
    blame = lines[lines.index("四、通报批评") + 1: lines.index("五、有关要求")]
    reports = [p for p in blame if re.match(r"^\d+．", p) and "报送的《" in p or "存在瞒报问题" in p]
    assert len(reports) == 4   # every late and missed report, and the concealment
    assert any("江州市公安局报送的《某路段发生交通事故》（gaj-20260210-wanghao-01）应于2月10日11时00分前报送，"
               "实际于2月10日11时30分送达，超过时限30分钟，属于迟报，扣1分" in p for p in reports)
    assert any("《某商场发生火情》" in p and "超过时限45分钟" in p and "扣2分（本年度第2次迟报，按2倍扣分）" in p
               for p in reports)
    assert any("江州市东城区报送的《东城区某工地坍塌》" in p and "超过时限1天1小时" in p and "属于漏报，扣2分" in p
               for p in reports)
    assert any(p.startswith("4．江州市东城区对事件（dcq-20260312-lijing-01）存在瞒报问题") for p in reports)
    assert "1．江州市东城区：2月报送1条（少报1条）、3月报送1条（少报1条），扣2分。" in blame
    assert "2．江州市西湖区：3月报送0条（少报2条），扣2分。" in blame
    assert not any("江州市公安局：" in p for p in blame)  # gaj met its quota
    # The appendix links every item to its report and office record.
    rows = h.table_rows(pages["bulletins/2026-Q1.md"].body, "bulletin-criticised")
    assert [(r[0], r[1], r[5], r[6]) for r in rows] == [
        ("江州市公安局", "迟报", "30分钟", "-1"), ("江州市东城区", "漏报", "1天1小时", "-2"),
        ("江州市公安局", "迟报", "45分钟", "-2"), ("江州市东城区", "瞒报", "—", "-2")]
    body = pages["bulletins/2026-Q1.md"].body
    assert 'href="../reports/dcq-20260312-lijing-01.html"' in body
    assert 'href="../reports/xxk-20260328-wangli-01.html"' in body  # the notice behind the missed report


def test_monthly_and_ranking_bulletins():
    pages, _, _ = provided(h.context())
    feb = pages["bulletins/2026-02.md"]
    assert feb.title == "关于2026年2月份信息报送情况的通报"
    assert [(r[1], r[-1]) for r in h.table_rows(feb.body, "bulletin-ranking")] == [
        ("江州市东城区", "44"), ("江州市西湖区", "5"), ("江州市公安局", "-1")]
    lines = paragraphs(feb.body)
    assert "（2026年第1期）" in lines and "2026年3月3日" in lines
    # Only positive totals are praised; the month's only late report is criticised.
    assert "1．江州市东城区、江州市西湖区2026年2月积分位列前二名，予以通报表扬。" in lines
    blame = lines[lines.index("四、通报批评") + 1: lines.index("五、有关要求")]
    assert sum("属于迟报" in p for p in blame) == 1
    b1 = pages["bulletins/2026-B1.md"]
    assert b1.title == "关于2026年1—2月信息报送工作排名情况的通报"
    assert "（2026年第2期）" in paragraphs(b1.body)
    assert "bulletins/2026-B2.md" not in pages and "bulletins/2026-04.md" not in pages  # not over yet
    march = paragraphs(pages["bulletins/2026-03.md"].body)
    # A monthly summary lists instructions but not the province/national adoptions (the quarter does).
    assert "（三）被省级以上采用的信息" not in march


def test_second_scheme_changes_the_bulletin():
    pages, _, _ = provided(h.context(h.second_scheme()))
    page = pages["bulletins/2026-Q1.md"]
    assert [(r[1], r[-1]) for r in h.table_rows(page.body, "bulletin-ranking")] == [
        ("江州市西湖区", "-2"), ("江州市东城区", "-4"), ("江州市公安局", "-16")]
    lines = paragraphs(page.body)
    assert "（一）积分排名靠前的单位" not in lines   # nobody scored above zero
    assert any("《东城区基层治理调研》获市委书记批示" in p for p in lines)
    assert any("按另一地2026年度信息考核办法" in p or "《另一地2026年度信息考核办法》" in p for p in lines)
    assert any("扣15分（本年度第2次迟报，按3倍扣分）" in p for p in lines)


def test_index_archives_and_home_block():
    pages, _, blocks = provided(h.context())
    index = pages["bulletins/index.md"]
    listed = [r[2] for r in h.table_rows(index.body, "bulletins-all")]
    assert listed == ["关于2026年第一季度信息采用情况的通报", "关于2026年3月份信息报送情况的通报",
                      "关于2026年1—2月信息报送工作排名情况的通报", "关于2026年2月份信息报送情况的通报"]
    assert [r[1] for r in h.table_rows(index.body, "bulletins-all")] == ["2026年第4期", "2026年第3期", "2026年第2期",
                                                                        "2026年第1期"]
    year = pages["bulletins/2026.md"]
    assert (year.nav_group, year.nav_title) == ("按年度", "2026年")
    assert "## 月度通报" in year.body and "## 采用情况通报" in year.body
    months = pages["bulletins/category-month.md"]
    assert [r[2] for r in h.table_rows(months.body, "bulletins-month")] == ["关于2026年3月份信息报送情况的通报",
                                                                          "关于2026年2月份信息报送情况的通报"]
    assert all(not pages[f"bulletins/{k}.md"].nav for k in ("2026-Q1", "2026-02"))
    home = next(b for b in blocks if b.key == "bulletins")
    assert "关于2026年第一季度信息采用情况的通报" in home.html


def test_printable_page_is_standalone():
    _, files, _ = provided(h.context())
    page = files["bulletins/print/2026-Q1.html"].decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and "@media print" in page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert not re.search(r"url\(|@import", page)
    lines = paragraphs(page)
    assert lines[2] == "关于2026年第一季度信息采用情况的通报" and lines[-2:] == ["江州市委办公室信息科", "2026年4月3日"]
    assert "四、通报批评" in lines
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[1], re.S)
    assert [re.sub(r"<[^>]+>", "|", r).strip("|").split("|")[0] for r in rows] == ["1", "2", "3"]
    assert 'href="../2026-Q1.html"' in page  # back to the portal page


def test_bulletins_escape_and_mask_report_text():
    pages, files, _ = provided(h.retitled("gaj-20260210-wanghao-01", "<img src=x onerror=alert(1)>事故 联系人13812345678"))
    for markup in (pages["bulletins/2026-Q1.md"].body, files["bulletins/print/2026-Q1.html"].decode("utf-8")):
        assert "<img" not in markup and "&lt;img src=x" in markup
        assert "13812345678" not in markup and "联系人138****5678" in html.unescape(markup)


def test_second_missed_follow_up_of_a_year_is_worded_with_its_kind():
    """A missed follow-up that is a unit's second offence names the offence in the repeat clause
    (it raised UnboundLocalError: the follow-up branch never set the offence's name)."""
    from datetime import datetime, timedelta, timezone

    from baosong.bulletins import criticism_text
    from baosong.exports import context_scores

    scores = context_scores(h.context())
    item = {"type": "missed", "followup": 2, "name": "江州市东城区", "incident": "dcq-20260312-lijing-01",
            "deadline_at": datetime(2026, 3, 13, 10, 0, tzinfo=timezone(timedelta(hours=8))),
            "points": -4, "occurrence": 2, "multiplier": 2}
    text = criticism_text(scores, item)
    assert text.startswith("江州市东城区对事件（dcq-20260312-lijing-01）的第2次续报应于3月13日10时00分前报送")
    assert text.endswith("扣4分（本年度第2次漏报，按2倍扣分）。")
