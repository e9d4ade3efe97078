"""`baosong check` as an information officer uses it: write a file, run the command, read the message."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from baosong.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "tests" / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*/reports/*/*/*.yaml"))
EXPECT_RE = re.compile(rb"^# expect: (\S+) line (\d+)")
LINE_RE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>错误|警告) \[(?P<rule>[a-z0-9-]+)\] ")


def baosong(*args: str, cwd: Path = REPO, check: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "baosong", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=check)


@pytest.fixture()
def registry(tmp_path: Path) -> Path:
    """A private copy of the bundled registry, so tests can add files freely; a git repository, as
    real registries are (the check cache lives in its git directory)."""
    root = tmp_path / "registry"
    for name in ("schema", "config", "reports"):
        shutil.copytree(REPO / name, root / name)
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    return root


FIRST_REPORT = REPO / "reports/2026/gaj/gaj-20260314-wanghao-01.yaml"


def write_report(registry: Path, rel: str, text: str | bytes) -> Path:
    path = registry / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def new_first_report(**changes: str) -> str:
    text = FIRST_REPORT.read_text(encoding="utf-8").replace("gaj-20260314-wanghao-01", "gaj-20260314-wanghao-07")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_bundled_registry_is_valid() -> None:
    result = baosong("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 个错误" in result.stdout


def test_valid_examples_pass_as_a_registry_of_their_own(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    for name in ("schema", "config"):
        shutil.copytree(REPO / name, root / name)
    shutil.copytree(EXAMPLES / "valid" / "reports", root / "reports")
    files = sorted((root / "reports").rglob("*.yaml"))
    assert len(files) >= 8
    result = baosong("check", "--no-cache", cwd=root)
    assert result.returncode == 0, result.stdout
    assert f"共检查 {len(files)} 个文件" in result.stdout


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.parts[len(EXAMPLES.parts) + 1])
def test_every_invalid_example_names_its_rule_file_and_line(path: Path, capsys, monkeypatch) -> None:
    # Each example is checked alone (in-process, through the real CLI entry point) against the
    # bundled registry, so examples about numbering do not interfere with each other.
    monkeypatch.chdir(REPO)
    rel = str(path.relative_to(REPO))
    m = EXPECT_RE.match(path.read_bytes())
    assert m, f"{rel} lacks its '# expect:' header"
    rule, line = m.group(1).decode(), int(m.group(2))
    assert rule == path.parts[len(EXAMPLES.parts) + 1], "the directory names the rule"
    assert main(["check", "--no-cache", "--format", "json", rel]) == 1
    found = [(p["rule"], p["line"]) for p in json.loads(capsys.readouterr().out) if p["path"] == rel]
    assert (rule, line) in found, f"{rel}: expected [{rule}] at line {line}, got {found}"


def test_invalid_examples_cover_many_rules() -> None:
    assert len({p.parts[len(EXAMPLES.parts) + 1] for p in INVALID}) >= 25


def test_text_output_format_and_summary(registry: Path) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report(**{"grade: III": "grade: IV", "deaths: 4": "deaths: 四"}))
    result = baosong("check", rel, cwd=registry)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    m = LINE_RE.match(lines[0])
    assert m and m["path"] == rel and m["rule"] == "schema-type" and m["sev"] == "错误"
    assert "casualties.deaths" in lines[0] and "整数" in lines[0]
    assert lines[-1].startswith("共检查 1 个文件：1 个错误")


def test_json_keys(registry: Path) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report(**{"category: traffic": "category: road"}))
    result = baosong("check", "--format", "json", rel, cwd=registry)
    problems = json.loads(result.stdout)
    assert result.returncode == 1
    assert set(problems[0]) == {"path", "line", "column", "field", "rule", "severity", "message"}
    assert problems[0]["field"] == "category" and problems[0]["rule"] == "schema-enum"
    assert problems[0]["line"] == 11


def test_usage_error_exits_2() -> None:
    result = baosong("check", "--format", "xml")
    assert result.returncode == 2
    assert "用法错误" in result.stderr


def test_not_a_registry_exits_2(tmp_path: Path) -> None:
    result = baosong("check", "--repo", str(tmp_path))
    assert result.returncode == 2
    assert "不是登记库" in result.stderr


def test_all_files_are_checked_not_only_the_first(registry: Path) -> None:
    for n in ("07", "08", "09"):
        rel = f"reports/2026/gaj/gaj-20260314-wanghao-{n}.yaml"
        write_report(registry, rel, new_first_report(**{"kind: emergency": "kind: emergency\nfoo: 1"}).replace(
            "gaj-20260314-wanghao-07", f"gaj-20260314-wanghao-{n}"))
    result = baosong("check", "--format", "json", cwd=registry)
    paths = {p["path"] for p in json.loads(result.stdout)}
    assert len(paths) == 3


HOSTILE: dict[str, bytes] = {
    "gbk": new_first_report().encode("gbk"),
    "utf16": new_first_report().encode("utf-16"),
    "binary": bytes(range(256)) * 20,
    "huge": b"a: " + b"x" * (2 * 1024 * 1024) + b"\n",
    "deep": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "bomb": b"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
    "python-tag": b"a: !!python/object/apply:os.system ['echo pwned']\n",
    "empty": b"",
    "list": b"- a\n- b\n",
    "nul": b"id: a\x00b\n",
    "crlf-bom-valid": b"\xef\xbb\xbf" + new_first_report().replace("\n", "\r\n").encode("utf-8"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_get_a_located_problem_never_a_traceback(registry: Path, name: str) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, HOSTILE[name])
    result = baosong("check", "--format", "json", rel, cwd=registry)
    assert "Traceback" not in result.stderr
    problems = json.loads(result.stdout)
    if name == "crlf-bom-valid":
        assert result.returncode == 0, problems
        return
    assert result.returncode == 1
    assert problems and all(p["path"] == rel and p["line"] >= 1 and p["message"] for p in problems)
    assert all(re.search(r"[\u4e00-\u9fff]", p["message"]) for p in problems), "messages are in Chinese"


def test_gbk_file_gets_a_resave_hint(registry: Path) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, HOSTILE["gbk"])
    result = baosong("check", rel, cwd=registry)
    assert "[yaml-encoding]" in result.stdout and "UTF-8" in result.stdout and "另存为" in result.stdout


def test_yaml_11_surprises_do_not_change_values(registry: Path) -> None:
    # `no` must stay text: as a boolean it would be a schema type error, not a wrong-enum message.
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report(**{"grade: III": "grade: no"}))
    problems = json.loads(baosong("check", "--format", "json", rel, cwd=registry).stdout)
    assert [(p["rule"], p["field"]) for p in problems] == [("schema-enum", "grade")]
    assert "“no”" in problems[0]["message"]


def test_scalars_are_typed_as_the_editor_types_them_yaml_12_core(registry: Path) -> None:
    # The editor (YAML 1.2) reads these as a boolean and numbers and accepts them; so must CI.
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report(**{
        "  deaths: 4\n": "  deaths: 04\n", "grade: III\n": "grade: III\neconomic_loss: 1e3\nsensitive: False\n"}))
    result = baosong("check", rel, cwd=registry)
    assert result.returncode == 0, result.stdout
    # ... and a string field given a number is refused by both.
    write_report(registry, rel, new_first_report(**{"unit: gaj": "unit: 012"}))
    problems = json.loads(baosong("check", "--format", "json", rel, cwd=registry).stdout)
    assert ("schema-type", "unit") in {(p["rule"], p["field"]) for p in problems}


def test_cache_reuses_results_and_notices_changes(registry: Path) -> None:
    first = baosong("check", "--format", "json", cwd=registry)
    assert first.returncode == 0
    assert (registry / ".git" / "baosong-cache" / "check.json").is_file()
    assert not (registry / ".baosong-cache").exists()  # nothing in the work tree
    rel = "reports/2026/gaj/gaj-20260314-wanghao-02.yaml"
    path = registry / rel
    path.write_text(path.read_text(encoding="utf-8").replace("sequence: 1", "sequence: 一"), encoding="utf-8")
    second = baosong("check", "--format", "json", cwd=registry)
    assert second.returncode == 1
    problems = json.loads(second.stdout)
    assert (problems[0]["path"], problems[0]["rule"]) == (rel, "schema-type")
    # The only other consequence: the next follow-up now lacks its predecessor.
    assert {p["rule"] for p in problems[1:]} <= {"sequence-gap"}


def test_changed_policy_invalidates_cache(registry: Path) -> None:
    assert baosong("check", cwd=registry).returncode == 0
    policy = registry / "config/policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(re.sub(r"dynamic: \d+", "dynamic: 10", text), encoding="utf-8")
    result = baosong("check", "--format", "json", cwd=registry)
    assert "info-length" in {p["rule"] for p in json.loads(result.stdout)}


def test_broken_config_is_reported_with_location(registry: Path) -> None:
    units = registry / "config/units.yaml"
    units.write_text(units.read_text(encoding="utf-8") + "\nunits: []\n", encoding="utf-8")
    result = baosong("check", "--format", "json", cwd=registry)
    problems = json.loads(result.stdout)
    assert result.returncode == 1
    assert problems[0]["path"] == "config/units.yaml" and problems[0]["rule"] == "yaml-duplicate-key"


# ---- reasons, time offsets, another unit's incident ----------------------------------------------

NOW = "2026-11-30T12:00:00+08:00"


def check_in_process(root: Path, monkeypatch, capsys, *paths: str) -> tuple[int, list[dict]]:
    monkeypatch.chdir(root)
    code = main(["check", "--no-cache", "--now", NOW, "--format", "json", *paths])
    return code, json.loads(capsys.readouterr().out)


def line_of(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(prefix))


EMPTY_REASONS = {
    "hangul-filler": "\u3164" * 4, "halfwidth-hangul-filler": "\uffa0" * 4, "jamo-fillers": "\u115f\u1160" * 2,
    "braille-blank": "\u2800" * 4, "grapheme-joiner": "\u034f" * 4, "variation-selectors": "\ufe0f" * 4,
    "ideographic-full-stops": "。。。。", "punctuation-digits-spaces": "1、2。3！ 4……",
    "too-short": "网络中断", "short-padded-with-fillers": "网络中断\u3164\u3164\u2800\u2800\u034f",
}


@pytest.mark.parametrize("reason", EMPTY_REASONS.values(), ids=EMPTY_REASONS.keys())
def test_delay_reason_must_be_written_text(registry: Path, monkeypatch, capsys, reason: str) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    text = new_first_report() + f"delay_reason: {json.dumps(reason)}\n"
    write_report(registry, rel, text)
    code, problems = check_in_process(registry, monkeypatch, capsys, rel)
    assert code == 1
    assert [(p["rule"], p["field"], p["line"]) for p in problems] == [
        ("reason-text", "delay_reason", line_of(text, "delay_reason:"))]
    assert "至少 8 个汉字或字母" in problems[0]["message"]


@pytest.mark.parametrize("reason", ["值班人员交接延误", "通信中断，未能及时报送。", "ＡＢＣＤ网络中断", "Network down for 2 hours"])
def test_a_written_delay_reason_passes(registry: Path, monkeypatch, capsys, reason: str) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report() + f"delay_reason: {json.dumps(reason, ensure_ascii=False)}\n")
    assert check_in_process(registry, monkeypatch, capsys, rel) == (0, [])


def test_reason_minimum_comes_from_the_policy(registry: Path, monkeypatch, capsys) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    write_report(registry, rel, new_first_report() + 'delay_reason: "值班人员交接延误"\n')
    policy = registry / "config/policy.yaml"
    text = policy.read_text(encoding="utf-8")
    assert "  min_chars: 8\n" in text
    policy.write_text(text.replace("  min_chars: 8\n", "  min_chars: 20\n"), encoding="utf-8")
    code, problems = check_in_process(registry, monkeypatch, capsys, rel)
    assert code == 1 and problems[0]["rule"] == "reason-text" and "至少 20 个" in problems[0]["message"]
    # Without the entry the documented default (8) applies.
    policy.write_text(text.replace("reasons:\n  min_chars: 8\n", ""), encoding="utf-8")
    assert check_in_process(registry, monkeypatch, capsys, rel) == (0, [])


def test_written_chars_ignores_fillers_and_default_ignorables() -> None:
    from baosong.rules import is_real_reason, written_chars
    assert written_chars("\u3164\u115f\u1160\uffa0\u2800\u034f\u00ad\u200b\ufeff\U000e0100。，！ 123") == 0
    assert written_chars("ａｂ漢字\u3164") == 4  # full-width letters count after NFKC
    assert not is_real_reason("\u3164" * 40, {}) and is_real_reason("值班人员交接延误", {})
    assert is_real_reason("迟报", {"reasons": {"min_chars": 2}}) and not is_real_reason(None, {})


# created_at, occurred_at, discovered_at, phoned_at of FIRST_REPORT, each written at -12:00 instead.
ODD_OFFSET_TIMES = {
    "created_at": ('"2026-03-14T09:20:00+08:00"', '"2026-03-13T13:20:00-12:00"', "09:20"),
    "occurred_at": ('"2026-03-14T07:42:00+08:00"', '"2026-03-13T11:42:00-12:00"', "07:42"),
    "discovered_at": ('"2026-03-14T07:51:00+08:00"', '"2026-03-13T11:51:00-12:00"', "07:51"),
    "phoned_at": ('"2026-03-14T08:30:00+08:00"', '"2026-03-13T12:30:00-12:00"', "08:30"),
}


@pytest.mark.parametrize("fieldname", ODD_OFFSET_TIMES)
def test_time_at_an_odd_offset_is_refused_with_the_local_time(registry: Path, monkeypatch, capsys,
                                                               fieldname: str) -> None:
    local, odd, clock = ODD_OFFSET_TIMES[fieldname]
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    text = new_first_report(**{f"{fieldname}: {local}": f"{fieldname}: {odd}"})
    write_report(registry, rel, text)
    code, problems = check_in_process(registry, monkeypatch, capsys, rel)
    assert code == 1
    assert [(p["rule"], p["field"], p["line"]) for p in problems] == [
        ("time-offset", fieldname, line_of(text, f"{fieldname}:"))]
    assert f"{odd.strip(chr(34))} 即北京时间 2026-03-14 {clock}，请写成 2026-03-14T{clock}:00+08:00" \
        in problems[0]["message"]


def test_offset_message_converts_to_the_policy_timezone() -> None:
    from baosong.rules import offset_problem
    from baosong.timeutil import parse_datetime
    value = "2026-11-20T09:00:00-12:00"
    message = offset_problem(value, parse_datetime(value), {"timezone": "+08:00"})
    assert message and "2026-11-20T09:00:00-12:00 即北京时间 2026-11-21 05:00，请写成 2026-11-21T05:00:00+08:00" in message
    message = offset_problem(value, parse_datetime(value), {"timezone": "+05:30"})
    assert message and "本地时间（UTC+05:30） 2026-11-21 02:30，请写成 2026-11-21T02:30:00+05:30" in message


def test_utc_and_listed_offsets_pass(registry: Path, monkeypatch, capsys) -> None:
    rel = "reports/2026/gaj/gaj-20260314-wanghao-07.yaml"
    # Machines write UTC; created_at's local date (03-14) is the id's date even though the UTC date is 03-13.
    utc = new_first_report(**{'"2026-03-14T09:20:00+08:00"': '"2026-03-13T23:50:00Z"',
                              '"2026-03-14T07:42:00+08:00"': '"2026-03-13T23:42:00+00:00"'})
    write_report(registry, rel, utc)
    assert check_in_process(registry, monkeypatch, capsys, rel) == (0, [])
    tokyo = new_first_report(**{'"2026-03-14T08:30:00+08:00"': '"2026-03-14T09:30:00+09:00"'})
    write_report(registry, rel, tokyo)
    code, problems = check_in_process(registry, monkeypatch, capsys, rel)
    assert code == 1 and [p["rule"] for p in problems] == ["time-offset"]
    policy = registry / "config/policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("allowed_offsets: []", 'allowed_offsets: ["+09:00"]'), encoding="utf-8")
    assert check_in_process(registry, monkeypatch, capsys, rel) == (0, [])


def test_offset_rule_covers_every_time_field_of_the_schema() -> None:
    from baosong.rules import TIME_FIELDS
    schema = json.loads((REPO / "schema/report.schema.json").read_text(encoding="utf-8"))
    times = {name for name, prop in schema["properties"].items() if prop.get("format") == "date-time"}
    assert times and set(TIME_FIELDS) == times


STAFF_OF = {"blx": ("xiaoyu", "pengliang"), "gaj": ("wanghao", "liuzhenhua"), "jtj": ("pangbo", "jinpeng")}


def emergency_text(unit: str, day: str, stage: str, **extra: object) -> tuple[str, str]:
    author, head = STAFF_OF[unit]
    rid = f"{unit}-{day}-{author}-01"
    doc = {"id": rid, "kind": "emergency", "unit": unit, "title": "北岭县某镇发生山体滑坡",
           "created_at": f"{day[:4]}-{day[4:6]}-{day[6:]}T10:00:00+08:00", "author": author, "signer": head,
           "stage": stage, **extra}
    if stage == "first":
        doc.update({"category": "natural_disaster", "occurred_at": f"{day[:4]}-{day[4:6]}-{day[6:]}T08:00:00+08:00",
                    "place": "北岭县某镇", "description": "山体滑坡阻断道路。", "casualties": {"deaths": 0},
                    "grade": "IV", "trend": "暂无进一步滑坡迹象。", "measures": "已封闭道路，组织排查。"})
    else:
        doc["description"] = "最新处置情况。"
    import yaml
    return f"reports/{day[:4]}/{unit}/{rid}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_only_the_incidents_own_and_involved_units_report_on_it(registry: Path, monkeypatch, capsys) -> None:
    first_path, first = emergency_text("blx", "20261101", "first", involved_units=["jtj"])
    incident = first_path.rsplit("/", 1)[1][:-5]
    files = dict([
        (first_path, first),
        # gaj is neither the incident's unit nor involved: its final would close blx's incident.
        emergency_text("gaj", "20261102", "final", incident=incident),
        # blx's own follow-up after that final, and one by the involved unit jtj.
        emergency_text("blx", "20261103", "followup", incident=incident, sequence=1),
        emergency_text("jtj", "20261104", "followup", incident=incident, sequence=2),
    ])
    for rel, text in files.items():
        write_report(registry, rel, text)
    jtj_final, text = emergency_text("jtj", "20261105", "final", incident=incident)
    write_report(registry, jtj_final.replace("-01.yaml", "-02.yaml"), text.replace("pangbo-01", "pangbo-02"))
    code, problems = check_in_process(registry, monkeypatch, capsys)
    gaj_final = "reports/2026/gaj/gaj-20261102-wanghao-01.yaml"
    assert code == 1
    assert sorted((p["path"], p["rule"], p["field"]) for p in problems) == [
        (gaj_final, "incident-unit", "incident"),
        ("reports/2026/jtj/jtj-20261105-pangbo-02.yaml", "incident-unit", "incident")]
    gaj = next(p for p in problems if p["path"] == gaj_final)
    assert gaj["line"] == line_of(files[gaj_final], "incident:")
    assert incident in gaj["message"] and "“blx”（北岭县" in gaj["message"] and "终报只能由该单位报送" in gaj["message"]


def test_config_files_named_on_the_command_line_are_checked_against_their_own_schemas(registry: Path) -> None:
    # Judged as reports they failed with "缺少必填字段 id" and "不认识的字段 city".
    result = baosong("check", "config/units.yaml", "config/policy.yaml", cwd=registry)
    assert result.returncode == 0, result.stdout
    assert "共检查 2 个文件：0 个错误" in result.stdout
    policy = registry / "config/policy.yaml"
    policy.write_text(re.sub(r"dynamic: \d+", "dynamic: 很多", policy.read_text(encoding="utf-8")), encoding="utf-8")
    problems = json.loads(baosong("check", "--format", "json", "./config/policy.yaml", cwd=registry).stdout)
    assert problems and {p["path"] for p in problems} == {"config/policy.yaml"}
    assert {p["rule"] for p in problems} == {"schema-type"} and "id" not in {p["field"] for p in problems}
