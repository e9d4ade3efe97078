"""考核: score tables from `scoring.py` — the current year with each unit's breakdown (every point
linked to the report and office record behind it), a table per period (month, bimonth, quarter,
year), a chart of each unit's running score over the year (inline SVG, numbers also as a table), and
the score and bulletin export files (`exports.py`, the same bytes as `baosong export`) as downloads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pygal

from baosong.exports import context_bulletins, context_scores, export_bytes, file_name
from baosong.portal.charts import STYLE, svg
from baosong.portal.common import report_page, unit_page
from baosong.portal.html import Cell, cell, esc, link, rel, slug, table
from baosong.portal.model import Context, DataFile, HomeBlock, Item, Page
from baosong.scoring import (
    FINDINGS,
    TYPE_ZH,
    Period,
    Scores,
    cumulative_by_month,
    entry_text,
    fmt_points,
    period_table,
)
from baosong.vocab import LEVEL_ZH, PERIOD_ZH

FORMAT_ZH = {"xlsx": "Excel 工作簿", "csv": "CSV（UTF-8 带 BOM）", "json": "JSON"}
DOWNLOAD_FORMATS = ("xlsx", "csv", "json")
# Every score workbook repeats the period's ledger (sheet 计分明细): months and bimonths are offered as
# CSV and JSON only, so the build writes each ledger entry into two workbooks instead of four.
XLSX_SCORE_KINDS = ("quarter", "year")


def download_formats(what: str, period: Period) -> tuple[str, ...]:
    if what == "scores" and period.kind not in XLSX_SCORE_KINDS:
        return tuple(f for f in DOWNLOAD_FORMATS if f != "xlsx")
    return DOWNLOAD_FORMATS
DOWNLOADS_PAGE = "downloads/scores.md"


def period_page(key: str) -> str:
    return f"scores/{key}.md"


def unit_scores_page(year: int, code: str) -> str:
    return f"scores/{year}/{slug(code)}.md"


def bulletin_page(key: str) -> str:
    return f"bulletins/{key}.md"


def download_path(what: str, period: Period, fmt: str) -> str:
    return f"downloads/{what}/{file_name(what, period, fmt)}"


def points_cell(value: float, signed: bool = False) -> Cell:
    return cell(fmt_points(value, signed) if value else "0", f"{value + 100000:012.2f}")


def deduction_kinds(scores: Scores) -> list[str]:
    """The findings the policy deducts for (its `deductions` keys), in the usual order."""
    return [k for k in FINDINGS if k in scores.rules.get("deductions", {})]


def has_duties(scores: Scores) -> bool:
    """Whether the scheme scores 约稿 or 重要时段 (policy `scoring.requests` / `scoring.duty`): one more column."""
    return scores.has_duties


def quota_text(tab: dict, row: dict) -> str:
    """"5 / 4": items counted / the quota of the months already over ("—": no quota or none over yet)."""
    due = row["quota"] if row["quota"] is not None and tab["months_counted"] else "—"
    return f"{row['counts']['quota_items']} / {due}"


def ranking_html(ctx: Context, scores: Scores, tab: dict, page: str, *, table_id: str, unit_links: bool = True) -> str:
    """The ranked table of a period: counts, points by source, total; units link to their breakdown."""
    year = tab["period"].year
    findings = deduction_kinds(scores)
    headers = (["排名", "单位", "紧急信息（份）", "政务信息（条）", "网络舆情（条）", "计入任务 / 任务（条）",
                "采用（条次）", "采用加分", "批示加分", "任务缺额扣分"] + [f"{TYPE_ZH[k]}扣分" for k in findings]
               + (["约稿与重要时段"] if has_duties(scores) else []) + ["合计"])
    rows = []
    for r in tab["rows"]:
        c, p = r["counts"], r["points"]
        name_html = link(page, unit_scores_page(year, r["unit"]), r["name"]) if unit_links else esc(r["name"])
        name = Cell(f'<span style="white-space:nowrap">{name_html}</span>', r["unit"])
        quota = quota_text(tab, r)
        rows.append([cell(r["rank"], f"{r['rank']:05d}"), name, cell(c["emergency"], f"{c['emergency']:07d}"),
                     cell(c["info"], f"{c['info']:07d}"), cell(c["opinion"], f"{c['opinion']:07d}"),
                     cell(quota, f"{c['quota_items']:07d}"), cell(r["adopted"], f"{r['adopted']:07d}"),
                     points_cell(p["adoption"]), points_cell(p["instruction"]), points_cell(p["shortfall"])]
                    + [points_cell(p[k]) for k in findings]
                    + ([points_cell(sum(r["duties"].values()))] if has_duties(scores) else [])
                    + [Cell(f"<strong>{esc(fmt_points(r['total']))}</strong>", f"{r['total'] + 100000:012.2f}")])
    return table(headers, rows, table_id=table_id, numeric=[0] + list(range(2, len(headers))), search=False)


def _downloads_line(page: str, what: str, period: Period) -> str:
    links = [f'<a href="{esc(rel(page, download_path(what, period, fmt)))}" download>{esc(FORMAT_ZH[fmt])}</a>'
             for fmt in download_formats(what, period)]
    return "、".join(links)


def _period_status(scores: Scores, period: Period) -> str:
    return "已结束" if scores.complete(period) else f"进行中（截至{scores.now.month}月{scores.now.day}日）"


def _scheme_line(scores: Scores) -> str:
    rules = scores.rules
    return (f"计分依据：<strong>{esc(rules.get('title', ''))}</strong>（{esc(rules.get('source', ''))}）。"
            f"每月报送任务 {esc(rules.get('monthly_quota', 0))} 条，每少报一条扣 "
            f"{esc(fmt_points(rules.get('quota_shortfall_points', 0)))} 分；本月任务在月末后计算缺额。")


# ------------------------------------------------------------------------------------------------
# Pages


def provide(ctx: Context) -> Iterator[Item]:
    scores = context_scores(ctx)
    if not scores.rules:
        yield Page("scores/index.md", "考核", "<h1>考核</h1>\n\n<p class=\"bs-empty\">config/policy.yaml 中没有计分办法。</p>",
                   "scores", nav_title="考核总览")
        return
    bulletins = {b["key"]: b for b in context_bulletins(ctx)}
    periods = scores.periods()
    tables = {p.key: period_table(scores, p) for p in periods}
    years = sorted({p.year for p in periods})
    current = ctx.now.year if ctx.now.year in years else (years[-1] if years else ctx.now.year)
    for p in periods:
        yield _period_page(ctx, scores, tables[p.key], bulletins.get(p.key))
    for year in years:
        year_table = tables.get(Period("year", year).key) or period_table(scores, Period("year", year))
        for r in year_table["rows"]:
            yield _unit_page(ctx, scores, year, r, [p for p in periods if p.year == year and p.kind != "year"],
                             tables)
    yield _index(ctx, scores, current, periods, tables, bulletins)
    yield from _downloads(ctx, scores, periods, bulletins)
    year_rows = (tables.get(Period("year", current).key) or {}).get("rows", [])
    if year_rows:
        top = "".join(f"<li>第{r['rank']}名 {link('index.md', unit_scores_page(current, r['unit']), r['name'])}"
                      f"：{esc(fmt_points(r['total']))} 分</li>" for r in year_rows[:5])
        yield HomeBlock("scores", f"{current}年考核积分前五名",
                        f'<ol class="bs-top">{top}</ol><p>{link("index.md", "scores/index.md", "查看全部单位积分和明细")}</p>',
                        order=80)


def _index(ctx: Context, scores: Scores, year: int, periods: list[Period], tables: dict[str, dict],
           bulletins: dict[str, dict]) -> Page:
    path = "scores/index.md"
    year_period = Period("year", year)
    tab = tables.get(year_period.key) or period_table(scores, year_period)
    body = [f"<h1>{year}年考核积分</h1>",
            f'<p class="bs-lead">{_scheme_line(scores)}数据截至 {esc(f"{ctx.now:%Y-%m-%d %H:%M}")}。'
            "点击单位名称查看每一分的来源（报告和登记机关记录）。</p>",
            f"## {year}年积分排名",
            ranking_html(ctx, scores, tab, path, table_id=f"scores-{year}"),
            f"<p>下载本年度积分表：{_downloads_line(path, 'scores', year_period)}</p>",
            f"## {year}年各单位积分走势", *_chart(ctx, scores, year),
            "## 各统计周期"]
    rows = []
    for p in sorted(periods, key=Period.sort_key):
        if p.year != year:
            continue
        b = bulletins.get(p.key)
        leader = tables[p.key]["rows"][0] if tables[p.key]["rows"] else None
        rows.append([cell(PERIOD_ZH.get(p.kind, p.kind), str(["month", "bimonth", "quarter", "year"].index(p.kind))),
                     Cell(link(path, period_page(p.key), p.label), p.key), cell(_period_status(scores, p)),
                     cell(leader["name"] if leader and leader["total"] else "—"),
                     Cell(link(path, bulletin_page(p.key), b["title"]) if b else "—")])
    body.append(table(["周期", "积分表", "状态", "第一名", "通报"], rows, table_id="score-periods", filterable=True))
    others = sorted({p.year for p in periods if p.year != year}, reverse=True)
    if others:
        body.append("## 往年")
        body.append("<ul>" + "".join(f"<li>{link(path, period_page(str(y)), f'{y}年积分表')}</li>" for y in others)
                    + "</ul>")
    return Page(path, "考核", "\n\n".join(body), "scores", nav_title="考核总览", order=("", 0), wide=True)


def _chart(ctx: Context, scores: Scores, year: int) -> list[str]:
    series = cumulative_by_month(scores, year)
    months = [m for m in scores.months if m.startswith(f"{year}-")]
    if not months:
        return ['<p class="bs-empty">本年度尚无数据。</p>']
    config = {"js": [], "disable_xml_declaration": True, "style": STYLE, "truncate_label": -1, "truncate_legend": -1,
              "width": 960, "height": 460 + 18 * ((len(series) + 3) // 4), "legend_at_bottom": True,
              "legend_at_bottom_columns": 4, "title": f"{year}年各单位累计积分（分）", "show_dots": True,
              "x_label_rotation": 0}
    chart = pygal.Line(**config)
    chart.x_labels = [f"{int(m[5:])}月" for m in months]
    for unit in scores.units:
        chart.add(scores.name(unit), series[unit])
    headers = ["单位"] + [f"{int(m[5:])}月" for m in months]
    rows = [[cell(scores.name(u))] + [points_cell(v) for v in series[u]] for u in scores.units]
    return [f'<div class="bs-chart">{svg(chart, f"scores-{year}")}</div>',
            '<p class="bs-note">下表为同样的数字：各单位截至每月末的累计积分。</p>',
            table(headers, rows, table_id=f"scores-chart-{year}", numeric=range(1, len(headers)), search=False)]


def _period_page(ctx: Context, scores: Scores, tab: dict, b: dict | None) -> Page:
    p: Period = tab["period"]
    path = period_page(p.key)
    months = "、".join(f"{int(m[5:])}月" for m in tab["months_counted"]) or "无"
    body = [f"<h1>{esc(p.label)}考核积分</h1>",
            f'<p class="bs-lead">{esc(PERIOD_ZH.get(p.kind, p.kind))}积分表，{esc(_period_status(scores, p))}。'
            f"已计算任务缺额的月份：{esc(months)}。{_scheme_line(scores)}</p>",
            ranking_html(ctx, scores, tab, path, table_id=f"scores-{p.key}"),
            f"<p>下载：{_downloads_line(path, 'scores', p)}"
            + (f"；本期通报：{link(path, bulletin_page(p.key), b['title'])}" if b else "") + "</p>",
            f"<p>{link(path, 'scores/index.md', '返回考核总览')}</p>"]
    nav = p.kind in ("year", "quarter")
    return Page(path, f"{p.label}考核积分", "\n\n".join(body), "scores", nav=nav,
                nav_title="全年" if p.kind == "year" else p.label[5:], nav_group=f"{p.year}年",
                order=(p.year, Period.sort_key(p)), search=False, wide=True)


def report_link(ctx: Context, page: str, report_id: str, text: str) -> str:
    """A link to a report's page; plain text for an id the register does not hold (no page to go to)."""
    if report_id in ctx.reports_by_id:
        return link(page, report_page(report_id), text)
    return esc(text) + "（不在登记簿中）"


