"""The runtime guard: judge a result processor before any process starts.

In parallel mode the result processor is pickled (with the standard pickle) and sent to
the result process. This module is the runtime front end of the rule catalog: it looks at
the live object, builds the same :class:`~flowmanager.rules.ProcessorInfo` the linter builds
from source, and lets :func:`~flowmanager.rules.judge_processor` decide. It starts no
process and never calls the processor.

- FMP101: the (partial-unwrapped) function is a lambda.
- FMP102: its qualified name holds ``<locals>``, or it belongs to ``__main__`` and is bound
  only inside the ``if __name__ == "__main__":`` block (see :mod:`._guard_main`).
- FMP103: a captured value cannot be pickled (see :mod:`._guard_capture` for the order and
  :mod:`._guard_pickle` for the verdict). A global, closure cell or default that is one of
  the standard streams is exempt: every process has its own ``sys.stderr``.
- FMP104: all of that passes, yet the standard pickle cannot send the processor itself,
  because its module and name do not lead back to it.
"""

from __future__ import annotations

import functools
import reprlib
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass

from ._errors import UnpicklableResultProcessorError
from ._guard_capture import Anatomy, Capture, dissect
from ._guard_main import bound_only_in_main_block
from ._guard_pickle import Unpicklable, pickling_problem, type_name
from .rules import MAIN_BLOCK, Captured, ProcessorInfo, Violation, inside_function, judge_processor

__all__ = ["check_result_processor", "describe_processor", "ensure_result_processor"]


@dataclass(frozen=True)
class _Finding:
    violation: Violation
    got: str
    cause: Exception | None


def check_result_processor(fn: object, serial_processing: bool = False) -> list[Violation]:
    """The violations (at most one) that make ``fn`` unusable as a parallel result processor.

    ``[]`` when ``fn`` is ``None``, in serial mode, or when ``fn`` can be pickled and sent
    to the result process. Raises ``TypeError`` when ``fn`` is neither callable nor ``None``.
    Starts no process.
    """
    finding = _check(fn, serial_processing, "result processor")
    return [] if finding is None else [finding.violation]


def ensure_result_processor(
    fn: object, serial_processing: bool = False, *, role: str = "on_complete"
) -> None:
    """Raise unless ``fn`` can serve as the ``role`` callable (``on_complete``, ``on_error``).

    Raises :class:`~flowmanager.UnpicklableResultProcessorError` (chained to the pickling
    error when there is one) for a violation, ``TypeError`` when ``fn`` is neither callable
    nor ``None``.
    """
    finding = _check(fn, serial_processing, role)
    if finding is None:
        return
    error = UnpicklableResultProcessorError([finding.violation], got=finding.got)
    if finding.cause is not None:
        raise error from finding.cause
    raise error


def describe_processor(fn: Callable[..., object]) -> ProcessorInfo:
    """What the runtime learns about ``fn``: the record :func:`rules.judge_processor` reads.

    ``captured`` lists every captured value the guard looked at; ``unpicklable`` is the
    first that cannot be pickled.
    """
    anatomy, captures = dissect(fn, "fn")
    seen: list[Captured] = []
    first: Captured | None = None
    for capture in captures:
        seen.extend(_record(part) for part in (*capture.parts, capture))
        if first is None:
            culprit = _culprit(capture)
            first = None if culprit is None else _record(culprit[0])
    enclosing = _enclosing(anatomy)
    explained = first is not None or enclosing is not None or anatomy.name == "<lambda>"
    unimportable = None if explained else _unimportable(fn)
    return ProcessorInfo(name=anatomy.name, is_lambda=anatomy.name == "<lambda>",
                         enclosing=enclosing, unpicklable=first, captured=tuple(seen),
                         unimportable=None if unimportable is None else unimportable[0])


