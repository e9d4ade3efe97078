"""The portal's 报送指南 (submission guide), generated as Markdown from the trust roots.

The field reference comes from the report JSON Schema and the deadline, grading and scoring tables
from `config/policy.yaml`, so the guide cannot disagree with what CI enforces. The examples are built
with `baosong new`'s own document builder for a unit of this registry. Pure: `pages(cfg)` returns
{relative Markdown path: text}; the portal writes them under the docs directory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from baosong import newreport as nr
from baosong.config import Config
from baosong.deadlines import deadline_for
from baosong.grading import GRADES
from baosong.rules import local_offset, reason_min_chars
from baosong.vocab import (
    FINDING_ZH,
    GRADE_ZH,
    LEVEL_ZH,
    PERIOD_ZH,
    REPORT_ZH,
    STAGE_ZH,
    UNIT_LEVEL_ZH,
    UPWARD_TO_ZH,
    fmt_minutes,
)

GUIDE_DIR = "guide"
COMMON_FIELDS = ("id", "kind", "unit", "title", "created_at", "author", "reviewer", "signer", "delay_reason")
KIND_ORDER = ("emergency", "info", "opinion", "adoption", "instruction", "notice", "correction")
CLOCK_ZH = {"occurred": "事发时间", "discovered": "获知时间（未填时按事发时间）"}
CRITERIA = (("deaths", "死亡（人）"), ("serious_injuries", "重伤（人）"), ("economic_loss", "直接经济损失（万元）"))


def pages(cfg: Config) -> dict[str, str]:
    """All guide pages: {"guide/index.md": markdown, ...}. Deterministic for a given configuration."""
    schema = cfg.report_schema.schema if cfg.report_schema is not None else {"properties": {}}
    return {
        f"{GUIDE_DIR}/index.md": _index(cfg),
        f"{GUIDE_DIR}/fields.md": _fields(schema),
        f"{GUIDE_DIR}/deadlines.md": _deadlines(cfg.policy),
        f"{GUIDE_DIR}/scoring.md": _scoring(cfg.policy),
        f"{GUIDE_DIR}/examples.md": _examples(cfg, schema),
        f"{GUIDE_DIR}/signing.md": _signing(cfg),
    }


# --- Markdown helpers ------------------------------------------------------------------------------


def esc(text: Any) -> str:
    """Text from config or schema, safe inside Markdown (and table cells): no HTML, no markup."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]|#":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\r", " ").replace("\n", " ")


def code(text: Any) -> str:
    s = str(text).replace("`", "'").replace("|", "\\|").replace("\n", " ")
    return f"`{s}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _minutes(n: Any) -> str:
    if not isinstance(n, int):
        return esc(n)
    return fmt_minutes(n)


def _num(n: Any) -> str:
    return f"{n:g}" if isinstance(n, float) else esc(n)


# --- index ---------------------------------------------------------------------------------------


