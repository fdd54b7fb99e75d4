"""FMP001: a second FlowManagerMP on the same control-flow path.

Each construction is placed in its scope (the module's top level or one
function body; nested functions are scopes of their own, class bodies run in
the scope around them) by its chain of ancestors. Two calls of one scope are on
the same path unless the chains part at the branches of one ``if``/``elif``/
``else`` (or a conditional expression), at two cases of one ``match``, or at a
``try`` body against its ``except`` handlers (or a handler against another or the
``else``), or unless the earlier call's branch ends in ``return``/``raise``/
``continue``/``break`` before the later one is reached. ``finally`` always runs,
so it is never exclusive.

A construction in a loop body or a comprehension makes an instance per pass
and is reported on its own. ``X.instance()`` returns the live instance, so two
accessor calls never conflict; a construction and an accessor call on one
path do. A construction after ``close_processes()`` still counts: the
guidelines say to reuse the one instance, while the runtime only refuses two
open ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from ._calls import CallKind, ManagerCall
from ._index import SourceIndex

__all__ = ["Conflict", "find_conflicts"]

_BLOCKS = (cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_ESCAPES = (cst.Break, cst.Continue)


@dataclass(frozen=True)
class Conflict:
    """``call`` makes a second instance: after ``other`` on its path, or on every pass
    of the loop or comprehension ``other``."""

    call: cst.Call
    other: cst.CSTNode
    kind: str  # "path", "loop" or "comprehension"


@dataclass(frozen=True)
class _Placed:
    call: ManagerCall
    chain: tuple[cst.CSTNode, ...]  # from the scope's root down to the call
    loop: cst.CSTNode | None


def _place(call: ManagerCall, index: SourceIndex) -> _Placed:
    """Walk up from the call to the root of its scope, noting any loop on the way."""
    chain: list[cst.CSTNode] = [call.node]
    loop: cst.CSTNode | None = None
    child: cst.CSTNode = call.node
    for node in index.ancestors(call.node):
        chain.append(node)
        if isinstance(node, (cst.FunctionDef, cst.Lambda)) and child is node.body:
            break
        if loop is None:
            if (
                isinstance(node, (cst.For, cst.While))
                and (child is node.body or (isinstance(node, cst.While) and child is node.test))
            ) or (isinstance(node, _COMPREHENSIONS) and child is not node.for_in):
                loop = node
            elif isinstance(node, cst.CompFor) and child is not node.iter:
                loop = index.parent(node)
            elif isinstance(node, cst.CompFor) and not isinstance(
                index.parent(node), _COMPREHENSIONS
            ):
                loop = index.parent(node)  # an inner ``for``: its iterable runs per pass
        child = node
    return _Placed(call, tuple(reversed(chain)), loop)


def _body(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(node, _BLOCKS):
        return node.body
    return ()


def _is_terminator(statement: cst.CSTNode, escapes: bool, raises: bool) -> bool:
    """``return`` (and ``raise``, ``break``, ``continue`` when they leave the region)."""
    smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else (statement,)
    for small in smalls:
        if isinstance(small, cst.Return):
            return True
        if (raises and isinstance(small, cst.Raise)) or (escapes and isinstance(small, _ESCAPES)):
            return True
    return False


def _ends_before(chain: Sequence[cst.CSTNode], start: int, stop_child: cst.CSTNode | None) -> bool:
    """Whether the path through ``chain[start:]`` (deepest last) ends before control
    leaves ``chain[start]``: a ``return``/``raise``/``break``/``continue`` follows the
    call in some enclosing block. In ``chain[start]`` itself only statements before
    ``stop_child`` count. A ``break``/``continue`` inside a loop that is itself inside
    the region, and a ``raise`` inside a ``try`` with handlers there, do not end it."""
    escapes = raises = True
    for depth in range(start, len(chain) - 1):
        node, child = chain[depth], chain[depth + 1]
        statements = _body(node)
        if statements:
            position = list(statements).index(child)
            end = len(statements)
            if depth == start and stop_child is not None:
                end = list(statements).index(stop_child)
            if any(_is_terminator(s, escapes, raises) for s in statements[position + 1 : end]):
                return True
        if isinstance(node, (cst.For, cst.While)) and child is node.body:
            escapes = False  # a break or continue below stays inside this loop
        if isinstance(node, (cst.Try, cst.TryStar)) and child is node.body and node.handlers:
            raises = False  # an exception raised below may be handled, and the code goes on
    return False


def _try_part(node: cst.Try | cst.TryStar, child: cst.CSTNode) -> str:
    if child is node.body:
        return "body"
    if child is node.orelse:
        return "else"
    if child is node.finalbody:
        return "finally"
    return "handler"


def _exclusive(first: _Placed, second: _Placed) -> bool:
    """Whether ``first`` (earlier in the source) and ``second`` can never both run."""
    a, b = first.chain, second.chain
    split = 0
    while split < min(len(a), len(b)) and a[split] is b[split]:
        split += 1
    if split == 0 or split >= min(len(a), len(b)):
        return False  # one call inside the other's arguments
    parent, a_child, b_child = a[split - 1], a[split], b[split]
    if isinstance(parent, (cst.If, cst.IfExp)):
        branches = {id(parent.body), id(parent.orelse)}
        if {id(a_child), id(b_child)} == branches:
            return True
    if isinstance(parent, cst.Match) and parent.subject not in (a_child, b_child):
        return True
    if isinstance(parent, (cst.Try, cst.TryStar)):
        parts = {_try_part(parent, a_child), _try_part(parent, b_child)}
        if "finally" in parts:
            return False
        if parts == {"body", "handler"} or parts == {"handler"} or parts == {"handler", "else"}:
            return True
    if _body(parent):
        return _ends_before(a, split - 1, b_child)
    return _ends_before(a, split, None)


def find_conflicts(calls: Sequence[ManagerCall], index: SourceIndex) -> list[Conflict]:
    """One conflict for each construction that makes a second instance."""
    placed = [_place(c, index) for c in calls]
    conflicts: list[Conflict] = []
    for position, later in enumerate(placed):
        root = later.chain[0]
        conflict: Conflict | None = None
        for earlier in placed[:position]:
            if earlier.chain[0] is not root:
                continue
            if earlier.call.kind is CallKind.ACCESSOR and later.call.kind is CallKind.ACCESSOR:
                continue
            if not _exclusive(earlier, later):
                conflict = Conflict(later.call.node, earlier.call.node, "path")
                break
        if conflict is None and later.loop is not None and later.call.kind is CallKind.CONSTRUCT:
            kind = "comprehension" if isinstance(later.loop, _COMPREHENSIONS) else "loop"
            conflict = Conflict(later.call.node, later.loop, kind)
        if conflict is not None:
            conflicts.append(conflict)
    return conflicts
