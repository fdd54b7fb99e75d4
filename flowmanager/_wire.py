"""What travels between the processes of one FlowManagerMP, and how it is sent.

Every message is one ``send_bytes`` of one pickled tuple holding a whole batch:

========================  ==========================================================
main -> executor          ``(job_index, count, kind)`` header + ``[task, ...]`` pickled
                          whole (``LIST``) or ``[bytes, ...]``, each task pickled
                          alone at ``submit_task`` (``ITEMS``); ``b""``: end of input
executor -> results       ``(executor_index, ok, failed)`` header +
                          ``([result, ...], [JobFailure, ...])``
results -> main           ``(DONE, executor_index, ok, [JobFailure], processed, [errors])``
                          or ``(EOF, executor_index)`` once an executor's pipe is drained
========================  ==========================================================

In serial mode the executors' pipes end in the main process instead of the result process.
The headers let a reader account for every task of a message whose body does not unpickle
(a class the reading process cannot import, a ``__reduce__`` that raises): each becomes a
failure of its own task instead of a lost batch or a dead process.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import struct
import threading
from collections import deque
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import Any, Final

from ._errors import JobFailure

__all__ = [
    "DONE",
    "END_OF_INPUT",
    "EOF",
    "FAILED",
    "ITEMS",
    "LIST",
    "PROTOCOL",
    "RESULTS_HEADER",
    "TASKS_HEADER",
    "Outbox",
    "child_setup",
    "decode_results",
    "dumps",
    "encode_results",
    "logger",
    "pack_items",
    "pack_tasks",
    "parent_is_gone",
    "unpack_tasks",
    "widen",
]

logger: Final = logging.getLogger("flowmanager")
# A library stays quiet unless the application configures logging.
logger.addHandler(logging.NullHandler())

PROTOCOL: Final = pickle.HIGHEST_PROTOCOL
END_OF_INPUT: Final = b""
#: Marks the slot of a task that failed in a results list (its JobFailure travels apart).
FAILED: Final[Any] = object()
DONE: Final = 0
EOF: Final = 1


def dumps(value: object) -> bytes:
    return pickle.dumps(value, PROTOCOL)


#: A task batch starts with (job index, task count, kind) so an executor can route it
#: unopened and account for its tasks even when the body does not unpickle.
TASKS_HEADER: Final = struct.Struct("<III")
LIST: Final = 0  # the body is the task list, pickled whole (a list submitted at once)
ITEMS: Final = 1  # the body is a list of tasks pickled one by one (single submits)
#: A result batch starts with (executor index, results, failures), for the same reason.
RESULTS_HEADER: Final = struct.Struct("<III")


def pack_tasks(job_index: int, tasks: list[Any]) -> bytes:
    """A main -> executor message: header + the pickled task list (may raise: unpicklable)."""
    return TASKS_HEADER.pack(job_index, len(tasks), LIST) + pickle.dumps(tasks, PROTOCOL)


def pack_items(job_index: int, items: list[bytes]) -> bytes:
    """A main -> executor message of tasks that were pickled one by one."""
    return TASKS_HEADER.pack(job_index, len(items), ITEMS) + pickle.dumps(items, PROTOCOL)


def unpack_tasks(data: bytes) -> tuple[list[Any], list[tuple[BaseException, int]]]:
    """The tasks of a main -> executor message that unpickled, and for each one that did
    not: (the error, how many tasks failed with it as one body). A ``LIST`` body that does
    not unpickle fails every task of the message."""
    _, count, kind = TASKS_HEADER.unpack_from(data)
    try:
        loaded: list[Any] = pickle.loads(memoryview(data)[TASKS_HEADER.size:])
    except Exception as exc:
        return [], [(exc, count)] * count
    if kind == LIST:
        return loaded, []
    tasks: list[Any] = []
    bad: list[tuple[BaseException, int]] = []
    for item in loaded:
        try:
            tasks.append(pickle.loads(item))
        except Exception as exc:
            bad.append((exc, 1))
    return tasks, bad


def encode_results(index: int, results: list[Any], failures: list[Any]) -> bytes:
    """An executor -> results message (may raise: a result that does not pickle)."""
    return RESULTS_HEADER.pack(index, len(results), len(failures)) + pickle.dumps(
        (results, failures), PROTOCOL)


def decode_results(data: bytes) -> tuple[int, list[Any], list[Any]]:
    """(executor index, results, failures) of an executor -> results message. A body that
    does not unpickle here becomes one failure per task it held, never a lost batch."""
    index, ok, failed = RESULTS_HEADER.unpack_from(data)
    try:
        results, failures = pickle.loads(memoryview(data)[RESULTS_HEADER.size:])
    except Exception as exc:
        message = (
            f"a batch of {ok + failed} outcome(s) from executor {index} could not be unpickled "
            f"in the process that reads results ({type(exc).__name__}: {exc}); return plain "
            "data from the job, of types every process of the program can import"
        )
        failure = JobFailure(task=None, fq_name="?", exc_type="UnpicklableResultError",
                             message=message, traceback=f"UnpicklableResultError: {message}\n")
        return index, [], [failure] * (ok + failed)
    return index, results, failures


#: Linux ``fcntl`` command to resize a pipe (not exported by the fcntl module before 3.10).
_F_SETPIPE_SZ = 1031
#: Pipe buffer we ask for: a few batches fit, so a writer rarely waits for its reader.
PIPE_BYTES = 1 << 20


def widen(*conns: Connection) -> None:
    """Grow the kernel buffer of these pipe ends (Linux; elsewhere, and past the
    system's ``fs.pipe-max-size``, the default stays and only throughput differs)."""
    try:
        import fcntl
    except ImportError:
        return
    for conn in conns:
        try:
            fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ), PIPE_BYTES)
        except OSError:
            return


