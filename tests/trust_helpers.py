"""Fixtures for the trust tests: real git repositories, throwaway ed25519 keys, SSH-signed commits.

A `World` holds the keys (made once per test module); `World.registry(dir)` makes a small registry
repository whose config/units.yaml binds those keys to staff of three units, with the project's own
schema and policy. Commits are signed the way officers do it:
`git -c gpg.format=ssh -c user.signingkey=KEY commit -S`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BAOSONG = str(Path(sys.executable).parent / "baosong")
T0 = "2026-11-20T09:00:00+08:00"

# staff id -> (unit, roles); principal is id@unit.
STAFF = {
    "wangli": ("xxk", ["officer", "admin"]),
    "zhoujianhua": ("xxk", ["head", "admin"]),
    "liuyang": ("xxk", ["officer"]),
    "wanghao": ("gaj", ["officer"]),
    "majun": ("gaj", ["reviewer"]),
    "liuzhenhua": ("gaj", ["head"]),
    "lijing": ("dcq", ["officer"]),
    "sunweidong": ("dcq", ["head"]),
    "chenxue": ("xhq", ["officer"]),
    "xuguoqiang": ("xhq", ["head"]),
}
UNIT_NAMES = {"xxk": "江州市委办公室信息科", "gaj": "江州市公安局", "dcq": "江州市东城区", "xhq": "江州市西湖区"}


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True,
        input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=check, input=input)


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
                "NO_COLOR": "1", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    return env


class World:
    """Keys for every staff member, an outsider, the registry and a CA for unit xhq."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keydir = root / "keys"
        self.keydir.mkdir(parents=True, exist_ok=True)
        self.home = root / "home"
        self.home.mkdir(exist_ok=True)
        (self.home / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
        self.env = base_env(self.home)
        self.keys: dict[str, Path] = {}
        for name in [*STAFF, "outsider", "registry", "xhq-ca", "newkey"]:
            self.keys[name] = self._keygen(name)
        # chenxue (xhq) signs with a certificate from her unit's CA instead of a registered key.
        run(["ssh-keygen", "-q", "-s", str(self.keys["xhq-ca"]), "-I", "chenxue", "-n", "chenxue@xhq",
             "-V", "20260101:20280101", str(self.keys["chenxue"]) + ".pub"])
        self.cert = Path(str(self.keys["chenxue"]) + "-cert.pub")

    def _keygen(self, name: str) -> Path:
        path = self.keydir / name
        if not path.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)])
        return path

    def pub(self, name: str) -> str:
        return Path(f"{self.keys[name]}.pub").read_text().strip()

    def units_doc(self, **overrides: dict) -> dict:
        """config/units.yaml as data; overrides[staff_id] updates that staff entry."""
        units: dict[str, dict] = {}
        for sid, (unit, roles) in STAFF.items():
            u = units.setdefault(unit, {"code": unit, "name": UNIT_NAMES[unit], "level": "city" if unit == "xxk"
                                        else "department", "parent": None, "ca": None, "staff": []})
            keys = [] if unit == "xhq" else [self.pub(sid)]
            entry = {"id": sid, "name": "测试" + sid[:4], "roles": roles, "principal": f"{sid}@{unit}", "keys": keys}
            entry.update(overrides.get(sid, {}))
            u["staff"].append(entry)
        units["xhq"]["ca"] = self.pub("xhq-ca")
        return {"city": "江州市", "registry_office": "xxk",
                "registry": {"principal": "registry@xxk", "keys": [self.pub("registry")]},
                "revoked_keys": list(overrides.get("_revoked", [])), "units": list(units.values())}

    def registry(self, path: Path, units: dict | None = None, object_format: str = "sha1") -> Registry:
        reg = Registry(path, self)
        reg.init(units or self.units_doc(), object_format)
        return reg


