"""Running a batch of async jobs with as few asyncio Tasks as the jobs allow.

One Task per job costs several microseconds on Python 3.11, far more than a trivial job.
So a batch starts in one host Task that steps each job's coroutine by hand: a job that
finishes without suspending costs a function call. The first job that suspends keeps the
host Task for the rest of its life (``current_task()``, cancellation and ``asyncio.timeout``
see one real Task for the whole job), and every later job of that batch gets a Task of its
own, as ``asyncio.gather`` would give it. Jobs that finish in one host Task share that
Task's context variables, as the jobs of one Pool worker share its globals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from ._wire import FAILED

__all__ = ["Resume", "run_batch"]

#: deliver(tasks, results, failures): ``results[i]`` is what ``tasks[i]`` returned, or FAILED.
Deliver = Callable[[list[Any], list[Any], list[Any]], None]


class Resume:
    """Awaitable that continues a coroutine which was already stepped by hand.

    It yields what the coroutine yielded to the Task that awaits it and forwards what the
    Task sends or throws (cancellation), so the coroutine cannot tell the difference.
    """

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Any, yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, None, Any]:
        coro, yielded = self._coro, self._yielded
        while True:
            try:
                yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation, or the Task's "bad yield" error
                try:
                    yielded = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    yielded = coro.send(None)
                except StopIteration as stop:
                    return stop.value


async def run_batch(fn: Callable[[Any], Any], tasks: list[Any],
                    fail: Callable[[Any, BaseException], Any], deliver: Deliver,
                    spawn: Callable[[Any], None]) -> None:
    """Host Task body: run ``tasks`` by hand until one suspends (see the module docstring).

    Outcomes go to ``deliver`` in bulk; ``fail(task, exc)`` makes a failure record;
    ``spawn(task)`` gives a task a Task of its own.
    """
    results: list[Any] = []
    failures: list[Any] = []
    for index, task in enumerate(tasks):
        try:
            awaitable = fn(task)
            if asyncio.iscoroutine(awaitable):
                try:
                    yielded = awaitable.send(None)
                except StopIteration as stop:
                    results.append(stop.value)
                    continue
                awaitable = Resume(awaitable, yielded)
        except (Exception, asyncio.CancelledError) as exc:  # a failure of this job only
            results.append(FAILED)
            failures.append(fail(task, exc))
            continue
        # This job suspended (or is some other awaitable): it keeps this Task.
        deliver(tasks[:index], results, failures)
        for later in tasks[index + 1:]:
            spawn(later)
        try:
            deliver([task], [await awaitable], [])
        except (Exception, asyncio.CancelledError) as exc:
            deliver([task], [FAILED], [fail(task, exc)])
        return
    deliver(tasks, results, failures)
