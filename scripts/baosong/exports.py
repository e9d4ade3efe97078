"""Exports for the office's own paperwork: the register, score tables and bulletins of a period as
CSV (UTF-8 with BOM and CRLF, so Excel and WPS open it as Chinese), XLSX (Chinese headers, frozen
and bold header row, auto filter, column widths by display width, times as real spreadsheet dates
in local time) or JSON.

`export_bytes(ctx, what, period, fmt)` is the one entry point: `baosong export` writes its result
and the portal serves the same bytes as downloads. Inputs are the portal's `Context` (register
records, units, policy, documents), so an export shows what the portal shows. Every text is masked
(`privacy.mask`); a text that starts like a spreadsheet formula is quoted in the CSV and stored as
a string in the XLSX. The XLSX is reproducible (`reproducible_xlsx`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from baosong.bulletins import all_bulletins, bulletin, criticism_text
from baosong.portal import labels
from baosong.portal.common import by_arrival, received_month, report_page, rule_title, serials
from baosong.portal.html import fmt_time, page_url
from baosong.portal.model import Context
from baosong.privacy import mask
from baosong.records import JsonRecord
from baosong.scoring import (
    FINDINGS,
    LEVELS,
    TYPE_ZH,
    Period,
    Scores,
    compute_scores,
    entry_text,
    json_number,
    period_table,
    table_json,
)
from baosong.vocab import LEVEL_ZH

WHATS = ("register", "scores", "bulletin")
FORMATS = ("csv", "xlsx", "json")
OFFICE_KINDS = ("adoption", "instruction", "notice")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 6, 60
WHAT_ZH = {"register": "登记簿", "scores": "考核积分", "bulletin": "通报"}


class ExportError(Exception):
    """An export that cannot be made (e.g. a bulletin for a period not yet over); message in Chinese."""


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Writers


def _text(value: Any) -> Any:
    """Masked text; numbers and dates stay what they are; None → empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | datetime | date):
        return value
    return mask(str(value))


