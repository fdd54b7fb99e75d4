"""Build the ``rules.ProcessorInfo`` of a result-processor expression from the source.

This is the linter's half of the one judgement: the runtime guard builds the
same record by introspection, and ``rules.judge_processor`` decides for both.
What the record holds, and how the source gives it:

* ``name``: the function's ``__name__`` as the runtime will see it (``'<lambda>'``
  for any lambda, the method's name for ``obj.method``, the class's for a callable
  instance, the wrapped function's for a partial, the inner function's for a
  decorator that does not use ``functools.wraps``).
* ``enclosing``: the function a definition is nested in, or the main-guard block.
* ``unpicklable``: the first captured value built by an unpicklable factory, in
  the order the guard walks them: partial arguments and keywords, the bound
  instance's attributes, defaults, closure variables, module globals.

Names imported from other modules are trusted: the linter never imports code.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from flowmanager import rules
from flowmanager.rules import Captured, ProcessorInfo

from ._captured import StateFinder, positional_params
from ._resolve import Resolver
from ._values import unpicklable_type

__all__ = ["ProcessorBuilder"]

#: How many names, partials and decorators deep the builder follows an expression.
_MAX_DEPTH = 12


class _Returns(cst.CSTVisitor):
    """The ``return`` values of one function, not of the functions nested in it."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[cst.BaseExpression] = []
        self.yields = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> bool:
        if node.value is not None:
            self.values.append(node.value)
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.yields = True
        return True


def _collect_returns(fn: cst.FunctionDef) -> _Returns:
    collector = _Returns()
    fn.body.visit(collector)
    return collector


def _returned(fn: cst.FunctionDef) -> list[cst.BaseExpression]:
    return _collect_returns(fn).values


def _call_returns(fn: cst.FunctionDef) -> list[cst.BaseExpression]:
    """What calling ``fn`` gives back: its return values, or nothing known when the call
    makes a coroutine or a generator instead of running the body."""
    if fn.asynchronous is not None:
        return []
    collector = _collect_returns(fn)
    return [] if collector.yields else collector.values


