"""本机关上报义务 on the portal: the registry office's own duties upward (to the province, to the
centre) per incident — due time, when the upper registry received the forward (its receipt, imported
by `baosong upstream fetch`), status and the office's reason when late. A page under 登记簿, a block on
the home page, and a small table on each incident page (`duty_table`, used by incidents.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from baosong.portal.common import delay_cell, incident_page, time_cell
from baosong.portal.html import Cell, cell, esc, link, table
from baosong.portal.model import Context, HomeBlock, Item, Page
from baosong.records import IncidentRecord
from baosong.vocab import UPWARD_SOURCE_ZH, UPWARD_STATUS_ZH, UPWARD_TO_ZH

PAGE = "registers/upward.md"
# The register's status colours (baosong.css bs-status-*), reused for the upward verdicts.
_BADGE = {"on_time": "on_time", "late": "late", "missed": "missed", "overdue": "missed",
          "pending_receipt": "late", "not_due": "not_applicable", "untracked": "not_applicable"}
_ORDER = {"missed": 0, "overdue": 1, "late": 2, "pending_receipt": 3, "not_due": 4, "on_time": 5, "untracked": 6}


def status_badge(status: str) -> str:
    return (f'<span class="bs-status bs-status-{esc(_BADGE.get(status, "not_applicable"))}">'
            f"{esc(UPWARD_STATUS_ZH.get(status, status))}</span>")


def _rule_title(ctx: Context, rule_id: str) -> str:
    rule = next((r for r in ctx.policy.get("upward_rules") or [] if r.get("id") == rule_id), None)
    return (rule or {}).get("title") or rule_id


def duty_table(ctx: Context, page: str, rows: list[tuple[IncidentRecord, dict]], *, table_id: str,
               with_incident: bool) -> str:
    """rows: (incident, duty) pairs; one table row per duty."""
    headers = (["事件"] if with_incident else []) + ["报送对象", "适用规则", "报送时限", "上级收到", "时间来源", "状态",
                                                     "超时", "迟报原因说明"]
    out = []
    for inc, d in rows:
        done = time_cell(ctx, d.get("done_at"))
        source = UPWARD_SOURCE_ZH.get(d.get("source") or "", "—")
        row = [Cell(link(page, incident_page(inc.id), inc.title or inc.id))] if with_incident else []
        row += [cell(UPWARD_TO_ZH.get(d["to"], d["to"])), cell(_rule_title(ctx, d["rule"])),
                time_cell(ctx, d.get("due_at")), done, cell(source),
                Cell(status_badge(d["status"]), str(_ORDER.get(d["status"], 9))),
                delay_cell(d.get("delay_minutes")), cell(d.get("delay_reason") or "—")]
        out.append(row)
    return table(headers, out, table_id=table_id, search=False)


def _all(ctx: Context) -> list[tuple[IncidentRecord, dict]]:
    return [(inc, d) for inc in ctx.register.incidents for d in inc.upward]


NOTE = ('<p class="bs-note">上报义务按 config/policy.yaml 的向上报送规则（upward_rules）判断，以上级登记库的收文回执为准'
        "（baosong upstream fetch 获取并用上级公布的公钥验证）；尚无上级回执时，按本机关向上级提交的时间暂列为"
        "“已报送，待回执”。迟报原因取自转报到上级的报告中的 delay_reason。</p>")


def provide(ctx: Context) -> Iterator[Item]:
    rows = _all(ctx)
    if not rows:
        return
    counts = Counter(d["status"] for _, d in rows)
    summary = "，".join(f"{UPWARD_STATUS_ZH[s]} {counts[s]} 项" for s in _ORDER if counts.get(s))
    if counts.get("untracked"):  # say what to do, not only that the register cannot know
        summary += ("（未接入的报送对象只显示时限，无法核实是否按时：请在 config/units.yaml 的 upstream 中"
                    "登记上级登记库并运行 baosong upstream fetch）")
    ordered = sorted(rows, key=lambda x: (str(x[1].get("due_at") or ""), x[0].id), reverse=True)
    body = ["<h1>本机关上报义务</h1>",
            f'<p class="bs-lead">本登记机关向省、中央报送紧急信息的义务共 {len(rows)} 项：{esc(summary)}。</p>',
            duty_table(ctx, PAGE, ordered, table_id="upward", with_incident=True), NOTE]
    yield Page(PAGE, "本机关上报义务", "\n\n".join(body), "registers", nav_title="本机关上报义务",
               order=("~upward",), wide=True, search=False)
    pending = [x for x in ordered if x[1]["status"] in ("overdue", "not_due", "pending_receipt", "missed", "late")]
    shown = pending[:10]
    html = (f"<p>{esc(summary)}。{link('index.md', PAGE, '查看全部上报义务')}</p>"
            + (duty_table(ctx, "index.md", shown, table_id="home-upward", with_incident=True) if shown else ""))
    yield HomeBlock("upward", "本机关上报义务", html, order=40)
