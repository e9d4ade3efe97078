"""Report pages: one per report, reached from the registers, incidents and unit pages, never from the
navigation and not in the search index. They are `StaticPage`s — finished HTML that the adapter
wraps in the site chrome without a Markdown pass — because at 50,000 reports a Markdown page each
would dominate the build (see FORMAT.md, Portal).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone

from baosong.portal import labels
from baosong.portal.common import (
    incident_link,
    iso,
    report_page,
    rule_title,
    serials,
    status_badge,
    unit_link,
)
from baosong.portal.duty_pages import report_duty_facts
from baosong.portal.federation_pages import chain_html, upward_html
from baosong.portal.html import definition_list, esc, fmt_minutes, fmt_time, link, paragraphs
from baosong.portal.model import Context, Item, StaticPage
from baosong.records import ReportRecord
from baosong.vocab import FINDING_ZH, VERIFICATION_ZH

# Fields shown as text sections, in this order, with their headings.
TEXT_FIELDS = (("description", "事件情况"), ("body", "正文"), ("trend", "发展趋势"), ("measures", "已采取措施"),
               ("cause", "原因"), ("content", "批示内容"), ("reason", "更正原因"), ("note", "备注"))


def provide(ctx: Context) -> Iterator[Item]:
    numbers = serials(ctx)
    for record in ctx.register.reports:
        rid = record.id
        if rid:
            yield StaticPage(report_page(rid), record.title or rid,
                             report_html(ctx, record, ctx.document(rid) or {}, numbers.get(rid, "")))


def _ref(ctx: Context, page: str, report_id: object) -> str:
    if not isinstance(report_id, str) or not report_id:
        return "—"
    target = ctx.reports_by_id.get(report_id)
    if target is None:
        return esc(report_id) + "（不在登记簿中）"
    return link(page, report_page(report_id), f"{target.title or report_id}（{report_id}）")


def _person(ctx: Context, staff_id: object) -> str:
    if not staff_id:
        return "—"
    return esc(f"{ctx.staff_name(str(staff_id))}（{staff_id}）")


def _receipt_facts(record: ReportRecord, tz: timezone) -> list[tuple[str, str]]:
    """The registry's receipt and the merge, when they are not the arrival itself."""
    out = []
    receipt_at, merged_at = record.receipt_at, record.merged_at
    if receipt_at and record.time_source == "commit":
        what = "补登回执" if record.catch_up else "登记回执"
        note = "：回执作业当时未运行，回执晚于合并，送达时间按合并时间计算" if record.catch_up else ""
        out.append((what, esc(f"{fmt_time(receipt_at, tz)}{note}")))
    if merged_at and record.time_source in ("push", "receipt", "tsa") and iso(merged_at) != iso(record.received_at):
        out.append(("合并时间", esc(f"{fmt_time(merged_at, tz)}（登记机关合并的时间，不计入报送单位的时限）")))
    return out


