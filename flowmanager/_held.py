"""Tasks submitted one at a time, held in the main process until they leave in a batch.

``submit_task(task)`` in a loop would cost one pipe write per task; holding them a moment
lets many leave in one message. A held task must still leave when nobody calls the
instance again (a program that submits a few tasks and then waits on something else), so a
helper thread sends what has been held for ``HOLD_S``. The thread exists only while tasks
are held or were held a moment ago: an idle instance has no thread in the main process, so
forking there stays safe.

Both the caller's thread and the helper send under ``lock``; the helper never waits for
anything else while holding it, apart from a pipe write to an executor that is reading.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

__all__ = ["HOLD_S", "HeldTasks"]

#: A held task leaves at the latest this long after it was submitted (plus a tick).
HOLD_S = 0.002
#: The helper thread looks this often while tasks arrive ...
_TICK_S = 0.001
#: ... and ends after this long with nothing held.
_LINGER_S = 0.05

#: send(job_index, pickled tasks): writes one batch; raises OSError when the executor died.
Send = Callable[[int, list[bytes]], None]


class HeldTasks:
    """Pickled tasks per job, waiting to leave together."""

    def __init__(self, send: Send) -> None:
        # Weak, so that the helper thread does not keep a dropped instance alive.
        self._send: weakref.WeakMethod[Send] = weakref.WeakMethod(send)
        self.lock = threading.RLock()
        self._batches: dict[int, list[bytes]] = {}
        self.count = 0
        self._since = 0.0  # when the oldest held task was held
        self._open = True
        self._thread: threading.Thread | None = None  # the one that will send, if any
        self._last: threading.Thread | None = None  # the newest started, for close(wait)

    def hold(self, job_index: int, blob: bytes, now: float) -> list[bytes]:
        """Hold one task (call with ``lock`` held); returns its job's batch so far. Call
        :meth:`send_later` if it is still held once the caller decided not to send it."""
        if not self.count:
            self._since = now
        batch = self._batches.setdefault(job_index, [])
        batch.append(blob)
        self.count += 1
        return batch

    def send_later(self) -> None:
        """Make sure the helper thread will send what is held (call with ``lock`` held)."""
        if self.count and self._thread is None and self._open:
            self._thread = self._last = threading.Thread(
                target=self._run, name="flowmanager-held-tasks", daemon=True)
            self._thread.start()

    def take(self, job_index: int) -> list[bytes]:
        """Remove and return one job's batch (call with ``lock`` held)."""
        batch = self._batches.pop(job_index, [])
        self.count -= len(batch)
        return batch

    def take_all(self) -> list[tuple[int, list[bytes]]]:
        """Remove and return every batch (call with ``lock`` held)."""
        batches = list(self._batches.items())
        self._batches.clear()
        self.count = 0
        return batches

    def close(self, wait: bool = False) -> None:
        """No more sending from the helper thread; it ends at its next tick. ``wait``: until
        it has ended (so that a process forked next has no thread of ours to copy); only
        from a thread that does not hold ``lock``."""
        with self.lock:
            self._open = False
            thread = self._last
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        idle_since: float | None = time.monotonic()
        try:
            while idle_since is not None:
                time.sleep(_TICK_S)
                idle_since = self._tick(idle_since)
        finally:  # also when a tick raised: the next held task starts a new thread
            with self.lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _tick(self, idle_since: float) -> float | None:
        """One look: send what is due. Returns when the thread last saw tasks held, or
        None when it should end."""
        with self.lock:
            now = time.monotonic()
            send = self._send()  # a strong reference only for this tick
            if not self._open or send is None or (
                    not self.count and now - idle_since > _LINGER_S):
                self._thread = None  # decided under the lock: a task held next starts another
                return None
            if not self.count:
                return idle_since
            if now - self._since >= HOLD_S:
                try:
                    for job_index, batch in self.take_all():
                        send(job_index, batch)
                except Exception:
                    # An executor died (or the instance is being shut down under us); the
                    # caller's thread learns it from the process's sentinel, and the crash
                    # report counts the tasks that never left.
                    self._open = False
                    self._thread = None
                    return None
            return now
