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

__all__ = ["Resume", "run_batch"]

#: (task, ok, result or exception)
Record = Callable[[Any, bool, Any], None]


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


async def run_batch(fn: Callable[[Any], Any], tasks: list[Any], record: Record,
                    spawn: Callable[[Any], None]) -> None:
    """Host Task body: run ``tasks`` by hand until one suspends (see the module docstring).

    ``record(task, ok, value)`` receives each outcome; ``spawn(task)`` gives a task a Task
    of its own.
    """
    for index, task in enumerate(tasks):
        try:
            awaitable = fn(task)
            if not asyncio.iscoroutine(awaitable):  # a Future or other awaitable: await it
                for later in tasks[index + 1:]:
                    spawn(later)
                record(task, True, await awaitable)
                return
            try:
                yielded = awaitable.send(None)
            except StopIteration as stop:
                record(task, True, stop.value)
                continue
            for later in tasks[index + 1:]:
                spawn(later)
            record(task, True, await Resume(awaitable, yielded))
            return
        except (Exception, asyncio.CancelledError) as exc:  # a failure of this job only
            record(task, False, exc)
    return
