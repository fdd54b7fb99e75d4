"""The engine: one source text in, the FlowManagerMP findings out.

The stages, each skipped when the one before finds nothing to do:

1. a plain substring test for the configured names (no import, no parse);
2. ``ast.parse`` (C, fast) as the syntax gate: CPython's own verdict and message
   for a file that does not parse, and its recursion guard for absurdly nested
   input, which would otherwise reach libcst's native parser (it can crash);
3. ``libcst.parse_module`` and one walk (``_index``) that records parents, source
   order, the calls spelled with a FlowManagerMP name, and the binding tables of
   every scope (``_scopes``, in place of libcst's ScopeProvider, which costs several
   parses);
4. the binding tables and qualified names tell which of those calls are
   FlowManagerMP (``_calls``), what their result processors are (``_processor``,
   ``_captured``), and which constructions share a path (``_paths``);
5. positions of what is reported, taken from the ``ast`` tree of stage 2
   (``_positions``), with libcst's PositionProvider as the fallback.

Why the rules exist, in processes: the caller's process owns the FlowManagerMP
and submits tasks; an executor process runs the jobs; in parallel mode a result
process receives every result and, pickled, the result processor (FMP101-103:
what cannot make that trip). A second instance starts a second executor and
result process that compete with the first for the same CPUs (FMP001).

The checked code is never imported or run.
"""

from __future__ import annotations

import ast
import warnings
from typing import TYPE_CHECKING, NoReturn

from flowmanager import rules

from ._findings import DEFAULT_CONFIG, Finding, LintConfig, LintSyntaxError
from ._prefilter import mentions_flowmanager, short_names

if TYPE_CHECKING:
    import libcst as cst

    from ._index import SourceIndex

__all__ = ["MAX_NESTING", "TOO_NESTED", "lint_source"]

#: How deeply a module may nest for the analysis, in levels of libcst's tree: each
#: operator of a chain ``a + b + ...`` and each call of ``f()()...`` is a level, so
#: about 800 of them. The later stages follow chains of nodes recursively, and this
#: keeps them well inside the interpreter's stack. It is the linter's own limit:
#: CPython parses a chain of about 3,000 operators (pyflakes, under flake8, gives
#: up at about 330).
MAX_NESTING = 800

#: The message of the LintSyntaxError raised when a file that Python accepts nests
#: deeper than the analysis goes.
TOO_NESTED = (
    f"the file nests more than {MAX_NESTING} levels deep, flowmanager-lint's own limit "
    "(Python accepts it), so it was not checked; split the deepest expression into "
    "smaller ones"
)


def _too_nested_for_python(error: RecursionError | MemoryError) -> str:
    """CPython's parser refused the nesting: its own words, as for a syntax error."""
    detail = str(error) or "out of memory"
    return (
        f"{type(error).__name__}: {detail} (Python's own parser cannot read code nested "
        "this deeply); split the deepest expression into smaller ones"
    )


def lint_source(source: str, config: LintConfig = DEFAULT_CONFIG) -> list[Finding]:
    """Findings sorted by (line, col). Raises LintSyntaxError(message, line, col) when the
    source does not parse. Never imports or runs the checked code. Files that do not
    mention any configured name are not parsed.

    A file that Python parses but that nests deeper than the analysis goes
    (``MAX_NESTING``) also raises LintSyntaxError, with the message ``TOO_NESTED``
    at line 1, column 0: the file is reported as not checked rather than passed as
    clean. A file too deep for CPython's own parser gets CPython's error instead.
    """
    if not mentions_flowmanager(source, config):
        return []
    source = source.removeprefix("\ufeff")
    tree = _check_syntax(source)
    try:
        return _analyse(source, tree, config)
    except RecursionError:
        raise LintSyntaxError(TOO_NESTED, 1, 0) from None


