"""Chinese labels for the portal: `vocab`'s tables, plus the portal's combined labels."""

from __future__ import annotations

from baosong.records import ReportRecord
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
    TIME_SOURCE_ZH,
)


def time_source(record: ReportRecord) -> str:
    """Where a report's arrival time comes from, with what vouches for it: 收文回执 (the server hook
    receipted the push), 登记回执, 可信时间戳, or the merge time — vouched for by a timely receipt,
    or 未经证实 (no receipt, or only a 补登回执 written long after the merge)."""
    source = record.time_source
    label = TIME_SOURCE_ZH.get(source or "", source or "—")
    if source != "commit":
        return label
    if record.catch_up:
        return label + "（补登回执，未经证实）"
    return label + ("（回执佐证）" if record.attested else "（无回执，未经证实）")


__all__ = ["CATEGORY_ZH", "CLOCK_ZH", "FIGURES_ZH", "GRADE_SHORT", "GRADE_ZH", "INFO_TYPE_ZH", "KIND_ZH",
           "LEVEL_ZH", "SIGNATURE_ZH", "STAGE_ZH", "STATUS_ZH", "TIME_SOURCE_ZH", "time_source"]


def kind_stage(record: ReportRecord, info_type: str | None = None) -> str:
    """紧急信息·首报 / 紧急信息·续报（2）/ 政务信息·动态 / 采用记录 … (`info_type`: the document's)"""
    kind = KIND_ZH.get(record.kind or "", record.kind or "")
    stage = record.stage
    if stage:
        label = STAGE_ZH.get(stage, stage)
        if stage == "followup" and record.sequence:
            label += f"（{record.sequence}）"
        return f"{kind}·{label}"
    if info_type:
        return f"{kind}·{INFO_TYPE_ZH.get(info_type, info_type)}"
    return kind


def grade(value: str | None) -> str:
    return GRADE_ZH.get(value or "", value or "—")
