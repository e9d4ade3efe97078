"""Benchmark: beyond one machine (issue 13) — the Parquet export of a large registry, and a
province-wide DuckDB query over 15 cities' exports (≈ 750,000 report rows).

    .venv/bin/python bench/bench_province.py --repo /tmp/big      # a `baosong demo --reports 50000` clone
    .venv/bin/python bench/bench_province.py --repo /tmp/big --cities 15 --small 300

Prints, all measured in the same run:
1. Export at the size of one city (the demo registry given with --repo): `baosong registry --format
   json` warm (computing the register: the baseline) against `baosong export --what register
   --format parquet` (the same register plus the Parquet files) and `--format csv`, as ratios; where
   the export's time goes in-process (load_context = the register, rows, Parquet writing); the
   scores table (`--what scores --format parquet`); file sizes against the register JSON.
2. The province query, SYNTHETIC: generating 15 real 50,000-report registries (signed commits,
   receipts) takes 15 × several minutes here, so the 15 cities' files are made from the one real
   export by re-labelling (`registry`, `registry_name`) and perturbing rows per city (a deterministic,
   per-city share of on-time reports becomes late, so the ranking has something to rank). The rows
   are real register rows, the per-city differences are not. `baosong analyze` (every shipped query,
   a fresh process) over the 15 cities (≈ 750,000 report rows) against the same over one city, and
   each query's time in-process.
3. The real path on small real registries: `baosong demo --reports N --seed k` for k = 1..3, each
   exported with `baosong export --format parquet`, then `baosong analyze` over the three.

The machine is shared (2 cores): wall time swings with the load, CPU time (user + sys of the child
processes) much less; both are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_register import Run, timed  # noqa: E402  (one timing helper for the benches)

BIN = Path(sys.executable).parent
NOW = "2026-11-20T12:00:00+08:00"
CITIES = ["江州市", "临川市", "安平市", "青原市", "南湖市", "北川市", "西陵市", "东阳市", "云岭市", "白水市",
          "石门市", "长宁市", "清河市", "丰城市", "宁远市", "平湖市", "兴安市", "永安市", "新华市", "和平市"]


def best_of(n: int, cmd: list[str], cwd: Path | None = None) -> Run:
    runs = [timed(cmd, cwd) for _ in range(n)]
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def ratio(a: Run, b: Run) -> str:
    return f"{a.wall / b.wall:.2f}× wall, {a.cpu / b.cpu:.2f}× CPU"


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def export_cmd(what: str, fmt: str, out: Path, registry: str | None = None) -> list[str]:
    cmd = [str(BIN / "baosong"), "export", "--what", what, "--period", "2026", "--format", fmt, "--now", NOW,
           "--out", str(out)]
    return cmd + (["--registry", registry] if registry else [])


def one_city(repo: Path, work: Path, repeat: int) -> Path:
    print(f"\n## 1. Export of one registry ({repo})")
    registry = [str(BIN / "baosong"), "registry", "--format", "json", "--now", NOW]
    timed(registry, repo)  # warm the caches (the normal case: the register's caches by blob and commit)
    base = best_of(repeat, registry, repo)
    print(f"baosong registry --format json, warm (baseline): {base}")
    parquet = best_of(repeat, export_cmd("register", "parquet", work / "city", "city00"), repo)
    print(f"baosong export --what register --format parquet: {parquet} = {ratio(parquet, base)} the register")
    csv = best_of(repeat, export_cmd("register", "csv", work / "register.csv"), repo)
    print(f"baosong export --what register --format csv: {csv} = {ratio(csv, base)} the register")
    scores = best_of(repeat, export_cmd("scores", "parquet", work / "scores", "city00"), repo)
    print(f"baosong export --what scores --format parquet: {scores} = {ratio(scores, base)} the register")

    # In-process: where the Parquet export's time goes.
    from baosong.analysis import COLUMNS, incident_rows, report_rows, score_rows, write_parquet
    from baosong.portal.data import load_context
    from baosong.scoring import parse_period
    from baosong.timeutil import parse_datetime

    period = parse_period("2026")
    t0 = time.perf_counter()
    ctx = load_context(repo, now=parse_datetime(NOW))
    t1 = time.perf_counter()
    reports, incidents = report_rows(ctx, period, "city00"), incident_rows(ctx, period, "city00")
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_parquet(reports, COLUMNS["reports"], Path(tmp) / "r.parquet")
        write_parquet(incidents, COLUMNS["incidents"], Path(tmp) / "i.parquet")
    t3 = time.perf_counter()
    score_rows(ctx, period, "city00")
    t4 = time.perf_counter()
    print(f"in-process: load_context (register + portal context) {t1 - t0:.2f} s, rows {t2 - t1:.2f} s "
          f"({len(reports):,} reports, {len(incidents):,} incidents), Parquet writing {t3 - t2:.2f} s, "
          f"scores table {t4 - t3:.2f} s; export-only share {(t3 - t1) / (t3 - t0):.0%}")
    reg_json = work / "register.json"
    with reg_json.open("wb") as fh:
        subprocess.run(registry, cwd=repo, check=True, stdout=fh)
    print(f"sizes: reports.parquet {mib(size(work / 'city' / 'reports.parquet'))}, incidents.parquet "
          f"{mib(size(work / 'city' / 'incidents.parquet'))}; register CSV {mib(size(work / 'register.csv'))}; "
          f"register JSON {mib(size(reg_json))} "
          f"(Parquet = {size(work / 'city') / size(reg_json):.1%} of the JSON)")
    return work / "city"


def synthetic_province(src: Path, dest: Path, cities: int) -> int:
    """`cities` directories of re-labelled, perturbed copies of one real export; returns report rows."""
    import duckdb

    con = duckdb.connect()
    total = 0
    for k in range(cities):
        reg, name = f"city{k:02d}", CITIES[k % len(CITIES)] + ("" if k < len(CITIES) else str(k))
        out = dest / reg
        out.mkdir(parents=True)
        # City k turns k % 7 percent of its on-time reports into late ones (0–6 %), by a hash of the id.
        late = (f"CASE WHEN status = 'on_time' AND hash(id || '{reg}') % 100 < {k % 7} THEN 'late' "
                "ELSE status END")
        delay = (f"CASE WHEN status = 'on_time' AND hash(id || '{reg}') % 100 < {k % 7} "
                 "THEN CAST(1 + hash(id) % 240 AS INTEGER) ELSE delay_minutes END")
        con.execute(f"COPY (SELECT * REPLACE ('{reg}' AS registry, '{name}' AS registry_name, {late} AS status, "
                    f"{delay} AS delay_minutes) FROM read_parquet('{src / 'reports.parquet'}')) "
                    f"TO '{out / 'reports.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        con.execute(f"COPY (SELECT * REPLACE ('{reg}' AS registry, '{name}' AS registry_name) "
                    f"FROM read_parquet('{src / 'incidents.parquet'}')) TO '{out / 'incidents.parquet'}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        total += con.execute(f"SELECT count(*) FROM read_parquet('{out / 'reports.parquet'}')").fetchone()[0]
    return total


def province(city: Path, work: Path, cities: int, repeat: int) -> None:
    print(f"\n## 2. Province query over {cities} cities (SYNTHETIC: one real export re-labelled and perturbed)")
    prov = work / "province"
    start = time.perf_counter()
    rows = synthetic_province(city, prov, cities)
    print(f"made {cities} cities' files: {rows:,} report rows, {mib(size(prov))} in "
          f"{time.perf_counter() - start:.1f} s")
    analyze = [str(BIN / "baosong"), "analyze", "--format", "json"]
    one = best_of(repeat, analyze + [str(prov / "city00")])
    print(f"baosong analyze (all shipped queries, fresh process) over 1 city: {one}")
    many = best_of(repeat, analyze + [str(prov)])
    print(f"baosong analyze over {cities} cities ({rows:,} report rows): {many} = {ratio(many, one)} one city")
    result = json.loads(subprocess.run(analyze + [str(prov), "--query", "city_ranking"], check=True,
                                       capture_output=True, text=True).stdout)
    top = result["city_ranking"]["rows"]
    print(f"ranking: first {top[0][1]} {top[0][7]} %, last {top[-1][1]} {top[-1][7]} % on time")

    from baosong.analysis import connect, find_exports, parse_queries, run_queries, shipped_sql

    con = connect(find_exports([prov]))
    timings = []
    for q in parse_queries(shipped_sql()):
        t = time.perf_counter()
        run_queries(con, [q])
        timings.append(f"{q.name} {time.perf_counter() - t:.2f} s")
    print("in-process, per query (views over the files, no load step): " + ", ".join(timings))


def small_real(work: Path, n: int, seeds: int) -> None:
    print(f"\n## 3. The real path: {seeds} demo registries of {n} reports, exported and analysed")
    base = work / "small"
    exports = base / "exports"
    demo_t, export_t = [], []
    for seed in range(1, seeds + 1):
        repo = base / f"demo{seed}"
        demo_t.append(timed([str(BIN / "baosong"), "demo", "--out", str(repo), "--reports", str(n), "--seed",
                             str(seed)]))
        export_t.append(timed(export_cmd("register", "parquet", exports / f"city{seed}", f"city{seed}"), repo))
    print(f"baosong demo: {', '.join(str(t) for t in demo_t)}")
    print(f"baosong export --format parquet (cold register: a fresh demo): {', '.join(str(t) for t in export_t)}")
    run = best_of(3, [str(BIN / "baosong"), "analyze", str(exports)])
    print(f"baosong analyze over the {seeds} registries: {run}")
    out = subprocess.run([str(BIN / "baosong"), "analyze", str(exports), "--query", "city_ranking"], check=True,
                         capture_output=True, text=True).stdout
    print(out.rstrip())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True,
                    help="a registry made by `baosong demo` (a clone: the register's cache is written there)")
    ap.add_argument("--cities", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--small", type=int, default=300, help="reports per small real demo registry (part 3)")
    ap.add_argument("--small-count", type=int, default=3, help="small real demo registries (part 3)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-province-"))
    try:
        city = one_city(args.repo.resolve(), work, args.repeat)
        province(city, work, args.cities, args.repeat)
        small_real(work, args.small, args.small_count)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
