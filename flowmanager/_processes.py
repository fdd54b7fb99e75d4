"""The child processes of an instance from the main process's side: how one ended, what
each uses (psutil), and stopping them all."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import psutil

__all__ = ["ProcessStats", "Stats", "how_it_ended", "process_stats", "stop_processes"]

#: How long children get to exit after SIGTERM before SIGKILL.
TERMINATE_GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class ProcessStats:
    """CPU time and memory of one process of the instance (psutil)."""

    role: str
    pid: int
    cpu_seconds: float
    rss_bytes: int
    alive: bool


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts of one instance. ``running`` = submitted and not yet finished (in flight);
    ``completed`` = jobs that returned; ``failed`` = jobs that raised; ``processed`` =
    results ``on_complete`` took without raising; ``processing_errors`` = the ones it raised for;
    ``batches`` = task messages sent to the executors."""

    submitted: int
    running: int
    completed: int
    failed: int
    processed: int
    processing_errors: int
    batches: int
    processes: tuple[ProcessStats, ...]


def how_it_ended(code: int, ending: bool) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    if code == 0:
        return ("exited with code 0 before it was told to stop (os._exit or sys.exit in a job?)"
                if not ending else "ended before finishing its tasks")
    return f"exited with code {code}"


def process_stats(processes: list[BaseProcess]) -> Iterable[ProcessStats]:
    roles = [("main", os.getpid())] + [(p.name or "", p.pid or 0) for p in processes]
    for role, pid in roles:
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                times = proc.cpu_times()
                rss = proc.memory_info().rss
            yield ProcessStats(role, pid, times.user + times.system, rss, True)
        except psutil.Error:
            yield ProcessStats(role, pid, 0.0, 0, False)


def stop_processes(processes: list[BaseProcess], conns: list[Connection]) -> None:
    """Stop the children now: SIGTERM, a grace period, SIGKILL. Safe to call twice."""
    if processes and processes[0]._parent_pid != os.getpid():  # type: ignore[attr-defined]
        return  # a forked copy of the main process does not own these children
    for conn in conns:
        conn.close()
    alive = [p for p in processes if p.pid is not None and p.exitcode is None]
    for process in alive:
        process.terminate()
    deadline = time.monotonic() + TERMINATE_GRACE_S
    for process in alive:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            process.kill()
            process.join()