def _index(cfg: Config) -> str:
    office = cfg.units.get(cfg.registry_office, {}).get("name", cfg.registry_office)
    city = cfg.units_doc.get("city", "")
    first = cfg.policy.get("followup", {}).get("first_within_minutes")
    tz = esc(local_offset(cfg.policy))
    return f"""# 报送指南

本指南说明{esc(city)}各单位信息员如何通过登记库向{esc(office)}报送信息。字段说明、报送时限、
定级标准和计分办法都直接由登记库的模式文件（`schema/report.schema.json`）和政策配置
（`config/policy.yaml`）生成，与 CI 检查使用的规则完全一致。

- [字段说明](fields.md)：每类报告要填哪些字段、哪些必填、可选值是什么
- [报送时限与定级](deadlines.md)：时限规则、续报要求、事件分级标准、字数上限
- [考核计分](scoring.md)：报送任务、采用和批示加分、迟报漏报扣分
- [报告示例](examples.md)：首报、续报、终报和政务信息的完整示例
- [签名设置](signing.md)：第一次使用前设置提交签名

## 报送步骤

1. **第一次使用前**：按[签名设置](signing.md)生成签名密钥，把公钥交给登记管理员登记；
   克隆登记库：`git clone <登记库地址>`，进入登记库目录。
2. **更新到最新**：`git switch main && git pull`。
3. **新建报告**：运行 `baosong new`，按中文提示选择报告类别（紧急信息还要选首报、续报或终报）、
   单位和起草人，逐项填写内容。它会自动生成不重复的报告编号，把文件放在
   `reports/<年份>/<单位代码>/<报告编号>.yaml`，并立即检查。续报会自动带出事件编号、续报序号和
   截至上次的伤亡数字，只需修改变化的部分。也可以复制[示例](examples.md)手工编写：在 VS Code 等编辑器中，
   文件第一行的 `# yaml-language-server: $schema=...` 会让编辑器按字段给出中文提示和自动补全。
4. **检查**：`baosong check reports/<年份>/<单位代码>/<报告编号>.yaml`，按提示修改直到“检查通过”。
5. **签名提交**：`git switch -c report/<报告编号>`，`git add <文件>`，`git commit -S -m "标题"`。
6. **推送并创建合并请求**：`git push -u origin report/<报告编号>`，然后在代码托管平台上为该分支创建
   合并请求（Pull Request / Merge Request）。推送时登记服务器签收（收文登记），写下签名的收文回执，
   **以推送时的回执时间作为送达时间**，不以文件中填写的时间为准；登记机关何时合并不影响送达时间。
   推送后又修改了报告的，以最后一次推送的内容的签收时间为准。
7. **等待 CI 检查**：CI 检查格式、签名（提交人须是本单位登记过的人员）、只新增不修改，以及是否超时。
   检查通过后由登记机关合并。没有收文回执时（如登记服务器签收故障），以合并进主分支的时间作为送达时间。
8. **续报和终报**：事件未处置完毕前持续续报（首报送达后 {_minutes(first)} 内首次续报，具体见
   [报送时限](deadlines.md)），处置完毕后报送终报。续报只写变化的情况。

## 需要注意

- **只新增，不修改**：已提交的报告不能修改或删除。发现错误时新建一份更正（`baosong new --kind correction`），
  写明被更正的报告编号和更正内容。
- **迟报要说明**：超过时限的报告仍然要报，不得不报（迟报比漏报轻）；但须在 `delay_reason` 字段写明迟报原因
  （至少 {reason_min_chars(cfg.policy)} 个汉字或字母，只有标点或空白的不算），否则 CI 不予通过。`baosong new` 发现已经超时会提示填写。
- **时间写本地时间**：时间一律写成本地时区 `{tz}`（如 `2026-11-25T14:30:00{tz}`），不要写其他时区偏移；
  其他偏移会让读者看错日期，检查时会退回并给出换算后的本地时间。
- **严禁涉密**：登记库只用于非涉密信息。标有秘密、机密、绝密或“★”的内容一律拒收，请按保密规定另行报送。
- **个人信息**：身份证号、手机号等个人信息在门户上会自动打码，但仍应尽量不写。
- **编码**：文件必须是 UTF-8 编码。用记事本或 WPS 编辑时请“另存为 UTF-8”。
"""


# --- field reference -----------------------------------------------------------------------------


