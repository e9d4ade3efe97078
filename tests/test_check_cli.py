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
