"""The runtime guard: what it refuses, in whose words, and what it costs.

The round trips through real child processes are in ``test_guard_children.py``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import io
import json
import logging
import pickle
import queue
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import cloudpickle
import guard_samples as gs
import pytest

from flowmanager import (
    FlowManagerError,
    UnpicklableResultProcessorError,
    Violation,
    check_result_processor,
)
from flowmanager._guard import describe_processor, ensure_result_processor
from flowmanager._guard_main import _main_only_names
from flowmanager.rules import Captured, ProcessorInfo

FIX_103 = "or pass serial_processing=True to process results in this process"


def _error(fn: object, role: str = "on_complete") -> UnpicklableResultProcessorError:
    with pytest.raises(UnpicklableResultProcessorError) as info:
        ensure_result_processor(fn, role=role)
    return info.value


# -- whole texts -------------------------------------------------------------------


def test_fmp103_global_error_text() -> None:
    error = _error(gs.uses_db)
    assert str(error) == textwrap.dedent("""\
        FMP103 unpicklable-captured-state: result processor 'uses_db' captures \
uses_db.__globals__['DB'] (sqlite3.Connection), which cannot be pickled, so the result \
process would not get it
          expected: a result processor whose captured state can be pickled
          got:      on_complete.__globals__['DB'] (sqlite3.Connection)
          fix:      create 'DB' inside the result processor instead, or pass \
serial_processing=True to process results in this process
          see:      docs/rules/FMP103.md""")
    assert isinstance(error, TypeError) and isinstance(error, FlowManagerError)
    assert [v.code for v in error.violations] == ["FMP103"]
    assert error.__cause__ is None  # the catalog's type table decided; nothing was pickled


def test_fmp101_error_text() -> None:
    error = _error(gs.show, role="on_error")
    assert str(error) == textwrap.dedent("""\
        FMP101 lambda-result-processor: result processor '<lambda>' is a lambda; a lambda \
has no importable name, so it cannot be pickled for parallel result processing
          expected: a result processor defined with def at module level
          got:      on_error = guard_samples.<lambda> (builtins.function)
          fix:      define the result processor with def at module level, or pass \
serial_processing=True
          see:      docs/rules/FMP101.md""")


def test_fmp102_error_text() -> None:
    error = _error(gs.make_nested())
    assert str(error) == textwrap.dedent("""\
        FMP102 nested-result-processor: result processor 'save' is defined inside \
'make_nested()'; a nested function cannot be pickled for parallel result processing
          expected: a result processor defined at module level, where a child process can \