def _csv_text(value: Any) -> str:
    value = _text(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM and CRLF line ends: Excel and WPS read it as Chinese text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(sheet.headers)
    writer.writerows([_csv_text(v) for v in row] for row in sheet.rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(sheet: Sheet) -> list[int]:
    widths = [display_width(h) + 2 for h in sheet.headers]
    for row in sheet.rows[:300]:  # a sample is enough to size the columns
        for i, v in enumerate(row):
            w = 17 if isinstance(v, datetime) else 11 if isinstance(v, date) else display_width(_csv_text(v)) + 2
            if i < len(widths) and w > widths[i]:
                widths[i] = w
    return [max(MIN_WIDTH, min(MAX_WIDTH, w)) for w in widths]


def xlsx_bytes(sheets: list[Sheet], stamp: datetime) -> bytes:
    """A workbook, one worksheet per sheet. Aware times are shown in the stamp's timezone (local)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        for i, width in enumerate(_widths(sheet), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{len(sheet.rows) + 1}"
        header = []
        for h in sheet.headers:
            c = WriteOnlyCell(ws, value=h)
            c.font = bold
            c.alignment = Alignment(vertical="center")
            header.append(c)
        ws.append(header)
        for row in sheet.rows:
            out: list[Any] = []
            for v in row:
                v = _text(v)
                if isinstance(v, date):
                    if isinstance(v, datetime) and v.tzinfo is not None:
                        v = v.astimezone(stamp.tzinfo).replace(tzinfo=None)
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = DATETIME_FORMAT if isinstance(v, datetime) else DATE_FORMAT
                    v = c
                elif isinstance(v, str) and v.startswith(_FORMULA_START):
                    v = WriteOnlyCell(ws, value=v)
                    v.data_type = "s"  # never a formula, whatever the text starts with
                out.append(v)  # plain values cost half as much as cell objects
            ws.append(out)
    wb.properties.creator = "baosong"
    raw = io.BytesIO()
    wb.save(raw)
    return reproducible_xlsx(raw.getvalue(), stamp)


_MODIFIED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def reproducible_xlsx(data: bytes, when: datetime) -> bytes:
    """An XLSX (as openpyxl saves it) made reproducible: document times and zip entry dates set to
    `when` (openpyxl stamps the save time into both). Use for every XLSX the portal publishes."""
    utc = when.astimezone(UTC)
    iso_z = utc.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(lambda m: m.group(1) + iso_z + m.group(2), content)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """JSON-ready data: masked strings, ISO times, integral points as integers (commonest types first)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, JsonRecord):  # a register record: its JSON form (`baosong registry`'s)
        return _plain(value.to_json())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Period):
        return value.key
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON (one line: the C encoder, several times faster than an indented dump)."""
    return (json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def local_naive(value: Any, tz) -> datetime | None:
    """An aware time (or ISO string) as a naive local datetime: what a spreadsheet cell can hold."""
    from baosong.timeutil import parse_datetime

    when = value if isinstance(value, datetime) else parse_datetime(value)
    return when.astimezone(tz).replace(tzinfo=None) if when is not None else None


# ------------------------------------------------------------------------------------------------
# Inputs from the portal's context


def context_scores(ctx: Context) -> Scores:
    """The scores of a portal `Context` (computed once per context)."""
    cached = ctx.extra.get("_scores")
    if cached is None:
        office = {}
        for r in ctx.register.reports:
            if r.kind in OFFICE_KINDS and r.id:
                doc = ctx.document(r.id)
                if doc is not None:
                    office[r.id] = doc
        cached = compute_scores(ctx.register.reports, office, ctx.policy, ctx.units, now=ctx.now,
                                registry_office=ctx.extra.get("registry_office"),
                                incidents=ctx.register.incidents, requests=ctx.register.requests,
                                duty_periods=ctx.register.duty_periods)
        ctx.extra["_scores"] = cached
    return cached


def context_bulletins(ctx: Context) -> list[dict]:
    """Every bulletin of the context, newest first (computed once per context)."""
    cached = ctx.extra.get("_bulletins")
    if cached is None:
        cached = all_bulletins(context_scores(ctx), issuer=ctx.unit_name(ctx.extra.get("registry_office")),
                               city=ctx.city, level_zh=LEVEL_ZH)
        ctx.extra["_bulletins"] = cached
    return cached


def find_bulletin(ctx: Context, period: Period) -> dict:
    for b in context_bulletins(ctx):
        if b["key"] == period.key:
            return b
    scores = context_scores(ctx)
    kinds = scores.rules.get("periods", [])
    if period.kind not in kinds:
        raise ExportError(f"计分办法未规定{period.label}这一类周期的通报（统计周期：{'、'.join(kinds) or '无'}）。")
    if not scores.complete(period):
        raise ExportError(f"{period.label}尚未结束（数据截至 {ctx.now:%Y-%m-%d %H:%M}），还不能生成通报。")
    return bulletin(scores, period, issuer=ctx.unit_name(ctx.extra.get("registry_office")), city=ctx.city,
                    level_zh=LEVEL_ZH)


# ------------------------------------------------------------------------------------------------
# Tables


HEADERS = ["登记序号", "报告编号", "单位代码", "单位", "类别", "阶段", "续报序号", "事件编号", "标题", "事件类别",
           "申报等级", "核定等级", "事发时间", "获知时间", "收到时间", "时间来源", "报送时限", "时限规则", "状态",
           "超时（分钟）", "迟报原因说明", "起草人", "提交签名人", "签名", "提交", "页面"]


def rows(ctx: Context) -> list[list[object]]:
    numbers = serials(ctx)
    out: list[list[object]] = []
    for r in by_arrival(ctx.register.reports):
        out.append([
            numbers.get(r.id or "", ""), r.id, r.unit, ctx.unit_name(r.unit),
            labels.KIND_ZH.get(r.kind or "", r.kind), labels.STAGE_ZH.get(r.stage or "", ""),
            r.sequence, r.incident, r.title,
            labels.CATEGORY_ZH.get(r.category or "", r.category or ""),
            r.grade_declared, r.grade_computed,
            fmt_time(r.occurred_at, ctx.tz), fmt_time(r.discovered_at, ctx.tz),
            fmt_time(r.received_at, ctx.tz),
            labels.time_source(r) if r.time_source else "",
            fmt_time(r.deadline_at, ctx.tz), rule_title(ctx, r.deadline_rule) if r.deadline_rule
            else "", labels.STATUS_ZH.get(r.status or "", r.status), r.delay_minutes,
            r.delay_reason, ctx.staff_name(r.author), ctx.staff_name(r.signer),
            labels.SIGNATURE_ZH.get(r.signature or "", r.signature or ""), r.commit,
            page_url(report_page(r.id)) if r.id else "",
        ])
    return out


TIME_HEADERS = ("事发时间", "获知时间", "收到时间", "报送时限")
TIME_COLUMNS = tuple(HEADERS.index(h) for h in TIME_HEADERS)


def register_sheet(ctx: Context, period: Period | None = None) -> Sheet:
    """The register (all reports, or those received in `period`) with the portal download's columns;
    the portal's text times "YYYY-MM-DD HH:MM" (local) become real dates for the spreadsheet."""
    wanted = None
    if period is not None:
        months = set(period.months)
        wanted = {r.id for r in ctx.register.reports if r.id and received_month(ctx, r) in months}
    id_col = HEADERS.index("报告编号")
    out = []
    for row in rows(ctx):
        if wanted is None or row[id_col] in wanted:
            for i in TIME_COLUMNS:
                row[i] = datetime.strptime(str(row[i]), "%Y-%m-%d %H:%M") if row[i] else None
            out.append(row)
    return Sheet(f"登记簿{period.key}" if period is not None else "登记簿", list(HEADERS), out)


