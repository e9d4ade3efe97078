"""事件: the list of incidents (open ones first) and one page per incident: its timeline (first →
numbered follow-ups → final), the figures as they changed, the units that reported and the silent
ones, the grade declared and computed, and every deadline met or missed.

Incident pages are `StaticPage`s (thousands of them at 50,000 reports: no Markdown pass, no per-page
theme rendering). Search indexes an incident's title and a line of facts (id, units, category, time,
place, grade, state) given as `search_text`; the timeline text and the tables stay out of the index
to keep it small — the full text is one click away on the report pages.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from datetime import timezone

from baosong.portal import labels
from baosong.portal.common import (
    FIRST_PAGE_ROWS,
    data_json,
    data_view,
    delay_cell,
    incident_page,
    iso,
    relative,
    report_page,
    rule_title,
    status_badge,
    status_cell,
    time_cell,
    time_key,
    unit_codes,
    unit_link,
    unit_page,
)
from baosong.portal.html import (
    Cell,
    cell,
    definition_list,
    esc,
    fmt_minutes,
    fmt_time,
    link,
    paragraphs,
    plain,
    rel,
    table,
)
from baosong.portal.model import Context, DataFile, Item, Page, StaticPage
from baosong.portal.upward_pages import duty_table
from baosong.records import IncidentRecord, ReportRecord

FIGURE_KEYS = ("deaths", "serious_injuries", "injuries", "missing", "economic_loss")


def is_open(incident: IncidentRecord) -> bool:
    return not incident.closed_at


def due_html(ctx: Context, incident: IncidentRecord) -> str:
    """The next follow-up's deadline with time left / overdue; the site script keeps it current."""
    due = incident.next_followup_due
    if not due or not is_open(incident):
        return "—"
    text, overdue = relative(ctx.now, due, ctx.tz)
    cls = "bs-due bs-overdue" if overdue else "bs-due"
    return (f'{esc(fmt_time(due, ctx.tz))} <span class="{cls}" data-due="{esc(iso(due))}">'
            f"{esc(text)}</span>")


def _state(incident: IncidentRecord, tz: timezone) -> str:
    if is_open(incident):
        return '<span class="bs-state bs-open">处置中</span>'
    return f'<span class="bs-state bs-closed">已终报（{esc(fmt_time(incident.closed_at, tz))}）</span>'


def incident_rows(ctx: Context, page: str, incidents: list[IncidentRecord], *, with_due: bool
                  ) -> list[list[Cell]]:
    rows = []
    for inc in incidents:
        row = [Cell(link(page, incident_page(inc.id), inc.title or inc.id), cls="bs-c-title"),
               Cell(unit_link(ctx, page, inc.unit)),
               cell(labels.CATEGORY_ZH.get(inc.category or "", inc.category or "—")),
               cell(labels.GRADE_SHORT.get(inc.grade or "", inc.grade or "—"), inc.grade or "Z"),
               time_cell(ctx, inc.occurred_at),
               cell(len(inc.reports), f"{len(inc.reports):05d}")]
        if with_due:
            row.append(Cell(due_html(ctx, inc), iso(inc.next_followup_due)))
        else:
            row.append(Cell(_state(inc, ctx.tz), "0" if is_open(inc) else "1"))
            late = inc.late_reports + inc.missed_reports + (1 if inc.missed_followup else 0)
            row.append(cell(late or "—", f"{late:05d}"))
        silent = inc.silent_units
        row.append(cell("、".join(ctx.unit_name(u) for u in silent) or "—"))
        rows.append(row)
    return rows


def open_incidents_table(ctx: Context, page: str, incidents: list[IncidentRecord],
                         table_id: str = "open-incidents") -> str:
    open_ones = sorted((i for i in incidents if is_open(i)), key=lambda i: (time_key(i.next_followup_due), i.id))
    if not open_ones:
        return '<p class="bs-empty">目前没有处置中的事件。</p>'
    headers = ["事件", "报告单位", "类别", "等级", "事发时间", "报告数", "下次续报时限", "涉及但未报告"]
    return table(headers, incident_rows(ctx, page, open_ones, with_due=True), table_id=table_id, search=False,
                 cards=True)