class Registry:
    """A registry repository (branch main) driven through git and the baosong CLI."""

    def __init__(self, root: Path, world: World) -> None:
        self.root = root
        self.world = world

    def git(self, *args: str, date: str = T0, check: bool = True, signer: str | None = None,
            input: bytes | None = None) -> str:
        env = dict(self.world.env)
        env.update({"GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "test@baosong.invalid",
                    "GIT_COMMITTER_NAME": "测试", "GIT_COMMITTER_EMAIL": "test@baosong.invalid",
                    "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        pre: list[str] = []
        if signer is not None:
            key = self.world.cert if signer == "chenxue-cert" else self.world.keys[signer]
            pre = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
        proc = run(["git", *pre, *args], cwd=self.root, env=env, check=False, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {args} failed: {proc.stderr.decode()}")
        return proc.stdout.decode().strip()

    def init(self, units: dict, object_format: str = "sha1") -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main", f"--object-format={object_format}")
        (self.root / "schema").mkdir()
        for f in (REPO / "schema").glob("*.json"):
            shutil.copy(f, self.root / "schema" / f.name)
        (self.root / "config").mkdir()
        shutil.copy(REPO / "config" / "policy.yaml", self.root / "config" / "policy.yaml")
        self.write_units(units)
        (self.root / "reports").mkdir()
        (self.root / "reports" / ".gitkeep").write_text("")
        self.commit("initial registry", signer="wangli", date=T0)

    def write_units(self, units: dict) -> None:
        text = yaml.safe_dump(units, allow_unicode=True, sort_keys=False, width=1000)
        (self.root / "config" / "units.yaml").write_text(text, encoding="utf-8")

    def write(self, relpath: str, content: str | bytes) -> None:
        f = self.root / relpath
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(self, message: str, *, signer: str | None, date: str, paths: list[str] | None = None) -> str:
        self.git("add", "-A", *(paths or []))
        args = ["commit", "-q", "--allow-empty", "-m", message]
        if signer is not None:
            args.insert(1, "-S")
        self.git(*args, signer=signer, date=date)
        return self.head()

    def add_report(self, relpath: str, content: str, *, signer: str | None, date: str) -> str:
        self.write(relpath, content)
        return self.commit(f"add {relpath}", signer=signer, date=date)

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev)

    def branch(self, name: str, start: str = "main") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, branch: str, *, date: str, signer: str | None = "wangli") -> str:
        """Merge a pull request into main with a merge commit (as a forge does)."""
        self.checkout("main")
        args = ["merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch]
        if signer:
            args.insert(1, "-S")
        self.git(*args, signer=signer, date=date)
        return self.head()

    def baosong(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        e = dict(self.world.env)
        e.update(env or {})
        proc = run([BAOSONG, *args], cwd=self.root, env=e, check=False)
        proc.stdout = proc.stdout.decode("utf-8", "replace")
        proc.stderr = proc.stderr.decode("utf-8", "replace")
        return proc


def emergency(unit: str, author: str, head: str, *, day: str = "20261125", n: int = 1,
              occurred: str = "2026-11-25T10:00:00+08:00", created: str = "2026-11-25T10:30:00+08:00",
              **extra: object) -> tuple[str, str]:
    """(path, YAML text) of a valid emergency first report (a 较大 road accident: city rule, 2 h written)."""
    rid = f"{unit}-{day}-{author}-{n:02d}"
    doc = {"id": rid, "kind": "emergency", "unit": unit, "title": "某路段发生一起道路交通事故",
           "created_at": created, "author": author, "signer": head, "stage": "first", "category": "traffic",
           "occurred_at": occurred, "place": "江州市某路段", "description": "两车相撞，造成人员受伤。",
           "casualties": {"deaths": 0, "serious_injuries": 1, "injuries": 2, "missing": 0}, "grade": "IV",
           "trend": "事态已得到控制。", "measures": "交警、急救已到场处置。"}
    doc.update(extra)
    return f"reports/{day[:4]}/{unit}/{rid}.yaml", _dump(doc)


def info(unit: str, author: str, head: str, *, day: str = "20261125", n: int = 1,
         created: str = "2026-11-25T10:30:00+08:00") -> tuple[str, str]:
    rid = f"{unit}-{day}-{author}-{n:02d}"
    doc = {"id": rid, "kind": "info", "unit": unit, "title": "某项工作动态", "created_at": created,
           "author": author, "signer": head, "info_type": "dynamic", "body": "本单位推进某项工作，取得阶段性成效。"}
    return f"reports/{day[:4]}/{unit}/{rid}.yaml", _dump(doc)


def _dump(doc: dict) -> str:
    lines = []
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"{k}:")
            lines.extend(f"  {kk}: {vv}" for kk, vv in v.items())
        elif isinstance(v, str):
            lines.append(f'{k}: "{v}"')
        else:
            lines.append(f"{k}: {v}")
    return "\n".join(lines) + "\n"


TSA_CNF = """[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def make_tsa(root: Path) -> dict:
    """A local RFC 3161 authority played by `openssl ts`: a CA, a time-stamping certificate and a reply command.

    Returns the `registry.tsa` configuration ({command, cert})."""
    root.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", str(root / "ca.key"), "-out", str(root / "ca.pem"),
         "-days", "3650", "-subj", "/CN=Test TSA CA"])
    run(["openssl", "req", *ec, "-keyout", str(root / "tsa.key"), "-out", str(root / "tsa.csr"), "-subj", "/CN=Test TSA"])
    (root / "ext.cnf").write_text("extendedKeyUsage = critical,timeStamping\nkeyUsage = critical,digitalSignature\n"
                                  "basicConstraints = CA:FALSE\n")
    run(["openssl", "x509", "-req", "-in", str(root / "tsa.csr"), "-CA", str(root / "ca.pem"), "-CAkey",
         str(root / "ca.key"), "-CAcreateserial", "-out", str(root / "tsa.pem"), "-days", "3650",
         "-extfile", str(root / "ext.cnf")])
    (root / "serial").write_text("01\n")
    (root / "tsa.cnf").write_text(TSA_CNF.format(dir=root))
    command = f"openssl ts -reply -queryfile /dev/stdin -config {root / 'tsa.cnf'} -out /dev/stdout"
    return {"command": command, "cert": (root / "ca.pem").read_text()}
