"""约稿 and 重要时段 on the portal, from the register's `requests` and `duty_periods` (duties.py).

- 约稿 (`duties/requests.md`): open requests first with the time left and each target unit's status,
  answers linked to their report pages; closed requests in an archive table. One page per request.
- 重要时段 (`duties/periods.md`, one page per period): a units × days grid, today's missing units on top.
- The home page gets a block (open requests; during a duty period, who has not reported today), and
  each unit page its requests and daily reports (`unit_duty_sections`, called by units.py).

Every cell of the grids and status tables carries `data-unit`, `data-status` (and `data-date`) so a
reader's tools and the browser test can compare the page with the register.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from baosong.duties import DutyDay, DutyPeriodRecord, RequestRecord
from baosong.portal.common import iso, relative, report_page, time_cell, unit_link
from baosong.portal.html import Cell, cell, definition_list, esc, fmt_time, link, paragraphs, rel, slug, table
from baosong.portal.model import Context, HomeBlock, Item, Page
from baosong.privacy import mask
from baosong.vocab import DAILY_STATUS_ZH, REQUEST_STATUS_ZH

REQUESTS_PAGE = "duties/requests.md"
PERIODS_PAGE = "duties/periods.md"
GROUP = "约稿与重要时段"
# Most urgent first in status columns.
REQUEST_ORDER = {"missing": 0, "open": 1, "late": 2, "declined": 3, "on_time": 4}
DAILY_ORDER = {"missing": 0, "not_due": 1, "late": 2, "zero": 3, "on_time": 4}


def request_page(request_id: str) -> str:
    return f"duties/requests/{slug(request_id)}.md"


def period_page(period_id: str) -> str:
    return f"duties/periods/{slug(period_id)}.md"


def masked_phone(text: object) -> str:
    """A contact phone as the portal shows it: `privacy.mask` for mobiles; any other number keeps only
    its first four and last four digits (`0571-****1234`), or its last two when shorter."""
    raw = str(text or "")
    masked = mask(raw)
    if masked != raw:
        return masked
    digits = [i for i, ch in enumerate(raw) if ch.isdigit()]
    keep = set(digits[:4] + digits[-4:]) if len(digits) >= 9 else set(digits[-2:])
    return "".join("*" if i in digits and i not in keep else ch for i, ch in enumerate(raw))


def _badge(value: str, labels: dict[str, str], **data: str) -> str:
    attrs = "".join(f' data-{k}="{esc(v)}"' for k, v in data.items())
    return f'<span class="bs-status bs-status-{esc(value)}"{attrs}>{esc(labels.get(value, value))}</span>'


def _report_link(ctx: Context, page: str, report_id: str | None, text: object = None) -> str:
    if not report_id:
        return "—"
    record = ctx.reports_by_id.get(report_id)
    label = text if text is not None else (record.title if record else None) or report_id
    return link(page, report_page(report_id), label) if record else esc(label)


def _due_html(ctx: Context, due: datetime | None, show: bool) -> str:
    if not due:
        return "—"
    if not show:
        return esc(fmt_time(due, ctx.tz))
    text, overdue = relative(ctx.now, due, ctx.tz)
    cls = "bs-due bs-overdue" if overdue else "bs-due"
    return f'{esc(fmt_time(due, ctx.tz))} <span class="{cls}" data-due="{esc(iso(due))}">{esc(text)}</span>'


def _counts_text(counts: dict[str, int], labels: dict[str, str]) -> str:
    return "，".join(f"{labels[k]} {n}" for k, n in counts.items() if n) or "—"


def request_units_table(ctx: Context, page: str, req: RequestRecord, table_id: str) -> str:
    rows = []
    for u in req.units:
        notes = []
        if u.rejected:
            notes.append("不能落实的理由已被驳回（" + "、".join(u.rejected) + "）")
        if u.status == "declined":
            doc = ctx.document(u.report or "") or {}
            notes.append("理由：" + str(doc.get("decline_reason") or "—"))
        rows.append([Cell(unit_link(ctx, page, u.unit)),
                     Cell(_badge(u.status, REQUEST_STATUS_ZH, unit=u.unit or "", status=u.status),
                          str(REQUEST_ORDER.get(u.status, 9))),
                     Cell(_report_link(ctx, page, u.report)), time_cell(ctx, u.received_at),
                     cell("；".join(notes) or "")])
    return table(["单位", "状态", "稿件或说明", "收到时间", "备注"], rows, table_id=table_id, search=False)


def request_detail(ctx: Context, req: RequestRecord) -> Page:
    path = request_page(req.id)
    doc = ctx.document(req.id) or {}
    contact: dict = doc["contact"] if isinstance(doc.get("contact"), dict) else {}
    facts = [("约稿编号", esc(req.id)), ("发出单位", unit_link(ctx, path, req.unit)),
             ("发出时间", esc(fmt_time(req.received_at, ctx.tz) or "—")),
             ("报送时限", _due_html(ctx, req.due_at, not req.closed)),
             ("报送情况", esc(_counts_text(req.counts(), REQUEST_STATUS_ZH))),
             ("分值", esc(f"{req.points:g} 分" if req.points is not None else "按考核办法")),
             ("报送目的", esc(doc.get("purpose") or "—")),
             ("联系人", esc(f"{contact.get('name', '')} {masked_phone(contact.get('phone'))}".strip() or "—"))]
    body = [f"<h1>约稿：{esc(req.title)}</h1>", definition_list(facts),
            "## 写法要求", paragraphs(doc.get("requirements")) or '<p class="bs-empty">—</p>',
            "## 各单位报送情况", request_units_table(ctx, path, req, "request-units")]
    if req.others:
        body += ["## 其他单位主动报送",
                 "<ul>" + "".join(f"<li>{_report_link(ctx, path, rid)}</li>" for rid in req.others) + "</ul>"]
    return Page(path, f"约稿：{req.title}", "\n\n".join(body), "registers", nav=False, search=False, wide=True)


def requests_index(ctx: Context, requests: list[RequestRecord]) -> Page:
    path = REQUESTS_PAGE
    open_ones = sorted((r for r in requests if not r.closed), key=lambda r: (r.due_at, r.id))
    closed = sorted((r for r in requests if r.closed), key=lambda r: (r.due_at, r.id), reverse=True)
    body = ["<h1>约稿</h1>",
            '<p class="bs-lead">办公室向各单位的约稿：受理单位、报送时限和各单位报送情况。按时限前送达登记系统的稿件为'
            "按时报送；不能落实的须说明理由，理由被驳回的按未报送计。</p>",
            f"## 进行中的约稿（{len(open_ones)}）"]
    if not open_ones:
        body.append('<p class="bs-empty">目前没有进行中的约稿。</p>')
    for i, req in enumerate(open_ones):
        body += [f'<h3 id="{esc(slug(req.id))}">{link(path, request_page(req.id), req.title or req.id)}</h3>',
                 f"<p>报送时限：{_due_html(ctx, req.due_at, True)}；"
                 f"{esc(_counts_text(req.counts(), REQUEST_STATUS_ZH))}</p>",
                 request_units_table(ctx, path, req, f"request-{i + 1}")]
    body.append(f"## 已结束的约稿（{len(closed)}）")
    if closed:
        rows = [[Cell(link(path, request_page(r.id), r.title or r.id)), time_cell(ctx, r.due_at),
                 *(cell(r.counts().get(k, 0)) for k in ("on_time", "late", "declined", "missing"))]
                for r in closed]
        body.append(table(["约稿", "报送时限", "按时", "逾期", "说明不能落实", "未报送"], rows, table_id="requests-archive",
                          filterable=True, search=False, numeric=(2, 3, 4, 5)))
    else:
        body.append('<p class="bs-empty">尚无已结束的约稿。</p>')
    return Page(path, "约稿", "\n\n".join(body), "registers", nav_title="约稿", nav_group=GROUP, order=(0,),
                search=False, wide=True)


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.tz).date()


def today_missing(ctx: Context, period: DutyPeriodRecord) -> list[DutyDay]:
    """Today's cells of units with nothing filed yet (missing, or not due yet)."""
    today = _today(ctx)
    return [d for d in period.days if d.date == today and not d.report
            and d.status in ("missing", "not_due")]


