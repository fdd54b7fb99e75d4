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

import bisect
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


class _Blocks:
    """Where each statement sits in its block, and where the block's ``return``,
    ``raise`` and ``break``/``continue`` statements are: computed once per block, so
    that many calls in one long block stay linear."""

    def __init__(self) -> None:
        self._cache: dict[cst.CSTNode, tuple[dict[cst.CSTNode, int], list[list[int]]]] = {}

    def _info(self, block: cst.CSTNode) -> tuple[dict[cst.CSTNode, int], list[list[int]]]:
        found = self._cache.get(block)
        if found is None:
            statements = _body(block)
            stops: list[list[int]] = [[], [], []]  # return, raise, break/continue
            for position, statement in enumerate(statements):
                smalls = (
                    statement.body
                    if isinstance(statement, cst.SimpleStatementLine)
                    else (statement,)
                )
                for small in smalls:
                    if isinstance(small, cst.Return):
                        stops[0].append(position)
                    elif isinstance(small, cst.Raise):
                        stops[1].append(position)
                    elif isinstance(small, _ESCAPES):
                        stops[2].append(position)
            found = ({s: i for i, s in enumerate(statements)}, stops)
            self._cache[block] = found
        return found

    def position(self, block: cst.CSTNode, statement: cst.CSTNode) -> int:
        return self._info(block)[0][statement]

    def stops_between(
        self, block: cst.CSTNode, after: int, before: int, raises: bool, escapes: bool
    ) -> bool:
        """Whether a statement strictly between the two positions ends the path:
        ``return`` always, ``raise`` and ``break``/``continue`` when they leave the region."""
        stops = self._info(block)[1]
        for kind, counts in enumerate((True, raises, escapes)):
            if counts:
                positions = stops[kind]
                first = bisect.bisect_right(positions, after)
                if first < len(positions) and positions[first] < before:
                    return True
        return False


def _ends_before(
    blocks: _Blocks, chain: Sequence[cst.CSTNode], start: int, stop_child: cst.CSTNode | None
) -> bool:
    """Whether the path through ``chain[start:]`` (deepest last) ends before control
    leaves ``chain[start]``: the call sits in a ``return``/``raise``, or one follows it
    in some enclosing block. In ``chain[start]`` itself only statements before
    ``stop_child`` count. A ``break``/``continue`` inside a loop that is itself inside
    the region, and a ``raise`` inside a ``try`` with handlers there, do not end it."""
    escapes = raises = True
    for depth in range(start, len(chain) - 1):
        node, child = chain[depth], chain[depth + 1]
        if isinstance(node, _BLOCKS):
            if isinstance(child, cst.Return) or (raises and isinstance(child, cst.Raise)):
                return True  # ``return FlowManagerMP(...)``: nothing after it runs
            position = blocks.position(node, child)
            end = len(_body(node))
            if depth == start and stop_child is not None:
                end = blocks.position(node, stop_child)
            if blocks.stops_between(node, position, end, raises, escapes):
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


def _exclusive(blocks: _Blocks, first: _Placed, second: _Placed) -> bool:
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
        return _ends_before(blocks, a, split - 1, b_child)
    return _ends_before(blocks, a, split, None)


def find_conflicts(calls: Sequence[ManagerCall], index: SourceIndex) -> list[Conflict]:
    """One conflict for each construction that makes a second instance."""
    blocks = _Blocks()
    by_scope: dict[cst.CSTNode, list[_Placed]] = {}
    conflicts: list[Conflict] = []
    for call in calls:  # in source order
        later = _place(call, index)
        earlier_ones = by_scope.setdefault(later.chain[0], [])
        conflict = _conflict(blocks, later, earlier_ones)
        if conflict is not None:
            conflicts.append(conflict)
        earlier_ones.append(later)
    return conflicts


def _conflict(blocks: _Blocks, later: _Placed, earlier_ones: Sequence[_Placed]) -> Conflict | None:
    """The first earlier call of the same scope on ``later``'s path, else its loop."""
    for earlier in earlier_ones:
        if earlier.call.kind is CallKind.ACCESSOR and later.call.kind is CallKind.ACCESSOR:
            continue
        if not _exclusive(blocks, earlier, later):
            return Conflict(later.call.node, earlier.call.node, "path")
    if later.loop is not None and later.call.kind is CallKind.CONSTRUCT:
        kind = "comprehension" if isinstance(later.loop, _COMPREHENSIONS) else "loop"
        return Conflict(later.call.node, later.loop, kind)
    return None
