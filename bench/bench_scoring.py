"""Benchmark scoring and bulletins against the full portal build on the same demo registry.

    python bench/bench_scoring.py                      # the 50,000-report demo (bench/results/demo-50000)
    python bench/bench_scoring.py --reports 2000       # quicker
    python bench/bench_scoring.py --repo /tmp/big      # an existing registry
    python bench/bench_scoring.py --skip-build         # compare with `baosong registry` only

Figures (wall clock, same machine, same run):
- build     `baosong build` in a subprocess (register cache warmed first, as on a CI runner that keeps it);
- registry  `baosong registry --format json` in a subprocess (cached), the reference when no build is wanted;
- scoring   in-process, from a loaded portal context: parse the office records' documents, `compute_scores`,
            a `period_table` for every period, `all_bulletins` (every finished period);
- pages     in-process: the 考核 and 通报 providers (pages, printable bulletins, every export file).
The target: scoring (+ bulletins) under 10 % of the build.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
BIN = Path(sys.executable).parent


def registry(n: int) -> Path:
    out = RESULTS / f"demo-{n}"
    if not (out / "reports").is_dir():
        subprocess.run([BIN / "baosong", "demo", "--out", str(out), "--reports", str(n)], check=True)
    return out


def timed(cmd: list, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def in_process(root: Path) -> dict[str, float]:
    from baosong.bulletins import all_bulletins
    from baosong.portal import bulletin_pages, score_pages
    from baosong.portal.data import load_context
    from baosong.scoring import compute_scores, period_table
    from baosong.vocab import LEVEL_ZH

    start = time.perf_counter()
    ctx = load_context(root)
    loaded = time.perf_counter()
    office = {r.id: ctx.document(r.id) for r in ctx.register.reports
              if r.id and r.kind in ("adoption", "instruction", "notice")}
    docs = time.perf_counter()
    scores = compute_scores(ctx.register.reports, {k: v for k, v in office.items() if v}, ctx.policy, ctx.units,
                            now=ctx.now, registry_office=ctx.extra.get("registry_office"))
    for period in scores.periods():
        period_table(scores, period)
    scored = time.perf_counter()
    bulletins = all_bulletins(scores, issuer=ctx.unit_name(ctx.extra.get("registry_office")), city=ctx.city,
                              level_zh=LEVEL_ZH)
    done = time.perf_counter()
    ctx.extra["_scores"], ctx.extra["_bulletins"] = scores, bulletins
    items = list(score_pages.provide(ctx)) + list(bulletin_pages.provide(ctx))
    pages = time.perf_counter()
    print(f"  {len(ctx.register.reports)} reports, {len(office)} office records, {len(scores.entries)} ledger "
          f"entries, {len(scores.periods())} periods, {len(bulletins)} bulletins, {len(items)} portal items")
    return {"context": loaded - start, "office docs": docs - loaded, "scores": scored - docs,
            "bulletins": done - scored, "pages": pages - done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=50000)
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    root = args.repo or registry(args.reports)
    print(f"== {root}")
    reg_time = timed([BIN / "baosong", "registry", "--format", "json"], root)   # warms the cache
    reg_time = timed([BIN / "baosong", "registry", "--format", "json"], root)
    t = in_process(root)
    scoring = t["office docs"] + t["scores"] + t["bulletins"]
    for name, value in t.items():
        print(f"  {name:12s} {value:8.2f} s")
    print(f"  registry     {reg_time:8.2f} s   (baosong registry, cached)")
    print(f"  scoring+bulletins {scoring:.2f} s = {100 * scoring / reg_time:.1f} % of the registry time")
    if not args.skip_build:
        with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
            build = timed([BIN / "baosong", "build", "--out", str(Path(tmp) / "site")], root)
        print(f"  build        {build:8.2f} s   (baosong build)")
        print(f"  scoring+bulletins {scoring:.2f} s = {100 * scoring / build:.1f} % of the build "
              f"(target < 10 %); 考核/通报 pages and files {t['pages']:.2f} s = {100 * t['pages'] / build:.1f} %")


if __name__ == "__main__":
    main()