def _missing_list(ctx: Context, page: str, cells: list[DutyDay], list_id: str) -> str:
    items = "".join(f'<li data-unit="{esc(d.unit)}" data-status="{esc(d.status)}">{unit_link(ctx, page, d.unit)}'
                    f"（{esc(DAILY_STATUS_ZH[d.status])}，时限 {esc(fmt_time(d.due_at, ctx.tz))}）</li>"
                    for d in cells)
    return f'<ul class="bs-missing" id="{esc(list_id)}">{items}</ul>'


def period_detail(ctx: Context, period: DutyPeriodRecord) -> Page:
    path = period_page(period.id)
    doc = ctx.document(period.id) or {}
    dates = sorted({d.date.isoformat() for d in period.days})
    by_cell = {(d.unit, d.date.isoformat()): d for d in period.days}
    facts = [("编号", esc(period.id)), ("时段", esc(f"{period.start.isoformat()} 至 {period.end.isoformat()}")),
             ("每日报送时限", esc(period.daily_deadline)),
             ("零报告", esc("实行（当日无事项也须报送零报告）" if period.zero_report_required else "不实行")),
             ("报送情况", esc(_counts_text(period.counts(), DAILY_STATUS_ZH)))]
    body = [f"<h1>重要时段：{esc(period.title)}</h1>"]
    today = _today(ctx).isoformat()
    if period.start <= _today(ctx) <= period.end:
        missing = today_missing(ctx, period)
        body.append(f"## 今日（{today}）尚未报送")
        body.append(_missing_list(ctx, path, missing, "today-missing") if missing
                    else '<p class="bs-empty" id="today-missing">今日各单位均已报送。</p>')
    body += [definition_list(facts)]
    if doc.get("requirements"):
        body += ["## 报送要求", paragraphs(doc.get("requirements"))]
    rows = []
    for unit in period.units:
        row = [Cell(unit_link(ctx, path, unit))]
        for day in dates:
            d = by_cell.get((unit, day))
            if d is None:
                row.append(Cell("—"))
                continue
            badge = _badge(d.status, DAILY_STATUS_ZH, unit=unit, date=day, status=d.status)
            if d.report and d.report in ctx.reports_by_id:
                badge = f'<a href="{esc(rel(path, report_page(d.report)))}">{badge}</a>'
            row.append(Cell(badge))
        rows.append(row)
    body += ["## 每日报送情况", '<p class="bs-note">按时：时限前送达的日报；零报告：时限前送达的零报告；'
             "迟报：时限后送达；未报：时限已过仍未送达；未到时限：当日时限未到。点击可查看日报。</p>",
             table(["单位", *(day[5:] for day in dates)], rows, table_id="duty-grid", sortable=False, search=False)]
    return Page(path, f"重要时段：{period.title}", "\n\n".join(body), "registers", nav=False, search=False,
                wide=True)