def _type_text(prop: dict) -> str:
    if "enum" in prop:
        labels = nr.enum_labels(prop)
        return "取值：" + "；".join(f"{code(v)} {esc(label)}" if label else code(v) for v, label in labels.items())
    if prop.get("format") == "date-time":
        return "时间（带时区），如 `2026-11-25T14:30:00+08:00`"
    kind = prop.get("type")
    parts: list[str] = []
    if kind == "string":
        parts.append("文字")
        if "minLength" in prop and "maxLength" in prop:
            parts.append(f"{prop['minLength']}～{prop['maxLength']} 字")
        elif "maxLength" in prop:
            parts.append(f"不超过 {prop['maxLength']} 字")
        if prop.get("pattern", "").startswith("^https?"):
            parts.append("网址")
    elif kind in ("integer", "number"):
        parts.append("整数" if kind == "integer" else "数字")
        if "minimum" in prop:
            parts.append(f"不小于 {_num(prop['minimum'])}")
    elif kind == "boolean":
        parts.append("`true`（是）或 `false`（否）")
    elif kind == "array":
        item = prop.get("items", {})
        parts.append(f"列表，每项为{esc(item.get('title', '文字'))}")
        if "maxItems" in prop:
            parts.append(f"最多 {prop['maxItems']} 项")
        if prop.get("uniqueItems"):
            parts.append("不得重复")
    elif kind == "object":
        subs = "、".join(f"{code(k)} {esc(v.get('title', ''))}" for k, v in prop.get("properties", {}).items())
        parts.append(f"子字段：{subs}")
    return "，".join(parts)


def _field_rows(schema: dict, names: list[str], doc: dict) -> list[list[str]]:
    base = nr.field_rules(schema, doc)
    # Conditional requirements the schema encodes with if/then on a flag.
    pending = nr.field_rules(schema, {**doc, "signoff_pending": True}) if doc.get("stage") == "first" else base
    sensitive = nr.field_rules(schema, {**doc, "sensitive": True})
    rows = []
    for name in names:
        prop = schema["properties"].get(name)
        if not isinstance(prop, dict):
            continue
        if name in base.required and name not in pending.required:
            need = "必填（先报后审时不填）"
        elif name in base.required:
            need = "**必填**"
        elif name in sensitive.required:
            need = "敏感事件必填"
        else:
            need = "可选"
        rows.append([code(name), esc(prop.get("title", "")), need, _type_text(prop), esc(prop.get("description", ""))])
    return rows


def _variants(schema: dict) -> list[tuple[str, dict]]:
    props = schema.get("properties", {})
    kinds = props.get("kind", {}).get("enum", [])
    stages = props.get("stage", {}).get("enum", [])
    labels = nr.enum_labels(props.get("kind", {}))
    stage_labels = nr.enum_labels(props.get("stage", {}))
    out = []
    for kind in sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER)):
        name = labels.get(kind, "").split("（")[0] or kind
        if kind == "emergency" and stages:
            for stage in stages:
                out.append((f"{name}·{stage_labels.get(stage, stage).split('（')[0]}（{kind} / {stage}）",
                            {"kind": kind, "stage": stage}))
        else:
            out.append((f"{name}（{kind}）", {"kind": kind}))
    return out


def _fields(schema: dict) -> str:
    props = schema.get("properties", {})
    header = ["字段", "名称", "是否必填", "格式与取值", "说明"]
    parts = [f"""# 字段说明

本页由登记库的模式文件 `schema/report.schema.json` 自动生成。{esc(schema.get('description', ''))}

字段名一律用英文（如 `title`），冒号为半角并在其后加一个空格；时间须带时区，如 `2026-11-25T14:30:00+08:00`。
表中未列出的字段不能出现在该类报告中。

## 各类报告共有的字段

"""]
    common = [n for n in COMMON_FIELDS if n in props]
    generic = nr.field_rules(schema, {})
    rows = []
    for name in common:
        prop = props[name]
        need = "**必填**" if name in generic.required else "见各类报告"
        rows.append([code(name), esc(prop.get("title", "")), need, _type_text(prop), esc(prop.get("description", ""))])
    parts.append(table(header, rows))
    for title, doc in _variants(schema):
        rules = nr.field_rules(schema, doc)
        names = [n for n in props if n not in rules.forbidden and n not in common and n != "kind"]
        names = ["signer"] + names if "signer" in props else names
        parts.append(f"\n## {esc(title)}\n\n")
        parts.append(table(header, _field_rows(schema, names, doc)))
    return "".join(parts)


# --- deadlines and grading -----------------------------------------------------------------------


