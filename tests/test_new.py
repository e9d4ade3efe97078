"""`baosong new`: through its prompts (piped input and a real pseudo-terminal) and through options; the
files it writes pass `baosong check`; follow-ups get the next number and the figures so far."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from baosong import newreport as nr
from baosong.yamlload import load_yaml
from workflow_helpers import BAOSONG, NOW, baosong, baosong_inline, env, git, make_registry

FIRST = ["--kind", "emergency", "--stage", "first", "--unit", "gaj", "--author", "wanghao",
         "--title", "S216省道发生一起交通事故", "--category", "traffic",
         "--set", "occurred_at=2026-11-25 14:10", "--set", "place=S216省道K32+500处",
         "--set", "description=一辆货车与客车相撞，客车侧翻", "--set", "casualties.deaths=2",
         "--set", "casualties.serious_injuries=5", "--set", "trend=现场已控制",
         "--set", "measures=交通管制，伤员送医", "--now", NOW, "--yes"]


@pytest.fixture()
def reg(tmp_path: Path) -> Path:
    return make_registry(tmp_path / "registry")


def bs(*args: str, cwd: Path, home: Path, input: str | None = None) -> subprocess.CompletedProcess:
    """Runs without answers on stdin go in-process (fast); answers are piped to a real process."""
    if input is None:
        return baosong_inline(*args, cwd=cwd, home=home)
    return baosong(*args, cwd=cwd, home=home, input=input)


def load(path: Path) -> dict:
    loaded = load_yaml(path.read_bytes(), str(path))
    assert loaded.problems == [], loaded.problems
    return loaded.data


def assert_check_passes(reg: Path, home: Path) -> None:
    result = bs("check", "--now", "2026-11-26T09:00:00+08:00", "--no-cache", cwd=reg, home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "检查通过" in result.stdout


def test_options_write_a_valid_first_report(reg: Path, tmp_path: Path) -> None:
    result = bs("new", *FIRST, cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    path = reg / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../schema/report.schema.json\n")
    doc = load(path)
    assert doc["id"] == "gaj-20261125-wanghao-01" and doc["stage"] == "first"
    assert doc["occurred_at"] == "2026-11-25T14:10:00+08:00"
    assert doc["casualties"] == {"deaths": 2, "serious_injuries": 5, "injuries": 0, "missing": 0}
    assert doc["grade"] == "IV"  # suggested from the figures: 2 deaths, 5 serious injuries
    assert doc["signer"] == "liuzhenhua" and doc["reviewer"] == "majun"  # the unit's only head and reviewer
    # Next steps and the deadline that applies (city rule: written within 2 h of 14:10).
    assert "git commit -S" in result.stdout and "git push" in result.stdout
    assert "city-written" in result.stdout and "截止 2026-11-25 16:10" in result.stdout
    assert "还剩 1小时10分钟" in result.stdout
    assert "电话报告时限" in result.stdout and "city-phone" in result.stdout and "15:10" in result.stdout
    assert_check_passes(reg, tmp_path)
    # The unit and officer are remembered in the per-user settings file.
    last = json.loads((tmp_path / ".config/baosong/last.json").read_text(encoding="utf-8"))
    assert last == {"unit": "gaj", "author": "wanghao"}


def test_same_officer_same_day_gets_next_number_also_across_branches(reg: Path, tmp_path: Path) -> None:
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    # -02 exists only on another branch (an open pull request): it must not be reused.
    git(reg, "switch", "-q", "-c", "report/other")
    other = reg / "reports/2026/gaj/gaj-20261125-wanghao-02.yaml"
    other.write_text((reg / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml").read_text().replace("-01", "-02"))
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "other report")
    git(reg, "switch", "-q", "main")
    assert not other.exists()
    result = bs("new", *FIRST, cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (reg / "reports/2026/gaj/gaj-20261125-wanghao-03.yaml").exists()
    assert nr.next_id(reg, "gaj", "wanghao", "20261125") == "gaj-20261125-wanghao-04"
    assert nr.next_id(reg, "gaj", "wanghao", "20261126") == "gaj-20261126-wanghao-01"


def test_piped_answers_drive_the_prompts(reg: Path, tmp_path: Path) -> None:
    answers = [
        "1",                      # 报告类别: emergency
        "",                       # 阶段: default first
        "gaj",                    # 单位 (nothing remembered yet)
        "",                       # 起草人: the unit's only officer
        "城区一商场发生火灾",        # 标题
        "火灾",                    # 事件类别, by its Chinese label
        "14:20",                  # 事发时间: today
        "2026-11-25 14:30",       # 获知时间
        "",                       # 电话报告时间: skipped
        "东城区人民路88号",          # 事发地点
        "商场三楼起火，已扑灭",        # 事件情况
        "abc", "4",               # 死亡: a wrong answer is asked again
        "", "1", "",              # 重伤, 受伤, 失踪
        "",                       # 直接经济损失
        "",                       # 等级: suggested III from 4 deaths
        "否",                     # 敏感事件
        "火势已扑灭", "疏散群众，伤员送医",  # 趋势, 措施
        "", "",                   # 原因, 涉及单位
        "", "",                   # 审核人, 签发人: defaults
    ]
    result = bs("new", "--now", NOW, cwd=reg, home=tmp_path, input="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "报告类别" in result.stdout and "事发时间" in result.stdout
    assert "不是数字" in result.stdout
    doc = load(reg / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert doc["category"] == "fire" and doc["occurred_at"] == "2026-11-25T14:20:00+08:00"
    assert doc["casualties"] == {"deaths": 4, "serious_injuries": 0, "injuries": 1, "missing": 0}
    assert doc["grade"] == "III" and doc["sensitive"] is False
    assert "phoned_at" not in doc and "cause" not in doc
    assert_check_passes(reg, tmp_path)


def test_followup_is_prefilled_from_its_incident(reg: Path, tmp_path: Path) -> None:
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    first_id = "gaj-20261125-wanghao-01"
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "first report")  # arrival 14:30 (GIT_COMMITTER_DATE)
    answers = ["emergency", "followup",
               "1",           # 所属事件: the first of the unit's open incidents listed
               "",            # 单位: remembered gaj
               "",            # 起草人: remembered
               "",            # 标题: prefilled
               "又有一名重伤人员死亡",  # 事件情况
               "3", "4", "", "",     # casualties: deaths changed, serious changed, rest carried
               "", "",        # 经济损失, 等级 (suggested III)
               "", "", "",    # 趋势, 措施, 原因
               "", ""]        # 审核人, 签发人
    result = bs("new", "--now", "2026-11-25T15:10:00+08:00", cwd=reg, home=tmp_path,
                     input="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    doc = load(reg / "reports/2026/gaj/gaj-20261125-wanghao-02.yaml")
    assert doc["incident"] == first_id and doc["sequence"] == 1
    assert doc["title"] == "S216省道发生一起交通事故（第1次续报）"
    assert doc["casualties"] == {"deaths": 3, "serious_injuries": 4, "injuries": 0, "missing": 0}
    assert doc["grade"] == "III"
    assert "［默认：2］" in result.stdout  # the previous death toll offered as the default
    assert f"1. {first_id} S216省道发生一起交通事故" in result.stdout
    # Follow-up duty: within 60 min of the first report's arrival (14:30).
    assert "followup.first_within_minutes" in result.stdout and "15:30" in result.stdout

    # A second follow-up by options alone gets number 2 and carries the latest figures.
    result = bs("new", "--kind", "emergency", "--stage", "followup", "--incident", first_id,
                     "--set", "description=伤员情况稳定", "--now", "2026-11-25T16:00:00+08:00", "--yes",
                     cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = load(reg / "reports/2026/gaj/gaj-20261125-wanghao-03.yaml")
    assert doc["sequence"] == 2 and doc["casualties"]["deaths"] == 3 and doc["grade"] == "III"

    result = bs("new", "--kind", "emergency", "--stage", "final", "--incident", first_id,
                     "--set", "description=处置完毕", "--set", "cause=疲劳驾驶", "--now", "2026-11-25T20:00:00+08:00",
                     "--yes", cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    final = load(reg / "reports/2026/gaj/gaj-20261125-wanghao-04.yaml")
    assert final["stage"] == "final" and "sequence" not in final and final["title"].endswith("（终报）")
    assert_check_passes(reg, tmp_path)

    # After the final report, no more follow-ups.
    result = bs("new", "--kind", "emergency", "--stage", "followup", "--incident", first_id,
                     "--set", "description=x", "--now", "2026-11-25T21:00:00+08:00", "--yes", cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "已于" in result.stderr and "终报" in result.stderr


def test_another_units_final_does_not_close_the_incident_for_its_owner(reg: Path, tmp_path: Path) -> None:
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    first_id = "gaj-20261125-wanghao-01"
    # dcq is neither the incident's unit nor involved: `baosong check` refuses its final (incident-unit),
    # but one that reached main must not stop gaj from reporting on its own incident.
    foreign = reg / "reports/2026/dcq/dcq-20261125-lijing-01.yaml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text(f'id: dcq-20261125-lijing-01\nkind: emergency\nunit: dcq\ntitle: 终报\n'
                       f'created_at: "2026-11-25T14:40:00+08:00"\nauthor: lijing\nsigner: sunweidong\n'
                       f'stage: final\nincident: {first_id}\ndescription: 处置完毕。\n', encoding="utf-8")
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "first report and a foreign final")
    assert [inc.id for inc in nr.open_incidents(reg, "gaj")] == [first_id]
    result = bs("new", "--kind", "emergency", "--stage", "followup", "--incident", first_id,
                "--set", "description=伤员情况稳定", "--now", "2026-11-25T15:10:00+08:00", "--yes", cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert load(reg / "reports/2026/gaj/gaj-20261125-wanghao-02.yaml")["sequence"] == 1


def test_followup_waiting_in_an_open_pull_request_counts(reg: Path, tmp_path: Path) -> None:
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    first_id = "gaj-20261125-wanghao-01"
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "first report")
    git(reg, "switch", "-q", "-c", "report/followup-1")
    followup = ["--kind", "emergency", "--stage", "followup", "--incident", first_id, "--yes",
                "--now", "2026-11-25T15:20:00+08:00"]
    result = bs("new", *followup, "--set", "description=一名伤员死亡", "--set", "casualties.deaths=3",
                     cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "follow-up 1")
    git(reg, "switch", "-q", "main")  # follow-up 1 is not merged yet: not in this working tree
    assert not (reg / "reports/2026/gaj/gaj-20261125-wanghao-02.yaml").exists()
    result = bs("new", *followup, "--set", "description=伤员情况稳定", cwd=reg, home=tmp_path)
    doc = load(reg / "reports/2026/gaj/gaj-20261125-wanghao-03.yaml")
    assert doc["sequence"] == 2 and doc["casualties"]["deaths"] == 3
    # Checked alone, the working tree lacks follow-up 1: the officer is told why and what to do.
    assert result.returncode == 1 and "sequence-gap" in result.stdout
    assert "gaj-20261125-wanghao-02.yaml 还在其他分支上" in result.stdout


def test_missing_answers_name_their_options(reg: Path, tmp_path: Path) -> None:
    result = bs("new", "--kind", "emergency", "--unit", "gaj", "--now", NOW, "--yes", cwd=reg, home=tmp_path)
    assert result.returncode == 2
    for option in ("--title", "--category", "--set place=", "--set occurred_at=", "--set trend="):
        assert option in result.stderr
    assert not list((reg / "reports").rglob("*.yaml"))
    # No terminal and nothing on stdin: the same, instead of waiting or crashing.
    result = bs("new", "--now", NOW, cwd=reg, home=tmp_path, input="")
    assert result.returncode == 2 and "--kind" in result.stderr
    # A field the kind does not use is refused, not silently dropped.
    result = bs("new", *FIRST, "--set", "platform=微博", cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "platform" in result.stderr
    result = bs("new", *FIRST, "--set", "sequence=3", cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "自动生成" in result.stderr
    # Office records belong to the registry office only.
    result = bs("new", "--kind", "adoption", "--unit", "gaj", "--yes", cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "登记机关（xxk）" in result.stderr


def test_late_report_asks_for_a_delay_reason(reg: Path, tmp_path: Path) -> None:
    late = [a if a != NOW else "2026-11-25T18:00:00+08:00" for a in FIRST]
    result = bs("new", *late, cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "--set delay_reason=" in result.stderr and "已超过报送时限" in result.stdout
    result = bs("new", *late, "--set", "delay_reason=值班人员未及时上报，已批评教育",
                "--set", "phoned_at=2026-11-25 15:30", cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已超时 1小时50分钟" in result.stdout
    assert "电话报告时间 15:30 晚于时限 15:10" in result.stdout
    assert load(reg / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")["delay_reason"].startswith("值班人员")


def test_delay_reason_without_written_text_is_not_accepted(reg: Path, tmp_path: Path) -> None:
    late = [a if a != NOW else "2026-11-25T18:00:00+08:00" for a in FIRST]
    result = bs("new", *late, "--set", "delay_reason=\u3164\u3164\u3164\u3164", cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "--set delay_reason" in result.stderr and "至少 8 个汉字或字母" in result.stderr
    assert not (reg / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml").exists()


def test_real_terminal_session(reg: Path, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(BAOSONG, ["new", "--now", NOW], cwd=str(reg), env=env(tmp_path), encoding="utf-8",
                          timeout=30, dimensions=(40, 200))
    # The body is pasted as two paragraphs at once: both stay in the body, not in the next answer.
    steps = [("报告类别", "info"), ("报送单位", "dcq"), ("起草人", ""), ("标题", "东城区开展冬季安全大检查"),
             ("信息类型", "1"), ("正文", "东城区组织开展冬季安全生产大检查。\n共排查隐患32处，已全部整改。"),
             ("关键词", "安全生产，冬季"), ("审核人", ""), ("签发人", "")]
    for prompt, answer in steps:
        child.expect(prompt)
        child.send(answer + "\n")
    child.expect("下一步")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    doc = load(reg / "reports/2026/dcq/dcq-20261125-lijing-01.yaml")
    assert doc["kind"] == "info" and doc["info_type"] == "dynamic" and doc["keywords"] == ["安全生产", "冬季"]
    assert doc["body"] == "东城区组织开展冬季安全生产大检查。\n共排查隐患32处，已全部整改。"
    assert doc["signer"] == "sunweidong"
    assert_check_passes(reg, tmp_path)


def test_text_round_trips_through_the_strict_loader() -> None:
    schema = json.loads((Path(__file__).resolve().parents[1] / "schema/report.schema.json").read_text("utf-8"))
    doc = {"id": "gaj-20261125-wanghao-01", "kind": "info", "unit": "gaj", "title": "no",
           "created_at": "2026-11-25T14:30:00+08:00", "author": "on", "info_type": "12:30",
           "body": "第一段: 含冒号 # 和井号\n\n  第二段，“引号”和 \\ 反斜杠", "keywords": ["true", "012", "2026-11-25"],
           "economic_loss": 0.1, "casualties": {"deaths": 3}, "sensitive": True, "cause": " 前导空格\n第二行 "}
    loaded = load_yaml(nr.document_text(doc, schema).encode(), "x.yaml")
    assert loaded.problems == []
    assert loaded.data == doc


# --- the command line as a whole ---------------------------------------------------------------------


def test_version_and_chinese_help_with_examples_for_every_command(capsys: pytest.CaptureFixture) -> None:
    from baosong import __version__
    from baosong.cli import COMMAND_MODULES, main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"baosong {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert top.startswith("用法：baosong") and "常用示例：" in top and "选项" in top
    for name in COMMAND_MODULES:
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        text = capsys.readouterr().out
        assert exit_.value.code == 0
        assert text.startswith(f"用法：baosong {name}"), name
        assert "示例：" in text and f"\n  baosong {name}" in text, f"{name}: help has no examples"
        assert "usage:" not in text and "options:" not in text and "show this help" not in text, name
        assert f"  baosong {name}" in top, f"{name} has no example in baosong --help"


def test_usage_errors_are_in_chinese_and_say_what_to_do(capsys: pytest.CaptureFixture) -> None:
    from baosong.cli import main

    for argv, words in ((["new", "--bogus"], "无法识别的参数：--bogus"),
                        (["check", "--format", "xml"], "参数 --format 的取值 'xml' 无效"),
                        (["new", "--kind"], "参数 --kind 后面需要一个值")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and words in err and "--help" in err, err


def test_colour_only_on_a_terminal(reg: Path, tmp_path: Path) -> None:
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    terminal_env = {k: v for k, v in env(tmp_path, TERM="xterm").items() if k != "NO_COLOR"}
    piped = subprocess.run([BAOSONG, "check", "--now", "2026-11-26T09:00:00+08:00"], cwd=reg, env=terminal_env,
                           capture_output=True, text=True)
    assert piped.returncode == 0 and "检查通过" in piped.stdout and "\x1b[" not in piped.stdout
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(BAOSONG, ["check", "--now", "2026-11-26T09:00:00+08:00"], cwd=str(reg), env=terminal_env,
                          encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "\x1b[32m" in child.before and "检查通过" in child.before


def test_final_report_is_judged_like_the_register(reg: Path, tmp_path: Path) -> None:
    """`new` and the register share one series rule (`deadlines.series_deadlines`): a final report
    discharges the follow-up duty pending when it arrives, so a final after that duty expired is late."""
    assert bs("new", *FIRST, cwd=reg, home=tmp_path).returncode == 0
    first_id = "gaj-20261125-wanghao-01"
    git(reg, "add", "reports")
    git(reg, "commit", "-q", "-m", "first report")  # arrival 14:30: follow-up 1 due 15:30
    final = ["new", "--kind", "emergency", "--stage", "final", "--incident", first_id, "--set", "description=处置完毕",
             "--set", "cause=疲劳驾驶", "--now", "2026-11-25T20:00:00+08:00", "--yes"]
    result = bs(*final, cwd=reg, home=tmp_path)
    assert result.returncode == 2 and "--set delay_reason=" in result.stderr
    assert "已超过报送时限 4小时30分钟" in result.stdout and "followup.first_within_minutes" in result.stdout
    result = bs(*final, "--set", "delay_reason=现场处置任务重，续报未及时报送，已批评教育", cwd=reg, home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "截止 2026-11-25 15:30" in result.stdout and "已超时 4小时30分钟" in result.stdout
