"""Engine benchmarks: each figure of issue 3 beside its anchor, measured in the same run.

Every function returns ``(ours, anchor)`` in the unit its figure uses. ``bench/run.py``
runs them all and prints the ratios. The RSS figures run each side in a fresh
interpreter (``python bench/engine.py rss-ours|rss-anchor N``) so neither pays for the
other's imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable

import psutil

from flowmanager import FlowManagerMP
from flowmanager._cpus import usable_cpus

TRIVIAL_TASKS = 100_000


def double(task: int) -> int:
    return task * 2


async def double_async(task: int) -> int:
    return task * 2


async def nap(task: float) -> float:
    await asyncio.sleep(task)
    return task


def consume(result: int) -> None:
    """The result processor of the throughput runs: trivial, like the job."""
    if result < 0:
        raise ValueError(result)


def _best(runs: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(runs))


def pool_tasks_per_s(tasks: int = TRIVIAL_TASKS, runs: int = 3) -> tuple[float, int]:
    """The anchor: ``Pool.imap_unordered`` with its best chunksize; results consumed in the
    caller like ``on_complete`` would. Returns (tasks/s, chunksize)."""
    best = (0.0, 0)
    inputs = list(range(tasks))  # both sides get the same ready-made list
    with multiprocessing.get_context("fork").Pool(usable_cpus()) as pool:
        for chunksize in (100, 1000, 5000, 20000):
            def run(chunksize: int = chunksize) -> float:
                started = time.perf_counter()
                for result in pool.imap_unordered(double, inputs, chunksize=chunksize):
                    consume(result)
                return time.perf_counter() - started
            rate = tasks / _best(runs, run)
            best = max(best, (rate, chunksize))
    return best


def ours_tasks_per_s(job: Callable[[int], object], tasks: int = TRIVIAL_TASKS,
                     runs: int = 5) -> float:
    """submit_task(list) until wait_for_completion() returns (every result went through
    on_complete in the result process); a trivial job. Like the Pool anchor, one instance
    serves every run (construct and close are measured on their own: construct_close)."""
    inputs = list(range(tasks))
    manager = FlowManagerMP(job, consume)

    def run() -> float:
        started = time.perf_counter()
        manager.submit_task(inputs)
        manager.wait_for_completion()
        return time.perf_counter() - started

    try:
        return tasks / _best(runs, run)
    finally:
        manager.close_processes()


def single_submits_per_s(tasks: int = TRIVIAL_TASKS, runs: int = 3) -> tuple[float, float]:
    """(ours, anchor) tasks/s when every task is submitted on its own, as code that
    receives work one item at a time does: ``submit_task(task)`` in a loop against
    ``Pool.apply_async`` in a loop, each until every result was consumed."""
    manager = FlowManagerMP(double, consume)

    def ours() -> float:
        started = time.perf_counter()
        for task in range(tasks):
            manager.submit_task(task)
        manager.wait_for_completion()
        return time.perf_counter() - started

    try:
        ours_rate = tasks / _best(runs, ours)
    finally:
        manager.close_processes()
    with multiprocessing.get_context("fork").Pool(usable_cpus()) as pool:
        def anchor() -> float:
            started = time.perf_counter()
            pending = [pool.apply_async(double, (task,), callback=consume)
                       for task in range(tasks)]
            for result in pending:
                result.wait()
            return time.perf_counter() - started

        anchor_rate = tasks / _best(runs, anchor)
    return ours_rate, anchor_rate


def gather_wall(jobs: int) -> float:
    """The anchor: ``asyncio.gather`` of ``jobs`` one-second sleeps in one process."""
    async def main() -> None:
        await asyncio.gather(*(nap(1.0) for _ in range(jobs)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started


def ours_wall(jobs: int) -> float:
    """submit_task(list) until wait_for_completion() of ``jobs`` one-second async jobs."""
    manager = FlowManagerMP(nap, consume)
    inputs = [1.0] * jobs
    started = time.perf_counter()
    manager.submit_task(inputs)
    manager.wait_for_completion()
    elapsed = time.perf_counter() - started
    manager.close_processes()
    return elapsed


def _tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):  # it ended between listing and reading
            total += proc.memory_info().rss
    return total


def peak_tree_rss(mode: str, jobs: int) -> int:
    """Peak RSS of a fresh interpreter running ``mode`` and all its children, sampled."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), mode, str(jobs)])
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} exited with {proc.returncode}")
    return peak


def idle_cpu_percent(seconds: float = 5.0) -> float:
    """CPU of an open instance that has nothing to do, over ``seconds``, in % of one core."""
    manager = FlowManagerMP(double, consume)
    manager.submit_task([1, 2, 3])
    manager.wait_for_completion()
    procs = [psutil.Process(os.getpid())] + [psutil.Process(p.pid)
                                              for p in manager.stats().processes[1:]]
    before = sum(sum(p.cpu_times()[:2]) for p in procs)
    time.sleep(seconds)
    after = sum(sum(p.cpu_times()[:2]) for p in procs)
    manager.close_processes()
    return 100 * (after - before) / seconds


def construct_close(runs: int = 7) -> tuple[float, float]:
    """(ours, anchor) seconds: construct + close of an empty instance vs ``Pool(2)``."""
    def ours() -> float:
        started = time.perf_counter()
        FlowManagerMP(double, consume).close_processes()
        return time.perf_counter() - started

    def pool() -> float:
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(2) as anchor:
            anchor.close()
            anchor.join()
        return time.perf_counter() - started

    return _median([ours() for _ in range(runs)]), _median([pool() for _ in range(runs)])


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


if __name__ == "__main__":
    mode, count = sys.argv[1], int(sys.argv[2])
    if mode == "rss-ours":
        ours_wall(count)
    elif mode == "rss-anchor":
        gather_wall(count)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
