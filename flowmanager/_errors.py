"""The exceptions FlowManagerMP raises: one base, one child per thing a caller can act on."""

from __future__ import annotations

from collections.abc import Sequence

from .rules import RULES, Violation

__all__ = [
    "FlowManagerError",
    "JobsFailedError",
    "MultipleInstancesError",
    "ResultProcessingError",
    "UnpicklableResultProcessorError",
    "WorkerCrashedError",
    "FlowTimeoutError",
    "format_violation",
]


def format_violation(violation: Violation, *, got: str | None = None) -> str:
    """The runtime text of a violation: what is wrong, what was expected, what was got, the fix.

    ``got`` describes the offending object; without it the violation's culprit is used.
    """
    rule = RULES[violation.code]
    lines = [
        f"{violation.code} {rule.name}: {violation.message}",
        f"  expected: {_EXPECTED[violation.code]}",
    ]
    if got or violation.culprit:
        lines.append(f"  got:      {got or violation.culprit}")
    lines.append(f"  fix:      {violation.hint}")
    lines.append(f"  see:      {rule.doc_path}")
    return "\n".join(lines)


_EXPECTED = {
    "FMP001": "one FlowManagerMP per process, created once and reused",
    "FMP101": "a result processor defined with def at module level",
    "FMP102": "a result processor defined at module level, where a child process can import it",
    "FMP103": "a result processor whose captured state can be pickled",
}


class FlowManagerError(Exception):
    """Base class of every error FlowManagerMP raises on purpose."""


class UnpicklableResultProcessorError(FlowManagerError, TypeError):
    """Raised before any process starts when, in parallel mode, the result processor
    cannot be sent to the result process (FMP101, FMP102, FMP103).

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
    per failed task (task, exception type, message, traceback text)."""


class ResultProcessingError(FlowManagerError):
    """Raised by ``close_processes()`` when the result processor raised for some results;
    processing went on for the others."""


class WorkerCrashedError(FlowManagerError):
    """Raised when a child process of FlowManagerMP died (a signal, ``os._exit``, out of
    memory); says which process, how it ended and how many tasks were lost with it."""


class FlowTimeoutError(FlowManagerError, TimeoutError):
    """Raised when ``wait_for_completion(timeout)`` or ``close_processes(timeout)`` ran
    out of time; says what was still running."""
