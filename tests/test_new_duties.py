"""`baosong new` for 约稿 and 重要时段: the office's request and duty period, a unit's answer, decline and
daily report (a summary or a 零报告); every file passes `baosong check`, and bad input is refused in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from baosong.yamlload import load_yaml
from workflow_helpers import baosong_inline, make_registry

NOW = "2026-11-25T15:00:00+08:00"


@pytest.fixture()
def reg(tmp_path: Path) -> Path:
    return make_registry(tmp_path / "registry")


def new(reg: Path, home: Path, *args: str, now: str = NOW):
    return baosong_inline("new", *args, "--now", now, "--yes", cwd=reg, home=home)


def doc(reg: Path, rel: str) -> dict:
    loaded = load_yaml((reg / rel).read_bytes(), rel)
    assert loaded.problems == []
    return loaded.data


def test_request_answer_decline_duty_period_and_daily_reports(reg: Path, tmp_path: Path) -> None:
    result = new(reg, tmp_path, "--kind", "request", "--unit", "xxk", "--author", "wangli", "--title", "关于报送基层治理经验的约稿",
                 "--set", "target_levels=district", "--set", "due_at=2026-11-30 17:00",
                 "--set", "requirements=1500字以内，写清做法和成效。", "--set", "purpose=向省委办公厅报送专题信息",
                 "--set", "contact.name=王丽", "--set", "contact.phone=0571-87001234")
    assert result.returncode == 0, result.stdout + result.stderr
    request = doc(reg, "reports/2026/xxk/xxk-20261125-wangli-01.yaml")
    assert request["target_levels"] == ["district"] and request["due_at"] == "2026-11-30T17:00:00+08:00"
    assert request["contact"] == {"name": "王丽", "phone": "0571-87001234"}
    result = new(reg, tmp_path, "--kind", "info", "--unit", "dcq", "--author", "lijing", "--title", "东城区基层治理经验",
                 "--info-type", "experience", "--set", "body=东城区推行网格化治理，成效明显。",
                 "--set", "request=xxk-20261125-wangli-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert doc(reg, "reports/2026/dcq/dcq-20261125-lijing-01.yaml")["request"] == "xxk-20261125-wangli-01"
    result = new(reg, tmp_path, "--kind", "decline", "--unit", "xhq", "--author", "chenxue", "--title", "不能落实的说明",
                 "--set", "request=xxk-20261125-wangli-01",
                 "--set", "decline_reason=本区相关工作尚在试点阶段，暂无成熟经验可报。")
    assert result.returncode == 0, result.stdout + result.stderr
    result = new(reg, tmp_path, "--kind", "duty_period", "--unit", "xxk", "--author", "wangli", "--title", "元旦假期重要时段",
                 "--set", "target_units=dcq,xhq", "--set", "start_date=2026-12-30", "--set", "end_date=2027-01-01",
                 "--set", "daily_deadline=16:00", "--set", "zero_report_required=是")
    assert result.returncode == 0, result.stdout + result.stderr
    period = doc(reg, "reports/2026/xxk/xxk-20261125-wangli-02.yaml")
    assert period["zero_report_required"] is True and period["target_units"] == ["dcq", "xhq"]
    # A zero report: the date defaults to today, there is no body and no signer is needed.
    result = new(reg, tmp_path, "--kind", "daily", "--unit", "dcq", "--author", "lijing", "--title", "东城区值班情况（零报告）",
                 "--set", "duty_period=xxk-20261125-wangli-02", "--set", "nothing_to_report=true",
                 now="2026-12-30T10:00:00+08:00")
    assert result.returncode == 0, result.stdout + result.stderr
    daily = doc(reg, "reports/2026/dcq/dcq-20261230-lijing-01.yaml")
    assert daily["date"] == "2026-12-30" and daily["nothing_to_report"] is True and "body" not in daily
    # A summary instead: no nothing_to_report question.
    result = new(reg, tmp_path, "--kind", "daily", "--unit", "xhq", "--author", "chenxue", "--title", "西湖区值班情况",
                 "--set", "duty_period=xxk-20261125-wangli-02", "--set", "body=辖区发生一起小型火情，已处置。",
                 now="2026-12-30T11:00:00+08:00")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing_to_report" not in doc(reg, "reports/2026/xhq/xhq-20261230-chenxue-01.yaml")
    check = baosong_inline("check", "--now", "2026-12-30T12:00:00+08:00", "--no-cache", cwd=reg, home=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_bad_duty_input_is_refused_with_a_chinese_message(reg: Path, tmp_path: Path) -> None:
    # Not the office: a unit cannot commission a request.
    result = new(reg, tmp_path, "--kind", "request", "--unit", "dcq", "--author", "lijing", "--title", "约稿")
    assert result.returncode == 2 and "只能由登记机关（xxk）填报" in result.stderr
    # A daily report with neither a summary nor a zero report is written, and the check says what to do.
    result = new(reg, tmp_path, "--kind", "daily", "--unit", "dcq", "--author", "lijing", "--title", "值班情况",
                 "--set", "date=2026-11-25", "--set", "duty_period=xxk-20261120-wangli-01")
    assert result.returncode == 1
    assert "[daily-content]" in result.stdout and "nothing_to_report: true（零报告）" in result.stdout
    assert "[ref-missing]" in result.stdout
    # A decline whose reason is no sentence.
    result = new(reg, tmp_path, "--kind", "decline", "--unit", "xhq", "--author", "chenxue", "--title", "说明",
                 "--set", "request=xxk-20261120-wangli-01", "--set", "decline_reason=无。。。。")
    assert "[reason-text]" in result.stdout and "不能落实的理由（decline_reason）须用完整的话写明" in result.stdout
