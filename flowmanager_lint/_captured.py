"""The state a result processor carries into the result process, read from the source.

In the order the runtime guard walks it: the bound instance's attributes (and the
constructor arguments it was built with), default values, closure variables of
enclosing functions, and the module globals the function's body reads. Only
values built by an unpicklable factory (or containers holding one) are returned;
everything else travels fine or cannot be known without running the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from flowmanager import rules
from flowmanager.rules import Captured

from ._resolve import Resolver
from ._scopes import Assignment, GlobalScope, Scope
from ._values import unpicklable_type

__all__ = ["StateFinder", "first_per_root", "positional_params"]

#: How many same-file base classes deep the finder follows a class.
_MAX_DEPTH = 12


def _inside(scope: Scope | None, target: Scope) -> bool:
    """Whether ``scope`` is ``target`` or nested in it."""
    while scope is not None:
        if scope is target:
            return True
        if scope.parent is scope:
            return False
        scope = scope.parent
    return False


def _methods(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}


def positional_params(fn: cst.FunctionDef) -> list[cst.Param]:
    return [*fn.params.posonly_params, *fn.params.params]


class StateFinder:
    """Finds the unpicklable values a function, method or instance carries."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._globals: dict[str, tuple[str, list[Assignment]]] | None = None

    def classes(self, cls: cst.ClassDef, depth: int = 0) -> list[cst.ClassDef]:
        """``cls`` and its same-file base classes, nearest first."""
        found = [cls]
        if depth < _MAX_DEPTH:
            for base in cls.bases:
                target = self.resolver.definition(base.value)
                if isinstance(target, cst.ClassDef) and target is not cls:
                    found.extend(self.classes(target, depth + 1))
        return found

    def find_method(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        for klass in self.classes(cls):
            method = _methods(klass).get(name)
            if method is not None:
                return method
        return None

    def instance_state(
        self, cls: cst.ClassDef, owner: str, constructor: cst.Call | None
    ) -> Iterable[Captured]:
        """Attributes the class's methods store on ``self`` from unpicklable factories,
        and constructor arguments that are unpicklable."""
        methods: dict[cst.FunctionDef, str] = {}
        for klass in self.classes(cls):
            for method in _methods(klass).values():
                params = positional_params(method)
                if params:
                    methods.setdefault(method, params[0].name.value)
        init = self.find_method(cls, "__init__")
        arguments = self._constructor_arguments(init, constructor)
        used: set[str] = set()
        for fn, obj, attr, value in self.resolver.index.self_assigns:
            if methods.get(fn) != obj:
                continue
            found = unpicklable_type(value, self.resolver)
            if not found and fn is init and isinstance(value, cst.Name):
                passed = arguments.get(value.value)
                if passed is not None:
                    found = unpicklable_type(passed, self.resolver)
                    used.add(value.value)
            if found:
                path = rules.captured_path("self", owner, attr)
                yield Captured(path=path, type=found, root=attr)
        for param, passed in arguments.items():
            found = unpicklable_type(passed, self.resolver) if param not in used else None
            if found:
                path = rules.captured_path("self", owner, param)
                yield Captured(path=path, type=found, root=param)

    @staticmethod
    def _constructor_arguments(
        init: cst.FunctionDef | None, constructor: cst.Call | None
    ) -> dict[str, cst.BaseExpression]:
        """Constructor arguments by ``__init__`` parameter name."""
        if init is None or constructor is None:
            return {}
        params = positional_params(init)[1:]
        keywords = {p.name.value for p in [*params, *init.params.kwonly_params]}
        found: dict[str, cst.BaseExpression] = {}
        position = 0
        for arg in constructor.args:
            if arg.star:
                break
            if arg.keyword is not None:
                if arg.keyword.value in keywords:
                    found[arg.keyword.value] = arg.value
            elif position < len(params):
                found[params[position].name.value] = arg.value
                position += 1
        return found

    # -- captured state ---------------------------------------------------------------------

    def defaults(self, fn: cst.FunctionDef, owner: str) -> list[Captured]:
        captured = []
        for kind, params in (
            ("default", positional_params(fn)),
            ("kwdefault", fn.params.kwonly_params),
        ):
            for param in params:
                if param.default is None:
                    continue
                found = unpicklable_type(param.default, self.resolver)
                if found:
                    key = param.name.value
                    path = rules.captured_path(kind, owner, key)
                    captured.append(Captured(path=path, type=found, root=key))
        return captured

    def closure(self, fn: cst.FunctionDef, owner: str) -> list[Captured]:
        """Variables of enclosing functions that ``fn`` (or a function in it) uses."""
        scope = self.resolver.function_scope_of(fn)
        if scope is None:
            return []
        hits: list[tuple[int, Captured]] = []
        outer = scope.parent
        while (
            outer is not None and not isinstance(outer, GlobalScope) and outer.parent is not outer
        ):
            for assignment in outer.assignments:
                if not isinstance(assignment, Assignment) or not isinstance(
                    assignment.node, cst.Name
                ):
                    continue
                value = self.resolver.assigned_value(assignment.node)
                found = unpicklable_type(value, self.resolver) if value is not None else None
                if not found:
                    continue
                for access in assignment.references:
                    if _inside(access.scope, scope):
                        key = assignment.name
                        path = rules.captured_path("closure", owner, key)
                        order = self.resolver.index.order.get(access.node, 0)
                        hits.append((order, Captured(path=path, type=found, root=key)))
            outer = outer.parent
        return first_per_root(hits)

    def _unpicklable_globals(self) -> dict[str, tuple[str, list[Assignment]]]:
        """Module globals assigned (anywhere) an unpicklable value: name -> (type, bindings)."""
        if self._globals is None:
            self._globals = {}
            module_scope = self._module_scope()
            if module_scope is not None:
                for assignment in module_scope.assignments:
                    if not isinstance(assignment, Assignment) or not isinstance(
                        assignment.node, cst.Name
                    ):
                        continue
                    value = self.resolver.assigned_value(assignment.node)
                    found = unpicklable_type(value, self.resolver) if value is not None else None
                    if found and assignment.name not in self._globals:
                        bindings = [
                            a for a in module_scope[assignment.name] if isinstance(a, Assignment)
                        ]
                        self._globals[assignment.name] = (found, bindings)
        return self._globals

    def _module_scope(self) -> GlobalScope | None:
        for node in self.resolver.index.order:
            scope = self.resolver.scopes.get(node)
            return scope if isinstance(scope, GlobalScope) else None
        return None

    def globals_used(self, fn: cst.FunctionDef, owner: str) -> list[Captured]:
        """Unpicklable module globals that ``fn``'s body (nested functions included) reads."""
        scope = self.resolver.function_scope_of(fn)
        unpicklable = self._unpicklable_globals()
        if scope is None or not unpicklable:
            return []
        hits: list[tuple[int, Captured]] = []
        for key, (found, bindings) in unpicklable.items():
            for assignment in bindings:
                for access in assignment.references:
                    if _inside(access.scope, scope):
                        path = rules.captured_path("global", owner, key)
                        order = self.resolver.index.order.get(access.node, 0)
                        hits.append((order, Captured(path=path, type=found, root=key)))
        return first_per_root(hits)


def first_per_root(hits: Sequence[tuple[int, Captured]]) -> list[Captured]:
    """One capture per variable, in the order the source first uses them."""
    seen: set[str] = set()
    result = []
    for _, captured in sorted(hits, key=lambda hit: hit[0]):
        if captured.path not in seen:
            seen.add(captured.path)
            result.append(captured)
    return result