import it
          got:      on_complete = guard_samples.make_nested.<locals>.save (builtins.function)
          fix:      move 'save' to module level, or pass serial_processing=True
          see:      docs/rules/FMP102.md""")


def test_the_pickling_error_is_chained() -> None:
    error = _error(gs.uses_pool)
    assert error.violations[0].message == (
        "result processor 'uses_pool' captures uses_pool.__globals__['POOL'] (builtins.list), "
        "which cannot be pickled, so the result process would not get it"
    )
    assert isinstance(error.__cause__, TypeError)
    assert str(error.__cause__) == "cannot pickle 'sqlite3.Connection' object"


def test_check_returns_the_same_violation_the_error_holds() -> None:
    (violation,) = check_result_processor(gs.uses_db)
    assert isinstance(violation, Violation)
    assert violation == _error(gs.uses_db).violations[0]
    assert violation.hint == f"create 'DB' inside the result processor instead, {FIX_103}"


# -- every capture path form --------------------------------------------------------

# sample -> (violation message's culprit and type, the got line, what the fix says to create)
PATHS: dict[str, tuple[Callable[..., Any], str, str, str]] = {
    "global": (gs.uses_db, "uses_db.__globals__['DB'] (sqlite3.Connection)",
               "on_complete.__globals__['DB'] (sqlite3.Connection)", "'DB'"),
    "global-in-comprehension": (
        gs.uses_db_in_comprehension,
        "uses_db_in_comprehension.__globals__['DB'] (sqlite3.Connection)",
        "on_complete.__globals__['DB'] (sqlite3.Connection)", "'DB'"),
    "global-in-nested-function": (
        gs.uses_db_in_nested, "uses_db_in_nested.__globals__['DB'] (sqlite3.Connection)",
        "on_complete.__globals__['DB'] (sqlite3.Connection)", "'DB'"),
    "global-of-async": (gs.async_uses_lock, "async_uses_lock.__globals__['LOCK'] (_thread.lock)",
                        "on_complete.__globals__['LOCK'] (_thread.lock)", "'LOCK'"),
    "closure-of-wraps-decorator": (
        gs.save_serialized, "save_serialized.__closure__['lock'] (_thread.lock)",
        "on_complete.__closure__['lock'] (_thread.lock)", "'lock'"),
    "global-of-wrapped": (
        gs.logged_uses_db, "logged_uses_db.__wrapped__.__globals__['DB'] (sqlite3.Connection)",
        "on_complete.__wrapped__.__globals__['DB'] (sqlite3.Connection)", "'DB'"),
    "default": (gs.write_to, "write_to.__defaults__['out'] (_io.TextIOWrapper)",
                "on_complete.__defaults__['out'] (_io.TextIOWrapper)", "'out'"),
    "default-after-positional-only": (
        gs.locked_positional_only, "locked_positional_only.__defaults__['lock'] (_thread.lock)",
        "on_complete.__defaults__['lock'] (_thread.lock)", "'lock'"),
    "kwdefault": (gs.locked_kw, "locked_kw.__kwdefaults__['lock'] (_thread.lock)",
                  "on_complete.__kwdefaults__['lock'] (_thread.lock)", "'lock'"),
    "self-attribute": (gs.Processor().process_result,
                       "process_result.__self__.db (sqlite3.Connection)",
                       "on_complete.__self__.db (sqlite3.Connection)", "'db'"),
    "self-slot": (gs.SlottedProcessor().process_result,
                  "process_result.__self__.conn (sqlite3.Connection)",
                  "on_complete.__self__.conn (sqlite3.Connection)", "'conn'"),
    "self-whole": (gs.Opaque().save, "save.__self__ (guard_samples.Opaque)",
                   "on_complete.__self__ (guard_samples.Opaque)", "the Opaque object"),
    "builtin-method-self": (gs.SINK.write, "write.__self__ (_io.TextIOWrapper)",
                            "on_complete.__self__ (_io.TextIOWrapper)", "the TextIOWrapper object"),
    "callable-instance-attribute": (gs.Counter(), "Counter.__call__.__self__.lock (_thread.lock)",
                                    "on_complete.lock (_thread.lock)", "'lock'"),
    "callable-instance-global": (
        gs.CallUsesGlobal(), "CallUsesGlobal.__call__.__globals__['DB'] (sqlite3.Connection)",
        "on_complete.__call__.__globals__['DB'] (sqlite3.Connection)", "'DB'"),
    "partial-arg": (functools.partial(gs.save_with, gs.DB),
                    "partial(save_with).args[0] (sqlite3.Connection)",
                    "on_complete.args[0] (sqlite3.Connection)", "'db'"),
    "partial-keyword": (functools.partial(gs.save_with, db=gs.DB),
                        "partial(save_with).keywords['db'] (sqlite3.Connection)",
                        "on_complete.keywords['db'] (sqlite3.Connection)", "'db'"),
    "partial-arg-of-bound-method": (
        functools.partial(gs.Processor().process_result),
        "process_result.__self__.db (sqlite3.Connection)",
        "on_complete.func.__self__.db (sqlite3.Connection)", "'db'"),
    "partial-of-partial-keeps-positions": (
        functools.partial(functools.partial(gs.add3, 1), gs.POOL),
        "partial(add3).args[1] (builtins.list)", "on_complete.args[1] (builtins.list)", "'b'"),
    "partial-arg-only-standard-pickle-refuses": (
        functools.partial(gs.apply, gs.show), "partial(apply).args[0] (builtins.function)",
        "on_complete.args[0] (builtins.function)", "'func'"),
}


@pytest.mark.parametrize("sample", PATHS.values(), ids=PATHS.keys())
def test_capture_paths(sample: tuple[Callable[..., Any], str, str, str]) -> None:
    fn, culprit, got, subject = sample
    error = _error(fn)
    (violation,) = error.violations
    name = culprit.split(".", 1)[0].removeprefix("partial(").removesuffix(")")
    assert violation.message == (
        f"result processor '{name}' captures {culprit}, which cannot be pickled, "
        "so the result process would not get it"
    )
    assert violation.hint == f"create {subject} inside the result processor instead, {FIX_103}"
    assert f"\n  got:      {got}\n" in str(error)


def test_standard_pickle_judges_what_travels_with_the_processor() -> None:
    # cloudpickle would send the lambda by value, but the result processor travels with the
    # standard pickle, so a lambda bound into a partial cannot reach the result process.
    fn = functools.partial(gs.apply, gs.show)
    cloudpickle.dumps(fn)
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(fn)
    assert isinstance(_error(fn).__cause__, pickle.PicklingError)


# -- what comes first ---------------------------------------------------------------

PRECEDENCE: dict[str, tuple[object, str]] = {
    "lambda-with-a-lock-default": (gs.lambda_with_lock, "FMP101"),
    "lambda-method": (gs.LambdaMethod().save, "FMP101"),
    "partial-of-lambda-with-a-connection": (functools.partial(gs.two_args, gs.DB), "FMP101"),
    "nested-with-a-lock": (gs.make_nested_with_lock(), "FMP102"),
    "partial-of-nested": (functools.partial(gs.make_nested(), 1), "FMP102"),
    "nested-async": (gs.make_nested_async(), "FMP102"),
    "local-class-method": (gs.make_local_method(), "FMP102"),
    "local-callable-instance": (gs.make_local_callable(), "FMP102"),
    "decorator-without-wraps": (gs.undecorated, "FMP102"),
    "inside-a-method": (gs.Outer().method(), "FMP102"),
}


@pytest.mark.parametrize("sample", PRECEDENCE.values(), ids=PRECEDENCE.keys())
def test_one_violation_the_first_that_applies(sample: tuple[object, str]) -> None:
    fn, code = sample
    assert [v.code for v in check_result_processor(fn)] == [code]


@pytest.mark.parametrize(
    ("fn", "where", "got"),
    [
        (gs.make_local_method(), "'make_local_method()'",
         "on_complete = guard_samples.make_local_method.<locals>.Saver.save (builtins.method)"),
        (gs.make_local_callable(), "'make_local_callable()'",
         "on_complete = an instance of guard_samples.make_local_callable.<locals>.Saver"),
        (gs.Outer().method(), "'Outer.method()'",
         "on_complete = guard_samples.Outer.method.<locals>.save (builtins.function)"),
        (functools.partial(gs.make_nested(), 1), "'make_nested()'",
         "on_complete.func = guard_samples.make_nested.<locals>.save (builtins.function)"),
        (gs.undecorated, "'plain_decorator()'",
         "on_complete = guard_samples.plain_decorator.<locals>.wrapper (builtins.function)"),
    ],
    ids=["local-class-method", "local-callable-instance", "inside-a-method", "partial",
         "decorator-without-wraps"],
)
def test_where_a_nested_processor_is(fn: object, where: str, got: str) -> None:
    error = _error(fn)
    assert f"is defined inside {where}; a nested function" in error.violations[0].message
    assert f"\n  got:      {got}\n" in str(error)


# -- accepted, serial, None, not callable -------------------------------------------


@pytest.mark.parametrize("name", gs.ACCEPTED)
def test_accepts_what_can_travel(name: str) -> None:
    fn, _result = gs.ACCEPTED[name]
    assert check_result_processor(fn) == []
    ensure_result_processor(fn, role="on_error")


REFUSED = [fn for fn, *_ in PATHS.values()] + [fn for fn, _ in PRECEDENCE.values()]


@pytest.mark.parametrize("fn", REFUSED)
def test_serial_mode_accepts_anything(fn: object) -> None:
    assert check_result_processor(fn, serial_processing=True) == []
    ensure_result_processor(fn, serial_processing=True)


def test_none_means_no_processor() -> None:
    assert check_result_processor(None) == []
    ensure_result_processor(None, role="on_error")


@pytest.mark.parametrize("serial", [False, True])
def test_not_callable_is_a_plain_type_error(serial: bool) -> None:
    with pytest.raises(TypeError) as info:
        ensure_result_processor("save", serial, role="on_error")
    assert type(info.value) is TypeError
    assert str(info.value) == (
        "on_error: expected a callable that takes one result (a function defined at module "
        "level), or None; got 'save' (builtins.str)"
    )
    with pytest.raises(TypeError, match=r"^result processor: expected a callable .* got 42 "):
        check_result_processor(42, serial)


# -- the record both front ends build ----------------------------------------------


def test_describe_processor_builds_the_shared_record() -> None:
    processor = gs.Processor()
    assert describe_processor(processor.process_result) == ProcessorInfo(
        name="process_result",
        unpicklable=Captured("process_result.__self__.db", "sqlite3.Connection", "db"),
        captured=(
            Captured("process_result.__self__.name", "builtins.str", "name"),
            Captured("process_result.__self__.db", "sqlite3.Connection", "db"),
            Captured("process_result.__self__", "guard_samples.Processor", "Processor", whole=True),
        ),
    )
    assert describe_processor(gs.show) == ProcessorInfo(name="<lambda>", is_lambda=True)
    assert describe_processor(gs.make_nested()).enclosing == "'make_nested()'"
    assert describe_processor(gs.prefixed) == ProcessorInfo(
        name="prefixed",
        captured=(Captured("prefixed.__globals__['SETTINGS']", "builtins.dict", "SETTINGS"),),
    )


# -- cost: the byte budget ------------------------------------------------------------


def test_a_huge_picklable_global_is_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("huge_globals")
    monkeypatch.setitem(sys.modules, "huge_globals", module)  # importable, as a real module is
    exec(  # a module of its own, so the 200 MB value leaves with the test
        "BLOB = bytes(200 * 1024 * 1024)\nROWS = list(range(2_000_000))\n"
        "def process(result):\n    return len(BLOB) + len(ROWS) + result\n"
        "def process_with(blob, result):\n    return len(blob) + result\n",
        module.__dict__,
    )
    # by value with cloudpickle (globals), and with the standard pickle (a partial's argument)
    for fn in (module.process, functools.partial(module.process_with, module.BLOB)):
        tracemalloc.start()
        try:
            start = time.perf_counter()
            violations = check_result_processor(fn)
            elapsed = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert violations == []
        assert elapsed < 0.5, elapsed
        assert peak < 8 * 1024 * 1024, peak  # pickles of BLOB and ROWS: 200 MB and 10 MB


def _module(monkeypatch: pytest.MonkeyPatch, source: str, **values: object) -> types.ModuleType:
    """A real, importable module of its own, holding ``values`` and running ``source``."""
    module = types.ModuleType("guard_scratch")
    monkeypatch.setitem(sys.modules, "guard_scratch", module)
    module.__dict__.update(values)
    exec(textwrap.dedent(source), module.__dict__)
    return module


def test_what_travels_is_pickled_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    # A lock behind 2 MiB of bytes. The engine pickles a partial's arguments and a bound or
    # callable instance in full, so the guard does too: the budget would let the lock through.
    hidden = [bytes(2 << 20), gs.LOCK]
    travelling = {
        "partial(beside).args[0] (builtins.list)": functools.partial(gs.beside, hidden),
        "save.__self__.items (builtins.list)": gs.Keeps(hidden).save,
        "Keeps.__call__.__self__.items (builtins.list)": gs.Keeps(hidden),
    }
    for culprit, fn in travelling.items():
        error = _error(fn)
        name = culprit.split(".", 1)[0].removeprefix("partial(").removesuffix(")")
        assert error.violations[0].message == (
            f"result processor '{name}' captures {culprit}, which cannot be pickled, so the "
            "result process would not get it"
        )
        assert str(error.__cause__) == "cannot pickle '_thread.lock' object"
        with pytest.raises(TypeError):
            pickle.dumps(fn)
    # What the processor only reads by name keeps the budget: the engine sends the function
    # by name and never pickles the global, so it cannot fail there (documented in guard.md).
    module = _module(monkeypatch, """
        def process(result):
            return len(HIDDEN) + result
    """, HIDDEN=hidden)
    assert check_result_processor(module.process) == []
    assert pickle.loads(pickle.dumps(module.process)) is module.process


# -- the type table gives way to a class that reduces itself ----------------------------

GIVES_WAY: dict[str, object] = {
    "own-reduce": gs.ReducingHandler(),
    "reducing-mixin-after-the-table-class": gs.MixinHandler(),
    "copyreg-registered": gs.RegisteredThread(),
}


@pytest.mark.parametrize("value", GIVES_WAY.values(), ids=GIVES_WAY.keys())
def test_a_table_class_that_reduces_itself_is_pickled_to_see(value: object) -> None:
    pickle.loads(pickle.dumps(value))
    cloudpickle.loads(cloudpickle.dumps(value))
    assert check_result_processor(functools.partial(gs.beside, value)) == []


def test_the_type_table_still_refuses_what_does_not_reduce_itself() -> None:
    error = _error(gs.plain_handled)
    assert error.violations[0].message == (
        "result processor 'plain_handled' captures plain_handled.__globals__['PLAIN_HANDLER'] "
        "(guard_samples.PlainHandler), which cannot be pickled, so the result process would "
        "not get it"
    )
    assert error.__cause__ is None  # the table decided
    # a class of the table itself is refused though cloudpickle has a reducer for it
    assert type(gs.SINK) in cloudpickle.Pickler.dispatch_table
    assert [v.culprit for v in check_result_processor(gs.write_to)] == [
        "write_to.__defaults__['out']"
    ]


def test_a_reduction_of_its_own_that_fails_is_refused() -> None:
    error = _error(functools.partial(gs.beside, gs.LeakyHandler()))
    assert error.violations[0].message == (
        "result processor 'beside' captures partial(beside).args[0] (guard_samples.LeakyHandler), "
        "which cannot be pickled, so the result process would not get it"
    )
    assert str(error.__cause__) == "cannot pickle '_thread.RLock' object"  # really pickled


# -- real objects of the kinds the catalog's table names --------------------------------


def _numbers() -> Iterator[int]:
    yield 1


def _listening(stack: ExitStack) -> socket.socket:
    server = stack.enter_context(socket.create_server(("127.0.0.1", 0)))
    return stack.enter_context(socket.create_connection(server.getsockname()[:2], timeout=5))


def _popen(stack: ExitStack) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    stack.callback(proc.wait, 30)
    return proc


def _spooled(stack: ExitStack, mode: str) -> tempfile.SpooledTemporaryFile[Any]:
    spooled: tempfile.SpooledTemporaryFile[Any] = stack.enter_context(
        tempfile.SpooledTemporaryFile(max_size=1, mode=mode)  # noqa: SIM115
    )
    spooled.write(b"xx" if "b" in mode else "xx")  # rolled over to a real file
    return spooled


def _thread(stack: ExitStack, thread: threading.Thread) -> threading.Thread:
    return thread  # never started


def _closing(stack: ExitStack, value: Any) -> Any:
    stack.callback(value.close)
    return value


def _shutting(stack: ExitStack, executor: concurrent.futures.Executor) -> Any:
    stack.callback(executor.shutdown)
    return executor


# kind -> (make it, registering its clean-up; its type as the message names it). The files
# are closed by the ExitStack (SIM115); `io.open` is named by the issue, not `open` (UP020).
REAL: dict[str, tuple[Callable[[ExitStack, Path], object], str]] = {
    "open-text": (lambda s, p: s.enter_context(open(p, "w")),  # noqa: SIM115
                  "_io.TextIOWrapper"),
    "open-binary-read": (lambda s, p: s.enter_context(open(p, "rb")),  # noqa: SIM115
                         "_io.BufferedReader"),
    "open-binary-write": (lambda s, p: s.enter_context(open(p, "wb")),  # noqa: SIM115
                          "_io.BufferedWriter"),
    "open-unbuffered": (lambda s, p: s.enter_context(open(p, "rb", buffering=0)),  # noqa: SIM115
                        "_io.FileIO"),
    "io.open": (lambda s, p: s.enter_context(io.open(p)),  # noqa: SIM115, UP020
                "_io.TextIOWrapper"),
    "socket.socket": (lambda s, p: s.enter_context(socket.socket()), "socket.socket"),
    "socket.create_connection": (lambda s, p: _listening(s), "socket.socket"),
    "sqlite3.connect": (lambda s, p: _closing(s, sqlite3.connect(":memory:")),
                        "sqlite3.Connection"),
    "threading.Lock": (lambda s, p: threading.Lock(), "_thread.lock"),
    "threading.RLock": (lambda s, p: threading.RLock(), "_thread.RLock"),
    "threading.Condition": (lambda s, p: threading.Condition(), "threading.Condition"),
    "threading.Semaphore": (lambda s, p: threading.Semaphore(), "threading.Semaphore"),
    "threading.BoundedSemaphore": (lambda s, p: threading.BoundedSemaphore(),
                                   "threading.BoundedSemaphore"),
    "threading.Event": (lambda s, p: threading.Event(), "threading.Event"),
    "threading.Thread": (lambda s, p: _thread(s, threading.Thread(target=print)),
                         "threading.Thread"),
    "threading.Timer": (lambda s, p: _thread(s, threading.Timer(60, print)), "threading.Timer"),
    "threading.Barrier": (lambda s, p: threading.Barrier(2), "threading.Barrier"),
    "queue.Queue": (lambda s, p: queue.Queue(), "queue.Queue"),
    "queue.LifoQueue": (lambda s, p: queue.LifoQueue(), "queue.LifoQueue"),
    "queue.SimpleQueue": (lambda s, p: queue.SimpleQueue(), "_queue.SimpleQueue"),
    "subprocess.Popen": (lambda s, p: _popen(s), "subprocess.Popen"),
    "tempfile.TemporaryFile": (lambda s, p: s.enter_context(tempfile.TemporaryFile()),  # noqa: SIM115
                               "_io.BufferedRandom"),
    "tempfile.NamedTemporaryFile": (
        lambda s, p: s.enter_context(tempfile.NamedTemporaryFile()),  # noqa: SIM115
        "tempfile._TemporaryFileWrapper"),
    "tempfile.SpooledTemporaryFile-binary": (lambda s, p: _spooled(s, "w+b"),
                                             "tempfile.SpooledTemporaryFile"),
    "tempfile.SpooledTemporaryFile-text": (lambda s, p: _spooled(s, "w+"),
                                           "tempfile.SpooledTemporaryFile"),
    "ThreadPoolExecutor": (lambda s, p: _shutting(s, concurrent.futures.ThreadPoolExecutor(1)),
                           "concurrent.futures.thread.ThreadPoolExecutor"),
    "ProcessPoolExecutor": (lambda s, p: _shutting(s, concurrent.futures.ProcessPoolExecutor(1)),
                            "concurrent.futures.process.ProcessPoolExecutor"),
    "logging.FileHandler": (lambda s, p: _closing(s, logging.FileHandler(p)),
                            "logging.FileHandler"),
    "logging.StreamHandler": (lambda s, p: _closing(s, logging.StreamHandler()),
                              "logging.StreamHandler"),
    "generator": (lambda s, p: _closing(s, _numbers()), "builtins.generator"),
    "generator-expression": (lambda s, p: _closing(s, (n for n in range(3))),
                             "builtins.generator"),
}

REAL_SOURCE = """
    import functools

    def process(result):
        return VALUE, result

    def holding(value):
        def decorate(func):
            @functools.wraps(func)
            def wrapper(result):
                return func(result), value
            return wrapper
        return decorate

    @holding(VALUE)
    def held(result):
        return result