def _filter(values: Any, mapping: dict | None = None) -> str:
    if not values:
        return "全部"
    return "、".join(esc((mapping or {}).get(v, v)) for v in values)


def _missed_text(policy: dict) -> str:
    """The 漏报 line: which clock the window counts from (the policy's `missed_clock`), and follow-ups."""
    window = _minutes(policy.get("missed_after_minutes"))
    clock = policy.get("missed_clock", "occurred")
    whatever = "无论时限按事发时间还是获知时间起算，" if clock == "occurred" else ""
    return (f"书面报告晚于{CLOCK_ZH.get(clock, esc(clock))} {window} 仍未送达，按漏报处理"
            f"（{whatever}漏报界限都自{CLOCK_ZH.get(clock, esc(clock))}起算，且不早于报送时限）。"
            f"续报自应报之时起算：超过应报时间 {window} 仍未报送的续报，即使一直没有报送，也按漏报登记和扣分。")


def _deadlines(policy: dict) -> str:
    stage_zh, cat_zh = STAGE_ZH, _category_labels()
    rules = policy.get("deadline_rules", [])
    rows = [[code(r.get("id", "")), esc(r.get("title", "")), REPORT_ZH.get(r.get("report", "written"), esc(r.get("report"))),
             _filter(r.get("stages"), stage_zh), _filter(r.get("categories"), cat_zh),
             _filter(r.get("grades"), {g: GRADE_ZH.get(g, g) for g in GRADES}), _filter(r.get("units")),
             CLOCK_ZH.get(r.get("clock", "occurred"), esc(r.get("clock"))), _minutes(r.get("minutes")),
             esc(r.get("source", ""))]
            for r in rules]
    followup = policy.get("followup", {})
    out = ["""# 报送时限与定级

本页由 `config/policy.yaml` 自动生成，与 CI 判断迟报、漏报使用的规则完全一致。

## 书面和电话报告时限

一份报告适用的所有规则同时生效，**以最早的截止时间为准**（最严者为准）。书面报告以登记系统记录的
送达时间衡量：登记系统对该报告内容最早的可信时间——推送时的收文回执、合并后的登记回执或合并进主分支的时间，
取最早者（登记机关的合并延误、回执作业的故障都不会让报告变晚）；电话报告以报告中填写的 `phoned_at` 衡量。
定级按申报等级和伤亡数字对应等级中较高的一个。

""", table(["编号", "规则", "方式", "阶段", "事件类别", "事件等级", "单位", "起算", "时限", "依据"], rows),
        f"""
- **漏报**：{_missed_text(policy)}
- **迟报**：超过时限但未到漏报界限。迟报的报告照常登记，但须在 `delay_reason` 中写明原因，否则 CI 不予通过。

## 续报要求

| 要求 | 时限 |
|---|---|
| 首报送达后第一次续报 | {_minutes(followup.get('first_within_minutes'))}内 |
| 此后每两次续报之间 | 不超过 {_minutes(followup.get('interval_minutes'))} |

续报持续到事件处置完毕、报送终报为止。终报同时视为当时应报的那一次续报：终报晚于该次续报的时限即为迟报
（超过漏报界限为漏报）。

{_upward(policy)}
## 事件分级标准

“以上”含本数，“以下”不含本数；伤亡人数或损失中任一项达到某级门槛即为该级，取最高的一级。
申报等级不得低于数字对应的等级。未列出的事件类别按报告申报的等级。
"""]
    for scheme in policy.get("grading", []):
        rows = []
        for level in scheme.get("levels", []):
            rows.append([esc(GRADE_ZH.get(level.get("grade"), level.get("grade")))]
                        + [f"≥ {_num(level[k])}" if k in level else "—" for k, _ in CRITERIA])
        rows.append([esc(GRADE_ZH.get(scheme.get("default_grade"), scheme.get("default_grade"))), "未达到以上门槛", "", ""])
        out.append(f"\n### {esc(scheme.get('title', scheme.get('scheme', '')))}\n\n"
                   f"适用类别：{_filter(scheme.get('categories'), cat_zh)}。依据：{esc(scheme.get('source', ''))}\n\n")
        out.append(table(["等级", *(label for _, label in CRITERIA)], rows))
    limits = policy.get("info_limits", {})
    if limits:
        info = {"dynamic": "动态", "experience": "经验", "problem": "问题", "suggestion": "建议", "research": "调研"}
        out.append("\n## 政务信息字数上限\n\n正文字数不计空白字符。\n\n")
        out.append(table(["信息类型", "最多字数"], [[f"{info.get(k, esc(k))}（{code(k)}）", esc(v)] for k, v in limits.items()]))
    return "".join(out)


