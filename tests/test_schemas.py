"""The JSON Schemas, the shipped configuration and the example registry agree with each other.

What an officer relies on: the editor shows a Chinese title and description for every field, a
misspelt field is refused, times without an offset are refused, and every bundled example is valid.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest
import yaml
from baosong import editorhints
from baosong.schemas import FORMATS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "schema"
SCHEMA_NAMES = ("report", "units", "policy")
FORBIDDEN = {"not": {}}
CJK = re.compile(r"[\u4e00-\u9fff]")
REPORT_FILES = sorted((ROOT / "reports").rglob("*.yaml"))
EXAMPLE_FILES = sorted((ROOT / "tests" / "examples" / "valid").rglob("*.yaml"))


class _StringTimesLoader(yaml.SafeLoader):
    """SafeLoader that keeps `2026-11-25T14:30:00+08:00` a string, as the registry's own loader does."""


_StringTimesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_StringTimesLoader)  # noqa: S506


def load_schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    # The product's own format checks (baosong.schemas.FORMATS), not jsonschema's optional ones, which
    # silently pass when a helper package such as rfc3339-validator is not installed.
    checker = jsonschema.FormatChecker(formats=())
    for fmt, func in FORMATS.items():
        checker.checks(fmt)(func)
    return jsonschema.Draft202012Validator(load_schema(name), format_checker=checker)


def messages(name: str, doc: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path)) or '<根>'}: {e.message}" for e in validator(name).iter_errors(doc)]


