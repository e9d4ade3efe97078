"""单位: the list of units and one page per unit — its reports, on-time rate, late and missed items
with their explanations, and incidents where it was named as involved but never reported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from baosong.portal import labels
from baosong.portal.common import (
    by_arrival,
    delay_cell,
    incident_link,
    on_time_rate,
    register_view,
    report_page,
    rule_title,
    status_cell,
    time_cell,
    unit_codes,
    unit_link,
    unit_page,
)
from baosong.portal.duty_pages import unit_duty_sections
from baosong.portal.html import Cell, cell, definition_list, esc, link, percent, table
from baosong.portal.model import Context, Item, Page
from baosong.records import IncidentRecord, ReportRecord
from baosong.vocab import ROLE_ZH, UNIT_LEVEL_ZH


def _by_unit(ctx: Context) -> dict[str, list[ReportRecord]]:
    out: dict[str, list[ReportRecord]] = defaultdict(list)
    for r in ctx.register.reports:
        out[r.unit or ""].append(r)
    return out


def _rate_cell(records: list[ReportRecord]) -> Cell:
    on_time, judged = on_time_rate(records)
    return cell(percent(on_time, judged), f"{on_time / judged:.4f}" if judged else "-1")


def provide(ctx: Context) -> Iterator[Item]:
    reports = _by_unit(ctx)
    codes = unit_codes(ctx)
    path = "units/index.md"
    rows = []
    for code in codes:
        records = reports.get(code, [])
        late = sum(1 for r in records if r.status == "late")
        missed = sum(1 for r in records if r.status == "missed")
        last = max((r.received_at for r in records if r.received_at), default=None)
        rows.append([Cell(link(path, unit_page(code), ctx.unit_name(code))),
                     cell(UNIT_LEVEL_ZH.get(ctx.units.get(code, {}).get("level", ""), "—")),
                     cell(len(records), f"{len(records):07d}"),
                     cell(sum(1 for r in records if r.kind == "emergency")),
                     _rate_cell(records), cell(late, f"{late:07d}"), cell(missed, f"{missed:07d}"),
                     time_cell(ctx, last)])
    body = ["<h1>单位</h1>",
            '<p class="bs-lead">各单位报送情况。“按时率”只计有报送时限的紧急信息（首报、续报）。</p>',
            table(["单位", "类型", "报告数", "紧急信息", "按时率", "迟报", "漏报", "最近收到"], rows,
                  table_id="units", filterable=True, numeric=(2, 3, 4, 5, 6))]
    yield Page(path, "单位", "\n\n".join(body), "units", nav_title="单位")
    silent_in: dict[str, list[IncidentRecord]] = defaultdict(list)
    for inc in ctx.register.incidents:
        for code in inc.silent_units:
            silent_in[code].append(inc)
    for code in codes:
        yield from unit_detail(ctx, code, reports.get(code, []), silent_in.get(code, []))


def unit_detail(ctx: Context, code: str, records: list[ReportRecord], silent: list[IncidentRecord]
                ) -> Iterator[Item]:
    """The unit's page, and the data file of its register table when it has reports."""
    path = unit_page(code)
    unit = ctx.units.get(code, {})
    on_time, judged = on_time_rate(records)
    kinds: dict[str, int] = defaultdict(int)
    for r in records:
        kinds[r.kind or ""] += 1
    kind_text = "，".join(f"{labels.KIND_ZH.get(k, k)} {n}" for k, n in sorted(kinds.items())) or "—"
    people = "，".join(f"{p.get('name', p.get('id'))}（{'、'.join(ROLE_ZH.get(x, x) for x in p.get('roles', []))}）"
                      for p in unit.get("staff", []))
    facts = [("单位代码", esc(code)), ("类型", esc(UNIT_LEVEL_ZH.get(unit.get("level", ""), "—"))),
             ("报告数", esc(f"{len(records)} 份（{kind_text}）")),
             ("按时率", esc(f"{percent(on_time, judged)}（{on_time}/{judged}）" if judged else "—")),
             ("人员", esc(people or "—"))]
    body = [f"<h1>{esc(ctx.unit_name(code))}</h1>", definition_list(facts)]
    problems = [r for r in by_arrival(records) if r.status in ("late", "missed")]
    body.append("## 迟报与漏报")
    if problems:
        rows = [[Cell(link(path, report_page(r.id or ""), r.title or r.id), cls="bs-c-title"),
                 cell(labels.kind_stage(r)), cell(rule_title(ctx, r.deadline_rule)),
                 time_cell(ctx, r.deadline_at), time_cell(ctx, r.received_at),
                 delay_cell(r.delay_minutes), status_cell(r.status),
                 cell(r.delay_reason or "（未说明）")] for r in problems]
        body.append(table(["报告", "类别与阶段", "适用时限规则", "报送时限", "收到时间", "超时", "状态", "迟报原因说明"],
                          rows, table_id="late", search=False, cards=True))
    else:
        body.append('<p class="bs-empty">没有迟报或漏报。</p>')
    if silent:
        body.append("## 涉及但未报告的事件")
        rows = [[Cell(incident_link(ctx, path, i.id), cls="bs-c-title"),
                 Cell(unit_link(ctx, path, i.unit)),
                 time_cell(ctx, i.occurred_at)] for i in silent]
        body.append(table(["事件", "报告单位", "事发时间"], rows, table_id="silent", search=False, cards=True))
    body += unit_duty_sections(ctx, code, path)
    body.append("## 全部报告")
    if records:
        view, data = register_view(ctx, path, records, unit_column=False, table_id="unit-register")
        body.append(view)
        yield data
    else:
        body.append('<p class="bs-empty">尚无报告。</p>')
    yield Page(path, ctx.unit_name(code), "\n\n".join(body), "units", nav=False, wide=True, search=False)