def _upward(policy: dict) -> str:
    """The registry office's own duties upward (policy `upward_rules`) and why these events go up."""
    rules = policy.get("upward_rules") or []
    if not rules:
        return ""
    sensitive = {True: "仅敏感事件", False: "仅非敏感事件"}
    rows = [[code(r.get("id", "")), esc(r.get("title", "")), esc(UPWARD_TO_ZH.get(r.get("to"), r.get("to"))),
             _filter(r.get("categories"), _category_labels()),
             _filter(r.get("grades"), {g: GRADE_ZH.get(g, g) for g in GRADES}),
             sensitive.get(r["sensitive"], "") if "sensitive" in r else "不限",
             CLOCK_ZH.get(r.get("clock", "occurred"), esc(r.get("clock"))), _minutes(r.get("minutes")),
             _minutes(r.get("missed_after_minutes", policy.get("missed_after_minutes"))), esc(r.get("source", ""))]
            for r in rules]
    return ("## 登记机关自身的上报义务（向省、向中央）\n\n"
            "登记机关收到紧急信息后，自身也要在时限内向上级报送（转报）。同一报送对象有多条规则适用时以最严者为准；"
            "事件等级取报告申报的等级与按伤亡、损失核定的等级中较重者（续报改定的等级也算），低报等级不能逃避上报。"
            "**为什么是这些事件**：时限取自全市紧急信息报送工作会议讲话（“紧急信息向省和中央报送分别最迟不得晚于"
            "事件发生后的4小时和6小时，超过即视为迟报，超过24小时即视为漏报”）；报送范围按国务院令第493号第十条的"
            "逐级上报范围——较大（Ⅲ级）以上事件报至省级，重大（Ⅱ级）、特别重大（Ⅰ级）事件报至国务院，一般（Ⅳ级）"
            "事件报至市级为止；敏感事件（身份、时间、地点敏感，行为极端，人员聚集）不论等级均须报送。\n\n"
            + table(["编号", "规则", "报送对象", "事件类别", "事件等级", "敏感事件", "起算", "时限", "漏报界限", "依据"], rows)
            + "\n- **何时算报送**：以上级登记库的收文回执时间为准（`baosong upstream fetch` 获取，并用 "
            "`config/units.yaml` 中登记的上级回执公钥验证；验证不通过的回执不予采信）。尚无上级回执时，"
            "按本机关人员向上级提交的时间暂列为“已报送，待回执”。未接入上级登记库的报送对象只显示时限。\n"
            "- **迟报原因**：转报到上级的报告本身就是本机关的一份报告，迟了就须像其他迟报一样在其中写明 "
            "`delay_reason`；本登记簿从上级登记库中的转报报告读取这一原因。\n\n")


def _category_labels() -> dict[str, str]:
    return {"accident": "事故灾难", "traffic": "道路交通", "fire": "火灾", "natural_disaster": "自然灾害",
            "environment": "突发环境事件", "public_health": "公共卫生", "social_security": "社会安全", "other": "其他"}


# --- scoring -------------------------------------------------------------------------------------


