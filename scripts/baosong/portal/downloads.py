"""下载: the register as CSV (UTF-8 with BOM and CRLF, so Excel and WPS open it as Chinese) and XLSX,
written by `exports` (shared with `baosong export`).

Every text cell is masked. A text that starts like a spreadsheet formula (= + - @) is prefixed with
an apostrophe in the CSV and stored as a string (never a formula) in the XLSX, so a hostile title
cannot run anything in Excel. XLSX files are reproducible (`reproducible_xlsx`: fixed document times
and zip entry dates), so two builds of one commit give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime

from baosong.portal import labels
from baosong.portal.common import by_arrival, report_page, rule_title, serials
from baosong.portal.html import esc, fmt_time, page_url, rel
from baosong.portal.model import Context, DataFile, Item, Page

CSV_PATH = "downloads/register.csv"
XLSX_PATH = "downloads/register.xlsx"
HEADERS = ["登记序号", "报告编号", "单位代码", "单位", "类别", "阶段", "续报序号", "事件编号", "标题", "事件类别",
           "申报等级", "核定等级", "事发时间", "获知时间", "收到时间", "时间来源", "报送时限", "时限规则", "状态",
           "超时（分钟）", "迟报原因说明", "起草人", "提交签名人", "签名", "提交", "页面"]


def rows(ctx: Context) -> list[list[object]]:
    numbers = serials(ctx)
    out: list[list[object]] = []
    for r in by_arrival(ctx.register.get("reports", [])):
        out.append([
            numbers.get(r.get("id"), ""), r.get("id"), r.get("unit"), ctx.unit_name(r.get("unit")),
            labels.KIND_ZH.get(r.get("kind") or "", r.get("kind")), labels.STAGE_ZH.get(r.get("stage") or "", ""),
            r.get("sequence"), r.get("incident"), r.get("title"),
            labels.CATEGORY_ZH.get(r.get("category") or "", r.get("category") or ""),
            r.get("grade_declared"), r.get("grade_computed"),
            fmt_time(r.get("occurred_at"), ctx.tz), fmt_time(r.get("discovered_at"), ctx.tz),
            fmt_time(r.get("received_at"), ctx.tz),
            labels.time_source(r) if r.get("time_source") else "",
            fmt_time(r.get("deadline_at"), ctx.tz), rule_title(ctx, r.get("deadline_rule")) if r.get("deadline_rule")
            else "", labels.STATUS_ZH.get(r.get("status") or "", r.get("status")), r.get("delay_minutes"),
            r.get("delay_reason"), ctx.staff_name(r.get("author")), ctx.staff_name(r.get("signer")),
            labels.SIGNATURE_ZH.get(r.get("signature") or "", r.get("signature") or ""), r.get("commit"),
            page_url(report_page(r["id"])) if r.get("id") else "",
        ])
    return out


TIME_COLUMNS = tuple(HEADERS.index(h) for h in ("事发时间", "获知时间", "收到时间", "报送时限"))


def sheet(ctx: Context):
    """The whole register as an `exports.Sheet`, times as real (local) dates for the spreadsheet."""
    from baosong.exports import Sheet  # exports builds on this module: import it late

    table = []
    for row in rows(ctx):
        for i in TIME_COLUMNS:
            row[i] = datetime.strptime(row[i], "%Y-%m-%d %H:%M") if row[i] else None
        table.append(row)
    return Sheet("登记簿", list(HEADERS), table)


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


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def provide(ctx: Context) -> Iterator[Item]:
    from baosong.exports import csv_bytes, xlsx_bytes

    table = sheet(ctx)
    csv_data = csv_bytes(table)
    xlsx_data = xlsx_bytes([table], ctx.now)
    yield DataFile(CSV_PATH, csv_data)
    yield DataFile(XLSX_PATH, xlsx_data)
    path = "downloads.md"
    commit = (ctx.commit or "")[:12]
    body = ["<h1>下载</h1>",
            f'<p class="bs-lead">登记簿全部 {len(table.rows)} 份报告（版本 <code>{esc(commit)}</code>），'
            "每行一份报告，列与登记簿页面相同，另含报告编号、事件编号和提交编号。身份证号、手机号已脱敏。</p>",
            '<ul class="bs-downloads">'
            f'<li><a href="{esc(rel(path, CSV_PATH))}" download>登记簿（CSV，UTF-8 带 BOM，{_size(len(csv_data))}）</a>'
            "：可直接用 Excel 或 WPS 打开。</li>"
            f'<li><a href="{esc(rel(path, XLSX_PATH))}" download>登记簿（Excel 工作簿 XLSX，{_size(len(xlsx_data))}）</a>'
            "：首行冻结、可筛选。</li></ul>"]
    yield Page(path, "下载", "\n\n".join(body), "downloads", nav_title="下载")
