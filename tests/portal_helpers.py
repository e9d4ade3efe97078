"""Helpers for the portal tests: a small demo registry with hostile reports and personal data added on
top (committed with fixed dates), built once per test session through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BAOSONG = str(Path(sys.executable).parent / "baosong")
NOW = "2026-11-20T14:00:00+08:00"

# Personal data: valid 18-digit IDs (numeric and X check digit), an old 15-digit ID, mobile numbers;
# and an 18-digit number whose check digit is wrong (must survive unmasked).
ID18 = "440304198501011235"
ID18_X = "11010519491231002X"
ID15 = "110105491231002"
MOBILE = "13812345678"
MOBILE2 = "139-8765-4321"
BAD_ID18 = "110105194912310021"
PERSONAL = (ID18, ID18_X, ID15, MOBILE, "13987654321")

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
JS_LINK = '<a href="javascript:alert(2)">点我</a> [详情](javascript:alert(3))'
HOSTILE_TITLE = f"{SCRIPT}山体滑坡引发交通事故|第二列|{IMG}"
INFO_TITLE = '=HYPERLINK("http://x","点")关于<b>加强</b>管理|的建议 javascript:alert(4)'
FIRST_ID = "gaj-20261120-wanghao-07"
FOLLOWUP_ID = "gaj-20261120-wanghao-08"
INFO_ID = "gaj-20261120-wanghao-09"

_GIT = {"GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "test@baosong.invalid",
        "GIT_COMMITTER_NAME": "测试", "GIT_COMMITTER_EMAIL": "test@baosong.invalid",
        "GIT_CONFIG_NOSYSTEM": "1"}


def run(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8"})
    return subprocess.run([BAOSONG, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


def git(repo: Path, *args: str, date: str = "2026-11-20T13:40:00+08:00") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_GIT, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


def _yaml(doc: dict) -> str:
    # JSON is YAML; every string quoted, so nothing is reinterpreted.
    return "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in doc.items()) + "\n"


def hostile_reports() -> dict[str, dict]:
    people = {"author": "wanghao", "reviewer": "majun", "signer": "liuzhenhua"}
    first = {"id": FIRST_ID, "kind": "emergency", "unit": "gaj", "title": HOSTILE_TITLE,
             "created_at": "2026-11-20T12:10:00+08:00", **people, "stage": "first", "category": "traffic",
             "occurred_at": "2026-11-20T11:00:00+08:00", "place": f"青溪镇{IMG}路口",
             "description": (f"当事人身份证号{ID18}，联系电话{MOBILE}，另一人{ID18_X}（旧证{ID15}），"
                             f"车主电话{MOBILE2}。合同编号{BAD_ID18}。{JS_LINK} {SCRIPT}"),
             "casualties": {"deaths": 0, "serious_injuries": 1, "injuries": 2, "missing": 0},
             "grade": "IV", "trend": f"趋势|平稳{SCRIPT}", "measures": f"已处置，联系人{MOBILE}",
             "involved_units": ["jtj"],
             "delay_reason": f"迟报原因<b>说明</b>：联系人{ID18}"}
    followup = {"id": FOLLOWUP_ID, "kind": "emergency", "unit": "gaj", "title": f"续报：{HOSTILE_TITLE}",
                "created_at": "2026-11-20T13:20:00+08:00", **people, "stage": "followup", "incident": FIRST_ID,
                "sequence": 1, "description": f"伤者已送医{IMG}，家属电话{MOBILE}。",
                "casualties": {"deaths": 1, "serious_injuries": 1, "injuries": 2, "missing": 0}}
    info = {"id": INFO_ID, "kind": "info", "unit": "gaj", "title": INFO_TITLE,
            "created_at": "2026-11-20T13:00:00+08:00", **people, "info_type": "suggestion",
            "body": f"=HYPERLINK(\"http://x\")建议正文{JS_LINK}，联系人身份证{ID18}。|a|b|"}
    return {FIRST_ID: first, FOLLOWUP_ID: followup, INFO_ID: info}


def make_registry(root: Path) -> Path:
    """A demo registry (60 reports) plus the hostile reports, committed on main at fixed times."""
    repo = root / "registry"
    proc = run("demo", "--out", str(repo), "--reports", "60", "--seed", "11")
    assert proc.returncode == 0, proc.stderr
    for rid, doc in hostile_reports().items():
        path = repo / "reports" / "2026" / "gaj" / f"{rid}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_yaml(doc), encoding="utf-8")
    git(repo, "add", "reports")
    git(repo, "commit", "-q", "-m", "hostile reports")
    return repo


_CACHE: dict[str, Path] = {}


def built_site(tmp_path_factory) -> tuple[Path, Path]:
    """(registry, site), built once per session with `baosong build --now NOW`."""
    if "site" not in _CACHE:
        root = tmp_path_factory.mktemp("portal")
        repo = make_registry(root)
        site = root / "site"
        proc = run("build", "--repo", str(repo), "--out", str(site), "--now", NOW)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        _CACHE["repo"], _CACHE["site"] = repo, site
    return _CACHE["repo"], _CACHE["site"]