def sources_html(ctx: Context, page: str, titles: dict[str, str], item: dict) -> str:
    """The report and office records behind a ledger entry or bulletin item, linked."""
    parts = []
    if item.get("report"):
        rid = item["report"]
        parts.append(report_link(ctx, page, rid, f"{titles[rid]}（{rid}）" if rid in titles else rid))
    elif item.get("followup") and item.get("incident"):
        parts.append(f"事件 {report_link(ctx, page, item['incident'], item['incident'])} "
                     f"第{int(item['followup'])}次续报（未报送）")
    parts += ["登记机关记录 " + report_link(ctx, page, rid, rid) for rid in item.get("records", [])
              if rid != item.get("report")]
    if item.get("type") == "shortfall":
        counted = [report_link(ctx, page, rid, rid) for rid in item.get("counted_reports", [])]
        parts.append("计入任务的报告：" + ("、".join(counted) if counted else "无"))
    return "<br>".join(parts) or "—"


def _unit_page(ctx: Context, scores: Scores, year: int, row: dict, periods: list[Period],
               tables: dict[str, dict]) -> Page:
    path = unit_scores_page(year, row["unit"])
    months = [p for p in periods if p.kind == "month"]
    summary_rows = []
    running = 0.0
    for p in months:
        r = next(x for x in tables[p.key]["rows"] if x["unit"] == row["unit"])
        running += r["total"]
        pts = r["points"]
        deduct = sum(pts[k] for k in FINDINGS)
        quota = quota_text(tables[p.key], r)
        summary_rows.append([Cell(link(path, period_page(p.key), p.label[5:]), p.key), cell(quota),
                             points_cell(pts["adoption"]), points_cell(pts["instruction"]),
                             points_cell(pts["shortfall"]), points_cell(deduct),
                             *([points_cell(sum(r["duties"].values()))] if has_duties(scores) else []),
                             points_cell(r["total"]),
                             points_cell(running), cell(r["rank"], f"{r['rank']:05d}")])
    ledger_rows = []
    for e in row["entries"]:
        ledger_rows.append([cell(f"{e['date']:%Y-%m-%d %H:%M}", e["date"].isoformat()),
                            cell(TYPE_ZH[e["type"]]), points_cell(e["points"], True),
                            cell(entry_text(e, LEVEL_ZH)), Cell(sources_html(ctx, path, scores.titles, e))])
    body = [f"<h1>{esc(row['name'])} {year}年考核积分明细</h1>",
            f'<p class="bs-lead">{year}年合计 <strong>{esc(fmt_points(row["total"]))}</strong> 分，'
            f"全年排名第 {row['rank']} 名。下表列出每一分的来源，点击可查看对应的报告或登记机关记录。"
            f"{link(path, unit_page(row['unit']), '单位报送情况')}</p>",
            "## 各月积分",
            table(["月份", "计入任务 / 任务（条）", "采用加分", "批示加分", "任务缺额扣分", "迟报漏报瞒报谎报扣分",
                   *(["约稿与重要时段"] if has_duties(scores) else []), "当月合计", "累计", "当月排名"], summary_rows,
                  table_id="unit-months", numeric=range(2, 10 if has_duties(scores) else 9), search=False),
            "## 计分明细",
            table(["日期", "类型", "分值", "说明", "依据"], ledger_rows, table_id="unit-ledger", filterable=True,
                  numeric=(2,), search=False) if ledger_rows else '<p class="bs-empty">本年度没有加分或扣分。</p>',
            f"<p>{link(path, 'scores/index.md', '返回考核总览')}</p>"]
    return Page(path, f"{row['name']} {year}年考核积分", "\n\n".join(body), "scores", nav=False, search=False,
                wide=True)


