"""What a result processor carries: its anatomy and every captured value, in judging order.

The order is the catalog's: ``functools.partial`` arguments then keywords (outermost partial
first), the instance of a bound method or a callable instance (as a whole; when it fails,
its attributes name the culprit, else the instance does), then the function's defaults,
keyword-only defaults, closure cells, and the module globals its code (and nested code)
reads that are plain values. A
``functools.wraps`` wrapper is judged as itself (its closure holds the decorator's state),
then the function it wraps, through ``__wrapped__``.

Each value carries two paths: the catalog's (``save.__closure__['lock']``, the same words
the linter prints) and how to reach it from the argument (``on_complete.func.args[0]``),
for the runtime error's "got" line.
"""

from __future__ import annotations

import contextlib
import copyreg
import dis
import functools
import inspect
import types
from collections.abc import Iterator
from dataclasses import dataclass

from .rules import captured_path

__all__ = ["Anatomy", "Capture", "dissect"]

_GLOBAL_OPS = frozenset(dis.opmap[op] for op in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"))
_NAMES_CACHE: dict[types.CodeType, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Capture:
    """One captured value. ``travels``: it is pickled along with the processor itself
    (partial arguments, a bound instance) rather than only referred to.

    ``whole``: the value is an instance judged as a whole (``root`` is its class name).
    ``parts`` are its attributes, in order: they only serve to name the culprit when the
    whole fails, since an instance without a reduction of its own pickles exactly when
    all its attributes do, and pickling it once is cheaper than pickling each part too.
    """

    path: str
    reach: str
    root: str
    value: object
    travels: bool
    whole: bool = False
    parts: tuple[Capture, ...] = ()


@dataclass(frozen=True)
class Anatomy:
    """The judged callable (partials looked through) and where it is defined."""

    target: object
    name: str
    qualname: str | None
    module: str | None
    reach: str
    is_instance: bool


def dissect(fn: object, reach: str) -> tuple[Anatomy, Iterator[Capture]]:
    """The anatomy of ``fn`` and a lazy walk over what it captures."""
    partials: list[tuple[functools.partial[object], str]] = []
    target = fn
    while isinstance(target, functools.partial):
        partials.append((target, reach))
        target, reach = target.func, f"{reach}.func"
    anatomy = _anatomy(target, reach)
    return anatomy, _walk(anatomy, partials)


def _text(obj: object, attr: str) -> str | None:
    """A string attribute, or ``None``; never raises (a ``__getattr__`` may raise anything)."""
    try:
        value = getattr(obj, attr, None)
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _anatomy(target: object, reach: str) -> Anatomy:
    func = target.__func__ if isinstance(target, types.MethodType) else target
    named = isinstance(func, (types.FunctionType, type)) or (
        _text(func, "__name__") is not None and not _is_plain_instance(func)
    )
    if named:
        return Anatomy(target, _text(func, "__name__") or type(func).__name__,
                       _text(func, "__qualname__"), _text(func, "__module__"), reach, False)
    cls = type(target)
    return Anatomy(target, cls.__name__, cls.__qualname__, cls.__module__, reach, True)


def _call_method(obj: object) -> object:
    for cls in type(obj).__mro__:
        if "__call__" in cls.__dict__:
            return cls.__dict__["__call__"]
    return None


def _is_plain_instance(obj: object) -> bool:
    """A callable instance of a class written in Python, as opposed to a function-like object."""
    return isinstance(_call_method(obj), types.FunctionType)


def _walk(anatomy: Anatomy, partials: list[tuple[functools.partial[object], str]]
          ) -> Iterator[Capture]:
    yield from _partial_arguments(anatomy, partials)
    target, owner = anatomy.target, anatomy.name
    if anatomy.is_instance:
        owner = f"{anatomy.name}.__call__"
        yield from _instance(target, owner, anatomy.reach)
        func = _call_method(target)
        reach = f"{anatomy.reach}.__call__"
    else:
        instance = getattr(target, "__self__", None)
        if instance is not None and not isinstance(instance, (types.ModuleType, type)):
            yield from _instance(instance, owner, f"{anatomy.reach}.__self__")
        func = getattr(target, "__func__", target)
        reach = anatomy.reach
    if isinstance(func, types.FunctionType):
        yield from _function(func, owner, reach)


def _partial_arguments(anatomy: Anatomy, partials: list[tuple[functools.partial[object], str]]
                       ) -> Iterator[Capture]:
    params = _positional_names(anatomy.target) if partials else []
    offset = sum(len(p.args) for p, _ in partials)
    for part, reach in partials:
        offset -= len(part.args)  # an outer partial's arguments follow the inner one's
        for i, arg in enumerate(part.args):
            pos = offset + i
            root = params[pos] if pos < len(params) else f"args[{pos}]"
            yield Capture(captured_path("partial-arg", anatomy.name, pos), f"{reach}.args[{i}]",
                          root, arg, True)
        for key, arg in part.keywords.items():
            yield Capture(captured_path("partial-keyword", anatomy.name, key),
                          f"{reach}.keywords[{key!r}]", key, arg, True)


def _positional_names(target: object) -> list[str]:
    try:
        params = inspect.signature(target).parameters.values()  # type: ignore[arg-type]
    except Exception:  # no signature (a builtin), or a __getattr__ that raises
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in kinds]


def _pickles_by_default(obj: object) -> bool:
    """Whether pickling ``obj`` means pickling its attributes (no custom reduction)."""
    cls = type(obj)
    if cls in copyreg.dispatch_table:
        return False
    return (
        getattr(cls, "__reduce_ex__", None) is object.__reduce_ex__
        and getattr(cls, "__reduce__", None) is object.__reduce__
        and getattr(cls, "__getstate__", None) is getattr(object, "__getstate__", None)
    )


def _attributes(obj: object) -> list[tuple[str, object]]:
    """The instance's attributes, ``__dict__`` first, then ``__slots__``; ``[]`` when the
    object will not say (a ``__dict__`` property that raises): it is then judged whole."""
    found: list[tuple[str, object]] = []
    try:
        state = getattr(obj, "__dict__", None)
        if isinstance(state, dict):
            found.extend((k, v) for k, v in list(state.items()) if isinstance(k, str))
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                if slot in ("__dict__", "__weakref__"):
                    continue
                attr = slot
                if slot.startswith("__") and not slot.endswith("__"):
                    attr = f"_{cls.__name__.lstrip('_')}{slot}"  # private names are mangled
                with contextlib.suppress(AttributeError):  # an unset slot
                    found.append((attr, getattr(obj, attr)))
    except Exception:  # user code (properties, __getattr__) may raise anything here
        return []
    return found


def _instance(obj: object, owner: str, reach: str) -> Iterator[Capture]:
    """The instance as a whole, with its attributes as the parts to blame when it fails.

    An instance whose class customises its pickling has no parts: a class that drops its
    lock in ``__getstate__`` pickles fine although the lock does not.
    """
    parts = tuple(
        Capture(captured_path("self", owner, attr), f"{reach}.{attr}", attr, value, True)
        for attr, value in (_attributes(obj) if _pickles_by_default(obj) else ())
    )
    yield Capture(f"{owner}.__self__", reach, type(obj).__name__, obj, True, True, parts)


def _function(func: types.FunctionType, owner: str, reach: str) -> Iterator[Capture]:
    seen: set[int] = set()
    while id(func) not in seen:
        seen.add(id(func))
        yield from _function_state(func, owner, reach)
        wrapped = getattr(func, "__wrapped__", None)
        if not isinstance(wrapped, types.FunctionType):
            return
        func, owner, reach = wrapped, f"{owner}.__wrapped__", f"{reach}.__wrapped__"


def _function_state(func: types.FunctionType, owner: str, reach: str) -> Iterator[Capture]:
    code = func.__code__
    if func.__defaults__:
        positional = code.co_varnames[: code.co_argcount]  # positional-only ones included
        named = positional[-len(func.__defaults__):]
        for param, value in zip(named, func.__defaults__, strict=True):
            yield Capture(captured_path("default", owner, param),
                          captured_path("default", reach, param), param, value, False)
    for param, value in (func.__kwdefaults__ or {}).items():
        yield Capture(captured_path("kwdefault", owner, param),
                      captured_path("kwdefault", reach, param), param, value, False)
    wrapped = getattr(func, "__wrapped__", None)
    for var, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell: the variable was never assigned
            continue
        if value is wrapped and wrapped is not None:
            continue  # the wrapped function is judged on its own, after this one
        yield Capture(captured_path("closure", owner, var), captured_path("closure", reach, var),
                      var, value, False)
    namespace = func.__globals__
    for name in _global_names(code):
        if name in namespace and not _shipped_by_reference(namespace[name]):
            yield Capture(captured_path("global", owner, name),
                          captured_path("global", reach, name), name, namespace[name], False)


def _global_names(code: types.CodeType) -> tuple[str, ...]:
    """The global names ``code`` and its nested code use, in ``co_names`` order.

    Only names used as globals count; ``co_names`` also holds attribute names, and
    ``result.db`` must not make a global ``db`` look captured.
    """
    cached = _NAMES_CACHE.get(code)
    if cached is None:
        used = {i.argval for i in dis.get_instructions(code) if i.opcode in _GLOBAL_OPS}
        names = dict.fromkeys(n for n in code.co_names if n in used)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names.update(dict.fromkeys(_global_names(const)))
        cached = tuple(names)
        if len(_NAMES_CACHE) > 4096:  # bounded: code objects can be created at run time
            _NAMES_CACHE.clear()
        _NAMES_CACHE[code] = cached
    return cached


def _shipped_by_reference(value: object) -> bool:
    """Modules, classes and functions are sent as an importable name, not as state."""
    if isinstance(value, (types.ModuleType, type, types.FunctionType)):
        return True
    if isinstance(value, types.BuiltinFunctionType):
        owner = getattr(value, "__self__", None)
        return owner is None or isinstance(owner, types.ModuleType)
    return False
