"""baosong new: write a new, valid report file with a fresh id, asking in Chinese or from options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from baosong import newreport as nr
from baosong import vocab
from baosong.check import check_registry
from baosong.commands.common import add_repo_option, colour, not_a_registry, parse_now
from baosong.config import load_config
from baosong.deadlines import phone_deadline_for, series_deadlines
from baosong.records import Deadline
from baosong.rules import OFFICE_KINDS, reason_problem
from baosong.sources import WorkTree

NAME = "new"
HELP = "新建一份报告文件（自动编号，逐项提问或用选项给出）"
DESCRIPTION = """新建一份报告文件：自动生成不重复的报告编号，放到 reports/<年>/<单位>/<编号>.yaml，
逐项用中文提问（报告类别、首报/续报/终报、单位、起草人以及该类报告需要的内容），写好后立即检查，
并告诉您下一步怎么提交。单位和起草人会记住，下次直接回车即可。续报会自动带出事件编号、续报序号
和截至上次的伤亡数字。

每个问题都可以用选项提前给出，便于脚本调用；加 --yes（或没有可交互的终端输入）时不再提问，
缺少的内容会逐项列出对应的选项。

示例：
  baosong new
  baosong new --kind emergency --stage first --unit gaj --author wanghao
  baosong new --kind emergency --stage followup --incident gaj-20261125-wanghao-01 \\
      --set description="伤者已全部送医" --yes
  baosong new --kind info --title "我市推进老旧小区改造" --set info_type=dynamic \\
      --set body="……" --set keywords=城市更新,民生 --yes
  baosong new --kind emergency --stage first --set casualties.deaths=1 --set place=南山县青溪镇 ...

