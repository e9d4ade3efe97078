"""Benchmark: the register's typed records against their JSON round trip, in one process.

    .venv/bin/python bench/bench_records.py --repo /tmp/big   # a registry made by `baosong demo`
    .venv/bin/python bench/bench_records.py                   # bench/results/demo-50000 (see bench_register)

The portal computes the register in-process. It can hand its pages the typed records as built, or
their JSON form (`register.register_json`, what it does today: dicts, times as ISO strings),
or go all the way back to typed records (`ReportRecord.from_json`) as it would if it read a
`register.json` written by `baosong registry`. Prints, all measured in the same run (median of
--runs), each as a ratio against computing the register (`build_register`, warm caches):
- `to_json()` of every record; the JSON text (`register_json_text`); `json.loads` of it;
  `from_json` of every record; the whole round trip records → text → records; the portal's dicts
  as they were made before (text, then `json.loads`) and now (`register_json`, from `to_json()`);
- the memory the records take as typed records and as JSON dicts (tracemalloc, a separate pass).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from baosong.records import IncidentRecord, ReportRecord  # noqa: E402
from baosong.register import build_register, register_json, register_json_text  # noqa: E402

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"
NOW = datetime.fromisoformat("2026-11-20T12:00:00+08:00")


def median_time(fn: Callable[[], T], runs: int) -> tuple[float, T]:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def allocated(fn: Callable[[], T]) -> tuple[int, T]:
    """Bytes still allocated by what `fn` returns (it is kept alive while measuring)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    out = fn()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return size, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=50_000)
    ap.add_argument("--repo", type=Path, help="an existing demo registry (default: bench/results/demo-N)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    repo = (args.repo or RESULTS / f"demo-{args.reports}").resolve()
    if not repo.exists():
        print(f"no registry at {repo}: make one with `baosong demo --out {repo} --reports {args.reports}`")
        return 2

    build_register(repo, now=NOW)  # fill the caches: the portal's normal case is warm
    t_reg, reg = median_time(lambda: build_register(repo, now=NOW), args.runs)
    reports, incidents = reg.reports, reg.incidents
    t_to, _ = median_time(lambda: [r.to_json() for r in reports] + [i.to_json() for i in incidents], args.runs)
    t_data, _ = median_time(lambda: register_json(reg), args.runs)
    t_text, text = median_time(lambda: register_json_text(reg), args.runs)
    t_loads, data = median_time(lambda: json.loads(text), args.runs)
    t_from, back = median_time(lambda: ([ReportRecord.from_json(r) for r in data["reports"]],
                                        [IncidentRecord.from_json(i) for i in data["incidents"]]),
                               args.runs)
    assert back == (reports, incidents), "the round trip changed a record"
    t_trip, _ = median_time(lambda: [ReportRecord.from_json(r) for r in json.loads(register_json_text(reg))["reports"]],
                            args.runs)

    mem_typed, kept = allocated(lambda: build_register(repo, now=NOW).reports)
    del kept
    mem_json, kept = allocated(lambda: json.loads(text)["reports"])
    del kept

    print(f"registry {repo}: {len(reports)} reports, {len(incidents)} incidents, JSON {len(text) / 1e6:.1f} MB")
    print(f"  register (build_register, warm)        {t_reg:7.2f} s  = 1.00")
    rows = [("to_json() of every record", t_to), ("JSON text (register_json_text)", t_text),
            ("json.loads of the text", t_loads), ("from_json of every record", t_from),
            ("the portal's dicts before: text + loads", t_text + t_loads),
            ("the portal's dicts now: register_json", t_data),
            ("round trip records → text → records", t_trip)]
    for label, t in rows:
        print(f"  {label:<38} {t:7.2f} s  = {t / t_reg:.2f} × register")
    print(f"  memory kept by the report records: typed {mem_typed / 1e6:.0f} MB, JSON dicts {mem_json / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
