"""`baosong init`: a new registry — the office's work tree, and the server's bare repository.

Work tree (`init_worktree`): schema/ and config/policy.yaml from the tool, a config/units.yaml naming
the city, the registry office and its first administrator, reports/, .gitignore, the chosen CI
template; `git init -b main`. Nothing is committed: the administrator signs the first commit.

Server (`init_bare`): `git init --bare` (or an existing bare repository, history kept), the
registry key (generated, or the one given), git config `baosong.*`, and hooks/pre-receive and
hooks/post-receive that exec the installed baosong (see hook.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from baosong.config import load_config
from baosong.demo import tool_root
from baosong.hook import DEFAULT_MAIN, DEFAULT_SKEW_MINUTES, install_hooks
from baosong.problems import Problem
from baosong.receipts import ReceiveError
from baosong.receive import registry_public_key
from baosong.sources import WorkTree

CI_TEMPLATES: dict[str, tuple[str, str] | tuple[None, None]] = {  # choice -> (template in ci-templates/, where it goes in the registry)
    "gitlab": ("gitlab-ci.yml", ".gitlab-ci.yml"),
    "gitea": ("gitea-actions.yml", ".gitea/workflows/baosong.yml"),
    "forgejo": ("gitea-actions.yml", ".forgejo/workflows/baosong.yml"),
    "none": (None, None),
}
CODE_RE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
STAFF_RE = re.compile(r"^[a-z][a-z0-9]{1,15}$")
KEY_RE = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|"
                    r"sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,}={0,3}( .*)?$")
DEFAULT_KEY = "baosong/registry_ed25519"  # inside the bare repository, mode 0600


class InitError(RuntimeError):
    """Cannot initialise: a Chinese message saying what to do."""


@dataclass
class Office:
    city: str
    code: str  # the registry office's unit code, e.g. xxk
    name: str  # e.g. 江州市委办公室信息科
    admin_id: str
    admin_name: str
    admin_key: str = ""  # public key line; empty: added later
    registry_key: str = ""  # the registry's public key (printed by init --bare); empty: added later
    ci: str = "none"

    def problems(self) -> list[str]:
        out = []
        if not 2 <= len(self.city) <= 30:
            out.append(f"城市名称“{self.city}”须为 2 到 30 个字。")
        if not CODE_RE.match(self.code):
            out.append(f"登记机关单位代码“{self.code}”须以小写字母开头，由 2 到 12 个小写字母或数字组成，如 xxk。")
        if not self.name.strip():
            out.append("登记机关名称不能为空，如“江州市委办公室信息科”。")
        if not STAFF_RE.match(self.admin_id):
            out.append(f"管理员标识“{self.admin_id}”须以小写字母开头，由 2 到 16 个小写字母或数字组成，如 wangli。")
        if not self.admin_name.strip():
            out.append("管理员姓名不能为空。")
        for what, key in (("管理员公钥", self.admin_key), ("登记系统公钥", self.registry_key)):
            if key and not KEY_RE.match(key):
                out.append(f"{what}不是一行 OpenSSH 公钥（应形如 ssh-ed25519 AAAA... 注释）：{key[:40]}")
        if self.ci not in CI_TEMPLATES:
            out.append(f"CI 模板“{self.ci}”无效，可选：{'、'.join(CI_TEMPLATES)}。")
        return out


def units_yaml(office: Office) -> str:
    """config/units.yaml for a new registry: the city, the registry office and its administrator."""
    def key_list(key: str) -> str:
        return "[]" if not key else yaml.safe_dump([key], default_flow_style=True, width=10000).strip()

    name = yaml.safe_dump(office.name, allow_unicode=True).strip().removesuffix("...").strip()
    admin_name = yaml.safe_dump(office.admin_name, allow_unicode=True).strip().removesuffix("...").strip()
    return f"""# yaml-language-server: $schema=../schema/units.schema.json
# {office.city}信息报送登记库：单位与人员。修改本文件须由登记管理员（admin）签名提交。
# 人员标识全局唯一；principal 固定为“人员标识@单位代码”；keys 为该人员签名提交所用的 SSH 公钥。
city: {office.city}
registry_office: {office.code}
registry:
  principal: registry@{office.code}
  # 登记系统签署收文回执和检查点的公钥：baosong init --bare 打印的那一行。
  keys: {key_list(office.registry_key)}
revoked_keys: []
units:
  # ---- 登记机关 ----
  - code: {office.code}
    name: {name}
    level: city
    parent: null
    ca: null
    staff:
      - {{id: {office.admin_id}, name: {admin_name}, roles: [officer, admin], principal: {office.admin_id}@{office.code}, keys: {key_list(office.admin_key)}}}

  # ---- 报送单位：每个单位一项，照上面的格式列出人员及其公钥 ----
  # - code: gaj
  #   name: {office.city}公安局
  #   level: department
  #   parent: null
  #   staff:
  #     - {{id: wanghao, name: 王浩, roles: [officer], principal: wanghao@gaj, keys: ["ssh-ed25519 AAAA... wanghao@gaj"]}}