INCIDENT_HEADERS = ["事件", "报告单位", "类别", "等级", "事发时间", "报告数", "状态", "迟报/漏报", "涉及但未报告"]
STATES = (("open", "处置中"), ("closed", "已终报"))


def provide(ctx: Context) -> Iterator[Item]:
    incidents = ctx.register.incidents
    path = "incidents/index.md"
    ordered = sorted(incidents, key=lambda i: (time_key(i.occurred_at, last=False), i.id), reverse=True)
    view, data = incidents_view(ctx, path, ordered)
    yield data
    body = ["<h1>事件</h1>",
            f'<p class="bs-lead">共 {len(incidents)} 起事件（紧急信息首报开启一起事件，终报结束）。'
            "每起事件一页：时间线、伤亡与损失变化、报告单位、时限执行情况。</p>",
            "## 处置中的事件", open_incidents_table(ctx, path, incidents),
            "## 全部事件", view]
    yield Page(path, "事件", "\n\n".join(body), "incidents", nav_title="事件", wide=True, search=False)
    for inc in incidents:
        yield incident_detail(ctx, inc)


def incidents_view(ctx: Context, page: str, incidents: list[IncidentRecord]) -> tuple[str, DataFile]:
    """The list of all incidents as a table of any length (`common.data_view`), in the given order."""
    first = incident_rows(ctx, page, incidents[:FIRST_PAGE_ROWS], with_due=False)
    note = (f"共 {len(incidents)} 起事件，此处按事发时间从近到远列出前 {len(first)} 起。"
            "启用 JavaScript 后可翻页、排序，并按关键字、报告单位、类别、等级、状态筛选全部事件。")
    return data_view(page, INCIDENT_HEADERS, first, len(incidents), incident_data(ctx, page, incidents),
                     table_id="incidents", note=note)


def incident_data(ctx: Context, page: str, incidents: list[IncidentRecord]) -> bytes:
    """The data file of the incident list (FORMAT.md, Portal): every text masked, no markup characters.

    A row: [title, incident page slug, unit, category, grade, occurred, reports, state, closed, late or
    missed, silent units] — unit, category, grade and state index their tables (-1: none), silent units
    index `strings`; occurred and closed are local times ("" when none).
    """
    tables: dict[str, dict[str, int]] = {"units": {}, "categories": {}, "grades": {}, "strings": {}}

    def index(name: str, key: str) -> int:
        found = tables[name]
        if not key and name != "strings":
            return -1
        return found.setdefault(key, len(found))

    rows = []
    for inc in incidents:
        late = inc.late_reports + inc.missed_reports + (1 if inc.missed_followup else 0)
        silent = "、".join(ctx.unit_name(u) for u in inc.silent_units) or "—"
        rows.append([plain(inc.title or inc.id), posixpath.basename(incident_page(inc.id))[:-3],
                     index("units", inc.unit or ""), index("categories", inc.category or ""),
                     index("grades", inc.grade or ""), fmt_time(inc.occurred_at, ctx.tz), len(inc.reports),
                     0 if is_open(inc) else 1, fmt_time(inc.closed_at, ctx.tz), late,
                     index("strings", plain(silent))])
    codes = unit_codes(ctx)
    pages = posixpath.dirname(rel(page, incident_page("x")))
    return data_json({
        "version": 1,
        "layout": "incidents",
        "columns": INCIDENT_HEADERS,
        "pages": pages + "/" if pages else "",
        "units": [[plain(code), plain(ctx.unit_name(code)), rel(page, unit_page(code)) if code in codes else ""]
                  for code in tables["units"]],
        "categories": [[plain(k), plain(labels.CATEGORY_ZH.get(k, k))] for k in tables["categories"]],
        "grades": [[plain(k), plain(labels.GRADE_SHORT.get(k, k))] for k in tables["grades"]],
        "states": [list(s) for s in STATES],
        "strings": list(tables["strings"]),
        "rows": rows,
    })


