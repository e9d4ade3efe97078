"""How to store baosong's caches: JSON files vs the standard library's sqlite3, at 50,000 entries.

    python bench/bench_cache.py [--entries 50000] [--repeat 5]

Entries have the shapes of the check cache (per file: stat key, blob id, problems, summary) and the
register cache (per path and blob: errors, kept fields), with values like the ones a `baosong demo`
registry produces. Each variant is timed on the same entries in the same run (CPU time, best of
--repeat): a full load (read + parse + the shape checks and conversions the cache codecs do; a warm
run needs every entry) and a full save; for SQLite also the update of one row, its structural
advantage. JSON and SQLite load with the cyclic GC paused, as `baosong.cache` does; the old
pickle format is timed as the old code loaded it, as the reference it replaces (our own bytes, in
a temporary directory).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import pickle
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from baosong.check import _decode_check, _encode_check  # noqa: E402
from baosong.register import _decode_judged, _encode_judged  # noqa: E402


def check_entries(n: int) -> dict[str, tuple]:
    rnd = random.Random(1)
    out = {}
    units = ["gaj", "blx", "dcq", "xhq", "slj", "xxk"]
    for i in range(n):
        unit = units[i % len(units)]
        rid = f"{unit}-2026{1 + i % 12:02d}{1 + i % 28:02d}-officer{i}-{i % 90 + 1:02d}"
        path = f"reports/2026/{unit}/{rid}.yaml"
        kind = rnd.choice(["info", "emergency", "opinion"])
        refs = {"incident": rid} if kind == "emergency" and i % 3 else {}
        pos = {"id": (2, 1), "created_at": (6, 1), **({"incident": (9, 1), "sequence": (10, 1)} if refs else {})}
        # Distinct strings per entry, as in a real registry (pickle would share repeated ones).
        created = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i // 60 % 60:02d}+08:00"
        summary = {"path": path, "id": rid, "kind": kind, "unit": unit, "stage": "followup" if refs else None,
                   "sequence": 2 if refs else None, "created_at": created,
                   "latest_time": created[:-6] + "+08:00", "latest_ts": 1767644158.0 + i,
                   "latest_field": "created_at", "refs": refs, "pos": pos}
        problems = ((path, 12, 3, "delay_reason", "late-recorded", "迟报原因说明已附，将登记为迟报。", "warning"),) \
            if i % 40 == 0 else ()
        out[path] = ((600 + i % 300, 1796031939609769644 + i, 2237021 + i), f"{i:040x}", problems, summary)
    assert len(out) == n
    return out


def register_entries(n: int) -> dict[tuple[str, str], tuple]:
    """(path, blob) -> (error tuples, kept fields): the register cache's shape."""
    out = {}
    for path, (_, blob, _, summary) in check_entries(n).items():
        kept = {"id": summary["id"], "kind": summary["kind"], "unit": summary["unit"], "title": f"标题{blob[-6:]}",
                "created_at": summary["created_at"], "author": "officer", "signer": "head", "info_type": "dynamic"}
        out[(path, blob)] = ([], kept)
    return out


@contextlib.contextmanager
def gc_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def best(fn, repeat: int) -> float:
    """Least CPU time of `repeat` runs (the machine is shared: wall time would measure the neighbours)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def bench(label: str, entries: dict, encode, decode, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        folder = Path(tmp)
        pk, js, db = folder / "c.pickle", folder / "c.json", folder / "c.sqlite"
        encoded = encode(entries)
        pairs = list(encoded.items()) if isinstance(encoded, dict) else [(str(i), e) for i, e in enumerate(encoded)]

        def pickle_save() -> None:
            pk.write_bytes(pickle.dumps({"format": 2, "entries": entries}, protocol=pickle.HIGHEST_PROTOCOL))

        def pickle_load() -> dict:
            return pickle.loads(pk.read_bytes())["entries"]  # noqa: S301 (our own bytes: the format replaced)

        def json_save() -> None:
            js.write_bytes(json.dumps({"format": 3, "entries": encode(entries)}, separators=(",", ":")).encode("ascii"))

        def json_load() -> dict:
            with gc_off():  # as baosong.cache.Cache.load does
                return decode(json.loads(js.read_bytes())["entries"])

        def sqlite_save() -> None:
            db.unlink(missing_ok=True)
            con = sqlite3.connect(db)
            con.execute("CREATE TABLE c (k TEXT PRIMARY KEY, entry TEXT)")
            con.executemany("INSERT INTO c VALUES (?, ?)",
                            ((k, json.dumps(v, separators=(",", ":"))) for k, v in pairs))
            con.commit()
            con.close()

        def sqlite_load() -> dict:
            with gc_off():
                con = sqlite3.connect(db)
                rows = [(k, json.loads(v)) for k, v in con.execute("SELECT k, entry FROM c")]
                con.close()
                return decode(dict(rows) if isinstance(encoded, dict) else [v for _, v in rows])

        def sqlite_update_one() -> None:
            con = sqlite3.connect(db)
            con.execute("INSERT OR REPLACE INTO c VALUES (?, ?)", ("reports/x.yaml", "[]"))
            con.commit()
            con.close()

        print(f"\n== {label}, {len(entries):,} entries (CPU, best of {repeat})")
        print(f"{'format':26} {'load':>8} {'save':>8} {'size':>8}")
        for name, save, load, file in [("pickle (old, unsafe)", pickle_save, pickle_load, pk),
                                       ("JSON file", json_save, json_load, js),
                                       ("sqlite3, JSON per row", sqlite_save, sqlite_load, db)]:
            s = best(save, repeat)
            assert load() == entries  # the round trip is exact (tuples stay tuples)
            ld = best(load, repeat)
            print(f"{name:26} {ld:7.3f}s {s:7.3f}s {os.path.getsize(file) / 1e6:6.1f}MB")
        sqlite_save()
        print(f"{'sqlite3, update one row':26} {best(sqlite_update_one, repeat):7.3f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, nargs="+", default=[50_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for n in args.entries:
        bench("check cache", check_entries(n), _encode_check, _decode_check, args.repeat)
        bench("register cache", register_entries(n), _encode_judged, _decode_judged, args.repeat)


if __name__ == "__main__":
    main()
