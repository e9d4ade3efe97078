"""Chinese labels for the portal, gathered from the modules that own each vocabulary."""

from __future__ import annotations

from baosong.deadlines import CLOCK_ZH, STATUS_ZH
from baosong.grading import GRADE_ZH
from baosong.guide import LEVEL_ZH
from baosong.newreport import KIND_ZH, STAGE_ZH
from baosong.rules import INFO_TYPE_ZH
from baosong.signatures import STATUS_ZH as SIGNATURE_ZH

CATEGORY_ZH = {"accident": "事故灾难", "traffic": "道路交通", "fire": "火灾", "natural_disaster": "自然灾害",
               "environment": "生态环境", "public_health": "公共卫生", "social_security": "社会安全", "other": "其他"}
TIME_SOURCE_ZH = {"push": "收文回执", "receipt": "登记回执", "tsa": "可信时间戳", "commit": "合并时间"}


def time_source(record: dict) -> str:
    """Where a report's arrival time comes from, with what vouches for it: 收文回执 (the server hook
    receipted the push), 登记回执, 可信时间戳, or the merge time — vouched for by a timely receipt,
    or 未经证实 (no receipt, or only a 补登回执 written long after the merge)."""
    source = record.get("time_source")
    label = TIME_SOURCE_ZH.get(source or "", source or "—")
    if source != "commit":
        return label
    if record.get("catch_up"):
        return label + "（补登回执，未经证实）"
    return label + ("（回执佐证）" if record.get("attested") else "（无回执，未经证实）")
GRADE_SHORT = {"I": "Ⅰ级", "II": "Ⅱ级", "III": "Ⅲ级", "IV": "Ⅳ级"}
FIGURES_ZH = {"deaths": "死亡", "serious_injuries": "重伤", "injuries": "轻伤", "missing": "失踪",
              "economic_loss": "直接经济损失（万元）"}

__all__ = ["CATEGORY_ZH", "CLOCK_ZH", "FIGURES_ZH", "GRADE_SHORT", "GRADE_ZH", "INFO_TYPE_ZH", "KIND_ZH",
           "LEVEL_ZH", "SIGNATURE_ZH", "STAGE_ZH", "STATUS_ZH", "TIME_SOURCE_ZH", "time_source"]


def kind_stage(record: dict) -> str:
    """紧急信息·首报 / 紧急信息·续报（2）/ 政务信息·动态 / 采用记录 …"""
    kind = KIND_ZH.get(record.get("kind") or "", record.get("kind") or "")
    stage = record.get("stage")
    if stage:
        label = STAGE_ZH.get(stage, stage)
        if stage == "followup" and record.get("sequence"):
            label += f"（{record['sequence']}）"
        return f"{kind}·{label}"
    info_type = record.get("info_type")
    if info_type:
        return f"{kind}·{INFO_TYPE_ZH.get(info_type, info_type)}"
    return kind


def grade(value: str | None) -> str:
    return GRADE_ZH.get(value or "", value or "—")
