"""The strict loader, case by case: what an officer (or an attacker) puts in a file, and what comes back."""

from __future__ import annotations

import random
import time

import pytest
import yaml
from baosong import yamlload
from baosong.yamlload import Limits, Loaded, load_yaml

REPORT = """\
# yaml-language-server: $schema=../../../schema/report.schema.json
id: ajj-20261125-zhangwei-01
kind: emergency
stage: first
unit: ajj
title: 江州市东城区化工园区一企业发生爆炸事故
created_at: 2026-11-25T10:20:00+08:00
author: zhangwei
reviewer: liuqiang
signer: chenming
category: accident
occurred_at: 2026-11-25T08:40:00+08:00
discovered_at: 2026-11-25T08:52:00+08:00
place: 江州市东城区化工园区纬三路18号江州宏达精细化工有限公司二号车间
grade: III
sensitive: no
casualties:
  deaths: 3
  serious_injuries: 7
  injuries: 12
  missing: 1
economic_loss: 1250.5
description: |
  　　2026年11月25日8时40分许，位于东城区化工园区纬三路18号的江州宏达精细化工有限公司二号车间
  发生爆炸并引发火灾。事故发生时车间内共有作业人员26人，其中3人经抢救无效死亡，7人重伤，
  12人轻伤，1人下落不明。爆炸造成二号车间主体结构严重损毁，相邻三号车间部分门窗玻璃破碎。
  　　事故发生后，园区管委会第一时间启动应急预案，组织企业员工疏散，设置警戒区域。市消防救援
  支队调派6个消防站、23辆消防车、110名指战员赶赴现场处置，于10时05分将明火扑灭。
  　　生态环境部门已在事故现场下风向设置4个大气监测点位和2个水质监测点位，初步监测结果显示，
  特征污染物浓度未超过相关标准限值，消防废水已全部收集至应急事故池，未发现外排情况。
trend: |
  　　目前明火已扑灭，现场无复燃迹象，搜救工作仍在进行中。事故原因正在调查。
  根据现场情况，死亡人数可能上升。周边群众情绪总体稳定，网上已出现相关视频和帖子。
measures: >
  一是全力搜救失踪人员；二是全力救治伤员，实行“一人一方案”；三是加强环境监测，
  防止次生环境事件；四是做好善后处置；五是在全市开展危险化学品企业安全生产大检查。
cause: 初步判断为反应釜温度失控导致物料分解爆炸，具体原因待事故调查组调查认定。
involved_units:
  - dcq
  - xfj
  - sthj
contacts:
  - name: 张伟
    phone: "0571-87654321"
    role: 信息员
  - name: 刘强
    phone: '0571-87654322'
    role: 分管领导
notes:
  - 已电话报告市委总值班室、市政府总值班室（9时05分）。
  - 将于12时前报送续报。
"""


def load(text: str | bytes, limits: Limits = yamlload.DEFAULT_LIMITS) -> Loaded:
    return load_yaml(text.encode("utf-8") if isinstance(text, str) else text, "reports/x.yaml", limits)


def only(loaded: Loaded, rule: str):
    """The single problem with `rule`; the file must have been refused because of it."""
    hits = [p for p in loaded.problems if p.rule == rule]
    assert hits, f"expected {rule}, got {[(p.rule, p.line, p.message) for p in loaded.problems]}"
    assert loaded.data is None
    return hits[0]


# --- the happy path -----------------------------------------------------------------------------


def test_realistic_report_loads_like_safe_load_but_without_surprises():
    loaded = load(REPORT)
    assert loaded.problems == []
    d = loaded.data
    assert d["sensitive"] == "no"  # YAML 1.1 would say False
    assert d["created_at"] == "2026-11-25T10:20:00+08:00"  # not a datetime
    assert d["casualties"] == {"deaths": 3, "serious_injuries": 7, "injuries": 12, "missing": 1}
    assert d["economic_loss"] == 1250.5
    assert d["description"].startswith("\u3000\u30002026年")  # 段首全角空格 inside a block is content
    assert d["contacts"][1]["phone"] == "0571-87654322"
    assert loaded.positions[("title",)] == (6, 1)
    assert loaded.positions[("casualties", "deaths")] == (18, 3)
    assert loaded.positions[("involved_units", 2)] == (41, 5)
    assert loaded.positions[("contacts", 1, "role")] == (48, 5)


