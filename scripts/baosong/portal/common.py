"""Pieces several page providers share: page paths, serial numbers, status badges, register rows."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timezone
from typing import NamedTuple

from baosong import vocab
from baosong.portal import labels
from baosong.portal.html import Cell, cell, esc, fmt_minutes, fmt_time, link, local, plain, rel, slug, table
from baosong.portal.model import Context, DataFile
from baosong.records import ReportRecord

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


def received_month(ctx: Context, record: ReportRecord) -> str:
    """YYYY-MM of the arrival (local time); the drafting date when the arrival is unknown."""
    when = record.received_at or record.created_at
    if when is None:
        rid = record.id or ""
        parts = rid.split("-")
        return f"{parts[1][:4]}-{parts[1][4:6]}" if len(parts) > 1 and parts[1].isdigit() else "0000-00"
    return when.astimezone(ctx.tz).strftime("%Y-%m")


_NEVER = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)


def iso(when: datetime | None) -> str:
    """A record's time as its JSON text (ISO 8601 to the second), "" when none: for data attributes."""
    return when.isoformat(timespec="seconds") if when is not None else ""


def time_key(when: datetime | None, *, last: bool = True) -> datetime:
    """A sort key for an optional time: no time sorts after every time (before, with `last=False`)."""
    return when if when is not None else (_END if last else _NEVER)


def _arrival_key(record: ReportRecord) -> tuple[bool, datetime, str]:
    """Order of arrival (unknown arrivals last), then report id."""
    return (record.received_at is None, record.received_at or _NEVER, record.id or "")


def serials(ctx: Context) -> dict[str, str]:
    """登记序号 per report id: YYYY-NNNNN in order of arrival within each year (stable for a commit)."""
    cached = ctx.extra.get("_serials")
    if cached is None:
        cached = {}
        counters: dict[str, int] = {}
        for record in sorted(ctx.register.reports, key=_arrival_key):
            year = received_month(ctx, record)[:4]
            counters[year] = counters.get(year, 0) + 1
            cached[record.id or ""] = f"{year}-{counters[year]:05d}"
        ctx.extra["_serials"] = cached
    return cached


def by_arrival(records: Iterable[ReportRecord]) -> list[ReportRecord]:
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
# Rows of a register table drawn as HTML in the page (what shows without JavaScript); the site script
# draws the rest from the data file a page at a time.
FIRST_PAGE_ROWS = 50
DATA_SUFFIX = ".rows.json"
# The register downloads (written by portal.downloads), linked from every register table.
CSV_PATH = "downloads/register.csv"
XLSX_PATH = "downloads/register.xlsx"


class RegisterRow(NamedTuple):
    """One row of a register table, as shown: plain (unescaped, unmasked) texts and the keys behind them."""

    serial: str        # 登记序号
    unit: str          # unit code ("" when none)
    kind: str          # report kind key (the 类别 filter)
    stage: str         # 类别与阶段 label
    title: str         # the title, or the report id when it has none
    page: str          # the report page (docs path)
    occurred: str      # local "YYYY-MM-DD HH:MM", "" when none
    received: str
    deadline: str
    delay: int         # minutes late, 0 when none
    status: str        # status key, "" when none
    signer: str        # the signer's name, "" when none
    signature: str     # signature status key, "" when none
    source: str        # time source label (labels.time_source)


def register_values(ctx: Context, record: ReportRecord, serial: str) -> RegisterRow:
    """The one place that reads a register record's fields for the register tables and their data files."""
    rid = record.id or ""
    return RegisterRow(
        serial=serial,
        unit=record.unit or "",
        kind=record.kind or "",
        stage=labels.kind_stage(record),
        title=record.title or rid,
        page=report_page(rid),
        occurred=fmt_time(record.occurred_at, ctx.tz),
        received=fmt_time(record.received_at, ctx.tz),
        deadline=fmt_time(record.deadline_at, ctx.tz),
        delay=record.delay_minutes or 0,
        status=record.status or "",
        signer=ctx.staff_name(record.signer) or "",
        signature=record.signature or "",
        source=labels.time_source(record),
    )


def _time_text_cell(text: str) -> Cell:
    return Cell(esc(text) if text else "—", text)


def register_row(ctx: Context, page: str, row: RegisterRow, *, unit_column: bool = True) -> list[Cell]:
    cells = [cell(row.serial, row.serial, "bs-c-serial")]
    if unit_column:
        cells.append(Cell(unit_link(ctx, page, row.unit or None)))
    cells += [
        cell(row.stage),
        Cell(link(page, row.page, row.title), cls="bs-c-title"),
        _time_text_cell(row.occurred),
        _time_text_cell(row.received),
        _time_text_cell(row.deadline),
        delay_cell(row.delay),
        status_cell(row.status or None),
        cell(row.signer or "—"),
        signature_cell(row.signature or None),
        cell(row.source),
    ]
    return cells


def register_rows(ctx: Context, records: Iterable[ReportRecord]) -> list[RegisterRow]:
    """The rows of a register table, in order of arrival."""
    numbers = serials(ctx)
    return [register_values(ctx, r, numbers.get(r.id or "", "")) for r in by_arrival(records)]


def register_table(ctx: Context, page: str, records: Iterable[ReportRecord], *, unit_column: bool = True,
                   table_id: str = "register", search: bool = False) -> str:
    """A short register table, every row in the page (e.g. today's reports on the home page)."""
    headers = REGISTER_HEADERS if unit_column else [h for h in REGISTER_HEADERS if h != "单位"]
    rows = (register_row(ctx, page, r, unit_column=unit_column) for r in register_rows(ctx, records))
    return table(headers, rows, table_id=table_id, filterable=True, search=search, cards=True)