def _scoring(policy: dict) -> str:
    s = policy.get("scoring", {})
    if not s:
        return "# 考核计分\n\n`config/policy.yaml` 中没有计分办法。\n"
    levels = list(LEVEL_ZH)
    adoption, instruction = s.get("adoption_points", {}), s.get("instruction_points", {})
    mode = {"sum": "同一条信息被多个层级采用时，各层级分别计分后相加",
            "highest": "同一条信息被多个层级采用时，只按最高层级计分一次"}.get(s.get("adoption_mode"), "")
    deductions = s.get("deductions", {})
    kinds = {"emergency": "紧急信息（按事件计）", "info": "政务信息", "opinion": "网络舆情"}
    return f"""# 考核计分

本页由 `config/policy.yaml` 自动生成：**{esc(s.get('title', ''))}**（依据：{esc(s.get('source', ''))}）。

## 报送任务

| 项目 | 规定 |
|---|---|
| 每月报送任务 | 每单位不少于 {esc(s.get('monthly_quota'))} 条 |
| 承担任务的单位 | {_filter(s.get('quota_levels'), UNIT_LEVEL_ZH)} |
| 计入任务的报告 | {_filter(s.get('quota_kinds'), kinds)} |
| 每少报一条 | 扣 {_num(s.get('quota_shortfall_points'))} 分 |
| 统计周期 | {_filter(s.get('periods'), PERIOD_ZH)} |

## 采用和批示加分

{esc(mode)}。

""" + table(["层级", "采用（每条）", "领导批示（每条）"],
            [[f"{LEVEL_ZH[k]}（{code(k)}）", _num(adoption.get(k, "—")), _num(instruction.get(k, "—"))] for k in levels]) + """
## 扣分

""" + table(["认定", "每次扣分"], [[f"{FINDING_ZH.get(k, esc(k))}（{code(k)}）", _num(v)] for k, v in deductions.items()]) + f"""
同一单位同一年度内再次出现同类问题的，扣分乘以 {_num(s.get('repeat_multiplier'))}。
迟报、漏报由登记系统按[报送时限](deadlines.md)自动判定；瞒报、谎报以登记机关的通报认定为准。
""" + _duty_scoring(s)


def _duty_scoring(s: dict) -> str:
    """约稿 and 重要时段 rows (policy `scoring.requests` / `scoring.duty`), when the scheme has them."""
    req, duty = s.get("requests") or {}, s.get("duty") or {}
    rows = []
    if req:
        rows += [["约稿按时完成", f"加 {_num(req.get('answered', 0))} 分（约稿另定分值的从其规定）"],
                 ["约稿逾期完成", f"加 {_num(req.get('late', 0))} 分"],
                 ["约稿稿件被采用", f"另加 {_num(req.get('adopted', 0))} 分"],
                 ["约稿逾期未报送（或不能落实的理由被驳回）", f"扣 {_num(req.get('missing', 0))} 分"]]
        if req.get("zero_year_after"):
            rows.append(["一年内约稿未报送", f"第 {_num(req['zero_year_after'])} 次起全年积分清零"])
    if duty:
        rows += [["重要时段日报迟报（含零报告）", f"扣 {_num(duty.get('late', 0))} 分"],
                 ["重要时段日报未报（含应报的零报告）", f"扣 {_num(duty.get('missing', 0))} 分"]]
    if not rows:
        return ""
    return "\n## 约稿和重要时段\n\n" + table(["项目", "计分"], rows) + (
        "\n按时与否以登记系统的收文时间为准：约稿以报送时限、日报以当日报送时限判定，恰在时限送达的为按时。\n")


# --- examples ------------------------------------------------------------------------------------


def _example_unit(cfg: Config) -> tuple[str, dict[str, str]] | None:
    """A unit with an officer, a reviewer and a head (not the registry office, if possible)."""
    # A city department reads most naturally in a traffic example; the registry office comes last.
    units = sorted(cfg.units, key=lambda c: (c == cfg.registry_office,
                                             cfg.units[c].get("level") != "department", c))
    for code_ in units:
        people = {role: nr.default_staff(cfg, code_, role) for role in ("officer", "reviewer", "head")}
        if all(people.values()):
            return code_, people  # type: ignore[return-value]
    return None