def test_bom_and_crlf_keep_lines_and_columns():
    raw = ("\ufeff" + REPORT).replace("\n", "\r\n").encode("utf-8")
    loaded = load(raw)
    assert loaded.problems == []
    assert loaded.data == load(REPORT).data  # YAML normalises line breaks inside values to LF
    assert loaded.positions[("id",)] == (2, 1)
    assert loaded.positions[("casualties", "deaths")] == (18, 3)
    assert loaded.positions[("contacts", 1, "role")] == (48, 5)


def test_bom_crlf_syntax_error_is_located_on_the_right_line_and_column():
    raw = "\ufeffid: x\r\ntitle: 江州: 爆炸\r\n".encode("utf-8")
    p = only(load(raw), "yaml-syntax")
    assert (p.line, p.column) == (2, 10)


def test_chinese_text_counts_characters_not_bytes():
    # "title: " is 7 characters, "江州市化工厂爆炸" 8 more: the stray colon is column 16.
    p = only(load("id: a\ntitle: 江州市化工厂爆炸: 3人死亡\n"), "yaml-syntax")
    assert (p.line, p.column) == (2, 16)
    assert "英文双引号" in p.message
    assert "(" not in p.message.split("（libyaml：")[0]  # Chinese first, English in the parentheses
    assert "mapping values are not allowed" in p.message
    loaded = load("标题: 江州市\n单位: 东城区\n伤亡:\n  死亡: 3\n")
    assert loaded.positions[("伤亡", "死亡")] == (4, 3)


def test_position_falls_back_to_the_nearest_ancestor():
    loaded = load(REPORT)
    assert loaded.position(("casualties", "nonexistent", 3)) == (17, 1)
    assert loaded.position(["contacts", 0, "name"]) == (43, 5)
    assert loaded.position(("nope",)) == loaded.positions[()]
    assert Loaded(None, {}, []).position(("a",)) == (1, 1)


def test_position_answers_every_kind_of_path_as_the_known_ones_do():
    loaded = load(REPORT)
    for path, at in loaded.positions.items():  # the one-look-up path for tuples, the walk for lists
        assert loaded.position(path) == loaded.position(list(path)) == at
    assert loaded.position(("casualties", ["unhashable"])) == (1, 1)
    assert loaded.position(["casualties", ["unhashable"]]) == (1, 1)
    assert loaded.position(()) == loaded.positions[()]


# --- encoding ------------------------------------------------------------------------------------


def test_gbk_file_gets_a_resave_hint_at_the_first_bad_byte():
    raw = "id: x\nkind: info\ntitle: 江州市安全生产\n".encode("gbk")
    p = only(load(raw), "yaml-encoding")
    assert (p.line, p.column) == (3, 8)
    assert "GBK" in p.message and "另存为" in p.message and "UTF-8" in p.message
    assert "江州市安全生产" in p.message  # shows what the line says when read as GBK


def test_gb18030_file_is_recognised():
    raw = "id: x\nauthor: 刘䶮\n".encode("gb18030")  # 䶮 is outside GBK
    p = only(load(raw), "yaml-encoding")
    assert (p.line, p.column) == (2, 9)
    assert "GB18030" in p.message and "记事本" in p.message


def test_gbk_fragment_pasted_into_a_utf8_file():
    raw = "title: 江州\nplace: ".encode() + "东城区".encode("gbk") + b"\n"
    p = only(load(raw), "yaml-encoding")
    assert (p.line, p.column) == (2, 8)
    assert "混有" in p.message and "重新输入" in p.message


