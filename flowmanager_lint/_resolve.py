"""Name resolution over the index's binding tables (``_scopes``): what a name is bound
to, the value an assignment stores, the qualified names of a callee, and where a
definition lives."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ._findings import LintConfig
from ._index import SourceIndex
from ._scopes import Assignment, BaseAssignment, FunctionScope, GlobalScope, ImportAssignment

__all__ = ["Resolver", "is_main_guard"]


def is_main_guard(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    has_name = any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides)
    has_main = any(
        isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides
    )
    return has_name and has_main


class Resolver:
    """Answers questions about names, using the index and the scope metadata."""

    def __init__(self, index: SourceIndex, config: LintConfig) -> None:
        self.index = index
        self.scopes = index.scopes
        self.config = config

    # -- bindings ----------------------------------------------------------------------

    def bindings(self, name: cst.Name) -> list[BaseAssignment]:
        """Every assignment ``name`` may refer to, in source order."""
        access = self.index.accesses.get(name)
        found = access.referents if access is not None else None
        if not found:
            scope = self.scopes.get(name)
            if scope is None:
                return []
            found = scope[name.value]
        return sorted(found, key=self._assignment_order)

    def binding(self, name: cst.Name) -> BaseAssignment | None:
        """The assignment ``name`` most likely refers to. In the scope that binds it, the
        last one before the use; from a function reading an outer name, the last one of
        all (the function runs after the module has finished binding its names)."""
        found = self.bindings(name)
        if not found:
            return None
        use_scope = self.scopes.get(name)
        use = self.index.order.get(name, 0)
        before = [a for a in found if a.scope is use_scope and self._assignment_order(a) < use]
        return (before or found)[-1]

    def _assignment_order(self, assignment: BaseAssignment) -> int:
        if isinstance(assignment, Assignment):
            return self.index.order.get(assignment.node, -1)
        return -1

    @staticmethod
    def is_trusted(assignment: BaseAssignment) -> bool:
        """Imported names and builtins: the linter trusts what it cannot see."""
        return isinstance(assignment, ImportAssignment) or not isinstance(assignment, Assignment)

    def definition(self, expr: cst.BaseExpression) -> cst.CSTNode | None:
        """The def, class, or assigned value a name refers to in this file (None when it
        is imported, a builtin, a parameter or unknown)."""
        if not isinstance(expr, cst.Name):
            return None
        found = self.binding(expr)
        if found is None or self.is_trusted(found):
            return None
        assert isinstance(found, Assignment)
        node = found.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return node
        if isinstance(node, cst.Name):
            return self.assigned_value(node)
        return None

    def parameter(self, expr: cst.BaseExpression) -> cst.Param | None:
        """The parameter a name refers to, when it is one."""
        if not isinstance(expr, cst.Name):
            return None
        found = self.binding(expr)
        if isinstance(found, Assignment) and isinstance(found.node, cst.Param):
            return found.node
        return None

    def assigned_value(self, target: cst.Name) -> cst.BaseExpression | None:
        """The expression stored in ``target``: ``x = v``, ``x: T = v``, ``(x := v)``,
        ``with v as x``, and ``a, x = u, v`` (element by element)."""
        parent = self.index.parent(target)
        if isinstance(parent, cst.AssignTarget):
            statement = self.index.parent(parent)
            return statement.value if isinstance(statement, cst.Assign) else None
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return parent.value
        if isinstance(parent, cst.NamedExpr) and parent.target is target:
            return parent.value
        if isinstance(parent, cst.AsName):
            item = self.index.parent(parent)
            return item.item if isinstance(item, cst.WithItem) else None
        if isinstance(parent, cst.Element):
            return self._unpacked_value(parent)
        return None

    def _unpacked_value(self, element: cst.Element) -> cst.BaseExpression | None:
        sequence = self.index.parent(element)
        holder = self.index.parent(sequence) if sequence is not None else None
        if not isinstance(sequence, (cst.Tuple, cst.List)) or not isinstance(
            holder, cst.AssignTarget
        ):
            return None
        statement = self.index.parent(holder)
        if not isinstance(statement, cst.Assign):
            return None
        value = statement.value
        if not isinstance(value, (cst.Tuple, cst.List)):
            return None
        if len(value.elements) != len(sequence.elements):
            return None
        if any(isinstance(e, cst.StarredElement) for e in sequence.elements):
            return None
        position = list(sequence.elements).index(element)
        return value.elements[position].value

    # -- qualified names -----------------------------------------------------------------

    def qualified_names(self, expr: cst.BaseExpression) -> list[str]:
        """The qualified names of a callee, sorted (``sqlite3.connect``, ``builtins.open``)."""
        full_name = get_full_name_for_node(expr)
        if full_name is None:
            return []
        root: cst.BaseExpression = expr
        while True:
            if isinstance(root, cst.Attribute):
                root = root.value
            elif isinstance(root, cst.Call):
                root = root.func
            elif isinstance(root, cst.Subscript):
                root = root.value
            else:
                break
        if not isinstance(root, cst.Name):
            return []
        found = set()
        for assignment in self.bindings(root):
            if isinstance(assignment, Assignment) and assignment.node is expr:
                continue
            qualified = assignment.qualified_name(full_name)
            if qualified is not None:
                found.add(qualified)
        return sorted(found)

    @staticmethod
    def root_name(expr: cst.BaseExpression) -> cst.Name | None:
        """The name a dotted callee starts from (``db`` in ``db.conn.cursor``), or None
        when it starts from something else (a call, a subscript, a literal)."""
        while isinstance(expr, cst.Attribute):
            expr = expr.value
        return expr if isinstance(expr, cst.Name) else None

    def spelled_name(self, expr: cst.BaseExpression) -> str | None:
        """The dotted name of a callee whose root the file binds nowhere (not even as a
        builtin): ``create_database_connection`` or ``helpers.connect`` when neither is
        defined or imported. Such a name can only come from outside the file (a star
        import, an injected global), so the linter judges it by its spelling, as it does a
        bare ``FlowManagerMP``. None when the root is bound here."""
        root = self.root_name(expr)
        if root is None or self.bindings(root):
            return None
        return get_full_name_for_node(expr)

    def is_functools(self, expr: cst.BaseExpression, name: str) -> bool:
        """Whether ``expr`` is ``functools.<name>`` (through any import spelling)."""
        return f"functools.{name}" in self.qualified_names(expr)

    # -- where a definition lives --------------------------------------------------------

    def function_scope_of(self, node: cst.FunctionDef) -> FunctionScope | None:
        """The scope a function's body runs in."""
        body = node.body
        scope = self.scopes.get(body.body[0] if body.body else body)
        return scope if isinstance(scope, FunctionScope) else None

    def runtime_qualname(self, node: cst.FunctionDef | cst.ClassDef) -> str:
        """``__qualname__`` as the interpreter would give it: ``main.<locals>.Saver.save``."""
        parts = [node.name.value]
        for ancestor in self.index.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                parts.append(f"{ancestor.name.value}.<locals>")
            elif isinstance(ancestor, cst.ClassDef):
                parts.append(ancestor.name.value)
            elif isinstance(ancestor, cst.Lambda):
                parts.append("<lambda>.<locals>")
        return ".".join(reversed(parts))

    def enclosing_function(self, node: cst.FunctionDef | cst.ClassDef) -> str | None:
        """The qualified name of the innermost function ``node`` is defined in, as the
        runtime would split it off ``__qualname__`` (None at module or class level)."""
        qualname = self.runtime_qualname(node)
        if ".<locals>" not in qualname:
            return None
        return qualname.rsplit(".<locals>", 1)[0]

    def only_under_main_guard(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        """Whether ``node`` (at module level, or in a class that is) is defined only inside
        ``if __name__ == "__main__":`` blocks, where a spawned child never looks."""
        outermost: cst.FunctionDef | cst.ClassDef = node
        guarded = False
        child: cst.CSTNode = node
        for ancestor in self.index.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, cst.ClassDef):
                outermost = ancestor
            if (
                isinstance(ancestor, cst.If)
                and ancestor.body is child
                and is_main_guard(ancestor.test)
            ):
                guarded = True
            child = ancestor
        if not guarded:
            return False
        return all(self._under_main_guard(a) for a in self._global_bindings(outermost))

    def _global_bindings(self, node: cst.FunctionDef | cst.ClassDef) -> list[BaseAssignment]:
        scope = self.scopes.get(node)
        if not isinstance(scope, GlobalScope):
            return []
        return list(scope[node.name.value])

    def _under_main_guard(self, assignment: BaseAssignment) -> bool:
        if not isinstance(assignment, Assignment):
            return False
        child: cst.CSTNode = assignment.node
        for ancestor in self.index.ancestors(assignment.node):
            if (
                isinstance(ancestor, cst.If)
                and ancestor.body is child
                and is_main_guard(ancestor.test)
            ):
                return True
            child = ancestor
        return False
