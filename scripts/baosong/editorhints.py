"""Editor hints in the JSON Schemas: what the Red Hat YAML extension (yaml-language-server) needs to
speak Chinese and to offer only what the report's kind and stage allow.

The hints are derived from the schemas' own titles, descriptions and branches, so they cannot drift
from what baosong checks; `python -m baosong.editorhints` rewrites schema/*.schema.json after a schema
change (tests/test_schemas.py fails until it has been run). Validation never depends on them: every
keyword added here is an annotation to JSON Schema (ajv registers them as such).

- `errorMessage` on every field (and on every object with required fields): the editor shows it in
  place of "Incorrect type", "String does not match the pattern of ^[0-9]{4}-…", "Missing property".
  baosong keeps its own, value-specific messages (schemas.explain).
- `enumDescriptions`: the Chinese label of each enum value, from the "value 中文 / value 中文" convention
  of the descriptions.
- Completion: the language server offers every property of every schema that matches the document,
  so the top level offers only fields every kind allows (`doNotSuggest` on the others), each kind or
  stage branch offers the fields it adds (annotation-only stubs with the field's title and
  description), and a field a branch forbids carries `deprecationMessage` (never offered; a Chinese
  warning if typed anyway — yaml-language-server has no Chinese hook for the failing `not`).
- `defaultSnippets` on the report: a whole emergency first report, a follow-up and an info item.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema

from baosong.vocab import KIND_ZH, STAGE_ZH

GENERATED = ("errorMessage", "enumDescriptions", "doNotSuggest", "deprecationMessage", "defaultSnippets")
_ABSENT = object()
TIME_EXAMPLE = "2026-11-25T14:30:00+08:00"


# --- stripping (so that generating twice gives the same file) -------------------------------------


def _is_forbid(sub: Any) -> bool:
    return isinstance(sub, dict) and sub.get("not") == {} and not set(sub) - {"not", *GENERATED}


def _is_stub(sub: Any) -> bool:
    """A completion stub (annotations only): what `_add_branch_hints` writes into a branch."""
    return isinstance(sub, dict) and bool(sub) and not set(sub) - {"title", "description"}


def strip(schema: dict) -> dict:
    """The schema without generated hints: forbids back to `{"not": {}}`, completion stubs removed."""
    out = copy.deepcopy(schema)

    def walk(node: Any, in_branch: bool) -> None:
        if isinstance(node, dict):
            for key in GENERATED:
                node.pop(key, None)
            props = node.get("properties")
            if in_branch and isinstance(props, dict):
                for name in [n for n, sub in props.items() if _is_stub(sub)]:
                    del props[name]
            for key, value in node.items():
                if key in ("if", "const", "enum", "default", "examples"):
                    continue
                branch = in_branch or key in ("allOf", "$defs", "then", "else")
                if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
                    for sub in value.values():
                        walk(sub, branch if key == "$defs" else False)
                else:
                    walk(value, branch)
        elif isinstance(node, list):
            for sub in node:
                walk(sub, in_branch)

    walk(out, False)
    return out


# --- messages ---------------------------------------------------------------------------------------


def _enum_labels(values: list, description: str) -> list[str] | None:
    """["first 首报", ...] from a description written as "first 首报 / followup 续报 / final 终报。…"."""
    labels = []
    for value in values:
        m = re.search(rf"(?:^|：| / ){re.escape(str(value))} (.+?)(?= / |。|$)", description)
        if not m:
            return None
        labels.append(m.group(1))
    return labels


def _range(lo: Any, hi: Any, unit: str) -> str:
    if lo is not None and hi is not None:
        return f" {lo} 到 {hi} 之间的{unit}"
    if lo is not None:
        return f"不小于 {lo} 的{unit}"
    if hi is not None:
        return f"不大于 {hi} 的{unit}"
    return unit


def _expectation(sub: dict, labels: dict) -> str:
    """What a value must look like, in Chinese, from the subschema's constraints."""
    if "enum" in sub:
        names = sub.get("enumDescriptions") or labels.get(json.dumps(sub["enum"]))
        options = [f"{v}（{n}）" for v, n in zip(sub["enum"], names, strict=True)] if names else map(str, sub["enum"])
        return "须为以下之一：" + "、".join(options)
    if "const" in sub:
        return f"须为 {json.dumps(sub['const'], ensure_ascii=False)}"
    kind = sub.get("type")
    if sub.get("format") == "date-time":
        return f"须为带时区、精确到秒的时间，如 \"{TIME_EXAMPLE}\"（加英文双引号）"
    if kind == "string":
        if "pattern" in sub:
            return "须符合格式：" + sub.get("description", "").rstrip("。")
        lo, hi = sub.get("minLength"), sub.get("maxLength")
        if lo and hi:
            return f"须为 {lo} 到 {hi} 个字的文字"
        if hi:
            return f"须为不超过 {hi} 个字的文字"
        return "须为文字"
    if kind == "integer":
        return "须为" + _range(sub.get("minimum"), sub.get("maximum"), "整数")
    if kind == "number":
        return "须为" + _range(sub.get("minimum"), sub.get("maximum"), "数（可带小数）")
    if kind == "boolean":
        return "须为 true（是）或 false（否）"
    if kind == "array":
        parts = ["须为列表"]
        if sub.get("minItems"):
            parts.append(f"至少 {sub['minItems']} 项")
        if sub.get("maxItems"):
            parts.append(f"最多 {sub['maxItems']} 项")
        if sub.get("uniqueItems"):
            parts.append("各项不重复")
        items = sub.get("items")
        text = "，".join(parts)
        if isinstance(items, dict) and items.get("type") != "object":
            text += f"；每一项：{_expectation(items, labels)}"
        return text
    if kind == "object":
        return _object_expectation(sub)
    return "取值不符合要求"


