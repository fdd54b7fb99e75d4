"""Which calls construct (or fetch) a FlowManagerMP, and what they pass it.

A callee counts when its qualified name ends in a configured name (through any
import or alias), or when it is the bare name and the file never binds it. An
attribute (``fm.FlowManagerMP``) counts only when its root is an imported module
or a name the file never binds; on a local object it is that object's attribute. A
class the file defines under that name is somebody else's. ``X.instance(...)``
is the accessor: it returns the live instance instead of making another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import libcst as cst

from ._resolve import Resolver
from ._scopes import ImportAssignment

__all__ = ["CallKind", "ManagerCall", "recognise"]

#: Where the result processor and the serial flag sit in the constructor's signature.
_PROCESSOR = (1, "on_complete")
_SERIAL = (2, "serial_processing")


class CallKind(Enum):
    CONSTRUCT = "construct"
    ACCESSOR = "instance"


@dataclass(frozen=True)
class ManagerCall:
    """One FlowManagerMP call: the node, its kind, the result-processor expression (None
    when absent or hidden in ``*args``) and the serial flag (None when unknown)."""

    node: cst.Call
    kind: CallKind
    processor: cst.BaseExpression | None
    serial: bool | None


def _names_manager(
    expr: cst.BaseExpression, names: frozenset[str], resolver: Resolver, depth: int = 0
) -> bool:
    """Whether ``expr`` (a callee, or the value before ``.instance``) is FlowManagerMP."""
    if isinstance(expr, cst.Attribute):
        # ``module.FlowManagerMP``: only through a module the file imports (or a root it
        # binds nowhere); ``self.FlowManagerMP`` or ``obj.FlowManagerMP`` is an attribute
        # of some object, not the class.
        if expr.attr.value not in names:
            return False
        root = resolver.root_name(expr)
        if root is None:
            return False
        return _imported(root, resolver) or resolver.spelled_name(expr) is not None
    if not isinstance(expr, cst.Name):
        return False
    # A name the file binds itself has a local qualified name: only imports count then.
    spelled = any(q.rsplit(".", 1)[-1] in names for q in resolver.qualified_names(expr))
    if spelled and _imported(expr, resolver):
        return True
    found = resolver.bindings(expr)
    if not found:
        return expr.value in names  # a bare, unbound FlowManagerMP
    # ``Manager = FlowManagerMP``: follow a name assigned another name (not a class).
    value = resolver.definition(expr)
    if depth < 4 and isinstance(value, (cst.Name, cst.Attribute)):
        return _names_manager(value, names, resolver, depth + 1)
    return False


def _imported(expr: cst.BaseExpression, resolver: Resolver) -> bool:
    if not isinstance(expr, cst.Name):
        return False
    return any(isinstance(a, ImportAssignment) for a in resolver.bindings(expr))


def _argument(call: cst.Call, slot: tuple[int, str]) -> tuple[cst.Arg | None, bool]:
    """The argument in ``slot`` (position, keyword) and whether it might be hidden in
    ``*args``/``**kwargs``."""
    position, keyword = slot
    index = 0
    hidden = False
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg, False
        elif arg.star == "*" or arg.star == "**":
            hidden = True
        elif not hidden:
            if index == position:
                return arg, False
            index += 1
    return None, hidden


def _serial_flag(call: cst.Call) -> bool | None:
    """False (parallel) when absent or a literal False/0/None, True for a literal true
    value, None (unknown) for anything else."""
    arg, hidden = _argument(call, _SERIAL)
    if arg is None:
        return None if hidden else False
    value = arg.value
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value == "True"
    if isinstance(value, cst.Integer):
        return value.evaluated_value != 0
    return None


def recognise(call: cst.Call, names: frozenset[str], resolver: Resolver) -> ManagerCall | None:
    """The FlowManagerMP call ``call`` is, or None when it is some other call."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "instance"
        and _names_manager(func.value, names, resolver)
    ):
        kind = CallKind.ACCESSOR
    elif _names_manager(func, names, resolver):
        kind = CallKind.CONSTRUCT
    else:
        return None
    arg, _ = _argument(call, _PROCESSOR)
    return ManagerCall(call, kind, arg.value if arg is not None else None, _serial_flag(call))
