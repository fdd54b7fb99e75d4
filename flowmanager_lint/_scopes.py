"""The binding tables of one module: its scopes, what each binds, and what each name
read may refer to.

They follow libcst's ScopeProvider (the engine used it before; the rules were
written against its answers), built during the engine's one walk instead of by
two more walks of the tree:

* a scope per module, function, lambda, class body and comprehension; a class body
  is invisible to the functions nested in it; ``global`` and ``nonlocal`` send a
  name's assignments and reads to the module or the enclosing function;
* an assignment counts for a read in the same scope only when it comes before the
  read (by the scope's count of assignment-like statements, as libcst counts); a
  read from a nested scope sees every assignment, since the nested code runs
  later; a name the module never binds may be a builtin;
* qualified names: ``import a.b as c`` makes ``c.X`` read ``a.b.X``, a local
  definition is ``f.<locals>.name``, a builtin ``builtins.name``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator

import libcst as cst
from libcst.helpers import get_full_name_for_node

__all__ = [
    "Access",
    "Assignment",
    "BaseAssignment",
    "BuiltinAssignment",
    "ClassScope",
    "ComprehensionScope",
    "FunctionScope",
    "GlobalScope",
    "ImportAssignment",
    "Scope",
]


class BaseAssignment:
    """Something a name may refer to."""

    def __init__(self, name: str, scope: Scope) -> None:
        self.name = name
        self.scope = scope
        #: The reads that may refer to this assignment.
        self.references: list[Access] = []
        self.index = -1

    def qualified_name(self, full_name: str) -> str | None:
        raise NotImplementedError


class Assignment(BaseAssignment):
    """A binding in the file: ``node`` is the bound Name, Param, FunctionDef, ClassDef,
    or (for an ImportAssignment) the Import/ImportFrom statement."""

    def __init__(self, name: str, scope: Scope, node: cst.CSTNode, index: int) -> None:
        super().__init__(name, scope)
        self.node = node
        self.index = index

    def qualified_name(self, full_name: str) -> str | None:
        prefix = self.scope.name_prefix
        return f"{prefix}.{full_name}" if prefix else full_name


class ImportAssignment(Assignment):
    """A name an import binds."""

    def qualified_name(self, full_name: str) -> str | None:
        node = self.node
        assert isinstance(node, (cst.Import, cst.ImportFrom))
        module = ""
        if isinstance(node, cst.ImportFrom):
            if node.module is not None:
                module = get_full_name_for_node(node.module) or ""
            if node.relative:
                module = "." * len(node.relative) + module
        if isinstance(node.names, cst.ImportStar):
            return None
        for alias in node.names:
            real = get_full_name_for_node(alias.name)
            if not real:
                continue
            parts = real.split(".")
            # ``import a.b.c`` binds ``a``: match the longest imported prefix of the name.
            for end in range(len(parts), 0, -1):
                real_name = as_name = ".".join(parts[:end])
                if module.endswith("."):
                    real_name = f"{module}{real_name}"
                elif module:
                    real_name = f"{module}.{real_name}"
                if alias.asname is not None:
                    as_name = alias.evaluated_alias or as_name
                if not full_name.startswith(as_name):
                    continue
                rest = full_name[len(as_name) :]
                if rest and not rest.startswith("."):
                    continue
                rest = rest.lstrip(".")
                return f"{real_name}.{rest}" if rest else real_name
        return None


class BuiltinAssignment(BaseAssignment):
    """A builtin the module does not rebind."""

    def qualified_name(self, full_name: str) -> str | None:
        return f"builtins.{self.name}"


class Access:
    """A read of a name; ``referents`` are filled in once the whole module is walked."""

    __slots__ = ("index", "node", "referents", "scope")

    def __init__(self, node: cst.Name, scope: Scope) -> None:
        self.node = node
        self.scope = scope
        self.index = scope.assignment_count
        self.referents: list[BaseAssignment] = []


class Scope:
    """One namespace. ``parent`` of the module scope is the module scope itself."""

    name_prefix = ""

    def __init__(self, parent: Scope | None) -> None:
        self.parent: Scope = parent if parent is not None else self
        self.globals: GlobalScope = parent.globals if parent is not None else self  # type: ignore[assignment]
        self._assignments: dict[str, list[BaseAssignment]] = {}
        self._overwrites: dict[str, Scope] = {}
        #: How many assignment-like statements the walk has left in this scope so far.
        self.assignment_count = 0

    # -- recording (during the walk) ---------------------------------------------------------

    def _target(self, name: str) -> Scope:
        """The scope an assignment of ``name`` here binds in."""
        declared = self._overwrites.get(name)
        if declared is None:
            return self
        return declared.visible_from(self)._target(name)

    def record_assignment(self, name: str, node: cst.CSTNode) -> None:
        target = self._target(name)
        target._add(Assignment(name, target, node, target.assignment_count))

    def record_import(self, name: str, node: cst.Import | cst.ImportFrom) -> None:
        target = self._target(name)
        target._add(ImportAssignment(name, target, node, target.assignment_count))

    def _add(self, assignment: BaseAssignment) -> None:
        self._assignments.setdefault(assignment.name, []).append(assignment)

    def declare_global(self, name: str) -> None:
        if self is not self.globals:
            self._overwrites[name] = self.globals

    def declare_nonlocal(self, name: str) -> None:
        self._overwrites[name] = self.parent

    # -- lookups ---------------------------------------------------------------------------

    def hidden_from_children(self) -> bool:
        """A class body's names are not visible in the functions nested in it."""
        return False

    def visible_from(self, from_scope: Scope) -> Scope:
        """``self``, or the nearest enclosing scope whose names ``from_scope`` can see."""
        scope = self
        while scope.hidden_from_children() and scope.parent is not scope:
            scope = scope.parent
        return scope

    def lookup(self, name: str, from_scope: Scope | None = None) -> list[BaseAssignment]:
        """Every assignment ``name`` may refer to when read in this scope, whatever the order."""
        from_scope = from_scope or self
        declared = self._overwrites.get(name)
        if declared is not None:
            return declared.visible_from(from_scope).lookup(name, from_scope)
        found = self._assignments.get(name)
        if found:
            return found
        return self.parent.visible_from(from_scope).lookup(name, from_scope)

    def __getitem__(self, name: str) -> list[BaseAssignment]:
        return self.lookup(name)

    @property
    def assignments(self) -> Iterator[BaseAssignment]:
        """Every assignment bound in this scope."""
        for found in self._assignments.values():
            yield from found