def data_path(page: str) -> str:
    """The data file beside a page: `registers/2026-11.md` → `registers/2026-11.rows.json`."""
    return page[:-3] + DATA_SUFFIX


def data_view(page: str, headers: Sequence[str], first: Iterable[Sequence[Cell]], total: int, data: bytes, *,
              table_id: str, note: str) -> tuple[str, DataFile]:
    """A table of any length (register, unit and incident lists): the first rows (`first`, at most
    `FIRST_PAGE_ROWS`) in the page as HTML — what shows without JavaScript, with `note` (markup made safe
    by the caller) below it — and every row in the data file beside the page (`data`, written by
    `data_json`), from which the site script sorts, filters, counts and draws a page at a time."""
    target = data_path(page)
    markup = table(headers, first, table_id=table_id, search=False, sortable=False, cards=True,
                   data={"rows": rel(page, target), "total": total, "page-size": FIRST_PAGE_ROWS})
    # One block (no blank line), so the adapter slots it past Markdown as a whole.
    return markup + "\n" + f'<p class="bs-more" data-bs-more>{note}</p>', DataFile(target, data)


def register_view(ctx: Context, page: str, records: Iterable[ReportRecord], *, unit_column: bool = True,
                  table_id: str = "register") -> tuple[str, DataFile]:
    """A register table of any length (`data_view`), every report of `records` in order of arrival."""
    rows = register_rows(ctx, records)
    headers = REGISTER_HEADERS if unit_column else [h for h in REGISTER_HEADERS if h != "单位"]
    first = (register_row(ctx, page, r, unit_column=unit_column) for r in rows[:FIRST_PAGE_ROWS])
    shown = min(len(rows), FIRST_PAGE_ROWS)
    note = (f"共 {len(rows)} 行，此处按收到时间列出前 {shown} 行。"
            "启用 JavaScript 后可翻页、排序，并按关键字、单位、类别、状态、签名筛选全部行；"
            f'全部报告也可下载：<a href="{esc(rel(page, CSV_PATH))}">CSV</a>、'
            f'<a href="{esc(rel(page, XLSX_PATH))}">XLSX</a>。')
    return data_view(page, headers, first, len(rows), register_data(ctx, page, rows, unit_column=unit_column),
                     table_id=table_id, note=note)


_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def register_data(ctx: Context, page: str, rows: list[RegisterRow], *, unit_column: bool = True) -> bytes:
    """The data file of a register table: compact JSON, every text masked, no markup characters.

    Repeated texts (units, labels, names) are listed once and rows refer to them by index. A row:
    [serial, unit, kind, stage, title, report page slug, occurred, received, deadline, delay minutes,
    delay text, status, signer, signature, time source] — unit, kind, status and signature index their
    tables (-1: none), stage, delay text, signer and time source index `strings`. `<`, `>` and `&` are
    written as JSON escapes, so the file holds no markup whatever it is read as; the site script puts
    every text into the page as text.
    """
    strings: dict[str, int] = {}
    units: dict[str, int] = {}
    kinds: dict[str, int] = {}
    statuses: dict[str, int] = {}
    signatures: dict[str, int] = {}

    def index(table_: dict[str, int], key: str) -> int:
        if not key:
            return -1
        if key not in table_:
            table_[key] = len(table_)
        return table_[key]

    def text(value: str) -> int:
        value = plain(value)
        if value not in strings:
            strings[value] = len(strings)
        return strings[value]

    reports_dir = posixpath.dirname(rel(page, report_page("x")))
    out_rows = []
    for r in rows:
        out_rows.append([plain(r.serial), index(units, r.unit), index(kinds, r.kind), text(r.stage), plain(r.title),
                         posixpath.basename(r.page)[:-3], r.occurred, r.received, r.deadline, r.delay,
                         text(fmt_minutes(r.delay) if r.delay else "—"), index(statuses, r.status or "not_applicable"),
                         text(r.signer or "—"), index(signatures, r.signature), text(r.source)])
    codes = unit_codes(ctx)
    data = {
        "version": 1,
        "columns": REGISTER_HEADERS if unit_column else [h for h in REGISTER_HEADERS if h != "单位"],
        "unit_column": unit_column,
        "reports": reports_dir + "/" if reports_dir else "",
        "units": [[plain(code), plain(ctx.unit_name(code)),
                   rel(page, unit_page(code)) if code in codes else ""] for code in units],
        "kinds": [[k, plain(labels.KIND_ZH.get(k, k))] for k in kinds],
        "statuses": [[k, plain(labels.STATUS_ZH.get(k, k)), STATUS_ORDER.get(k, 9)] for k in statuses],
        "signatures": [[k, plain(labels.SIGNATURE_ZH.get(k, k)), 0 if k == SIGNATURE_OK else 1] for k in signatures],
        "strings": list(strings),
        "rows": out_rows,
    }
    return data_json(data)


def data_json(data: dict) -> bytes:
    """A table's data file as bytes: compact JSON, `<`, `>` and `&` written as JSON escapes, so the file
    holds no markup whatever it is read as (the site script puts every text into the page as text)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES).encode("utf-8")


def on_time_rate(records: Iterable[ReportRecord]) -> tuple[int, int]:
    """(on time, judged): only reports that had a deadline count."""
    judged = [r for r in records if r.status in ("on_time", "late", "missed")]
    return sum(1 for r in judged if r.status == "on_time"), len(judged)


def relative(now: datetime, due: object, tz: timezone) -> tuple[str, bool]:
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
        reporting = {r.unit for r in ctx.register.reports if r.unit}
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
    label = text if text is not None else (incident.title if incident else None) or incident_id or "—"
    return link(page, incident_page(incident_id or ""), label) if incident else esc(label)
