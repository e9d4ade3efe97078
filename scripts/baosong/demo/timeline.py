"""The simulated year: the submissions, the simulation's shared state, and the order of events.

`simulate` runs the year: first every activity's planted cases (in the order of the activity list),
then random occurrences drawn by each activity's share until the target count is reached; then the
latest unplanted reports are trimmed, ids are assigned in drafting order, and the office's merges
are timed. The activities themselves (what a unit reports, and when) live in their own modules and
are listed in `activities.py`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from baosong.demo.texts import DISTRICT_PLACES
from baosong.demo.world import TZ, DemoError, World
from baosong.timeutil import iso


@dataclass
class Submission:
    """One report file and how it came in: committed on a branch, pushed (= arrival, the push receipt's
    time), merged into main by the office (`merged`, set by `_office_merges`)."""

    doc: dict
    unit: str
    author: str
    created: datetime
    committed: datetime
    arrival: datetime
    thread: int
    planted: bool = False
    refs: dict[str, Submission] = field(default_factory=dict)  # field -> submission, resolved to ids
    merge_delay: timedelta | None = None  # a planted office delay instead of the office's habits
    merged: datetime | None = None

    @property
    def id(self) -> str:
        return self.doc["id"]

    @property
    def path(self) -> str:
        return f"reports/{self.id[len(self.unit) + 1:][:4]}/{self.unit}/{self.id}.yaml"


class Simulation:
    """The year's shared state: the world, the seeded random generator, and the submissions so far.

    Activities receive it as their first argument and queue reports with `add`."""

    def __init__(self, world: World, rng: random.Random, start: datetime, now: datetime) -> None:
        self.w = world
        self.rng = rng
        self.start = start
        self.now = now
        self.subs: list[Submission] = []
        self.thread = 0
        self.outage = outage_window(start, now)
        self.target = 0  # the report count asked for (set by simulate before anything is planted)

    # ---- helpers ------------------------------------------------------------------------------
    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=round(self.rng.uniform(lo, hi) * 60))

    def place(self, unit: str) -> tuple[str, str]:
        district = unit if unit in DISTRICT_PLACES else self.rng.choice(list(DISTRICT_PLACES))
        name, towns = DISTRICT_PLACES[district]
        return name + self.rng.choice(towns), district

    def people(self, unit: str) -> dict:
        doc = {"author": self.rng.choice(self.w.officers[unit])}
        if self.w.reviewers[unit] and self.rng.random() < 0.7:
            doc["reviewer"] = self.rng.choice(self.w.reviewers[unit])
        doc["signer"] = self.w.heads[unit][0]
        return doc

    def new_thread(self) -> int:
        self.thread += 1
        return self.thread

    def add(self, doc: dict, unit: str, created: datetime, arrival: datetime, thread: int, planted: bool,
            refs: dict | None = None) -> Submission | None:
        """Queue a report that arrives at `arrival`; None (dropped) when that is after now."""
        if arrival > self.now:
            return None
        committed = max(created + self.minutes(0.5, 3), arrival - self.minutes(2, 12))
        committed = min(committed, arrival - timedelta(seconds=30))
        created = min(created, committed - timedelta(seconds=30))
        body = {"kind": doc.pop("kind"), "unit": unit, "title": doc.pop("title"), "created_at": iso(created)}
        body.update(doc)
        sub = Submission(body, unit, body["author"], created, committed, arrival, thread, planted, refs or {})
        self.subs.append(sub)
        return sub

    def random_time(self, lo_frac: float = 0.0, hi_frac: float = 1.0) -> datetime:
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=round(self.rng.uniform(lo_frac, hi_frac) * span))


@dataclass(frozen=True)
class Activity:
    """Something the units do through the year, in the demo (see the package docstring).

    planted(sim): the cases every demo must show, whatever its size and seed (called once, first);
    draw(sim, when): one random occurrence at `when` (called for a `share` of the random draws).
    """

    name: str
    share: float
    draw: Callable[[Simulation, datetime], object] | None  # None: planted cases only (share 0)
    planted: Callable[[Simulation], object] | None = None


def simulate(world: World, seed: int, start: datetime, now: datetime, reports: int,
             activities: Sequence[Activity], top_up: Callable[[Simulation, datetime], object]) -> Simulation:
    """The year's submissions (`sim.subs`): planted cases, then random draws, trimmed to `reports`,
    with ids and merge times. top_up(sim, when) adds one single report (no series) at the end."""
    sim = Simulation(world, random.Random(seed), start, now)
    sim.target = reports
    for activity in activities:
        if activity.planted is not None:
            activity.planted(sim)
    planted_count = len(sim.subs)
    if reports < planted_count:
        raise DemoError(f"--reports 至少为 {planted_count}（演示必须包含的迟报、漏报、超期续报等情形）。")
    _fill(sim, reports, activities, top_up)
    sim.subs = _trim(sim.subs, reports)
    _assign_ids(sim.subs)
    _office_merges(sim.subs, sim.outage, now, seed)
    sim.subs.sort(key=lambda s: (s.merged, s.arrival, s.id))
    return sim


def _fill(sim: Simulation, target: int, activities: Sequence[Activity],
          top_up: Callable[[Simulation, datetime], object]) -> None:
    """Random occurrences until `target` reports: one draw picks the activity by the shares."""
    kept = len(sim.subs)
    while kept < target:
        roll = sim.rng.random()
        before = len(sim.subs)
        when = sim.random_time(0.0, 0.999)
        if target - kept < 12:  # top up with single items, so nothing has to be cut from a series
            top_up(sim, when)
        else:
            draw = _pick(activities, roll).draw
            assert draw is not None  # _pick only returns activities with a share
            draw(sim, when)
        kept += len(sim.subs) - before


def _pick(activities: Sequence[Activity], roll: float) -> Activity:
    """The activity whose share covers `roll` (in [0, 1)); the last one takes any rounding rest."""
    drawn = [a for a in activities if a.share > 0 and a.draw is not None]
    upto = 0.0
    for activity in drawn:
        upto += activity.share
        if roll < upto:
            return activity
    return drawn[-1]


def _trim(subs: list[Submission], target: int) -> list[Submission]:
    """Keep `target` reports: drop the latest-arriving unplanted ones (never a report something cites)."""
    subs.sort(key=lambda s: (s.arrival, s.thread))
    excess = len(subs) - target
    if excess <= 0:
        return subs
    dropped: set[int] = set()
    for i in range(len(subs) - 1, -1, -1):
        if excess == 0:
            break
        if not subs[i].planted:
            dropped.add(i)
            excess -= 1
    return [s for i, s in enumerate(subs) if i not in dropped]


OUTAGE = timedelta(days=2)


def outage_window(start: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The receipt service's one outage: two days from a Tuesday 09:00 about 60% into the year."""
    day = (start + (now - start) * 0.6).astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return day, day + OUTAGE


