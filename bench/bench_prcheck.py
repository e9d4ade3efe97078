"""Benchmark: pull-request mode (`baosong check --base main`) for one new report in a large registry.

    .venv/bin/python bench/bench_prcheck.py                  # demo registry cached in bench/results/
    .venv/bin/python bench/bench_prcheck.py --repo /tmp/big  # any registry made by `baosong demo`

The demo registry is not touched: the pull request is built in a `git clone --shared --no-checkout`
(PR mode reads everything from git objects, so no work tree is needed), one emergency first report
by a demo officer, signed with the demo's throwaway key, on branch `pr`. Prints, measured in the
same run: the size of the registry, PR mode cold (no `.git/baosong-cache/`: every report blob is
searched for the ids the cross-file rules need, a few are judged), and warm (the search kept by blob id;
signatures are always verified afresh because the CI clock moves), against the 1.5 s target.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 1.5


@dataclass
class Run:
    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall ({self.cpu:.2f} s CPU)"


def timed(cmd: list[str], cwd: Path, env: dict | None = None, ok: tuple[int, ...] = (0,)) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def git(repo: Path, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=env, input=input, capture_output=True,
                          check=True).stdout.decode().strip()


def _open_incident(clone: Path) -> tuple[str, str, int]:
    """(unit, incident id, follow-ups so far) of the latest emergency first report without a final."""
    stage: dict[str, str] = {}
    incident: dict[str, str] = {}
    for line in git(clone, "grep", "-h", "--full-name", "-e", "^stage: ", "-e", "^incident: ", "-e", "^id: ",
                    "main", "--", "reports").splitlines():
        key, _, value = line.partition(": ")
        if key == "id":
            current = value.strip('"')
        elif key == "stage":
            stage[current] = value.strip('"')
        else:
            incident[current] = value.strip('"')
    closed = {incident[r] for r, st in stage.items() if st == "final" and r in incident}
    open_firsts = sorted(r for r, st in stage.items() if st == "first" and r not in closed)
    if not open_firsts:
        raise SystemExit("no open incident in the demo registry")
    rid = open_firsts[-1]
    followups = sum(1 for r, inc in incident.items() if inc == rid and stage.get(r) == "followup")
    return rid.split("-")[0], rid, followups


def make_pr(demo: Path, work: Path, now: datetime, followup: bool = False) -> tuple[Path, str]:
    """A shared clone of the demo with branch `pr` adding one report signed by a demo officer:
    an emergency first report, or the next follow-up of an open incident on main."""
    clone = work / ("followup" if followup else "first")
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(demo), str(clone)], check=True)
    git(clone, "fetch", "-q", "origin", "refs/baosong/*:refs/baosong/*")  # as CI does: receipts for the clocks
    units = yaml.safe_load(git(clone, "show", "main:config/units.yaml"))
    incident = _open_incident(clone) if followup else None
    unit, officer, head = next(
        (u["code"], o["id"], h["id"]) for u in units["units"]
        if (u["code"] == incident[0] if incident else u["code"] != units["registry_office"])
        for o in u["staff"] if "officer" in o["roles"] for h in u["staff"] if "head" in h["roles"])
    key = demo / ".demo-keys" / officer
    day = now.strftime("%Y%m%d")
    rid = f"{unit}-{day}-{officer}-{98 if followup else 99}"
    path = f"reports/{day[:4]}/{unit}/{rid}.yaml"
    occurred = (now - timedelta(minutes=40)).isoformat(timespec="seconds")
    created = (now - timedelta(minutes=10)).isoformat(timespec="seconds")
    text = (f'id: {rid}\nkind: emergency\nunit: {unit}\ntitle: 某路段发生一起道路交通事故\ncreated_at: "{created}"\n'
            f"author: {officer}\nsigner: {head}\n")
    if incident:
        text += f"stage: followup\nincident: {incident[1]}\nsequence: {incident[2] + 1}\ndescription: 现场处置基本结束。\n"
    else:
        text += (f'stage: first\ncategory: traffic\noccurred_at: "{occurred}"\n'
                 "place: 江州市某路段\ndescription: 两车相撞，造成人员受伤。\ncasualties: {deaths: 0, serious_injuries: 1, "
                 "injuries: 2, missing: 0}\ngrade: IV\ntrend: 事态已得到控制。\nmeasures: 交警、急救已到场处置。\n")
    env = {**os.environ, "GIT_INDEX_FILE": str(work / "index"), "GIT_AUTHOR_NAME": officer,
           "GIT_AUTHOR_EMAIL": f"{officer}@demo.invalid", "GIT_COMMITTER_NAME": officer,
           "GIT_COMMITTER_EMAIL": f"{officer}@demo.invalid", "GIT_AUTHOR_DATE": created, "GIT_COMMITTER_DATE": created}
    blob = git(clone, "hash-object", "-w", "--stdin", input=text.encode())
    git(clone, "read-tree", "main", env=env)
    git(clone, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(clone, "write-tree", env=env)
    commit = git(clone, "-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit-tree", "-S", tree,
                 "-p", "main", "-m", f"报送：{rid}", env=env)
    git(clone, "update-ref", "refs/heads/pr", commit)
    git(clone, "symbolic-ref", "HEAD", "refs/heads/pr")
    return clone, path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="a registry made by `baosong demo` (default: bench/results/demo-N)")
    ap.add_argument("--runs", type=int, default=5, help="warm runs (the median is reported)")
    args = ap.parse_args()

    demo = (args.repo or RESULTS / f"demo-{args.reports}").resolve()  # the runs use other working directories
    if not demo.exists():
        demo.parent.mkdir(parents=True, exist_ok=True)
        t = timed([str(BIN / "baosong"), "demo", "--out", str(demo), "--reports", str(args.reports)], demo.parent)
        print(f"baosong demo --reports {args.reports}: {t}")
    head_date = git(demo, "log", "-1", "--format=%cI", "main")
    now = datetime.fromisoformat(head_date) + timedelta(minutes=5)
    files = git(demo, "ls-tree", "-r", "--name-only", "main", "reports").count("\n") + 1
    commits = git(demo, "rev-list", "--count", "main")
    print(f"registry: {files} report files, {commits} commits on main")

    work = Path(tempfile.mkdtemp(prefix="bench-prcheck-"))
    try:
        version = timed([str(BIN / "baosong"), "--version"], work)
        print(f"baosong --version (interpreter and CLI start-up): {version}")
        for followup in (False, True):
            clone, path = make_pr(demo, work, now, followup)
            what = "a follow-up to an incident on main" if followup else "a first report"
            cmd = [str(BIN / "baosong"), "check", "--base", "main", "--now", now.isoformat(timespec="seconds"),
                   "--format", "json"]
            cold = timed(cmd, clone, ok=(0, 1))
            print(f"PR mode, {what}, cold (no .git/baosong-cache: every blob searched): {cold}")
            warm = [timed(cmd, clone, ok=(0, 1)) for _ in range(args.runs)]
            median = Run(statistics.median(r.wall for r in warm), statistics.median(r.cpu for r in warm))
            verdict = "meets" if median.wall < TARGET else "MISSES"
            print(f"PR mode, {what}, warm (search kept by blob id), median of {args.runs}: {median} — "
                  f"{verdict} the {TARGET} s target")
            out = subprocess.run(cmd[:-2], cwd=clone, capture_output=True, text=True)
            print(f"  verdict on {path}: exit {out.returncode}; {out.stdout.strip().splitlines()[-1]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