def _field_list(names: list[str], props: dict) -> str:
    return "、".join(f"{n}（{props.get(n, {}).get('title', n)}）" for n in names)


def _object_expectation(sub: dict, props: dict | None = None) -> str:
    props = props if props is not None else sub.get("properties", {})
    text = "须为“字段名: 值”的映射"
    if sub.get("required"):
        text += f"，必须填写 {_field_list(sub['required'], props)}"
    if sub.get("additionalProperties") is False and props:
        if len(props) <= 12:
            text += f"，只能包含 {_field_list(list(props), props)}"
        else:
            text += "，不能有模式中没有的字段（多为字段名拼写错误）"
    return text


def _add_messages(node: Any, labels: dict, name: str = "", title: str = "") -> None:
    """errorMessage on every declared field (at every depth) and enumDescriptions on every enum."""
    if isinstance(node, dict):
        if "enum" in node:
            names = _enum_labels(node["enum"], node.get("description", "")) or labels.get(json.dumps(node["enum"]))
            if names is None:
                raise ValueError(f"{name}: no Chinese label for every value of {node['enum']} in its description")
            node["enumDescriptions"] = names
        for key, value in list(node.items()):
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                for field, sub in value.items():
                    if isinstance(sub, dict) and not _is_forbid(sub):
                        t = str(sub.get("title", field))
                        _add_messages(sub, labels, field, t)
                        if "title" in sub:
                            sub["errorMessage"] = f"“{t}”（{field}）{_expectation(sub, labels)}。"
            elif key == "items" and isinstance(value, dict):
                _add_messages(value, labels, f"{name}[]", value.get("title", title))
                if value.get("type") == "object" and "title" in value:
                    value["errorMessage"] = f"“{value['title']}”{_object_expectation(value)}。"
            elif key not in ("if", "const", "enum", "default", "examples") and isinstance(value, dict | list):
                _add_messages(value, labels, name, title)
    elif isinstance(node, list):
        for sub in node:
            _add_messages(sub, labels, name, title)


def _collect_labels(node: Any, labels: dict) -> None:
    """enum (as JSON) -> labels, for enums whose own description does not list them (default_grade)."""
    if isinstance(node, dict):
        if "enum" in node:
            names = _enum_labels(node["enum"], node.get("description", ""))
            if names:
                labels.setdefault(json.dumps(node["enum"]), names)
        for value in node.values():
            _collect_labels(value, labels)
    elif isinstance(node, list):
        for sub in node:
            _collect_labels(sub, labels)


# --- the report's branches: completion and forbidden fields ---------------------------------------


