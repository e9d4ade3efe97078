"""首页: what a duty officer needs at a glance. Built after every provider, so other features
(bulletins, scores) can add their blocks (`HomeBlock`) without touching this module.

"Now" is the portal's `Context.now` (the commit time unless `--now` is given), so the page does not
depend on when the build ran; the site script refreshes the "time left / overdue" texts in the
browser from the due times in the page.
"""

from __future__ import annotations

from collections import defaultdict

from baosong.portal.common import on_time_rate, received_month, register_table
from baosong.portal.html import esc, fmt_time, local, percent
from baosong.portal.incidents import open_incidents_table
from baosong.portal.model import Context, HomeBlock, Page
from baosong.portal.registers import OFFICE_KINDS

# Placeholders for blocks that later features provide (key -> (title, text)).
PLACEHOLDER_BLOCKS = {"bulletins": ("最新通报", "通报功能即将推出：届时这里列出最近发布的通报。")}


def _month_summary(ctx: Context) -> str:
    month = ctx.now.strftime("%Y-%m")
    records = [r for r in ctx.register.reports if received_month(ctx, r) == month]
    kinds: dict[str, int] = defaultdict(int)
    for r in records:
        kinds["office" if r.kind in OFFICE_KINDS else r.kind or ""] += 1
    on_time, judged = on_time_rate(records)
    late = sum(1 for r in records if r.status == "late")
    missed = sum(1 for r in records if r.status == "missed")
    tiles = [("本月收到", f"{len(records)}", "份报告"), ("紧急信息", f"{kinds['emergency']}", "份"),
             ("政务信息", f"{kinds['info']}", "份"), ("网络舆情", f"{kinds['opinion']}", "份"),
             ("按时率", percent(on_time, judged), f"{on_time}/{judged} 份有时限的报告按时"),
             ("迟报 / 漏报", f"{late} / {missed}", "份")]
    cells = "".join(f'<div class="bs-tile"><div class="bs-tile-label">{esc(a)}</div>'
                    f'<div class="bs-tile-value">{esc(b)}</div><div class="bs-tile-note">{esc(c)}</div></div>'
                    for a, b, c in tiles)
    return f'<div class="bs-tiles">{cells}</div>'


def home_page(ctx: Context, blocks: list[HomeBlock]) -> Page:
    path = "index.md"
    incidents = ctx.register.incidents
    today = ctx.now.date()
    received_today = [r for r in ctx.register.reports
                      if (when := local(r.received_at, ctx.tz)) is not None and when.date() == today]
    open_count = sum(1 for i in incidents if not i.closed_at)
    overdue = sum(1 for i in incidents if i.overdue)
    body = [f"<h1>{esc(ctx.city)}信息报送门户</h1>",
            f'<p class="bs-lead">数据截至 <strong>{esc(fmt_time(ctx.now, ctx.tz))}</strong>'
            f"（登记库版本 <code>{esc((ctx.commit or '')[:12])}</code>）。"
            f"处置中的事件 {open_count} 起，其中续报超期 {overdue} 起。</p>",
            "## 处置中的事件", open_incidents_table(ctx, path, incidents, table_id="home-open"),
            f"## 今日收到（{today.month}月{today.day}日）",
            register_table(ctx, path, received_today, table_id="home-today") if received_today
            else '<p class="bs-empty">今日尚未收到报告。</p>',
            f"## 本月统计（{ctx.now.year}年{ctx.now.month}月）", _month_summary(ctx)]
    given = {b.key for b in blocks}
    shown = list(blocks) + [HomeBlock(key, title, f'<p class="bs-placeholder">{esc(text)}</p>', 90)
                            for key, (title, text) in PLACEHOLDER_BLOCKS.items() if key not in given]
    for block in sorted(shown, key=lambda b: (b.order, b.key)):
        body += [f"## {esc(block.title)}", block.html]
    return Page(path, "首页", "\n\n".join(body), "home", nav_title="首页", wide=True)
