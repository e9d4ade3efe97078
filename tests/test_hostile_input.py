"""Hostile paths and names: file mode never follows a link or leaves the registry; nothing printed
carries a raw control, bidi or invisible character; paths ending in a newline are refused, not a crash.

Real git repositories with real SSH-signed commits (tests/trust_helpers.py), real `baosong`
subprocesses, real symbolic links on the file system.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import trust_helpers as th
from baosong.problems import json_safe, snippet, terminal_safe

NOW = "2026-11-25T11:00:00+08:00"
DAY = "2026-11-25T10:40:00+08:00"
SECRET = "root:$6$S3CR3TSALT$h4shh4shh4sh:19000:0:99999:7:::"
# Bytes no terminal or log may receive raw: C0 except LF (and CR/TAB, which we never print either),
# DEL, C1 as UTF-8 (C2 80..C2 9F), and the bidi/invisible controls as UTF-8.
RAW_CONTROL = re.compile(
    rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xd8\x9c|\xef\xbb\xbf"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return th.World(tmp_path_factory.mktemp("world"))


def raw(reg: th.Registry, *args: str):
    """`baosong` with undecoded output, so a raw control byte cannot hide in a decoding step."""
    return th.run([th.BAOSONG, *args], cwd=reg.root, env=reg.world.env, check=False)


def assert_clean(proc) -> None:
    for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        hit = RAW_CONTROL.search(stream)
        assert hit is None, f"raw control byte {hit.group()!r} in {name}: {stream[:2000]!r}"
    assert b"Traceback" not in proc.stderr and b"\xe5\x86\x85\xe9\x83\xa8\xe9\x94\x99\xe8\xaf\xaf" not in proc.stderr  # 内部错误


# --- the helpers themselves ------------------------------------------------------------------------


def test_terminal_safe_escapes_every_interpreted_character():
    text = "a\x1b[31mb\nc\rd\te\x07f\x7fg\x9bh\u202ei\u2066j\u200bk\ufeffl\u2028m\udcffn\U000e0041o"
    out = terminal_safe(text)
    assert out == ("a\\x1b[31mb\\nc\\rd\\te\\x07f\\x7fg\\x9bh\\u202ei\\u2066j\\u200bk\\ufeffl\\u2028m\\xffn"
                   "\\U000e0041o")
    assert terminal_safe("江州市 reports/2026/gaj/a.yaml（正常）") == "江州市 reports/2026/gaj/a.yaml（正常）"


def test_snippet_is_bounded_and_escaped():
    assert snippet("x" * 100) == "x" * 39 + "…"
    assert "\x1b" not in snippet("\x1b" * 100) and len(snippet("\x1b" * 100)) == 40


def test_json_safe_keeps_the_same_json_value():
    value = {"path\u202e": ["\x1b[2J", "\x9b", "\udc80", "\U000e0041", "正常"]}
    text = json.dumps(value, ensure_ascii=False, indent=2)
    safe = json_safe(text)
    assert RAW_CONTROL.search(safe.encode("utf-8", "surrogatepass").replace(b"\n", b"")) is None
    assert json.loads(safe) == json.loads(text)


# --- file mode: links and paths outside the registry --------------------------------------------


@pytest.fixture()
def reg(world, tmp_path) -> th.Registry:
    return world.registry(tmp_path / "r")


@pytest.fixture()
def secret_file(tmp_path) -> Path:
    """A file outside the registry whose first line must never be shown (a stand-in for /etc/shadow)."""
    f = tmp_path / "outside" / "shadow"
    f.parent.mkdir()
    f.write_text(SECRET + "\ndaemon:*:19000:0:99999:7:::\n")
    return f


def assert_refused(proc, rule: str, path: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert b"S3CR3T" not in proc.stdout + proc.stderr
    text = proc.stdout.decode()
    assert f"{path}:1:1: 错误 [{rule}]" in text, text
    assert_clean(proc)


def test_file_mode_refuses_a_report_that_is_a_symlink_and_never_shows_its_target(reg, secret_file):
    link = reg.root / "reports/2026/gaj/gaj-20261125-wanghao-01.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret_file)
    proc = raw(reg, "check", "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert_refused(proc, "report-symlink", "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert "符号链接" in proc.stdout.decode()
    # The whole-registry check (the pre-commit hook's) refuses it too, instead of following it.
    proc = raw(reg, "check", "--no-cache")
    assert_refused(proc, "report-symlink", "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")


def test_file_mode_refuses_a_symlinked_directory_on_the_way(reg, secret_file):
    (reg.root / "reports/2026").mkdir(parents=True)
    (reg.root / "reports/2026/gaj").symlink_to(secret_file.parent)
    shutil.copy(secret_file, secret_file.parent / "gaj-20261125-wanghao-01.yaml")
    proc = raw(reg, "check", "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert_refused(proc, "report-symlink", "reports/2026/gaj/gaj-20261125-wanghao-01.yaml")
    assert "reports/2026/gaj" in proc.stdout.decode()
    proc = raw(reg, "check", "--no-cache")
    assert_refused(proc, "report-symlink", "reports/2026/gaj")


def test_file_mode_refuses_paths_outside_the_registry(reg, secret_file):
    copy = secret_file.parent / "x.yaml"
    shutil.copy(secret_file, copy)
    relative = os.path.relpath(copy, reg.root)
    proc = raw(reg, "check", str(copy), relative)
    assert proc.returncode == 1
    text = proc.stdout.decode()
    for shown in (str(copy), relative):
        assert f"{shown}:1:1: 错误 [path-outside-repo]" in text
    assert "登记库" in text and "--repo" in text
    assert b"S3CR3T" not in proc.stdout + proc.stderr
    assert_clean(proc)


def test_a_symlinked_trust_root_is_refused_not_read(reg, secret_file):
    units = reg.root / "config/units.yaml"
    units.unlink()
    units.symlink_to(secret_file)
    proc = raw(reg, "check")
    assert proc.returncode == 1
    assert "config/units.yaml:1:1: 错误 [config-symlink]" in proc.stdout.decode()
    assert b"S3CR3T" not in proc.stdout + proc.stderr


def test_echoed_keys_and_values_are_bounded_and_escaped(reg):
    # A stray long line read as a key, and a value with YAML escapes for ESC and a C1 CSI.
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    long_key = "k" * 30 + "SECRETTAIL" * 10
    text = text.replace('kind: "emergency"', 'kind: "\\e[2J\\e[31memergency\\x9b"') + f"{long_key}: 1\n"
    reg.write(path, text)
    proc = raw(reg, "check", path)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "[schema-unknown-field]" in out and "SECRETTAIL" * 2 not in out
    assert "\\x1b[2J" in out and "\\x9b" in out, out
    assert_clean(proc)
    proc = raw(reg, "check", path, "--format", "json")
    assert_clean(proc)
    problems = json.loads(proc.stdout)
    assert any("\x1b[2J" in p["message"] for p in problems)  # JSON keeps the value, escaped by the encoder


# --- hostile names: pull-request mode and file mode -----------------------------------------------

HOSTILE = {
    "newline": "gaj-20261125-wanghao-01.yaml\n",
    "escape": "gaj-20261125-wanghao-01\x1b[31mRED\x1b[0m.yaml",
    "bidi": "gaj-20261125-wanghao-01\u202elmay.yaml",
    "c1": "gaj-20261125-wanghao-01\x9b2J.yaml",
    "cr": "gaj-20261125-wanghao-01\r.yaml",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_pull_request_with_a_hostile_file_name_is_refused_cleanly(world, tmp_path, case):
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    _, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    name = f"reports/2026/gaj/{HOSTILE[case]}"
    reg.write(name, text)
    reg.commit("pr", signer="wanghao", date=DAY)
    proc = raw(reg, "check", "--base", "main", "--now", NOW)
    assert proc.returncode == 1, (proc.stdout + proc.stderr).decode()
    assert_clean(proc)
    out = proc.stdout.decode()
    shown = terminal_safe(name)
    assert re.search(rf"^{re.escape(shown)}:1:1: 错误 \[(path-layout|id-filename)\]", out, re.M), out
    proc = raw(reg, "check", "--base", "main", "--now", NOW, "--format", "json")
    assert proc.returncode == 1
    assert_clean(proc)
    problems = json.loads(proc.stdout)
    assert name in {p["path"] for p in problems}


def test_pull_request_with_an_undecodable_file_name_is_refused_cleanly(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    reg.branch("pr")
    _, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    target = os.fsencode(reg.root / "reports/2026/gaj") + b"/gaj-20261125-wanghao-01\xff\x1b.yaml"
    os.makedirs(os.path.dirname(target))
    with open(target, "wb") as fh:
        fh.write(text.encode())
    reg.commit("pr", signer="wanghao", date=DAY)
    for fmt in ("text", "json"):
        proc = raw(reg, "check", "--base", "main", "--now", NOW, "--format", fmt)
        assert proc.returncode == 1, (proc.stdout + proc.stderr).decode()
        assert_clean(proc)
    assert b"gaj-20261125-wanghao-01\\xff\\x1b.yaml:1:1:" in raw(reg, "check", "--base", "main", "--now", NOW).stdout


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_file_mode_with_a_hostile_file_name_is_refused_cleanly(reg, case):
    _, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    name = f"reports/2026/gaj/{HOSTILE[case]}"
    reg.write(name, text)
    for args in ((name,), ()):
        proc = raw(reg, "check", "--no-cache", *args)
        assert proc.returncode == 1, (proc.stdout + proc.stderr).decode()
        assert_clean(proc)
        assert f"{terminal_safe(name)}:1:1: 错误 [" in proc.stdout.decode()


def test_registry_table_and_json_escape_hostile_names(world, tmp_path):
    reg = world.registry(tmp_path / "r")
    _, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    for name in ("gaj-x\x1b[31m\u202e.yaml", "gaj-y\x9b.yaml"):
        reg.write(f"reports/2026/gaj/{name}", text.replace("两车相撞", "两车\x1b相撞"))
    reg.commit("hostile names on main", signer="wanghao", date=DAY)
    table = raw(reg, "registry", "--now", NOW)
    assert table.returncode == 0, table.stderr.decode()
    assert_clean(table)
    assert "\\x1b[31m\\u202e" in table.stdout.decode()
    js = raw(reg, "registry", "--now", NOW, "--format", "json")
    assert js.returncode == 0
    assert_clean(js)
    paths = {r["path"] for r in json.loads(js.stdout)["invalid"]}
    assert "reports/2026/gaj/gaj-x\x1b[31m\u202e.yaml" in paths


def test_schema_messages_quoting_a_value_are_bounded():
    # Python's `$` accepts a final newline, the Rust engine does not: the fallback message quotes the
    # engine's text, which contains the whole value.
    from baosong.schemas import Schema

    schema = Schema({"type": "object", "properties": {"url": {"type": "string", "pattern": "^[a-z:/.]+$"}}}, "t")
    errors = schema.errors({"url": "http://" + "secret" * 100 + "\n"})
    assert errors and errors[0].rule == "schema-invalid"
    assert len(errors[0].message) < 200 and "secret" * 30 not in errors[0].message
