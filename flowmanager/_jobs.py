"""What the constructor and submit_task check and ship: jobs (cloudpickle, once), result
processors (standard pickle, after the guard), tasks (standard pickle, at submit)."""

from __future__ import annotations

import inspect
import multiprocessing
import multiprocessing.context
from collections.abc import Callable, Mapping
from typing import Any

import cloudpickle

from ._executor import JobSpec
from ._wire import dumps

__all__ = [
    "check_positive",
    "check_processors",
    "job_table",
    "pickled",
    "ship_jobs",
    "ship_processors",
    "start_context",
]


def check_processors(on_complete: object, on_error: object, serial_processing: bool) -> None:
    from ._guard import ensure_result_processor

    if on_complete is not None:
        ensure_result_processor(on_complete, serial_processing, role="on_complete")
    if on_error is not None:
        ensure_result_processor(on_error, serial_processing, role="on_error")


def check_positive(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def start_context(method: object, default: str | None) -> multiprocessing.context.BaseContext:
    """The multiprocessing context to start children with.

    ``method`` is the caller's choice; without one, a method the program set
    with ``multiprocessing.set_start_method()`` wins over ``default``.
    """
    if method is None:
        method = multiprocessing.get_start_method(allow_none=True) or default
    available = multiprocessing.get_all_start_methods()
    if method is not None and method not in available:
        raise ValueError(
            f"start_method must be one of {', '.join(map(repr, available))} on this "
            f"platform, got {method!r}"
        )
    return multiprocessing.get_context(method)


def job_table(job: Any) -> list[JobSpec]:
    """[(fq_name, callable, is_async)] for a job, an object with run(), or a mapping."""
    if job is None:
        return []
    if isinstance(job, Mapping):
        if not job:
            raise ValueError("the job mapping is empty; give at least one name -> job")
        for name in job:
            if not isinstance(name, str):
                raise TypeError(f"the names of a job mapping are what submit_task(fq_name=...) "
                                f"takes and must be str, got {type(name).__name__} {name!r}")
        return [(name, *_callable(one, f"job[{name!r}]")) for name, one in job.items()]
    fn, is_async = _callable(job, "job")
    return [(_name_of(job), fn, is_async)]


def _callable(job: Any, what: str) -> tuple[Callable[[Any], Any], bool]:
    run = getattr(job, "run", None)
    fn = run if callable(run) and not inspect.isroutine(job) else job
    if not callable(fn):
        raise TypeError(f"{what} must be a callable taking one task or an object with a "
                        f"run(task) method, got {type(job).__name__} {job!r}")
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None))  # noqa: B004 - async callable instances
    return fn, is_async


def _name_of(job: Any) -> str:
    name = getattr(job, "__qualname__", None) or type(job).__qualname__
    return f"{getattr(job, '__module__', None) or type(job).__module__}.{name}"


def ship_jobs(jobs: list[JobSpec]) -> bytes:
    try:
        return cloudpickle.dumps(jobs)  # type: ignore[no-any-return]
    except Exception as exc:
        raise TypeError(
            f"the job cannot be sent to the executor processes: {type(exc).__name__}: {exc}\n"
            "  fix: create what the job needs (connections, files, locks) inside the job, "
            "not outside it"
        ) from exc


def ship_processors(on_complete: object, on_error: object) -> bytes:
    try:
        return dumps((on_complete, on_error))
    except Exception as exc:
        raise TypeError(
            f"the result processor cannot be sent to the result process: "
            f"{type(exc).__name__}: {exc}\n"
            "  fix: define it with def at module level, or pass serial_processing=True"
        ) from exc


def pickled(value: Any, what: str) -> bytes:
    """``value`` pickled for an executor; a clear ``TypeError`` when it cannot be."""
    try:
        return dumps(value)
    except Exception as exc:
        raise TypeError(
            f"{what} cannot be pickled to reach an executor process: {type(value).__name__} "
            f"({type(exc).__name__}: {exc}); nothing was submitted\n"
            "  fix: submit plain data (numbers, strings, lists, dicts, dataclasses) and "
            "open files or connections inside the job"
        ) from exc
