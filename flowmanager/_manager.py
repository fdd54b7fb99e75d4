"""FlowManagerMP: one instance per process runs every job; results are processed in parallel
(in a process of their own) or serially (in the caller's process, inside ``close_processes``).

Process model::

                        task batches                      result batches
    main process  ------------------------->  executor 0 ------------------+
    (submit_task,  ------------------------->  executor 1 -------------+    |
     buffers and       one pipe each,          ...  (event loop:       v    v
     in-flight         (job_index, count)      async jobs on it,      result process
     limit)            + [tasks]               sync batches in a      (on_complete,
         ^                                     worker thread)          on_error per result)
         |                                                                   |
         +------- (DONE, executor, ok, failures, processed, errors) ---------+
                  (EOF, executor) once that executor's pipe is drained

* The main process owns the input side: ``submit_task`` pickles tasks at once (an
  unpicklable task raises ``TypeError`` and nothing is enqueued), groups them into batches
  and writes one message per batch to the executor with the shortest backlog. Tasks
  submitted one at a time may be held for a batch; what is held leaves within ``HOLD_S``
  even if the caller makes no further call (``_held``: a helper thread that exists only
  while tasks are held). At most ``max_in_flight`` tasks are submitted and not yet
  finished; beyond that ``submit_task`` waits for room.
* An executor runs every task it holds at once on one event loop. A batch of async jobs
  starts in one asyncio Task that steps the jobs by hand; the first job that suspends
  keeps that Task and the rest get one each (``_async_batch``), so 10,000+ jobs wait at
  once and a trivial one costs a function call. A batch of sync jobs goes to a worker
  thread in one hand-off; the thread runs it and sends the results itself, so the loop
  never blocks. Async results finished in one loop iteration leave in one message.
* The result process calls ``on_complete(result)`` / ``on_error(failure)`` and reports
  counts and failures back to the main process. In serial mode there is no result
  process: the executors' pipes end in the main process, which keeps the results and calls
  ``on_complete`` inside ``close_processes()``.
* Nothing polls. The main process blocks in ``multiprocessing.connection.wait`` on its
  pipes and on every child's sentinel, so a child that dies is noticed at once. Children
  block too and wake once a second to notice a main process that was killed (its pid is
  no longer their parent); a pipe that reports EOF says the same.
* Children ignore Ctrl-C; the main process stops them (and stops them at exit or when an
  instance is garbage collected). Executors and the result process are daemonic.

The job is shipped once per executor with cloudpickle (a lambda or a closure works); the
result processors go with the standard pickle, by reference, which is what the guard
(``check_result_processor``) checks before any process starts.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import pickle
import time
import warnings
import weakref
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from operator import sub
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from ._cpus import usable_cpus
from ._errors import (
    FlowTimeoutError,
    JobFailure,
    JobsFailedError,
    ProcessingFailure,
    ResultProcessingError,
    WorkerCrashedError,
)
from ._executor import executor_main
from ._held import HeldTasks
from ._jobs import (
    check_positive,
    check_processors,
    job_table,
    pickled,
    ship_jobs,
    ship_processors,
    start_context,
)
from ._processes import ProcessStats, Stats, how_it_ended, process_stats, stop_processes
from ._progress import Progress, make_progress, require_tqdm
from ._registry import creation_site, live_instance, register, unregister
from ._results import process_batch, result_main
from ._wire import DONE, END_OF_INPUT, EOF, decode_results, logger, pack_items, pack_tasks, widen

__all__ = ["FlowManagerMP", "ProcessStats", "Stats"]

_Self = TypeVar("_Self", bound="FlowManagerMP")

#: How long a crash report waits for the result process to drain the dead executor's pipe.
_CRASH_DRAIN_S = 1.0
#: submit_task looks for finished work at most this often while it holds a partial batch.
_LOOK_EVERY_S = 0.001


class FlowManagerMP:
    """Runs ``job(task)`` for every submitted task in executor processes and passes each
    return value to ``on_complete`` (in a result process, or in this process with
    ``serial_processing=True``).

    ``job`` is a sync or async callable taking one task, an object with a ``run(task)``
    method, or a mapping of names to such jobs (choose one per task with ``fq_name``).
    Keyword options:

    * ``on_error(failure)``: called with a :class:`JobFailure` for each job that raised
      (same picklability rules and place as ``on_complete``).
    * ``workers``: executor processes (default: the CPUs this process may use).
    * ``max_in_flight``: tasks submitted and not yet finished before ``submit_task`` waits.
    * ``start_method``: ``"fork"``, ``"forkserver"`` or ``"spawn"``. The default is the
      method set with ``multiprocessing.set_start_method()``, if one was; otherwise
      ``"fork"`` where available (it needs no ``if __name__ == "__main__":`` guard).
    * ``raise_on_error``: ``close_processes()`` raises :class:`JobsFailedError` (default).
    * ``progress``: draw a tqdm progress bar of finished / submitted tasks.
    * ``threads``: worker threads per executor for sync jobs (raise it for blocking I/O).
    * ``batch_size``: most tasks per message to an executor.

    Only one instance may be open per process (FMP001); ``FlowManagerMP.instance()``
    returns it.
    """

    _default_start_method: ClassVar[str | None] = (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )

    def __init__(
        self,
        job: Any = None,
        on_complete: Callable[[Any], Any] | None = None,
        serial_processing: bool = False,
        *,
        on_error: Callable[[JobFailure], Any] | None = None,
        workers: int | None = None,
        max_in_flight: int = 100_000,
        start_method: str | None = None,
        raise_on_error: bool = True,
        progress: bool = False,
        threads: int = 1,
        batch_size: int = 8192,
    ) -> None:
        self._state = "starting"  # starting -> open -> closed
        site = creation_site()
        check_processors(on_complete, on_error, serial_processing)
        check_positive(workers=workers, max_in_flight=max_in_flight, threads=threads,
                        batch_size=batch_size)
        self._jobs = job_table(job)
        jobs_blob = ship_jobs(self._jobs)
        processors_blob = None if serial_processing else ship_processors(on_complete, on_error)
        ctx = start_context(start_method, self._default_start_method)
        if progress:
            require_tqdm()  # before any process starts; the bar itself comes after them
        self._progress: Progress | None = None
        register(self, site, got=f"a new FlowManagerMP at {site}")
        self.site = site
        self.serial_processing = serial_processing
        self.raise_on_error = raise_on_error
        self._on_complete = on_complete
        self._on_error = on_error
        self._max_in_flight = max_in_flight
        self._chunk = min(batch_size, max_in_flight)
        self._start_method = ctx.get_start_method()
        # Counters (main process only).
        self._submitted = 0
        self._batches = 0
        self._last_look = 0.0
        self._names = {name: index for index, (name, _, _) in enumerate(self._jobs)}
        self._held = HeldTasks(self._send_from_helper)
        self._ok = 0
        self._failures: list[JobFailure] = []
        self._processed = 0
        self._processing_failures: list[ProcessingFailure] = []
        self._stored: list[tuple[list[Any], list[JobFailure]]] = []  # serial mode
        self._ending = False
        self._crash: WorkerCrashedError | None = None
        try:
            self._start(ctx, workers or usable_cpus(), jobs_blob, processors_blob, threads)
        except BaseException:
            # A start that failed half-way (fork refused, Ctrl-C) leaves no child behind.
            if hasattr(self, "_finalizer"):
                self._finalizer()
            if self._progress is not None:
                self._progress.close()
            unregister(self)
            raise
        self._progress = make_progress(progress)
        self._state = "open"

    # -- starting and stopping -----------------------------------------------------------------

    def _start(self, ctx: BaseContext, workers: int, jobs_blob: bytes,
               processors_blob: bytes | None, threads: int) -> None:
        task_pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
        result_pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
        to_main = None if processors_blob is None else ctx.Pipe(duplex=False)
        everything: list[Connection] = [c for pair in task_pipes + result_pipes for c in pair]
        if to_main is not None:
            everything.extend(to_main)
        widen(*(writer for _, writer in task_pipes + result_pipes))
        fork = self._start_method == "fork"

        def inherited(*own: Connection) -> list[Connection]:
            # Under fork a child holds copies of every pipe end; it closes the foreign ones.
            return [c for c in everything if c not in own] if fork else []

        self._executors: list[BaseProcess] = []
        self._processes: list[BaseProcess] = []
        self._finalizer = weakref.finalize(self, stop_processes, self._processes, everything)
        for index, ((tasks_in, _), (_, results_out)) in enumerate(
                zip(task_pipes, result_pipes, strict=True)):
            process = ctx.Process(  # type: ignore[attr-defined]
                target=executor_main, name=f"flowmanager-executor-{index}", daemon=True,
                args=(index, jobs_blob, tasks_in, results_out, threads,
                      inherited(tasks_in, results_out)),
            )
            self._executors.append(process)
            self._processes.append(process)
            process.start()
        self._result_process: BaseProcess | None = None
        if to_main is not None:
            inputs = [r for r, _ in result_pipes]
            process = ctx.Process(  # type: ignore[attr-defined]
                target=result_main, name="flowmanager-results", daemon=True,
                args=(processors_blob, inputs, to_main[1],
                      inherited(*inputs, to_main[1])),
            )
            self._result_process = process
            self._processes.append(process)
            process.start()
        # The main process keeps its own ends only, so a dead child shows as EOF.
        for tasks_in, _ in task_pipes:
            tasks_in.close()
        for reader, writer in result_pipes:
            writer.close()
            if to_main is not None:
                reader.close()
        self._task_out: list[Connection | None] = [w for _, w in task_pipes]
        if to_main is None:
            self._incoming: dict[Connection, int] = {r: i for i, (r, _) in enumerate(result_pipes)}
        else:
            to_main[1].close()
            self._incoming = {to_main[0]: -1}
        self._sent = [0] * workers
        self._done = [0] * workers
        self._drained: set[int] = set()  # executors whose result pipe reached EOF
        self._exited: dict[int, int] = {}  # executor index -> exit code
        self._live_sentinels: dict[int, int] = {  # sentinel -> executor index (-1: results)
            p.sentinel: i for i, p in enumerate(self._executors)}
        if self._result_process is not None:
            self._live_sentinels[self._result_process.sentinel] = -1

    def _shutdown(self) -> None:
        """Stop every child now (SIGTERM, then SIGKILL) and forget the instance."""
        self._state = "closed"
        self._finalizer()  # first: a helper thread blocked on a pipe write gets EPIPE
        self._held.close()
        for conn in self._incoming:
            conn.close()
        self._incoming = {}
        self._task_out = [None] * len(self._task_out)
        self._live_sentinels = {}
        unregister(self)
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    # -- public API ----------------------------------------------------------------------------

    @classmethod
    def instance(cls: type[_Self], *args: Any, **kwargs: Any) -> _Self:
        """The open instance of this process; created with these arguments the first time."""
        live = live_instance()
        if isinstance(live, cls):
            return live
        return cls(*args, **kwargs)

    @classmethod
    def reset_instance(cls) -> None:
        """Close the open instance of this process (waiting for its work) and forget it."""
        live = live_instance()
        if isinstance(live, cls):
            live.close_processes()

    def get_fq_names(self) -> list[str]:
        """The names ``submit_task(..., fq_name=)`` accepts."""
        return [name for name, _, _ in self._jobs]

    def submit_task(self, task: Any, fq_name: str | None = None, *,
                    timeout: float | None = None) -> None:
        """Submit one task, or every task of a list, to the job named ``fq_name``.

        The tasks are pickled at once: an unpicklable task raises ``TypeError`` and nothing
        of the call is enqueued. When ``max_in_flight`` tasks are running, waits for room
        (at most ``timeout`` seconds, then :class:`FlowTimeoutError`).
        """
        self._check_open("submit_task")
        job_index = self._job_index(fq_name)
        deadline = _deadline(timeout)
        if isinstance(task, list):
            self._submit_many(task, job_index, deadline, timeout)
            return
        blob = pickled(task, "the task")  # what runs is the task as it is now
        if self._submitted - self._ok - len(self._failures) >= self._max_in_flight:
            self._wait_for_room(1, deadline, timeout, "submit_task")
        now = time.monotonic()
        if now - self._last_look > _LOOK_EVERY_S:
            self._last_look = now  # news of finished work, at most once a millisecond
            self._pump_nowait()  # before counting: a crash learnt here rejects this task
        self._submitted += 1
        self._progress_total()
        # Adaptive batching: send once the least busy executor has no more work left than
        # this batch holds (at once when one is idle); else hold and let the batch grow
        # while the executors work, at most HOLD_S (then the held-tasks thread sends it).
        # Batches grow with the backlog, never one write per task under load, and a lone
        # task still leaves at once.
        with self._held.lock:
            batch = self._held.hold(job_index, blob, now)
            if len(batch) >= self._chunk or min(map(sub, self._sent, self._done)) <= len(batch):
                self._send_held(job_index, self._held.take(job_index))
            else:
                self._held.send_later()

    def flush(self) -> None:
        """Send the tasks held back to fill a batch (``wait_for_completion`` does this too)."""
        self._check_open("flush")
        with self._held.lock:
            for job_index, batch in self._held.take_all():
                self._send_held(job_index, batch)

    def wait_for_completion(self, timeout: float | None = None) -> None:
        """Wait until every submitted job has finished (and, in parallel mode, its result
        was processed). Raises :class:`FlowTimeoutError` after ``timeout`` seconds,
        :class:`WorkerCrashedError` when a child process died."""
        self._check_open("wait_for_completion")
        deadline = _deadline(timeout)
        self.flush()
        if not self._pump(deadline, lambda: self._finished() >= self._submitted):
            raise FlowTimeoutError("wait_for_completion()", _given(timeout),
                                   self._still_running())

    def close_processes(self, timeout: float | None = None, *,
                        raise_on_error: bool | None = None) -> None:
        """End of input: wait for every job and every result processing, then stop the
        processes. In serial mode ``on_complete`` runs here, in this process.

        Past ``timeout`` seconds the processes are stopped and :class:`FlowTimeoutError`
        says what was still running. Then raises :class:`WorkerCrashedError` if a child
        died, :class:`JobsFailedError` if jobs raised (unless ``raise_on_error=False``) and
        :class:`ResultProcessingError` if the result processor raised. No process of the
        instance is left in any case.
        """
        if self._state == "closed":
            if self._crash is not None:
                raise self._crash
            return
        deadline = _deadline(timeout)
        try:
            self._close(deadline, timeout)
        finally:
            self._shutdown()
        self._raise_outcome(self.raise_on_error if raise_on_error is None else raise_on_error)

    def stats(self) -> Stats:
        """Counts so far and CPU / RSS of every process of the instance."""
        if self._state == "open":
            self._pump_nowait()
        return Stats(
            submitted=self._submitted,
            running=self._submitted - self._finished(),
            completed=self._ok,
            failed=len(self._failures),
            processed=self._processed,
            processing_errors=len(self._processing_failures),
            batches=self._batches,
            processes=tuple(process_stats(self._processes)),
        )

    @property
    def start_method(self) -> str:
        """How the children were started: ``"fork"``, ``"forkserver"`` or ``"spawn"``."""
        return self._start_method

    @property
    def failures(self) -> list[JobFailure]:
        """The failed jobs so far (task, exception type, message, traceback text)."""
        return list(self._failures)

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close_processes()
        else:  # the block failed: do not wait for its jobs, stop the processes
            self._shutdown()

    def __repr__(self) -> str:
        return (f"<FlowManagerMP {self._state} created at {self.site}: "
                f"{self._submitted} submitted, {self._finished()} finished>")

    # -- submitting ----------------------------------------------------------------------------

    def _submit_many(self, tasks: list[Any], job_index: int, deadline: float | None,
                     timeout: float | None) -> None:
        # Big batches cost fewer hand-offs; at least 4 per executor keep them all busy.
        step = max(1, min(self._chunk, -(-len(tasks) // (4 * len(self._executors)))))
        blobs = []
        for start in range(0, len(tasks), step):
            part = tasks[start:start + step]
            try:
                blobs.append((pack_tasks(job_index, part), len(part)))
            except Exception:
                for offset, item in enumerate(part):  # name the culprit
                    pickled(item, f"task {start + offset} of the list")
                raise
        for sent, (blob, count) in enumerate(blobs):
            done = sent * step
            self._wait_for_room(count, deadline, timeout,
                                f"submit_task ({done} of {len(tasks)} tasks of the list submitted)")
            self._submitted += count
            with self._held.lock:
                self._send_blob(blob, count)
        self._progress_total()

    def _send_held(self, job_index: int, blobs: list[bytes], learn: bool = True) -> None:
        """Send tasks held for a batch (with the held-tasks lock)."""
        self._send_blob(pack_items(job_index, blobs), len(blobs), learn)

    def _send_from_helper(self, job_index: int, blobs: list[bytes]) -> None:
        """The held-tasks thread's send: an executor that died is left for the caller's
        thread to report (the OSError only stops the helper)."""
        self._send_held(job_index, blobs, learn=False)

    def _send_blob(self, blob: bytes, count: int, learn: bool = True) -> None:
        """Write one batch to the least busy executor (with the held-tasks lock)."""
        backlogs = self._backlogs()
        index = backlogs.index(min(backlogs))
        conn = self._task_out[index]
        if conn is None:  # shut down meanwhile
            raise OSError("the instance was shut down")
        try:
            conn.send_bytes(blob)
        except OSError:  # the executor died: its sentinel says how
            if learn:
                self._pump(_deadline(_CRASH_DRAIN_S), lambda: False)
            raise
        self._sent[index] += count
        self._batches += 1

    def _backlogs(self) -> list[int]:
        return [sent - done for sent, done in zip(self._sent, self._done, strict=True)]

    def _wait_for_room(self, count: int, deadline: float | None, timeout: float | None,
                       what: str) -> None:
        def room() -> bool:
            running = self._submitted - self._finished()
            return running == 0 or running + count <= self._max_in_flight

        if room():
            return
        self.flush()
        if not self._pump(deadline, room):
            raise FlowTimeoutError(f"{what} waiting for room under max_in_flight="
                                   f"{self._max_in_flight}", _given(timeout),
                                   self._still_running())

    def _job_index(self, fq_name: str | None) -> int:
        if fq_name is None and len(self._jobs) == 1:
            return 0
        if fq_name is not None and not isinstance(fq_name, str):
            raise TypeError(f"fq_name must be the str name of a job (one of "
                            f"{self.get_fq_names()}), got {type(fq_name).__name__} {fq_name!r}")
        index = self._names.get(fq_name) if fq_name is not None else None
        if index is not None:
            return index
        names = self.get_fq_names()
        if not names:
            raise TypeError("this FlowManagerMP has no job to run tasks with\n"
                            "  fix: pass the job to the constructor: FlowManagerMP(job, ...)")
        if fq_name is None:
            if len(names) == 1:
                return 0
            raise ValueError(f"submit_task needs fq_name= to choose one of the jobs {names}")
        raise ValueError(f"no job named {fq_name!r}; the jobs are {names}")

    def _check_open(self, what: str) -> None:
        if self._crash is not None:
            raise self._crash
        if self._state != "open":
            raise RuntimeError(f"{what}() on a closed FlowManagerMP (created at {self.site})\n"
                               "  fix: submit before close_processes(), or use "
                               "FlowManagerMP.instance() to get the open one")

    # -- waiting -------------------------------------------------------------------------------

    def _finished(self) -> int:
        return self._ok + len(self._failures)

    def _pump(self, deadline: float | None, until: Callable[[], bool]) -> bool:
        """Handle messages and child exits until ``until()``; False past the deadline."""
        try:
            while not until():
                if self._crash is not None:
                    raise self._crash
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                waitables: list[Any] = [*self._incoming, *self._live_sentinels]
                if not waitables:
                    return until()
                self._handle(wait(waitables, remaining))
            return True
        except BaseException:
            # Ctrl-C or a crash while waiting: nothing will collect the children later.
            if self._state == "open" or self._state == "closing":
                self._shutdown()
            raise

    def _pump_nowait(self) -> None:
        waitables: list[Any] = [*self._incoming, *self._live_sentinels]
        if not waitables:
            return
        try:
            self._handle(wait(waitables, 0))
        except BaseException:
            if self._state == "open" or self._state == "closing":
                self._shutdown()
            raise

    def _handle(self, ready: Iterable[Any]) -> None:
        exits = []
        for item in ready:
            if isinstance(item, Connection):
                self._read(item)
            else:
                exits.append(item)
        # An executor's death explains a result process that ended: report it first.
        for sentinel in sorted(exits, key=lambda s: self._live_sentinels.get(s, -1) < 0):
            self._on_exit(sentinel)

    def _read(self, conn: Connection) -> None:
        """Every message waiting on ``conn`` (a pipe from the result process or, serial, an
        executor)."""
        source = self._incoming.get(conn)
        if source is None:
            return
        try:
            while True:
                data = conn.recv_bytes()
                self._on_message(source, decode_results(data) if source >= 0
                                 else pickle.loads(data))
                if not conn.poll():
                    return
        except (EOFError, OSError):
            del self._incoming[conn]
            conn.close()
            if source >= 0:
                self._drained.add(source)

    def _on_message(self, source: int, message: tuple[Any, ...]) -> None:
        if source >= 0:  # serial: straight from executor `source`
            index, results, failures = message
            if self._on_complete is not None or self._on_error is not None:
                self._stored.append((results, failures))
            self._count(index, len(results), failures)
            return
        if message[0] == EOF:
            self._drained.add(message[1])
            return
        assert message[0] == DONE
        _, index, ok, failures, processed, errors = message
        self._processed += processed
        self._processing_failures.extend(errors)
        for error in errors:  # logged here, where the application set up logging
            logger.error("%s raised for result %s in the result process; processing goes on"
                         "\n%s", error.role, error.result, error.traceback.rstrip())
        self._count(index, ok, failures)

    def _count(self, index: int, ok: int, failures: list[JobFailure]) -> None:
        self._ok += ok
        self._failures.extend(failures)
        self._done[index] += ok + len(failures)
        if self._progress is not None:
            self._progress.finished(ok + len(failures))

    def _on_exit(self, sentinel: int) -> None:
        index = self._live_sentinels.pop(sentinel, None)
        if index is None:
            return
        if index < 0:
            self._on_results_exit()
            return
        process = self._executors[index]
        process.join()
        code = process.exitcode if process.exitcode is not None else 0
        self._exited[index] = code
        if code == 0 and self._ending:
            return  # the normal end; close_processes() checks the counts
        self._wait_drained(index)
        self._crashed(process, code, self._sent[index] - self._done[index],
                      unsent=self._submitted - sum(self._sent))

    def _on_results_exit(self) -> None:
        process = self._result_process
        assert process is not None
        process.join()
        code = process.exitcode if process.exitcode is not None else 0
        for conn in list(self._incoming):  # what it sent before dying still counts
            self._read(conn)
        if code == 0:
            # It ends on its own when every executor's pipe is closed; when an executor died,
            # that death is the news, and its exit status may arrive a little later
            # (forkserver reports it through the server; a core dump takes time).
            dead = {p.sentinel for i, p in enumerate(self._executors)
                    if i in self._drained and p.sentinel in self._live_sentinels}
            for sentinel in wait(list(dead), _CRASH_DRAIN_S) if dead else ():
                assert isinstance(sentinel, int)
                self._on_exit(sentinel)
        if code == 0 and self._ending and len(self._drained) == len(self._executors):
            return
        self._crashed(process, code, sum(self._sent) - self._finished(),
                      unsent=self._submitted - sum(self._sent))

    def _wait_drained(self, index: int) -> None:
        """Let the result process forward what the dead executor sent before it died."""
        deadline = _deadline(_CRASH_DRAIN_S)
        while index not in self._drained and self._incoming:
            remaining = deadline - time.monotonic()  # type: ignore[operator]
            ready = wait(list(self._incoming), max(remaining, 0))
            if not ready:
                return
            for conn in ready:
                assert isinstance(conn, Connection)
                self._read(conn)

    def _crashed(self, process: BaseProcess, code: int, lost: int, unsent: int = 0) -> None:
        role = "result process" if process is self._result_process else "executor process"
        self._crash = WorkerCrashedError(
            f"the {role} {process.name!r} (pid {process.pid})", how_it_ended(code, self._ending),
            lost, unsent)
        logger.error("%s", self._crash)
        raise self._crash

    def _still_running(self) -> str:
        running = self._submitted - self._finished()
        return (f"{running} of {self._submitted} submitted tasks are still running "
                f"({self._ok} completed, {len(self._failures)} failed, "
                f"{self._processed} results processed)")

    def _progress_total(self) -> None:
        if self._progress is not None:
            self._progress.submitted(self._submitted)

    # -- closing -------------------------------------------------------------------------------

    def _close(self, deadline: float | None, timeout: float | None) -> None:
        if self._crash is not None:
            return
        self.flush()
        with self._held.lock:  # from here on the held-tasks thread sends nothing
            self._state = "closing"
        self._held.close(wait=True)
        self._ending = True
        for index, conn in enumerate(self._task_out):
            if conn is not None:
                with contextlib.suppress(OSError):  # it died: its sentinel reports how
                    conn.send_bytes(END_OF_INPUT)
                conn.close()
                self._task_out[index] = None

        def all_done() -> bool:
            return not self._live_sentinels and not self._incoming

        try:
            finished = self._pump(deadline, all_done)
        except WorkerCrashedError:
            return
        if not finished:
            still = self._still_running()
            self._shutdown()
            raise FlowTimeoutError("close_processes()", _given(timeout),
                                   f"{still}; the processes were stopped")
        lost = self._submitted - self._finished()
        if lost:
            index = max(range(len(self._sent)), key=lambda i: self._sent[i] - self._done[i])
            process = self._executors[index]
            self._crash = WorkerCrashedError(
                f"the executor process {process.name!r} (pid {process.pid})",
                "ended before finishing its tasks", lost)
            return
        if self.serial_processing:
            self._process_stored(deadline, timeout)

    def _process_stored(self, deadline: float | None, timeout: float | None) -> None:
        """Serial mode: run the result processors here, batch by batch."""
        stored, self._stored = self._stored, []
        for number, (results, failures) in enumerate(stored):
            if deadline is not None and time.monotonic() > deadline:
                left = sum(len(r) for r, _ in stored[number:])
                raise FlowTimeoutError("close_processes()", _given(timeout),
                                       f"{left} results were not processed yet")
            processed, errors = process_batch(self._on_complete, self._on_error, results,
                                              failures)
            self._processed += processed
            self._processing_failures.extend(errors)

    def _raise_outcome(self, raise_on_error: bool) -> None:
        if self._crash is not None:
            raise self._crash
        if self._failures and raise_on_error:
            raise JobsFailedError(self._failures, self._ok, self._processing_failures)
        if self._processing_failures:
            raise ResultProcessingError(self._processing_failures,
                                        len(self._processing_failures), self._processed)


# -- helpers -------------------------------------------------------------------------------------


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _given(timeout: float | None) -> float:
    return 0.0 if timeout is None else timeout


@atexit.register
def _close_at_exit() -> None:
    """An instance left open at exit: say what is abandoned, stop its children."""
    live = live_instance()
    if isinstance(live, FlowManagerMP) and live._state != "closed":
        running = live._submitted - live._finished()
        if running:
            # Not only a log record (silent by default): abandoned work must be seen.
            warnings.warn(
                f"the FlowManagerMP created at {live.site} was not closed; {running} unfinished "
                "task(s) were abandoned at exit; call close_processes() (or use "
                "'with FlowManagerMP(...) as manager:') to wait for them",
                RuntimeWarning, stacklevel=1)
        live._shutdown()
