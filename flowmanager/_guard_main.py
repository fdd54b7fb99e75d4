"""Is a name of the main module bound only under ``if __name__ == "__main__":``?

A child started with spawn or forkserver imports the parent's main script as
``__mp_main__``: the guarded block does not run there, so a function defined only inside
it cannot be found when the child unpickles the result processor. Pickling by name
succeeds in the parent, so only the script's source can tell; this module reads it (with
the standard ``ast``) and caches what it learned by path, modification time and size.
"""

from __future__ import annotations

import ast
import os
import sys
import tokenize

__all__ = ["bound_only_in_main_block"]

# path -> ((mtime_ns, size), names bound only under the guard)
_CACHE: dict[str, tuple[tuple[int, int], frozenset[str]]] = {}


def bound_only_in_main_block(name: str) -> bool:
    """Whether the running main script binds ``name`` only inside its main guard.

    ``False`` when there is no source to read (an interactive session, ``python -c``),
    and when the name is bound anywhere a child would run it too.
    """
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(path, str):
        return False
    try:
        stat = os.stat(path)
    except OSError:
        return False
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _main_only_names(path))
        _CACHE[path] = cached
    return name in cached[1]


def _main_only_names(path: str) -> frozenset[str]:
    try:
        with tokenize.open(path) as source:  # honours a coding cookie, like the interpreter
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return frozenset()
    inside: set[str] = set()
    outside: set[str] = set()
    _collect(tree.body, False, inside, outside)
    return frozenset(inside - outside)


def _guard_kind(test: ast.expr) -> str | None:
    """``"eq"`` for ``__name__ == "__main__"``, ``"ne"`` for ``!=``, else ``None``."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    sides = (test.left, test.comparators[0])
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    if not (names and mains):
        return None
    if isinstance(test.ops[0], ast.Eq):
        return "eq"
    return "ne" if isinstance(test.ops[0], ast.NotEq) else None


def _collect(body: list[ast.stmt], in_main: bool, inside: set[str], outside: set[str]) -> None:
    for stmt in body:
        kind = _guard_kind(stmt.test) if isinstance(stmt, ast.If) else None
        if isinstance(stmt, ast.If) and kind is not None:
            # The else branch of `== "__main__"` is exactly what a spawned child runs.
            _collect(stmt.body, in_main or kind == "eq", inside, outside)
            _collect(stmt.orelse, in_main or kind == "ne", inside, outside)
            continue
        _bind(stmt, inside if in_main else outside, in_main, inside, outside)


def _bind(node: ast.AST, into: set[str], in_main: bool, inside: set[str],
          outside: set[str]) -> None:
    """Add the module-level names ``node`` binds; nested scopes bind nothing here."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        into.add(node.name)
        return
    if isinstance(node, ast.Lambda):
        return
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        into.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        into.add(node.id)
    elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        into.add(node.name)
    elif isinstance(node, ast.MatchMapping) and node.rest:
        into.add(node.rest)
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _guard_kind(child.test) is not None:
            _collect([child], in_main, inside, outside)  # a guard nested in a try: or with:
        else:
            _bind(child, into, in_main, inside, outside)
