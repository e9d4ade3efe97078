"""The product's Chinese vocabulary, in one place: every enum's label (full form, and a short form
where the CLI's narrow columns or the portal's tables need one), the one duration formatter, the one
time formatter and the one title of a deadline rule. The CLI, the portal, the guide, exports and
bulletins all print through these, so a status or a delay reads the same everywhere, and a new enum
value needs one edit here (tests/test_vocab.py: every `enum` value in schema/*.json has a label).

Wording: durations are written without spaces between numbers and units ("1天1小时"), as in the
bulletins, which are official documents (公文); the portal already wrote them so.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from baosong.timeutil import parse_datetime

# Report kinds and stages (report.schema.json).
KIND_ZH = {"emergency": "紧急信息", "info": "政务信息", "opinion": "网络舆情", "adoption": "采用记录",
           "instruction": "领导批示记录", "notice": "通报认定", "correction": "更正", "request": "约稿",
           "decline": "不能落实说明", "duty_period": "重要时段", "daily": "重要时段日报"}
KIND_SHORT = {"emergency": "紧急", "info": "政务", "opinion": "舆情", "adoption": "采用", "instruction": "批示",
              "notice": "通报", "correction": "更正", "request": "约稿", "decline": "说明", "duty_period": "时段",
              "daily": "日报"}
STAGE_ZH = {"first": "首报", "followup": "续报", "final": "终报"}
INFO_TYPE_ZH = {"dynamic": "动态", "experience": "经验", "problem": "问题", "suggestion": "建议", "research": "调研"}
CATEGORY_ZH = {"accident": "事故灾难", "traffic": "道路交通", "fire": "火灾", "natural_disaster": "自然灾害",
               "environment": "生态环境", "public_health": "公共卫生", "social_security": "社会安全", "other": "其他"}
GRADE_ZH = {"I": "Ⅰ级（特别重大）", "II": "Ⅱ级（重大）", "III": "Ⅲ级（较大）", "IV": "Ⅳ级（一般）"}
GRADE_SHORT = {"I": "Ⅰ级", "II": "Ⅱ级", "III": "Ⅲ级", "IV": "Ⅳ级"}
VERIFICATION_ZH = {"unverified": "未核实", "verifying": "核实中", "confirmed": "已证实", "refuted": "已辟谣"}
LEVEL_ZH = {"own": "本单位", "city": "市级", "prefecture": "地市级", "province": "省级", "national": "国家级"}
FINDING_ZH = {"late": "迟报", "missed": "漏报", "concealed": "瞒报", "fabricated": "谎报",
              "reason_rejected": "理由不成立"}
FIGURES_ZH = {"deaths": "死亡", "serious_injuries": "重伤", "injuries": "轻伤", "missing": "失踪",
              "economic_loss": "直接经济损失（万元）"}
CRITERIA_ZH = {"deaths": "死亡", "serious_injuries": "重伤", "economic_loss": "直接经济损失（万元）"}

# Policy (policy.schema.json) and units (units.schema.json).
REPORT_ZH = {"written": "书面报告", "phone": "电话报告"}
PERIOD_ZH = {"month": "月度", "bimonth": "双月", "quarter": "季度", "year": "年度"}
UNIT_LEVEL_ZH = {"city": "市级", "district": "县区", "department": "市直部门", "agency": "局属单位"}
ADOPTION_MODE_ZH = {"sum": "各层级采用分别计分", "highest": "只按最高层级计分"}
ROLE_ZH = {"officer": "信息员", "reviewer": "分管领导", "head": "主要负责人", "admin": "登记管理员"}
# Upward duties (policy upward_rules[].to, units upstream[].to) and their verdicts (upward.py).
UPWARD_TO_ZH = {"city": "市级", "prefecture": "地市级", "province": "省级", "national": "中央"}
UPWARD_STATUS_ZH = {"on_time": "按时", "late": "迟报", "missed": "漏报", "not_due": "未到期",
                    "overdue": "已超时，未报送", "pending_receipt": "已报送，待回执", "untracked": "未接入上级登记库"}
UPWARD_SOURCE_ZH = {"upper_receipt": "上级回执", "own": "本机关推送时间（未经上级回执证实）"}

# The register's verdicts (deadlines.py) and signatures (signatures.py).
CLOCK_ZH = {"occurred": "事发时间", "discovered": "获知时间", "first_arrival": "首报送达时间",
            "previous_arrival": "上次续报送达时间"}
STATUS_ZH = {"on_time": "按时", "late": "迟报", "missed": "漏报", "not_applicable": "不适用"}
# Per request and unit (duties.py): 约稿 answers.
REQUEST_STATUS_ZH = {"on_time": "按时报送", "late": "逾期报送", "declined": "说明不能落实", "missing": "未报送",
                     "open": "待报送"}
# Per duty period, unit and day (duties.py): 重要时段日报.
DAILY_STATUS_ZH = {"on_time": "按时", "late": "迟报", "zero": "零报告", "missing": "未报", "not_due": "未到时限"}
SIGNATURE_ZH = {"good": "有效", "unsigned": "未签名", "unknown_key": "未登记的密钥", "bad": "签名无效",
                "expired": "密钥不在有效期内", "revoked": "密钥已吊销", "wrong_unit": "非本单位人员"}
SIGNATURE_SHORT = {"good": "有效", "unsigned": "未签名", "unknown_key": "未登记密钥", "bad": "无效",
                   "expired": "过期", "revoked": "已吊销", "wrong_unit": "非本单位"}
SEVERITY_ZH = {"error": "错误", "warning": "警告"}
# Where a report's arrival time comes from (register records' `time_source`).
TIME_SOURCE_ZH = {"push": "收文回执", "receipt": "登记回执", "tsa": "可信时间戳", "commit": "合并时间"}
TIME_SOURCE_SHORT = {"push": "收文回执", "receipt": "回执", "tsa": "时间戳", "commit": "合并时间"}

# Scores and bulletins (scoring.py).
SCORE_TYPE_ZH = {"adoption": "采用", "instruction": "领导批示", "shortfall": "任务缺额", "late": "迟报", "missed": "漏报",
                 "concealed": "瞒报", "fabricated": "谎报", "request": "约稿", "request_adopted": "约稿采用",
                 "request_missing": "约稿未报", "request_zeroed": "约稿清零", "daily_late": "日报迟报",
                 "daily_missing": "日报未报"}
QUARTER_ZH = ("第一季度", "第二季度", "第三季度", "第四季度")

FOLLOWUP_FIRST_RULE = "followup.first_within_minutes"
FOLLOWUP_INTERVAL_RULE = "followup.interval_minutes"


def fmt_minutes(minutes: int | float | None, *, max_parts: int | None = None) -> str:
    """1500 → 1天1小时; 75 → 1小时15分钟; 0 → 0分钟; None → "". `max_parts=2` keeps the two largest
    units (1501 → 1天1小时), for table cells."""
    if minutes is None:
        return ""
    minutes = int(round(minutes))
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天"] if days else []
    if hours:
        parts.append(f"{hours}小时")
    if mins or not parts:
        parts.append(f"{mins}分钟")
    return sign + "".join(parts[:max_parts])


def local(value: object, tz: timezone) -> datetime | None:
    when = value if isinstance(value, datetime) else parse_datetime(value)
    return when.astimezone(tz) if when is not None else None


def fmt_time(value: object, tz: timezone) -> str:
    """An ISO time (or datetime) as local "YYYY-MM-DD HH:MM"; "" when there is none."""
    when = local(value, tz)
    return when.strftime("%Y-%m-%d %H:%M") if when else ""


def rule_title(policy: dict[str, Any], rule_id: str | None) -> str:
    """The policy's title of a deadline rule; the follow-up duties described from the policy's numbers."""
    if not rule_id:
        return "—"
    for rule in policy.get("deadline_rules", []):
        if rule.get("id") == rule_id:
            return rule.get("title") or rule_id
    duty = policy.get("followup") or {}
    if rule_id == FOLLOWUP_FIRST_RULE:
        return f"首报送达后 {fmt_minutes(duty.get('first_within_minutes'))}内第一次续报"
    if rule_id == FOLLOWUP_INTERVAL_RULE:
        return f"上次续报送达后 {fmt_minutes(duty.get('interval_minutes'))}内再次续报"
    return rule_id