"""


@pytest.mark.parametrize("kind", REAL.values(), ids=REAL.keys())
def test_real_objects_of_the_table_are_refused_and_really_do_not_pickle(
    kind: tuple[Callable[[ExitStack, Path], object], str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make, type_ = kind
    path = tmp_path / "data.txt"
    path.write_text("data\n", encoding="utf-8")
    with ExitStack() as stack:
        value = make(stack, path)
        module = _module(monkeypatch, REAL_SOURCE, VALUE=value)
        for fn, culprit, root in (
            (module.process, "process.__globals__['VALUE']", "VALUE"),
            (module.held, "held.__closure__['value']", "value"),
        ):
            (violation,) = check_result_processor(fn)
            assert (violation.code, violation.message, violation.hint) == (
                "FMP103",
                f"result processor '{fn.__name__}' captures {culprit} ({type_}), which cannot "
                "be pickled, so the result process would not get it",
                f"create '{root}' inside the result processor instead, {FIX_103}",
            )
        with pytest.raises((TypeError, pickle.PicklingError)):
            pickle.dumps(value)


# -- the standard streams exist in every process -----------------------------------------


def test_standard_streams_are_referred_to_not_pickled(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module(monkeypatch, """
        import sys
        from sys import stderr, stdout, stdin, __stderr__, __stdout__, __stdin__

        def report(result):
            print(result, file=stderr)
            return stdout, stdin, __stderr__, __stdout__, __stdin__

        def default(result, out=sys.stderr):
            print(result, file=out)
    """)
    assert check_result_processor(module.report) == []
    assert check_result_processor(module.default) == []
    # Carried inside the processor, a stream is pickled with it, and that fails.
    (violation,) = check_result_processor(functools.partial(gs.beside, sys.__stderr__))
    assert violation.culprit == "partial(beside).args[0]"
    assert sys.__stderr__ is not None
    assert [v.culprit for v in check_result_processor(sys.__stderr__.write)] == [
        "write.__self__"
    ]
    # Only the streams themselves: another text file is still refused.
    assert [v.code for v in check_result_processor(gs.write_to)] == ["FMP103"]


# -- the main guard, read from the script's source -------------------------------------

MAIN_SOURCE = '''\
import sys
from flowmanager import check_result_processor as check

def top(result):
    return result

try:
    if __name__ == "__main__":
        def in_try(result):
            return result
except ImportError:
    pass

if __name__ != "__main__":
    def in_child_only(result):
        return result
else:
    def in_else(result):
        return result

if "__main__" == __name__:
    def save(result):
        return result

    class Saver:
        def save(self, result):
            return result

    def top(result):  # also bound outside: a child finds it
        return result

    import json as codec
    [first] = [1]
    for index in range(1):
        pass
    with open(__file__) as handle:
        pass
else:
    def in_child(result):
        return result
'''


def test_which_names_only_the_main_block_binds(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(MAIN_SOURCE, encoding="utf-8")
    assert _main_only_names(str(script)) == {
        "in_try", "in_else", "save", "Saver", "codec", "first", "index", "handle",
    }
    (tmp_path / "broken.py").write_text("def (:\n", encoding="utf-8")
    assert _main_only_names(str(tmp_path / "broken.py")) == frozenset()


REPORT = '''
if __name__ == "__main__":
    import json
    print(json.dumps({
        "save": [v.code for v in check(save)],
        "method": [v.code for v in check(Saver().save)],
        "top": [v.code for v in check(top)],
        "message": check(save)[0].message,
    }))
'''


@pytest.mark.timeout(30)
def test_a_main_script_function_defined_only_under_the_guard(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(MAIN_SOURCE + REPORT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "save": ["FMP102"], "method": ["FMP102"], "top": [],
        "message": "result processor 'save' is defined inside the 'if __name__ == \"__main__\":' "
                   "block; a child process started with spawn or forkserver never runs that "
                   "block, so it cannot find 'save'",
    }


@pytest.mark.timeout(30)
def test_no_source_no_main_block_report() -> None:
    code = (
        "from flowmanager import check_result_processor as check\n"
        "if __name__ == '__main__':\n"
        "    def save(result):\n"
        "        return result\n"
        "    print(check(save))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=False)
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr


# -- the catalog stays light ------------------------------------------------------------


@pytest.mark.timeout(30)
def test_importing_the_rules_loads_nothing_heavy() -> None:
    code = (
        "import sys, flowmanager.rules, flowmanager\n"
        "heavy = ('libcst', 'psutil', 'cloudpickle', 'flowmanager._guard')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=False)
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr
