"""One walk over the parsed module that records what the rules need later.

The walk keeps each node's parent, its place in source order and its scope, the
calls whose callee could name FlowManagerMP, the names imports give it, the
``self.attr = value`` assignments of every function, and the binding tables of
every scope (``_scopes``): which assignments each name read may refer to.
Everything after this walk looks things up instead of walking the tree again.

Why a hand-written walk instead of a ``CSTVisitor`` and libcst's ScopeProvider:
libcst's visitor rebuilds every node it leaves, and the ScopeProvider walks the
tree twice more (once for expression contexts); together they cost about six
times the parse. This walk reads each node's child fields in source order (the
order libcst's own visitor uses), skips whitespace, commas and brackets, and
keeps the binding tables the rules need on the way.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable

import libcst as cst

from ._engine import MAX_NESTING
from ._scopes import (
    Access,
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    Scope,
)

__all__ = ["LOCATED_KINDS", "SelfAssign", "SourceIndex"]

#: Node types whose source-order ordinal the index records, so that the engine can
#: take their positions from the ``ast`` tree it already has (see ``_positions``).
LOCATED_KINDS: dict[type[cst.CSTNode], str] = {
    cst.Call: "Call",
    cst.For: "For",
    cst.While: "While",
    cst.ListComp: "ListComp",
    cst.SetComp: "SetComp",
    cst.DictComp: "DictComp",
    cst.GeneratorExp: "GeneratorExp",
}

#: A ``<obj>.<attr> = <value>`` statement inside a function: (function, obj, attr, value).
SelfAssign = tuple[cst.FunctionDef, str, str, cst.BaseExpression]

#: Child fields that only hold whitespace, comments, brackets and punctuation.
_LAYOUT_PREFIXES = (
    "whitespace",
    "lpar",
    "rpar",
    "lbracket",
    "rbracket",
    "lbrace",
    "rbrace",
    "comma",
    "leading_lines",
    "lines_after_decorators",
    "header",
    "footer",
    "semicolon",
    "colon",
    "equal",
    "trailing_whitespace",
    "newline",
    "default_comma",
    "first_line",
    "asynchronous",
)

#: Nodes after which libcst's scope analysis counts one more assignment in the scope:
#: a name read inside the statement does not see what the statement binds.
_ASSIGNMENT_LIKE = frozenset(
    {
        cst.AnnAssign,
        cst.AsName,
        cst.Assign,
        cst.AugAssign,
        cst.ClassDef,
        cst.CompFor,
        cst.FunctionDef,
        cst.Global,
        cst.Import,
        cst.ImportFrom,
        cst.NamedExpr,
        cst.Nonlocal,
        cst.Parameters,
        cst.WithItem,
    }
)


_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of ``kind`` that can hold nodes the analysis reads, in source order.

    libcst's ``_visit_and_replace_children`` names each field it visits as a string
    constant, in the order it visits them (source order); its code object keeps
    those constants in order of first appearance.
    """
    found = _FIELDS.get(kind)
    if found is None:
        names = {field.name for field in dataclasses.fields(kind)}
        ordered: list[str] = []
        for constant in kind._visit_and_replace_children.__code__.co_consts:
            if (
                isinstance(constant, str)
                and constant in names
                and constant not in ordered
                and not constant.startswith(_LAYOUT_PREFIXES)
            ):
                ordered.append(constant)
        # A field the visitor does not name as a constant would be missed: add the rest.
        ordered.extend(
            name for name in sorted(names - set(ordered)) if not name.startswith(_LAYOUT_PREFIXES)
        )
        found = _FIELDS[kind] = tuple(ordered)
    return found


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    kids: list[cst.CSTNode] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            kids.append(value)
        elif isinstance(value, (tuple, list)):
            kids.extend(v for v in value if isinstance(v, cst.CSTNode))
    return kids


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