def _downloads(ctx: Context, scores: Scores, periods: list[Period], bulletins: dict[str, dict]) -> Iterator[Item]:
    """The score and bulletin export files, and a page listing them."""
    rows = []
    for p in sorted(periods, key=Period.sort_key, reverse=True):
        for fmt in download_formats("scores", p):
            yield DataFile(download_path("scores", p, fmt), export_bytes(ctx, "scores", p, fmt))
        cells = [cell(p.label, p.key), Cell(_downloads_line(DOWNLOADS_PAGE, "scores", p))]
        if p.key in bulletins:
            for fmt in download_formats("bulletin", p):
                yield DataFile(download_path("bulletin", p, fmt), export_bytes(ctx, "bulletin", p, fmt))
            cells.append(Cell(_downloads_line(DOWNLOADS_PAGE, "bulletin", p)))
        else:
            cells.append(cell("—"))
        rows.append(cells)
    body = ["<h1>考核积分与通报下载</h1>",
            '<p class="bs-lead">每个统计周期的积分表（Excel 工作簿另含“计分明细”；月度、双月积分表提供 CSV 和 JSON）和通报，'
            "与命令 <code>baosong export</code> 导出的文件相同，其他周期和格式可用该命令导出。身份证号、手机号已脱敏。</p>",
            table(["周期", "积分表", "通报"], rows, table_id="score-downloads", search=False)]
    yield Page(DOWNLOADS_PAGE, "考核积分与通报下载", "\n\n".join(body), "downloads", nav_title="考核与通报",
               order=(1,))
