"""FMP104: the parts of a result processor pickle, yet pickle cannot find the processor itself
by its module and name. Proven both ways with the standard pickle the engine uses."""

from __future__ import annotations

import functools
import pickle
import sys
import types

import pytest

from flowmanager import UnpicklableResultProcessorError, check_result_processor
from flowmanager._guard import describe_processor, ensure_result_processor


def save(result: object) -> object:
    return result


def _rebound() -> types.FunctionType:
    """A module-level function whose module name now means another object."""

    def save(result: object) -> object:  # same qualname as a module-level function
        return result

    save.__qualname__ = "save"
    save.__module__ = __name__
    return save  # type: ignore[return-value]


def _orphan() -> types.FunctionType:
    """A function whose module is not imported under its name."""
    module = types.ModuleType("never_imported_here")
    exec("def save(result):\n    return result\n", module.__dict__)
    fn: types.FunctionType = module.save
    return fn


def _missing() -> types.FunctionType:
    fn = _rebound()
    fn.__qualname__ = "no_such_function"
    return fn


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (_rebound, f"{__name__}.save is another object now"),
        (_orphan, "its module 'never_imported_here' is not imported under that name"),
        (_missing, f"{__name__}.no_such_function does not exist"),
    ],
)
def test_refused_as_fmp104_and_really_unpicklable(make: object, where: str) -> None:
    fn = make()  # type: ignore[operator]
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(fn)
    [violation] = check_result_processor(fn)
    name = fn.__name__
    assert violation.lint_text == (
        f"FMP104 result processor '{name}' cannot be found by its name: {where}; pickle sends "
        "a function as its module and name, so the result process would not get it; fix: pass "
        "a function defined once, at module level, under its own name, or pass "
        "serial_processing=True"
    )
    assert describe_processor(fn).unimportable == where
    assert check_result_processor(fn, serial_processing=True) == []


def test_error_text_and_cause() -> None:
    fn = _rebound()
    with pytest.raises(UnpicklableResultProcessorError) as info:
        ensure_result_processor(fn)
    assert str(info.value) == (
        "FMP104 unimportable-result-processor: result processor 'save' cannot be found by its "
        f"name: {__name__}.save is another object now; pickle sends a function as its module "
        "and name, so the result process would not get it\n"
        "  expected: a result processor that its module and name lead back to\n"
        f"  got:      on_complete = {__name__}.save (builtins.function)\n"
        "  fix:      pass a function defined once, at module level, under its own name, or pass "
        "serial_processing=True\n"
        "  see:      docs/rules/FMP104.md"
    )
    assert isinstance(info.value.__cause__, pickle.PicklingError)


def test_a_partial_of_a_rebound_function_is_fmp104_too() -> None:
    [violation] = check_result_processor(functools.partial(_rebound(), ))
    assert violation.code == "FMP104"


def test_the_module_level_function_itself_is_accepted() -> None:
    assert check_result_processor(save) == []
    assert describe_processor(save).unimportable is None
    assert pickle.loads(pickle.dumps(save)) is save
    assert sys.modules[__name__].save is save