def test_random_binary_is_not_called_gbk():
    p = only(load(b"id: x\n\xff\xff\xff\n"), "yaml-encoding")
    assert p.line == 2 and "GBK" in p.message and "不像" in p.message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_gets_its_own_hint(codec):
    p = only(load("id: x\ntitle: 江州\n".encode(codec)), "yaml-encoding")
    assert p.line == 1 and "UTF-16" in p.message and "另存为" in p.message


# --- characters ---------------------------------------------------------------------------------


def test_control_character_is_refused_with_code_point():
    p = only(load("id: x\ntitle: 江州\x07市\n"), "yaml-control-char")
    assert (p.line, p.column) == (2, 10)
    assert "U+0007" in p.message


def test_nul_and_escape_and_c1():
    assert only(load("a: \x00\n"), "yaml-control-char").column == 4
    assert "U+001B" in only(load("a: b\x1b[31m\n"), "yaml-control-char").message
    assert only(load("a: 1\nb: x\x85y\n"), "yaml-control-char").line == 2


def test_bidi_override_is_refused():
    # Displays as "signer: chenming" in some editors, is something else.
    p = only(load("id: x\nsigner: \u202egnimnehc\n"), "yaml-bidi")
    assert (p.line, p.column) == (2, 9)
    assert "U+202E" in p.message and "木马源" in p.message


@pytest.mark.parametrize("ch", ["\u2066", "\u2069", "\u200f"])
def test_bidi_isolates_and_marks(ch):
    assert only(load(f"a: 1\nb: x{ch}y\n"), "yaml-bidi").line == 2


def test_zero_width_space_in_a_key_is_refused():
    p = only(load("id: x\nsi\u200bgner: chenming\n"), "yaml-invisible-char")
    assert (p.line, p.column) == (2, 3)
    assert "U+200B" in p.message


@pytest.mark.parametrize("ch", ["\u200d", "\u2060", "\u2028", "\ufeff", "\U000e0041"])
def test_other_invisible_characters(ch):
    assert only(load(f"a: 1\nb: x{ch}y\n"), "yaml-invisible-char").line == 2


def test_fullwidth_space_indentation_is_refused():
    # libyaml would silently read this as casualties: null plus a top-level key "　　deaths".
    p = only(load("id: x\ncasualties:\n\u3000\u3000deaths: 3\n"), "yaml-fullwidth-indent")
    assert (p.line, p.column) == (3, 1)
    assert "全角空格" in p.message and "半角" in p.message


def test_fullwidth_space_after_ascii_indent_is_refused():
    p = only(load("casualties:\n  \u3000deaths: 3\n"), "yaml-fullwidth-indent")
    assert (p.line, p.column) == (2, 3)


def test_fullwidth_space_that_breaks_the_parse_reports_the_cause_not_the_symptom():
    loaded = load("body: |\n\u3000\u3000第一段\nx: 1\n")
    p = only(loaded, "yaml-fullwidth-indent")
    assert p.line == 2
    assert [q.rule for q in loaded.problems] == ["yaml-fullwidth-indent"]


def test_fullwidth_space_inside_values_is_fine():
    loaded = load("title: 江州市\u3000应急局\nbody: |\n  \u3000\u3000第一段\n  \u3000\u3000第二段\n"
                  "quoted: \"第一行\n  \u3000\u3000第二行\"\n")
    assert loaded.problems == []
    assert loaded.data["title"] == "江州市\u3000应急局"
    assert loaded.data["body"] == "\u3000\u3000第一段\n\u3000\u3000第二段\n"


def test_fullwidth_indentation_with_crlf_and_with_old_mac_line_ends():
    assert only(load("a: 1\r\nb:\r\n\u3000c: 2\r\n"), "yaml-fullwidth-indent").line == 3
    assert only(load("a: 1\rb:\r\u3000c: 2\r"), "yaml-fullwidth-indent").line == 3
    assert only(load("\u3000a: 1\n"), "yaml-fullwidth-indent").line == 1


