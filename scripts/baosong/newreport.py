"""`baosong new`, the pure part: ids, which fields a kind needs, parsing answers, follow-up prefill,
writing the YAML file text, and the small per-user settings file (last unit and officer).

Which fields are required or forbidden is read from the JSON Schema itself (its if/then branches
per kind and stage), so the helper can never ask for less than CI will demand.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema

from baosong.config import Config
from baosong.grading import GRADES, computed_grade, figures_of, severity
from baosong.rules import REPORT_ID_RE, may_join_incident
from baosong.schemas import Schema
from baosong.timeutil import parse_datetime, parse_offset
from baosong.yamlload import load_yaml

SCHEMA_LINE = "# yaml-language-server: $schema=../../../schema/report.schema.json"

# The order fields are asked in and written in; kind-specific fields follow in this order too.
HEADER_FIELDS = ("id", "kind", "stage", "incident", "sequence", "unit", "title", "created_at",
                 "author", "reviewer", "signer", "signoff_pending")
# Fields worth asking for besides the schema's required ones (all optional there).
PROMPT_FIELDS: dict[str, tuple[str, ...]] = {
    "emergency/first": ("category", "occurred_at", "discovered_at", "phoned_at", "place", "description",
                        "casualties", "economic_loss", "grade", "sensitive", "sensitive_reason", "trend",
                        "measures", "cause", "involved_units"),
    "emergency/followup": ("description", "casualties", "economic_loss", "grade", "trend", "measures", "cause"),
    "emergency/final": ("description", "casualties", "economic_loss", "grade", "cause", "measures"),
    "info": ("info_type", "body", "keywords"),
    "opinion": ("platform", "url", "first_seen_at", "spread", "verification", "body", "involved_units"),
    "adoption": ("report", "outlet", "level", "adopted_at", "note"),
    "instruction": ("report", "leader", "level", "instructed_at", "content"),
    "notice": ("finding", "target_unit", "report", "incident", "decided_at", "body"),
    "correction": ("report", "reason", "body"),
    "request": ("target_units", "target_levels", "due_at", "requirements", "purpose", "contact", "points"),
    "decline": ("request", "decline_reason"),
    "duty_period": ("target_units", "target_levels", "start_date", "end_date", "daily_deadline",
                    "zero_report_required", "requirements", "contact"),
    "daily": ("duty_period", "date", "nothing_to_report", "body"),
}
# Figures a follow-up carries forward from the incident so far ("截至报告时的累计").
CARRIED_FIGURES = ("casualties", "economic_loss", "grade")


# --- ids -----------------------------------------------------------------------------------------


def report_path(report_id: str) -> str:
    """reports/<yyyy>/<unit>/<id>.yaml for a well-formed id."""
    m = REPORT_ID_RE.match(report_id)
    if not m:
        raise ValueError(f"报告编号“{report_id}”格式不对，应如 gaj-20261125-wangli-01。")
    return f"reports/{m.group(2)[:4]}/{m.group(1)}/{report_id}.yaml"


def _git(root: Path, *args: str) -> str:
    """stdout of a git command in `root`, or "" when git or the repository is not there."""
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else ""


def _branch_commits(root: Path) -> list[str]:
    """The tips of every local and remote-tracking branch: an officer's open pull requests live there."""
    return sorted(set(_git(root, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes").split()))[:500]


def _git_names(root: Path, directory: str) -> set[str]:
    """File names under `directory` on every branch, so another open pull request's id is not reused."""
    names: set[str] = set()
    for commit in _branch_commits(root):
        names.update(Path(line).name for line in _git(root, "ls-tree", "--name-only", commit, directory + "/").splitlines())
    return names


def _branch_documents(root: Path, needle: str) -> dict[str, dict]:
    """{path: document} of report files on any branch whose text mentions `needle` (one `git grep`)."""
    commits = _branch_commits(root)
    if not commits:
        return {}
    found: dict[str, dict] = {}
    for line in _git(root, "grep", "-l", "-F", "-e", needle, *commits, "--", "reports/").splitlines():
        commit, _, path = line.partition(":")
        if path in found or not path.endswith(".yaml"):
            continue
        loaded = load_yaml(_git(root, "cat-file", "blob", f"{commit}:{path}").encode(), path)
        if isinstance(loaded.data, dict):
            found[path] = loaded.data
    return found


def next_id(root: Path, unit: str, author: str, day: str) -> str:
    """`<unit>-<yyyymmdd>-<author>-<nn>` with nn one past the highest used by this officer that day,
    looking at the working tree and at every branch."""
    directory = f"reports/{day[:4]}/{unit}"
    names = set(os.listdir(root / directory)) if (root / directory).is_dir() else set()
    names |= _git_names(root, directory)
    prefix = f"{unit}-{day}-{author}-"
    used = [int(n[len(prefix):len(prefix) + 2]) for n in names
            if n.startswith(prefix) and re.fullmatch(r"[0-9]{2}\.yaml", n[len(prefix):])]
    number = max(used, default=0) + 1
    if number > 99:
        raise ValueError(f"{author} 在 {day} 已用完 99 个报告序号，请改日期或联系登记管理员。")
    return f"{prefix}{number:02d}"


# --- what the schema asks for ------------------------------------------------------------------


@dataclass
class FieldRules:
    required: list[str] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)


def _resolve(schema: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _never(sub: Any) -> bool:
    """A subschema nothing satisfies: `false` or `{"not": {}}` (how the schema forbids a field), with or
    without the editor's annotations (editorhints.py adds `deprecationMessage`)."""
    return sub is False or (isinstance(sub, dict) and sub.get("not") == {}
                            and not set(sub) - {"not", "deprecationMessage", "doNotSuggest", "errorMessage"})


def field_rules(schema: dict, doc: dict) -> FieldRules:
    """Required and forbidden top-level fields for a (partial) document, following the schema's
    allOf/if/then/else branches whose `if` the document satisfies (kind, stage, signoff_pending...)."""
    rules = FieldRules()
    stack = [schema]
    while stack:
        node = _resolve(schema, stack.pop())
        if not isinstance(node, dict):
            continue
        for name in node.get("required", []):
            if name not in rules.required:
                rules.required.append(name)
        rules.forbidden.update(k for k, v in node.get("properties", {}).items() if _never(v))
        branches = []
        if "if" in node:
            branches.append(node)
        branches.extend(sub for sub in node.get("allOf", []) if isinstance(sub, dict))
        for branch in reversed(branches):
            if "if" not in branch:
                stack.append(branch)
                continue
            taken = branch.get("then") if jsonschema.Draft202012Validator(branch["if"]).is_valid(doc) \
                else branch.get("else")
            if taken is not None:
                stack.append(taken)
    rules.required = [n for n in rules.required if n not in rules.forbidden]
    return rules


def kind_key(kind: str, stage: str | None) -> str:
    return f"{kind}/{stage}" if kind == "emergency" else kind


def body_fields(schema: dict, doc: dict) -> list[str]:
    """The kind-specific fields to ask for, in asking order: the curated list plus anything else the
    schema requires, minus what it forbids."""
    rules = field_rules(schema, doc)
    wanted = list(PROMPT_FIELDS.get(kind_key(doc.get("kind", ""), doc.get("stage")), ()))
    wanted += [n for n in rules.required if n not in wanted and n not in HEADER_FIELDS]
    props = schema.get("properties", {})
    return [n for n in wanted if n in props and n not in rules.forbidden]


def prop_schema(schema: dict, name: str) -> dict:
    """A top-level field's schema; `a.b` for a nested property."""
    node: Any = schema
    for part in name.split("."):
        node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def enum_labels(prop: dict) -> dict[str, str]:
    """{value: Chinese label} from a description that says `code 中文 / code 中文`."""
    desc = prop.get("description", "")
    labels: dict[str, str] = {}
    for value in prop.get("enum", []):
        m = re.search(rf"(?<![A-Za-z0-9_]){re.escape(str(value))}\s+([^\s；。，,]+)", desc)
        labels[value] = m.group(1) if m else ""
    return labels


# --- answers -------------------------------------------------------------------------------------


def local_tz(cfg: Config) -> timezone:
    try:
        return parse_offset(cfg.policy.get("timezone", "+08:00"))
    except (ValueError, AttributeError):
        return timezone(timedelta(hours=8))


def parse_time(text: str, now: datetime) -> str:
    """ISO with an offset as typed, or the short forms officers type: `2026-11-25 14:30`, `14:30`,
    `现在`; short forms take `now`'s offset and date."""
    text = text.strip().replace("：", ":")
    if text in ("现在", "now", "刚才"):
        return now.isoformat(timespec="seconds")
    full = parse_datetime(text)
    if full is not None:
        return full.isoformat(timespec="seconds")
    m = re.fullmatch(r"(?:(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T]?)?(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if m:
        y, mo, d, h, mi, s = m.groups()
        try:
            when = now.replace(hour=int(h), minute=int(mi), second=int(s or 0), microsecond=0)
            if y:
                when = when.replace(year=int(y), month=int(mo), day=int(d))
            return when.isoformat(timespec="seconds")
        except ValueError:
            pass
    raise ValueError(f"时间“{text}”无法识别：请写成 2026-11-25 14:30（或 14:30 表示今天、“现在”），"
                     "也可写完整的 2026-11-25T14:30:00+08:00。")


_TRUE = {"是", "y", "yes", "true", "1", "对", "有"}
_FALSE = {"否", "n", "no", "false", "0", "不", "无", "没有"}


def parse_answer(prop: dict, text: str, now: datetime) -> Any:
    """Turn typed text into the field's value, by the field's schema. Raises ValueError (Chinese)."""
    text = text.strip()
    kind = prop.get("type")
    if "enum" in prop:
        labels = enum_labels(prop)
        for value, label in labels.items():
            if text in (value, label) or (label and text == label.split("（")[0]):
                return value
        if text.isdigit() and 1 <= int(text) <= len(labels):
            return list(labels)[int(text) - 1]
        raise ValueError(f"“{text}”不是可选的值，请从 {'、'.join(labels)} 中选择（可填序号）。")
    if prop.get("format") == "date-time":
        return parse_time(text, now)
    if kind in ("integer", "number"):
        try:
            number = float(text.replace(",", "").replace("，", ""))
        except ValueError:
            raise ValueError(f"“{text}”不是数字，请只填阿拉伯数字，如 3。") from None
        if kind == "integer" or number.is_integer():
            if not number.is_integer():
                raise ValueError(f"“{text}”须为整数。")
            return int(number)
        return number
    if kind == "boolean":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"“{text}”请回答 是 或 否。")
    if kind == "array":
        return [part for part in re.split(r"[,，、;；\s]+", text) if part]
    return text


def field_errors(schema: dict, name: str, value: Any) -> list[str]:
    """Chinese messages for one field's value on its own (pattern, length, range...)."""
    prop = prop_schema(schema, name)
    wrapper = {"type": "object", "properties": {name: prop}}
    return [e.message for e in Schema(wrapper, name).errors({name: value})]


def default_staff(cfg: Config, unit: str, role: str) -> str | None:
    """The unit's only person with `role`, when there is exactly one."""
    people = [p["id"] for p in cfg.staff_of(unit) if role in p.get("roles", [])]
    return people[0] if len(people) == 1 else None


def suggested_grade(doc: dict, cfg: Config, floor: str | None = None) -> str | None:
    """The grade the figures imply (or `floor`, the incident's grade so far, if more severe)."""
    grade, _ = computed_grade(doc.get("category"), figures_of(doc), cfg.policy)
    candidates = [g for g in (grade, floor) if g in GRADES]
    return min(candidates, key=severity) if candidates else None


# --- incidents -----------------------------------------------------------------------------------


@dataclass
class Incident:
    id: str
    path: str
    first: dict
    followups: list[tuple[str, dict]] = field(default_factory=list)  # (path, doc) ordered by sequence
    final: tuple[str, dict] | None = None
    unmerged: list[str] = field(default_factory=list)  # series files found only on other branches

    @property
    def next_sequence(self) -> int:
        return max((d.get("sequence", 0) for _, d in self.followups), default=0) + 1

    def latest(self) -> dict:
        """The figures so far: each carried field from the most recent report that states it."""
        out: dict = {}
        for doc in [self.first] + [d for _, d in self.followups]:
            out.update({k: doc[k] for k in CARRIED_FIGURES if k in doc})
        return out


def _load_file(path: Path) -> dict | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    loaded = load_yaml(data, str(path))
    return loaded.data if isinstance(loaded.data, dict) else None


def find_incident(root: Path, incident_id: str, *, branches: bool = True) -> Incident | None:
    """The incident's first report and its series, from the working tree and (`branches`) from every
    branch, so a follow-up still waiting in an open pull request counts for the next number."""
    try:
        rel = report_path(incident_id)
    except ValueError:
        return None
    docs: dict[str, dict] = _branch_documents(root, incident_id) if branches else {}
    needle = incident_id.encode()
    year = int(incident_id.split("-")[1][:4])
    for year_dir in sorted((root / "reports").glob("[0-9][0-9][0-9][0-9]")):
        if not year_dir.name.isdigit() or int(year_dir.name) < year:
            continue
        for path in sorted(year_dir.glob("*/*.yaml")):
            try:
                if needle not in path.read_bytes():  # cheap filter before the strict parse
                    continue
            except OSError:
                continue
            doc = _load_file(path)
            if doc:
                docs[path.relative_to(root).as_posix()] = doc  # the working tree wins over branches
    elsewhere = {p for p in docs if not (root / p).is_file()}
    first = docs.get(rel)
    if first is None or first.get("kind") != "emergency" or first.get("stage") != "first":
        return None
    incident = Incident(incident_id, rel, first)
    seen: set[Any] = set()
    for relpath, doc in sorted(docs.items()):
        if doc.get("kind") != "emergency" or doc.get("incident") != incident_id or doc.get("id") in seen:
            continue
        if not may_join_incident(doc.get("unit"), doc.get("stage"), first):
            continue  # another unit's report (refused by check): neither numbers nor closes the series
        seen.add(doc.get("id"))
        if relpath in elsewhere:
            incident.unmerged.append(relpath)
        if doc.get("stage") == "followup" and isinstance(doc.get("sequence"), int):
            incident.followups.append((relpath, doc))
        elif doc.get("stage") == "final":
            incident.final = (relpath, doc)
    incident.followups.sort(key=lambda item: item[1]["sequence"])
    return incident


def open_incidents(root: Path, unit: str, limit: int = 9) -> list[Incident]:
    """This unit's most recent incidents without a final report, newest first (for choosing one; the
    series itself is read by `find_incident`). One pass over the files: cheap byte filters first."""
    firsts: list[tuple[str, dict]] = []
    for path in sorted((root / "reports").glob(f"*/{unit}/*.yaml"), reverse=True):
        if len(firsts) >= limit * 3:
            break
        if b"first" not in path.read_bytes():
            continue
        doc = _load_file(path)
        if doc and doc.get("kind") == "emergency" and doc.get("stage") == "first" and isinstance(doc.get("id"), str):
            firsts.append((path.relative_to(root).as_posix(), doc))
    if not firsts:
        return []
    oldest_year = min(doc["id"].split("-")[1][:4] for _, doc in firsts)
    closed: set[str] = set()
    for year_dir in (root / "reports").glob("[0-9][0-9][0-9][0-9]"):
        if year_dir.name < oldest_year:
            continue
        for path in year_dir.glob("*/*.yaml"):
            data = path.read_bytes()
            if b"final" in data and b"incident" in data:
                doc = _load_file(path)
                # Only the incident's own unit closes it (rule incident-unit).
                if doc and doc.get("stage") == "final" and doc.get("unit") == unit \
                        and isinstance(doc.get("incident"), str):
                    closed.add(doc["incident"])
    found = [Incident(doc["id"], rel, doc) for rel, doc in firsts if doc["id"] not in closed]
    found.sort(key=lambda inc: str(inc.first.get("created_at", "")), reverse=True)
    return found[:limit]


def prefill_from_incident(incident: Incident, stage: str) -> dict:
    """What a follow-up or final report starts with: the incident, the next number, figures so far."""
    doc: dict = {"incident": incident.id}
    if stage == "followup":
        doc["sequence"] = incident.next_sequence
    doc.update(incident.latest())
    title = str(incident.first.get("title", ""))
    suffix = f"（第{incident.next_sequence}次续报）" if stage == "followup" else "（终报）"
    doc["title"] = title[: 80 - len(suffix)] + suffix
    return doc


def arrival_time(root: Path, relpath: str) -> datetime | None:
    """When a report reached the main line, as far as the local clone knows (the committer time of
    the commit that added it: the register's fallback clock). None when not yet committed."""
    return parse_datetime(_git(root, "log", "-1", "--diff-filter=A", "--format=%cI", "--", relpath).strip())


# --- the document and its text ------------------------------------------------------------------


class _Layout:
    """What the writer needs of one schema, computed once: each field's rank and title comment, and
    the title comments of a mapping field's own fields (`forwarded_from`)."""

    __slots__ = ("schema", "properties", "rank", "comments", "sub_comments")

    def __init__(self, schema: dict) -> None:
        self.schema = schema  # held so that its id is not reused while cached
        props = schema.get("properties", {})
        self.properties = props
        self.rank: dict[str, int] = {}
        for name in [*HEADER_FIELDS, *props]:
            self.rank.setdefault(name, len(self.rank))
        self.comments: dict[str, str] = {}
        self.sub_comments: dict[str, dict[str, str]] = {}
        for key, prop in props.items():
            if not isinstance(prop, dict):
                continue
            title = prop.get("title", "")
            self.comments[key] = f"  # {title}" if title else ""
            sub = prop.get("properties", {})
            if isinstance(sub, dict):
                self.sub_comments[key] = {k: (f"  # {t}" if (t := v.get("title", "")) else "")
                                          for k, v in sub.items() if isinstance(v, dict)}


_LAYOUTS: dict[int, _Layout] = {}


def _layout(schema: dict) -> _Layout:
    """The schema's layout, cached by identity: a registry loads its schema once and never edits it,
    and the demo writes thousands of files with the same one. A different properties object (a schema
    rebuilt or edited by replacing its properties) gets a fresh layout."""
    layout = _LAYOUTS.get(id(schema))
    if layout is None or layout.schema is not schema or layout.properties is not schema.get("properties", {}):
        if len(_LAYOUTS) > 32:
            _LAYOUTS.clear()
        layout = _LAYOUTS[id(schema)] = _Layout(schema)
    return layout


def order_document(doc: dict, schema: dict) -> dict:
    """Header fields first, then the rest in the schema's property order; empty values dropped."""
    rank = _layout(schema).rank
    last = len(rank)
    keep = {k: v for k, v in doc.items() if v is not None and v != "" and v != [] and v != {}}
    return {k: keep[k] for k in sorted(keep, key=lambda k: rank.get(k, last))}


_PLAIN_SAFE = re.compile(r"^[a-z][a-z0-9_]*(?:-[a-z0-9]+)*\Z")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# What `json.dumps(text, ensure_ascii=False)` returns for a str, without building an encoder per call.
_json_string = json.encoder.encode_basestring


def _scalar(value: Any) -> str:
    if type(value) is str:  # the common case first (same result as the `str(value)` path below)
        if _PLAIN_SAFE.match(value) and value not in _YAML11_WORDS:
            return value
        return _json_string(value)
    if value is None:
        return "null"  # a declared change from or to nothing (forwarded_from.changes)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Plain decimals, never exponents: what an officer reads and writes (`1e+16` is a YAML 1.2 float too).
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0")
    text = str(value)
    if _PLAIN_SAFE.match(text) and text not in _YAML11_WORDS:
        return text  # codes and ids read the same under every YAML version
    # Otherwise double-quoted: no YAML 1.1 surprises (times, yes/no), and `: ` or `#` cannot break it.
    return _json_string(text)


def _block_ok(text: str) -> bool:
    lines = text.split("\n")
    return (not text.startswith((" ", "\n")) and not text.endswith("\n")
            and all(line == line.rstrip() for line in lines) and "\r" not in text)


def _nested(key: str, value: Any, comment: str) -> list[str]:
    """Lines of one field inside a mapping (a forward's `forwarded_from`): texts of several lines as
    block scalars (`|` keeps the one final line break of a file's text), lists of mappings in flow style."""
    if isinstance(value, str) and "\n" in value:
        body, indicator = (value[:-1], "|") if value.endswith("\n") else (value, "|-")
        if _block_ok(body) and "\t" not in body:
            return [f"  {key}: {indicator}{comment}", *(f"    {line}" if line else "" for line in body.split("\n"))]
    if isinstance(value, list):
        items = [", ".join(f"{k}: {_scalar(v)}" for k, v in item.items()) if isinstance(item, dict) else _scalar(item)
                 for item in value]
        return [f"  {key}:{comment}", *(f"    - {{{item}}}" if isinstance(v, dict) else f"    - {item}"
                                        for item, v in zip(items, value, strict=True))]
    if isinstance(value, str) and '"' in value and "\\" not in value and value.isprintable():
        # Single-quoted: a receipt's JSON stays readable and free of backslashes (which would make
        # `check --base` parse the file in full for every pull request, see prcheck.may_mention).
        return [f"  {key}: '{value.replace(chr(39), chr(39) * 2)}'{comment}"]
    return [f"  {key}: {_scalar(value)}{comment}"]


def render_yaml(doc: dict, schema: dict) -> str:
    """The file text: the editor's schema line, then one field per line with its Chinese title."""
    out = [SCHEMA_LINE]
    layout = _layout(schema)
    comments, sub_comments = layout.comments, layout.sub_comments
    for key, value in doc.items():
        comment = comments.get(key, "")
        if type(value) is str and "\n" not in value:  # most fields: one line of text or a code
            out.append(f"{key}: {_scalar(value)}{comment}")
        elif isinstance(value, dict):
            out.append(f"{key}:{comment}")
            sub = sub_comments.get(key, {})
            for k, v in value.items():
                out.extend(_nested(k, v, sub.get(k, "")))
        elif isinstance(value, list):
            out.append(f"{key}: [{', '.join(_scalar(v) for v in value)}]{comment}")
        elif isinstance(value, str) and "\n" in value and _block_ok(value):
            out.append(f"{key}: |-{comment}")
            out.extend(f"  {line}" if line else "" for line in value.split("\n"))
        else:
            out.append(f"{key}: {_scalar(value)}{comment}")
    return "\n".join(out) + "\n"


def document_text(doc: dict, schema: dict) -> str:
    return render_yaml(order_document(doc, schema), schema)


# --- remembered answers -------------------------------------------------------------------------


def settings_file() -> Path:
    """Per-user settings: %APPDATA%\\baosong on Windows, $XDG_CONFIG_HOME/baosong (~/.config) elsewhere."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "baosong" / "last.json"


def load_last() -> dict:
    try:
        data = json.loads(settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def save_last(**values: str) -> None:
    """Best effort: a read-only home directory must not stop a report from being written."""
    path = settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**load_last(), **values}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass
