"""Forked worker processes for CPU-bound work on many independent items, the one mechanism for all.

Judging report files (`check`, the register's cold path, PR mode) and in-process signature checks are
CPU work holding the GIL: only processes use a second core. Measured on the 2-core machine
(bench/bench_sshsig.py): 2 processes are ~1.7× faster than one when the other core is free, and no
faster (up to 1.3× slower) when other work keeps it busy; so workers start only for large batches and
only while a core is idle (`idle_cpus`). They inherit the job (function, loaded configuration,
items) by fork, so nothing is pickled on the way in and nothing is loaded again; only the results
travel back. The workers' memory is their own: a job must not rely on side effects (cache writes).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 500  # items per task: large enough that a task's round trip is noise
_JOB: tuple | None = None  # (run, chunks) inherited by the forked workers
_LOCK = threading.Lock()  # one job at a time: the workers find it in a module global


def idle_cpus() -> float:
    """CPUs free for this process and its workers right now.

    On Linux, the idle share of all CPUs over a short sample of /proc/stat (taken at most once a
    second): the load average is a one-minute mean, so right after other work ends (a CI runner's
    `pip install`, the previous step, the warm-up of a benchmark) it still counts that work and would
    leave a free core unused. Elsewhere the load average (the calling process counts as one)."""
    global _SAMPLED
    now = time.monotonic()
    if _SAMPLED is not None and now - _SAMPLED[0] < 1.0:
        return _SAMPLED[1]
    free = _idle_now()
    if free is None:
        try:
            free = (os.cpu_count() or 1) - os.getloadavg()[0] + 1
        except (AttributeError, OSError):  # no load average: do not guess
            free = 1.0
    _SAMPLED = (time.monotonic(), free)
    return free


_SAMPLED: tuple[float, float] | None = None  # (when, free CPUs) of the last sample
SAMPLE_SECONDS = 0.1


def _cpu_ticks() -> tuple[int, int, int] | None:
    """(idle ticks, all ticks, CPUs) from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat", "rb") as f:
            text = f.read(65536)
    except OSError:
        return None
    lines = text.split(b"\n")
    fields = lines[0].split()
    if not fields or fields[0] != b"cpu" or len(fields) < 6:
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    cpus = sum(1 for ln in lines if ln.startswith(b"cpu") and ln[3:4].isdigit())
    return ticks[3] + ticks[4], sum(ticks), cpus


def _idle_now() -> float | None:
    first = _cpu_ticks()
    if first is None:
        return None
    time.sleep(SAMPLE_SECONDS)
    second = _cpu_ticks()
    if second is None or second[1] <= first[1]:
        return None
    return (second[0] - first[0]) / (second[1] - first[1]) * second[2]


def workers_for(n: int, per_worker: int, idle: float | None = None, own_busy: int = 0) -> int:
    """Worker processes for n items: more than one only for at least per_worker items each and a free core.
    own_busy: cores the caller's own helper processes keep busy (they are part of the same job)."""
    if n // per_worker <= 1:
        return 1  # before importing multiprocessing: a hook verifying one commit must not pay for it
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    free = (idle_cpus() if idle is None else idle) + own_busy
    # A core that was busy a fifth of the sample is still worth a worker: the job runs for seconds.
    return max(1, min(os.cpu_count() or 1, int(free + 0.2), n // per_worker))


def fork_chunks(run: Callable[[Sequence[T]], R], chunks: list[Sequence[T]], workers: int) -> list[R] | None:
    """[run(c) for c in chunks] in `workers` forked processes, in order; None when they could not run
    (a worker died or could not start), so the caller does the work itself, once."""
    import multiprocessing  # here, not at load: most runs never fork (see workers_for)
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _JOB
    with _LOCK:
        _JOB = (run, chunks)
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                # _run_chunk returns run(chunk): an R, which the module-level trampoline cannot spell.
                return cast("list[R]", list(pool.map(_run_chunk, range(len(chunks)))))
        except (BrokenProcessPool, OSError):
            return None
        finally:
            _JOB = None


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, per_worker: int, own_busy: int = 0) -> list[R]:
    """[fn(x) for x in items], in forked worker processes when that pays (see the module docstring).
    own_busy: as for `workers_for`."""
    workers = workers_for(len(items), per_worker, own_busy=own_busy)
    if workers >= 2:
        chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        done = fork_chunks(lambda chunk: [fn(x) for x in chunk], chunks, workers)
        if done is not None:
            return [r for results in done for r in results]
    return [fn(x) for x in items]


def _run_chunk(index: int) -> object:
    assert _JOB is not None
    run, chunks = _JOB
    return run(chunks[index])