def _check(fn: object, serial_processing: bool, role: str) -> _Finding | None:
    if fn is None:
        return None
    if not callable(fn):
        raise TypeError(
            f"{role}: expected a callable that takes one result (a function defined at module "
            f"level), or None; got {reprlib.repr(fn)} ({type_name(fn)})"
        )
    if serial_processing:
        return None
    anatomy, captures = dissect(fn, role)
    info = ProcessorInfo(name=anatomy.name, is_lambda=anatomy.name == "<lambda>",
                         enclosing=_enclosing(anatomy))
    violation = judge_processor(info, serial_processing=False)
    if violation is not None:  # FMP101 and FMP102 come first: no need to pickle anything
        return _Finding(violation, _describe(anatomy), None)
    for capture in captures:
        culprit = _culprit(capture)
        if culprit is None:
            continue
        capture, problem = culprit
        record = _record(capture)
        violation = judge_processor(
            ProcessorInfo(name=anatomy.name, unpicklable=record), serial_processing=False
        )
        assert violation is not None  # an unpicklable capture is FMP103, always
        return _Finding(violation, f"{capture.reach} ({record.type})", problem.error)
    unimportable = _unimportable(fn)
    if unimportable is not None:
        where, error = unimportable
        violation = judge_processor(ProcessorInfo(name=anatomy.name, unimportable=where),
                                    serial_processing=False)
        assert violation is not None  # an unimportable processor is FMP104, always
        return _Finding(violation, _describe(anatomy), error)
    return None


def _unimportable(fn: object) -> tuple[str, Exception | None] | None:
    """Why the standard pickle cannot send ``fn`` itself when its parts all pickle: the
    lookup by module and name that the result process would do fails or finds another object.
    Costs one pickling of the processor into the byte-budget sink (about a microsecond)."""
    problem = pickling_problem(fn, by_value=False)
    if problem is None:
        return None
    target = fn
    while isinstance(target, functools.partial):
        target = target.func
    if isinstance(target, types.MethodType):  # pickled as getattr(instance, name)
        target = type(target.__self__)
    elif not isinstance(target, (types.FunctionType, types.BuiltinFunctionType, type)):
        target = type(target)  # a callable instance: its class is looked up by name
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        loaded = sys.modules.get(module)
        if loaded is None:
            return f"its module {module!r} is not imported under that name", problem.error
        found: object = loaded
        for part in qualname.split("."):
            found = getattr(found, part, _MISSING)
            if found is _MISSING:
                return f"{module}.{qualname} does not exist", problem.error
        if found is not target:
            return f"{module}.{qualname} is another object now", problem.error
    return f"{type(problem.error).__name__}: {problem.error}", problem.error


_MISSING = object()


def _culprit(capture: Capture) -> tuple[Capture, Unpicklable] | None:
    """``None`` when ``capture`` can cross; else the first of its parts that cannot, or
    itself when none of its parts is to blame, with the verdict."""
    problem = _problem(capture)
    if problem is None:
        return None
    for part in capture.parts:
        part_problem = _problem(part)
        if part_problem is not None:
            return part, part_problem
    return capture, problem


def _problem(capture: Capture) -> Unpicklable | None:
    if capture.travels:  # the engine pickles it in full with the processor: so do we
        return pickling_problem(capture.value, by_value=False, budget=None)
    if _standard_stream(capture.value):
        return None  # only referred to, and every process has its own
    return pickling_problem(capture.value, by_value=True)


def _standard_stream(value: object) -> bool:
    """Whether ``value`` is one of this process's standard streams (``from sys import
    stderr``): a child finds its own under the same name, so referring to one is fine."""
    streams = (sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__)
    return value is not None and any(value is stream for stream in streams)


def _record(capture: Capture) -> Captured:
    return Captured(path=capture.path, type=type_name(capture.value), root=capture.root,
                    whole=capture.whole)


def _enclosing(anatomy: Anatomy) -> str | None:
    qualname = anatomy.qualname
    if qualname is None:
        return None
    if "<locals>" in qualname:
        return inside_function(qualname.rsplit(".<locals>", 1)[0])
    if anatomy.module == "__main__" and bound_only_in_main_block(qualname.split(".", 1)[0]):
        return MAIN_BLOCK
    return None


def _describe(anatomy: Anatomy) -> str:
    """The got line for FMP101/FMP102: where the processor is, what it is."""
    where = f"{anatomy.module}.{anatomy.qualname}" if anatomy.module else str(anatomy.qualname)
    if anatomy.is_instance:
        return f"{anatomy.reach} = an instance of {where}"
    return f"{anatomy.reach} = {where} ({type_name(anatomy.target)})"