class ProcessorBuilder:
    """Turns result-processor expressions into ``ProcessorInfo`` records."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.state = StateFinder(resolver)

    # -- entry ---------------------------------------------------------------------------

    def describe(self, expr: cst.BaseExpression, depth: int = 0) -> ProcessorInfo | None:
        """The record for ``expr``, or None when it cannot be known from this file."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Lambda):
            return ProcessorInfo(name="<lambda>", is_lambda=True)
        if isinstance(expr, cst.NamedExpr):
            return self.describe(expr.value, depth + 1)
        if isinstance(expr, cst.Name):
            target = self.resolver.definition(expr)
            if isinstance(target, cst.FunctionDef):
                return self._function(target, depth)
            if isinstance(target, cst.ClassDef):
                return ProcessorInfo(name=target.name.value, enclosing=self._enclosing(target))
            if isinstance(target, cst.BaseExpression):
                return self.describe(target, depth + 1)
            return None
        if isinstance(expr, cst.Attribute):
            return self._bound_method(expr, depth)
        if isinstance(expr, cst.Call):
            return self._call(expr, depth)
        return None

    def _call(self, call: cst.Call, depth: int) -> ProcessorInfo | None:
        if self.resolver.is_functools(call.func, "partial"):
            return self._partial(call, depth)
        target = self.resolver.definition(call.func)
        if isinstance(target, cst.ClassDef):
            return self._instance(target, call)
        if not isinstance(target, cst.FunctionDef):
            return None
        if call.args and not call.args[0].star:
            # ``save = logged(save_impl)``: a decorator applied by hand.
            inner = self.describe(call.args[0].value, depth + 1)
            if inner is not None:
                return self._decorate(target, inner, depth)
        # ``make_saver()``: a same-file factory; the processor is what it returns (the
        # first return value the linter can resolve, as for a decorator).
        for value in _call_returns(target):
            found = self.describe(value, depth + 1)
            if found is not None:
                return found
        return None

    # -- functions and decorators ---------------------------------------------------------

    def _function(self, fn: cst.FunctionDef, depth: int) -> ProcessorInfo:
        name = fn.name.value
        info = ProcessorInfo(
            name=name,
            enclosing=self._enclosing(fn),
            captured=(*self.state.defaults(fn, name), *self.state.globals_used(fn, name)),
        )
        info = _with_first(info)
        for decorator in reversed(fn.decorators):
            info = self._apply_decorator(decorator.decorator, info, depth)
        return info

    def _apply_decorator(
        self, expr: cst.BaseExpression, info: ProcessorInfo, depth: int
    ) -> ProcessorInfo:
        decorator: cst.CSTNode | None
        if isinstance(expr, cst.Call):
            # A decorator factory: ``@retry(3)`` runs ``retry`` and applies what it returns.
            factory = self.resolver.definition(expr.func)
            decorator = (
                self._returned_def(factory) if isinstance(factory, cst.FunctionDef) else None
            )
        else:
            decorator = self.resolver.definition(expr)
        if isinstance(decorator, cst.FunctionDef):
            return self._decorate(decorator, info, depth)
        return info  # imported or unknown decorators are trusted

    def _returned_def(self, fn: cst.FunctionDef) -> cst.FunctionDef | None:
        for value in _returned(fn):
            target = self.resolver.definition(value)
            if isinstance(target, cst.FunctionDef) and fn in self.resolver.index.ancestors(target):
                return target
        return None

    def _decorate(
        self, decorator: cst.FunctionDef, info: ProcessorInfo, depth: int
    ) -> ProcessorInfo:
        """What a same-file decorator turns ``info`` into."""
        if depth > _MAX_DEPTH:
            return info
        for value in _returned(decorator):
            if isinstance(value, cst.Lambda):
                return ProcessorInfo(name="<lambda>", is_lambda=True)
            wrapper = self.resolver.definition(value)
            if not isinstance(wrapper, cst.FunctionDef):
                continue
            if decorator not in self.resolver.index.ancestors(wrapper):
                continue
            if any(self._is_wraps(d.decorator) for d in wrapper.decorators):
                # functools.wraps copies __name__ and __qualname__: the result pickles by
                # name like the original, and carries the wrapper's closure with it.
                # The guard walks the wrapper's state, then the wrapped function's as
                # ``save.__wrapped__``; the paths say the same here.
                inner = tuple(_under_wrapped(c, info.name) for c in info.captured)
                captured = (
                    *self.state.defaults(wrapper, info.name),
                    *self.state.closure(wrapper, info.name),
                    *self.state.globals_used(wrapper, info.name),
                    *inner,
                )
                return _with_first(replace(info, captured=captured, unpicklable=None))
            name = wrapper.name.value
            where = self.resolver.enclosing_function(wrapper)
            return ProcessorInfo(
                name=name, enclosing=rules.inside_function(where) if where else None
            )
        return info

    def _is_wraps(self, expr: cst.BaseExpression) -> bool:
        func = expr.func if isinstance(expr, cst.Call) else expr
        if self.resolver.is_functools(func, "wraps"):
            return True
        return isinstance(func, (cst.Name, cst.Attribute)) and (
            (func.value if isinstance(func, cst.Name) else func.attr.value) == "wraps"
        )

    def _enclosing(self, node: cst.FunctionDef | cst.ClassDef) -> str | None:
        where = self.resolver.enclosing_function(node)
        if where is not None:
            return rules.inside_function(where)
        if self.resolver.only_under_main_guard(node):
            return rules.MAIN_BLOCK
        return None

    # -- partials ---------------------------------------------------------------------------

    def _flatten_partial(
        self, call: cst.Call, depth: int
    ) -> tuple[cst.BaseExpression, list[cst.Arg], list[cst.Arg]] | None:
        """``partial(partial(f, a), b)`` is ``partial(f, a, b)`` at run time too."""
        if depth > _MAX_DEPTH or not call.args or call.args[0].keyword or call.args[0].star:
            return None
        func = call.args[0].value
        positional = [a for a in call.args[1:] if a.keyword is None and not a.star]
        keywords = [a for a in call.args[1:] if a.keyword is not None]
        if isinstance(func, cst.Call) and self.resolver.is_functools(func.func, "partial"):
            inner = self._flatten_partial(func, depth + 1)
            if inner is None:
                return None
            inner_func, inner_positional, inner_keywords = inner
            outer_names = {a.keyword.value for a in keywords if a.keyword is not None}
            kept = [a for a in inner_keywords if a.keyword and a.keyword.value not in outer_names]
            return inner_func, inner_positional + positional, kept + keywords
        return func, positional, keywords

    def _partial(self, call: cst.Call, depth: int) -> ProcessorInfo | None:
        flat = self._flatten_partial(call, depth)
        if flat is None:
            return None
        func, positional, keywords = flat
        wrapped = self.describe(func, depth + 1)
        if wrapped is None:
            label = (
                func.value
                if isinstance(func, cst.Name)
                else (func.attr.value if isinstance(func, cst.Attribute) else None)
            )
            if label is None:
                return None
            wrapped = ProcessorInfo(name=label)
        name = wrapped.name
        target = self.resolver.definition(func)
        params = positional_params(target) if isinstance(target, cst.FunctionDef) else []
        captured: list[Captured] = []
        for index, arg in enumerate(positional):
            found = unpicklable_type(arg.value, self.resolver)
            if found:
                # The parameter it fills, as the runtime names it (it cannot see variables).
                root = params[index].name.value if index < len(params) else f"args[{index}]"
                path = rules.captured_path("partial-arg", name, index)
                captured.append(Captured(path=path, type=found, root=root))
        for arg in keywords:
            found = unpicklable_type(arg.value, self.resolver)
            if found and arg.keyword is not None:
                key = arg.keyword.value
                path = rules.captured_path("partial-keyword", name, key)
                captured.append(Captured(path=path, type=found, root=key))
        return _with_first(
            replace(wrapped, captured=(*captured, *wrapped.captured), unpicklable=None)
        )

    # -- instances and bound methods -----------------------------------------------------

    def _instance_of(
        self, expr: cst.BaseExpression, depth: int
    ) -> tuple[cst.ClassDef, cst.Call | None, bool] | None:
        """The same-file class ``expr`` is an instance of (or is), the constructor call
        when it is visible, and whether ``expr`` is an instance rather than the class."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            target = self.resolver.definition(expr.func)
            return (target, expr, True) if isinstance(target, cst.ClassDef) else None
        param = self.resolver.parameter(expr)
        if param is not None:
            return self._self_parameter(param)
        target = self.resolver.definition(expr)
        if isinstance(target, cst.ClassDef):
            return target, None, False
        if isinstance(target, cst.BaseExpression):
            return self._instance_of(target, depth + 1)
        return None

    def _self_parameter(self, param: cst.Param) -> tuple[cst.ClassDef, None, bool] | None:
        """``self`` inside a method: an instance of the class the method belongs to."""
        index = self.resolver.index
        parameters = index.parent(param)
        method = index.parent(parameters) if parameters is not None else None
        if not isinstance(method, cst.FunctionDef) or not positional_params(method):
            return None
        if positional_params(method)[0] is not param:
            return None
        block = index.parent(method)
        cls = index.parent(block) if block is not None else None
        if isinstance(cls, cst.ClassDef):
            return cls, None, True
        return None

    def _bound_method(self, expr: cst.Attribute, depth: int) -> ProcessorInfo | None:
        owner = self._instance_of(expr.value, depth + 1)
        if owner is None:
            return None
        cls, constructor, is_instance = owner
        name = expr.attr.value
        method = self.state.find_method(cls, name)
        if method is None and self._class_lambda(cls, name):
            return ProcessorInfo(name="<lambda>", is_lambda=True)  # ``save = lambda self, r: ...``
        captured: list[Captured] = []
        if is_instance:
            captured.extend(self.state.instance_state(cls, name, constructor))
        if method is not None:
            captured.extend(self.state.defaults(method, name))
            captured.extend(self.state.globals_used(method, name))
        where = self._enclosing(method if method is not None else cls)
        return _with_first(ProcessorInfo(name=name, enclosing=where, captured=tuple(captured)))

    def _class_lambda(self, cls: cst.ClassDef, name: str) -> bool:
        """Whether ``cls`` (or a same-file base) binds ``name`` to a lambda in its body."""
        for klass in self.state.classes(cls):
            body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
            for line in body:
                if not isinstance(line, cst.SimpleStatementLine):
                    continue
                for small in line.body:
                    if (
                        isinstance(small, cst.Assign)
                        and isinstance(small.value, cst.Lambda)
                        and any(
                            isinstance(t.target, cst.Name) and t.target.value == name
                            for t in small.targets
                        )
                    ):
                        return True
        return False

    def _instance(self, cls: cst.ClassDef, constructor: cst.Call | None) -> ProcessorInfo:
        """A callable instance: the runtime names it by its class, and reaches its state
        through ``__call__`` (``Saver.__call__.__self__.lock``)."""
        name = cls.name.value
        owner = f"{name}.__call__"
        captured = list(self.state.instance_state(cls, owner, constructor))
        call = self.state.find_method(cls, "__call__")
        if call is not None:
            captured.extend(self.state.defaults(call, owner))
            captured.extend(self.state.globals_used(call, owner))
        return _with_first(
            ProcessorInfo(name=name, enclosing=self._enclosing(cls), captured=tuple(captured))
        )


def _with_first(info: ProcessorInfo) -> ProcessorInfo:
    """Set ``unpicklable`` to the first captured value (all captured ones are unpicklable)."""
    return replace(info, unpicklable=info.captured[0] if info.captured else None)


def _under_wrapped(captured: Captured, name: str) -> Captured:
    """``save.__globals__['db']`` of a function ``functools.wraps`` wrapped is reached as
    ``save.__wrapped__.__globals__['db']``."""
    prefix = f"{name}."
    if not captured.path.startswith(prefix):
        return captured
    return replace(captured, path=f"{name}.__wrapped__.{captured.path[len(prefix) :]}")