时间可写成 2026-11-25 14:30、14:30（今天）或“现在”，会补上本地时区。
"""

# Dedicated options for the questions everybody answers; every other field goes through --set.
OPTIONS = {"kind": "--kind", "stage": "--stage", "incident": "--incident", "unit": "--unit",
           "author": "--author", "title": "--title", "created_at": "--created-at", "signer": "--signer",
           "reviewer": "--reviewer", "category": "--category", "info_type": "--info-type"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", metavar="类别", help="报告类别：emergency 紧急信息 / info 政务信息 / opinion 网络舆情 / "
                        "adoption 采用 / instruction 批示 / notice 通报认定 / correction 更正 / "
                        "request 约稿 / decline 不能落实说明 / duty_period 重要时段 / daily 重要时段日报")
    parser.add_argument("--stage", metavar="阶段", help="紧急信息的阶段：first 首报 / followup 续报 / final 终报")
    parser.add_argument("--incident", metavar="首报编号", help="续报、终报所属事件的首报编号")
    parser.add_argument("--unit", metavar="单位代码", help="报送单位代码，如 gaj（默认：上次使用的单位）")
    parser.add_argument("--author", metavar="人员标识", help="起草人（信息员）标识，如 wanghao（默认：上次的起草人）")
    parser.add_argument("--title", metavar="标题", help="报告标题（续报、终报默认沿用首报标题）")
    parser.add_argument("--created-at", metavar="时间", help="起草时间（默认：现在）")
    parser.add_argument("--signer", metavar="人员标识", help="签发人（主要负责人；默认：本单位唯一的主要负责人）")
    parser.add_argument("--reviewer", metavar="人员标识", help="审核人（分管领导；默认：本单位唯一的分管领导）")
    parser.add_argument("--signoff-pending", action="store_true", help="紧急信息首报先报后审：暂不签发，在续报中补签发")
    parser.add_argument("--category", metavar="类别", help="事件类别，如 accident、traffic、fire")
    parser.add_argument("--info-type", metavar="类型", help="政务信息类型：dynamic / experience / problem / suggestion / research")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="字段=值",
                        help="给出任意字段，可重复，如 --set place=南山县青溪镇 --set casualties.deaths=1")
    parser.add_argument("-y", "--yes", action="store_true", help="不提问：只用选项、上次的设置和默认值，缺项时报错")
    parser.add_argument("--no-check", action="store_true", help="写好后不运行检查")
    parser.add_argument("--now", type=parse_now, default=None, metavar="时间",
                        help="以此时间作为“现在”（默认：系统时钟），如 2026-11-25T14:30:00+08:00")
    add_repo_option(parser)


class Missing(Exception):
    pass


class Asker:
    """One question at a time: from an option, from the user, or from a default; records what is missing.

    Answers are read with input(), so a terminal, a pseudo-terminal and piped text all work; when the
    input ends (or with --yes) the remaining questions take their defaults.
    """

    def __init__(self, interactive: bool, presets: dict[str, str]) -> None:
        self.interactive = interactive
        self.presets = presets
        self.missing: list[tuple[str, str]] = []

    def ask(self, name: str, label: str, parse: Callable[[str], Any], *, default: Any = None,
            required: bool = True, hint: str = "", choices: dict[str, str] | None = None,
            show_default: str | None = None, multiline: bool = False) -> Any:
        if name in self.presets:
            text = self.presets.pop(name)
            try:
                return parse(text)
            except ValueError as exc:
                raise Missing(f"{_option(name)} 的值“{text}”无效：{exc}") from None
        if self.interactive:
            answer = self._prompt(label, parse, default, required, hint, choices, show_default, multiline)
            if answer is not _EOF:
                return answer
        if default is None and required:
            self.missing.append((label, _option(name)))
        return default

    def _prompt(self, label: str, parse: Callable[[str], Any], default: Any, required: bool, hint: str,
                choices: dict[str, str] | None, show_default: str | None, multiline: bool) -> Any:
        if hint:
            print(colour(f"  {hint}", "2"))
        if choices:
            for i, (value, desc) in enumerate(choices.items(), start=1):
                print(f"  {i}. {value} {desc}")
        shown = show_default if show_default is not None else (None if default is None else _show(default))
        suffix = f"［默认：{shown}］" if shown else ("［可不填，直接回车跳过］" if not required else "")
        while True:
            try:
                text = input(f"{label}{suffix}：")  # no colour codes: readline miscounts them
                if multiline:
                    text = _pasted_lines(text)
            except EOFError:
                print()
                self.interactive = False
                return _EOF
            if not text.strip():
                if default is not None or not required:
                    return default
                print(colour("  此项必填，请输入。", "33"))
                continue
            try:
                return parse(text)
            except ValueError as exc:
                print(colour(f"  {exc}", "33"))


_EOF = object()


def _pasted_lines(first: str) -> str:
    """Text pasted into a terminal arrives all at once: keep the lines that are already waiting as one
    answer, instead of letting them answer the next questions. Typed answers are single lines."""
    if sys.platform == "win32" or not sys.stdin.isatty():
        return first
    import select

    lines = [first]
    while select.select([sys.stdin], [], [], 0.05)[0]:
        lines.append(input())
    return "\n".join(lines).strip("\n")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def _option(name: str) -> str:
    return OPTIONS.get(name) or f"--set {name}=…"


def _presets(args: argparse.Namespace) -> dict[str, str]:
    presets = {name: getattr(args, name) for name in OPTIONS if getattr(args, name, None) is not None}
    for item in args.sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise Missing(f"--set 的写法应为 字段=值，如 --set place=南山县青溪镇（收到“{item}”）。")
        presets[key.strip()] = value
    return presets


def run(args: argparse.Namespace) -> int:
    root: Path = args.repo
    if not_a_registry(root):
        return 2
    cfg = load_config(WorkTree(root))
    if not cfg.ok:
        for p in cfg.problems:
            print(p.render(), file=sys.stderr)
        print("错误：登记库的配置或模式文件有误，无法新建报告。请先让登记管理员修复（运行 baosong check 查看）。",
              file=sys.stderr)
        return 2
    now = (args.now or parse_now(None)).astimezone(nr.local_tz(cfg))
    try:
        presets = _presets(args)
        asker = Asker(interactive=not args.yes, presets=presets)
        doc, context = _collect(root, cfg, asker, now, args)
    except Missing as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if asker.missing:
        print("错误：以下内容还没有给出，无法新建报告。请补充对应的选项后重试（或去掉 --yes 按提示逐项填写）：",
              file=sys.stderr)
        for label, option in asker.missing:
            print(f"  {label}：{option}", file=sys.stderr)
        return 2
    automatic = [k for k in asker.presets if k in ("id", "sequence")]
    if automatic:
        print(f"错误：{'、'.join(automatic)} 由 baosong new 自动生成（编号和续报序号不能重复或跳号），请不要用 --set 指定。",
              file=sys.stderr)
        return 2
    if asker.presets:
        unknown = "、".join(asker.presets)
        print(f"错误：这类报告不使用以下字段：{unknown}。请检查 --set 中的字段名。", file=sys.stderr)
        return 2
    return _write_and_report(root, cfg, doc, context, now, args)


def _collect(root: Path, cfg, asker: Asker, now: datetime, args: argparse.Namespace) -> tuple[dict, dict]:
    schema = cfg.report_schema.schema
    props = schema["properties"]
    last = nr.load_last()
    doc: dict[str, Any] = {}
    context: dict[str, Any] = {}

    def choice(name: str) -> Callable[[str], Any]:
        return lambda text: nr.parse_answer(props[name], text, now)

    kinds = nr.enum_labels(props["kind"])
    doc["kind"] = asker.ask("kind", "报告类别", choice("kind"), choices=kinds)
    if doc["kind"] == "emergency":
        doc["stage"] = asker.ask("stage", "报送阶段（首报/续报/终报）", choice("stage"),
                                 choices=nr.enum_labels(props["stage"]), default="first", show_default="first 首报")
    prefill: dict = {}
    if doc.get("stage") in ("followup", "final"):
        incident = _ask_incident(root, asker, last.get("unit"), doc["stage"])
        if incident is not None:
            context["incident"] = incident
            prefill = nr.prefill_from_incident(incident, doc["stage"])
            doc["incident"] = prefill.pop("incident")
            if "sequence" in prefill:
                doc["sequence"] = prefill.pop("sequence")

    unit_default = last.get("unit") if last.get("unit") in cfg.units else None
    if "incident" in context:
        unit_default = unit_default or context["incident"].first.get("unit")
    office_only = doc["kind"] in OFFICE_KINDS
    if office_only:
        unit_default = cfg.registry_office

    def parse_unit(text: str) -> str:
        code = _known_unit(cfg, text)
        if office_only and code != cfg.registry_office:
            raise ValueError(f"{vocab.KIND_ZH.get(doc['kind'])}只能由登记机关（{cfg.registry_office}）填报。")
        return code

    doc["unit"] = asker.ask("unit", "报送单位（单位代码）", parse_unit, default=unit_default,
                            hint=_units_hint(cfg) if unit_default is None else "")
    unit = doc["unit"] or ""
    author_default = last.get("author") if _has_role(cfg, unit, last.get("author"), "officer") else \
        nr.default_staff(cfg, unit, "officer")
    doc["author"] = asker.ask("author", "起草人（信息员标识）", lambda t: _person(cfg, unit, t, "officer"),
                              default=author_default, hint=_people_hint(cfg, unit, "officer"))
    # Not asked: the drafting time is now, unless an option says otherwise.
    doc["created_at"] = asker.ask("created_at", "起草时间", lambda t: nr.parse_time(t, now),
                                  default=now.isoformat(timespec="seconds")) if "created_at" in asker.presets \
        else now.isoformat(timespec="seconds")
    doc["title"] = asker.ask("title", "标题", _checked_prop(schema, "title", now), default=prefill.pop("title", None),
                             hint=props["title"].get("description", ""))
    incident = context.get("incident")
    _ask_body(cfg, asker, doc, prefill, now, incident.first if incident else {})
    _ask_people(cfg, asker, doc, unit, args)
    _take_other_presets(schema, asker, doc, now)
    if None in (doc.get("unit"), doc.get("author"), doc.get("created_at")):
        return doc, context
    created_dt = nr.parse_datetime(doc["created_at"])
    day = (created_dt or now).strftime("%Y%m%d")
    try:
        doc["id"] = nr.next_id(root, unit, doc["author"], day)
    except ValueError as exc:
        raise Missing(str(exc)) from None
    _ask_delay_reason(root, cfg, asker, doc, context, now)
    return nr.order_document(doc, schema), context


def _ask_incident(root: Path, asker: Asker, unit: str | None, stage: str) -> nr.Incident | None:
    recent = nr.open_incidents(root, unit) if unit and asker.interactive and "incident" not in asker.presets else []
    choices = {inc.id: str(inc.first.get("title", "")) for inc in recent}

    def parse(text: str) -> nr.Incident:
        text = text.strip()
        if text.isdigit() and 1 <= int(text) <= len(recent):
            text = recent[int(text) - 1].id
        incident = nr.find_incident(root, text)
        if incident is None:
            raise ValueError(f"找不到首报“{text}”：请填写事件首报的报告编号，如 gaj-20261125-wanghao-01。")
        if incident.final is not None:
            raise ValueError(f"事件“{text}”已于 {incident.final[0]} 终报，不能再续报或终报。")
        return incident

    label = "所属事件（首报编号" + ("，或上面的序号" if choices else "") + "）"
    return asker.ask("incident", label, parse, choices=choices or None,
                     hint=f"{vocab.STAGE_ZH[stage]}须指向本事件的首报。")


def _ask_body(cfg, asker: Asker, doc: dict, prefill: dict, now: datetime, first: dict) -> None:
    schema = cfg.report_schema.schema
    for name in nr.body_fields(schema, doc):
        if name == "sensitive_reason" and not doc.get("sensitive"):
            continue
        if name == "body" and doc.get("nothing_to_report") is True:
            continue  # a 零报告 has no body
        if name == "nothing_to_report" and "body" in asker.presets:
            continue  # a daily report with its summary given is not a zero report
        prop = nr.prop_schema(schema, name)
        required = name in nr.field_rules(schema, doc).required
        default = prefill.get(name)
        if name == "date" and doc.get("kind") == "daily":
            default = now.date().isoformat()  # a daily report is about today unless told otherwise
        if prop.get("type") == "object":
            doc[name] = _ask_object(asker, schema, name, prop, default, required, now) or None
            continue
        if name == "grade":
            floor = default if isinstance(default, str) else None
            # A follow-up's figures are graded under the incident's category.
            default = nr.suggested_grade({**doc, "category": doc.get("category") or first.get("category")},
                                         cfg, floor) or floor
        label = f"{prop.get('title', name)}（{name}）"
        choices = nr.enum_labels(prop) if "enum" in prop else None
        doc[name] = asker.ask(name, label, _checked_prop(schema, name, now), default=default, required=required,
                              hint=prop.get("description", "") if not choices else "", choices=choices,
                              multiline=prop.get("maxLength", 0) >= 1000)


def _take_other_presets(schema: dict, asker: Asker, doc: dict, now: datetime) -> None:
    """--set for an optional field that is not asked about (e.g. involved_units on a follow-up)."""
    forbidden = nr.field_rules(schema, doc).forbidden
    for key in [k for k in asker.presets if k.split(".")[0] in schema["properties"]]:
        top, _, sub = key.partition(".")
        if top in forbidden or top in ("id", "sequence", "incident", "delay_reason"):
            continue
        value = asker.ask(key, key, _checked_prop(schema, key, now))
        if sub:
            doc.setdefault(top, {})[sub] = value
        else:
            doc[top] = value


def _ask_object(asker: Asker, schema: dict, name: str, prop: dict, default: Any, required: bool,
                now: datetime) -> dict:
    """Sub-fields one by one (casualties: deaths, injuries...). Counts default to 0 in a first report,
    to the figures so far in a follow-up."""
    default = default if isinstance(default, dict) else {}
    out: dict = {}
    if asker.interactive and not any(k.startswith(f"{name}.") for k in asker.presets):
        print(colour(f"{prop.get('title', name)}（{name}）：{prop.get('description', '')}", "2"))
    for sub, subprop in prop.get("properties", {}).items():
        key = f"{name}.{sub}"
        sub_default = default.get(sub, 0 if required and subprop.get("type") == "integer" else None)
        out[sub] = asker.ask(key, f"  {subprop.get('title', sub)}（{key}）", _checked_prop(schema, key, now),
                             default=sub_default, required=False)
    return {k: v for k, v in out.items() if v is not None}


def _ask_people(cfg, asker: Asker, doc: dict, unit: str, args: argparse.Namespace) -> None:
    schema = cfg.report_schema.schema
    doc["reviewer"] = asker.ask("reviewer", "审核人（分管领导标识）", lambda t: _person(cfg, unit, t, "reviewer"),
                                default=nr.default_staff(cfg, unit, "reviewer"), required=False,
                                hint=_people_hint(cfg, unit, "reviewer"))
    pending_allowed = doc.get("kind") == "emergency" and doc.get("stage") == "first"
    if args.signoff_pending:
        if not pending_allowed:
            raise Missing("--signoff-pending（先报后审）只适用于紧急信息首报。")
        doc["signoff_pending"] = True
        asker.presets.pop("signer", None)
        return
    hint = _people_hint(cfg, unit, "head")
    if pending_allowed:
        hint += "；来不及签发时输入“先报后审”，在续报中补签发"

    def parse(text: str) -> str:
        if pending_allowed and text.strip() in ("先报后审", "-", "无"):
            return ""
        return _person(cfg, unit, text, "head")

    signer = asker.ask("signer", "签发人（主要负责人标识）", parse, default=nr.default_staff(cfg, unit, "head"),
                       required="signer" in nr.field_rules(schema, doc).required, hint=hint)
    if signer == "" and pending_allowed:
        doc["signoff_pending"] = True
    else:
        doc["signer"] = signer


def _ask_delay_reason(root: Path, cfg, asker: Asker, doc: dict, context: dict, now: datetime) -> None:
    """A report already past its deadline needs 迟报原因说明 before CI accepts it: ask now."""
    schema = cfg.report_schema.schema
    if "delay_reason" in asker.presets:
        doc["delay_reason"] = asker.ask("delay_reason", "迟报原因说明", _checked_reason(cfg, now))
    deadline = _deadline(root, cfg, doc, context, now)
    context["deadline"] = deadline
    if deadline is None or now <= deadline.at or "delay_reason" in doc:
        return
    late = _duration(now - deadline.at)
    print(colour(f"注意：本报告已超过报送时限 {late}（{_rule_title(cfg, deadline.rule)}）。"
                 "迟报须附书面说明，否则 CI 不予通过。", "33"))
    doc["delay_reason"] = asker.ask("delay_reason", "迟报原因说明（delay_reason）",
                                    _checked_reason(cfg, now),
                                    hint=schema["properties"]["delay_reason"].get("description", ""))


def _checked_reason(cfg, now: datetime) -> Callable[[str], Any]:
    """delay_reason as the schema and the real-text rule (rules.reason_problem) accept it."""
    schema_checked = _checked_prop(cfg.report_schema.schema, "delay_reason", now)

    def inner(text: str) -> Any:
        value = schema_checked(text)
        why = reason_problem(value, cfg.policy)
        if why:
            raise ValueError(why)
        return value
    return inner


def _deadline(root: Path, cfg, doc: dict, context: dict, now: datetime) -> Deadline | None:
    """The written deadline as the register will judge it (`deadlines.series_deadlines`: the same
    first report, previous follow-up and final-report rules), the report assumed to arrive `now`.
    Arrivals are the local clone's estimate: the commit that added each report (receipts are the
    registry's and may not be fetched here); a follow-up not committed yet goes with this one, `now`."""
    incident = context.get("incident")
    if doc.get("kind") != "emergency":
        return None
    first_arrival = None
    followups: list[tuple[Any, datetime | None]] = []  # (sequence as written, arrival)
    if incident is not None and doc.get("stage") != "first":
        first_arrival = nr.arrival_time(root, incident.path)
        followups = [(d.get("sequence"), nr.arrival_time(root, p) or now) for p, d in incident.followups]
    written, _ = series_deadlines(doc, cfg, incident=incident.first if incident else None,
                                  first_arrival=first_arrival, followups=followups, arrived_at=now)
    return written


