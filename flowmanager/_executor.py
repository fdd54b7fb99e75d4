"""The job-executor process: one event loop runs every task it is sent.

Async jobs run as tasks on the loop, thousands at once. Sync jobs must not block the loop,
so each incoming batch goes to a worker thread in one hand-off (split in ``threads``
parts) and its results come back in one piece. Results and failures finished in the same
loop iteration leave in one message (``_flush`` is scheduled once per iteration).
The loop is built when the first message arrives: an executor closed before it got any
work ends without building one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, NoReturn

import cloudpickle

from ._async_batch import run_batch
from ._errors import JobFailure, _short_repr
from ._wire import (
    END_OF_INPUT,
    FAILED,
    TASKS_HEADER,
    Outbox,
    child_setup,
    dumps,
    encode_results,
    parent_is_gone,
    unpack_tasks,
)

__all__ = ["JobSpec", "executor_main"]

#: One job as shipped: (fq_name, callable, is_async).
JobSpec = tuple[str, Callable[[Any], Any], bool]

#: A batch larger than this leaves before the loop iteration ends (bounds message size).
_MAX_OUT = 4096
_PARENT_CHECK_S = 1.0
#: A sync batch hands over what finished at least this often (seconds).
_PARTIAL_S = 0.05
_SWITCH_INTERVAL_S = 0.0005


def executor_main(
    index: int,
    jobs_blob: bytes,
    tasks_in: Connection,
    results_out: Connection,
    threads: int,
    inherited: Sequence[Connection],
) -> None:
    """Entry point of an executor process."""
    child_setup(inherited)
    parent_pid = os.getppid()  # the main process, or the forkserver that dies with it
    first = _first_message(tasks_in, parent_pid)
    if first == END_OF_INPUT:  # closed before any work came: no loop to build
        results_out.close()
        return
    # A sync job holds the GIL in its worker thread; the loop and the sender wait up to
    # the switch interval (5 ms by default) each time they wake. A shorter one keeps a
    # batch hand-off cheap; a thread that nobody waits for is not switched more often.
    sys.setswitchinterval(_SWITCH_INTERVAL_S)
    jobs: list[JobSpec] = cloudpickle.loads(jobs_blob)
    executor = _Executor(index, jobs, tasks_in, Outbox(results_out, f"executor-{index}-out"),
                         parent_pid, threads)
    asyncio.run(executor.run(first))


def _first_message(tasks_in: Connection, parent_pid: int) -> bytes:
    """Block until the first message, looking at the parent once a second.

    The event loop, the job and the sender are set up only once there is work, so an
    instance closed before it got any (or one that waits long for its first task) costs
    its executors next to nothing."""
    while not tasks_in.poll(_PARENT_CHECK_S):
        if parent_is_gone(parent_pid):
            os._exit(0)
    try:
        return tasks_in.recv_bytes()
    except (EOFError, OSError):  # the main process died without saying goodbye
        os._exit(0)


def _failure(task: Any, exc: BaseException, fq_name: str) -> JobFailure:
    return JobFailure(
        task=task,
        fq_name=fq_name,
        exc_type=_type_name(type(exc)),
        message=_text(exc),
        traceback=_traceback_text(exc),
    )


def _text(exc: BaseException) -> str:
    """``str(exc)``; an exception whose ``__str__`` raises must still be reported."""
    try:
        return str(exc)
    except Exception as broken:
        return f"<{type(exc).__name__} whose str() raised {type(broken).__name__}>"


def _traceback_text(exc: BaseException) -> str:
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        return f"{_type_name(type(exc))}: {_text(exc)}\n"


def _unloadable(together: int, exc: BaseException, fq_name: str) -> JobFailure:
    """A task that was pickled in the main process but does not unpickle in this one;
    ``together`` > 1: it travelled in a batch pickled whole, which did not unpickle."""
    what = (f"the task came in a batch of {together} submitted as one list, which"
            if together > 1 else "the task")
    message = (
        f"{what} could not be unpickled in the executor process ({type(exc).__name__}: "
        f"{_text(exc)}); submit plain data, of types every process of the program can import"
    )
    return JobFailure(task=None, fq_name=fq_name, exc_type="UnpicklableTaskError",
                      message=message, traceback=f"UnpicklableTaskError: {message}\n")


def load_tasks(data: bytes, fq_name: str) -> tuple[list[Any], list[JobFailure]]:
    """(the tasks of a batch that unpickled, a failure for each one that did not)."""
    tasks, bad = unpack_tasks(data)
    return tasks, [_unloadable(together, exc, fq_name) for exc, together in bad]


def _type_name(cls: type) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


#: A check of the clock every this many quick sync tasks at most (reading it per task costs
#: more); slow tasks are checked one by one, so a batch of them reports every _PARTIAL_S.
_CLOCK_EVERY = 256


def encode(index: int, tasks: list[Any], results: list[Any], failures: list[JobFailure],
           fq_names: str | list[str]) -> bytes:
    """One executor -> results message. ``results[i]`` is what ``tasks[i]`` returned, or
    ``FAILED``; a result that does not pickle fails its own task only, and a failure whose
    task no longer pickles (the job changed it) carries the task's repr instead. Never
    raises: every task of the message is accounted for."""
    ok = [r for r in results if r is not FAILED] if failures else results
    try:
        return encode_results(index, ok, failures)
    except Exception:
        pass
    ok = []
    for position, (task, result) in enumerate(zip(tasks, results, strict=True)):
        if result is FAILED:
            continue
        try:
            dumps(result)
        except Exception as exc:
            fq_name = fq_names if isinstance(fq_names, str) else fq_names[position]
            failures.append(_unpicklable_result(task, fq_name, result, exc))
        else:
            ok.append(result)
    return encode_results(index, ok, [_sendable(failure) for failure in failures])


def _sendable(failure: JobFailure) -> JobFailure:
    try:
        dumps(failure)
    except Exception:
        return dataclasses.replace(failure, task=_short_repr(failure.task))
    return failure


def _run_sync_batch(fn: Callable[[Any], Any], fq_name: str, batch: list[Any] | bytes,
                    index: int, send: Callable[[bytes], None], sent: Callable[[int], None]
                    ) -> None:
    """Runs in a worker thread: the whole batch, one task after another.

    The thread pickles and sends the results itself (blocking here is fine, this is not
    the loop) and then tells the loop how many tasks left (``sent``). It sends once per
    batch, or every ``_PARTIAL_S`` so that a slow job does not hold back its batch-mates.
    """
    try:
        _run_sync_tasks(fn, fq_name, batch, index, send, sent)
    except Exception:
        raise
    except BaseException as exc:  # SystemExit in a job: at once, before another batch runs
        _exit_for(exc)


def _run_sync_tasks(fn: Callable[[Any], Any], fq_name: str, batch: list[Any] | bytes,
                    index: int, send: Callable[[bytes], None], sent: Callable[[int], None]
                    ) -> None:
    if isinstance(batch, bytes):
        tasks, unloadable = load_tasks(batch, fq_name)
        if unloadable:  # they fail here, the rest of the batch runs
            send(encode(index, [None] * len(unloadable), [FAILED] * len(unloadable), unloadable,
                        fq_name))
            sent(len(unloadable))
    else:
        tasks = batch
    results: list[Any] = []
    failures: list[JobFailure] = []
    first = 0  # tasks[first:] are not sent yet
    since = time.monotonic()  # when tasks[first] started
    step = 1  # tasks between two looks at the clock: many quick ones, few slow ones
    start = 0
    while start < len(tasks):
        # map() runs the jobs at C speed; list.extend keeps what it appended before a job
        # raised, and the map iterator has moved past that job: note it and go on.
        began = time.monotonic()
        remaining = iter(tasks[start:start + step])
        start += step
        while True:
            try:
                results.extend(map(fn, remaining))
                break
            except Exception as exc:
                failures.append(_failure(tasks[first + len(results)], exc, fq_name))
                results.append(FAILED)
        now = time.monotonic()
        # Grow while the jobs are quick; one slow chunk and the clock is read per task.
        step = min(step * 2, _CLOCK_EVERY) if now - began < _PARTIAL_S / 16 else 1
        if now - since > _PARTIAL_S and start < len(tasks):
            count = len(results)
            send(encode(index, tasks[first:first + count], results, failures, fq_name))
            sent(count)
            first += count
            results, failures, since = [], [], now
    if results:
        count = len(results)
        send(encode(index, tasks[first:], results, failures, fq_name))
        sent(count)


def _sync_batch_ended(future: asyncio.Future[None]) -> None:
    """A sync batch raised past its per-task handling (``sys.exit()`` in a job)."""
    exc = future.exception()
    if exc is not None:
        _exit_for(exc)


def _exit_for(exc: BaseException) -> NoReturn:
    """End the executor now, as ``SystemExit`` in an async job ends it: the batch's tasks can
    no longer be accounted for; the main process reports the exit and the lost tasks."""
    code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 1
    traceback.print_exception(type(exc), exc, exc.__traceback__)
    sys.stderr.flush()
    os._exit(code)


class _Executor:
    def __init__(self, index: int, jobs: list[JobSpec], tasks_in: Connection, out: Outbox,
                 parent_pid: int, threads: int) -> None:
        self.index = index
        self.jobs = jobs
        self.tasks_in = tasks_in
        self.out = out
        self.parent_pid = parent_pid
        self.threads = max(1, threads)
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix=f"executor-{index}-sync")
        self.pending = 0  # tasks received and not yet sent on
        self.ending = False  # end of input received
        # What finished and was not sent yet: tasks, their results (or FAILED), job names.
        self.out_tasks: list[Any] = []
        self.out_results: list[Any] = []
        self.out_fq: list[str] = []
        self.out_failures: list[JobFailure] = []
        self.flush_scheduled = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.finished: asyncio.Future[None] | None = None
        self.running: set[asyncio.Future[Any]] = set()  # host Tasks of async batches
        # Tasks of single async jobs -> (task, job name); also what keeps them alive.
        self.spawned: dict[asyncio.Future[Any], tuple[Any, str]] = {}

    async def run(self, first: bytes) -> None:
        self.loop = asyncio.get_running_loop()
        self.finished = self.loop.create_future()
        self.loop.add_reader(self.tasks_in.fileno(), self._on_readable)
        self.loop.call_later(_PARENT_CHECK_S, self._watch_parent)
        self._take(first)
        await self.finished
        self.loop.remove_reader(self.tasks_in.fileno())
        self.pool.shutdown(wait=True)
        self.out.close()

    # -- input ---------------------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            data = self.tasks_in.recv_bytes()
        except (EOFError, OSError):
            # The main process died without saying goodbye: nobody wants the results.
            os._exit(0)
        self._take(data)

    def _take(self, data: bytes) -> None:
        """One message from the main process: a batch of tasks, or the end of input."""
        if data == END_OF_INPUT:
            self.ending = True
            assert self.loop is not None
            self.loop.remove_reader(self.tasks_in.fileno())
            self._maybe_finish()
            return
        job_index, count, _ = TASKS_HEADER.unpack_from(data)
        fq_name, fn, is_async = self.jobs[job_index]
        self.pending += count
        assert self.loop is not None
        if not is_async and self.threads == 1:
            # The worker thread unpickles too: the loop only reads the pipe.
            self.loop.run_in_executor(
                self.pool, _run_sync_batch, fn, fq_name, data, self.index, self.out.send_now,
                self._sent_threadsafe).add_done_callback(_sync_batch_ended)
            return
        tasks, unloadable = load_tasks(data, fq_name)
        if unloadable:
            count = len(unloadable)
            self._deliver([None] * count, [FAILED] * count, unloadable, fq_name)
        if is_async:
            deliver = functools.partial(self._deliver, fq_name=fq_name)
            fail = functools.partial(_failure, fq_name=fq_name)
            spawn = functools.partial(self._spawn, fn, fq_name)
            self._keep(asyncio.ensure_future(run_batch(fn, tasks, fail, deliver, spawn)))
        else:
            size = max(1, math.ceil(len(tasks) / self.threads))
            for start in range(0, len(tasks), size):
                part = tasks[start:start + size]
                self.loop.run_in_executor(
                    self.pool, _run_sync_batch, fn, fq_name, part, self.index,
                    self.out.send_now, self._sent_threadsafe).add_done_callback(_sync_batch_ended)

    def _watch_parent(self) -> None:
        # A blocking select wakes once a second to notice a main process that was killed
        # while another process still holds its pipe end (so no EOF arrives).
        if parent_is_gone(self.parent_pid):
            os._exit(0)
        assert self.loop is not None
        self.loop.call_later(_PARENT_CHECK_S, self._watch_parent)

    # -- running -------------------------------------------------------------------------------

    def _keep(self, running: asyncio.Future[Any]) -> None:
        # The loop holds Tasks weakly; a Task nobody references may vanish mid-job.
        self.running.add(running)
        running.add_done_callback(self.running.discard)

    def _spawn(self, fn: Callable[[Any], Any], fq_name: str, task: Any) -> None:
        """One Task for one async job (its batch-mate suspended, so it probably will too)."""
        try:
            running = asyncio.ensure_future(fn(task))
        except Exception as exc:
            self._deliver([task], [FAILED], [_failure(task, exc, fq_name)], fq_name)
            return
        # One dict entry and one bound-method callback per job: with 100,000 jobs waiting,
        # every object and callback per job shows in the wall time.
        self.spawned[running] = (task, fq_name)
        running.add_done_callback(self._task_done)

    def _task_done(self, running: asyncio.Future[Any]) -> None:
        task, fq_name = self.spawned.pop(running)
        if running.cancelled():
            exc: BaseException | None = asyncio.CancelledError("the job was cancelled")
        else:
            exc = running.exception()
        if exc is None:
            self.out_tasks.append(task)
            self.out_results.append(running.result())
            self.out_fq.append(fq_name)
            self._schedule_flush()
        else:
            self._deliver([task], [FAILED], [_failure(task, exc, fq_name)], fq_name)

    def _deliver(self, tasks: list[Any], results: list[Any], failures: list[JobFailure],
                 fq_name: str) -> None:
        """Async outcomes, on the loop: buffered, sent once per loop iteration."""
        self.out_tasks.extend(tasks)
        self.out_results.extend(results)
        self.out_fq.extend([fq_name] * len(tasks))
        self.out_failures.extend(failures)
        self._schedule_flush()

    def _sent_threadsafe(self, count: int) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self._sent, count)

    def _sent(self, count: int) -> None:
        self.pending -= count
        self._maybe_finish()

    # -- output --------------------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if len(self.out_results) >= _MAX_OUT:
            self._flush()
        elif not self.flush_scheduled:
            self.flush_scheduled = True
            assert self.loop is not None
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        if not self.out_results:
            return
        tasks, results, fq, failures = (self.out_tasks, self.out_results, self.out_fq,
                                        self.out_failures)
        self.out_tasks, self.out_results, self.out_fq, self.out_failures = [], [], [], []
        self.out.send(encode(self.index, tasks, results, failures, fq))
        self._sent(len(results))

    def _maybe_finish(self) -> None:
        if self.ending and self.pending == 0 and self.finished is not None \
                and not self.finished.done():
            self.finished.set_result(None)


def _unpicklable_result(task: Any, fq_name: str, result: Any, exc: Exception) -> JobFailure:
    message = (
        f"the job returned a {_type_name(type(result))}, which cannot be pickled to reach the "
        f"result processor ({type(exc).__name__}: {exc}); return plain data (numbers, strings, "
        "lists, dicts, dataclasses) from the job"
    )
    return JobFailure(task=task, fq_name=fq_name, exc_type="UnpicklableResultError",
                      message=message, traceback=f"UnpicklableResultError: {message}\n")
