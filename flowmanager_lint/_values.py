"""Whether an expression builds something that cannot be pickled, judged from the source:
a call to a known factory (the catalog's table, the configured extras, or a name that
says ``connect``/``connection``), a container holding one, or a name bound to either."""

from __future__ import annotations

import libcst as cst

from flowmanager import rules

from ._resolve import Resolver
from ._scopes import Assignment

__all__ = ["factory_result_type", "unpicklable_type"]

#: Names bound to names bound to ...: how far the linter follows them.
_MAX_DEPTH = 8


def factory_result_type(call: cst.Call, resolver: Resolver) -> str | None:
    """``sqlite3.connect() result`` when ``call`` calls an unpicklable factory."""
    names = resolver.qualified_names(call.func)
    if not names:
        # A factory defined nowhere in the file is judged by how it is spelled.
        spelled = resolver.spelled_name(call.func)
        names = [spelled] if spelled is not None else []
    for name in names:
        if rules.is_unpicklable_factory(name, resolver.config.factories):
            shown = name.removeprefix("builtins.")
            return f"{shown}() result"
    return None


def unpicklable_type(expr: cst.BaseExpression, resolver: Resolver, depth: int = 0) -> str | None:
    """The type text of the first unpicklable value ``expr`` evaluates to or contains."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, cst.Call):
        return factory_result_type(expr, resolver)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        for element in expr.elements:
            found = unpicklable_type(element.value, resolver, depth + 1)
            if found:
                return found
        return None
    if isinstance(expr, cst.Dict):
        for item in expr.elements:
            parts = (item.key, item.value) if isinstance(item, cst.DictElement) else (item.value,)
            for part in parts:
                found = unpicklable_type(part, resolver, depth + 1)
                if found:
                    return found
        return None
    if isinstance(expr, cst.Name):
        for assignment in resolver.bindings(expr):
            if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
                continue
            value = resolver.assigned_value(assignment.node)
            if value is not None:
                found = unpicklable_type(value, resolver, depth + 1)
                if found:
                    return found
    return None
