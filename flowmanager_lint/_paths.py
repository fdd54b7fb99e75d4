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
and is reported on its own, as the issue words it: also in a ``while True:``
whose body ends in ``break`` (one pass in fact; the linter does not prove how
often a loop runs, and creating the instance before the loop is the fix either
way). ``X.instance()`` returns the live instance, so two
accessor calls never conflict; a construction and an accessor call on one
path do, in either order. After an accessor, a construction makes a second
instance (the runtime refuses it); after a construction, the accessor returns
that one and ignores its own arguments, so the mix is reported as the mistake
it is (docs/linter.md says why). A construction after ``close_processes()`` still counts: the
guidelines say to reuse the one instance, while the runtime only refuses two
open ones.

Calls are compared through summaries (``_Earlier``) rather than pair by pair, so
thousands of exclusive branches in one scope stay near-linear.
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
# Exact-type sets for the hot loops: ``isinstance`` on libcst's ABC-based classes is slow,
# and none of these node classes is subclassed.
_BLOCK_TYPES: frozenset[type[cst.CSTNode]] = frozenset(_BLOCKS)
_COMPREHENSION_TYPES: frozenset[type[cst.CSTNode]] = frozenset(_COMPREHENSIONS)
_LOOP_TYPES: frozenset[type[cst.CSTNode]] = frozenset({cst.For, cst.While})
_TRY_TYPES: frozenset[type[cst.CSTNode]] = frozenset({cst.Try, cst.TryStar})
_END_TYPES: frozenset[type[cst.CSTNode]] = frozenset({cst.Return, cst.Raise})


@dataclass(frozen=True)
class Conflict:
    """``call`` makes a second instance: after ``other`` on its path, or on every pass
    of the loop or comprehension ``other``."""

    call: cst.Call
    other: cst.CSTNode
    kind: str  # "path", "loop" or "comprehension"
    #: ``call`` is ``FlowManagerMP.instance()`` after a construction (it would return that one).
    accessor: bool = False


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
    parents = index.parents
    node = parents.get(child)
    while node is not None:
        chain.append(node)
        kind = type(node)
        if (kind is cst.FunctionDef or kind is cst.Lambda) and child is node.body:  # type: ignore[attr-defined]
            break
        if loop is None:
            if (
                kind in _LOOP_TYPES
                and (child is node.body or (kind is cst.While and child is node.test))  # type: ignore[attr-defined]
            ) or (kind in _COMPREHENSION_TYPES and child is not node.for_in):  # type: ignore[attr-defined]
                loop = node
            elif kind is cst.CompFor and child is not node.iter:  # type: ignore[attr-defined]
                loop = parents.get(node)
            elif kind is cst.CompFor and type(parents.get(node)) not in _COMPREHENSION_TYPES:
                loop = parents.get(node)  # an inner ``for``: its iterable runs per pass
        child = node
        node = parents.get(node)
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

    def last_stop_before(self, block: cst.CSTNode, before: int) -> int:
        """The position of the last ``return``/``raise``/``break``/``continue`` statement
        of ``block`` before position ``before`` (0 when there is none): a call in an
        earlier statement cannot reach ``before``."""
        last = 0
        for positions in self._info(block)[1]:
            found = bisect.bisect_left(positions, before)
            if found:
                last = max(last, positions[found - 1])
        return last

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


