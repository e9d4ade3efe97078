"""通报: the bulletins of `bulletins.py` — newest first, archives by year and by category, one page
per bulletin in the wording of an official notice (with the reports behind every item linked), and
each bulletin also as a plain printable HTML page (A4, no scripts, nothing loaded from elsewhere).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from baosong.bulletins import CATEGORIES, zh_date
from baosong.exports import context_bulletins, context_scores
from baosong.portal.html import Cell, cell, esc, fmt_minutes, link, rel, table
from baosong.portal.model import Context, DataFile, HomeBlock, Item, Page
from baosong.portal.score_pages import (
    FORMAT_ZH,
    bulletin_page,
    download_formats,
    download_path,
    period_page,
    ranking_html,
    sources_html,
)
from baosong.scoring import Scores, fmt_points
from baosong.vocab import LEVEL_ZH
from baosong.vocab import SCORE_TYPE_ZH as TYPE_ZH

INDEX = "bulletins/index.md"
CATEGORY_ORDER = ("month", "bimonth", "quarter", "year")
PRINT_CSS = """
@page { size: A4; margin: 3.7cm 2.6cm 3.5cm 2.8cm; }
body { font-family: "FangSong", "FangSong_GB2312", "仿宋", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", serif;
       font-size: 16pt; line-height: 1.75; color: #000; background: #fff; max-width: 21cm; margin: 2em auto; padding: 0 1em; }
h1 { font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 22pt;
     font-weight: normal; text-align: center; line-height: 1.5; margin: 0 0 .6em; }
.number { text-align: center; margin: 0 0 1.2em; }
.addressee { margin: 0; }
p { margin: 0; text-indent: 2em; text-align: justify; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     margin: 0; text-indent: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 11pt; line-height: 1.4; margin: .5em 0 .8em; }
th, td { border: 1px solid #000; padding: 2pt 4pt; text-align: center; }
td.name { text-align: left; }
.signature { margin-top: 2em; text-align: right; padding-right: 2em; }
.toolbar { font-family: sans-serif; font-size: 11pt; margin-bottom: 1.5em; }
@media print { .toolbar { display: none; } body { margin: 0; max-width: none; } }
@media screen and (max-width: 44.9375em) { table { font-size: 8pt; } th, td { padding: 1pt; } }
"""


def print_path(key: str) -> str:
    return f"bulletins/print/{key}.html"


def year_page(year: int) -> str:
    return f"bulletins/{year}.md"


def category_page(kind: str) -> str:
    return f"bulletins/category-{kind}.md"


def _paragraphs_html(b: dict, ranking: str) -> str:
    """The notice's numbered sections; the ranking table goes under the section that announces it."""
    out = []
    for s in b["sections"]:
        if s["heading_text"]:
            out.append(f'<h2 class="bs-bulletin-h">{esc(s["heading_text"])}</h2>')
        out += [f"<p>{esc(text)}</p>" for text in s["paragraphs"]]
        if s.get("table") == "ranking":
            out.append(ranking)
    return "\n".join(out)


def _print_ranking(scores: Scores, b: dict) -> str:
    findings = [k for k in ("late", "missed", "concealed", "fabricated") if k in scores.rules.get("deductions", {})]
    duties = scores.has_duties  # the same columns as the site's ranking table (score_pages.ranking_html)
    head = ["排名", "单位", "报送（条）", "采用（条次）", "采用加分", "批示加分", "任务缺额扣分"] + \
        [f"{TYPE_ZH[k]}扣分" for k in findings] + (["约稿与重要时段"] if duties else []) + ["合计"]
    rows = []
    for r in b["ranking"]:
        c, p = r["counts"], r["points"]
        values = [r["rank"], None, c["emergency"] + c["info"] + c["opinion"], r["adopted"], p["adoption"],
                  p["instruction"], p["shortfall"]] + [p[k] for k in findings] + \
            ([float(sum(r["duties"].values()))] if duties else []) + [r["total"]]
        tds = "".join(f'<td class="name">{esc(r["name"])}</td>' if i == 1 else
                      f"<td>{esc(fmt_points(v) if isinstance(v, float) else v)}</td>" for i, v in enumerate(values))
        rows.append(f"<tr>{tds}</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def printable_html(scores: Scores, b: dict, site_page: str) -> str:
    """A standalone page for printing: the notice's layout, inline styles, no scripts, no outside links."""
    body = _paragraphs_html(b, _print_ranking(scores, b))
    back = rel(print_path(b["key"]), site_page)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(b["title"])}</title>
<style>{PRINT_CSS}</style>
</head>
<body>
<div class="toolbar">打印版（浏览器“打印”即可输出 A4 纸质通报）。<a href="{esc(back)}">返回门户</a></div>
<h1>{esc(b["title"])}</h1>
<div class="number">（{esc(b["number"])}）</div>
<div class="addressee">{esc(b["addressee"])}</div>
{body}
<div class="signature">{esc(b["issuer"])}<br>{esc(zh_date(b["date"]))}</div>
</body>
</html>
"""


def _items_html(ctx: Context, page: str, b: dict, titles: dict[str, str]) -> str:
    """The items named in the notice, each linked to its report and office record."""
    def source(x: dict) -> Cell:
        return Cell(sources_html(ctx, page, titles, x))

    out = []
    criticised = b["criticised"]["reports"]
    if criticised:
        rows = [[cell(x["name"]), cell(TYPE_ZH[x["type"]]), source(x),
                 cell(f"{x['deadline_at'].astimezone(ctx.tz):%Y-%m-%d %H:%M}" if x.get("deadline_at") else "—"),
                 cell(f"{x['received_at'].astimezone(ctx.tz):%Y-%m-%d %H:%M}" if x.get("received_at") else "—"),
                 cell(_delay(x.get("delay_minutes")), f"{x.get('delay_minutes') or 0:09d}"),
                 cell(fmt_points(x["points"]), f"{x['points'] + 100000:012.2f}")] for x in criticised]
        out += ["### 通报批评的报告", table(["单位", "问题", "报告", "应报时间", "送达时间", "超时", "扣分"], rows,
                                       table_id="bulletin-criticised", numeric=(6,), search=False)]
    praised = b["praised"]["instructed"] + (b["praised"]["adopted"] if b["category"] in ("quarter", "year") else [])
    if praised:
        rows = [[cell(x["name"]), cell(f"{x['leader']}批示" if x["type"] == "instruction"
                                       else f"{x['outlet'] or ''}采用（{LEVEL_ZH.get(x['level'] or '', x['level'])}）"),
                 source(x), cell(fmt_points(x["points"], True), f"{x['points'] + 100000:012.2f}")] for x in praised]
        out += ["### 表扬的信息", table(["单位", "事项", "报告", "加分"], rows, table_id="bulletin-praised", numeric=(3,),
                                     search=False)]
    return "\n\n".join(out)


def _delay(minutes: int | None) -> str:
    return fmt_minutes(minutes) if minutes else "—"


def _bulletin_page(ctx: Context, scores: Scores, b: dict) -> Page:
    path = bulletin_page(b["key"])
    ranking = ranking_html(ctx, scores, b["table"], path, table_id="bulletin-ranking")
    downloads = "、".join(f'<a href="{esc(rel(path, download_path("bulletin", b["period"], fmt)))}" download>'
                          f"{esc(FORMAT_ZH[fmt])}</a>" for fmt in download_formats("bulletin", b["period"]))
    body = [f'<h1 class="bs-bulletin-title" style="text-align:center">{esc(b["title"])}</h1>',
            f'<p class="bs-bulletin-number" style="text-align:center">（{esc(b["number"])}）</p>',
            f'<p class="bs-note">{esc(b["category_label"])} · '
            f'<a href="{esc(rel(path, print_path(b["key"])))}">打印版</a> · 下载：{downloads} · '
            f"{link(path, period_page(b['key']), '本期积分表')}</p>",
            f'<div class="bs-bulletin">\n<p class="bs-bulletin-to">{esc(b["addressee"])}</p>',
            _paragraphs_html(b, ranking),
            f'<p class="bs-bulletin-sign" style="text-align:right">{esc(b["issuer"])}<br>{esc(zh_date(b["date"]))}</p>'
            "\n</div>",
            "## 附：通报所列事项及依据", _items_html(ctx, path, b, scores.titles) or '<p class="bs-empty">本期通报未列具体报告。</p>']
    return Page(path, b["title"], "\n\n".join(body), "bulletins", nav=False, wide=True)


def _list_table(page: str, items: list[dict], table_id: str) -> str:
    rows = [[cell(zh_date(b["date"]), b["date"].isoformat()), cell(b["number"]),
             Cell(link(page, bulletin_page(b["key"]), b["title"])), cell(b["category_label"]),
             Cell(f'<a href="{esc(rel(page, print_path(b["key"])))}">打印版</a>')] for b in items]
    return table(["日期", "期号", "标题", "类别", "打印"], rows, table_id=table_id, filterable=len(items) > 10)


def provide(ctx: Context) -> Iterator[Item]:
    scores = context_scores(ctx)
    bulletins = context_bulletins(ctx)   # newest first
    for b in bulletins:
        page = _bulletin_page(ctx, scores, b)
        yield page
        yield DataFile(print_path(b["key"]), printable_html(scores, b, page.path).encode("utf-8"))
    by_year: dict[int, list[dict]] = defaultdict(list)
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for b in bulletins:
        by_year[b["date"].year].append(b)
        by_kind[b["category"]].append(b)
    for year, items in by_year.items():
        path = year_page(year)
        body = [f"<h1>{year}年通报</h1>", f'<p class="bs-lead">{year}年共发布通报 {len(items)} 期，按类别列出，新的在前。</p>']
        for kind in CATEGORY_ORDER:
            chosen = [b for b in items if b["category"] == kind]
            if chosen:
                body += [f"## {CATEGORIES[kind]}", _list_table(path, chosen, f"bulletins-{year}-{kind}")]
        yield Page(path, f"{year}年通报", "\n\n".join(body), "bulletins", nav_title=f"{year}年", nav_group="按年度",
                   order=(-year,))
    for kind in CATEGORY_ORDER:
        if kind in by_kind:
            path = category_page(kind)
            body = [f"<h1>{CATEGORIES[kind]}</h1>",
                    f'<p class="bs-lead">历年{CATEGORIES[kind]}共 {len(by_kind[kind])} 期，新的在前。</p>',
                    _list_table(path, by_kind[kind], f"bulletins-{kind}")]
            yield Page(path, CATEGORIES[kind], "\n\n".join(body), "bulletins", nav_title=CATEGORIES[kind],
                       nav_group="按类别", order=(CATEGORY_ORDER.index(kind),))
    body = ["<h1>通报</h1>",
            '<p class="bs-lead">根据考核计分办法，每月发布月度通报，每两个月发布排名通报，每季度发布采用情况通报，'
            "年末发布年度通报；周期结束后发布。每期通报另有打印版。</p>"]
    if bulletins:
        body += ["## 最新通报", _list_table(INDEX, bulletins, "bulletins-all"),
                 "## 按年度", "<ul>" + "".join(f"<li>{link(INDEX, year_page(y), f'{y}年通报')}（{len(by_year[y])} 期）</li>"
                                            for y in sorted(by_year, reverse=True)) + "</ul>",
                 "## 按类别", "<ul>" + "".join(f"<li>{link(INDEX, category_page(k), CATEGORIES[k])}（{len(by_kind[k])} 期）</li>"
                                            for k in CATEGORY_ORDER if k in by_kind) + "</ul>"]
    else:
        body.append('<p class="bs-empty">尚无已结束的统计周期，暂无通报。</p>')
    yield Page(INDEX, "通报", "\n\n".join(body), "bulletins", nav_title="通报总览", order=(0,))
    latest = bulletins[:5]
    html = ("<ul>" + "".join(f"<li>{esc(zh_date(b['date']))} {link('index.md', bulletin_page(b['key']), b['title'])}</li>"
                             for b in latest) + "</ul>") if latest else '<p class="bs-empty">暂无通报。</p>'
    yield HomeBlock("bulletins", "最新通报", html + f"<p>{link('index.md', INDEX, '全部通报')}</p>", order=70)