def _write_and_report(root: Path, cfg, doc: dict, context: dict, now: datetime, args: argparse.Namespace) -> int:
    rel = nr.report_path(doc["id"])
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(nr.document_text(doc, cfg.report_schema.schema))
    except FileExistsError:
        print(f"错误：{rel} 已存在（可能刚被另一个命令创建），请重新运行 baosong new。", file=sys.stderr)
        return 1
    nr.save_last(unit=doc["unit"], author=doc["author"])
    print(colour(f"已新建 {rel}", "32"))
    status = 0
    if not args.no_check:
        result = check_registry(root, [str(path)], now=now)
        for p in result.problems:
            print(colour(p.render().replace(str(path), rel), "31" if p.is_error else "33"))
        if result.errors:
            print(colour(f"检查发现 {result.errors} 个错误：请在编辑器中打开 {rel} 按提示修改，然后运行 "
                         f"baosong check {rel}。", "31"))
            status = 1
        else:
            print(colour("检查通过。", "32"))
    incident = context.get("incident")
    if incident is not None and incident.unmerged:
        print(colour(f"注意：本事件的 {'、'.join(incident.unmerged)} 还在其他分支上、尚未合并，本续报的序号已把它算在内。"
                     "请等它合并后再推送本报告（或把本报告提交在同一分支上），否则检查会报续报序号不连续。", "33"))
    _print_deadline(cfg, context.get("deadline"), now, doc, incident.first if incident else None)
    _print_next_steps(doc, rel)
    return status


