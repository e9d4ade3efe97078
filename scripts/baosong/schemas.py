"""JSON Schema validation: a fast path for the bulk, detailed Chinese messages for the failures.

jsonschema-rs decides valid/invalid (microseconds per document); only documents that fail are
re-validated with the pure-Python jsonschema, whose errors carry the keyword and value needed to
write a precise Chinese message.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from baosong.problems import field_name, snippet
from baosong.timeutil import is_datetime

TYPE_ZH = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否（true 或 false）",
    "object": "键值结构（映射）",
    "array": "列表",
    "null": "空值",
}


def _is_uri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and " " not in value


# RFC 3339 date-time, as ajv, check-jsonschema and the editor check it: seconds are required (and every
# file baosong writes has them); parse_datetime is lenient about them for what officers type elsewhere.
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})")


def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or (_RFC3339.fullmatch(value) is not None and is_datetime(value))


FORMATS: dict[str, Callable[[object], bool]] = {"date-time": _is_datetime, "uri": _is_uri}


@dataclass(frozen=True, slots=True)
class SchemaError:
    path: tuple  # where the problem is (key path in the document)
    field: str
    rule: str
    message: str


class Schema:
    """One JSON Schema, compiled twice: fast (Rust) and explanatory (Python)."""

    def __init__(self, schema: dict, name: str) -> None:
        self.schema = schema
        self.name = name
        self._fast = jsonschema_rs.validator_for(schema, validate_formats=True, formats=FORMATS)

    @classmethod
    def from_file(cls, path: Path) -> Schema:
        return cls(json.loads(path.read_text(encoding="utf-8")), path.name)

    @cached_property
    def _slow(self) -> jsonschema.protocols.Validator:
        checker = jsonschema.FormatChecker(formats=())
        for name, func in FORMATS.items():
            checker.checks(name)(func)
        cls = jsonschema.validators.validator_for(self.schema)
        return cls(self.schema, format_checker=checker)

    def is_valid(self, doc: Any) -> bool:
        return self._fast.is_valid(doc)

    def errors(self, doc: Any) -> list[SchemaError]:
        if self.is_valid(doc):
            return []
        found = [explain(e, self.schema) for e in _leaf_errors(self._slow.iter_errors(doc))]
        unique = list({(e.field, e.message): e for e in found}.values())
        if unique:
            return unique
        # The two engines can disagree at the edges (Python's `$` also matches before a final
        # newline); the stricter verdict stands, explained with the Rust engine's location.
        return [
            SchemaError(tuple(e.instance_path), field_name(e.instance_path), "schema-invalid",
                        f"取值不符合要求（例如结尾多了换行或含不允许的字符）：{snippet(e.message, 120)}")
            for e in self._fast.iter_errors(doc)
        ]


def _leaf_errors(errors: Iterable[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """Flatten allOf/if-then wrappers so each message names the field that is wrong."""
    out: list[jsonschema.ValidationError] = []
    stack = list(errors)
    while stack:
        err = stack.pop()
        if err.context and err.validator in ("allOf", "anyOf", "oneOf"):
            stack.extend(err.context)
        else:
            out.append(err)
    seen: set[tuple] = set()
    unique = []
    for err in sorted(out, key=lambda e: (list(map(str, e.absolute_path)), str(e.message))):
        key = (tuple(err.absolute_path), err.validator, str(err.validator_value), str(err.message))
        if key not in seen:
            seen.add(key)
            unique.append(err)
    return unique


def _subschema(root: dict, path: Iterable[Any]) -> dict:
    """The property schema for a document path, following only plain `properties` and `items`."""
    node: Any = root
    for part in path:
        if not isinstance(node, dict):
            return {}
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
    return node if isinstance(node, dict) else {}


def _title(root: dict, path: tuple) -> str:
    title = _subschema(root, path).get("title")
    return f"（{title}）" if title else ""


def explain(err: jsonschema.ValidationError, root: dict) -> SchemaError:
    """Turn one jsonschema error into a Chinese message that says what to do."""
    path = tuple(err.absolute_path)
    v, value, inst = err.validator, err.validator_value, err.instance
    where = field_name(path)
    rule = f"schema-{v}"
    if v == "required":
        missing = next((k for k in value if isinstance(inst, dict) and k not in inst), value[0])
        sub = _subschema(root, (*path, missing))
        desc = sub.get("description", "")
        msg = f"缺少必填字段“{missing}”{_title(root, (*path, missing))}。请补充该字段" + (f"：{desc}" if desc else "。")
        return SchemaError(path, field_name((*path, missing)), rule, msg)
    if v == "additionalProperties":
        allowed = list(_subschema(root, path).get("properties", {}))
        key = next((k for k in inst if k not in allowed), next(iter(inst)))
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"是否应为“{close[0]}”？" if close else "请删除该字段或检查拼写。"
        return SchemaError((*path, key), field_name((*path, key)), "schema-unknown-field",
                           f"不认识的字段“{snippet(key)}”。{hint}")
    if v is None or err.schema is False:
        return SchemaError(path, where, "schema-forbidden-field", f"此类报告不应包含字段“{where}”，请删除。")
    if v == "type":
        types = value if isinstance(value, list) else [value]
        want = "或".join(TYPE_ZH.get(t, str(t)) for t in types)
        return SchemaError(path, where, rule, f"类型不对：应为{want}，实际是“{_short(inst)}”。")
    if v in ("enum", "const"):
        options = value if v == "enum" else [value]
        desc = _subschema(root, path).get("description", "")
        msg = f"取值“{_short(inst)}”无效，应为以下之一：{'、'.join(map(str, options))}。"
        if desc:
            msg += f"（{desc}）"
        return SchemaError(path, where, rule, msg)
    if v == "format":
        if value == "date-time":
            msg = f"时间“{_short(inst)}”格式无效：须为带时区、精确到秒的时间，如 2026-11-25T14:30:00+08:00。"
        else:
            msg = f"“{_short(inst)}”不符合 {value} 格式。"
        return SchemaError(path, where, "schema-format", msg)
    if v == "pattern":
        desc = _subschema(root, path).get("description", "")
        if _subschema(root, path).get("format") == "date-time":
            msg = f"时间“{_short(inst)}”格式无效：须为带时区、精确到秒的时间，如 2026-11-25T14:30:00+08:00。"
            return SchemaError(path, where, "schema-format", msg)
        return SchemaError(path, where, rule, f"“{_short(inst)}”格式不符合要求。{desc}")
    if v == "minLength":
        return SchemaError(path, where, rule, f"内容过短：至少需要 {value} 个字符。")
    if v == "maxLength":
        return SchemaError(path, where, rule, f"内容过长：最多 {value} 个字符，现有 {len(inst)} 个。")
    if v in ("minimum", "exclusiveMinimum"):
        return SchemaError(path, where, rule, f"数值 {inst} 过小：不得小于 {value}。")
    if v in ("maximum", "exclusiveMaximum"):
        return SchemaError(path, where, rule, f"数值 {inst} 过大：不得大于 {value}。")
    if v == "minItems":
        return SchemaError(path, where, rule, f"列表至少需要 {value} 项。")
    if v == "maxItems":
        return SchemaError(path, where, rule, f"列表最多 {value} 项。")
    if v == "uniqueItems":
        return SchemaError(path, where, rule, "列表中有重复项，请删除重复的值。")
    if v == "minProperties":
        return SchemaError(path, where, rule, f"至少需要填写 {value} 个子字段。")
    if v == "not":
        return SchemaError(path, where, "schema-forbidden-field", f"此类报告不应包含字段“{where}”，请删除。")
    return SchemaError(path, where, rule, f"不符合格式要求（{snippet(err.message, 120)}）。")  # quotes the value


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"
