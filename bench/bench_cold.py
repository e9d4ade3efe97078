"""Benchmark: the cold paths — what a new CI runner or an auditor with a fresh clone pays.

    .venv/bin/python bench/bench_cold.py                  # demo registry cached in bench/results/
    .venv/bin/python bench/bench_cold.py --reports 10000  # a smaller demo
    .venv/bin/python bench/bench_cold.py --old            # also the ssh-keygen path, for comparison

Everything runs in a fresh `git clone --no-local` of the demo registry (receipts fetched as CI does:
`git fetch origin 'refs/baosong/*:refs/baosong/*'`), so no cache of any kind exists. Prints, all
measured in the same run:
- the floor: one `git log --name-status` pass over main's history;
- `baosong verify` (every receipt and checkpoint signature) and `baosong audit`, each against the
  floor (target ≤ 10×); verify never caches, so a second run costs the same;
- `baosong registry --format json` cold (first run in the clone: every blob parsed, every commit's
  signature verified) and warm (median of 3), cold against warm (target ≤ 2×);
- `baosong check --base main` cold for a pull request adding one report (target < 5 s);
- with --old: `verify` and the cold register with every signature through ssh-keygen
  (`Verifier.in_process = False`), the path before in-process verification.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from baosong.cache import cache_dir  # noqa: E402
from bench_prcheck import BIN, RESULTS, Run, git, make_pr, timed  # noqa: E402
from bench_register import ratio  # noqa: E402

NOW = "2026-11-20T12:00:00+08:00"
OLD = ("import sys; from baosong.signatures import Verifier; Verifier.in_process = False; "
       "from baosong.cli import main; raise SystemExit(main(sys.argv[1:]))")


def median(runs: list[Run]) -> Run:
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="a registry made by `baosong demo` (default: bench/results/demo-N)")
    ap.add_argument("--old", action="store_true", help="also time the ssh-keygen path (slow: ~10 ms a signature)")
    args = ap.parse_args()

    demo = (args.repo or RESULTS / f"demo-{args.reports}").resolve()  # the runs use other working directories
    if not demo.exists():
        demo.parent.mkdir(parents=True, exist_ok=True)
        t = timed([str(BIN / "baosong"), "demo", "--out", str(demo), "--reports", str(args.reports)], demo.parent)
        print(f"baosong demo --reports {args.reports}: {t}")
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        clone = work / "clone"
        subprocess.run(["git", "clone", "-q", "--no-local", str(demo), str(clone)], check=True)
        git(clone, "fetch", "-q", "origin", "refs/baosong/*:refs/baosong/*")
        files = git(clone, "ls-tree", "-r", "--name-only", "main", "reports").count("\n") + 1
        commits = git(clone, "rev-list", "--count", "main")
        receipts = git(clone, "rev-list", "--count", "refs/baosong/receipts")
        print(f"fresh clone: {files} report files, {commits} commits on main, {receipts} receipt-store commits")

        floor = median([timed(["git", "log", "--name-status", "--format=%H %P %ct", "main"], clone)
                        for _ in range(3)])
        print(f"floor, one `git log --name-status` pass: {floor}")

        baosong = str(BIN / "baosong")
        verify = timed([baosong, "verify"], clone)
        print(f"baosong verify, fresh clone: {verify} = {ratio(verify, floor)} the floor (target ≤ 10×)")
        again = timed([baosong, "verify"], clone)
        print(f"baosong verify, second run (nothing cached, by design): {again}")
        audit = timed([baosong, "audit"], clone)
        print(f"baosong audit, fresh clone: {audit} = {ratio(audit, floor)} the floor (target ≤ 10×)")

        registry = [baosong, "registry", "--format", "json", "--now", NOW]
        cold = timed(registry, clone)
        warm = median([timed(registry, clone) for _ in range(3)])
        print(f"baosong registry, cold (first run in the clone): {cold}")
        print(f"baosong registry, warm (median of 3): {warm} = {ratio(warm, floor)} the floor")
        print(f"cold / warm register: {ratio(cold, warm)} (target ≤ 2×)")

        head_date = git(demo, "log", "-1", "--format=%cI", "main")
        now = datetime.fromisoformat(head_date) + timedelta(minutes=5)
        pr, _ = make_pr(demo, work, now)
        check = timed([baosong, "check", "--base", "main", "--now", now.isoformat(timespec="seconds"),
                       "--format", "json"], pr, ok=(0, 1))
        print(f"baosong check --base main, cold (one new report, no cache): {check} (target < 5 s)")

        if args.old:
            old = [sys.executable, "-c", OLD]
            old_verify = timed([*old, "verify"], clone)
            print(f"old path, verify with ssh-keygen: {old_verify} = {ratio(old_verify, verify)} the in-process verify")
            shutil.rmtree(cache_dir(clone), ignore_errors=True)
            old_cold = timed([*old, *registry[1:]], clone)
            print(f"old path, cold register with ssh-keygen: {old_cold} = {ratio(old_cold, cold)} the in-process "
                  "cold register")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
