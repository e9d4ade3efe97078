"""The pre-commit hooks: the real pre-commit framework, run by `git commit` on a temporary registry,
refuses a bad report and lets a good one through."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from workflow_helpers import BIN, REPO, baosong, env, git, make_registry

MANIFEST = REPO / ".pre-commit-hooks.yaml"


def manifest() -> list[dict]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_is_well_formed() -> None:
    hooks = {h["id"]: h for h in manifest()}
    assert {"baosong-check", "baosong-check-system", "baosong-check-config"} <= set(hooks)
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["entry"].split()[0] == "baosong" and hook["require_serial"] is True
    assert hooks["baosong-check"]["language"] == "python"
    assert hooks["baosong-check-system"]["language"] == "system"


def commit(reg: Path, home: Path, message: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(reg), "commit", "-m", message], capture_output=True, text=True,
                          env=env(home, PRE_COMMIT_HOME=str(home / "pre-commit-cache")))


def test_pre_commit_refuses_bad_report_and_accepts_good_one(tmp_path: Path) -> None:
    reg = make_registry(tmp_path / "registry")
    # The hook exactly as the manifest defines it, run in-repo with the baosong of this environment
    # (the python-language variant would pip-install this repository into pre-commit's own env).
    hook = dict(next(h for h in manifest() if h["id"] == "baosong-check"))
    hook.update(language="system", entry=f"{BIN / 'baosong'} check")
    hook.pop("minimum_pre_commit_version", None)
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (reg / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    git(reg, "add", ".pre-commit-config.yaml")
    git(reg, "commit", "-q", "-m", "pre-commit config")
    result = subprocess.run([str(BIN / "pre-commit"), "install"], cwd=reg, capture_output=True, text=True,
                            env=env(tmp_path, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache")))
    assert result.returncode == 0, result.stderr

    made = baosong("new", "--kind", "info", "--unit", "dcq", "--title", "东城区开展冬季安全大检查",
                   "--set", "info_type=dynamic", "--set", "body=排查隐患32处，已全部整改。",
                   "--now", "2026-11-25T15:00:00+08:00", "--yes", cwd=reg, home=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    good = reg / "reports/2026/dcq/dcq-20261125-lijing-01.yaml"

    # A bad report: an info type the schema does not know.
    bad = reg / "reports/2026/dcq/dcq-20261125-lijing-02.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("-01", "-02").replace("info_type: dynamic",
                                                                                   "info_type: news"),
                   encoding="utf-8")
    git(reg, "add", str(bad))
    result = commit(reg, tmp_path, "bad report")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "baosong check" in output and "Failed" in output
    assert "dcq-20261125-lijing-02.yaml" in output and "info_type" in output
    assert git(reg, "log", "--format=%s", "-1").strip() == "pre-commit config"

    git(reg, "rm", "-q", "--cached", str(bad))
    bad.unlink()
    git(reg, "add", str(good))
    result = commit(reg, tmp_path, "good report")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout + result.stderr
    assert git(reg, "log", "--format=%s", "-1").strip() == "good report"
