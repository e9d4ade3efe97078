"""Chinese labels for the portal: `vocab`'s tables, plus the portal's combined labels."""

from __future__ import annotations

from baosong.vocab import (
    CATEGORY_ZH,
    CLOCK_ZH,
    FIGURES_ZH,
    GRADE_SHORT,
    GRADE_ZH,
    INFO_TYPE_ZH,
    KIND_ZH,
    LEVEL_ZH,
    SIGNATURE_ZH,
    STAGE_ZH,
    STATUS_ZH,
)

TIME_SOURCE_ZH = {"receipt": "登记回执", "tsa": "可信时间戳", "commit": "合并时间（参考）"}

__all__ = ["CATEGORY_ZH", "CLOCK_ZH", "FIGURES_ZH", "GRADE_SHORT", "GRADE_ZH", "INFO_TYPE_ZH", "KIND_ZH",
           "LEVEL_ZH", "SIGNATURE_ZH", "STAGE_ZH", "STATUS_ZH", "TIME_SOURCE_ZH"]


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
