"""Benchmark: the register of a large demo registry against one `git log --name-status` pass.

    .venv/bin/python bench/bench_register.py                 # demo registry cached in bench/results/
    .venv/bin/python bench/bench_register.py --time-demo     # also time `baosong demo` from scratch
    .venv/bin/python bench/bench_register.py --repo /tmp/big # any registry made by `baosong demo`

Prints, all measured in the same run:
- `baosong demo --reports N` wall time (with --time-demo, or when the cached demo is missing);
- the floor: one `git log --name-status` pass over the same history;
- `baosong registry --format json`: cold (no caches: every blob parsed, every commit's signature
  verified, in-process) and warm (caches by blob id and commit id, the normal case), and the
  warm/floor ratio (target ≤ 3×);
- the obvious per-file approach, GitPython `iter_commits(paths=f)` for a sample of files,
  extrapolated to all files (when GitPython is installed; baosong itself does not use it).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"
NOW = "2026-11-20T12:00:00+08:00"


class Run:
    """Wall and CPU (user + sys of the child processes) seconds of one command.

    The machine is shared: wall time swings with the load, CPU time much less, so both are shown
    and ratios are given for both.
    """

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def timed(cmd: list[str], cwd: Path | None = None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def best_of(n: int, cmd: list[str], cwd: Path) -> Run:
    runs = [timed(cmd, cwd) for _ in range(n)]
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def ratio(a: Run, b: Run) -> str:
    return f"{a.wall / b.wall:.1f}× wall, {a.cpu / b.cpu:.1f}× CPU"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="an existing demo registry (default: bench/results/demo-N)")
    ap.add_argument("--time-demo", action="store_true", help="generate a fresh demo in a temp dir and time it")
    ap.add_argument("--sample", type=int, default=5, help="files for the GitPython per-file sample")
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold register run (minutes at 50,000)")
    args = ap.parse_args()

    tmp = None
    repo = args.repo or RESULTS / f"demo-{args.reports}"
    if args.time_demo or not repo.exists():
        if args.time_demo:
            tmp = Path(tempfile.mkdtemp(prefix="bench-register-"))
            repo = tmp / "demo"
        repo.parent.mkdir(parents=True, exist_ok=True)
        t = timed([str(BIN / "baosong"), "demo", "--out", str(repo), "--reports", str(args.reports)])
        print(f"baosong demo --reports {args.reports}: {t}")
    try:
        files = subprocess.run(["git", "ls-files", "reports"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.split()
        commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True,
                                 check=True).stdout.strip()
        print(f"registry: {len(files)} report files, {commits} commits on main's history")

        floor = best_of(3, ["git", "log", "--name-status", "--format=%H %P %ct", "HEAD"], repo)
        print(f"floor, one `git log --name-status` pass: {floor}")

        registry = [str(BIN / "baosong"), "registry", "--format", "json", "--now", NOW]
        if not args.skip_cold:
            shutil.rmtree(repo / ".git" / "baosong-cache", ignore_errors=True)
            cold = timed(registry, repo)
            print(f"baosong registry, cold (parse every blob, verify every commit once): {cold}")
        else:
            timed(registry, repo)  # make sure the caches are warm
        warm = best_of(3, registry, repo)
        print(f"baosong registry, warm (cached by blob id / commit id): {warm} "
              f"= {ratio(warm, floor)} the log pass (target ≤ 3×)")

        try:
            import git  # GitPython: not a dependency of baosong (README), only this comparison uses it
        except ImportError:
            print("GitPython iter_commits(paths=f): skipped (pip install gitpython to compare)")
            return 0
        gp = git.Repo(repo)
        sample = files[:: max(1, len(files) // args.sample)][: args.sample]
        start = time.perf_counter()
        for f in sample:
            list(gp.iter_commits("HEAD", paths=f))
        per_file = (time.perf_counter() - start) / len(sample)
        total = per_file * len(files)
        print(f"GitPython iter_commits(paths=f): {per_file * 1000:.0f} ms per file on {len(sample)} files, "
              f"extrapolated {total:.0f} s for {len(files)} files = {total / warm.wall:.0f}× the warm register (wall)")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