def periods_index(ctx: Context, periods: list[DutyPeriodRecord]) -> Page:
    path = PERIODS_PAGE
    ordered = sorted(periods, key=lambda p: (p.start, p.id), reverse=True)
    rows = [[Cell(link(path, period_page(p.id), p.title or p.id)), cell(p.start.isoformat()), cell(p.end.isoformat()),
             cell(p.daily_deadline), cell(len(p.units)),
             *(cell(p.counts().get(k, 0)) for k in ("on_time", "zero", "late", "missing"))]
            for p in ordered]
    body = ["<h1>重要时段</h1>",
            '<p class="bs-lead">节假日、重大会议、汛期等重要时段，各单位每天在规定时间前报送当日情况，'
            "无事项的报送零报告。</p>",
            table(["重要时段", "开始", "结束", "每日时限", "单位数", "按时", "零报告", "迟报", "未报"], rows,
                  table_id="periods", search=False, numeric=(4, 5, 6, 7, 8))
            if rows else '<p class="bs-empty">尚无重要时段。</p>']
    return Page(path, "重要时段", "\n\n".join(body), "registers", nav_title="重要时段", nav_group=GROUP, order=(1,),
                search=False, wide=True)


def home_block(ctx: Context, requests: list[RequestRecord], periods: list[DutyPeriodRecord]) -> HomeBlock:
    page = "index.md"
    parts = []
    open_ones = sorted((r for r in requests if not r.closed), key=lambda r: (r.due_at, r.id))
    if open_ones:
        rows = [[Cell(link(page, request_page(r.id), r.title or r.id)),
                 Cell(_due_html(ctx, r.due_at, True)),
                 Cell("、".join(unit_link(ctx, page, u.unit) for u in r.units if u.status == "open")
                      or "—")] for r in open_ones]
        parts.append(table(["约稿", "报送时限", "尚未报送的单位"], rows, table_id="home-requests", sortable=False,
                           search=False))
    else:
        parts.append('<p class="bs-empty">目前没有进行中的约稿。</p>')
    today = _today(ctx)
    for p in sorted(periods, key=lambda p: p.id):
        if not p.start <= today <= p.end:
            continue
        missing = today_missing(ctx, p)
        head = f"<p>重要时段 {link(page, period_page(p.id), p.title or p.id)}：今日（{today.isoformat()}）"
        parts.append(head + ("尚未报送的单位：</p>" + _missing_list(ctx, page, missing, f"home-missing-{slug(p.id)}")
                             if missing else "各单位均已报送。</p>"))
    parts.append(f"<p>{link(page, REQUESTS_PAGE, '全部约稿')} · {link(page, PERIODS_PAGE, '全部重要时段')}</p>")
    return HomeBlock("duties", "约稿与重要时段", "\n".join(parts), order=20)


