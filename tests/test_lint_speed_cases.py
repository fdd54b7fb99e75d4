"""Cases for the fast engine: its own binding tables (in place of libcst's
ScopeProvider), FMP001 over many exclusive branches (near-linear now), and the
nesting the analysis accepts. Whole messages, through the public function."""

from __future__ import annotations

import textwrap

import pytest

from flowmanager_lint import Finding, LintSyntaxError, lint_source

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"

FMP001_TAIL = (
    "; one instance runs every job of a process, so another one only competes with it for "
    "the same CPUs; fix: create one FlowManagerMP and reuse it (FlowManagerMP.instance() "
    "returns the live one)"
)
LAMBDA = (
    "FMP101 result processor '<lambda>' is a lambda; a lambda has no importable name, so it "
    "cannot be pickled for parallel result processing; fix: define the result processor "
    "with def at module level, or pass serial_processing=True"
)


def same_path(line: int) -> str:
    return (
        f"FMP001 a second FlowManagerMP is created on the same path as the one at line {line}"
        + (FMP001_TAIL)
    )


def every_pass(line: int) -> str:
    return f"FMP001 a second FlowManagerMP is created on every pass of the loop at line {line}" + (
        FMP001_TAIL
    )


def lint(body: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.col, f.message) for f in lint_source(HEADER + textwrap.dedent(body))]


def captures(name: str, path: str, type_text: str, root: str) -> str:
    return (
        f"FMP103 result processor '{name}' captures {path} ({type_text}), which cannot be "
        f"pickled, so the result process would not get it; fix: create '{root}' inside the "
        "result processor instead, or pass serial_processing=True to process results in "
        "this process"
    )


# -- binding tables ------------------------------------------------------------------------


def test_global_assigned_inside_another_function_is_captured() -> None:
    found = lint(
        """
        import sqlite3

        def setup():
            global db
            db = sqlite3.connect("x")


        def save(result):
            db.execute("insert", result)


        FlowManagerMP(double, save)
        """
    )
    message = captures("save", "save.__globals__['db']", "sqlite3.connect() result", "db")
    assert found == [(20, 22, message)]


def test_a_parameter_that_shadows_a_global_is_not_the_global() -> None:
    """``f`` is save's own parameter (reassigned later in the body): the unpicklable
    module global of the same name never reaches the result process."""
    found = lint(
        """
        import sqlite3

        f = sqlite3.connect("x")


        def save(f):
            if f:
                f = 0
            return f


        FlowManagerMP(double, save)
        """
    )
    assert found == []


def test_class_body_names_are_invisible_to_its_methods() -> None:
    found = lint(
        """
        import sqlite3

        db = None


        class Saver:
            db = sqlite3.connect("x")

            def save(self, result):
                return db


        FlowManagerMP(double, Saver().save)
        """
    )
    assert found == []


def test_comprehension_variable_is_not_the_global_of_that_name() -> None:
    found = lint(
        """
        import sqlite3

        conn = [sqlite3.connect(str(i)) for i in range(3)]


        def save(result):
            return [conn for conn in result]


        FlowManagerMP(double, save)
        """
    )
    assert found == []


def test_walrus_in_a_comprehension_binds_in_the_function() -> None:
    found = lint(
        """
        def main():
            [(handler := lambda r: r) for _ in range(1)]
            FlowManagerMP(double, handler)
        """
    )
    assert found == [(11, 26, LAMBDA)]


def test_nonlocal_assignment_binds_in_the_enclosing_function() -> None:
    found = lint(
        """
        def main():
            handler = print

            def make():
                nonlocal handler
                handler = lambda r: r

            make()
            FlowManagerMP(double, handler)
        """
    )
    assert found == [(17, 26, LAMBDA)]


