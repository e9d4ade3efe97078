"""图表: reports per month, on-time rate per unit, incidents per category — inline SVG (pygal) whose
Chinese text the browser renders, each followed by the same numbers as a table.

pygal would reference its tooltip script on a CDN and embed a config script; both are dropped
(`js=[]`, script elements removed), as are its comments (they carry today's date, which would make
two builds differ). Chart ids are fixed names instead of random UUIDs for the same reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator

import pygal
from pygal.style import Style

from baosong.portal import labels
from baosong.portal.common import on_time_rate
from baosong.portal.html import cell, percent, table
from baosong.portal.model import Context, Item, Page
from baosong.portal.registers import OFFICE_KINDS, months_of
from baosong.records import ReportRecord

FONT = '"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif'
STYLE = Style(font_family=FONT, label_font_family=FONT, major_label_font_family=FONT, value_font_family=FONT,
              title_font_family=FONT, legend_font_family=FONT, tooltip_font_family=FONT,
              background="transparent", plot_background="transparent",
              colors=("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f"),
              title_font_size=18, label_font_size=13, major_label_font_size=13, legend_font_size=13,
              value_font_size=12)
SERIES = (("emergency", "紧急信息"), ("info", "政务信息"), ("opinion", "网络舆情"), ("office", "登记机关记录"))


def _config(**extra) -> dict:
    return {"js": [], "disable_xml_declaration": True, "style": STYLE, "truncate_label": -1,
            "truncate_legend": -1, "print_values": False, "width": 900, "height": 420, **extra}


def svg(chart: pygal.graph.graph.Graph, name: str) -> str:
    """The chart as an inline SVG element: no scripts, no comments, a fixed id."""
    chart.uuid = f"bs-{name}"
    root = chart.render_tree()
    for parent in root.iter():
        for child in list(parent):
            # <desc> elements only feed pygal's tooltip script, which is not loaded.
            if child.tag in ("script", "desc") or child.tag is ET.Comment:
                parent.remove(child)
    root.set("role", "img")
    return ET.tostring(root, encoding="unicode")


def _month_chart(ctx: Context) -> tuple[str, str]:
    months = months_of(ctx)
    counts: dict[str, defaultdict[object, int]] = {m: defaultdict(int) for m in months}
    for m, records in months.items():
        for r in records:
            counts[m]["office" if r.kind in OFFICE_KINDS else r.kind] += 1
    chart = pygal.StackedBar(**_config(title="各月收到报告数（份）", x_label_rotation=0, legend_at_bottom=True))
    chart.x_labels = [f"{m[:4]}年{int(m[5:])}月" if i == 0 or m.endswith("-01") else f"{int(m[5:])}月"
                      for i, m in enumerate(months)]
    for key, label in SERIES:
        chart.add(label, [counts[m][key] for m in months])
    rows = [[cell(f"{m[:4]}年{int(m[5:])}月", m)] + [cell(counts[m][k], f"{counts[m][k]:07d}") for k, _ in SERIES]
            + [cell(len(months[m]), f"{len(months[m]):07d}")] for m in months]
    data = table(["月份"] + [label for _, label in SERIES] + ["合计"], rows, table_id="chart-months",
                 numeric=range(1, 6), search=False)
    return svg(chart, "months"), data


def _unit_chart(ctx: Context) -> tuple[str, str]:
    by_unit: dict[str, list[ReportRecord]] = defaultdict(list)
    for r in ctx.register.reports:
        by_unit[r.unit or ""].append(r)
    stats = []
    for code, records in by_unit.items():
        on_time, judged = on_time_rate(records)
        if judged:
            stats.append((on_time / judged, ctx.unit_name(code), on_time, judged))
    stats.sort(key=lambda s: (-s[0], s[1]))
    chart = pygal.HorizontalBar(**_config(title="各单位紧急信息按时率（%）", show_legend=False, range=(0, 100),
                                          height=max(260, 34 * len(stats) + 120), print_values=True,
                                          value_formatter=lambda v: f"{v:.1f}%"))
    chart.x_labels = [s[1] for s in reversed(stats)]
    chart.add("按时率", [round(100 * s[0], 1) for s in reversed(stats)])
    rows = [[cell(name), cell(on_time, f"{on_time:07d}"), cell(judged, f"{judged:07d}"),
             cell(percent(on_time, judged), f"{rate:.4f}")] for rate, name, on_time, judged in stats]
    data = table(["单位", "按时", "有时限的报告", "按时率"], rows, table_id="chart-units", numeric=(1, 2, 3),
                 search=False)
    return svg(chart, "units"), data


def _category_chart(ctx: Context) -> tuple[str, str]:
    counts: dict[str, int] = defaultdict(int)
    for inc in ctx.register.incidents:
        counts[inc.category or "other"] += 1
    cats = [c for c in labels.CATEGORY_ZH if counts.get(c)] + sorted(c for c in counts if c not in labels.CATEGORY_ZH)
    chart = pygal.Bar(**_config(title="各类别事件数（起）", show_legend=False, print_values=True))
    chart.x_labels = [labels.CATEGORY_ZH.get(c, c) for c in cats]
    chart.add("事件数", [counts[c] for c in cats])
    rows = [[cell(labels.CATEGORY_ZH.get(c, c)), cell(counts[c], f"{counts[c]:07d}")] for c in cats]
    data = table(["类别", "事件数"], rows, table_id="chart-categories", numeric=(1,), search=False)
    return svg(chart, "categories"), data


def provide(ctx: Context) -> Iterator[Item]:
    body = ["<h1>图表</h1>", '<p class="bs-lead">每张图下方的表格列出了同样的数字。</p>']
    for heading, make in (("各月报告数", _month_chart), ("各单位按时率", _unit_chart), ("事件类别", _category_chart)):
        chart_svg, data = make(ctx)
        body += [f"## {heading}", f'<div class="bs-chart" data-search-exclude>{chart_svg}</div>', data]
    yield Page("charts.md", "图表", "\n\n".join(body), "charts", nav_title="图表")
