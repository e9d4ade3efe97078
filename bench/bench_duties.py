"""Benchmark 约稿 and 重要时段 at scale: a large registry plus a duty period of D days × U units.

    python bench/bench_duties.py --repo /tmp/clone-of-demo-50000 [--days 20] [--units 20] [--build]

The repository is changed: one commit brings this tool's schema/ and config/policy.yaml (the trust roots
that know the new kinds: every report is judged again once) and adds a `duty_period` record, one daily report per unit and day
(one day per unit left out: missing) and a `request` to every unit. Measured, each in a fresh process:
the `git log --name-status` pass (the register's floor), `baosong registry --format json` warm before and
after the commit (the run after the commit first judges the new blobs once, then is measured warm), the
time `duties.compute_duties` takes inside it, and with `--build` a cold `baosong build` against the
build budget (bench_build.py: 600 s, 4 GB for large registries).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
TOOL = Path(__file__).resolve().parents[1]
BAOSONG = str(BIN / "baosong")
NOW = "2026-11-20T12:00:00+08:00"
DAY0 = date(2026, 10, 1)
ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@baosong.invalid", "GIT_COMMITTER_NAME": "bench",
       "GIT_COMMITTER_EMAIL": "bench@baosong.invalid", "GIT_AUTHOR_DATE": "2026-11-19T18:00:00+08:00",
       "GIT_COMMITTER_DATE": "2026-11-19T18:00:00+08:00"}


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall s, CPU s of the process tree, stdout)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc.stdout


def add_duties(repo: Path, days: int, units: int) -> dict[str, int]:
    """Write and commit the duty period, its daily reports and a request; returns counts."""
    cfg = yaml.safe_load((repo / "config" / "units.yaml").read_text(encoding="utf-8"))
    office = cfg["registry_office"]
    by_code = {u["code"]: u for u in cfg["units"]}

    def staff(code: str, role: str) -> str:
        return next(s["id"] for s in by_code[code]["staff"] if role in s["roles"])

    targets = [c for c in by_code if c != office][:units]
    officer, head = staff(office, "officer"), staff(office, "head")
    created = DAY0 - timedelta(days=3)
    files: dict[str, dict] = {}

    def add(unit: str, author: str, day: date, doc: dict) -> str:
        rid = f"{unit}-{day:%Y%m%d}-{author}-97"
        files[f"reports/{day.year}/{unit}/{rid}.yaml"] = {"id": rid, "unit": unit, "author": author,
                                                          "created_at": f"{day}T08:00:00+08:00", **doc}
        return rid

    period = add(office, officer, created, {"kind": "duty_period", "title": "基准测试重要时段", "signer": head,
                                            "target_units": targets, "start_date": DAY0.isoformat(),
                                            "end_date": (DAY0 + timedelta(days=days - 1)).isoformat(),
                                            "daily_deadline": "16:00", "zero_report_required": True})
    add(office, officer, created + timedelta(days=1), {
        "kind": "request", "title": "基准测试约稿", "signer": head, "target_units": targets,
        "due_at": f"{DAY0 + timedelta(days=5)}T17:00:00+08:00", "requirements": "写清做法和成效。",
        "purpose": "基准测试", "contact": {"name": "王丽", "phone": "0571-87001234"}})
    for i, unit in enumerate(targets):
        author = staff(unit, "officer")
        for d in range(days):
            if d == i % days:
                continue  # one missing day per unit
            add(unit, author, DAY0 + timedelta(days=d), {"kind": "daily", "title": "值班情况（零报告）",
                                                         "duty_period": period, "date": str(DAY0 + timedelta(days=d)),
                                                         "nothing_to_report": True})
    # The registry's trust roots from this tool (the schema that knows the new kinds, the policy that
    # scores them), in the same commit, as an upgrade would bring them.
    for name in sorted((TOOL / "schema").glob("*.json")):
        shutil.copy(name, repo / "schema" / name.name)
    shutil.copy(TOOL / "config" / "policy.yaml", repo / "config" / "policy.yaml")
    for path, doc in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {**__import__("os").environ, **ENV}
    subprocess.run(["git", "add", "reports", "schema", "config"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "bench: duty period"], cwd=repo,
                   check=True, env=env)
    return {"files": len(files), "cells": days * len(targets)}


def register(repo: Path) -> tuple[float, float, dict]:
    wall, cpu, out = timed([BAOSONG, "registry", "--format", "json", "--now", NOW], repo)
    return wall, cpu, json.loads(out)


def compute_time(repo: Path) -> float:
    """Seconds `compute_duties` takes on this registry's documents (in-process, after a warm register)."""
    code = f"""
import time
from datetime import datetime
from pathlib import Path
import baosong.register as r
import baosong.duties as d
real = d.compute_duties
spent = []
def wrapped(*a, **k):
    t = time.perf_counter(); out = real(*a, **k); spent.append(time.perf_counter() - t); return out
r.compute_duties = wrapped
r.build_register(Path({str(repo)!r}), now=datetime.fromisoformat({NOW!r}))
print(spent[0])
"""
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="a clone of a large demo registry (changed!)")
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--build", action="store_true", help="also time a cold baosong build after")
    args = parser.parse_args()
    repo = args.repo.resolve()
    floor, floor_cpu, _ = timed(["git", "log", "--name-status", "--format=%H %ct", "HEAD", "--", "reports"], repo)
    print(f"git log --name-status pass: {floor:.1f} s wall, {floor_cpu:.1f} s CPU")
    register(repo)  # warm the caches (cold on a fresh clone)
    wall, cpu, before = register(repo)
    print(f"registry warm before: {wall:.1f} s wall ({wall / floor:.1f}x), {cpu:.1f} s CPU "
          f"({cpu / floor_cpu:.1f}x); {before['summary']['reports']} reports")
    added = add_duties(repo, args.days, args.units)
    register(repo)  # judges the new blobs once
    wall2, cpu2, after = register(repo)
    cells = sum(len(p["days"]) for p in after["duty_periods"])
    counts = after["duty_periods"][0]["counts"] if after["duty_periods"] else {}
    print(f"added {added['files']} files ({added['cells']} duty cells)")
    print(f"registry warm after: {wall2:.1f} s wall ({wall2 / floor:.1f}x), {cpu2:.1f} s CPU "
          f"({cpu2 / floor_cpu:.1f}x); {after['summary']['reports']} reports, {cells} cells {counts}")
    print(f"compute_duties: {compute_time(repo) * 1000:.0f} ms")
    if args.build:
        out = repo.parent / (repo.name + "-site")
        wall3, cpu3, _ = timed([BAOSONG, "build", "--out", str(out), "--now", NOW], repo)
        print(f"build after: {wall3:.1f} s wall, {cpu3:.1f} s CPU (budget 600 s)")


if __name__ == "__main__":
    main()