def test_nbsp_indentation_is_refused():
    p = only(load("a:\n\u00a0 b: 1\n"), "yaml-fullwidth-indent")
    assert p.line == 2 and "U+00A0" in p.message


def test_tab_indentation_is_refused():
    p = only(load("id: x\ncasualties:\n\tdeaths: 3\n"), "yaml-tab-indent")
    assert (p.line, p.column) == (3, 1)
    assert "Tab" in p.message and "空格" in p.message


def test_tabs_inside_values_are_fine():
    loaded = load("a: x\ty\nb: |\n  code\n  \tindented\n")
    assert loaded.problems == []
    assert loaded.data == {"a": "x\ty", "b": "code\n\tindented\n"}


# --- structure -----------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines():
    p = only(load("id: x\ncasualties:\n  deaths: 3\n  injuries: 2\n  deaths: 4\n"), "yaml-duplicate-key")
    assert (p.line, p.column) == (5, 3)
    assert "第3行" in p.message and "第5行" in p.message
    assert p.field == "casualties.deaths"


def test_duplicate_top_level_key():
    p = only(load("title: a\nkind: info\ntitle: b\n"), "yaml-duplicate-key")
    assert p.line == 3 and "第1行" in p.message


def test_anchor_is_refused():
    p = only(load("id: x\nplace: &p 东城区\n"), "yaml-anchor")
    assert (p.line, p.column) == (2, 8)


def test_alias_is_refused():
    loaded = load("id: x\nplace: &p 东城区\nother: *p\n")
    p = only(loaded, "yaml-alias")
    assert (p.line, p.column) == (3, 8)


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("x: !!python/object/apply:os.system ['echo pwned']", "!!python/object/apply:os.system"),
        ("x: !!python/object:__main__.Evil {}", "!!python/object:__main__.Evil"),
        ("x: !!str 012", "!!str"),
        ("x: !custom hello", "!custom"),
        ("x: ! 12", "!"),
        ("x: !!map {a: 1}", "!!map"),
    ],
)
def test_tags_are_refused(line, shown):
    p = only(load("id: y\n" + line + "\n"), "yaml-tag")
    assert (p.line, p.column) == (2, 4)
    assert f"“{shown}”" in p.message


def test_billion_laughs_is_refused_quickly():
    bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for i in "bcdefghi":
        prev = chr(ord(i) - 1)
        bomb += f"{i}: &{i} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    t = time.perf_counter()
    loaded = load(bomb)
    assert time.perf_counter() - t < 1.0
    assert only(loaded, "yaml-anchor").line == 1
    assert only(loaded, "yaml-alias").line == 2
    assert len(loaded.problems) <= yamlload.MAX_PROBLEMS