def example_documents(cfg: Config) -> dict[str, dict]:
    """A first report, a follow-up, a final report and an info item for a unit of this registry."""
    picked = _example_unit(cfg)
    schema = cfg.report_schema.schema if cfg.report_schema is not None else {"properties": {}}
    if picked is None:
        return {}
    unit, people = picked
    tz = nr.local_tz(cfg)
    day = datetime(2026, 11, 25, tzinfo=tz)

    def at(hour: int, minute: int) -> str:
        return (day + timedelta(hours=hour, minutes=minute)).isoformat(timespec="seconds")

    def rid(n: int) -> str:
        return f"{unit}-{day:%Y%m%d}-{people['officer']}-{n:02d}"

    header = {"unit": unit, "author": people["officer"], "reviewer": people["reviewer"], "signer": people["head"]}
    categories = schema.get("properties", {}).get("category", {}).get("enum", ["traffic"])
    category = "traffic" if "traffic" in categories else categories[0]
    first: dict[str, Any] = {
        **header, "id": rid(1), "kind": "emergency", "stage": "first", "title": "S216省道发生一起道路交通事故",
        "created_at": at(15, 5), "category": category, "occurred_at": at(14, 10), "discovered_at": at(14, 25),
        "phoned_at": at(14, 40), "place": "S216省道K32+500处",
        "description": "11月25日14时10分许，一辆重型货车与一辆中型客车在S216省道K32+500处相撞，客车侧翻。",
        "casualties": {"deaths": 2, "serious_injuries": 5, "injuries": 8, "missing": 0},
        "economic_loss": 150, "trend": "现场已得到控制，伤员均已送医，无次生灾害风险。",
        "measures": "交警、消防、医疗力量已到达现场救援；该路段实行交通管制；伤员送县人民医院救治。",
    }
    first["grade"] = nr.suggested_grade(first, cfg) or "IV"
    followup = {
        **header, "id": rid(2), "kind": "emergency", "stage": "followup", "incident": first["id"], "sequence": 1,
        "title": first["title"] + "（第1次续报）", "created_at": at(16, 0),
        "description": "1名重伤人员经抢救无效死亡，其余伤员病情稳定。",
        "casualties": {"deaths": 3, "serious_injuries": 4, "injuries": 8, "missing": 0}, "economic_loss": 150,
    }
    followup["grade"] = nr.suggested_grade({**followup, "category": category}, cfg, first["grade"]) or first["grade"]
    final = {
        **header, "id": rid(3), "kind": "emergency", "stage": "final", "incident": first["id"],
        "title": first["title"] + "（终报）", "created_at": at(21, 30),
        "description": "伤员救治和善后工作已基本完成，道路于18时恢复通行。",
        "casualties": followup["casualties"], "economic_loss": 180, "grade": followup["grade"],
        "cause": "初步查明，货车驾驶人疲劳驾驶、占道行驶，具体原因待事故调查组认定。",
    }
    info = {
        **header, "id": rid(4), "kind": "info", "info_type": "dynamic", "title": "我市推进老旧小区改造惠及居民1.2万户",
        "created_at": at(17, 0), "body": "今年以来，我市完成老旧小区改造36个，惠及居民1.2万户。",
        "keywords": ["老旧小区", "城市更新"],
    }
    return {"first": first, "followup": followup, "final": final, "info": info}