def child_setup(inherited: Iterable[Connection]) -> None:
    """First thing in every child: leave Ctrl-C to the main process, drop inherited pipe ends.

    Ctrl-C reaches the whole process group; the main process decides how the children
    stop, so they ignore SIGINT instead of printing a KeyboardInterrupt each. Under fork a
    child inherits every pipe end the main process held: closing the ones that are not its
    own is what makes a pipe report EOF when its real owner dies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for conn in inherited:
        conn.close()


def parent_is_gone(parent_pid: int) -> bool:
    """True once the parent died: a child is re-parented (to init or a subreaper).

    ``parent_pid`` is the child's parent at start: the main process, or under forkserver
    the fork server, which exits when the main process does."""
    return os.getppid() != parent_pid


class Outbox:
    """Sends byte messages on a pipe from a thread, so the sender never blocks on a full pipe
    (``send``), or from the calling thread when that one may block (``send_now``).

    A process that blocks on a full pipe while its reader blocks on a full pipe back to it
    deadlocks; the executors and the result process queue here instead and go on reading.
    The queue stays bounded by the in-flight limit of the main process.
    """

    def __init__(self, conn: Connection, name: str) -> None:
        self._conn = conn
        self._queue: deque[bytes | None] = deque()
        self._ready = threading.Condition(threading.Lock())
        self.broken = False
        self._sending = threading.Lock()  # one message at a time on the pipe
        # Started on the first queued send: starting a thread costs a fresh child about
        # as much as the rest of its start, and sync jobs never need it (send_now).
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def send_now(self, data: bytes) -> None:
        """Send from the calling thread, blocking while the pipe is full (never the loop)."""
        with self._sending:
            self._send(data)

    def send(self, data: bytes) -> None:
        """Queue ``data``; the sender thread writes it."""
        with self._ready:
            self._queue.append(data)
            self._ready.notify()
        if self._thread.ident is None:
            self._thread.start()

    def close(self) -> None:
        """Send what is queued, then close the pipe (the reader sees EOF)."""
        if self._thread.ident is not None:
            with self._ready:
                self._queue.append(None)
                self._ready.notify()
            self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                item = self._queue.popleft()
            if item is None:
                return
            with self._sending:
                self._send(item)

    def _send(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self._conn.send_bytes(data)
        except OSError:  # the reader died; the main process reports that crash
            self.broken = True