def test_ten_megabytes_are_refused_before_decoding_or_parsing(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("parser must not run")

    monkeypatch.setattr(yamlload, "_CParser", boom)
    p = only(load(b"a: " + b"\xff" * (10 * 1024 * 1024)), "yaml-too-large")
    assert p.line == 1 and "10,485,763 字节" in p.message


def test_flow_nesting_10000_deep_is_refused():
    t = time.perf_counter()
    p = only(load("[" * 10_000), "yaml-too-deep")
    assert time.perf_counter() - t < 1.0
    assert p.line == 1


def test_flow_nesting_below_libyaml_cap_stops_at_our_limit():
    p = only(load("a: " + "[" * 500 + "]" * 500), "yaml-too-deep")
    # The root mapping is level 1, so the 32nd "[" (column 35) is level 33.
    assert (p.line, p.column) == (1, 35)


def test_deep_block_nesting_is_refused():
    text = "".join(" " * i + "k:\n" for i in range(200))
    p = only(load(text), "yaml-too-deep")
    assert (p.line, p.column) == (33, 33)


def test_limits_are_configurable():
    assert load("a:\n  b:\n    c: 1\n", Limits(max_depth=2)).data is None
    assert load("a:\n  b: 1\n", Limits(max_depth=2)).data == {"a": {"b": 1}}
    assert only(load("a: " + "x" * 50, Limits(max_scalar_chars=10)), "yaml-too-large").column == 4


def test_hundred_thousand_nodes_are_refused():
    text = "a: [" + "1," * 100_000 + "1]\n"
    t = time.perf_counter()
    p = only(load(text), "yaml-too-many-nodes")
    assert time.perf_counter() - t < 1.0
    # nodes: the root mapping, "a", the list, then items; item 19,997 (column 5 + 2k) is node 20,001.
    assert (p.line, p.column) == (1, 5 + 2 * 19_997)


def test_top_level_list_is_refused():
    p = only(load("- id: x\n- id: y\n"), "yaml-not-mapping")
    assert (p.line, p.column) == (1, 1)


def test_top_level_scalar_with_fullwidth_colon_gets_the_hint():
    p = only(load("id：ajj-20261125-zhangwei-01\nkind：emergency\n"), "yaml-not-mapping")
    assert (p.line, p.column) == (1, 3)
    assert "全角冒号" in p.message and "半角冒号" in p.message


def test_top_level_plain_scalar():
    p = only(load("just some words\n"), "yaml-not-mapping")
    assert p.line == 1 and "全角" not in p.message


def test_one_fullwidth_colon_among_good_lines():
    p = only(load("id: x\nkind：emergency\ntitle: y\n"), "yaml-syntax")
    assert (p.line, p.column) == (2, 5)
    assert "全角冒号" in p.message and "could not find expected ':'" in p.message


def test_nested_fullwidth_colon_value_is_a_warning_with_the_hint():
    loaded = load("id: x\ncasualties:\n  deaths：3\n")
    assert loaded.data == {"id": "x", "casualties": "deaths：3"}
    [p] = loaded.problems
    assert (p.rule, p.severity, p.line, p.field) == ("yaml-fullwidth-colon", "warning", 3, "casualties")


def test_colon_in_chinese_prose_is_not_flagged():
    loaded = load("title: 通知：关于开展安全检查的通知\n")
    assert loaded.problems == [] and loaded.data["title"] == "通知：关于开展安全检查的通知"


def test_multi_document_is_refused():
    p = only(load("id: x\n---\nid: y\n"), "yaml-multi-document")
    assert (p.line, p.column) == (2, 1)


def test_explicit_single_document_is_fine():
    assert load("---\nid: x\n...\n").data == {"id": "x"}


@pytest.mark.parametrize("text", ["", "\n\n", "# 只有注释\n", "---\n", "\ufeff"])
def test_empty_file(text):
    p = only(load(text), "yaml-empty")
    assert (p.line, p.column) == (1, 1)


@pytest.mark.parametrize(
    ("text", "line"),
    [("id: x\n1: a\n", 2), ("true: a\n", 1), ("null: a\n", 1), ("1.5: a\n", 1), ("id: x\n? \n: a\n", 2),
     ("id: x\n? [a, b]\n: c\n", 2), ("{a: 1}: x\n", 1)],
)
def test_non_string_keys_are_refused(text, line):
    assert only(load(text), "yaml-key-type").line == line


def test_string_like_keys_are_fine():
    assert load('"1": a\nno: b\n"": c\n').data == {"1": "a", "no": "b", "": "c"}


# --- scalar resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # The YAML 1.2 core schema, as the editor (YAML 1.2) types them, so that it never contradicts CI.
        ("null", None), ("~", None), ("", None), ("Null", None), ("NULL", None), ("nULL", "nULL"),
        ("true", True), ("false", False), ("True", True), ("FALSE", False), ("tRUE", "tRUE"),
        ("0", 0), ("12", 12), ("-7", -7), ("012", 12), ("+12", 12), ("-0", 0), ("00", 0),
        ("0x1F", 31), ("0o17", 15), ("0X1F", "0X1F"), ("0O17", "0O17"), ("0xg", "0xg"), ("0o8", "0o8"),
        ("1e3", 1000.0), ("1E3", 1000.0), ("1.5e3", 1500.0), ("-1.5e-3", -0.0015),
        ("1.5", 1.5), ("-0.25", -0.25), ("0.0", 0.0), (".5", 0.5), ("+.5", 0.5), ("5.", 5.0), ("01.5", 1.5),
        (".", "."), (".e3", ".e3"), ("1e", "1e"), ("e3", "e3"), ("+", "+"), ("1.5.5", "1.5.5"),
        # None of YAML 1.1's coercions.
        ("no", "no"), ("NO", "NO"), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
        ("1_000", "1_000"), ("0b101", "0b101"),
        ("12:30", "12:30"), ("190:20:30", "190:20:30"),
        ("2026-11-25", "2026-11-25"), ("2026-11-25T08:00:00+08:00", "2026-11-25T08:00:00+08:00"),
        ("2026-11-25 08:00:00", "2026-11-25 08:00:00"),
        ("=", "="), ("<<", "<<"), ("１２", "１２"), ("٣", "٣"),
        ("'012'", "012"), ('"true"', "true"), ("'null'", "null"), ('""', ""), ("'12:30'", "12:30"),
    ],
)
def test_scalar_resolution(raw, value):
    loaded = load(f"v: {raw}\n")
    assert loaded.problems == []
    got = loaded.data["v"]
    assert got == value and type(got) is type(value)


