"""下载: the register as CSV (UTF-8 with BOM and CRLF, so Excel and WPS open it as Chinese) and XLSX,
written by `exports` (shared with `baosong export`), which owns the register table.

Every text cell is masked. A text that starts like a spreadsheet formula (= + - @) is prefixed with
an apostrophe in the CSV and stored as a string (never a formula) in the XLSX, so a hostile title
cannot run anything in Excel. XLSX files are reproducible (`exports.reproducible_xlsx`: fixed document
times and zip entry dates), so two builds of one commit give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from baosong.exports import csv_bytes, register_sheet, xlsx_bytes
from baosong.portal.common import CSV_PATH, XLSX_PATH
from baosong.portal.html import esc, rel
from baosong.portal.model import Context, DataFile, Item, Page

__all__ = ["CSV_PATH", "XLSX_PATH", "provide"]


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def provide(ctx: Context) -> Iterator[Item]:
    table = register_sheet(ctx)
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