def _working(when: datetime) -> bool:
    local = when.astimezone(TZ)
    return local.weekday() < 5 and (8, 30) <= (local.hour, local.minute) < (18, 0)


def _next_morning(when: datetime) -> datetime:
    """08:30 of the next working day after `when` (local time)."""
    local = when.astimezone(TZ)
    day = local.replace(hour=8, minute=30, second=0, microsecond=0)
    if (local.hour, local.minute) >= (8, 30):
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _office_merges(subs: list[Submission], outage: tuple[datetime, datetime], now: datetime, seed: int) -> None:
    """When the office merges each pushed report: minutes in office hours, the next working morning
    for ordinary items, hours at night for emergencies (the duty officer). A report is never merged
    before the reports it refers to; nothing after now. During the receipt outage (no push receipts)
    emergencies are merged at once (even before the first report of their incident), so the outage
    costs no unit a deadline."""
    rng = random.Random(seed * 7919 + 17)
    by_arrival = sorted(subs, key=lambda s: (s.arrival, s.thread, s.id))
    for sub in by_arrival:
        t = sub.arrival
        refs = list(sub.refs.values())
        if sub.merge_delay is not None:
            merged = t + sub.merge_delay
        elif sub.doc["kind"] == "emergency":
            if outage[0] <= t < outage[1]:
                merged, refs = t + timedelta(seconds=rng.randint(20, 60)), []
            elif _working(t):
                merged = t + timedelta(seconds=rng.randint(120, 1500))
            else:
                merged = t + timedelta(seconds=rng.randint(1200, 10800))
        elif _working(t) and rng.random() < 0.8:
            merged = t + timedelta(seconds=rng.randint(300, 7200))
        else:
            merged = _next_morning(t) + timedelta(seconds=rng.randint(300, 5400))
        for target in refs:
            if target.merged is not None:
                merged = max(merged, target.merged + timedelta(seconds=rng.randint(30, 300)))
        sub.merged = max(t, min(merged, now - timedelta(seconds=1)))


def _assign_ids(subs: list[Submission]) -> None:
    """Ids in drafting order per officer and day (`nn` = the next unused number), then resolve refs."""
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for sub in sorted(subs, key=lambda s: (s.created, s.thread)):
        day = sub.created.astimezone(TZ).strftime("%Y%m%d")
        counters[sub.author, day] += 1
        nn = counters[sub.author, day]
        if nn > 99:
            raise DemoError("同一信息员一天内的报告超过 99 份，请减少 --reports。")
        sub.doc["id"] = f"{sub.unit}-{day}-{sub.author}-{nn:02d}"
    for sub in subs:
        for fieldname, target in sub.refs.items():
            sub.doc[fieldname] = target.id

