"""Result processors for the guard's tests: module-level, so a child process can import them.

``ACCEPTED`` pairs a processor the guard accepts with a result to call it with; the tests
send each one to a real child. The other names are processors the guard refuses; the
factories (``make_*``) build nested ones at run time.
"""

from __future__ import annotations

import asyncio
import copyreg
import functools
import logging
import os
import pickle
import sqlite3
import sys
import threading
import types
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# -- state the processors capture ---------------------------------------------

SETTINGS = {"prefix": "result:"}
DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.execute("CREATE TABLE results (value INTEGER)")
POOL = [sqlite3.connect(":memory:")]
LOCK = threading.Lock()
LOG = logging.getLogger("guard_samples")
SINK = open(os.devnull, "w")  # noqa: SIM115 - an open file held on purpose
STDERR = sys.__stderr__  # every process has its own
# Past the guard's byte budget: a lock behind 2 MiB of bytes.
BIG_WITH_LOCK = [bytes(2 << 20), threading.Lock()]


# -- accepted -------------------------------------------------------------------


def double(result: int) -> int:
    return result * 2


def prefixed(result: int) -> str:
    return f"{SETTINGS['prefix']}{result}"


def scaled(result: int, factor: int = 3, *, offset: int = 1) -> int:
    return result * factor + offset


def positional_only(result: int, /, factor: int = 2, *, offset: int = 0) -> int:
    return result * factor + offset


def logs(result: int) -> int:
    LOG.debug("got %s", result)
    return result


def add(left: int, result: int) -> int:
    return left + result


def add3(a: int, b: int, result: int) -> int:
    return a + b + result


def reads_attribute(result: types.SimpleNamespace) -> object:
    # `DB` here is an attribute of the result, not the global connection.
    return result.DB


def comprehension(results: list[int]) -> list[str]:
    return [f"{SETTINGS['prefix']}{r}" for r in results]


async def async_double(result: int) -> int:
    await asyncio.sleep(0)
    return result * 2


class Scaler:
    def __init__(self, factor: int) -> None:
        self.factor = factor

    def scale(self, result: int) -> int:
        return result * self.factor

    @classmethod
    def unit(cls, result: int) -> int:
        return result

    @staticmethod
    def negate(result: int) -> int:
        return -result


class Doubler:
    """A callable instance with picklable state."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, result: int) -> int:
        return result * 2


class Locked:
    """Holds a lock but drops it from its pickled state and makes a new one on the way in."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0

    def __getstate__(self) -> dict[str, object]:
        return {"total": self.total}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, lock=threading.Lock())

    def add(self, result: int) -> int:
        with self.lock:
            self.total += result
            return self.total


