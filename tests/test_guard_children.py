"""The guard is right both ways, proven with real child processes under every start method.

- What it accepts really makes the trip: the processor is sent to a child the way the
  result process gets it (the standard pickle) and called there with a result.
- What it refuses as FMP101/FMP102 really cannot make the trip: the pickling fails in the
  parent, or the child cannot load it (a real ``__main__`` script for the main guard).
- What it refuses as FMP103 really holds a value that cannot be pickled, and a child that
  uses the global anyway writes into its own copy: the parent never sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import multiprocessing
import pickle
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import cloudpickle
import guard_samples as gs
import pytest

from flowmanager import check_result_processor

START_METHODS = ("fork", "forkserver", "spawn")


def _send(method: str, fn: object, result: object) -> tuple[int | None, list[object]]:
    """Start a child that receives ``fn`` and calls it; its exit code and what it sent back.

    Under spawn and forkserver ``Process`` pickles its arguments itself; a forked child
    would inherit ``fn`` without pickling, so it gets the standard pickle's bytes instead.
    """
    ctx: Any = multiprocessing.get_context(method)  # the stubs' BaseContext lacks Process
    receive, reply = ctx.Pipe(duplex=False)
    payload = bytes(ForkingPickler.dumps(fn)) if method == "fork" else fn
    child = ctx.Process(target=gs.call_in_child, args=(payload, result, reply))
    child.start()
    reply.close()
    got: list[object] = []
    if receive.poll(30):
        with contextlib.suppress(EOFError):  # the child died before it could answer
            got.append(receive.recv())
    child.join(30)
    return child.exitcode, got


def _call_here(fn: Callable[[Any], Any], result: object) -> object:
    value = fn(result)
    return asyncio.run(value) if inspect.iscoroutine(value) else value


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("name", gs.ACCEPTED)
def test_what_the_guard_accepts_works_in_a_child(name: str, method: str) -> None:
    fn, result = gs.ACCEPTED[name]
    assert check_result_processor(fn) == []
    exitcode, got = _send(method, fn, result)  # pickled before the parent's call below
    assert (exitcode, got) == (0, [_call_here(fn, result)])


REFUSED_BY_NAME: dict[str, tuple[object, str]] = {
    "lambda": (gs.show, "FMP101"),
    "lambda-method": (gs.LambdaMethod().save, "FMP101"),
    "partial-of-lambda": (functools.partial(gs.two_args, "got "), "FMP101"),
    "nested": (gs.make_nested(), "FMP102"),
    "nested-async": (gs.make_nested_async(), "FMP102"),
    "local-class-method": (gs.make_local_method(), "FMP102"),
    "local-callable-instance": (gs.make_local_callable(), "FMP102"),
    "decorator-without-wraps": (gs.undecorated, "FMP102"),
    "inside-a-method": (gs.Outer().method(), "FMP102"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("sample", REFUSED_BY_NAME.values(), ids=REFUSED_BY_NAME.keys())
def test_what_the_guard_refuses_by_name_cannot_reach_a_child(
    sample: tuple[object, str], method: str
) -> None:
    fn, code = sample
    assert [v.code for v in check_result_processor(fn)] == [code]
    try:
        exitcode, got = _send(method, fn, 1)
    except (pickle.PicklingError, AttributeError) as error:  # refused in the parent
        assert "local object" in str(error) or "<lambda>" in str(error), error
        return
    # Pickled by name in the parent, but the name does not resolve in the child.
    assert exitcode != 0 and got == []


MAIN_SCRIPT = '''\
import multiprocessing
import pickle
import sys

from flowmanager import check_result_processor


def report(conn, fn):
    conn.send(fn(21))


if __name__ == "__main__":
    def save(result):
        return result * 2

    print(*[v.code for v in check_result_processor(save)])
    ctx = multiprocessing.get_context(sys.argv[1])
    receive, reply = ctx.Pipe(duplex=False)
    child = ctx.Process(target=report, args=(reply, save))
    child.start()
    reply.close()
    try:
        got = receive.recv()
    except EOFError:
        got = None
    child.join(30)
    print(child.exitcode, got)
'''


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", START_METHODS)
def test_a_main_block_function_is_missing_in_a_spawned_child(method: str, tmp_path: Path) -> None:
    script = tmp_path / "main_block.py"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    if method == "fork":
        # A forked child has the parent's memory, main block included; the guard refuses
        # anyway, as the same program breaks as soon as the start method changes.
        assert proc.stdout == "FMP102\n0 42\n"
        return
    assert proc.stdout == "FMP102\n1 None\n"
    assert "AttributeError: Can't get attribute 'save' on <module '__mp_main__'" in proc.stderr


def _closure_value(fn: Callable[..., Any], name: str) -> object:
    return inspect.getclosurevars(fn).nonlocals[name]


# processor -> the culprit value the guard names
CAPTURED: dict[str, tuple[object, Callable[[], object]]] = {
    "global": (gs.uses_db, lambda: gs.DB),
    "global-list": (gs.uses_pool, lambda: gs.POOL),
    "global-of-async": (gs.async_uses_lock, lambda: gs.LOCK),
    "closure": (gs.save_serialized, lambda: _closure_value(gs.save_serialized, "lock")),
    "default": (gs.write_to, lambda: gs.write_to.__defaults__[0]),  # type: ignore[index]
    "kwdefault": (gs.locked_kw, lambda: gs.locked_kw.__kwdefaults__["lock"]),  # type: ignore[index]
    "self-attribute": ((p := gs.Processor()).process_result, lambda: p.db),
    "self-slot": ((s := gs.SlottedProcessor()).process_result, lambda: s.conn),
    "self-whole": ((o := gs.Opaque()).save, lambda: o),
    "callable-instance": ((c := gs.Counter()), lambda: c.lock),
    "partial-arg": (functools.partial(gs.save_with, gs.DB), lambda: gs.DB),
    "partial-arg-past-the-byte-budget": (functools.partial(gs.beside, gs.BIG_WITH_LOCK),
                                         lambda: gs.BIG_WITH_LOCK),
    "handler-subclass-global": (gs.plain_handled, lambda: gs.PLAIN_HANDLER),
    "handler-reducing-to-its-lock": (functools.partial(gs.beside, h := gs.LeakyHandler()),
                                     lambda: h),
}


@pytest.mark.parametrize("sample", CAPTURED.values(), ids=CAPTURED.keys())
def test_what_the_guard_refuses_as_fmp103_holds_an_unpicklable_value(
    sample: tuple[object, Callable[[], object]],
) -> None:
    fn, culprit = sample
    assert [v.code for v in check_result_processor(fn)] == ["FMP103"]
    with pytest.raises((TypeError, pickle.PicklingError)):
        cloudpickle.dumps(culprit())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", START_METHODS)
def test_a_child_using_a_global_connection_writes_to_its_own_copy(method: str) -> None:
    (violation,) = check_result_processor(gs.insert_row)
    assert violation.culprit == "insert_row.__globals__['DB']"
    gs.insert_row(1)
    before = gs.insert_row(2)
    exitcode, got = _send(method, gs.insert_row, 3)
    after = gs.DB.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    # fork: a copy of this process's connection; spawn and forkserver: a new one, made by
    # importing the module again. Either way the row never reaches this process's database.
    assert (exitcode, got, after) == (0, [before + 1 if method == "fork" else 1], before)
