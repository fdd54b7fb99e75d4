"""Where a node starts, as (line, column): 1-based line, 0-based column in characters.

libcst's PositionProvider re-generates the whole module's code to count
characters, which costs several times the parse. The engine already holds the
``ast`` tree of the same source (its syntax gate), so it maps the few nodes it
reports instead: the k-th ``Call`` (loop, comprehension) in libcst's source order
is the k-th in ``ast`` source order. When the counts of a kind disagree, the
engine falls back to PositionProvider for the whole file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import libcst as cst

from ._index import LOCATED_KINDS, SourceIndex

__all__ = ["AstLocator", "Locate"]

#: A function from a node to its start.
Locate = Callable[[cst.CSTNode], tuple[int, int]]

_AST_KINDS: dict[str, tuple[type[ast.AST], ...]] = {
    "Call": (ast.Call,),
    "For": (ast.For, ast.AsyncFor),
    "While": (ast.While,),
    "ListComp": (ast.ListComp,),
    "SetComp": (ast.SetComp,),
    "DictComp": (ast.DictComp,),
    "GeneratorExp": (ast.GeneratorExp,),
}
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _source_order(node: ast.AST) -> tuple[int, int, int, int]:
    # An enclosing node starts where its first child does (``f()()``), so at the same
    # start the longer one comes first, as in a pre-order walk.
    return (
        node.lineno,  # type: ignore[attr-defined]
        node.col_offset,  # type: ignore[attr-defined]
        -(node.end_lineno or 0),  # type: ignore[attr-defined]
        -(node.end_col_offset or 0),  # type: ignore[attr-defined]
    )


class AstLocator:
    """Positions of indexed libcst nodes (and call arguments) from the ``ast`` tree."""

    def __init__(self, source: str, tree: ast.Module, index: SourceIndex) -> None:
        self._lines = _NEWLINE.split(source)
        self._index = index
        by_kind: dict[str, list[ast.AST]] = {kind: [] for kind in _AST_KINDS}
        lookup = {t: kind for kind, types in _AST_KINDS.items() for t in types}
        for node in ast.walk(tree):
            kind = lookup.get(type(node))
            if kind is not None:
                by_kind[kind].append(node)
        self._nodes = {kind: sorted(nodes, key=_source_order) for kind, nodes in by_kind.items()}

    @classmethod
    def create(cls, source: str, tree: ast.Module, index: SourceIndex) -> AstLocator | None:
        """A locator, or None when the two trees do not count the same nodes."""
        locator = cls(source, tree, index)
        for kind, count in index.kind_counts.items():
            if len(locator._nodes[kind]) != count:
                return None
        return locator

    def __call__(self, node: cst.CSTNode) -> tuple[int, int]:
        found = self._find(node)
        line: int = found.lineno  # type: ignore[attr-defined]
        offset: int = found.col_offset  # type: ignore[attr-defined]
        return line, self._characters(line, offset)

    def _find(self, node: cst.CSTNode) -> ast.AST:
        kind = LOCATED_KINDS.get(type(node))
        if kind is not None:
            return self._nodes[kind][self._index.ordinals[node]]
        # An argument's value: find the argument among its call's.
        arg = self._index.parent(node)
        call = self._index.parent(arg) if arg is not None else None
        if not isinstance(arg, cst.Arg) or not isinstance(call, cst.Call):
            raise LookupError(f"no ast position for {type(node).__name__}")
        ast_call = self._find(call)
        assert isinstance(ast_call, ast.Call)
        is_keyword = arg.keyword is not None or arg.star == "**"
        same = [a for a in call.args if (a.keyword is not None or a.star == "**") == is_keyword]
        position = same.index(arg)
        return ast_call.keywords[position].value if is_keyword else ast_call.args[position]

    def _characters(self, line: int, offset: int) -> int:
        """``ast`` counts UTF-8 bytes; editors, flake8 and SARIF readers want characters."""
        text = self._lines[line - 1] if line - 1 < len(self._lines) else ""
        if text.isascii():
            return offset
        return len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace"))