def _check_syntax(source: str) -> ast.Module:
    """CPython's verdict, with its message and location; the tree when it parses."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like are the compiler's to report, not ours.
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as error:
        line = error.lineno or 1
        col = max((error.offset or 1) - 1, 0)
        raise LintSyntaxError(f"{type(error).__name__}: {error.msg}", line, col) from None
    except ValueError as error:  # null bytes, on Python < 3.12
        raise LintSyntaxError(f"SyntaxError: {error}", 1, 0) from None
    except (RecursionError, MemoryError) as error:
        raise LintSyntaxError(_too_nested_for_python(error), 1, 0) from None


def _compile_verdict(source: str, fallback: str) -> NoReturn:
    """The compiler's SyntaxError for what the parser let through (it compiles, it never
    runs the code); ``fallback`` when the compiler accepts it after all."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<lint>", "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 1
        col = max((error.offset or 1) - 1, 0)
        raise LintSyntaxError(f"{type(error).__name__}: {error.msg}", line, col) from None
    raise LintSyntaxError(f"SyntaxError: {fallback}", 1, 0)


def _parse(source: str) -> cst.Module:
    import libcst as cst

    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # Python accepted the file but libcst's grammar does not (yet).
        message = f"libcst cannot parse this file: {error.message}"
        raise LintSyntaxError(message, error.raw_line, error.raw_column) from None
    except Exception as error:  # libcst's native parser reports its own failures
        raise LintSyntaxError(f"libcst cannot parse this file: {error}", 1, 0) from None


def _ast_positions(
    source: str, tree: ast.Module, index: SourceIndex, nodes: list[cst.CSTNode]
) -> dict[cst.CSTNode, tuple[int, int]] | None:
    """The starts of ``nodes`` from the ``ast`` tree, or None when it cannot give them."""
    from ._positions import AstLocator

    locator = AstLocator.create(source, tree, index)
    if locator is None:
        return None
    try:
        return {node: locator(node) for node in nodes}
    except (LookupError, AssertionError):
        return None


def _analyse(
    source: str, tree: ast.Module, config: LintConfig, *, ast_positions: bool = True
) -> list[Finding]:
    """Everything after the syntax gate. ``ast_positions=False`` takes every position
    from libcst's PositionProvider (the tests compare both ways)."""
    from ._calls import recognise
    from ._index import SourceIndex
    from ._paths import find_conflicts
    from ._processor import ProcessorBuilder
    from ._resolve import Resolver

    names = short_names(config)
    module = _parse(source)
    index = SourceIndex.build(module, names)
    candidates = index.candidate_calls()
    if not candidates:
        return []
    if index.nonlocal_at_module_level:
        _compile_verdict(source, "nonlocal declaration not allowed at module level")
    resolver = Resolver(index, config)
    calls = [c for c in (recognise(node, names, resolver) for node in candidates) if c]

    builder = ProcessorBuilder(resolver)
    reports: list[tuple[cst.CSTNode, rules.Violation]] = []
    for call in calls:
        if call.processor is None or call.serial is not False:
            continue
        info = builder.describe(call.processor)
        violation = rules.judge_processor(info, call.serial) if info is not None else None
        if violation is not None:
            reports.append((call.processor, violation))
    conflicts = find_conflicts(calls, index)
    if not reports and not conflicts:
        return []

    nodes = (
        [node for node, _ in reports] + [c.call for c in conflicts] + [c.other for c in conflicts]
    )
    located = _ast_positions(source, tree, index, nodes) if ast_positions else None
    if located is None:  # the trees disagree: pay for libcst's own positions
        from libcst.metadata import MetadataWrapper, PositionProvider

        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        located = {}
        for node in nodes:
            code_range = positions[node]
            located[node] = (code_range.start.line, code_range.start.column)
    start = located.__getitem__

    for conflict in conflicts:
        line = start(conflict.other)[0]
        where = {
            "path": f"on the same path as the one at line {line}",
            "loop": f"on every pass of the loop at line {line}",
            "comprehension": f"for every item of the comprehension at line {line}",
        }[conflict.kind]
        reports.append((conflict.call, rules.judge_instances(where, accessor=conflict.accessor)))
    findings = [
        Finding(*start(node), violation.code, violation.lint_text) for node, violation in reports
    ]
    return sorted(findings)