def test_block_scalars_are_strings():
    assert load("a: |\n  12\nb: >\n  true\n").data == {"a": "12\n", "b": "true\n"}


@pytest.mark.parametrize("raw", [".inf", "-.inf", "+.INF", ".nan", ".NaN", "1e400", "9" * 400 + ".5", "9" * 5000])
def test_numbers_nothing_can_hold_are_refused_rather_than_turned_into_inf_or_text(raw):
    p = only(load(f"id: x\nv: {raw}\n"), "yaml-number")
    assert (p.line, p.column) == (2, 4) and "英文双引号" in p.message
    assert load(f'v: "{raw}"\n').data == {"v": raw}


# --- where libyaml and the YAML spec disagree (yaml-test-suite cases, placed under a key) ---------------


@pytest.mark.parametrize(
    ("text", "at", "needle"),
    [
        ('title: "会议纪要"#第二次会议\n', (1, 14), "“#”紧跟在“\"”后面"),  # SU5Z: libyaml drops "#第二次会议"
        ("k: 'a'#b\n", (1, 7), "“#”紧跟在“'”后面"),
        ("k: [ a, b, c, ]#invalid\n", (1, 16), "“#”紧跟在“]”后面"),  # 9JBA
        ("k: {a: 1}#x\n", (1, 10), "“#”紧跟在“}”后面"),
        ("k: [ a, b, c,#invalid\n  ]\n", (1, 14), "“#”紧跟在“,”后面"),  # CVW2
        ('k: {"a":#x\n  1}\n', (1, 9), "“#”紧跟在“:”后面"),
        ("%YAML 1.1#...\n---\nk: v\n", (1, 10), "“#”紧跟在“1”后面"),  # MUS6-00
        ("block: ># comment\n  scalar\n", (1, 9), "“|”或“>”后面紧跟着“#”"),  # X4QW
        ("block: |-#\n  scalar\n", (1, 10), "“|”或“>”后面紧跟着“#”"),
        ("k: [?x]\n", (1, 5), "“?”后面紧跟着文字"),  # HM87-01: libyaml gives [{x: null}], the spec ["?x"]
        ("k: { ?foo: bar }\n", (1, 6), "“?”后面紧跟着文字"),  # 652Z: libyaml drops the "?"
        ("k: [-]\n", (1, 5), "单独的“-”"),  # YJV2
        ("flow: [a,\nb,\nc]\n", (2, 1), "至少要 1 个半角空格"),  # 9C9N
        ("a:\n  b: [x,\n    y\n ]\n", (4, 2), "至少要 2 个半角空格"),  # the closing bracket: parent's column
        ("k: [a, [b,\n  c\n]]\n", (3, 1), "至少要 1 个半角空格"),  # ... of the outermost collection only
        ('quoted: "a\nb\nc"\n', (2, 1), "至少要 1 个半角空格"),  # QB6E
        ('foo: "bar\n\tbaz"\n', (2, 1), "Tab 不算缩进"),  # DK95-01: a tab is not indentation
        ('a:\n  b: "x\n  y"\n', (3, 3), "至少要 3 个半角空格"),
        ("a:\n  b: 'x\n  y'\n", (3, 3), "至少要 3 个半角空格"),
        ("k: >\n \n  \n   \n # comment\n", (4, 2), "第4行"),  # S98Z: libyaml reads "" and a comment
    ],
)
def test_constructs_libyaml_accepts_against_the_spec_are_refused(text, at, needle):
    p = only(load(text), "yaml-syntax")
    assert (p.line, p.column) == at and needle in p.message, (p.line, p.column, p.message)


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ('title: "会议纪要" #第二次会议\n', {"title": "会议纪要"}),  # a comment, with its space
        ("k: [a, b] # note\n", {"k": ["a", "b"]}),
        ("k: 3#楼 2#车间\n", {"k": "3#楼 2#车间"}),  # "#" inside plain text is text
        ("k: C#\n", {"k": "C#"}),
        ("%YAML 1.1 # comment\n---\nk: v\n", {"k": "v"}),  # MUS6-04
        ("block: > # comment\n  scalar\n", {"block": "scalar\n"}),
        ("k: [? b : 2, a]\n", {"k": [{"b": 2}, "a"]}),  # an explicit key, with its space
        ("k: [-a, a-]\n", {"k": ["-a", "a-"]}),
        ("flow: [a,\n b,\n c]\n", {"flow": ["a", "b", "c"]}),
        ("k: [a,\n  b,\n]\n", {"k": ["a", "b"]}),  # as the editor's parser allows (not the spec)
        ("a:\n  b: {x: 1,\n    y: 2\n  }\n", {"a": {"b": {"x": 1, "y": 2}}}),
        ("flow: [a,\n# comment lines need no indentation\n b]\n", {"flow": ["a", "b"]}),
        ('foo: "bar\n \tbaz"\n', {"foo": "bar baz"}),  # DK95-08: spaces, then a tab
        ('a:\n  b: "x\n   y\n\n   z"\n', {"a": {"b": "x y\nz"}}),
        ("k: |\n\n  x\n", {"k": "\nx\n"}),
        ("k: |\n  \n  x\n", {"k": "\nx\n"}),
        ("foo: |\n  x\n   ", {"foo": "x\n \n"}),  # L24T-01: libyaml alone gives "x\n "
        ("k: |+\n   ", {"k": "\n"}),  # JEF9-02: libyaml alone gives ""
        ("k: |\n  x", {"k": "x"}),  # without a final line break, clip keeps none
        ("k: |+\r\n   ", {"k": "\n"}),
    ],
)
def test_the_spec_reading_of_nearby_valid_constructs(text, data):
    loaded = load(text)
    assert loaded.problems == [] and loaded.data == data


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("a: b\nc", (2, 1)),  # could not find expected ':' -> at the key without a colon, not at 3:1
        ("a: b\nc\n", (2, 1)),
        ("a: b\nc\nd: e\n", (2, 1)),
        ("a: [b, c", (1, 9)),  # end of stream -> the end of the last line, not 2:1
        ("a: [b, c\n\n\n", (1, 9)),
        ("a: [b, c\r\n", (1, 9)),
        ("a: {b: c", (1, 9)),
        ('a: "x', (1, 6)),
        ("a: 'x\n  y\n", (2, 4)),
        ("%YAML 1.2\n", (1, 10)),
    ],
)
def test_syntax_errors_at_the_end_of_the_file_point_into_the_file(text, at):
    p = only(load(text), "yaml-syntax")
    assert (p.line, p.column) == at, p