def test_dotted_import_and_module_alias_give_qualified_names() -> None:
    found = lint(
        """
        import flow4ai.flowmanagerMP
        import functools as ft

        flow4ai.flowmanagerMP.FlowManagerMP(double, ft.partial(print, open("log")))
        """
    )
    message = captures("print", "partial(print).args[0]", "open() result", "args[0]")
    assert found == [(12, 44, message)]


def test_module_level_nonlocal_is_a_syntax_error_only_where_it_is_checked() -> None:
    assert lint_source("nonlocal x\nFlowManagerMP = 1\n") == []
    with pytest.raises(LintSyntaxError) as raised:
        lint_source("nonlocal x\nFlowManagerMP(print)\n")
    assert (str(raised.value), raised.value.line, raised.value.col) == (
        "SyntaxError: nonlocal declaration not allowed at module level",
        1,
        0,
    )


# -- FMP001 ----------------------------------------------------------------------------------


def test_finally_runs_after_a_body_that_returns() -> None:
    found = lint(
        """
        def main(flag):
            try:
                manager = FlowManagerMP(double)
                return manager
            finally:
                FlowManagerMP(double)
        """
    )
    assert found == [
        (
            14,
            8,
            same_path(11),
        )
    ]


def test_a_loop_that_always_breaks_is_still_a_loop() -> None:
    """The issue's words: a construction inside a loop body is FMP001 on its own. A
    ``while True:`` whose body ends in ``break`` runs once, but the rule does not ask
    the linter to prove that; moving the construction before the loop is the fix."""
    found = lint(
        """
        while True:
            manager = FlowManagerMP(double)
            break
        """
    )
    assert found == [
        (
            10,
            14,
            every_pass(9),
        )
    ]


def _cases(count: int, last: str = "") -> str:
    lines = ["def main(command):", "    match command:"]
    for number in range(count):
        lines += [f"        case {number}:", "            manager = FlowManagerMP(double)"]
    lines.append(last)
    return HEADER + "\n".join(lines) + "\n"


@pytest.mark.timeout(30)
def test_two_thousand_exclusive_cases_are_linear() -> None:
    """Was 37 s (every construction compared with every earlier one)."""
    assert lint_source(_cases(2000)) == []


@pytest.mark.timeout(30)
def test_after_two_thousand_cases_the_first_one_is_reported() -> None:
    source = _cases(2000, "    FlowManagerMP(double)")
    last = source.count("\n")
    message = same_path(11)
    assert lint_source(source) == [Finding(last, 4, "FMP001", message)]


@pytest.mark.timeout(30)
def test_many_guarded_returns_are_linear() -> None:
    lines = ["def main(command):"]
    for number in range(2000):
        lines += [f"    if command == {number}:", "        return FlowManagerMP(double)"]
    lines.append("    return FlowManagerMP.instance(double)")
    assert lint_source(HEADER + "\n".join(lines) + "\n") == []


@pytest.mark.timeout(30)
def test_many_handlers_are_linear() -> None:
    lines = ["def main():", "    try:", "        manager = FlowManagerMP(double)"]
    for number in range(2000):
        lines += [f"    except Error{number}:", "        manager = FlowManagerMP(double)"]
    lines += ["    else:", "        FlowManagerMP(double)"]
    source = HEADER + "\n".join(lines) + "\n"
    last = source.count("\n")
    message = same_path(10)
    assert lint_source(source) == [Finding(last, 8, "FMP001", message)]


# -- nesting -----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_a_long_elif_chain_is_analysed() -> None:
    """300 ``elif`` branches nest 300 deep in the tree; the old visitor managed them,
    so the hand-written walk must too."""
    lines = ["def main(command):"]
    for number in range(300):
        keyword = "if" if number == 0 else "elif"
        lines += [f"    {keyword} command == {number}:", "        manager = FlowManagerMP(double)"]
    lines += ["    FlowManagerMP(double)"]
    source = HEADER + "\n".join(lines) + "\n"
    last = source.count("\n")
    message = same_path(10)
    assert lint_source(source) == [Finding(last, 4, "FMP001", message)]