def unit_duty_sections(ctx: Context, code: str, page: str) -> list[str]:
    """A unit page's 约稿 and 重要时段日报 sections (empty when the unit had none)."""
    out: list[str] = []
    rows = []
    for r in ctx.register.requests:
        for u in r.units:
            if u.unit == code:
                rows.append([Cell(link(page, request_page(r.id), r.title or r.id)),
                             time_cell(ctx, r.due_at),
                             Cell(_badge(u.status, REQUEST_STATUS_ZH, unit=code, status=u.status),
                                  str(REQUEST_ORDER.get(u.status, 9))),
                             Cell(_report_link(ctx, page, u.report)), time_cell(ctx, u.received_at)])
    if rows:
        out += ["## 约稿", table(["约稿", "报送时限", "状态", "稿件或说明", "收到时间"], rows, table_id="unit-requests",
                                search=False)]
    rows = []
    for p in ctx.register.duty_periods:
        for d in p.days:
            if d.unit == code and d.status != "not_due":
                day = d.date.isoformat()
                rows.append([Cell(link(page, period_page(p.id), p.title or p.id)), cell(day),
                             Cell(_badge(d.status, DAILY_STATUS_ZH, unit=code, date=day, status=d.status),
                                  str(DAILY_ORDER.get(d.status, 9))),
                             Cell(_report_link(ctx, page, d.report)), time_cell(ctx, d.received_at)])
    if rows:
        out += ["## 重要时段日报", table(["重要时段", "日期", "状态", "日报", "收到时间"], rows, table_id="unit-dailies",
                                      filterable=True, search=False)]
    return out


def report_duty_facts(ctx: Context, page: str, doc: dict) -> list[tuple[str, str]]:
    """Facts a report page adds for 约稿 and 重要时段 records and their answers (called by reports.py)."""
    kind = doc.get("kind")
    out: list[tuple[str, str]] = []
    req = {r.id: r for r in ctx.register.requests}
    periods = {p.id: p for p in ctx.register.duty_periods}

    def request_link(rid: object) -> str:
        if isinstance(rid, str) and rid in req:
            return link(page, request_page(rid), req[rid].title or rid)
        return esc(rid or "—")

    if kind in ("info", "emergency", "decline") and doc.get("request"):
        out.append(("所答约稿", request_link(doc["request"])))
    if kind == "decline":
        out.append(("不能落实的理由", esc(doc.get("decline_reason") or "—")))
    if kind == "request":
        out += [("约稿情况", request_link(doc.get("id"))), ("报送时限", esc(fmt_time(doc.get("due_at"), ctx.tz) or "—"))]
    if kind in ("duty_period", "daily"):
        pid = doc.get("id") if kind == "duty_period" else doc.get("duty_period")
        if isinstance(pid, str) and pid in periods:
            out.append(("重要时段", link(page, period_page(pid), periods[pid].title or pid)))
        else:
            out.append(("重要时段", esc(pid or "—")))
    if kind == "daily":
        out.append(("报告日期", esc(doc.get("date") or "—")))
        if doc.get("nothing_to_report") is True:
            out.append(("零报告", "是（当日无须报告事项）"))
    return out


def provide(ctx: Context) -> Iterator[Item]:
    requests = list(ctx.register.requests)
    periods = list(ctx.register.duty_periods)
    if not requests and not periods:
        return
    yield requests_index(ctx, requests)
    for req in requests:
        yield request_detail(ctx, req)
    yield periods_index(ctx, periods)
    for period in periods:
        yield period_detail(ctx, period)
    yield home_block(ctx, requests, periods)


__all__ = ["masked_phone", "period_page", "provide", "report_duty_facts", "request_page", "today_missing",
           "unit_duty_sections"]
