"""The one vocabulary: every enum value of the schemas has a Chinese label, and one duration wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from baosong import vocab

SCHEMAS = Path(__file__).resolve().parents[1] / "schema"
# (schema file, property) -> the label tables that must cover its enum (full form first, then short).
LABELS = {
    ("report", "kind"): (vocab.KIND_ZH, vocab.KIND_SHORT),
    ("report", "stage"): (vocab.STAGE_ZH,),
    ("report", "category"): (vocab.CATEGORY_ZH,),
    ("report", "grade"): (vocab.GRADE_ZH, vocab.GRADE_SHORT),
    ("report", "info_type"): (vocab.INFO_TYPE_ZH,),
    ("report", "verification"): (vocab.VERIFICATION_ZH,),
    ("report", "level"): (vocab.LEVEL_ZH,),
    ("report", "finding"): (vocab.FINDING_ZH,),
    ("report", "target_levels"): (vocab.UNIT_LEVEL_ZH,),
    ("policy", "categories"): (vocab.CATEGORY_ZH,),
    ("policy", "grade"): (vocab.GRADE_ZH, vocab.GRADE_SHORT),
    ("policy", "default_grade"): (vocab.GRADE_ZH, vocab.GRADE_SHORT),
    ("policy", "grades"): (vocab.GRADE_ZH, vocab.GRADE_SHORT),
    ("policy", "report"): (vocab.REPORT_ZH,),
    ("policy", "stages"): (vocab.STAGE_ZH,),
    ("policy", "clock"): (vocab.CLOCK_ZH,),
    ("policy", "missed_clock"): (vocab.CLOCK_ZH,),
    ("policy", "periods"): (vocab.PERIOD_ZH,),
    ("policy", "quota_levels"): (vocab.UNIT_LEVEL_ZH,),
    ("policy", "quota_kinds"): (vocab.KIND_ZH, vocab.KIND_SHORT),
    ("policy", "adoption_mode"): (vocab.ADOPTION_MODE_ZH,),
    ("policy", "to"): (vocab.UPWARD_TO_ZH,),
    ("units", "to"): (vocab.UPWARD_TO_ZH,),
    ("units", "level"): (vocab.UNIT_LEVEL_ZH,),
    ("units", "roles"): (vocab.ROLE_ZH,),
}


def schema_enums() -> list[tuple[str, str, list]]:
    """(schema, property, values) of every `enum` in schema/*.json; an array's items take its name."""
    found = []

    def walk(node, schema: str, name: str) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                found.append((schema, name, node["enum"]))
            for key, value in node.items():
                if key == "properties":
                    for prop, sub in value.items():
                        walk(sub, schema, prop)
                elif key in ("items", "additionalProperties", "$defs", "definitions", "anyOf", "oneOf", "allOf",
                             "if", "then", "else", "not"):
                    walk(value, schema, name)
        elif isinstance(node, list):
            for item in node:
                walk(item, schema, name)

    for path in sorted(SCHEMAS.glob("*.schema.json")):
        walk(json.loads(path.read_text(encoding="utf-8")), path.name.removesuffix(".schema.json"), "")
    return found


def test_schemas_have_enums():
    assert len(schema_enums()) >= 20


@pytest.mark.parametrize(("schema", "prop", "values"), schema_enums(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_enum_value_has_a_label(schema, prop, values):
    tables = LABELS.get((schema, prop))
    assert tables, f"{schema}.schema.json: enum `{prop}` has no label table in baosong.vocab (add it to LABELS)"
    for table in tables:
        missing = [v for v in values if not table.get(v)]
        assert not missing, f"{schema}.schema.json `{prop}`: no Chinese label for {missing}"


def test_short_forms_cover_the_full_forms():
    for full, short in ((vocab.KIND_ZH, vocab.KIND_SHORT), (vocab.GRADE_ZH, vocab.GRADE_SHORT),
                        (vocab.SIGNATURE_ZH, vocab.SIGNATURE_SHORT)):
        assert set(full) == set(short)


@pytest.mark.parametrize(("minutes", "text"), [
    (0, "0分钟"), (45, "45分钟"), (60, "1小时"), (95, "1小时35分钟"), (1440, "1天"), (1500, "1天1小时"),
    (1501, "1天1小时1分钟"), (-75, "-1小时15分钟"), (None, "")])
def test_one_duration_wording(minutes, text):
    assert vocab.fmt_minutes(minutes) == text


def test_table_cells_keep_the_two_largest_units():
    assert vocab.fmt_minutes(1501, max_parts=2) == "1天1小时"


def test_rule_title_from_the_policy():
    policy = {"deadline_rules": [{"id": "city-written", "title": "市级书面报告"}],
              "followup": {"first_within_minutes": 240, "interval_minutes": 1500}}
    assert vocab.rule_title(policy, "city-written") == "市级书面报告"
    assert vocab.rule_title(policy, vocab.FOLLOWUP_FIRST_RULE) == "首报送达后 4小时内第一次续报"
    assert vocab.rule_title(policy, vocab.FOLLOWUP_INTERVAL_RULE) == "上次续报送达后 1天1小时内再次续报"
    assert vocab.rule_title(policy, "unknown") == "unknown" and vocab.rule_title(policy, None) == "—"
