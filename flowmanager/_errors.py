"""The exceptions FlowManagerMP raises: one base, one child per thing a caller can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .rules import RULES, Violation

__all__ = [
    "FlowManagerError",
    "FlowTimeoutError",
    "JobFailure",
    "JobsFailedError",
    "MultipleInstancesError",
    "ProcessingFailure",
    "RemoteTraceback",
    "ResultProcessingError",
    "UnpicklableResultProcessorError",
    "WorkerCrashedError",
    "format_violation",
]


def format_violation(violation: Violation, *, got: str | None = None) -> str:
    """The runtime text of a violation: what is wrong, what was expected, what was got, the fix.

    ``got`` describes the offending object; without it the violation's culprit is used.
    """
    rule = RULES[violation.code]
    lines = [
        f"{violation.code} {rule.name}: {violation.message}",
        f"  expected: {rule.expected}",
    ]
    if got or violation.culprit:
        lines.append(f"  got:      {got or violation.culprit}")
    lines.append(f"  fix:      {violation.hint}")
    lines.append(f"  see:      {rule.doc_path}")
    return "\n".join(lines)




class FlowManagerError(Exception):
    """Base class of every error FlowManagerMP raises on purpose."""


class UnpicklableResultProcessorError(FlowManagerError, TypeError):
    """Raised before any process starts when, in parallel mode, the result processor
    cannot be sent to the result process (FMP101, FMP102, FMP103, FMP104).

    A ``TypeError`` too, as code that passes a wrong callable expects. ``violations``
    holds what the guard found.
    """

    def __init__(self, violations: Sequence[Violation], got: str | None = None) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__("\n".join(format_violation(v, got=got) for v in self.violations))


class MultipleInstancesError(FlowManagerError, RuntimeError):
    """Raised (FMP001) when a FlowManagerMP is created while another one of the same
    process is still open. A closed instance does not count."""

    def __init__(self, violation: Violation, got: str | None = None) -> None:
        self.violations: tuple[Violation, ...] = (violation,)
        super().__init__(format_violation(violation, got=got))


class JobsFailedError(FlowManagerError):
    """Raised by ``close_processes()`` when jobs raised; ``failures`` holds one record
    per failed task (task, exception type, message, traceback text). When the result
    processor raised too, ``processing_failures`` holds those records (the error that
    would have said so on its own is not raised)."""

    def __init__(self, failures: Sequence[JobFailure], completed: int,
                 processing_failures: Sequence[ProcessingFailure] = ()) -> None:
        self.failures: tuple[JobFailure, ...] = tuple(failures)
        self.completed = completed
        self.processing_failures: tuple[ProcessingFailure, ...] = tuple(processing_failures)
        total = completed + len(self.failures)
        also = ""
        if self.processing_failures:
            also = (f"\nand the result processor raised for {len(self.processing_failures)} "
                    f"result(s):\n{_summary(self.processing_failures)}")
        super().__init__(
            f"{len(self.failures)} of {total} jobs raised; their results were not passed to "
            f"the result processor:\n{_summary(self.failures)}{also}\n"
            "  fix: handle the errors in the job, pass on_error= to see each failure as it "
            "happens, or close_processes(raise_on_error=False) and read .failures"
        )
        if self.failures:
            self.__cause__ = RemoteTraceback(self.failures[0].traceback)


class ResultProcessingError(FlowManagerError):
    """Raised by ``close_processes()`` when the result processor raised for some results;
    processing went on for the others."""

    def __init__(self, failures: Sequence[ProcessingFailure], count: int, processed: int) -> None:
        self.failures: tuple[ProcessingFailure, ...] = tuple(failures)
        self.count = count
        super().__init__(
            f"the result processor raised for {count} of {count + processed} results; "
            f"processing went on for the others:\n{_summary(self.failures)}\n"
            "  fix: handle the error inside the result processor (every failure is also "
            "logged on the 'flowmanager' logger with its traceback)"
        )
        if self.failures:
            self.__cause__ = RemoteTraceback(self.failures[0].traceback)


class WorkerCrashedError(FlowManagerError):
    """Raised when a child process of FlowManagerMP died (a signal, ``os._exit``, out of
    memory); says which process, how it ended, how many tasks were lost with it
    (``lost``) and how many submitted tasks had not left the main process (``unsent``)."""

    def __init__(self, process: str, how: str, lost: int, unsent: int = 0) -> None:
        self.process = process
        self.how = how
        self.lost = lost
        self.unsent = unsent
        held = (f", {unsent} more submitted task(s) had not been sent to an executor yet and "
                "were not run," if unsent else "")
        super().__init__(
            f"{process} {how}; {lost} task(s) were lost with it{held} and the instance was "
            "shut down\n  fix: find what killed it (a crash in native code, os._exit in a job, "
            "the out-of-memory killer: see dmesg) and submit the lost tasks again to a new "
            "instance"
        )


class FlowTimeoutError(FlowManagerError, TimeoutError):
    """Raised when ``wait_for_completion(timeout)`` or ``close_processes(timeout)`` ran
    out of time; says what was still running."""

    def __init__(self, what: str, timeout: float, still: str) -> None:
        self.timeout = timeout
        super().__init__(f"{what} timed out after {timeout:g} s; {still}")


# -- records of what went wrong in a child process ---------------------------------------------


@dataclass(frozen=True, slots=True)
class JobFailure:
    """One task whose job raised (or whose result could not be sent on).

    The exception itself stays in the executor (it may not pickle); its type, message and
    traceback text travel as strings. ``task`` is the task as it was submitted.
    """

    task: Any
    fq_name: str
    exc_type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        task = _short_repr(self.task)
        return f"{self.exc_type}: {self.message} (task {task}, job {self.fq_name})"


@dataclass(frozen=True, slots=True)
class ProcessingFailure:
    """One result whose result processor (``on_complete`` or ``on_error``) raised."""

    role: str
    result: str
    exc_type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        return f"{self.exc_type}: {self.message} ({self.role} of result {self.result})"


def _short_repr(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the real failure
        text = f"<{type(value).__name__} with failing repr: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RemoteTraceback(Exception):
    """The traceback text of an exception raised in a child process, chained as ``__cause__``."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text.rstrip()}\n"""'


def _summary(items: Sequence[object], shown: int = 5) -> str:
    lines = [f"  - {item}" for item in items[:shown]]
    if len(items) > shown:
        lines.append(f"  ... and {len(items) - shown} more")
    return "\n".join(lines)
