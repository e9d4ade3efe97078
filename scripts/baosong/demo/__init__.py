"""`baosong demo`: a complete registry repository for the fictional city, with a year of activity.

Made the way it happens in life: each report is committed on a branch by its unit's officer (an
SSH-signed commit) and pushed; the registry server's hook receipts the pushed blob at once (a push
receipt, 收文登记: the report's arrival); the registry administrator merges it into main later (a
signed merge commit) — within minutes in office hours, next morning or after the weekend otherwise
(the duty officer merges emergencies at night, more slowly). One two-day outage of the receipt
service leaves its reports with main-line times and catch-up receipts. The simulation is seeded: the
same seed gives the same reports, the same trees and the same commit dates; only the throwaway keys
(and so the signatures and commit ids) differ between runs.

The package, in the order `generate_demo` uses it:

- `world.py`: dates, enumerations, the organisation read from the shipped config; `texts.py`: the
  city's places and the stock phrases of its reports.
- `files.py`: the target directory (schema/ and config/ copied), throwaway keys registered in
  units.yaml, and report files (written by `newreport`'s writer, the one `baosong new` uses).
- `timeline.py`: the simulated year (`simulate`): planted cases, random draws, ids, the office's merges.
- `activities.py`: the list of activities the timeline runs; `emergencies.py` and `items.py` are the
  activities themselves.
- `git.py`: the history (branch commits, merges, refs); `pack.py`: git objects written without
  forking git; `receipts.py`: the receipt service replayed with `baosong.receipts`' record builders.

Adding an activity (a new kind of report, a new duty): write a module beside `items.py` with
`draw(sim, when)` — one random occurrence at `when`, queued with `sim.add(doc, unit, created, arrival,
thread, planted, refs)` (`sim.people(unit)` gives author/reviewer/signer, `sim.minutes(lo, hi)` a seeded
delay, `sim.new_thread()` a series number; refs name earlier submissions whose ids fill fields such as
`report`) — and, if every demo must show some case, `planted(sim)`. Then add
`Activity("name", share, module.draw, module.planted)` to `activities.ACTIVITIES` and take its share
from the others (the shares sum to 1). Every random choice must come from `sim.rng` (or a generator
seeded from the seed), so that the same seed keeps giving the same trees; a new activity changes the
demo of every seed, and tests that count kinds may need the new kind. Document the new cases in
FORMAT.md's "Demo registry".

Speed (`--reports 50000` in minutes): git is never forked per report. Every object goes into one
pack written here and indexed by one `git index-pack` (`pack.py`); commits are signed in-process
(`git.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from baosong.demo.activities import ACTIVITIES, TOP_UP
from baosong.demo.files import prepare, report_text, tool_root, write_keys
from baosong.demo.git import run_git, write_history
from baosong.demo.pack import signed_commit
from baosong.demo.timeline import Activity, Submission, outage_window, simulate
from baosong.demo.world import (
    DEFAULT_NOW,
    DEFAULT_REPORTS,
    DEFAULT_START,
    KEY_DIR,
    DemoError,
    Progress,
    World,
)
from baosong.sshsig import SshKey


@dataclass
class DemoResult:
    out: Path
    reports: int
    commits: int
    head: str
    counts: dict[str, int]
    planted: dict[str, list[str]]


def generate_demo(out: Path, reports: int = DEFAULT_REPORTS, seed: int = 1, now: datetime = DEFAULT_NOW,
                  progress: Progress | None = None) -> DemoResult:
    """Write a registry repository with `reports` report files into `out` (which must not exist or be empty)."""
    out = Path(out)
    cfg = prepare(out, now)
    world = World(cfg)
    keys, registry_key, cfg = write_keys(out, cfg)
    sim = simulate(world, seed, DEFAULT_START, now, reports, ACTIVITIES, TOP_UP)
    subs = sim.subs
    write_history(out, cfg, subs, keys, keys[world.admin], world.admin, registry_key, sim.outage, progress)
    head = run_git(out, "rev-parse", "HEAD").decode().strip()
    counts: dict[str, int] = defaultdict(int)
    for s in subs:
        counts[s.doc["kind"] if s.doc["kind"] != "emergency" else f"emergency:{s.doc['stage']}"] += 1
    return DemoResult(out, len(subs), 2 * len(subs) + 1, head, dict(sorted(counts.items())),
                      _planted_summary(subs))


def _planted_summary(subs: list[Submission]) -> dict[str, list[str]]:
    late = [s.id for s in subs if s.doc.get("delay_reason")]
    silent = [s.id for s in subs if s.planted and s.doc.get("involved_units") and s.doc.get("stage") == "first"]
    return {"delay_reason": late, "involved": silent}


__all__ = ["ACTIVITIES", "DEFAULT_NOW", "DEFAULT_REPORTS", "KEY_DIR", "Activity", "DemoError", "DemoResult", "SshKey",
           "generate_demo", "outage_window", "report_text", "signed_commit", "tool_root"]