RANKING_HEADERS = (["排名", "单位代码", "单位", "紧急信息（份）", "涉及事件（起）", "政务信息（条）", "网络舆情（条）",
                    "计入任务（条）", "任务（条）", "少报（条）", "采用（条次）", "采用加分"]
                   + [f"采用加分·{LEVEL_ZH[k]}" for k in LEVELS]
                   + ["批示（次）", "批示加分", "任务缺额扣分"]
                   + [h for k in FINDINGS for h in (f"{TYPE_ZH[k]}（次）", f"{TYPE_ZH[k]}扣分")] + ["合计"])


def ranking_sheet(table: dict, title: str = "积分排名", *, duties: bool = False) -> Sheet:
    """The ranked table of a period; `duties` (`Scores.has_duties`): with the 约稿与重要时段 points as a
    column before 合计, as on the site, so the columns add up to the total."""
    out = []
    for r in table["rows"]:
        c, p = r["counts"], r["points"]
        out.append([r["rank"], r["unit"], r["name"], c["emergency"], c["incidents"], c["info"], c["opinion"],
                    c["quota_items"], r["quota"], r["shortfall"], r["adopted"], p["adoption"]]
                   + [r["adoption_by_level"][k] for k in LEVELS]
                   + [r["instructed"], p["instruction"], p["shortfall"]]
                   + [v for k in FINDINGS for v in (r["offences"][k], p[k])]
                   + ([float(sum(r["duties"].values()))] if duties else []) + [r["total"]])
    headers = list(RANKING_HEADERS)
    return Sheet(title, headers[:-1] + ["约稿与重要时段加减分", headers[-1]] if duties else headers, out)


DETAIL_HEADERS = ["单位代码", "单位", "日期", "月份", "类型", "分值", "基础分值", "倍数", "本年度第几次", "报告编号",
                  "报告标题", "登记机关记录", "说明"]


def detail_sheet(scores: Scores, table: dict, tz) -> Sheet:
    out = []
    for r in table["rows"]:
        for e in r["entries"]:
            out.append([e["unit"], scores.name(e["unit"]), local_naive(e["date"], tz), e["month"], TYPE_ZH[e["type"]],
                        e["points"], e["base"], e["multiplier"], e.get("occurrence"), e.get("report"),
                        scores.titles.get(e.get("report") or "", ""), "、".join(e.get("records", [])),
                        entry_text(e, LEVEL_ZH)])
    return Sheet("计分明细", DETAIL_HEADERS, out)


ITEM_HEADERS = ["栏目", "序号", "单位代码", "单位", "报告编号", "标题", "说明", "分值"]


def bulletin_items_sheet(scores: Scores, b: dict) -> Sheet:
    """The bulletin's ranking, praised and criticised items as one table (the CSV of a bulletin)."""
    out: list[list[Any]] = []
    for r in b["ranking"]:
        out.append(["积分排名", r["rank"], r["unit"], r["name"], None, None, None, r["total"]])
    for i, x in enumerate(b["praised"]["top"], start=1):
        out.append(["表扬·积分靠前", i, x["unit"], x["name"], None, None, f"第{x['rank']}名", x["total"]])
    for i, x in enumerate(b["praised"]["instructed"], start=1):
        out.append(["表扬·领导批示", i, x["unit"], x["name"], x["report"], x["title"],
                    f"{x['leader'] or '领导'}批示（{LEVEL_ZH.get(x['level'] or '', x['level'])}）", x["points"]])
    for i, x in enumerate(b["praised"]["adopted"] if b["category"] in ("quarter", "year") else [], start=1):
        out.append(["表扬·省级以上采用", i, x["unit"], x["name"], x["report"], x["title"],
                    f"{x['outlet'] or ''}（{LEVEL_ZH.get(x['level'] or '', x['level'])}）", x["points"]])
    for i, x in enumerate(b["criticised"]["reports"], start=1):
        out.append([f"通报批评·{TYPE_ZH[x['type']]}", i, x["unit"], x["name"], x["report"], x["title"],
                    criticism_text(scores, x), x["points"]])
    for i, x in enumerate(b["criticised"]["shortfall"], start=1):
        detail = "、".join(f"{int(m['month'][5:])}月报送{m['counted']}条（少报{m['missing']}条）" for m in x["months"])
        out.append(["通报批评·任务缺额", i, x["unit"], x["name"], None, None, detail, x["points"]])
    return Sheet("通报事项", ITEM_HEADERS, out)