def _print_deadline(cfg, deadline: Deadline | None, now: datetime, doc: dict, first: dict | None) -> None:
    if doc.get("kind") != "emergency":
        return
    _print_phone_deadline(cfg, now, doc, first)
    if deadline is None:
        if doc.get("stage") == "followup":
            print("续报时限：首报尚未入库（或本地没有其送达记录），续报时限从首报送达时起算，"
                  f"首次续报须在首报送达后 {cfg.policy.get('followup', {}).get('first_within_minutes', '?')} 分钟内。")
        else:
            print("本报告没有适用的书面报送时限。")
        return
    at = deadline.at.astimezone(now.tzinfo)
    left = deadline.at - now
    line = f"适用时限：{_rule_title(cfg, deadline.rule)}，截止 {at:%Y-%m-%d %H:%M}"
    if left.total_seconds() >= 0:
        print(colour(f"{line}，还剩 {_duration(left)}。请尽快提交并创建合并请求（以登记系统收到的时间为准）。", "1"))
    else:
        print(colour(f"{line}，已超时 {_duration(-left)}。", "31"))


def _print_phone_deadline(cfg, now: datetime, doc: dict, first: dict | None) -> None:
    """The phone report comes before the written one: say when it is due, or that it was late."""
    phone = phone_deadline_for(doc, cfg, incident=first)
    if phone is None:
        return
    at = phone.at.astimezone(now.tzinfo)
    rule = _rule_title(cfg, phone.rule)
    phoned = nr.parse_datetime(doc.get("phoned_at"))
    if phoned is None:
        print(colour(f"电话报告时限：{rule}，截止 {at:%Y-%m-%d %H:%M}。已电话报告的，请在 phoned_at 中填写报告时间。", "1"))
    elif phoned > phone.at:
        print(colour(f"注意：电话报告时间 {phoned.astimezone(now.tzinfo):%H:%M} 晚于时限 {at:%H:%M}（{rule}），"
                     "将被记为电话迟报。", "33"))