def _examples(cfg: Config, schema: dict) -> str:
    docs = example_documents(cfg)
    if not docs:
        return "# 报告示例\n\n登记库的单位配置中没有同时具有信息员、分管领导和主要负责人的单位，无法生成示例。\n"
    unit = docs["first"]["unit"]
    unit_name = cfg.units.get(unit, {}).get("name", unit)
    deadline = deadline_for(docs["first"], cfg)
    rule = next((r for r in cfg.policy.get("deadline_rules", []) if deadline and r.get("id") == deadline.rule), None)
    when = ""
    if deadline is not None:
        at = deadline.at
        when = (f"按 `config/policy.yaml`，本例书面报告须在 {at:%Y-%m-%d %H:%M} 前送达"
                f"（{esc(rule.get('title', '')) if rule else ''}，规则 {code(deadline.rule)}）。")
    sections = [
        ("first", "紧急信息首报", f"首报要素齐全：何时、何地、发生了什么、伤亡和损失、发展趋势、已采取措施。"
                             f"等级按伤亡数字自动建议，不得低于数字对应的等级。{when}"),
        ("followup", "紧急信息续报", "续报指向首报编号（`incident`），序号从 1 起依次递增，只写变化的情况；"
                               "伤亡数字填截至报告时的累计数。"),
        ("final", "紧急信息终报", "终报在事件处置完毕后报送，写明最终的伤亡、损失和原因，不带续报序号。"),
        ("info", "政务信息（动态）", "政务信息注意字数上限，见[报送时限与定级](deadlines.md)。"),
    ]
    out = [f"""# 报告示例

以下示例以{esc(unit_name)}（`{esc(unit)}`）为例，由 `baosong new` 使用的同一套程序生成，能通过 CI 检查。
每个文件的路径是 `reports/<年份>/<单位代码>/<报告编号>.yaml`。
"""]
    for key, title, text in sections:
        doc = docs[key]
        out.append(f"\n## {title}\n\n{text}\n\n文件 `{nr.report_path(doc['id'])}`：\n\n```yaml\n"
                   f"{nr.document_text(doc, schema)}```\n")
    out.append("\n用 `baosong new` 新建同样的报告：\n\n```bash\n"
               "baosong new                                   # 逐项提问\n"
               f"baosong new --kind emergency --stage followup --incident {docs['first']['id']}\n```\n")
    return "".join(out)


# --- signing -------------------------------------------------------------------------------------


def _signing(cfg: Config) -> str:
    office = cfg.units.get(cfg.registry_office, {}).get("name", cfg.registry_office)
    admins = "、".join(f"{esc(p.get('name', p['id']))}" for p in cfg.staff_of(cfg.registry_office)
                      if "admin" in p.get("roles", []))
    contact = f"（{esc(office)}：{admins}）" if admins else ""
    return f"""# 签名设置

登记库只接受**签名的提交**：CI 用 `config/units.yaml` 中登记的公钥核对每个提交是谁签的、是否属于报告的单位。
每位信息员在自己的电脑上设置一次即可（需要 Git 2.34 以上和 OpenSSH）。

1. **生成签名密钥**（一路回车即可，建议设置口令）：

    ```bash
    ssh-keygen -t ed25519 -C "<人员标识>@<单位代码>" -f ~/.ssh/baosong_ed25519
    ```

2. **让 git 用 SSH 密钥签名**（在登记库目录中执行；加 `--global` 则对所有仓库生效）：

    ```bash
    git config gpg.format ssh
    git config user.signingkey ~/.ssh/baosong_ed25519.pub
    git config commit.gpgsign true
    git config user.name "<姓名>"
    git config user.email "<人员标识>@<单位代码>"
    ```

3. **把公钥交给登记管理员**{contact}：把 `~/.ssh/baosong_ed25519.pub` 文件的内容（一行，以 `ssh-ed25519` 开头）
   通过内部渠道发给登记管理员，由其写入 `config/units.yaml` 中您的 `keys`。**私钥（不带 .pub 的文件）不要发给任何人。**

4. **验证**：登记管理员合并后，提交一次并查看签名：

    ```bash
    git commit -S -m "测试签名" --allow-empty
    git log --show-signature -1
    ```

    本地显示 “No signature” 说明第 2 步没有生效；CI 报告“签名人不是本单位人员”说明公钥尚未登记或登记在了别的单位。

更换电脑或密钥泄露时，请立即通知登记管理员吊销旧公钥（写入 `revoked_keys`）并登记新公钥。
"""
