"""The lint engine through its public function: catalog examples, whole messages,
positions, configuration, the prefilter, and input that must not break it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowmanager import rules
from flowmanager_lint import (
    DEFAULT_CONFIG,
    Finding,
    LintConfig,
    LintSyntaxError,
    lint_source,
    mentions_flowmanager,
)
from flowmanager_lint._engine import MAX_NESTING, TOO_NESTED, _analyse

FIXTURES = Path(__file__).parent / "lint_fixtures"

EXAMPLES = [
    pytest.param(example, id=f"{code}-{kind}-{example.title}")
    for code, rule in rules.RULES.items()
    for kind, examples in (("bad", rule.bad), ("good", rule.good))
    for example in examples
]

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"

FMP001_TAIL = (
    "; one instance runs every job of a process, so another one only competes with it for "
    "the same CPUs; fix: create one FlowManagerMP and reuse it (FlowManagerMP.instance() "
    "returns the live one)"
)


def lint(body: str, config: LintConfig = DEFAULT_CONFIG) -> list[Finding]:
    return lint_source(HEADER + textwrap.dedent(body), config)


def line_of(body: str, needle: str) -> int:
    """The 1-based line of ``needle`` in HEADER + body."""
    lines = (HEADER + textwrap.dedent(body)).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize("example", EXAMPLES)
def test_catalog_example(example: rules.Example) -> None:
    """Every catalog example gives exactly its codes, one finding per code listed."""
    assert sorted(f.code for f in lint_source(example.code)) == sorted(example.codes)


def test_lambda_message_and_position() -> None:
    body = "manager = FlowManagerMP(double, on_complete=lambda r: r)\n"
    assert lint(body) == [
        Finding(
            line=line_of(body, "manager ="),
            col=body.index("lambda"),
            code="FMP101",
            message=(
                "FMP101 result processor '<lambda>' is a lambda; a lambda has no importable "
                "name, so it cannot be pickled for parallel result processing; fix: define the "
                "result processor with def at module level, or pass serial_processing=True"
            ),
        )
    ]


def test_nested_message_names_the_method() -> None:
    body = """
        class Outer:
            def method(self):
                def save(result):
                    pass

                return FlowManagerMP(double, save)
        """
    [finding] = lint(body)
    assert finding.message == (
        "FMP102 result processor 'save' is defined inside 'Outer.method()'; a nested function "
        "cannot be pickled for parallel result processing; fix: move 'save' to module level, "
        "or pass serial_processing=True"
    )
    assert (finding.line, finding.col) == (line_of(body, "return FlowManagerMP"), 37)


def test_closure_message_for_a_decorator_holding_a_lock() -> None:
    [example] = [e for e in rules.RULES["FMP103"].bad if "closure" in e.title]
    [finding] = lint_source(example.code)
    assert finding.message == (
        "FMP103 result processor 'save' captures save.__closure__['lock'] "
        "(threading.Lock() result), which cannot be pickled, so the result process would not "
        "get it; fix: create 'lock' inside the result processor instead, or pass "
        "serial_processing=True to process results in this process"
    )


def test_partial_argument_message_names_the_parameter() -> None:
    body = """
        import functools
        import sqlite3


        def save(db, result):
            pass


        manager = FlowManagerMP(double, functools.partial(save, sqlite3.connect("x")))
        """
    [finding] = lint(body)
    assert finding.message == (
        "FMP103 result processor 'save' captures partial(save).args[0] "
        "(sqlite3.connect() result), which cannot be pickled, so the result process would not "
        "get it; fix: create 'db' inside the result processor instead, or pass "
        "serial_processing=True to process results in this process"
    )


def test_fmp001_message_names_the_first_line() -> None:
    body = """
        first = FlowManagerMP(double)
        second = FlowManagerMP(double)
        """
    [finding] = lint(body)
    first = line_of(body, "first =")
    assert finding == Finding(
        line=first + 1,
        col=len("second = "),
        code="FMP001",
        message=(
            f"FMP001 a second FlowManagerMP is created on the same path as the one at line "
            f"{first}" + FMP001_TAIL
        ),
    )


def test_fmp001_message_for_a_loop_and_a_comprehension() -> None:
    body = """
        for batch in range(3):
            manager = FlowManagerMP(double)


        def build():
            return [FlowManagerMP(double) for _ in range(3)]
        """
    loop, comprehension = lint(body)
    assert loop.message == (
        "FMP001 a second FlowManagerMP is created on every pass of the loop at line "
        f"{line_of(body, 'for batch')}" + FMP001_TAIL
    )
    assert comprehension.message == (
        "FMP001 a second FlowManagerMP is created for every item of the comprehension at line "
        f"{line_of(body, 'return [')}" + FMP001_TAIL
    )


def test_fmp001_message_for_the_accessor_after_a_construction() -> None:
    # instance() would return the first one: no second instance, but two styles mixed.
    body = """
        first = FlowManagerMP(double)
        again = FlowManagerMP.instance(double, serial_processing=True)
        """
    [finding] = lint(body)
    assert finding.message == (
        "FMP001 FlowManagerMP.instance() is called on the same path as the one at line "
        f"{line_of(body, 'first =')}, after a direct construction; it returns that instance "
        "and ignores its own arguments, so mixing the accessor with a construction hides "
        "which arguments apply; fix: create one FlowManagerMP and reuse it "
        "(FlowManagerMP.instance() returns the live one)"
    )
    # The other order makes a second instance, as the runtime would refuse.
    [finding] = lint("""
        first = FlowManagerMP.instance(double)
        second = FlowManagerMP(double)
        """)
    assert finding.message.startswith("FMP001 a second FlowManagerMP is created on the same")


def test_findings_are_sorted_by_line_and_column() -> None:
    body = """
        def main():
            def save(result):
                pass

            FlowManagerMP(double, lambda r: r); FlowManagerMP(double, save)
        """
    findings = lint(body)
    assert [f.code for f in findings] == ["FMP101", "FMP001", "FMP102"]
    assert findings == sorted(findings)
    assert len({f.line for f in findings}) == 1


# -- configuration ---------------------------------------------------------------------


def test_extra_names_are_recognised() -> None:
    source = "from mylib import JobRunner\n\nJobRunner(print, lambda r: r)\n"
    assert lint_source(source) == []
    config = LintConfig(names=frozenset({"mylib.JobRunner"}))
    assert mentions_flowmanager(source, config)
    assert [f.code for f in lint_source(source, config)] == ["FMP101"]


def test_extra_factories_are_unpicklable() -> None:
    body = """
        import mylib

        session = mylib.open_session()


        def save(result):
            session.put(result)


        manager = FlowManagerMP(double, save)
        """
    assert lint(body) == []
    config = LintConfig(factories=frozenset({"mylib.open_session"}))
    [finding] = lint(body, config)
    assert "save.__globals__['session'] (mylib.open_session() result)" in finding.message


# -- prefilter and what the engine never does -----------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", False),
        ("import os\nprint(os.getcwd())\n", False),
        ("# uses FlowManagerMP elsewhere\n", True),
        ("from flowmanager import FlowManagerMP\n", True),
    ],
)
def test_mentions_flowmanager(source: str, expected: bool) -> None:
    assert mentions_flowmanager(source) is expected


@pytest.mark.parametrize(
    "source",
    ["", "\n\n", "# FlowManagerMP\n", 'text = "FlowManagerMP"\n', "FlowManagerMP\n"],
    ids=["empty", "blank", "comment", "string", "bare-name"],
)
def test_sources_without_a_call_have_no_findings(source: str) -> None:
    assert lint_source(source) == []


def _run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


@pytest.mark.timeout(60)
def test_import_and_prefiltered_files_do_not_load_libcst() -> None:
    code = (
        "import sys\n"
        "import flowmanager_lint\n"
        "assert 'libcst' not in sys.modules, 'import'\n"
        "assert flowmanager_lint.lint_source('import os\\nos.getcwd()\\n') == []\n"
        "assert 'libcst' not in sys.modules, 'prefiltered file'\n"
        "flowmanager_lint.lint_source('FlowManagerMP(print)\\n')\n"
        "print('libcst' in sys.modules)\n"
    )
    assert _run_python(code) == "True"


def test_checked_code_is_never_run() -> None:
    body = """
        import os
        import does_not_exist

        os._exit(3)
        raise SystemExit("ran")
        manager = FlowManagerMP(double, lambda r: r)
        """
    assert [f.code for f in lint(body)] == ["FMP101"]


# -- input that must not break the engine ------------------------------------------------


def test_syntax_error_gives_cpython_message_and_place() -> None:
    with pytest.raises(LintSyntaxError) as raised:
        lint_source("from flowmanager import FlowManagerMP\nFlowManagerMP(\n")
    assert str(raised.value) == "SyntaxError: '(' was never closed"
    assert (raised.value.line, raised.value.col) == (2, 13)


def test_null_byte_is_a_syntax_error() -> None:
    with pytest.raises(LintSyntaxError) as raised:
        lint_source("FlowManagerMP(print)\x00\n")
    assert (raised.value.line, raised.value.col) == (1, 0)


def test_bom_and_crlf_do_not_move_findings() -> None:
    body = "manager = FlowManagerMP(double, lambda r: r)\n"
    plain = lint(body)
    assert lint_source("\ufeff" + HEADER + body) == plain
    assert lint_source((HEADER + body).replace("\n", "\r\n")) == plain


def test_a_non_ascii_line_counts_columns_in_characters() -> None:
    body = 'label = "été"; manager = FlowManagerMP(double, lambda r: r)\n'
    [finding] = lint(body)
    assert finding.col == body.index("lambda")


def test_guidelines_quick_start_factory_defined_nowhere() -> None:
    """The usage guidelines' Quick Start: the factory is neither defined nor imported, so
    its name decides; the message names it as the type."""
    body = """
        db = create_database_connection()


        def process_result(result):
            db.save(result)


        manager = FlowManagerMP(double, process_result)
        """
    [finding] = lint(body)
    assert (finding.line, finding.col) == (line_of(body, "manager ="), 32)
    assert finding.message == (
        "FMP103 result processor 'process_result' captures "
        "process_result.__globals__['db'] (create_database_connection() result), which "
        "cannot be pickled, so the result process would not get it; fix: create 'db' inside "
        "the result processor instead, or pass serial_processing=True to process results in "
        "this process"
    )


PYTHON_TOO_NESTED = (
    " (Python's own parser cannot read code nested this deeply); split the deepest "
    "expression into smaller ones"
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("nested", "message"),
    [
        # CPython itself refuses these: its own words.
        ("x = " + "-" * 100_000 + "1\n", "MemoryError: out of memory" + PYTHON_TOO_NESTED),
        (
            "x = " + "+".join(["a"] * 3_000) + "\n",
            "RecursionError: maximum recursion depth exceeded during ast construction"
            + PYTHON_TOO_NESTED,
        ),
        # CPython accepts these; the analysis stops at its own limit.
        ("x = " + "+".join(["a"] * 900) + "\n", TOO_NESTED),
        ("x = f" + "()" * 900 + "\n", TOO_NESTED),
    ],
    ids=["unary-100k", "sum-3000", "sum-900", "calls-900"],
)
def test_deeply_nested_file_is_reported_not_crashed(nested: str, message: str) -> None:
    """Run in a child so that a crash in a native parser fails this test, not the run."""
    code = (
        "from flowmanager_lint import lint_source, LintSyntaxError\n"
        f"source = 'FlowManagerMP(print)\\n' + {nested!r}\n"
        "try:\n"
        "    lint_source(source)\n"
        "except LintSyntaxError as error:\n"
        "    print(error, error.line, error.col)\n"
    )
    assert _run_python(code) == f"{message} 1 0"


def test_the_nesting_limit_is_the_linters_own() -> None:
    """Python compiles a chain just past the limit, and the message says whose limit it is."""
    assert TOO_NESTED == (
        "the file nests more than 800 levels deep, flowmanager-lint's own limit (Python "
        "accepts it), so it was not checked; split the deepest expression into smaller ones"
    )
    chain = "x = " + "+".join(["a"] * (MAX_NESTING + 100)) + "\n"
    compile(chain, "<chain>", "exec")
    with pytest.raises(LintSyntaxError) as raised:
        lint_source("FlowManagerMP(print)\n" + chain)
    assert (raised.value.message, raised.value.line, raised.value.col) == (TOO_NESTED, 1, 0)
    short = "x = " + "+".join(["a"] * (MAX_NESTING - 10)) + "\n"
    assert lint_source("FlowManagerMP(print)\n" + short) == []


@pytest.mark.timeout(60)
def test_huge_file_is_linted() -> None:
    filler = "".join(f"def job_{i}(task):\n    return task + {i}\n\n\n" for i in range(3000))
    body = filler + "manager = FlowManagerMP(double, lambda r: r)\n"
    [finding] = lint(body)
    assert finding.code == "FMP101"
    assert finding.line == line_of(body, "manager =")


@pytest.mark.parametrize(
    "source",
    [
        *(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.py"))),
        *(example.code for rule in rules.RULES.values() for example in rule.bad),
        HEADER + 'x = "été"; m = [f()() for _ in g(h())]; FlowManagerMP(double, lambda r: r)\n',
        HEADER
        + "@deco(FlowManagerMP(double))\ndef f(a=FlowManagerMP(double, lambda r: r)): pass\n",
    ],
)
def test_ast_positions_match_libcst_positions(source: str) -> None:
    """The engine maps reported nodes to the ``ast`` tree's positions; libcst's
    PositionProvider must agree on every one of them."""
    tree = ast.parse(source)
    assert _analyse(source, tree, DEFAULT_CONFIG) == _analyse(
        source, tree, DEFAULT_CONFIG, ast_positions=False
    )


# -- the same words as the runtime guard, beyond the catalog ------------------------------

AGREEMENT_MODULE = """
import functools
import sqlite3
import threading

