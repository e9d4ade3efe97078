"""Benchmark: the register of a large demo registry against one `git log --name-status` pass.

    .venv/bin/python bench/bench_register.py                 # demo registry cached in bench/results/
    .venv/bin/python bench/bench_register.py --time-demo     # also time `baosong demo` from scratch
    .venv/bin/python bench/bench_register.py --repo /tmp/big # any registry made by `baosong demo`

Prints, all measured in the same run:
- `baosong demo --reports N` wall time (with --time-demo, or when the cached demo is missing);
- the floor: one `git log --name-status` pass over the same history;
- `baosong registry --format json`: cold (no caches: every blob parsed, every commit's signature
  verified with ssh-keygen) and warm (caches by blob id and commit id, the normal case), and the
  warm/floor ratio (target ≤ 3×);
- the obvious per-file approach, GitPython `iter_commits(paths=f)` for a sample of files,
  extrapolated to all files.
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def best_of(n: int, cmd: list[str], cwd: Path) -> float:
    return statistics.median(timed(cmd, cwd) for _ in range(n))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="an existing demo registry (default: bench/results/demo-N)")
    ap.add_argument("--time-demo", action="store_true", help="generate a fresh demo in a temp dir and time it")
    ap.add_argument("--sample", type=int, default=20, help="files for the GitPython per-file sample")
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
        print(f"baosong demo --reports {args.reports}: {t:.1f} s")
    try:
        files = subprocess.run(["git", "ls-files", "reports"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.split()
        commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, text=True,
                                 check=True).stdout.strip()
        print(f"registry: {len(files)} report files, {commits} commits on main's history")

        floor = best_of(3, ["git", "log", "--name-status", "--format=%H %P %ct", "HEAD"], repo)
        print(f"floor, one `git log --name-status` pass: {floor:.2f} s")

        registry = [str(BIN / "baosong"), "registry", "--format", "json", "--now", NOW]
        if not args.skip_cold:
            shutil.rmtree(repo / ".baosong-cache", ignore_errors=True)
            cold = timed(registry, repo)
            print(f"baosong registry, cold (parse every blob, verify every commit once): {cold:.1f} s")
        else:
            timed(registry, repo)  # make sure the caches are warm
        warm = best_of(3, registry, repo)
        print(f"baosong registry, warm (cached by blob id / commit id): {warm:.2f} s "
              f"= {warm / floor:.1f}× the log pass (target ≤ 3×)")

        import git  # GitPython

        gp = git.Repo(repo)
        sample = files[:: max(1, len(files) // args.sample)][: args.sample]
        start = time.perf_counter()
        for f in sample:
            list(gp.iter_commits("HEAD", paths=f))
        per_file = (time.perf_counter() - start) / len(sample)
        total = per_file * len(files)
        print(f"GitPython iter_commits(paths=f): {per_file * 1000:.0f} ms per file on {len(sample)} files, "
              f"extrapolated {total:.0f} s for {len(files)} files = {total / warm:.0f}× the warm register")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