def _ends_from(blocks: _Blocks, chain: Sequence[cst.CSTNode]) -> list[bool]:
    """For each depth ``k`` of ``chain`` (scope root first, call last): whether the path
    through ``chain[k:]`` ends before control leaves ``chain[k]`` (the call sits in a
    ``return``/``raise``, or one follows it in some enclosing block below ``chain[k]``).
    A ``break``/``continue`` inside a loop that is itself below ``chain[k]``, and a
    ``raise`` inside a ``try`` with handlers there, do not end it.

    Computed bottom-up for all depths at once, for the four states of those two
    exceptions, so that placing a call costs its depth, not its depth squared."""
    size = len(chain)
    # ends[(raises, escapes)] for depth k+1, replaced while k goes up.
    below = {(True, True): False, (True, False): False, (False, True): False, (False, False): False}
    result = [False] * size
    for depth in range(size - 2, -1, -1):
        node, child = chain[depth], chain[depth + 1]
        kind = type(node)
        keeps_raises = not (
            kind in _TRY_TYPES
            and child is node.body  # type: ignore[attr-defined]
            and node.handlers  # type: ignore[attr-defined]
        )
        keeps_escapes = not (kind in _LOOP_TYPES and child is node.body)  # type: ignore[attr-defined]
        is_block = kind in _BLOCK_TYPES
        child_kind = type(child)
        here: dict[tuple[bool, bool], bool] = {}
        for raises, escapes in below:
            ends = below[(raises and keeps_raises, escapes and keeps_escapes)]
            if not ends and is_block:
                if child_kind is cst.Return or (raises and child_kind is cst.Raise):
                    ends = True
                else:
                    position = blocks.position(node, child)
                    ends = blocks.stops_between(node, position, len(_body(node)), raises, escapes)
            here[(raises, escapes)] = ends
        below = here
        result[depth] = here[(True, True)]
    return result


def _try_part(node: cst.Try | cst.TryStar, child: cst.CSTNode) -> str:
    if child is node.body:
        return "body"
    if child is node.orelse:
        return "else"
    if child is node.finalbody:
        return "finally"
    return "handler"


