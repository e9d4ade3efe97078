"""登记簿: one page per month of arrival (every report, sortable and filterable), a year overview per
year, and the register's front page (years, invalid files)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from baosong.duties import DAILY_STATUSES, REQUEST_STATUSES, summary_counts
from baosong.portal.common import (
    month_page,
    on_time_rate,
    received_month,
    register_view,
    time_cell,
    time_key,
    year_page,
)
from baosong.portal.duty_pages import PERIODS_PAGE, REQUESTS_PAGE
from baosong.portal.html import Cell, cell, esc, link, percent, table
from baosong.portal.model import Context, Item, Page
from baosong.records import ReportRecord
from baosong.vocab import DAILY_STATUS_ZH, REQUEST_STATUS_ZH

OFFICE_KINDS = ("adoption", "instruction", "notice", "correction")


def _counts(records: list[ReportRecord]) -> list[Cell]:
    kinds: defaultdict[str, int] = defaultdict(int)
    status: defaultdict[str, int] = defaultdict(int)
    for r in records:
        kind = r.kind or ""
        kinds["office" if kind in OFFICE_KINDS else kind] += 1
        status[r.status] += 1
    on_time, judged = on_time_rate(records)
    values = [len(records), kinds["emergency"], kinds["info"], kinds["opinion"], kinds["office"],
              status["on_time"], status["late"], status["missed"]]
    return [cell(v, f"{v:09d}") for v in values] + [cell(percent(on_time, judged), f"{on_time / judged:.4f}"
                                                          if judged else "-1")]


COUNT_HEADERS = ["合计", "紧急信息", "政务信息", "网络舆情", "登记机关记录", "按时", "迟报", "漏报", "按时率"]


def months_of(ctx: Context) -> dict[str, list[ReportRecord]]:
    months: dict[str, list[ReportRecord]] = defaultdict(list)
    for r in ctx.register.reports:
        months[received_month(ctx, r)].append(r)
    return dict(sorted(months.items()))


def provide(ctx: Context) -> Iterator[Item]:
    months = months_of(ctx)
    years: dict[str, list[str]] = defaultdict(list)
    for month in months:
        years[month[:4]].append(month)

    for month, records in months.items():
        path = month_page(month)
        year, mon = month[:4], int(month[5:])
        view, data = register_view(ctx, path, records)
        yield data
        body = [f"<h1>{esc(f'{year}年{mon}月登记簿')}</h1>",
                f'<p class="bs-lead">本月收到报告 {len(records)} 份，按收到时间排序。点击表头排序，在筛选框中输入单位、'
                f"标题或状态（如“迟报”）筛选。{link(path, year_page(year), f'返回{year}年概览')}</p>",
                view]
        yield Page(path, f"{year}年{mon}月登记簿", "\n\n".join(body), "registers", nav_title=f"{mon}月",
                   nav_group=f"{year}年", order=(year, 1, month), search=False, wide=True)

    for year, year_months in sorted(years.items()):
        path = year_page(year)
        rows = [[Cell(link(path, month_page(m), f"{int(m[5:])}月"), m)] + _counts(months[m]) for m in year_months]
        total = [r for m in year_months for r in months[m]]
        rows.append([cell("全年", "9999")] + _counts(total))
        body = [f"<h1>{esc(year)}年登记簿概览</h1>",
                f'<p class="bs-lead">{esc(year)}年共收到报告 {len(total)} 份。“按时率”只计有报送时限的报告'
                "（紧急信息首报、续报）。</p>",
                "## 各月收到情况",
                table(["月份"] + COUNT_HEADERS, rows, table_id=f"year-{year}", numeric=range(1, 10))]
        yield Page(path, f"{year}年登记簿概览", "\n\n".join(body), "registers", nav_title="全年概览",
                   nav_group=f"{year}年", order=(year, 0, ""))

    yield _index(ctx, months, years)


def _index(ctx: Context, months: dict[str, list[ReportRecord]], years: dict[str, list[str]]) -> Page:
    path = "registers/index.md"
    body = ["<h1>登记簿</h1>",
            '<p class="bs-lead">登记簿按收到时间（登记回执或可信时间戳；没有时以合并到主线的时间为参考）逐月登记每一份报告，'
            "列明适用的报送时限、是否按时、提交签名及时间来源。</p>",
            "## 各年份"]
    rows = []
    for year, year_months in sorted(years.items(), reverse=True):
        records = [r for m in year_months for r in months[m]]
        latest = year_months[-1]
        rows.append([Cell(link(path, year_page(year), f"{year}年"), year),
                     Cell(link(path, month_page(latest), f"{int(latest[5:])}月"), latest)] + _counts(records))
    body.append(table(["年份", "最近月份"] + COUNT_HEADERS, rows, table_id="years", numeric=range(2, 11)))
    body += _duty_summary(ctx, path)
    invalid = ctx.register.invalid
    if invalid:
        body.append("## 未通过检查的文件")
        body.append(f'<p class="bs-lead">以下 {len(invalid)} 个文件在主线上，但未通过格式或规则检查，未计入登记簿。</p>')
        rows = []
        # In order of arrival, unknown arrivals last (the invalid rows are plain data, not records).
        for item in sorted(invalid, key=lambda i: (i.get("received_at") is None, time_key(i.get("received_at")))):
            problems = "；".join(f"第{p.get('line')}行 {p.get('message')}" for p in item.get("problems", [])[:3])
            rows.append([cell(item.get("path")), time_cell(ctx, item.get("received_at")),
                         cell(problems)])
        body.append(table(["文件", "收到时间", "问题"], rows, table_id="invalid"))
    return Page(path, "登记簿", "\n\n".join(body), "registers", nav_title="登记簿总览", order=("", 0, ""))


def _duty_summary(ctx: Context, path: str) -> list[str]:
    """约稿 and 重要时段 in the register's summary (`duties.summary_counts`): the target units' answers
    by status, the units' daily reports by status; nothing when the register has neither."""
    counts = summary_counts(ctx.register.requests, ctx.register.duty_periods)
    if not counts["requests"] and not counts["duty_periods"]:
        return []
    asked = sum(counts[f"request_{s}"] for s in REQUEST_STATUSES)
    days = sum(counts[f"daily_{s}"] for s in DAILY_STATUSES)
    number = range(1, 2 + len(REQUEST_STATUSES))
    return ["## 约稿与重要时段",
            '<p class="bs-lead">约稿按每件约稿的每个目标单位计，重要时段按每个单位每天的日报计；'
            "按收到时间判定，与其他报告相同。</p>",
            table(["约稿", "应报（单位·件）"] + [REQUEST_STATUS_ZH[s] for s in REQUEST_STATUSES],
                  [[Cell(link(path, REQUESTS_PAGE, f"{counts['requests']} 件"), f"{counts['requests']:09d}"),
                    cell(asked, f"{asked:09d}")]
                   + [cell(counts[f"request_{s}"], f"{counts[f'request_{s}']:09d}") for s in REQUEST_STATUSES]],
                  table_id="summary-requests", numeric=number, search=False, cards=True),
            table(["重要时段", "应报日报（单位·日）"] + [DAILY_STATUS_ZH[s] for s in DAILY_STATUSES],
                  [[Cell(link(path, PERIODS_PAGE, f"{counts['duty_periods']} 个"), f"{counts['duty_periods']:09d}"),
                    cell(days, f"{days:09d}")]
                   + [cell(counts[f"daily_{s}"], f"{counts[f'daily_{s}']:09d}") for s in DAILY_STATUSES]],
                  table_id="summary-dailies", numeric=number, search=False, cards=True)]
