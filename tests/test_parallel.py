"""baosong.parallel: when worker processes start, and that their results come back in order."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import pytest
from baosong import parallel


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.fixture(autouse=True)
def fresh_sample(monkeypatch):
    monkeypatch.setattr(parallel, "_SAMPLED", None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_busy_cores_are_seen_at_once():
    """Every core kept busy by other processes: no core is counted free, whatever the load average
    said a minute ago (the reason the sample replaced it)."""
    ctx = multiprocessing.get_context("fork")
    busy = [ctx.Process(target=_spin, args=(3.0,)) for _ in range(os.cpu_count() or 1)]
    for p in busy:
        p.start()
    try:
        time.sleep(0.3)  # let them get going
        free = parallel.idle_cpus()
        assert free < 0.75, free
        assert parallel.workers_for(100_000, 1000) == 1
    finally:
        for p in busy:
            p.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_the_sample_is_taken_once_a_second():
    t0 = time.monotonic()
    first = parallel.idle_cpus()
    t1 = time.monotonic()
    again = parallel.idle_cpus()
    t2 = time.monotonic()
    assert t1 - t0 >= parallel.SAMPLE_SECONDS  # sampled
    assert again == first and t2 - t1 < parallel.SAMPLE_SECONDS / 2  # the same sample, no second wait
    assert 0.0 <= first <= (os.cpu_count() or 1) + 0.01


def test_without_proc_stat_the_load_average_decides(monkeypatch):
    monkeypatch.setattr(parallel, "_cpu_ticks", lambda: None)
    load = os.getloadavg()[0]
    assert parallel.idle_cpus() == pytest.approx((os.cpu_count() or 1) - load + 1, abs=0.5)


def test_workers_for_small_batches_and_free_cores():
    assert parallel.workers_for(1500, 1000, idle=4.0) == 1  # too few items for two workers
    assert parallel.workers_for(10_000, 1000, idle=0.3) == 1  # no free core
    assert parallel.workers_for(10_000, 1000, idle=1.85) == min(2, os.cpu_count() or 1)  # busy a fraction only
    # A core busy with the caller's own helper (the register's history pass in git) is the job's own.
    assert parallel.workers_for(10_000, 1000, idle=0.9, own_busy=1) == min(2, os.cpu_count() or 1)
    assert parallel.workers_for(1500, 1000, idle=0.9, own_busy=1) == 1


def test_fork_map_keeps_order_in_workers(monkeypatch):
    monkeypatch.setattr(parallel, "_SAMPLED", (time.monotonic(), 2.0))  # as if both cores were free
    items = list(range(5000))
    got = parallel.fork_map(lambda x: (x * x, os.getpid()), items, per_worker=100)
    assert [sq for sq, _ in got] == [x * x for x in items]
    if (os.cpu_count() or 1) >= 2:
        assert os.getpid() not in {pid for _, pid in got}  # computed in the workers
