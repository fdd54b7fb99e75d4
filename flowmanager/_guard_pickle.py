"""Judging one value: can it be pickled? Cheap for large values, silent about the bytes.

One verdict comes first and costs nothing: the catalog's table of types that never pickle
(``rules.UNPICKLABLE_TYPES``), matched over the value's MRO, unless the value's class
reduces itself differently from the table's class: a subclass of ``logging.Handler`` with
its own ``__reduce__`` is not refused for being a handler. Otherwise the value is really
pickled, into a sink that throws the bytes away. How much of it, and with which pickler,
depends on how the value would travel:

- What rides inside the pickled result processor (a ``functools.partial``'s arguments, a
  bound method's instance, a callable instance) is pickled in full with the standard
  pickle, the one the engine sends the processor with. The engine pickles all of it anyway,
  so a budget would save little and could let an unpicklable value through, to fail later
  in the engine.
- What the processor only refers to (its globals, closure cells, defaults) is never sent:
  the standard pickle sends a module-level function by its name, and the result process
  imports the module. Whether that state could be sent at all is judged by value with
  cloudpickle, and the pickler stops once a byte budget is spent: a value that fills the
  budget without an error counts as picklable, so a global dict of a million strings costs
  one megabyte of pickling. An unpicklable value past the budget is missed, but the engine
  never pickles it, so it cannot fail there.
"""

from __future__ import annotations

import copyreg
import pickle
from collections.abc import Mapping
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
    """A write-only file that counts and drops what it is given, up to a budget (``None``:
    no limit)."""

    __slots__ = ("budget", "written")

    def __init__(self, budget: int | None) -> None:
        self.budget = budget
        self.written = 0

    def write(self, data: Any) -> int:
        # The C pickler hands over big bytes objects as they are (no copy): only their size counts.
        size = memoryview(data).nbytes
        self.written += size
        if self.budget is not None and self.written > self.budget:
            raise _BudgetSpent
        return size


def type_name(value: object) -> str:
    """``module.qualname`` of the value's type: ``sqlite3.Connection``, ``_thread.lock``."""
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


#: The methods pickle looks up to decide how an instance is reduced.
_REDUCTION = ("__reduce_ex__", "__reduce__", "__getstate__")


def _defined_by(cls: type, name: str) -> type | None:
    """The class of ``cls``'s MRO whose own ``__dict__`` supplies ``name``."""
    return next((k for k in cls.__mro__ if name in k.__dict__), None)


def _in_type_table(value: object, reducers: Mapping[type, object]) -> bool:
    """Whether the catalog's type table refuses ``value`` before any pickling.

    The first class of the value's MRO that the table names decides, unless the value is
    pickled another way than that class would be: its exact type is in ``reducers`` (the
    pickler's dispatch table, consulted by exact type), or pickle would find one of
    ``__reduce_ex__``, ``__reduce__``, ``__getstate__`` in another class than the table's
    class does (a subclass, or a mixin later in the MRO, that reduces itself). Such a value
    is pickled to see. The value of a table class itself is refused even when a dispatch
    table knows its type: cloudpickle has a reducer for text files that reads them whole,
    but the standard pickle the engine uses has none.
    """
    cls = type(value)
    for klass in cls.__mro__:
        if f"{klass.__module__}.{klass.__qualname__}" not in UNPICKLABLE_TYPES:
            continue
        if klass is cls:
            return True
        return cls not in reducers and all(
            _defined_by(cls, name) is _defined_by(klass, name) for name in _REDUCTION
        )
    return False


def pickling_problem(
    value: object, *, by_value: bool = True, budget: int | None = BYTE_BUDGET
) -> Unpicklable | None:
    """``None`` when ``value`` pickles (or fills ``budget`` bytes without failing), else why not.

    ``by_value``: pickle with cloudpickle, which sends functions and classes it cannot
    import by value; otherwise with the standard pickle. ``budget=None``: pickle it all.
    """
    reducers: Mapping[type, object] = (
        cloudpickle.Pickler.dispatch_table if by_value else copyreg.dispatch_table
    )
    if _in_type_table(value, reducers):
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