def _series(ctx: Context, inc: IncidentRecord) -> list[tuple[ReportRecord, dict]]:
    out = []
    for rid in inc.reports:
        record = ctx.reports_by_id.get(rid)
        if record is not None:
            out.append((record, ctx.document(rid) or {}))
    return out


def incident_detail(ctx: Context, inc: IncidentRecord) -> StaticPage:
    path = incident_page(inc.id)
    series = _series(ctx, inc)
    first_doc = series[0][1] if series else {}
    declared = inc.grade
    computed = inc.grade_computed
    grade_note = ""
    if computed and declared and computed != declared:
        grade_note = ' <span class="bs-warn">（申报等级与伤亡、损失数字不一致）</span>'
    facts = [
        ("事件编号", esc(inc.id)),
        ("报告单位", unit_link(ctx, path, inc.unit)),
        ("类别", esc(labels.CATEGORY_ZH.get(inc.category or "", inc.category or "—"))),
        ("事发时间", esc(fmt_time(inc.occurred_at, ctx.tz)) or "—"),
        ("地点", esc(first_doc.get("place")) or "—"),
        ("申报等级", esc(labels.grade(declared))),
        ("按数字核定等级", esc(labels.grade(computed)) + grade_note),
        ("状态", _state(inc, ctx.tz)),
        ("下次续报", (f"续报（{esc(inc.next_followup)}）时限 " + due_html(ctx, inc))
         if is_open(inc) and inc.next_followup_due else "—"),
    ]
    missed = inc.missed_followup
    if missed:
        facts.append(("漏报续报", '<span class="bs-warn">'
                      + esc(f"续报（{missed.sequence}）应于 {fmt_time(missed.deadline_at, ctx.tz)} 前报送，"
                            f"至 {fmt_time(missed.missed_at, ctx.tz)} 仍未报送，按漏报计") + "</span>"))
    if first_doc.get("sensitive"):
        facts.append(("敏感事件", esc(first_doc.get("sensitive_reason") or "是")))
    body = [f"<h1>{esc(inc.title or inc.id)}</h1>", definition_list(facts),
            "<h2>时间线</h2>", _timeline(ctx, path, series),
            "<h2>伤亡与损失变化</h2>", _figures(ctx, path, series),
            "<h2>报告单位</h2>", _units(ctx, path, inc, series),
            "<h2>时限执行情况</h2>", _deadlines(ctx, path, series)]
    if inc.upward:
        body += ["<h2>本机关上报义务</h2>",
                 duty_table(ctx, path, [(inc, d) for d in inc.upward], table_id="upward", with_incident=False)]
    # Search reads the title and these facts; the rest is reached from there (see the module docstring).
    units = [ctx.unit_name(inc.unit)] + [ctx.unit_name(u) for u in inc.silent_units]
    search = " ".join(plain(x) for x in (
        inc.id, "、".join(units), labels.CATEGORY_ZH.get(inc.category or "", ""),
        fmt_time(inc.occurred_at, ctx.tz), first_doc.get("place"), labels.grade(declared),
        "处置中" if is_open(inc) else "已终报") if x)
    return StaticPage(path, inc.title or inc.id, "\n".join(body), search_text=search)


