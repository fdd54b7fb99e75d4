"""One walk over the parsed module that records what the rules need later.

The walk keeps each node's parent and its place in source order, the calls
whose callee could name FlowManagerMP, the names imports give it, and the
``self.attr = value`` assignments of every function. Everything after this
walk looks things up instead of walking the tree again.
"""

from __future__ import annotations

from collections import defaultdict

import libcst as cst

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


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def _dotted_last(node: cst.BaseExpression) -> str | None:
    """The last component of an imported dotted name (``a.b.C`` gives ``C``)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


class SourceIndex(cst.CSTVisitor):
    """Parents, source order, candidate calls and self-assignments of one module."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self.names = names
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.order: dict[cst.CSTNode, int] = {}
        #: Calls by the last name of their callee (``FlowManagerMP``, ``FM``, ``instance``).
        self.calls_by_name: defaultdict[str, list[cst.Call]] = defaultdict(list)
        #: Local names an import or an assignment binds to a configured name (``as FM``,
        #: ``Manager = FlowManagerMP``).
        self.aliases: set[str] = set()
        self.self_assigns: list[SelfAssign] = []
        #: Source-order ordinal of each node of a ``LOCATED_KINDS`` type among its kind.
        self.ordinals: dict[cst.CSTNode, int] = {}
        self.kind_counts: dict[str, int] = dict.fromkeys(LOCATED_KINDS.values(), 0)
        self._stack: list[cst.CSTNode] = []
        self._functions: list[cst.FunctionDef] = []

    @classmethod
    def build(cls, module: cst.Module, names: frozenset[str]) -> SourceIndex:
        index = cls(names)
        module.visit(index)
        return index

    def on_visit(self, node: cst.CSTNode) -> bool:
        stack = self._stack
        if stack:
            self.parents[node] = stack[-1]
        self.order[node] = len(self.order)
        stack.append(node)
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
        elif kind is cst.FunctionDef:
            assert isinstance(node, cst.FunctionDef)
            self._functions.append(node)
        elif kind is cst.ImportAlias:
            assert isinstance(node, cst.ImportAlias)
            self._note_alias(node)
        elif kind is cst.Assign or kind is cst.AnnAssign:
            self._note_self_assign(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()
        if type(original_node) is cst.FunctionDef:
            self._functions.pop()

    def _note_alias(self, alias: cst.ImportAlias) -> None:
        if _dotted_last(alias.name) in self.names and alias.asname is not None:
            target = alias.asname.name
            if isinstance(target, cst.Name):
                self.aliases.add(target.value)

    def _note_self_assign(self, node: cst.CSTNode) -> None:
        value_name = _last_name(node.value) if isinstance(node, cst.Assign) else None
        if isinstance(node, cst.Assign) and (
            value_name in self.names or value_name in self.aliases
        ):
            # ``Manager = FlowManagerMP``: calls of ``Manager`` are candidates too.
            for assigned in node.targets:
                if isinstance(assigned.target, cst.Name):
                    self.aliases.add(assigned.target.value)
        if not self._functions:
            return
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
            value: cst.BaseExpression | None = node.value
        elif isinstance(node, cst.AnnAssign):
            targets = [node.target]
            value = node.value
        else:
            return
        if value is None:
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