from flowmanager import FlowManagerMP

db = sqlite3.connect(":memory:")
LOCKS = [threading.Lock()]


def double(task):
    return task * 2


def save(target, result, *, lock=None):
    print(target, result)


def uses_locks(result):
    with LOCKS[0]:
        print(result)


def kept(func):
    @functools.wraps(func)
    def wrapper(result):
        return func(result)

    return wrapper


@kept
def wrapped_uses_db(result):
    db.execute("SELECT 1")


class CallableHolder:
    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, result):
        pass


class Given:
    def __init__(self, conn):
        self.conn = conn

    def process(self, result):
        pass


def with_kwdefault(result, *, conn=sqlite3.connect(":memory:")):
    pass


PROCESSOR = {expression}

if __name__ == "__main__":
    manager = FlowManagerMP(double, {expression})
"""


def _type_masked(text: str) -> str:
    """The one field that differs by design: the linter names the factory
    (``sqlite3.connect() result``), the runtime the type (``sqlite3.Connection``)."""
    return re.sub(
        r"\(([^()]|\(\))*\), which cannot be pickled", "(...), which cannot be pickled", text
    )


@pytest.mark.parametrize(
    "expression",
    [
        "functools.partial(save, db)",
        'functools.partial(functools.partial(save, "x"), lock=threading.RLock())',
        "uses_locks",
        "wrapped_uses_db",
        "CallableHolder()",
        "Given(db).process",
        "with_kwdefault",
    ],
)
def test_engine_and_runtime_guard_say_the_same(
    expression: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import the module for real (the test does; the engine never does) and compare the
    guard's violation on ``PROCESSOR`` with the engine's finding on the call."""
    from flowmanager import check_result_processor

    source = AGREEMENT_MODULE.format(expression=expression)
    name = f"agreement_{abs(hash(expression))}"
    (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)
    try:
        violations = check_result_processor(module.PROCESSOR)
    finally:
        sys.modules.pop(name, None)
    [finding] = lint_source(source)
    assert [_type_masked(v.lint_text) for v in violations] == [_type_masked(finding.message)]
    assert "(...), which cannot be pickled" in _type_masked(finding.message)