def _print_next_steps(doc: dict, rel: str) -> None:
    branch = f"report/{doc['id']}"
    kind = vocab.KIND_ZH.get(doc["kind"], doc["kind"])
    stage = vocab.STAGE_ZH.get(doc.get("stage", ""), "")
    message = f"{kind}{stage}：{doc.get('title', '')}".replace('"', "'")
    print("下一步：")
    print(f"  1. 在编辑器中核对内容（可补充细节），然后检查：baosong check {rel}")
    print(f"  2. 新建分支并签名提交：git switch -c {branch}")
    print(f"                        git add {rel}")
    print(f"                        git commit -S -m \"{message}\"")
    print(f"  3. 推送：git push -u origin {branch}")
    print("  4. 在代码托管平台上为该分支创建合并请求（Pull Request / Merge Request），等待 CI 检查通过后由登记机关合并。")


def _rule_title(cfg, rule_id: str) -> str:
    """`vocab.rule_title` with the rule id, which the officer may need to look the rule up."""
    title = vocab.rule_title(cfg.policy, rule_id)
    return title if title == rule_id else f"{title}（{rule_id}）"


def _duration(delta) -> str:
    return vocab.fmt_minutes(int(delta.total_seconds() // 60))


# --- answer checks -------------------------------------------------------------------------------


def _checked_prop(schema: dict, name: str, now: datetime) -> Callable[[str], Any]:
    prop = nr.prop_schema(schema, name)

    def inner(text: str) -> Any:
        value = nr.parse_answer(prop, text, now)
        errors = nr.field_errors(schema, name, value)
        if errors:
            raise ValueError(errors[0])
        return value
    return inner


def _known_unit(cfg, text: str) -> str:
    code = text.strip()
    if code in cfg.units:
        return code
    by_name = [c for c, u in cfg.units.items() if code and code in u.get("name", "")]
    if len(by_name) == 1:
        return by_name[0]
    raise ValueError(f"单位“{code}”不在 config/units.yaml 中，请填写单位代码，如 {next(iter(cfg.units), 'gaj')}。")


def _has_role(cfg, unit: str, person: str | None, role: str) -> bool:
    return any(p["id"] == person and role in p.get("roles", []) for p in cfg.staff_of(unit))


def _person(cfg, unit: str, text: str, role: str) -> str:
    text = text.strip()
    for p in cfg.staff_of(unit):
        if role in p.get("roles", []) and text in (p["id"], p.get("name")):
            return p["id"]
    raise ValueError(f"“{text}”不是本单位（{unit}）的{vocab.ROLE_ZH[role]}。可选：{_people(cfg, unit, role) or '（无）'}。")


def _people(cfg, unit: str, role: str) -> str:
    return "、".join(f"{p['id']}（{p.get('name', '')}）" for p in cfg.staff_of(unit) if role in p.get("roles", []))


def _people_hint(cfg, unit: str, role: str) -> str:
    people = _people(cfg, unit, role)
    return f"本单位{vocab.ROLE_ZH[role]}：{people}" if people else ""


def _units_hint(cfg) -> str:
    names = "、".join(f"{code} {u.get('name', '')}" for code, u in list(cfg.units.items())[:30])
    return f"单位代码见 config/units.yaml，如：{names}"