class GlobalScope(Scope):
    """The module's top level."""

    def __init__(self) -> None:
        super().__init__(None)
        self._builtins: dict[str, BuiltinAssignment] = {}

    def lookup(self, name: str, from_scope: Scope | None = None) -> list[BaseAssignment]:
        found = self._assignments.get(name)
        if found:
            return found
        if hasattr(builtins, name):
            builtin = self._builtins.get(name)
            if builtin is None:
                builtin = self._builtins[name] = BuiltinAssignment(name, self)
            return [builtin]
        return []

    def resolve_accesses(self, accesses: Iterable[Access]) -> None:
        """Fill in what every read may refer to, and the reverse."""
        for access in accesses:
            scope = access.scope
            name = access.node.value
            found = scope.lookup(name)
            same_order = not isinstance(scope, ComprehensionScope)
            earlier = [
                a for a in found if a.scope is not scope or not same_order or a.index < access.index
            ]
            if not earlier and found and scope.parent is not scope:
                # Only later assignments in its own scope: it reads the enclosing one's.
                earlier = scope.parent.lookup(name, scope)
            access.referents = earlier
            for assignment in earlier:
                assignment.references.append(access)


class FunctionScope(Scope):
    """A function's or a lambda's body."""

    def __init__(self, parent: Scope, name: str | None) -> None:
        super().__init__(parent)
        self.name_prefix = ".".join(filter(None, [parent.name_prefix, name, "<locals>"]))


class ClassScope(Scope):
    """A class body."""

    def __init__(self, parent: Scope, name: str) -> None:
        super().__init__(parent)
        self.name_prefix = ".".join(filter(None, [parent.name_prefix, name]))

    def hidden_from_children(self) -> bool:
        return True


class ComprehensionScope(Scope):
    """A comprehension or generator expression; its first iterable runs outside it."""

    def __init__(self, parent: Scope, first_for: cst.CompFor) -> None:
        super().__init__(parent)
        self.first_for = first_for
        self.name_prefix = ".".join(filter(None, [parent.name_prefix, "<comprehension>"]))
