"""Benchmark `baosong check` against the parse floor and check-jsonschema, in the same run.

    python bench/bench_check.py                 # 10,000 and 50,000 reports
    python bench/bench_check.py --sizes 2000    # quicker
    python bench/bench_check.py --per-report --registry CLONE --base REV   # µs per report, REV vs this tree

Registries come from `baosong demo --reports N` (cached under bench/results/). Figures printed:
floor = read every file + yaml.load(CSafeLoader); full = `baosong check --no-cache`; cached =
second `baosong check` of the unchanged registry; check-jsonschema on the same files and schema.
Each is a separate process timed by wall clock, so interpreter start-up is included everywhere.

`--per-report` times what a cold register pays per report blob, in-process (CPU time, the minimum of
--rounds passes over every report of the registry's work tree): `load_yaml`, the schema,
`rules.check_document` and all of `check.check_bytes_doc`, for the code at REV (extracted with
`git archive`) and for this tree, alternating in child processes, and requires identical results
(data, positions, problems, summaries) from both. `--callgrind N` counts instructions per report
instead (valgrind, first N reports): the figure the load of a shared machine does not move.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
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


PER_REPORT = r"""
import glob, hashlib, json, sys, time
from pathlib import Path
from baosong.check import check_bytes_doc, layout_path
from baosong.config import load_config
from baosong.rules import check_document
from baosong.sources import WorkTree
from baosong.yamlload import load_yaml

root, rounds = Path(sys.argv[1]), int(sys.argv[2])
cfg = load_config(WorkTree(root))
files = sorted(glob.glob(str(root / "reports" / "**" / "*.yaml"), recursive=True))
files = files[:int(sys.argv[4])] if len(sys.argv) > 4 else files
blobs = [(f[len(str(root)) + 1:], Path(f).read_bytes()) for f in files]
loaded = [(p, load_yaml(b, p), b) for p, b in blobs]
valid = [(p, ld, b) for p, ld, b in loaded if ld.data is not None]
schema = cfg.report_schema


def stages():
    yield "load_yaml", lambda: [load_yaml(b, p) for p, b in blobs]
    yield "schema", lambda: [schema.errors(ld.data) for _, ld, _ in valid]
    yield "rules", lambda: [check_document(layout_path(p), ld.data, ld.position, cfg, b) for p, ld, b in valid]
    yield "check_bytes_doc", lambda: [check_bytes_doc(p, b, cfg) for p, b in blobs]


if len(sys.argv) > 3:  # one stage once (or none: "setup"), for an instruction count under valgrind
    for name, run in stages():
        if name == sys.argv[3]:
            run()
    sys.exit(0)
best = {}
for _ in range(rounds):
    for name, run in stages():
        start = time.process_time()
        run()
        spent = (time.process_time() - start) / len(blobs) * 1e6
        best[name] = min(best.get(name, spent), spent)
digest = hashlib.sha256()
for p, b in blobs:
    ld = load_yaml(b, p)
    problems, summary, doc = check_bytes_doc(p, b, cfg)
    verdicts = [(q.path, q.line, q.column, q.field, q.rule, q.message, q.severity) for q in ld.problems + problems]
    digest.update(repr((ld.data, list(ld.positions.items()), verdicts, summary, doc)).encode())
print(json.dumps({"us": best, "reports": len(blobs), "digest": digest.hexdigest()}))
"""


STAGES = ("load_yaml", "schema", "rules", "check_bytes_doc")


def instructions(root: Path, trees: dict[str, Path], reports: int) -> None:
    """Instructions per report of each stage (valgrind's callgrind, the first `reports` reports): a
    count that the machine's load does not move, unlike the CPU times on this shared machine."""
    def count(tree: Path, stage: str) -> int:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                               "-c", PER_REPORT, str(root), "1", stage, str(reports)],
                              env=env, capture_output=True, text=True, check=True)
        return int(re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr).group(1).replace(",", ""))

    print(f"\n== instructions per report (callgrind, first {reports} reports), base vs this tree")
    setup = {name: count(tree, "setup") for name, tree in trees.items()}
    for stage in STAGES:
        old, new = ((count(tree, stage) - setup[name]) / reports for name, tree in trees.items())
        print(f"{stage:16s} {old / 1000:8.1f}k {new / 1000:8.1f}k   {(new - old) / 1000:+7.1f}k   new/base {new / old:5.3f}")


def per_report(root: Path, base: str, rounds: int, passes: int, callgrind: int = 0) -> None:
    """µs per report of the loader, schema, rules and check_bytes_doc: REV against this tree."""
    with tempfile.TemporaryDirectory(prefix="bench-check-base-") as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", base, "scripts"], check=True,
                                 capture_output=True).stdout
        archive_path = Path(tmp) / "base.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(tmp, filter="data")
        trees = {"base": Path(tmp) / "scripts", "new": REPO / "scripts"}
        if callgrind:
            instructions(root, trees, callgrind)
            return
        results: dict[str, list[dict]] = {"base": [], "new": []}
        for _ in range(passes):
            for name, tree in trees.items():  # alternating, so both see the same load
                env = {**os.environ, "PYTHONPATH": str(tree)}
                out = subprocess.run([sys.executable, "-c", PER_REPORT, str(root), str(rounds)], env=env,
                                     check=True, capture_output=True, text=True).stdout
                results[name].append(json.loads(out))
    digests = {name: {r["digest"] for r in runs} for name, runs in results.items()}
    same = digests["base"] == digests["new"] and len(digests["new"]) == 1
    n = results["new"][0]["reports"]
    print(f"\n== {n} reports of {root}: µs per report (CPU, min of {rounds} rounds × {passes} passes), {base} vs this tree")
    for stage in results["new"][0]["us"]:
        old = min(r["us"][stage] for r in results["base"])
        new = min(r["us"][stage] for r in results["new"])
        print(f"{stage:16s} {old:8.1f} {new:8.1f}   {new - old:+7.1f} µs   new/base {new / old:5.2f}")
    print(f"results (data, positions, problems, summaries) identical: {same}")
    if not same:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--no-check-jsonschema", action="store_true")
    parser.add_argument("--registry", type=Path, help="benchmark this existing registry instead of generating")
    parser.add_argument("--per-report", action="store_true", help="µs per report in-process, --base vs this tree")
    parser.add_argument("--base", default="HEAD", help="revision to compare with (--per-report)")
    parser.add_argument("--rounds", type=int, default=3, help="passes per child process (--per-report)")
    parser.add_argument("--passes", type=int, default=2, help="child processes per variant (--per-report)")
    parser.add_argument("--callgrind", type=int, default=0, metavar="N",
                        help="with --per-report: instructions per report over the first N reports (valgrind)")
    args = parser.parse_args()
    if args.per_report:
        if not args.registry:
            parser.error("--per-report needs --registry")
        per_report(args.registry.resolve(), args.base, args.rounds, args.passes, args.callgrind)
        return
    if args.registry:
        bench(0, not args.no_check_jsonschema, args.registry.resolve())
        return
    for n in args.sizes:
        bench(n, not args.no_check_jsonschema)


if __name__ == "__main__":
    main()