def bulletin_text_sheet(b: dict) -> Sheet:
    lines = [b["title"], b["number"], b["addressee"]]
    for s in b["sections"]:
        if s["heading_text"]:
            lines.append(s["heading_text"])
        lines.extend(s["paragraphs"])
    lines += [b["issuer"], f"{b['date'].year}年{b['date'].month}月{b['date'].day}日"]
    return Sheet("正文", ["通报正文"], [[line] for line in lines])


def bulletin_json(scores: Scores, b: dict) -> dict:
    table = table_json(b["table"])
    return {"key": b["key"], "period": b["key"], "label": b["label"], "category": b["category"],
            "category_label": b["category_label"], "title": b["title"], "number": b["number"],
            "date": b["date"], "issuer": b["issuer"], "addressee": b["addressee"],
            "sections": [{"heading": s["heading_text"], "paragraphs": s["paragraphs"]} for s in b["sections"]],
            # The ranking without each unit's ledger: that is the scores export of the same period.
            "ranking": [{k: v for k, v in r.items() if k != "entries"} for r in table["rows"]],
            "totals": table["totals"],
            "praised": {k: [_set_fields(x) for x in items] for k, items in b["praised"].items()},
            "criticised": {"reports": [{**_set_fields(x), "text": criticism_text(scores, x)}
                                       for x in b["criticised"]["reports"]],
                           "shortfall": b["criticised"]["shortfall"]}}


def _set_fields(item: dict) -> dict:
    """An item without its empty fields (an adoption has no delay, a late report no leader)."""
    return {k: v for k, v in item.items() if v is not None}


# ------------------------------------------------------------------------------------------------
# The entry point


def file_name(what: str, period: Period, fmt: str) -> str:
    """`scores-2026-Q3.xlsx`: the default file of `baosong export` and the portal's download name."""
    return f"{what}-{period.key}.{fmt}"


def export_bytes(ctx: Context, what: str, period: Period, fmt: str) -> bytes:
    """The export file's bytes. ExportError when it cannot be made."""
    if what not in WHATS or fmt not in FORMATS:
        raise ExportError(f"不支持的导出：{what} / {fmt}")
    tz = ctx.tz
    if what == "register":
        sheet = register_sheet(ctx, period)
        if fmt == "json":
            months = set(period.months)
            return json_bytes({"period": period.key, "label": period.label, "commit": ctx.commit,
                               "reports": [r for r in ctx.register.reports
                                           if received_month(ctx, r) in months]})
        return csv_bytes(sheet) if fmt == "csv" else xlsx_bytes([sheet], ctx.now)
    scores = context_scores(ctx)
    if what == "scores":
        table = period_table(scores, period)
        if fmt == "json":
            return json_bytes({"scheme": scores.rules.get("scheme"), "title": scores.rules.get("title"),
                               "commit": ctx.commit, "now": ctx.now, **table_json(table, LEVEL_ZH),
                               "unattributed": scores.unattributed})
        ranking = ranking_sheet(table, duties=scores.has_duties)
        return csv_bytes(ranking) if fmt == "csv" else \
            xlsx_bytes([ranking, detail_sheet(scores, table, tz)], ctx.now)
    b = find_bulletin(ctx, period)
    if fmt == "json":
        return json_bytes(bulletin_json(scores, b))
    items = bulletin_items_sheet(scores, b)
    return csv_bytes(items) if fmt == "csv" else \
        xlsx_bytes([bulletin_text_sheet(b), ranking_sheet(b["table"], "排名", duties=scores.has_duties), items], ctx.now)


__all__ = ["FORMATS", "WHATS", "ExportError", "Sheet", "context_bulletins", "context_scores", "csv_bytes",
           "display_width", "export_bytes", "file_name", "find_bulletin", "json_bytes", "local_naive",
           "register_sheet", "reproducible_xlsx", "rows", "xlsx_bytes"]