"""


GITIGNORE = ".baosong-cache/\nsite/\n"


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        raise InitError(f"git {' '.join(args[:2])} 失败：{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace").strip()


def _source() -> Path:
    root = tool_root()
    if not (root / "schema").is_dir() or not (root / "config" / "policy.yaml").is_file():
        raise InitError(f"在 {root} 找不到 baosong 自带的 schema/ 与 config/policy.yaml。"
                        "请从 baosong 的源代码目录安装（pip install 源代码目录）。")
    return root


@dataclass
class InitResult:
    path: Path
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    public_key: str = ""
    key_path: Path | None = None
    key_generated: bool = False
    hooks: list[Path] = field(default_factory=list)
    existing: bool = False  # an existing bare repository (history kept)
    warmed: bool = False  # the guard's index was built for the existing main


def init_worktree(target: Path, office: Office) -> InitResult:
    """Lay out a new registry in target (missing or empty) and `git init -b main` it."""
    bad = office.problems()
    if bad:
        raise InitError("；".join(bad))
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitError(f"目录 {target} 已存在且不为空。请指定新目录，或在空目录中初始化。")
    src = _source()
    target.mkdir(parents=True, exist_ok=True)
    result = InitResult(target)
    shutil.copytree(src / "schema", target / "schema")
    (target / "config").mkdir()
    policy = (src / "config" / "policy.yaml").read_text(encoding="utf-8")
    (target / "config" / "policy.yaml").write_text(policy.replace("江州市", office.city), encoding="utf-8")
    (target / "config" / "units.yaml").write_text(units_yaml(office), encoding="utf-8")
    (target / "reports").mkdir()
    (target / "reports" / ".gitkeep").write_text("")
    (target / ".gitignore").write_text(GITIGNORE)
    if (src / "mkdocs.yml").is_file():
        shutil.copy2(src / "mkdocs.yml", target / "mkdocs.yml")
    template, dest = CI_TEMPLATES[office.ci]
    if template and dest:
        (target / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "ci-templates" / template, target / dest)
    _git(target, "init", "-q", "-b", DEFAULT_MAIN)
    _git(target, "config", "core.quotepath", "false")
    result.files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*")
                          if p.is_file() and ".git" not in p.relative_to(target).parts)
    cfg = load_config(WorkTree(target))
    result.problems = cfg.problems
    return result


def _is_bare(path: Path) -> bool:
    proc = subprocess.run(["git", "rev-parse", "--is-bare-repository"], cwd=path, capture_output=True)
    return proc.returncode == 0 and proc.stdout.strip() == b"true" and (path / "objects").is_dir()


def init_bare(target: Path, key: Path | None = None, *, main: str = DEFAULT_MAIN,
              max_skew: int = DEFAULT_SKEW_MINUTES, witness: Path | None = None, hooks_dir: Path | None = None,
              force: bool = False, command: list[str] | None = None, warm: bool = True) -> InitResult:
    """The server repository: bare, hooks installed, the registry key in place and configured."""
    target = Path(target).absolute()
    result = InitResult(target)
    if target.exists() and any(target.iterdir()):
        if not _is_bare(target):
            raise InitError(f"{target} 已存在，但不是裸仓库（bare repository）。请指定新目录或已有的裸仓库。")
        result.existing = True
    else:
        target.mkdir(parents=True, exist_ok=True)
        _git(target, "init", "-q", "--bare", "-b", main if not main.startswith("refs/") else DEFAULT_MAIN)
    key_path = Path(key).absolute() if key is not None else target / DEFAULT_KEY
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key_path.parent, 0o700)
        proc = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "baosong-registry",
                               "-f", str(key_path)], capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise InitError(f"无法生成登记系统密钥 {key_path}：{proc.stderr.decode('utf-8', 'replace').strip()}")
        result.key_generated = True
    elif key_path.stat().st_mode & 0o077:
        raise InitError(f"私钥文件 {key_path} 的权限过宽（其他用户可读）。请先执行 chmod 600 {key_path}。")
    try:
        result.public_key = registry_public_key(key_path)
    except ReceiveError as exc:
        raise InitError(str(exc)) from exc
    result.key_path = key_path
    settings = {"baosong.key": str(key_path), "baosong.mainBranch": main, "baosong.maxClockSkew": str(max_skew),
                "core.logAllRefUpdates": "true"}  # reflogs on the server: a rewound ref can be traced
    if witness is not None:
        settings["baosong.witness"] = str(Path(witness).absolute())
    for name, value in settings.items():
        _git(target, "config", name, value)
    from baosong.hook import HookInstallError

    try:
        result.hooks = install_hooks(Path(hooks_dir) if hooks_dir else target / "hooks", command, force=force)
    except HookInstallError as exc:
        raise InitError(str(exc)) from exc
    if result.existing and warm:
        result.warmed = _warm_guard(target, main)
    return result


def _warm_guard(repo: Path, main: str) -> bool:
    """Build the guard's report index for an existing main now (a few seconds at 50,000 reports: the
    PR check finds related reports by a byte search), so the first merge pushed after installing the
    hooks is judged in seconds."""
    from datetime import datetime

    from baosong.gitrepo import rev_parse
    from baosong.prcheck import check_pr

    ref = main if main.startswith("refs/") else f"refs/heads/{main}"
    if rev_parse(repo, ref) is None:
        return False
    check_pr(repo, ref, datetime.now().astimezone(), head_rev=ref)
    return True