def _resolve(schema: dict, node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _conditions(schema: dict) -> dict[str, list]:
    """field -> the const values `if` branches test it for (kind, stage, signoff_pending, sensitive)."""
    found: dict[str, list] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            cond = node.get("if")
            if isinstance(cond, dict):
                for field, sub in cond.get("properties", {}).items():
                    if isinstance(sub, dict) and "const" in sub and sub["const"] not in found.setdefault(field, []):
                        found[field].append(sub["const"])
            for key, value in node.items():
                if key != "if":
                    walk(value)
        elif isinstance(node, list):
            for sub in node:
                walk(sub)

    walk(schema)
    return found


def _phrase(cond: dict, taken: bool) -> str:
    parts = []
    for field, sub in cond.get("properties", {}).items():
        value = sub.get("const")
        if field == "kind":
            parts.append(KIND_ZH.get(value, str(value)) if taken else f"（kind 不是 {value}）")
        elif field == "stage":
            parts.append(STAGE_ZH.get(value, str(value)) if taken else f"（stage 不是 {value}）")
        else:
            shown = json.dumps(value, ensure_ascii=False)
            parts.append(f"（{field}: {shown}）" if taken else f"（未写 {field}: {shown}）")
    return "".join(parts)


def _branch_tree(schema: dict, doc: dict) -> list[tuple[dict, dict | None, str]]:
    """The schema nodes a document takes, each with its parent node and a Chinese label."""
    out: list[tuple[dict, dict | None, str]] = []
    stack: list[tuple[Any, dict | None, str]] = [(schema, None, "")]
    while stack:
        raw, parent, label = stack.pop()
        node = _resolve(schema, raw)
        if not isinstance(node, dict):
            continue
        out.append((node, parent, label))
        branches = ([node] if "if" in node else []) + [b for b in node.get("allOf", []) if isinstance(b, dict)]
        for branch in branches:
            if "if" not in branch:
                stack.append((branch, node, label))
                continue
            ok = jsonschema.Draft202012Validator(branch["if"]).is_valid(doc)
            taken = branch.get("then") if ok else branch.get("else")
            if taken is not None:
                stack.append((taken, node, label + _phrase(branch["if"], ok)))
    return out


def _add_branch_hints(schema: dict) -> None:
    props = schema["properties"]
    conditions = _conditions(schema)
    docs = []
    for combo in itertools.product(*[[*values, _ABSENT] for values in conditions.values()]):
        docs.append({f: v for f, v in zip(conditions, combo, strict=True) if v is not _ABSENT})
    allowed: dict[int, set[str]] = {}
    nodes: dict[int, tuple[dict, dict | None, str]] = {}
    for doc in docs:
        tree = _branch_tree(schema, doc)
        forbidden = {f for node, _, _ in tree for f, sub in node.get("properties", {}).items() if _is_forbid(sub)}
        ok = set(props) - forbidden
        for node, parent, label in tree:
            nodes[id(node)] = (node, parent, label)
            allowed[id(node)] = allowed[id(node)] & ok if id(node) in allowed else set(ok)
    common = allowed[id(schema)]
    for field, sub in props.items():
        if field not in common:
            sub["doNotSuggest"] = True
    for key, (node, parent, label) in nodes.items():
        if node is schema:
            continue
        inherited: set[str] = set()
        p = parent
        while p is not None:
            inherited |= allowed[id(p)]
            p = nodes[id(p)][1]
        fresh = [f for f in props if f in allowed[key] and f not in inherited]
        node_props = node.setdefault("properties", {})
        for field in fresh:
            if field not in node_props:
                node_props[field] = {"title": props[field]["title"], "description": props[field]["description"]}
        for field, sub in node_props.items():
            if _is_forbid(sub):
                sub["deprecationMessage"] = (
                    f"{label or '此类报告'}不填写“{props[field]['title']}”（{field}），请删除这一项。")
        if not node_props:
            del node["properties"]
        if node.get("required"):
            node["errorMessage"] = f"{label or '此类报告'}必须填写 {_field_list(node['required'], props)}。"


def _snippet_value(sub: dict, n: int) -> Any:
    if "enum" in sub:
        return f"${{{n}|{','.join(map(str, sub['enum']))}|}}"
    if sub.get("format") == "date-time":
        return f"${{{n}:{TIME_EXAMPLE}}}"
    kind = sub.get("type")
    if kind in ("integer", "number"):
        return sub.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "array":
        return [f"${{{n}}}"]
    if kind == "object":
        return {k: _snippet_value(v, n) for k, v in sub.get("properties", {}).items()
                if k in sub.get("required", sub.get("properties", {}))}
    return f"${{{n}:{sub.get('title', '')}}}"


def _add_snippets(schema: dict) -> None:
    """Skeletons of the three documents officers write most; field order as `baosong new` writes it."""
    props = schema["properties"]
    wanted = [
        ("紧急信息首报（完整模板）", {"kind": "emergency", "stage": "first"},
         ["id", "kind", "stage", "unit", "title", "created_at", "author", "reviewer", "signer", "category",
          "occurred_at", "discovered_at", "place", "description", "casualties", "economic_loss", "grade",
          "sensitive", "trend", "measures", "involved_units"]),
        ("紧急信息续报", {"kind": "emergency", "stage": "followup"},
         ["id", "kind", "stage", "incident", "sequence", "unit", "title", "created_at", "author", "reviewer",
          "signer", "description", "casualties", "grade", "measures"]),
        ("政务信息", {"kind": "info"},
         ["id", "kind", "unit", "title", "created_at", "author", "reviewer", "signer", "info_type", "body",
          "keywords"]),
    ]
    snippets = []
    for label, fixed, fields in wanted:
        body: dict[str, Any] = {}
        for n, field in enumerate(fields, 1):
            body[field] = fixed[field] if field in fixed else _snippet_value(props[field], n)
        snippets.append({"label": label, "description": f"新建一份{label}：按提示逐项填写，填好后运行 baosong check。",
                         "body": body})
    schema["defaultSnippets"] = snippets


# --- entry points ------------------------------------------------------------------------------------


def add_hints(schema: dict) -> dict:
    """The schema with freshly generated editor hints (any previous ones are replaced)."""
    out = strip(schema)
    labels: dict = {}
    _collect_labels(out, labels)
    _add_messages(out, labels)
    if out.get("required"):
        what = out.get("title", "文件")
        out["errorMessage"] = f"{what}{_object_expectation(out)}。"
    if out.get("allOf") and "kind" in out.get("properties", {}):  # the report schema
        _add_branch_hints(out)
        _add_snippets(out)
    return out


def dumps(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or sorted(Path("schema").glob("*.schema.json"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = dumps(add_hints(json.loads(text)))
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