def walk(node: object, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every subschema (dict) with its path, skipping `if` conditions (they only test values)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("if", "const", "enum", "default", "examples"):
                continue
            if key in ("properties", "$defs", "patternProperties"):
                for name, sub in value.items():
                    yield from walk(sub, (*path, key, name))
            elif isinstance(value, dict | list):
                yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from walk(sub, (*path, i))


def declared(node: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Field declarations: the schema's `properties` and array `items`, at every depth."""
    for name, sub in node.get("properties", {}).items():
        if isinstance(sub, dict):
            yield (*path, name), sub
            yield from declared(sub, (*path, name))
    items = node.get("items")
    if isinstance(items, dict):
        yield (*path, "[]"), items
        yield from declared(items, (*path, "[]"))


# ---------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://baosong.invalid/schema/{name}.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema_rs.validator_for(schema)  # the fast path used by `baosong check` compiles it too


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_field_has_chinese_title_and_description(name: str) -> None:
    schema = load_schema(name)
    assert CJK.search(schema["title"]) and CJK.search(schema["description"])
    fields = list(declared(schema))
    assert len(fields) > 10
    for path, sub in fields:
        where = ".".join(path)
        assert CJK.search(sub.get("title", "")), f"{where}: 缺少中文 title"
        assert CJK.search(sub.get("description", "")), f"{where}: 缺少中文 description"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_object_refuses_unknown_fields(name: str) -> None:
    objects = 0
    for path, sub in walk(load_schema(name)):
        types = sub.get("type", [])
        if "object" in (types if isinstance(types, list) else [types]):
            objects += 1
            assert sub.get("additionalProperties") is False, f"{path}: additionalProperties 须为 false"
    assert objects >= 1


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_pattern_is_anchored(name: str) -> None:
    patterns = [(path, sub["pattern"]) for path, sub in walk(load_schema(name)) if "pattern" in sub]
    assert patterns
    for path, pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"), path
        re.compile(pattern)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_date_times_need_format_and_offset_pattern(name: str) -> None:
    for path, sub in walk(load_schema(name)):
        if sub.get("format") == "date-time":
            pattern = re.compile(sub["pattern"])
            assert pattern.search("2026-11-25T14:30:00+08:00"), path
            assert pattern.search("2026-11-25T06:30:00Z"), path
            assert not pattern.search("2026-11-25T14:30:00"), path
            assert not pattern.search("2026-11-25 14:30"), path
            # RFC 3339 wants seconds; ajv, check-jsonschema and the editor refuse 14:30+08:00.
            assert not pattern.search("2026-11-25T14:30+08:00"), path


def test_report_branches_only_forbid_fields_declared_at_top_level() -> None:
    """Kind branches may require or forbid fields, never declare new ones (they would lack titles).

    A forbidden field is `{"not": {}}`, not `false`: python-jsonschema reports a failing `false`
    subschema without its instance path, so the message could not name the field or its line. The
    editor hints (editorhints.py) add a Chinese `deprecationMessage` to it, and may offer a top-level
    field for completion in the branch that allows it: a stub of annotations only (its title and
    description), which validates nothing.
    """
    schema = load_schema("report")
    top = schema["properties"]
    for path, sub in walk(schema):
        if path and path[0] in ("allOf", "$defs") and "properties" in sub:
            for field, rule in sub["properties"].items():
                assert field in top, f"{path}: {field} 未在顶层 properties 中声明"
                stub = {"title": top[field]["title"], "description": top[field]["description"]}
                forbid = {k: v for k, v in rule.items() if k != "deprecationMessage"}
                assert forbid == FORBIDDEN or rule == stub, f"{path}: 分支中的 {field} 只能是禁用标记 {FORBIDDEN} 或补全提示"
    branches = {b["if"]["properties"]["kind"]["const"] for b in schema["allOf"]}
    assert branches == set(schema["properties"]["kind"]["enum"])
    for branch in schema["allOf"]:
        assert branch["if"]["required"] == ["kind"]  # a missing kind must not satisfy every `if`


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_editor_hints_are_up_to_date(name: str) -> None:
    """errorMessage, enumDescriptions, completion scoping: generated from the schema itself."""
    text = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert editorhints.dumps(editorhints.add_hints(json.loads(text))) == text, (
        "schema changed without its editor hints: run `python -m baosong.editorhints`")
    hints = [sub for _, sub in walk(json.loads(text)) if "errorMessage" in sub]
    assert len(hints) > 10 and all(CJK.search(sub["errorMessage"]) for sub in hints)


def test_report_snippets_hold_the_fields_their_kind_and_stage_require_and_no_forbidden_one() -> None:
    from baosong.newreport import field_rules

    schema = load_schema("report")
    snippets = schema["defaultSnippets"]
    assert {s["body"]["kind"] for s in snippets} == {"emergency", "info"} and len(snippets) == 3
    for snippet in snippets:
        body = snippet["body"]
        rules = field_rules(schema, body)
        assert set(rules.required) <= set(body), (snippet["label"], set(rules.required) - set(body))
        assert not set(body) & rules.forbidden and set(body) <= set(schema["properties"]), snippet["label"]
        assert CJK.search(snippet["label"]) and CJK.search(snippet["description"])


# ---------------------------------------------------------------- configuration


def test_units_config_is_valid() -> None:
    doc = yaml.safe_load((ROOT / "config" / "units.yaml").read_text(encoding="utf-8"))
    assert messages("units", doc) == []


def test_units_config_is_coherent() -> None:
    doc = yaml.safe_load((ROOT / "config" / "units.yaml").read_text(encoding="utf-8"))
    codes = [u["code"] for u in doc["units"]]
    assert len(codes) == len(set(codes))
    assert 18 <= len(codes) <= 25
    assert doc["registry_office"] in codes
    staff_ids = [p["id"] for u in doc["units"] for p in u["staff"]]
    assert len(staff_ids) == len(set(staff_ids)), "人员标识须全局唯一"
    for unit in doc["units"]:
        assert unit.get("parent") in (None, *codes)
        if unit["level"] == "agency":
            assert unit["parent"] in codes
        roles = {r for p in unit["staff"] for r in p["roles"]}
        assert {"officer", "reviewer", "head"} <= roles, unit["code"]
        assert 2 <= len(unit["staff"]) <= 4, unit["code"]
        for person in unit["staff"]:
            assert person["principal"] == f"{person['id']}@{unit['code']}"
    office = next(u for u in doc["units"] if u["code"] == doc["registry_office"])
    assert any("admin" in p["roles"] for p in office["staff"])


def test_policy_config_is_valid() -> None:
    doc = yaml.safe_load((ROOT / "config" / "policy.yaml").read_text(encoding="utf-8"))
    assert messages("policy", doc) == []


def test_policy_config_is_coherent() -> None:
    doc = yaml.safe_load((ROOT / "config" / "policy.yaml").read_text(encoding="utf-8"))
    ids = [r["id"] for r in doc["deadline_rules"]]
    assert len(ids) == len(set(ids)), "时限规则编号须唯一"
    assert all(CJK.search(r["title"]) and r["source"] for r in doc["deadline_rules"])
    covered = [c for table in doc["grading"] for c in table["categories"]]
    assert len(covered) == len(set(covered)), "同一事件类别只能出现在一张分级表中"
    grade_order = ["I", "II", "III", "IV"]
    for table in doc["grading"]:
        grades = [level["grade"] for level in table["levels"]]
        assert grades == sorted(grades, key=grade_order.index), "分级门槛须由严重到一般排列"
        for criterion in ("deaths", "serious_injuries", "economic_loss"):
            bounds = [level[criterion] for level in table["levels"] if criterion in level]
            assert bounds == sorted(bounds, reverse=True), (table["scheme"], criterion)
    # the stricter local overlay is really stricter than the city rule for the grades it covers
    by_id = {r["id"]: r for r in doc["deadline_rules"]}
    assert by_id["province-major-written"]["minutes"] < by_id["city-written"]["minutes"]
    assert by_id["province-major-phone"]["minutes"] < by_id["city-phone"]["minutes"]
    assert doc["scoring"]["adoption_points"] == {"own": 5, "city": 10, "prefecture": 20, "province": 30,
                                                 "national": 50}


# ---------------------------------------------------------------- the example registry


def test_example_registry_is_not_empty() -> None:
    assert len(REPORT_FILES) >= 30
    assert len(EXAMPLE_FILES) >= 6
    kinds = {load_yaml(p)["kind"] for p in REPORT_FILES}
    assert kinds == set(load_schema("report")["properties"]["kind"]["enum"])


@pytest.mark.parametrize("path", REPORT_FILES + EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_report_is_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema_ref = first.split("$schema=", 1)[1]
    assert (path.parent / schema_ref).resolve() == ROOT / "schema" / "report.schema.json", "editors must find the schema"
    doc = load_yaml(path)
    assert messages("report", doc) == []
    assert jsonschema_rs.validator_for(load_schema("report"), validate_formats=True).is_valid(doc)
    assert doc["id"] == path.stem
    if "reports" in path.parts:
        assert path.parent.name == doc["unit"]
        assert path.parent.parent.name == doc["id"].split("-")[1][:4]


def test_valid_examples_are_copies_of_registry_files() -> None:
    # Identical but for the first line: the `$schema` comment is relative to each file's place.
    def body(p: Path) -> bytes:
        return p.read_bytes().split(b"\n", 1)[1]

    registry = {p.name: body(p) for p in REPORT_FILES}
    assert EXAMPLE_FILES
    for example in EXAMPLE_FILES:
        assert registry.get(example.name) == body(example), example.name


# ---------------------------------------------------------------- what the schema refuses


def _example(report_id: str) -> dict:
    return load_yaml(next(p for p in REPORT_FILES if p.stem == report_id))


FIRST = "gaj-20260314-wanghao-01"  # emergency first report, signed
PENDING_FIRST = "yjj-20260618-zhengli-01"  # emergency first report, signoff_pending
FOLLOWUP = "yjj-20260618-zhengli-02"
INFO = "dcq-20260408-lijing-01"


def _reject(doc: dict) -> list[jsonschema.ValidationError]:
    errors = list(validator("report").iter_errors(doc))
    assert errors, "schema accepted a document it should refuse"
    assert not jsonschema_rs.validator_for(load_schema("report"), validate_formats=True).is_valid(doc)
    return errors


def _paths(errors: list[jsonschema.ValidationError]) -> set[tuple]:
    return {tuple(e.absolute_path) for e in errors}


@pytest.mark.parametrize("value", ["2026-03-14T09:20:00", "2026-03-14 09:20:00+08:00", "2026-03-14",
                                   "09:20", "2026-03-14T09:20:00+0800"])
def test_time_without_offset_is_refused(value: str) -> None:
    doc = _example(FIRST)
    doc["created_at"] = value
    assert ("created_at",) in _paths(_reject(doc))


def test_time_without_seconds_is_refused_as_every_rfc3339_checker_does() -> None:
    doc = _example(FIRST)
    doc["occurred_at"] = "2026-03-14T07:42+08:00"
    assert ("occurred_at",) in _paths(_reject(doc))
    assert not FORMATS["date-time"]("2026-03-14T07:42+08:00")
    assert FORMATS["date-time"]("2026-03-14T07:42:00+08:00") and FORMATS["date-time"]("2026-03-14T07:42:00.5Z")


def test_format_checking_is_on() -> None:
    """The pattern admits 30 February; only the date-time format check catches it."""
    doc = _example(FIRST)
    doc["occurred_at"] = "2026-02-30T07:42:00+08:00"
    errors = _reject(doc)
    assert [e.validator for e in errors] == ["format"]


def test_sequence_on_first_report_is_refused() -> None:
    doc = _example(FIRST)
    doc["sequence"] = 1
    errors = _reject(doc)
    assert ("sequence",) in _paths(errors)


def test_unknown_field_is_refused() -> None:
    doc = _example(INFO)
    doc["auther"] = doc["author"]
    errors = _reject(doc)
    assert any(e.validator == "additionalProperties" and "auther" in e.message for e in errors)


def test_unknown_nested_field_is_refused() -> None:
    doc = _example(FIRST)
    doc["casualties"]["dead"] = 1
    assert ("casualties",) in _paths(_reject(doc))


@pytest.mark.parametrize("missing", ["incident", "sequence", "signer", "description"])
def test_followup_needs_its_fields(missing: str) -> None:
    doc = _example(FOLLOWUP)
    del doc[missing]
    errors = _reject(doc)
    assert any(e.validator == "required" and repr(missing) in e.message for e in errors)


@pytest.mark.parametrize("missing", ["category", "occurred_at", "place", "casualties", "grade", "trend", "measures"])
def test_first_report_needs_the_known_facts(missing: str) -> None:
    doc = _example(FIRST)
    del doc[missing]
    assert any(e.validator == "required" for e in _reject(doc))


def test_first_report_needs_signer_unless_signoff_pending() -> None:
    doc = _example(FIRST)
    del doc["signer"]
    assert any(e.validator == "required" and "'signer'" in e.message for e in _reject(doc))
    pending = _example(PENDING_FIRST)
    assert messages("report", pending) == []
    pending["signer"] = "songqiang"  # pending and signed at once is contradictory
    assert ("signer",) in _paths(_reject(pending))


def test_fields_of_other_kinds_are_refused() -> None:
    info = _example(INFO)
    info["stage"] = "first"
    assert ("stage",) in _paths(_reject(info))
    first = _example(FIRST)
    first["info_type"] = "dynamic"
    assert ("info_type",) in _paths(_reject(first))
    followup = _example(FOLLOWUP)
    followup["signoff_pending"] = True
    assert ("signoff_pending",) in _paths(_reject(followup))


def test_final_report_has_no_sequence() -> None:
    doc = _example("yjj-20260619-zhengli-01")
    doc["sequence"] = 3
    assert ("sequence",) in _paths(_reject(doc))


def test_sensitive_event_needs_a_reason() -> None:
    doc = _example("xhq-20260916-chenxue-01")
    del doc["sensitive_reason"]
    assert any("sensitive_reason" in e.message for e in _reject(doc))


def test_missing_kind_or_stage_is_refused() -> None:
    doc = _example(FIRST)
    del doc["kind"]
    assert any(e.validator == "required" for e in _reject(doc))
    doc = _example(FIRST)
    del doc["stage"]
    assert any(e.validator == "required" and "'stage'" in e.message for e in _reject(doc))


@pytest.mark.parametrize(("field", "value"), [
    ("id", "GAJ-20260314-wanghao-01"),
    ("id", "gaj-2026031-wanghao-01"),
    ("unit", "公安局"),
    ("grade", "3"),
    ("kind", "urgent"),
    ("title", ""),
    ("title", "长" * 81),
    ("involved_units", ["jjzd", "jjzd"]),
])
def test_malformed_values_are_refused(field: str, value: object) -> None:
    doc = copy.deepcopy(_example(FIRST))
    doc[field] = value
    _reject(doc)


def test_yaml_booleans_do_not_pass_as_enum_values() -> None:
    """`finding` values are plain words, so `finding: no` style surprises cannot sneak through."""
    notice = _example("xxk-20260925-wangli-01")
    assert notice["finding"] == "late"
    notice["finding"] = False
    _reject(notice)


def test_units_schema_refuses_bad_entries() -> None:
    doc = yaml.safe_load((ROOT / "config" / "units.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(doc)
    bad["units"][0]["staff"][0]["roles"] = ["boss"]
    assert messages("units", bad)
    bad = copy.deepcopy(doc)
    bad["units"][0]["staff"][0]["keys"] = ["not a key"]
    assert messages("units", bad)
    bad = copy.deepcopy(doc)
    bad["units"][0]["staff"][0]["valid_after"] = "2026-01-01T00:00:00"
    assert messages("units", bad)
    good = copy.deepcopy(doc)
    good["units"][0]["staff"][0]["keys"] = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl wangli@xxk"]
    assert messages("units", good) == []


def test_policy_schema_refuses_bad_entries() -> None:
    doc = yaml.safe_load((ROOT / "config" / "policy.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(doc)
    del bad["deadline_rules"][0]["source"]
    assert messages("policy", bad)
    bad = copy.deepcopy(doc)
    bad["deadline_rules"][0]["clock"] = "phoned"
    assert messages("policy", bad)
    bad = copy.deepcopy(doc)
    bad["scoring"]["deductions"]["forged"] = 3
    assert messages("policy", bad)
    bad = copy.deepcopy(doc)
    bad["grading"][0]["levels"].append({"grade": "IV"})  # a level with no criterion
    assert messages("policy", bad)
