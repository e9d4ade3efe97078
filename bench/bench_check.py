"""Benchmark `baosong check` against the parse floor and check-jsonschema, in the same run.

    python bench/bench_check.py                 # 10,000 and 50,000 reports
    python bench/bench_check.py --sizes 2000    # quicker

Registries come from `baosong demo --reports N` (cached under bench/results/). Figures printed:
floor = read every file + yaml.load(CSafeLoader); full = `baosong check --no-cache`; cached =
second `baosong check` of the unchanged registry; check-jsonschema on the same files and schema.
Each is a separate process timed by wall clock, so interpreter start-up is included everywhere.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent

FLOOR = """
import sys, yaml
from pathlib import Path
for f in sorted(Path(sys.argv[1], "reports").rglob("*.yaml")):
    yaml.load(f.read_bytes(), Loader=yaml.CSafeLoader)
"""


def registry(n: int) -> Path:
    out = RESULTS / f"demo-{n}"
    if not (out / "reports").is_dir():
        subprocess.run([BIN / "baosong", "demo", "--out", str(out), "--reports", str(n)], check=True)
    return out


def timed(cmd: list, cwd: Path, ok=(0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[:3]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def bench(n: int, with_cjs: bool, root: Path | None = None) -> None:
    root = root or registry(n)
    files = sorted(str(p) for p in (root / "reports").rglob("*.yaml"))
    shutil.rmtree(root / ".git" / "baosong-cache", ignore_errors=True)  # the cache is in the git directory
    floor = timed([sys.executable, "-c", FLOOR, str(root)], root)
    full = timed([BIN / "baosong", "check", "--no-cache"], root)
    timed([BIN / "baosong", "check"], root)  # fills the cache
    cached = timed([BIN / "baosong", "check"], root)
    print(f"\n== {len(files)} reports ({sum(os.path.getsize(f) for f in files) / len(files) / 1024:.1f} KB avg)")
    print(f"parse floor (read + CSafeLoader)  {floor:7.2f} s")
    print(f"baosong check, full               {full:7.2f} s   {full / floor:5.2f}× floor   (target ≤ 2×)")
    print(f"baosong check, unchanged (cache)  {cached:7.2f} s   (target < 2 s at 50,000)")
    if with_cjs:
        # In batches: 50,000 paths exceed the OS argument limit; the per-process start-up this adds is
        # small next to check-jsonschema's per-file cost.
        cjs = sum(timed([BIN / "check-jsonschema", "--schemafile", str(root / "schema/report.schema.json"),
                         *files[k:k + 5000]], root, ok=(0, 1)) for k in range(0, len(files), 5000))
        print(f"check-jsonschema (schema only)    {cjs:7.2f} s   baosong full is {cjs / full:5.2f}× faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--no-check-jsonschema", action="store_true")
    parser.add_argument("--registry", type=Path, help="benchmark this existing registry instead of generating")
    args = parser.parse_args()
    if args.registry:
        bench(0, not args.no_check_jsonschema, args.registry.resolve())
        return
    for n in args.sizes:
        bench(n, not args.no_check_jsonschema)


if __name__ == "__main__":
    main()