def report_html(ctx: Context, record: ReportRecord, doc: dict, serial: str) -> str:
    rid = record.id or ""
    page = report_page(rid)
    tz = ctx.tz
    facts = [("登记序号", esc(serial or "—")), ("报告编号", esc(rid)),
             ("报送单位", unit_link(ctx, page, record.unit)),
             ("类别", esc(labels.kind_stage(record, doc.get("info_type"))))]
    if record.kind == "emergency" and record.incident:
        facts.append(("所属事件", incident_link(ctx, page, record.incident)))
        facts.append(("事件类别", esc(labels.CATEGORY_ZH.get(record.category or "", "—"))))
        facts.append(("申报等级", esc(labels.grade(record.grade_declared))))
        facts.append(("按数字核定等级", esc(labels.grade(record.grade_computed))))
    for when, label in ((record.occurred_at, "事发时间"), (record.discovered_at, "获知时间")):
        if when:
            facts.append((label, esc(fmt_time(when, tz))))
    if doc.get("phoned_at"):
        facts.append(("电话报告时间", esc(fmt_time(doc["phoned_at"], tz))))
    if doc.get("place"):
        facts.append(("地点", esc(doc["place"])))
    facts += [("起草人", _person(ctx, record.author)), ("审核人", _person(ctx, doc.get("reviewer"))),
              ("签发人", _person(ctx, doc.get("signer")) + (" （先报后审，签发待补）" if doc.get("signoff_pending") else "")),
              ("起草时间", esc(fmt_time(record.created_at, tz) or "—")),
              ("收到时间", esc(fmt_time(record.received_at, tz) or "—")
               + esc(f"（{labels.time_source(record)}）")),
              *_receipt_facts(record, tz),
              ("报送时限", esc(fmt_time(record.deadline_at, tz) or "—")
               + (esc(f"（{rule_title(ctx, record.deadline_rule)}）") if record.deadline_rule else "")),
              ("状态", status_badge(record.status)
               + (esc(f" 超时 {fmt_minutes(record.delay_minutes)}") if record.delay_minutes else ""))]
    if record.delay_reason:
        facts.append(("迟报原因说明", esc(record.delay_reason)))
    facts += [("提交签名", esc(f"{ctx.staff_name(record.signer) or '—'}，"
                              f"{labels.SIGNATURE_ZH.get(record.signature or '', record.signature or '—')}")),
              ("提交", f"<code>{esc((record.commit or '—')[:12])}</code>")]
    facts += _kind_facts(ctx, page, record, doc)
    parts = [f"<h1>{esc(record.title or rid)}</h1>", definition_list(facts)]
    casualties = doc.get("casualties")
    if isinstance(casualties, dict) or doc.get("economic_loss") is not None:
        figures = casualties if isinstance(casualties, dict) else {}
        cells = "".join(f"<tr><th>{esc(labels.FIGURES_ZH[k])}</th><td class=\"bs-num\">{esc(figures.get(k, '—'))}</td></tr>"
                        for k in ("deaths", "serious_injuries", "injuries", "missing"))
        cells += (f"<tr><th>{esc(labels.FIGURES_ZH['economic_loss'])}</th>"
                  f"<td class=\"bs-num\">{esc(doc.get('economic_loss', '—'))}</td></tr>")
        parts.append(f'<h2>伤亡与损失</h2><div class="bs-facts"><table class="bs-table"><tbody>{cells}'
                     "</tbody></table></div>")
    for key, heading in TEXT_FIELDS:
        if doc.get(key):
            parts.append(f"<h2>{heading}</h2>{paragraphs(doc[key])}")
    # Linked registries: the chain of a forward received here, and where a report of ours went upward.
    parts += [html for html in (chain_html(ctx, page, record, doc), upward_html(ctx, page, record)) if html]
    if not doc:
        parts.append('<p class="bs-warn">无法读取该报告的全文。</p>')
    return "\n".join(parts)


def _kind_facts(ctx: Context, page: str, record: ReportRecord, doc: dict) -> list[tuple[str, str]]:
    kind = record.kind
    out: list[tuple[str, str]] = []
    if kind == "emergency":
        if doc.get("involved_units"):
            out.append(("涉及单位", "、".join(unit_link(ctx, page, u)
                                           for u in doc["involved_units"] if isinstance(u, str))))
        if doc.get("sensitive"):
            out.append(("敏感事件", esc(doc.get("sensitive_reason") or "是")))
    elif kind == "info" and doc.get("keywords"):
        out.append(("关键词", esc("、".join(str(k) for k in doc["keywords"]))))
    elif kind == "opinion":
        spread: dict = doc["spread"] if isinstance(doc.get("spread"), dict) else {}
        out += [("平台", esc(doc.get("platform") or "—")),
                # Shown as text, never as a link: the intranet cannot reach it, and a report's URL is untrusted.
                ("原文地址", f"<code>{esc(doc.get('url') or '—')}</code>"),
                ("首次发现", esc(fmt_time(doc.get("first_seen_at"), ctx.tz) or "—")),
                ("传播情况", esc(f"浏览 {spread.get('views', '—')}，转发 {spread.get('reposts', '—')}，"
                             f"评论 {spread.get('comments', '—')}")),
                ("核实情况", esc(VERIFICATION_ZH.get(doc.get("verification") or "", doc.get("verification") or "—")))]
    elif kind in ("adoption", "instruction", "correction", "notice"):
        if doc.get("report"):
            out.append(("所涉报告", _ref(ctx, page, doc["report"])))
        if kind == "adoption":
            out += [("采用刊物", esc(doc.get("outlet") or "—")),
                    ("采用级别", esc(labels.LEVEL_ZH.get(doc.get("level") or "", doc.get("level") or "—"))),
                    ("采用时间", esc(fmt_time(doc.get("adopted_at"), ctx.tz) or "—"))]
        elif kind == "instruction":
            out += [("批示领导", esc(doc.get("leader") or "—")),
                    ("批示级别", esc(labels.LEVEL_ZH.get(doc.get("level") or "", doc.get("level") or "—"))),
                    ("批示时间", esc(fmt_time(doc.get("instructed_at"), ctx.tz) or "—"))]
        elif kind == "notice":
            out += [("认定", esc(FINDING_ZH.get(doc.get("finding") or "", doc.get("finding") or "—"))),
                    ("被认定单位", unit_link(ctx, page, doc.get("target_unit"))),
                    ("认定时间", esc(fmt_time(doc.get("decided_at"), ctx.tz) or "—"))]
            if doc.get("incident"):
                out.append(("所涉事件", incident_link(ctx, page, doc["incident"], doc["incident"])))
    return out + report_duty_facts(ctx, page, doc)
