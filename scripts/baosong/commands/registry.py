"""baosong registry: the register (登记簿) of REV — arrival, deadline and status of every report."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baosong import vocab
from baosong.commands.common import add_repo_option, colour, git_failed, parse_now, progress
from baosong.problems import json_safe, terminal_safe
from baosong.records import ReportRecord
from baosong.vocab import CLOCK_ZH, DAILY_STATUS_ZH, REQUEST_STATUS_ZH, STATUS_ZH

if TYPE_CHECKING:  # the register is imported when the command runs (startup time)
    from baosong.register import Register

NAME = "registry"
HELP = "生成登记簿：每份报告的送达时间、适用时限与按时/迟报/漏报状态，事件续报情况"
DESCRIPTION = """生成登记簿：每份报告由谁提交、何时真正送达（登记系统对该内容最早的可信时间：推送时的收文回执、
合并后的登记回执（有可信时间戳时取时间戳）或合并进主线的时间，取最早者；登记机关的合并延误不算报送单位迟报）、
适用哪条报送时限（多条适用时以最严者为准）、是否按时；每起事件的报告序列、下次续报时限、
是否续报超期（超过漏报界限仍未报送的续报按漏报计），以及被其他单位报告列为涉及单位却从未报告的单位。

未通过格式检查的报告不会被略去，单独列在“无效报告”中。

示例：
  baosong registry
  baosong registry --format json > register.json
  baosong registry --rev main --now 2026-11-20T12:00:00+08:00
