"""Load the trust roots: schemas and `config/` (units, policy), each validated, as plain data."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from baosong import __version__
from baosong.problems import Problem, snippet
from baosong.sources import Source, WorkTree

if TYPE_CHECKING:
    from baosong.schemas import Schema

UNITS_PATH = "config/units.yaml"
POLICY_PATH = "config/policy.yaml"
REPORT_SCHEMA_PATH = "schema/report.schema.json"
UNITS_SCHEMA_PATH = "schema/units.schema.json"
POLICY_SCHEMA_PATH = "schema/policy.schema.json"



@dataclass
class Config:
    units: dict[str, dict] = field(default_factory=dict)
    staff: dict[str, dict] = field(default_factory=dict)  # staff id -> staff entry plus "unit"
    registry_office: str = ""
    units_doc: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)
    report_schema: Schema | None = None
    fingerprint: str = ""  # changes whenever anything that judges a report changes
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report_schema is not None and not any(p.is_error for p in self.problems)

    def staff_of(self, unit: str) -> list[dict]:
        return self.units.get(unit, {}).get("staff", [])


def _refused_link(source: Source, relpath: str, problems: list[Problem]) -> bool:
    """A work-tree trust root behind a symbolic link is not read (nor echoed): say so, not "missing"."""
    link = source.refused.get(relpath) if isinstance(source, WorkTree) else None
    if link is None:
        return False
    problems.append(Problem(relpath, 1, 1, "", "config-symlink",
                            f"“{link}”是符号链接，检查不会读取它指向的内容：配置与模式文件必须是登记库中的普通文件。"
                            "请删除该链接，从模板仓库或主分支恢复普通文件（git checkout -- config schema）。"))
    return True


def _load_schema(source: Source, relpath: str, problems: list[Problem]) -> Schema | None:
    # Imported here: jsonschema is most of the import time, and the server's hooks often need none.
    from baosong.schemas import Schema

    raw = source.read(relpath)
    if raw is None:
        if _refused_link(source, relpath, problems):
            return None
        problems.append(Problem(relpath, 1, 1, "", "config-missing", "缺少模式文件，请从模板仓库恢复。"))
        return None
    try:
        return Schema(json.loads(raw.decode("utf-8")), relpath)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        col = getattr(exc, "colno", 1)
        problems.append(Problem(relpath, line, col, "", "config-schema-invalid", f"模式文件不是有效的 JSON：{exc}"))
    except Exception as exc:  # a schema that the validator refuses to compile
        problems.append(Problem(relpath, 1, 1, "", "config-schema-invalid", f"模式文件无法编译：{snippet(exc, 200)}"))
    return None


def _load_yaml_doc(source: Source, relpath: str, schema: Schema | None, problems: list[Problem]) -> dict | None:
    raw = source.read(relpath)
    if raw is None:
        if _refused_link(source, relpath, problems):
            return None
        problems.append(Problem(relpath, 1, 1, "", "config-missing", "缺少配置文件，请从模板仓库恢复。"))
        return None
    from baosong.yamlload import load_yaml

    loaded = load_yaml(raw, relpath)
    problems.extend(loaded.problems)
    if loaded.data is None or schema is None:
        return None
    errors = schema.errors(loaded.data)
    for err in errors:
        line, col = loaded.position(err.path)
        problems.append(Problem(relpath, line, col, err.field, err.rule, err.message))
    return None if errors else loaded.data


def _cross_check_units(doc: dict, problems: list[Problem]) -> tuple[dict, dict]:
    units: dict[str, dict] = {}
    staff: dict[str, dict] = {}

    def problem(rule: str, message: str, fieldname: str = "") -> None:
        problems.append(Problem(UNITS_PATH, 1, 1, fieldname, rule, message))

    for unit in doc.get("units", []):
        code = unit["code"]
        if code in units:
            problem("config-duplicate-unit", f"单位代码“{code}”重复定义。", "units")
        units[code] = unit
        for person in unit.get("staff", []):
            if person["id"] in staff:
                problem("config-duplicate-staff", f"人员标识“{person['id']}”在多个单位重复出现，须全局唯一。")
            staff[person["id"]] = {**person, "unit": code}
    for code, unit in units.items():
        parent = unit.get("parent")
        if parent and parent not in units:
            problem("config-unknown-parent", f"单位“{code}”的上级单位“{parent}”不存在。")
    own = (doc.get("registry") or {}).get("id")
    lower: dict[str, str] = {}
    for code, unit in units.items():
        rid = (unit.get("registry") or {}).get("id")
        if rid is None:
            continue
        if rid == own:
            problem("config-registry-id", f"单位“{code}”登记的下级登记库标识“{rid}”与本登记库自己的 registry.id 相同。", "units")
        elif rid in lower:
            problem("config-registry-id", f"下级登记库标识“{rid}”同时登记在单位“{lower[rid]}”和“{code}”下，须一一对应。", "units")
        lower.setdefault(rid, code)
    office = doc.get("registry_office")
    if office not in units:
        problem("config-unknown-office", f"登记机关单位“{office}”不在单位列表中。", "registry_office")
    return units, staff


def load_config(source: Source) -> Config:
    """Read schemas and configuration from a source; problems say what is wrong with them."""
    problems: list[Problem] = []
    report_schema = _load_schema(source, REPORT_SCHEMA_PATH, problems)
    units_schema = _load_schema(source, UNITS_SCHEMA_PATH, problems)
    policy_schema = _load_schema(source, POLICY_SCHEMA_PATH, problems)
    units_doc = _load_yaml_doc(source, UNITS_PATH, units_schema, problems)
    policy = _load_yaml_doc(source, POLICY_PATH, policy_schema, problems)
    cfg = Config(problems=problems, report_schema=report_schema, policy=policy or {}, units_doc=units_doc or {})
    if units_doc is not None:
        cfg.units, cfg.staff = _cross_check_units(units_doc, problems)
        cfg.registry_office = units_doc.get("registry_office", "")
    digest = hashlib.sha256(__version__.encode())
    for rel in (REPORT_SCHEMA_PATH, UNITS_PATH, POLICY_PATH):
        digest.update((source.read(rel) or b"") + b"\0")
    cfg.fingerprint = digest.hexdigest()[:16]
    return cfg


def config_from_units(units_doc: dict) -> Config:
    """A Config holding only a units.yaml already validated by load_config (for the server's hooks,
    which cache it: they need the people and keys, not the report schema or the policy)."""
    cfg = Config(units_doc=units_doc, registry_office=units_doc.get("registry_office", ""))
    cfg.units, cfg.staff = _cross_check_units(units_doc, cfg.problems)
    return cfg


def staff_roles(cfg: Config, staff_id: Any) -> tuple[str | None, list[str]]:
    """(unit, roles) of a staff id, (None, []) when unknown."""
    person = cfg.staff.get(staff_id) if isinstance(staff_id, str) else None
    if person is None:
        return None, []
    return person["unit"], list(person.get("roles", []))