# --- never raise ------------------------------------------------------------------------------------


def test_internal_errors_become_a_problem(monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(yamlload, "_parse", broken)
    [p] = load("a: 1\n").problems
    assert (p.rule, p.line, p.column) == ("yaml-internal", 1, 1) and "kaboom" in p.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: 'unterminated\n", "引号"),
        ("a:\n  b: 1\n c: 2\n", "缩进"),
        ("a: [1, 2\nb: 3\n", "]"),
        ("a: \"C:\\dir\"\n", "反斜杠"),
        ("a: @home\n", "特殊符号"),
    ],
)
def test_syntax_errors_are_translated(text, needle):
    p = only(load(text), "yaml-syntax")
    assert needle in p.message and "libyaml：" in p.message and p.line >= 1


PLAIN = (dict, list, str, int, float, bool, type(None))
NASTY = [b": ", b"- ", b"[", b"]", b"{", b"}", b"&a ", b"*a", b"!!str ", b"\t", "\u3000".encode(), "：".encode(),
         b'"', b"'", b"|\n", b"\r", b"\n", b"\x00", b"\xff", b"\xe6", b"---\n", b"? ", b"#", b"%YAML 1.1\n",
         b"\\", b",", "\u202e".encode(), b"\xef\xbb\xbf", b"  ", b"1", b"~"]