"""

# The terminal table's narrow columns take the short forms.
SIGNATURE_ZH: dict[Any, str] = {**vocab.SIGNATURE_SHORT, None: "—"}
SOURCE_ZH: dict[Any, str] = {**vocab.TIME_SOURCE_SHORT, None: "—"}
KIND_ZH = vocab.KIND_SHORT
STAGE_ZH = vocab.STAGE_ZH
STATUS_COLOUR = {"on_time": "32", "late": "33", "missed": "31", "not_applicable": "0"}
UPWARD_COLOUR = {"on_time": "32", "late": "33", "missed": "31", "overdue": "31", "pending_receipt": "33"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_option(parser)
    parser.add_argument("--rev", default="HEAD", metavar="版本", help="登记库版本（默认：HEAD）")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="以此时间判断续报是否超期（默认：系统时钟），如 2026-11-20T12:00:00+08:00")
    parser.add_argument("--format", choices=["table", "json"], default="table", help="输出格式：table（默认）或 json")
    parser.add_argument("--no-cache", action="store_true", help="不读也不写缓存（.git/baosong-cache/）")


def run(args: argparse.Namespace) -> int:
    # Imported here so `baosong --help` and the other commands never depend on the git stages.
    from baosong.gitrepo import GitError, RevisionError
    from baosong.register import build_register, register_json_text

    repo: Path = args.repo
    now = args.now or parse_now(None)
    try:
        reg = build_register(repo, args.rev, now=now, use_cache=not args.no_cache,
                             progress=lambda items, desc: progress(items, desc))
    except RevisionError as exc:
        return git_failed(exc)
    except GitError as exc:
        print(f"错误：无法读取 {terminal_safe(repo)} 的 git 历史（{terminal_safe(exc.stderr or exc)}）。请在登记库（git 仓库）中运行，或用 --repo 指定。",
              file=sys.stderr)
        return 2
    if reg.config_problems and not reg.reports:
        for p in reg.config_problems:
            print(p.render(), file=sys.stderr)
        print("错误：配置有误，无法生成登记簿。", file=sys.stderr)
        return 1
    for p in reg.upstream_problems:  # upper receipts refused, upper registry not fetched (upstream.py)
        print(terminal_safe(p.render()), file=sys.stderr)
    if args.format == "json":
        print(json_safe(register_json_text(reg)))
    else:
        print_table(reg)
    return 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int) -> str:
    text = terminal_safe(text)  # ids fall back to paths, titles are free text: both from untrusted files
    if _width(text) > width:
        out = ""
        for ch in text:
            if _width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - _width(text))


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _t(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M") if value else "—"


def _table(headers: list[tuple[str, int]], rows: list[list[str]], colours: list[str] | None = None) -> None:
    print("  ".join(_cell(h, w) for h, w in headers).rstrip())
    print("  ".join("─" * w for _, w in headers))
    for i, row in enumerate(rows):
        line = "  ".join(_cell(c, w) for c, (_, w) in zip(row, headers, strict=True)).rstrip()
        print(colour(line, colours[i]) if colours and colours[i] != "0" else line)


def _source(r: ReportRecord) -> str:
    label = SOURCE_ZH.get(r.time_source, "")
    if r.time_source != "commit":
        return label
    return label + ("·补登" if r.catch_up else "·佐证" if r.attested else "·未证实")


def _print_duties(reg: Register) -> None:
    """One line per 约稿 and per 重要时段 (duties.py): counts per status, and who is missing."""
    if reg.requests:
        print()
        print("约稿")
        for r in reg.requests:
            counts = "，".join(f"{REQUEST_STATUS_ZH[k]} {n}" for k, n in r.counts().items() if n)
            missing = "、".join(u.unit for u in r.units if u.status == "missing")
            print(terminal_safe(f"  {r.id}  时限 {_t(r.due_at)}  {counts}" + (f"；未报送：{missing}" if missing else "")
                                + f"  {r.title}"))
    if reg.duty_periods:
        print()
        print("重要时段")
        for p in reg.duty_periods:
            counts = "，".join(f"{DAILY_STATUS_ZH[k]} {n}" for k, n in p.counts().items() if n)
            print(terminal_safe(f"  {p.id}  {p.start}—{p.end} 每日 {p.daily_deadline} 前  {counts}  {p.title}"))


def print_table(reg: Register) -> None:
    s = reg.summary()
    print(f"登记簿（版本 {terminal_safe(reg.rev)} = {reg.commit[:10]}，截至 {reg.now.isoformat(timespec='minutes')}）")
    print()
    rows, colours = [], []
    for r in sorted(reg.reports, key=lambda r: (r.received_at is None, r.received_at or reg.now, r.path)):
        kind = KIND_ZH.get(r.kind or "", r.kind or "") + (STAGE_ZH.get(r.stage, "") if r.stage else "")
        if r.stage == "followup" and r.sequence:
            kind += str(r.sequence)
        delay = f"{r.delay_minutes}" if r.delay_minutes else ""
        rows.append([r.id or r.path, r.unit or "", kind, _t(r.received_at), _source(r),
                     _t(r.deadline_at), r.deadline_rule or "", STATUS_ZH[r.status], delay,
                     SIGNATURE_ZH.get(r.signature, r.signature or "")])
        colours.append(STATUS_COLOUR[r.status])
    _table([("报告编号", 32), ("单位", 5), ("类别", 10), ("送达时间", 11), ("时间来源", 14), ("时限", 11),
            ("时限规则", 22), ("状态", 6), ("迟(分)", 6), ("签名", 8)], rows, colours)
    if reg.incidents:
        print()
        print("事件")
        rows, colours = [], []
        for i in reg.incidents:
            state = "已终报" if i.closed_at else ("漏报续报" if i.missed_followup else
                                                      "续报超期" if i.overdue else "处置中")
            due = _t(i.next_followup_due) if i.next_followup_due else "—"
            rows.append([i.id, i.unit or "", i.grade or "", str(len(i.reports)), _t(i.opened_at),
                         state, due, "、".join(i.silent_units) or "", i.title or ""])
            colours.append("31" if i.overdue else "33" if i.silent_units else "0")
        _table([("事件（首报编号）", 32), ("单位", 5), ("等级", 4), ("报告", 4), ("首报送达", 11), ("状态", 8),
                ("下次续报时限", 12), ("未报告单位", 10), ("标题", 40)], rows, colours)
    duties = [(i, d) for i in reg.incidents for d in i.upward]
    if duties:
        print()
        print("本机关上报义务")
        rows, colours = [], []
        for i, d in duties:
            delay = str(d["delay_minutes"]) if d["delay_minutes"] else ""
            rows.append([i.id, vocab.UPWARD_TO_ZH.get(d["to"], d["to"]), _t(_parse(d["due_at"])),
                         _t(_parse(d["done_at"])), vocab.UPWARD_STATUS_ZH.get(d["status"], d["status"]), delay,
                         d["delay_reason"] or ""])
            colours.append(UPWARD_COLOUR.get(d["status"], "0"))
        _table([("事件（首报编号）", 32), ("报送对象", 8), ("时限", 11), ("上级收到", 11), ("状态", 16), ("迟(分)", 6),
                ("迟报原因", 30)], rows, colours)
    if reg.invalid:
        print()
        print(colour(f"无效报告（{len(reg.invalid)} 份，未通过格式检查，未计入上表；请运行 baosong check 查看详情）", "31"))
        for inv in reg.invalid:
            first = inv["problems"][0] if inv["problems"] else {"line": 1, "column": 1, "rule": "", "message": ""}
            print(terminal_safe(f"  {inv['path']}:{first['line']}:{first['column']}: [{first['rule']}] {first['message']}"))
    _print_duties(reg)
    print()
    print(f"共 {s['reports']} 份报告：按时 {s['on_time']}，迟报 {s['late']}，漏报 {s['missed']}，不适用 {s['not_applicable']}"
          f"；无效 {s['invalid']}。事件 {s['incidents']} 起：处置中 {s['open']}，续报超期 {s['overdue']}，"
          f"有未报告涉及单位 {s['silent']}，漏报续报 {s['missed_followups']}（一直未报送的续报，按漏报计）。")
    from baosong.duties import DAILY_STATUSES, REQUEST_STATUSES, summary_counts

    d = summary_counts(reg.requests, reg.duty_periods)
    if d["requests"]:
        print(f"约稿 {d['requests']} 件：" + "，".join(f"{REQUEST_STATUS_ZH[k]} {d['request_' + k]}"
                                                    for k in REQUEST_STATUSES) + "（按目标单位计）。")
    if d["duty_periods"]:
        print(f"重要时段 {d['duty_periods']} 个：日报" + "，".join(f"{DAILY_STATUS_ZH[k]} {d['daily_' + k]}"
                                                         for k in DAILY_STATUSES) + "（按单位和日期计）。")
    if s["upward_late"] or s["upward_missed"]:
        print(f"本机关上报：迟报 {s['upward_late']} 起，漏报 {s['upward_missed']} 起（按上级登记库回执判断）。")
    if s["catch_up"] or s["unattested"]:
        print(f"补登回执 {s['catch_up']} 份；送达时间未经回执证实 {s['unattested']} 份（按合并时间计算）。")
    clocks = "、".join(f"{k}={v}" for k, v in CLOCK_ZH.items())
    print(f"时限起算：{clocks}；送达时间取最早的可信时间：收文回执 = 推送时登记服务器签收的时间，回执 = 合并后的登记回执，"
          "时间戳 = 可信时间戳，合并时间 = 合并进主线的时间（“佐证”：有及时的回执；“补登”：回执在合并 30 分钟以后才补写；"
          "“未证实”：没有回执）。")
