"""The demo's files besides the history: the tool's schema/ and config/ copied into the new registry,
throwaway keys written into config/units.yaml, and report files as `baosong new` writes them."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import baosong
from baosong.config import Config, load_config
from baosong.demo.world import DEFAULT_START, KEY_DIR, DemoError
from baosong.newreport import document_text
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


def report_text(doc: dict, schema: dict) -> bytes:
    """The report file as `baosong new` writes it (`newreport.document_text`: fields in its order, each
    with its Chinese title as a comment); the demo reads like a registry its officers filled in."""
    return document_text(doc, schema).encode("utf-8")