class SourceIndex:
    """Parents, source order, scopes, candidate calls and self-assignments of one module."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.order: dict[cst.CSTNode, int] = {}
        #: The scope each node is evaluated in (a def's own node: the scope around it).
        self.scopes: dict[cst.CSTNode, Scope] = {}
        #: Calls by the last name of their callee (``FlowManagerMP``, ``FM``, ``instance``).
        self.calls_by_name: defaultdict[str, list[cst.Call]] = defaultdict(list)
        #: Local names an import or an assignment binds to a configured name (``as FM``,
        #: ``Manager = FlowManagerMP``).
        self.aliases: set[str] = set()
        self.self_assigns: list[SelfAssign] = []
        #: Source-order ordinal of each node of a ``LOCATED_KINDS`` type among its kind.
        self.ordinals: dict[cst.CSTNode, int] = {}
        self.kind_counts: dict[str, int] = dict.fromkeys(LOCATED_KINDS.values(), 0)
        #: Every name read, by its node.
        self.accesses: dict[cst.Name, Access] = {}
        self.module_scope = GlobalScope()
        self._scope: Scope = self.module_scope
        self._functions: list[cst.FunctionDef] = []
        self._depth = 0
        #: ``nonlocal`` at module level: the parser accepts it, the compiler does not.
        self.nonlocal_at_module_level = False
        self._special: dict[type[cst.CSTNode], Callable[[cst.CSTNode, bool], None]] = {
            cst.Name: self._name,  # type: ignore[dict-item]
            cst.Attribute: self._attribute,  # type: ignore[dict-item]
            cst.Arg: self._arg,  # type: ignore[dict-item]
            cst.FunctionDef: self._function_def,  # type: ignore[dict-item]
            cst.Lambda: self._lambda,  # type: ignore[dict-item]
            cst.Param: self._param,  # type: ignore[dict-item]
            cst.ClassDef: self._class_def,  # type: ignore[dict-item]
            cst.ListComp: self._comprehension,  # type: ignore[dict-item]
            cst.SetComp: self._comprehension,  # type: ignore[dict-item]
            cst.DictComp: self._comprehension,  # type: ignore[dict-item]
            cst.GeneratorExp: self._comprehension,  # type: ignore[dict-item]
            cst.AssignTarget: self._stored,
            cst.AugAssign: self._aug_assign,  # type: ignore[dict-item]
            cst.AnnAssign: self._ann_assign,  # type: ignore[dict-item]
            cst.For: self._for,  # type: ignore[dict-item]
            cst.CompFor: self._comp_for,  # type: ignore[dict-item]
            cst.AsName: self._stored,
            cst.NamedExpr: self._named_expr,  # type: ignore[dict-item]
            cst.Import: self._import,  # type: ignore[dict-item]
            cst.ImportFrom: self._import,  # type: ignore[dict-item]
            cst.Global: self._global,  # type: ignore[dict-item]
            cst.Nonlocal: self._nonlocal,  # type: ignore[dict-item]
            cst.MatchAs: self._match_capture,  # type: ignore[dict-item]
            cst.MatchStar: self._match_capture,  # type: ignore[dict-item]
            cst.MatchMapping: self._match_mapping,  # type: ignore[dict-item]
            cst.MatchKeywordElement: self._match_keyword,  # type: ignore[dict-item]
        }

    @classmethod
    def build(cls, module: cst.Module, names: frozenset[str]) -> SourceIndex:
        """Walk ``module`` once."""
        index = cls(names)
        index._visit(module, None, False)
        index.module_scope.resolve_accesses(index.accesses.values())
        return index

    # -- the walk ------------------------------------------------------------------------

    def _visit(self, node: cst.CSTNode, parent: cst.CSTNode | None, store: bool) -> None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            # The engine turns this into TOO_NESTED: our limit, not the interpreter's.
            raise RecursionError(f"the module nests more than {MAX_NESTING} levels deep")
        if parent is not None:
            self.parents[node] = parent
        self.order[node] = len(self.order)
        self.scopes[node] = self._scope
        kind = type(node)
        located = LOCATED_KINDS.get(kind)
        if located is not None:
            self.ordinals[node] = self.kind_counts[located]
            self.kind_counts[located] += 1
            if kind is cst.Call:
                assert isinstance(node, cst.Call)
                name = _last_name(node.func)
                if name is not None:
                    self.calls_by_name[name].append(node)
        elif kind is cst.Assign:
            assert isinstance(node, cst.Assign)
            self._note_assign(node, [t.target for t in node.targets], node.value)
        special = self._special.get(kind)
        if special is not None:
            special(node, store)
        else:
            keep = store and kind in (cst.Tuple, cst.List, cst.StarredElement, cst.Element)
            for child in _children(node):
                self._visit(child, node, keep)
        if kind in _ASSIGNMENT_LIKE:
            self._scope.assignment_count += 1
        self._depth -= 1

    def _visit_all(self, nodes: list[cst.CSTNode], parent: cst.CSTNode, store: bool) -> None:
        for child in nodes:
            self._visit(child, parent, store)

    def _mark(self, node: cst.CSTNode, parent: cst.CSTNode) -> None:
        """Record a node the scope analysis handles itself (a def's name, a keyword)."""
        self.parents[node] = parent
        self.order[node] = len(self.order)
        self.scopes[node] = self._scope

    def _visit_in(self, scope: Scope, node: cst.CSTNode, parent: cst.CSTNode) -> None:
        outer, self._scope = self._scope, scope
        try:
            self._visit(node, parent, False)
        finally:
            self._scope = outer

    def _visit_in_store(self, scope: Scope, node: cst.CSTNode, parent: cst.CSTNode) -> None:
        outer, self._scope = self._scope, scope
        try:
            self._visit(node, parent, True)
        finally:
            self._scope = outer

    # -- names and targets -----------------------------------------------------------------

    def _name(self, node: cst.Name, store: bool) -> None:
        if store:
            self._scope.record_assignment(node.value, node)
        else:
            self.accesses[node] = Access(node, self._scope)

    def _attribute(self, node: cst.Attribute, store: bool) -> None:
        self._visit(node.value, node, False)
        self._mark(node.attr, node)

    def _stored(self, node: cst.CSTNode, store: bool) -> None:
        """``AssignTarget`` and ``AsName``: their target binds."""
        for child in _children(node):
            self._visit(child, node, True)

    def _aug_assign(self, node: cst.AugAssign, store: bool) -> None:
        self._visit(node.target, node, True)
        self._visit(node.operator, node, False)
        self._visit(node.value, node, False)

    def _ann_assign(self, node: cst.AnnAssign, store: bool) -> None:
        self._note_assign(node, [node.target], node.value)
        self._visit(node.target, node, True)
        self._visit(node.annotation, node, False)
        if node.value is not None:
            self._visit(node.value, node, False)

    def _named_expr(self, node: cst.NamedExpr, store: bool) -> None:
        # ``(x := v)`` in a comprehension binds in the scope around the comprehension.
        target = self._scope
        while isinstance(target, ComprehensionScope):
            target = target.parent
        self._visit_in_store(target, node.target, node)
        self._visit(node.value, node, False)

    def _arg(self, node: cst.Arg, store: bool) -> None:
        if node.keyword is not None:
            self._mark(node.keyword, node)
        self._visit(node.value, node, False)

    def _for(self, node: cst.For, store: bool) -> None:
        self._visit(node.target, node, True)
        self._scope.assignment_count += 1
        self._visit(node.iter, node, False)
        self._visit(node.body, node, False)
        if node.orelse is not None:
            self._visit(node.orelse, node, False)

    def _comp_for(self, node: cst.CompFor, store: bool) -> None:
        self._visit(node.target, node, True)
        self._scope.assignment_count += 1
        outer = self._scope
        if isinstance(self._scope, ComprehensionScope) and self._scope.first_for is node:
            outer = self._scope.parent  # the first iterable runs outside the comprehension
        self._visit_in(outer, node.iter, node)
        self._visit_all(list(node.ifs), node, False)
        if node.inner_for_in is not None:
            self._visit(node.inner_for_in, node, False)

    # -- scopes ------------------------------------------------------------------------------

    def _function_def(self, node: cst.FunctionDef, store: bool) -> None:
        outer = self._scope
        outer.record_assignment(node.name.value, node)
        self._visit_all(list(node.decorators), node, False)
        self._mark(node.name, node)
        scope = FunctionScope(outer, node.name.value)
        self._functions.append(node)
        try:
            self._visit_in(scope, node.params, node)
            if node.returns is not None:
                self._visit(node.returns, node, False)
            self._visit_in(scope, node.body, node)
        finally:
            self._functions.pop()

    def _lambda(self, node: cst.Lambda, store: bool) -> None:
        scope = FunctionScope(self._scope, None)
        self._visit_in(scope, node.params, node)
        self._visit_in(scope, node.body, node)

    def _param(self, node: cst.Param, store: bool) -> None:
        scope = self._scope
        scope.record_assignment(node.name.value, node)
        self._mark(node.name, node)
        outer = scope.parent  # annotations and defaults are evaluated around the def
        if node.annotation is not None:
            self._visit_in(outer, node.annotation, node)
        if node.default is not None:
            self._visit_in(outer, node.default, node)

    def _class_def(self, node: cst.ClassDef, store: bool) -> None:
        outer = self._scope
        outer.record_assignment(node.name.value, node)
        self._visit_all(list(node.decorators), node, False)
        self._mark(node.name, node)
        self._visit_all([*node.bases, *node.keywords], node, False)
        self._visit_in(ClassScope(outer, node.name.value), node.body, node)

    def _comprehension(
        self, node: cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp, store: bool
    ) -> None:
        scope = ComprehensionScope(self._scope, node.for_in)
        outer, self._scope = self._scope, scope
        try:
            parts: list[cst.CSTNode] = (
                [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
            )
            self._visit_all(parts, node, False)
            self._visit(node.for_in, node, False)
        finally:
            self._scope = outer

    # -- imports and declarations ------------------------------------------------------------

    def _import(self, node: cst.Import | cst.ImportFrom, store: bool) -> None:
        if isinstance(node, cst.ImportFrom) and node.module is not None:
            self._mark(node.module, node)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self._mark(alias, node)
            self._mark(alias.name, alias)
            if alias.asname is not None:
                self._mark(alias.asname, alias)
                self._mark(alias.asname.name, alias.asname)
                target = alias.asname.name
                bound = target.value if isinstance(target, cst.Name) else None
                if bound is not None and _last_name(alias.name) in self.names:
                    self.aliases.add(bound)
            else:
                dotted: cst.BaseExpression = alias.name
                while isinstance(dotted, cst.Attribute):
                    dotted = dotted.value
                bound = dotted.value if isinstance(dotted, cst.Name) else None
            if bound is not None:
                self._scope.record_import(bound, node)

    def _global(self, node: cst.Global, store: bool) -> None:
        for item in node.names:
            self._mark(item, node)
            self._mark(item.name, item)
            self._scope.declare_global(item.name.value)

    def _nonlocal(self, node: cst.Nonlocal, store: bool) -> None:
        if isinstance(self._scope, GlobalScope):
            self.nonlocal_at_module_level = True
            return
        for item in node.names:
            self._mark(item, node)
            self._mark(item.name, item)
            self._scope.declare_nonlocal(item.name.value)

    def _match_capture(self, node: cst.MatchAs | cst.MatchStar, store: bool) -> None:
        for child in _children(node):
            self._visit(child, node, child is node.name)

    def _match_mapping(self, node: cst.MatchMapping, store: bool) -> None:
        for child in _children(node):
            self._visit(child, node, child is node.rest)

    def _match_keyword(self, node: cst.MatchKeywordElement, store: bool) -> None:
        self._mark(node.key, node)
        self._visit(node.pattern, node, False)

    # -- what the rules note ----------------------------------------------------------------

    def _note_assign(
        self,
        node: cst.CSTNode,
        targets: list[cst.BaseAssignTargetExpression],
        value: cst.BaseExpression | None,
    ) -> None:
        if isinstance(node, cst.Assign):
            value_name = _last_name(node.value)
            if value_name in self.names or value_name in self.aliases:
                # ``Manager = FlowManagerMP``: calls of ``Manager`` are candidates too.
                for target in targets:
                    if isinstance(target, cst.Name):
                        self.aliases.add(target.value)
        if not self._functions or value is None:
            return
        for target in targets:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                self.self_assigns.append(
                    (self._functions[-1], target.value.value, target.attr.value, value)
                )

    # -- questions the later stages ask -------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """``node``'s parent, its parent, and so on up to the module."""
        chain = []
        current = self.parents.get(node)
        while current is not None:
            chain.append(current)
            current = self.parents.get(current)
        return chain

    def candidate_calls(self) -> list[cst.Call]:
        """Calls whose callee is spelled with a configured name, an alias of one, or
        ``.instance``: the only calls that can construct or fetch a FlowManagerMP."""
        found: list[cst.Call] = []
        for name in sorted(self.names | self.aliases):
            found.extend(self.calls_by_name.get(name, ()))
        found.extend(self.calls_by_name.get("instance", ()))
        return sorted(set(found), key=self.order.__getitem__)
