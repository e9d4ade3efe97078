"""回执库见证 on the portal: the witness file (receipts.write_witness) as a download, and a home-page
block saying what it pins down and how to check a copy of the registry against it.

The witness lives outside the repository (the server's state directory), so a rewound or deleted
receipts store cannot take it along; publishing it lets an auditor with a fresh clone notice either.
"""

from __future__ import annotations

from collections.abc import Iterator

from baosong.portal.html import esc, fmt_time
from baosong.portal.model import Context, DataFile, HomeBlock
from baosong.timeutil import parse_datetime

DOWNLOAD = "downloads/receipts-witness.json"


def provide(ctx: Context) -> Iterator[DataFile | HomeBlock]:
    found = ctx.extra.get("witness")
    if not found:
        return
    raw, doc = found
    yield DataFile(DOWNLOAD, raw)
    at = parse_datetime(doc.get("at")) if isinstance(doc.get("at"), str) else None
    html = (f'<p>登记系统写入回执后记下回执库的最新状态：第 <strong>{esc(str(doc["sequence"]))}</strong> 号检查点'
            f'（回执库提交 <code>{esc(doc["commit"][:12])}</code>'
            + (f"，{esc(fmt_time(at, ctx.tz))}" if at else "") + "）。"
            "回执库被删除、回退或改写时，与它一比即知。</p>"
            f'<p><a href="{DOWNLOAD}" download>下载见证文件</a>，在自己克隆的登记库中运行 '
            "<code>baosong audit --witness 下载的文件</code> 核对。</p>")
    yield HomeBlock("witness", "回执库见证", html, order=80)