def _timeline(ctx: Context, page: str, series: list[tuple[ReportRecord, dict]]) -> str:
    if not series:
        return '<p class="bs-empty">没有可显示的报告。</p>'
    items = []
    for record, doc in series:
        head = (f'<span class="bs-tl-stage">{esc(labels.kind_stage(record))}</span> '
                f'<span class="bs-tl-time">收到 {esc(fmt_time(record.received_at, ctx.tz) or "—")}</span> '
                + status_badge(record.status))
        if record.delay_minutes:
            head += f' <span class="bs-tl-delay">超时 {esc(fmt_minutes(record.delay_minutes))}</span>'
        text = paragraphs(doc.get("description"))
        extra = []
        for key, label in (("trend", "发展趋势"), ("measures", "已采取措施"), ("cause", "原因")):
            if doc.get(key):
                extra.append(f'<p><strong>{label}：</strong>{esc(doc[key])}</p>')
        items.append(f'<li class="bs-tl-item bs-tl-{esc(record.stage or "other")}">'
                     f'<div class="bs-tl-head">{head}</div>'
                     f'<div class="bs-tl-title">{link(page, report_page(record.id or ""), record.title or record.id)}</div>'
                     f'<div class="bs-tl-body">{text}{"".join(extra)}</div></li>')
    return '<ol class="bs-timeline">' + "".join(items) + "</ol>"


def _number(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _figures(ctx: Context, page: str, series: list[tuple[ReportRecord, dict]]) -> str:
    rows = []
    latest: dict[str, object] = {}
    for record, doc in series:
        casualties: dict = doc["casualties"] if isinstance(doc.get("casualties"), dict) else {}
        values = {k: casualties.get(k) for k in FIGURE_KEYS[:4]}
        values["economic_loss"] = doc.get("economic_loss")
        if all(v is None for v in values.values()):
            continue
        cells = [Cell(link(page, report_page(record.id or ""), labels.kind_stage(record))),
                 time_cell(ctx, record.received_at)]
        for key in FIGURE_KEYS:
            value = values[key]
            changed = value is not None and key in latest and latest[key] != value
            if value is not None:
                latest[key] = value
            text = _number(value)
            cells.append(Cell(f'<span class="bs-changed">{esc(text)}</span>' if changed else esc(text),
                              f"{float(value):015.3f}" if isinstance(value, int | float) else ""))
        rows.append(cells)
    if not rows:
        return '<p class="bs-empty">报告中没有伤亡或损失数字。</p>'
    headers = ["报告", "收到时间"] + [labels.FIGURES_ZH[k] for k in FIGURE_KEYS]
    return table(headers, rows, table_id="figures", search=False, numeric=range(2, 7), cards=True) + \
        '<p class="bs-note">加粗的数字与上一份报告相比有变化；续报只报变化的内容，未填的项目以“—”表示。</p>'


def _units(ctx: Context, page: str, inc: IncidentRecord, series: list[tuple[ReportRecord, dict]]) -> str:
    reported = sorted({r.unit for r, _ in series if r.unit})
    parts = ["<p>报告过本事件的单位：" + ("、".join(unit_link(ctx, page, u) for u in reported)
                                       or "—") + "</p>"]
    silent = inc.silent_units
    if silent:
        parts.append('<p class="bs-warn">涉及但未报告的单位：'
                     + "、".join(unit_link(ctx, page, u) for u in silent) + "</p>")
    else:
        parts.append("<p>报告中列出的涉及单位均已报告。</p>")
    return "\n".join(parts)


def _deadlines(ctx: Context, page: str, series: list[tuple[ReportRecord, dict]]) -> str:
    rows = []
    for record, _doc in series:
        rows.append([Cell(link(page, report_page(record.id or ""), labels.kind_stage(record))),
                     cell(rule_title(ctx, record.deadline_rule)),
                     time_cell(ctx, record.deadline_at),
                     time_cell(ctx, record.received_at),
                     status_cell(record.status),
                     delay_cell(record.delay_minutes),
                     cell(record.delay_reason or "—")])
    return table(["报告", "适用时限规则", "报送时限", "收到时间", "状态", "超时", "迟报原因说明"], rows,
                 table_id="deadlines", search=False, cards=True)
