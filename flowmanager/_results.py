"""Result processing: the result-processor process (parallel mode) and the function both
modes use to feed results to ``on_complete`` and failures to ``on_error``.

The result process reads every executor's pipe, calls the processors batch by batch and
tells the main process, per batch, how many tasks finished and what failed. It learns an
executor finished (or died) from EOF on that executor's pipe and reports that too, so the
main process can count what a dead executor took with it.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from ._errors import JobFailure, ProcessingFailure, _short_repr
from ._wire import DONE, EOF, child_setup, decode_results, dumps, logger, parent_is_gone

__all__ = ["process_batch", "result_main"]

Processor = Callable[[Any], Any]


def process_batch(
    on_complete: Processor | None,
    on_error: Processor | None,
    results: Sequence[Any],
    failures: Sequence[JobFailure],
    log: bool = True,
) -> tuple[int, list[ProcessingFailure]]:
    """Feed one batch to the processors; returns (results processed, processor failures).

    A processor that raises is counted and the batch goes on. With ``log`` (serial mode,
    the main process) it is logged here with its traceback; the result process leaves the
    logging to the main process, where the application configured its handlers.
    """
    errors: list[ProcessingFailure] = []
    if on_complete is not None:
        # One try around the whole loop; after a failure it goes on with the next result.
        remaining = iter(results)
        while True:
            result = None
            try:
                for result in remaining:
                    on_complete(result)
                break
            except Exception as exc:
                errors.append(_processing_failure("on_complete", result, exc, log))
    processed = len(results) - len(errors)  # only on_complete failures so far
    if on_error is not None:
        for failure in failures:
            try:
                on_error(failure)
            except Exception as exc:
                errors.append(_processing_failure("on_error", failure, exc, log))
    return processed, errors


def _processing_failure(role: str, result: Any, exc: Exception, log: bool) -> ProcessingFailure:
    if log:
        logger.error("%s raised for result %s; processing goes on", role, _short_repr(result),
                     exc_info=exc)
    return ProcessingFailure(
        role=role,
        result=_short_repr(result),
        exc_type=type(exc).__qualname__,
        message=str(exc),
        traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    )


def result_main(
    processors_blob: bytes,
    inputs: Sequence[Connection],
    to_main: Connection,
    inherited: Sequence[Connection],
) -> None:
    """Entry point of the result-processor process.

    ``processors_blob`` is ``(on_complete, on_error)`` pickled with the standard pickle,
    by reference: the same rules the guard enforces.
    """
    child_setup(inherited)
    parent_pid = os.getppid()  # the main process, or the forkserver that dies with it
    on_complete, on_error = pickle.loads(processors_blob)
    # Blocking on a full pipe to the main process is safe here: the main process only
    # blocks on an executor, and an executor's loop never blocks on its pipe to us.
    sys.setswitchinterval(0.0005)
    live: dict[Connection, int] = {conn: index for index, conn in enumerate(inputs)}
    while live:
        # Blocks; the timeout only lets a child whose main process was killed notice it.
        ready = wait(list(live), timeout=1.0)
        if not ready and parent_is_gone(parent_pid):
            return
        for conn in ready:
            assert isinstance(conn, Connection)
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                _send(to_main, dumps((EOF, live.pop(conn))))
                conn.close()
                continue
            index, results, failures = decode_results(data)
            processed, errors = process_batch(on_complete, on_error, results, failures, log=False)
            _send(to_main, dumps((DONE, index, len(results), failures, processed, errors)))
    to_main.close()


def _send(conn: Connection, data: bytes) -> None:
    try:
        conn.send_bytes(data)
    except OSError:  # the main process is gone; its children follow it out
        sys.exit(0)