class _Earlier:
    """The constructions (and accessor calls) met so far in one scope, arranged so that
    the first one on a later call's path is found without comparing the later call
    with every earlier one (which made many exclusive branches quadratic).

    Two calls part at the deepest node their chains share: the later call goes on
    into child ``C``, the earlier one went into a sibling ``X``. Whether they
    exclude each other depends on the parting node, ``X`` and ``C`` (branches of one
    ``if``, cases of one ``match``, parts of one ``try``, a ``return`` between two
    statements of a block), and otherwise only on the earlier call's own path below
    ``X`` (whether it ends before leaving ``X``). So each node ``X`` keeps the first
    earlier call under it whose path does not end inside ``X`` ("open" there), and a
    block keeps its children with such calls in statement order.
    """

    def __init__(self, blocks: _Blocks, order: dict[cst.CSTNode, int]) -> None:
        self.blocks = blocks
        self.order = order
        # Keyed by ``construct_only``: a later accessor call ignores earlier accessors.
        self.open: dict[bool, dict[cst.CSTNode, _Placed]] = {False: {}, True: {}}
        # The first call whose path goes through a node, open or not (``finally`` runs
        # after a body that returns or raises, too).
        self.through: dict[bool, dict[cst.CSTNode, _Placed]] = {False: {}, True: {}}
        self.ends_here: dict[bool, dict[cst.CSTNode, _Placed]] = {False: {}, True: {}}
        self.children: dict[bool, dict[cst.CSTNode, list[cst.CSTNode]]] = {False: {}, True: {}}
        self.in_block: dict[bool, dict[cst.CSTNode, tuple[list[int], list[_Placed]]]] = {
            False: {},
            True: {},
        }

    def add(self, placed: _Placed) -> None:
        chain = placed.chain
        ends = _ends_from(self.blocks, chain)
        kinds = (False, True) if placed.call.kind is CallKind.CONSTRUCT else (False,)
        for construct_only in kinds:
            self.ends_here[construct_only].setdefault(chain[-1], placed)
            opened = self.open[construct_only]
            through = self.through[construct_only]
            for depth in range(1, len(chain)):
                through.setdefault(chain[depth - 1], placed)
                child = chain[depth]
                if ends[depth] or child in opened or type(child) in _END_TYPES:
                    continue
                opened[child] = placed
                parent = chain[depth - 1]
                self.children[construct_only].setdefault(parent, []).append(child)
                if type(parent) in _BLOCK_TYPES:
                    positions, calls = self.in_block[construct_only].setdefault(parent, ([], []))
                    positions.append(self.blocks.position(parent, child))
                    calls.append(placed)

    def first_on_path(self, later: _Placed) -> _Placed | None:
        """The first earlier call that can run before ``later`` on one path."""
        construct_only = later.call.kind is CallKind.ACCESSOR
        ends_here = self.ends_here[construct_only]
        found: list[_Placed] = []
        chain = later.chain
        for depth in range(len(chain) - 1):
            node, child = chain[depth], chain[depth + 1]
            inside = ends_here.get(node)
            if inside is not None:
                found.append(inside)  # ``later`` is in that call's arguments
            found.extend(self._siblings(node, child, depth, construct_only))
        if not found:
            return None
        return min(found, key=lambda placed: self.order[placed.call.node])

    def _siblings(
        self, node: cst.CSTNode, child: cst.CSTNode, depth: int, construct_only: bool
    ) -> list[_Placed]:
        """The first open call under each child of ``node`` (at ``depth`` of the chains)
        before ``child`` that is not exclusive with ``child``."""
        opened = self.open[construct_only]
        kind = type(node)
        if kind in _BLOCK_TYPES:
            entries = self.in_block[construct_only].get(node)
            if entries is None:
                return []
            positions, calls = entries
            before = self.blocks.position(node, child)
            start = bisect.bisect_left(positions, self.blocks.last_stop_before(node, before))
            # Positions grow with source order: the first entry in range is the earliest.
            if start < len(positions) and positions[start] < before:
                return [calls[start]]
            return []
        if isinstance(node, (cst.Try, cst.TryStar)):
            part = _try_part(node, child)
            if part in ("body", "handler"):
                return []  # nothing of the try comes before the body; handlers exclude
            if part == "else":
                body = opened.get(node.body)
                return [body] if body is not None else []
            # ``finally`` runs whatever the other parts did: the first call under the
            # ``try`` (its other parts come first) is on the path, ended or not.
            first = self.through[construct_only].get(node)
            if first is not None and first.chain[depth + 1] is not child:
                return [first]
            return []
        if isinstance(node, cst.Match):
            if child is node.subject:
                return []
            subject = opened.get(node.subject)
            return [subject] if subject is not None else []
        siblings = self.children[construct_only].get(node)
        if siblings is None:
            return []
        found = []
        for sibling in siblings:
            if sibling is child:
                continue
            if isinstance(node, (cst.If, cst.IfExp)) and {id(sibling), id(child)} == {
                id(node.body),
                id(node.orelse),
            }:
                continue
            found.append(opened[sibling])
        return found


def find_conflicts(calls: Sequence[ManagerCall], index: SourceIndex) -> list[Conflict]:
    """One conflict for each construction that makes a second instance."""
    blocks = _Blocks()
    by_scope: dict[cst.CSTNode, _Earlier] = {}
    conflicts: list[Conflict] = []
    for call in calls:  # in source order
        later = _place(call, index)
        earlier = by_scope.get(later.chain[0])
        if earlier is None:
            earlier = by_scope[later.chain[0]] = _Earlier(blocks, index.order)
        conflict = _conflict(earlier, later)
        if conflict is not None:
            conflicts.append(conflict)
        earlier.add(later)
    return conflicts


def _conflict(earlier: _Earlier, later: _Placed) -> Conflict | None:
    """The first earlier call of the same scope on ``later``'s path, else its loop."""
    other = earlier.first_on_path(later)
    if other is not None:
        return Conflict(later.call.node, other.call.node, "path",
                        accessor=later.call.kind is CallKind.ACCESSOR)
    if later.loop is not None and later.call.kind is CallKind.CONSTRUCT:
        kind = "comprehension" if isinstance(later.loop, _COMPREHENSIONS) else "loop"
        return Conflict(later.call.node, later.loop, kind)
    return None
