"""Judging one value: can it be pickled? Cheap for large values, silent about the bytes.

Two verdicts come first and cost nothing: the catalog's table of types that never pickle
(``rules.UNPICKLABLE_TYPES``, matched over the value's MRO). Otherwise the value is really
pickled, into a sink that throws the bytes away and stops the pickler once a byte budget is
spent. A value that fills the budget without an error counts as picklable: a 200 MB array
global then costs one megabyte of pickling and no memory.

Which pickler depends on how the value would travel. What rides inside the pickled result
processor (a ``functools.partial``'s arguments, a bound method's instance) is judged with the
standard pickle, the one the engine sends the processor with. What the processor only refers
to (its globals, closure cells, defaults) is judged by value with cloudpickle: the standard
pickle never sends it, so the question is whether that state could be sent at all.
"""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle

from .rules import UNPICKLABLE_TYPES

__all__ = ["BYTE_BUDGET", "Unpicklable", "pickling_problem", "type_name"]

#: How many pickled bytes are enough to call a value picklable.
BYTE_BUDGET = 1 << 20


class Unpicklable:
    """The verdict on a value that cannot be pickled; ``error`` is what the pickler raised
    (``None`` when the catalog's type table decided)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception | None) -> None:
        self.error = error


class _BudgetSpent(Exception):
    """Stops the pickler once the sink has seen enough bytes; never leaves this module."""


class _DiscardingSink:
    """A write-only file that counts and drops what it is given, up to a budget."""

    __slots__ = ("budget", "written")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.written = 0

    def write(self, data: Any) -> int:
        # The C pickler hands over big bytes objects as they are (no copy): only their size counts.
        size = memoryview(data).nbytes
        self.written += size
        if self.written > self.budget:
            raise _BudgetSpent
        return size


def type_name(value: object) -> str:
    """``module.qualname`` of the value's type: ``sqlite3.Connection``, ``_thread.lock``."""
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _in_type_table(value: object) -> bool:
    for cls in type(value).__mro__:
        if f"{cls.__module__}.{cls.__qualname__}" in UNPICKLABLE_TYPES:
            return True
    return False


def pickling_problem(
    value: object, *, by_value: bool = True, budget: int = BYTE_BUDGET
) -> Unpicklable | None:
    """``None`` when ``value`` pickles (or fills ``budget`` bytes without failing), else why not.

    ``by_value``: pickle with cloudpickle, which sends functions and classes it cannot
    import by value; otherwise with the standard pickle.
    """
    if _in_type_table(value):
        return Unpicklable(None)
    sink = _DiscardingSink(budget)
    pickler = (
        cloudpickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL)
        if by_value
        else pickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL)
    )
    try:
        pickler.dump(value)
    except _BudgetSpent:
        return None
    except Exception as exc:  # any failure of pickling means "cannot cross": TypeError,
        # PicklingError, AttributeError from a __reduce__, RecursionError on deep nesting
        return Unpicklable(exc)
    return None
