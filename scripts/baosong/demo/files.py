"""The demo's files besides the history: the tool's schema/ and config/ copied into the new registry,
throwaway keys written into config/units.yaml, and report files as an officer's editor leaves them."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import baosong
from baosong.config import Config, load_config
from baosong.demo.world import DEFAULT_START, KEY_DIR, DemoError
from baosong.sources import WorkTree
from baosong.sshsig import SshKey
from baosong.timeutil import iso


def tool_root() -> Path:
    return Path(baosong.__file__).resolve().parents[2]


def prepare(out: Path, now: datetime) -> Config:
    """Create `out` (which must not exist or be empty) with the tool's schema/ and config/; their configuration."""
    if out.exists() and any(out.iterdir()):
        raise DemoError(f"目标目录 {out} 已存在且不为空，请指定新目录或先删除。")
    root = tool_root()
    if not (root / "config" / "units.yaml").is_file() or not (root / "schema").is_dir():
        raise DemoError(f"在 {root} 找不到 config/ 与 schema/，无法生成演示库。")
    if now <= DEFAULT_START + timedelta(days=20):
        raise DemoError(f"--now 须晚于 {iso(DEFAULT_START + timedelta(days=20))}。")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("schema", "config"):
        shutil.copytree(root / name, out / name)
    if (root / "mkdocs.yml").is_file():
        shutil.copy2(root / "mkdocs.yml", out / "mkdocs.yml")
    (out / ".gitignore").write_text(f"{KEY_DIR}/\n.baosong-cache/\nsite/\n")
    cfg = load_config(WorkTree(out))
    if not cfg.ok:
        raise DemoError("工具自带的配置未通过检查：" + "；".join(p.render() for p in cfg.problems[:3]))
    return cfg


def write_keys(out: Path, cfg: Config) -> tuple[dict[str, SshKey], SshKey, Config]:
    """Throwaway keys, one per staff member and one for the registry itself: saved under KEY_DIR and
    registered in config/units.yaml. (keys by staff id, the registry's key, the configuration with them)."""
    key_dir = out / KEY_DIR
    key_dir.mkdir()
    keys = {sid: SshKey(f"{sid}@{person['unit']}") for sid, person in sorted(cfg.staff.items())}
    registry_key = SshKey(cfg.units_doc.get("registry", {}).get("principal", "registry"))
    for sid, key in keys.items():
        key.save(key_dir, sid)
    registry_key.save(key_dir, "registry")
    allowed = [f"{cfg.staff[sid]['principal']} {key.public}" for sid, key in keys.items()]
    (key_dir / "allowed_signers").write_text("\n".join(allowed) + "\n")
    units_path = out / "config" / "units.yaml"
    units_path.write_text(_units_with_keys(units_path.read_text(encoding="utf-8"), keys, registry_key),
                          encoding="utf-8")
    cfg = load_config(WorkTree(out))
    if not cfg.ok:
        raise DemoError("写入演示公钥后 config/units.yaml 未通过检查：" + cfg.problems[0].render())
    return keys, registry_key, cfg


def _units_with_keys(text: str, keys: dict[str, SshKey], registry: SshKey) -> str:
    """Write the throwaway public keys into units.yaml, keeping its comments and layout."""
    lines = text.split("\n")
    done: set[str] = set()
    in_registry = False
    for i, line in enumerate(lines):
        if re.match(r"^registry:\s*$", line):
            in_registry = True
            continue
        if in_registry and re.match(r"^\s+keys:\s*\[\]\s*$", line):
            lines[i] = line.replace("[]", f'["{registry.public}"]')
            in_registry = False
            done.add("registry")
            continue
        if in_registry and re.match(r"^\S", line):
            in_registry = False
        m = re.search(r"\{id:\s*([a-z][a-z0-9]*),.*keys:\s*\[\]", line)
        if m and m.group(1) in keys:
            lines[i] = line.replace("keys: []", f'keys: ["{keys[m.group(1)].public}"]')
            done.add(m.group(1))
    if done != {*keys, "registry"}:
        missing = sorted({*keys, "registry"} - done)
        raise DemoError(f"无法在 config/units.yaml 中写入演示公钥（未找到 keys: [] 的人员：{', '.join(missing[:5])}）。")
    return "\n".join(lines)




FIELD_ORDER = ("id", "kind", "unit", "title", "created_at", "author", "reviewer", "signer", "signoff_pending",
               "stage", "incident", "sequence", "category", "grade", "occurred_at", "discovered_at",
               "phoned_at", "place", "description", "casualties", "economic_loss", "sensitive",
               "sensitive_reason", "trend", "measures", "cause", "involved_units", "info_type", "keywords",
               "body", "platform", "url", "first_seen_at", "spread", "verification", "report", "outlet",
               "level", "adopted_at", "leader", "instructed_at", "content", "finding", "target_unit",
               "decided_at", "reason", "note", "delay_reason")
SCHEMA_LINE = "# yaml-language-server: $schema=../../../schema/report.schema.json\n"


_PLAIN_WORD = re.compile(r"[a-z][a-z0-9_-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_NOT_PLAIN = re.compile(r"[\x00-\x1f:#{}\[\],&*!|>'\"%@`\\]")


def _scalar(value: object) -> str:
    """One YAML scalar. Plain when unambiguous (codes, Chinese text), else a JSON (= YAML) double-quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN_WORD.fullmatch(text) and text not in _YAML_WORDS:
        return text
    if text and ord(text[0]) > 0x7F and text == text.strip() and not _NOT_PLAIN.search(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def render_report(doc: dict) -> bytes:
    """The report file as an officer's editor would leave it: block style, fields in the usual order.

    Hand-written because PyYAML's representer (pure Python even with CSafeDumper) costs ~1.5 ms a
    report; the output is read back with the strict loader in the tests.
    """
    lines = [SCHEMA_LINE.rstrip("\n")]
    keys = [k for k in FIELD_ORDER if k in doc] + [k for k in doc if k not in FIELD_ORDER]
    for key in keys:
        value = doc[key]
        if isinstance(value, dict | list) and not value:
            lines.append(f"{key}: {'{}' if isinstance(value, dict) else '[]'}")
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {_scalar(v)}" for k, v in value.items())
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"  - {_scalar(v)}" for v in value)
        else:
            lines.append(f"{key}: {_scalar(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8")
