"""Pieces several page providers share: page paths, serial numbers, status badges, register rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from baosong import vocab
from baosong.portal import labels
from baosong.portal.html import Cell, cell, esc, fmt_minutes, fmt_time, link, local, slug, table
from baosong.portal.model import Context

STATUS_ORDER = {"missed": 0, "late": 1, "on_time": 2, "not_applicable": 3}
SIGNATURE_OK = "good"


def report_page(report_id: str) -> str:
    return f"reports/{slug(report_id)}.md"


def incident_page(incident_id: str) -> str:
    return f"incidents/{slug(incident_id)}.md"


def unit_page(code: str) -> str:
    return f"units/{slug(code)}.md"


def month_page(month: str) -> str:
    return f"registers/{month}.md"


def year_page(year: str) -> str:
    return f"registers/{year}.md"


def received_month(ctx: Context, record: dict) -> str:
    """YYYY-MM of the arrival (local time); the drafting date when the arrival is unknown."""
    when = local(record.get("received_at"), ctx.tz) or local(record.get("created_at"), ctx.tz)
    if when is None:
        rid = record.get("id") or ""
        parts = rid.split("-")
        return f"{parts[1][:4]}-{parts[1][4:6]}" if len(parts) > 1 and parts[1].isdigit() else "0000-00"
    return when.strftime("%Y-%m")


def _arrival_key(record: dict) -> tuple:
    return (record.get("received_at") is None, str(record.get("received_at") or ""), record.get("id") or "")


def serials(ctx: Context) -> dict[str, str]:
    """登记序号 per report id: YYYY-NNNNN in order of arrival within each year (stable for a commit)."""
    cached = ctx.extra.get("_serials")
    if cached is None:
        cached = {}
        counters: dict[str, int] = {}
        for record in sorted(ctx.register.get("reports", []), key=_arrival_key):
            year = received_month(ctx, record)[:4]
            counters[year] = counters.get(year, 0) + 1
            cached[record.get("id")] = f"{year}-{counters[year]:05d}"
        ctx.extra["_serials"] = cached
    return cached


def by_arrival(records: Iterable[dict]) -> list[dict]:
    return sorted(records, key=_arrival_key)


def status_badge(status: str | None) -> str:
    key = status or "not_applicable"
    return f'<span class="bs-status bs-status-{esc(key)}">{esc(labels.STATUS_ZH.get(key, key))}</span>'


def status_cell(status: str | None) -> Cell:
    return Cell(status_badge(status), str(STATUS_ORDER.get(status or "", 9)))


def signature_cell(signature: str | None) -> Cell:
    if not signature:
        return Cell("—", "9")
    text = labels.SIGNATURE_ZH.get(signature, signature)
    cls = "bs-sig-ok" if signature == SIGNATURE_OK else "bs-sig-bad"
    return Cell(f'<span class="{cls}">{esc(text)}</span>', "0" if signature == SIGNATURE_OK else "1")


def time_cell(ctx: Context, value: object) -> Cell:
    text = fmt_time(value, ctx.tz)
    return Cell(esc(text) if text else "—", text or "")


def delay_cell(minutes: int | None) -> Cell:
    if not minutes:
        return Cell("—", "0")
    return Cell(esc(fmt_minutes(minutes)), f"{minutes:09d}")


REGISTER_HEADERS = ["序号", "单位", "类别与阶段", "标题", "事发时间", "收到时间", "报送时限", "超时", "状态",
                    "提交签名人", "签名", "时间来源"]


def register_row(ctx: Context, page: str, record: dict, serial: str, *, unit_column: bool = True) -> list[Cell]:
    rid = record.get("id") or ""
    row = [cell(serial, serial)]
    if unit_column:
        row.append(Cell(unit_link(ctx, page, record.get("unit"))))
    row += [
        cell(labels.kind_stage(record)),
        Cell(link(page, report_page(rid), record.get("title") or rid)),
        time_cell(ctx, record.get("occurred_at")),
        time_cell(ctx, record.get("received_at")),
        time_cell(ctx, record.get("deadline_at")),
        delay_cell(record.get("delay_minutes")),
        status_cell(record.get("status")),
        cell(ctx.staff_name(record.get("signer")) or "—"),
        signature_cell(record.get("signature")),
        cell(labels.time_source(record)),
    ]
    return row


def register_table(ctx: Context, page: str, records: Iterable[dict], *, unit_column: bool = True,
                   table_id: str = "register", search: bool = False) -> str:
    numbers = serials(ctx)
    headers = REGISTER_HEADERS if unit_column else [h for h in REGISTER_HEADERS if h != "单位"]
    rows = (register_row(ctx, page, r, numbers.get(r.get("id"), ""), unit_column=unit_column)
            for r in by_arrival(records))
    return table(headers, rows, table_id=table_id, filterable=True, search=search)


def on_time_rate(records: Iterable[dict]) -> tuple[int, int]:
    """(on time, judged): only reports that had a deadline count."""
    judged = [r for r in records if r.get("status") in ("on_time", "late", "missed")]
    return sum(1 for r in judged if r.get("status") == "on_time"), len(judged)


def relative(now: datetime, due: object, tz) -> tuple[str, bool]:
    """('还有 35分钟' | '已超期 2小时', overdue) of a due time relative to now."""
    when = local(due, tz)
    if when is None:
        return "", False
    minutes = (when - now).total_seconds() / 60
    if minutes >= 0:
        return f"还有 {fmt_minutes(max(1, int(minutes)))}", False
    return f"已超期 {fmt_minutes(max(1, int(-minutes)))}", True


def rule_title(ctx: Context, rule_id: str | None) -> str:
    """The policy's title of a deadline rule; follow-up duties described from the policy's numbers."""
    return vocab.rule_title(ctx.policy, rule_id)


def unit_codes(ctx: Context) -> list[str]:
    """Units that get a page: every configured unit, then any other code that filed reports."""
    cached = ctx.extra.get("_unit_codes")
    if cached is None:
        reporting = {r.get("unit") for r in ctx.register.get("reports", []) if r.get("unit")}
        cached = list(ctx.units) + sorted(reporting - set(ctx.units))
        ctx.extra["_unit_codes"] = cached
    return cached


def unit_link(ctx: Context, page: str, code: str | None) -> str:
    """A link to the unit's page, or just its name when it has none (an unknown code)."""
    if code and code in unit_codes(ctx):
        return link(page, unit_page(code), ctx.unit_name(code))
    return esc(ctx.unit_name(code) or "—")


def incident_link(ctx: Context, page: str, incident_id: str | None, text: object = None) -> str:
    """A link to the incident's page, or plain text when the register has no such incident."""
    incident = ctx.incidents_by_id.get(incident_id or "")
    label = text if text is not None else (incident.get("title") if incident else None) or incident_id or "—"
    return link(page, incident_page(incident_id or ""), label) if incident else esc(label)
