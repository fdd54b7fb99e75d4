"""Jobs and result processors the engine tests ship to real child processes.

They live in an importable module (not in the test files) so every start method can
find them by reference. Processors that record write one line per call to the file
named by ``FMP_TEST_OUT``, so the test reads what the result process really did.
"""

from __future__ import annotations

import asyncio
import ctypes
import faulthandler
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def double(task: int) -> int:
    return task * 2


async def double_async(task: int) -> int:
    await asyncio.sleep(0.01)
    return task * 2


class Tripler:
    """A job object with a run(task) method."""

    def run(self, task: int) -> int:
        return task * 3


class AsyncNegator:
    async def run(self, task: int) -> int:
        await asyncio.sleep(0)
        return -task


def fail_on_odd(task: int) -> int:
    if task % 2:
        raise ValueError(f"odd task {task}")
    return task


def sleep_for(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


async def sleep_async(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


def die(task: str) -> str:
    """Ends the executor the way the task says when it is 'crash'... else returns the task."""
    if task == "exit":
        os._exit(3)
    if task == "exit0":
        os._exit(0)
    if task == "sys.exit":
        sys.exit(4)
    if task == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if task == "segfault":
        faulthandler.disable()  # the test expects the crash; keep its dump out of the log
        ctypes.string_at(0)
    if task == "slow":
        time.sleep(30)
    return task


def lock_result(task: int) -> Any:
    """Returns something that cannot be pickled for task 1."""
    return threading.Lock() if task == 1 else task


def pid_of(task: int) -> int:
    return os.getpid()


# Set once, when the tests are collected: a forkserver started later inherits this
# environment, and its children (the result processes) cannot see a change made after.
os.environ.setdefault("FMP_TEST_OUT", os.path.join(tempfile.mkdtemp(prefix="fmp-"), "out.txt"))


def _out() -> Path:
    return Path(os.environ["FMP_TEST_OUT"])


def fresh_records() -> Path:
    """The records file, emptied for a new test."""
    path = _out()
    path.unlink(missing_ok=True)
    return path


def record(result: Any) -> None:
    with _out().open("a") as out:
        out.write(f"{os.getpid()} {result!r}\n")


def record_failure(failure: Any) -> None:
    with _out().open("a") as out:
        out.write(f"{os.getpid()} failure {failure.task!r} {failure.exc_type}\n")


def picky(result: int) -> None:
    """A result processor that raises for some results and records the others."""
    if result == 4:
        raise RuntimeError("cannot store 4")
    record(result)


def read_records(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        pid, text = line.split(" ", 1)
        rows.append((int(pid), text))
    return rows


START_METHODS = ("fork", "forkserver", "spawn")


def stray_children() -> list[Any]:
    """Child processes of this process that are ours: everything but multiprocessing's own
    long-lived helpers (the forkserver and the resource tracker)."""
    import multiprocessing.forkserver as forkserver
    import multiprocessing.resource_tracker as resource_tracker

    import psutil

    helpers = {
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    }
    gone_within = time.monotonic() + 2.0
    while True:
        left = [p for p in psutil.Process().children(recursive=True)
                if p.pid not in helpers and p.status() != psutil.STATUS_ZOMBIE]
        if not left or time.monotonic() > gone_within:
            return left
        time.sleep(0.05)


async def same_task_throughout(task: int) -> bool:
    """True when the job sees one asyncio Task from start to end (odd tasks suspend)."""
    before = asyncio.current_task()
    if task % 2:
        await asyncio.sleep(0.01)
    return asyncio.current_task() is before and before is not None


async def cancelled_by_a_timer(task: int) -> str:
    """Its own Task is cancelled while it sleeps; the job sees CancelledError and says so."""
    me = asyncio.current_task()
    assert me is not None
    asyncio.get_running_loop().call_later(0.02, me.cancel)
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        return f"cancelled {task}"
    return f"not cancelled {task}"


async def raise_cancelled(task: int) -> int:
    if task == 1:
        raise asyncio.CancelledError
    return task


# -- values that pickle in one process and fail to unpickle in another ---------------------------


def refuse_to_load(value: int) -> Any:
    """What unpickling a ``LoadsBadly`` calls: it raises, as a missing class would."""
    raise LookupError(f"cannot rebuild {value}")


class LoadsBadly:
    """Pickles fine; unpickling it anywhere raises."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return refuse_to_load, (self.value,)


def double_or_loads_badly(task: int) -> Any:
    """Doubles even tasks; for odd ones returns a result the result process cannot load."""
    return LoadsBadly(task) if task % 2 else task * 2


async def double_async_plain(task: int) -> int:
    return task * 2


class BrokenStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def raise_broken_str(task: int) -> int:
    if task % 2:
        raise BrokenStr()
    return task


def slow_value_of(task: dict[str, int]) -> int:
    time.sleep(0.05)
    return task["i"]


def spoil_and_raise(task: dict[str, Any]) -> int:
    """Makes its task unpicklable, then raises: the failure must still travel."""
    task["lock"] = threading.Lock()
    raise ValueError("spoilt")


async def spoil_and_raise_async(task: dict[str, Any]) -> int:
    await asyncio.sleep(0)
    return spoil_and_raise(task)