def logged(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(func)
    def wrapper(result: Any) -> Any:
        return func(result)

    return wrapper


@logged
def traced(result: int) -> int:
    return result + 1


class Evasive:
    """Raises from every attribute it does not have, and from its ``__dict__``."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {name} here")

    @property
    def __dict__(self) -> Any:  # type: ignore[override]
        raise RuntimeError("no state here")

    def __call__(self, result: int) -> int:
        return result

    def save(self, result: int) -> int:
        return result


def flushes_stderr(result: int) -> int:
    if STDERR is not None:
        STDERR.flush()
    return result


def beside(value: object, result: int) -> int:
    """Takes a value to carry (through a partial) and ignores it."""
    return result


# Classes the catalog's type table names (a handler, a thread), pickled another way.


class ReducingHandler(logging.Handler):
    """A handler that reduces itself to a new handler, leaving its lock behind."""

    def __reduce__(self) -> Any:
        return (ReducingHandler, ())


class ReducingMixin:
    def __reduce__(self) -> Any:
        return (type(self), ())


class MixinHandler(logging.Handler, ReducingMixin):
    """Reduced by a mixin that comes after ``logging.Handler`` in the MRO."""


class RegisteredThread(threading.Thread):
    """A thread that pickles as a new, unstarted one, through ``copyreg``."""


copyreg.pickle(RegisteredThread, lambda thread: (RegisteredThread, ()))

REDUCING_HANDLER = ReducingHandler()


def handled(result: int) -> int:
    return result + REDUCING_HANDLER.level


ACCEPTED: dict[str, tuple[Callable[..., Any], object]] = {
    "module-function": (double, 4),
    "picklable-global": (prefixed, 4),
    "picklable-defaults": (scaled, 4),
    "positional-only-defaults": (positional_only, 4),
    "logger-global": (logs, 4),
    "attribute-not-global": (reads_attribute, types.SimpleNamespace(DB=7)),
    "comprehension-global": (comprehension, [1, 2]),
    "async-function": (async_double, 4),
    "bound-method": (Scaler(5).scale, 4),
    "classmethod": (Scaler.unit, 4),
    "staticmethod": (Scaler.negate, 4),
    "callable-instance": (Doubler(), 4),
    "custom-getstate": (Locked().add, 4),
    "partial": (functools.partial(add, 10), 4),
    "nested-partial": (functools.partial(functools.partial(add3, 1), 2), 4),
    "wraps-decorator": (traced, 4),
    "builtin": (abs, -4),
    "builtin-method": ([1, 2].count, 2),
    "class": (str, 4),
    "evasive-instance": (Evasive(), 4),
    "evasive-bound-method": (Evasive().save, 4),
    "evasive-in-a-partial": (functools.partial(Evasive()), 4),
    "standard-stream-global": (flushes_stderr, 4),
    "handler-reducing-itself-global": (handled, 4),
    "handler-reducing-itself-in-a-partial": (functools.partial(beside, ReducingHandler()), 4),
    "handler-reduced-by-a-mixin": (functools.partial(beside, MixinHandler()), 4),
    "thread-registered-with-copyreg": (functools.partial(beside, RegisteredThread()), 4),
}

# -- refused: FMP101 --------------------------------------------------------------

show = lambda result: print(result)  # noqa: E731 - the sample is a lambda bound to a name
two_args = lambda prefix, result: f"{prefix}{result}"  # noqa: E731
lambda_with_lock = lambda result, lock=LOCK: result  # noqa: E731


class LambdaMethod:
    save = lambda self, result: result  # noqa: E731


# -- refused: FMP102 --------------------------------------------------------------


def make_nested() -> Callable[[int], int]:
    def save(result: int) -> int:
        return result

    return save


def make_nested_with_lock() -> Callable[[int], int]:
    lock = threading.Lock()

    def save(result: int) -> int:
        with lock:
            return result

    return save


def make_nested_async() -> Callable[[int], Any]:
    async def save(result: int) -> int:
        return result

    return save


def make_local_method() -> Callable[[int], int]:
    class Saver:
        def save(self, result: int) -> int:
            return result

    return Saver().save


def make_local_callable() -> Callable[[int], int]:
    class Saver:
        def __call__(self, result: int) -> int:
            return result

    return Saver()


class Outer:
    def method(self) -> Callable[[int], int]:
        def save(result: int) -> int:
            return result

        return save


def plain_decorator(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def wrapper(result: Any) -> Any:
        return func(result)

    return wrapper


@plain_decorator
def undecorated(result: int) -> int:
    return result


# -- refused: FMP103 --------------------------------------------------------------


def uses_db(result: int) -> None:
    DB.execute("SELECT ?", (result,))


def uses_pool(result: int) -> None:
    POOL[0].execute("SELECT ?", (result,))


def uses_db_in_comprehension(results: list[int]) -> list[object]:
    return [DB.execute("SELECT ?", (r,)) for r in results]


def uses_db_in_nested(result: int) -> None:
    def run() -> None:
        DB.execute("SELECT ?", (result,))

    run()


async def async_uses_lock(result: int) -> int:
    with LOCK:
        return result


def serialized(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    lock = threading.Lock()

    @functools.wraps(func)
    def wrapper(result: Any) -> Any:
        with lock:
            return func(result)

    return wrapper


@serialized
def save_serialized(result: int) -> int:
    return result


@logged
def logged_uses_db(result: int) -> None:
    DB.execute("SELECT ?", (result,))


def write_to(result: int, out: Any = SINK) -> None:
    print(result, file=out)


def locked_positional_only(result: int, /, lock: Any = LOCK, *, tries: int = 1) -> int:
    with lock:
        return result


def locked_kw(result: int, *, lock: Any = LOCK) -> int:
    with lock:
        return result


def apply(func: Callable[[int], object], result: int) -> object:
    return func(result)


def save_with(db: sqlite3.Connection, result: int) -> None:
    db.execute("SELECT ?", (result,))


class Processor:
    def __init__(self) -> None:
        self.name = "results"
        self.db = sqlite3.connect(":memory:")

    def process_result(self, result: int) -> None:
        self.db.execute("SELECT ?", (result,))


class SlottedProcessor:
    __slots__ = ("conn", "label")

    def __init__(self) -> None:
        self.label = "slots"
        self.conn = sqlite3.connect(":memory:")

    def process_result(self, result: int) -> None:
        self.conn.execute("SELECT ?", (result,))


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, result: int) -> int:
        with self.lock:
            self.count += 1
            return self.count


class CallUsesGlobal:
    def __call__(self, result: int) -> None:
        DB.execute("SELECT ?", (result,))


class Opaque:
    """Refuses to be pickled as a whole, though none of its attributes is to blame."""

    def __init__(self) -> None:
        self.label = "opaque"

    def __reduce__(self) -> Any:
        raise TypeError("Opaque objects cannot be pickled")

    def save(self, result: int) -> int:
        return result


class PlainHandler(logging.Handler):
    """A handler subclass that pickles like any handler: it cannot."""


class LeakyHandler(logging.Handler):
    """Reduces itself, but keeps its lock in the state: pickling it still fails."""

    def __reduce__(self) -> Any:
        return (LeakyHandler, (), {"lock": self.lock})


PLAIN_HANDLER = PlainHandler()


def plain_handled(result: int) -> int:
    return result + PLAIN_HANDLER.level


class Keeps:
    """Holds what it is given; callable, and with a method."""

    def __init__(self, items: object) -> None:
        self.items = items

    def __call__(self, result: int) -> int:
        return result

    def save(self, result: int) -> int:
        return result


# -- the child side of the round trips ------------------------------------------


def insert_row(result: int) -> int:
    """Writes to the global connection: in a child, that is not the parent's database."""
    DB.execute("INSERT INTO results VALUES (?)", (result,))
    row = DB.execute("SELECT COUNT(*) FROM results").fetchone()
    return int(row[0])


def call_in_child(processor: object, result: object, reply: Connection) -> None:
    """Target of the test children: unpickle (bytes under fork) and call the processor."""
    fn: Callable[[object], object] = (
        pickle.loads(processor) if isinstance(processor, bytes) else processor  # type: ignore[assignment]
    )
    value = fn(result)
    if asyncio.iscoroutine(value):
        value = asyncio.run(value)
    reply.send(value)
    reply.close()