def _check_contract(raw: bytes) -> None:
    loaded = load_yaml(raw, "fuzz.yaml")
    assert isinstance(loaded, Loaded)
    assert loaded.data is not None or loaded.problems
    assert not [p for p in loaded.problems if p.rule == "yaml-internal"], (raw, loaded.problems)
    for p in loaded.problems:
        assert p.line >= 1 and p.column >= 1 and p.rule.startswith("yaml-") and p.message
    if loaded.data is not None:
        assert isinstance(loaded.data, dict)
        assert not any(p.severity == "error" for p in loaded.problems)
        todo = [loaded.data]
        while todo:
            node = todo.pop()
            assert isinstance(node, PLAIN)
            if isinstance(node, dict):
                assert all(type(k) is str for k in node)
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)


def test_fuzz_random_bytes_never_raise():
    rng = random.Random(20261125)
    for _ in range(400):
        parts = [rng.choice(NASTY) if rng.random() < 0.6 else bytes([rng.randrange(256)]) for _ in range(rng.randrange(60))]
        _check_contract(b"".join(parts))


def test_fuzz_mutated_report_never_raises():
    rng = random.Random(42)
    base = REPORT.encode("utf-8")
    for _ in range(400):
        raw = bytearray(base)
        for _ in range(rng.randrange(1, 4)):
            pos = rng.randrange(len(raw))
            op = rng.random()
            if op < 0.4:
                raw[pos:pos] = rng.choice(NASTY)
            elif op < 0.7:
                del raw[pos : pos + rng.randrange(1, 8)]
            else:
                raw[pos] = rng.randrange(256)
        _check_contract(bytes(raw))


def test_agrees_with_safe_load_on_the_report_where_yaml_is_unambiguous():
    # Guard against the builder losing or reordering anything: compare after quoting 1.1 surprises away.
    expected = yaml.load(REPORT.replace("sensitive: no", "sensitive: 'no'"), Loader=yaml.CSafeLoader)
    for k in ("created_at", "occurred_at", "discovered_at"):
        expected[k] = expected[k].isoformat()
    assert load(REPORT).data == expected
