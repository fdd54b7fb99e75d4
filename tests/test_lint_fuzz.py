"""Hypothesis fuzzing of the engine: generated programs that mix every construct the
rules look at (calls, lambdas, partials, decorators, classes, globals, branches, loops,
try, match), and raw text. The engine returns sorted findings or raises
LintSyntaxError; nothing else may escape."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowmanager import rules
from flowmanager_lint import LintSyntaxError, lint_source

NAMES = ["save", "db", "lock", "handler", "Saver", "logged", "manager", "result", "func"]
name = st.sampled_from(NAMES)

processor = st.one_of(
    name,
    st.just("lambda r: r"),
    st.builds("{}.{}".format, name, name),
    st.builds("functools.partial({}, {})".format, name, name),
    st.builds("partial({}, {}=sqlite3.connect('x'))".format, name, name),
    st.builds("{}()".format, name),
    st.just("(h := lambda r: r)"),
)
serial = st.sampled_from(
    ["", ", True", ", False", ", 0", ", None", ", flag", ", serial_processing=True", ", **kw"]
)
value = st.one_of(
    processor,
    st.sampled_from(
        [
            "sqlite3.connect(':memory:')",
            "threading.Lock()",
            "[open(__file__), 1]",
            "{'k': socket.socket()}",
            "create_connection()",
            "'text'",
            "42",
            "(a, b)",
        ]
    ),
)

simple = st.one_of(
    st.builds("{} = FlowManagerMP(double, {}{})".format, name, processor, serial),
    st.builds("FlowManagerMP.instance(double, {}{})".format, processor, serial),
    st.builds(
        "FM(double, on_complete={}{})".format,
        processor,
        st.sampled_from(["", ", serial_processing=False", ", serial_processing=flag", ", **kw"]),
    ),
    st.builds("{} = {}".format, name, value),
    st.builds("self.{} = {}".format, name, value),
    st.sampled_from(["global db", "nonlocal lock"]),
    st.sampled_from(["return", "return wrapper", "break", "continue", "raise ValueError", "pass"]),
    st.builds("{}.close_processes()".format, name),
).map(lambda line: [line])


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _block(statements: list[list[str]]) -> list[str]:
    return _indent([line for statement in statements for line in statement] or ["pass"])


def _compound(children: st.SearchStrategy[list[list[str]]]) -> st.SearchStrategy[list[str]]:
    headers = st.sampled_from(
        [
            "if flag:",
            'if __name__ == "__main__":',
            "for item in items:",
            "async for item in items:",
            "while flag:",
            "with open(__file__) as fh:",
            "def {n}(result, out=open(__file__)):",
            "async def {n}(result):",
            "class {n}:",
            "@{n}\ndef {n}(result):",
            "@functools.wraps(func)\ndef {n}(result):",
            "@{n}(3)\nclass {n}({n}):",
        ]
    )

    def build(header: str, n: str, body: list[list[str]], other: list[list[str]]) -> list[str]:
        head = header.format(n=n).split("\n")
        lines = head + _block(body)
        if header.startswith("if"):
            lines += ["elif other:", *_block(other), "else:", *_block(body)]
        return lines

    plain = st.builds(build, headers, name, children, children)
    tried = st.builds(
        lambda body, handler, final: [
            "try:",
            *_block(body),
            "except OSError:",
            *_block(handler),
            "finally:",
            *_block(final),
        ],
        children,
        children,
        children,
    )
    matched = st.builds(
        lambda a, b: [
            "match command:",
            "    case 1:",
            *_indent(_block(a)),
            "    case _:",
            *_indent(_block(b)),
        ],
        children,
        children,
    )
    return st.one_of(plain, tried, matched)


statements = st.recursive(
    st.lists(simple, min_size=1, max_size=4),
    lambda children: st.lists(st.one_of(simple, _compound(children)), min_size=1, max_size=4),
    max_leaves=25,
)

PRELUDE = (
    "import functools\nimport socket\nimport sqlite3\nimport threading\n"
    "from functools import partial\n"
    "from flowmanager import FlowManagerMP\nfrom flowmanager import FlowManagerMP as FM\n\n"
    "def double(task):\n    return task\n\n"
)


def _check(source: str) -> None:
    try:
        findings = lint_source(source)
    except LintSyntaxError as error:
        assert error.line >= 1 and error.col >= 0
        return
    assert findings == sorted(findings)
    line_count = max(1, len(source.splitlines()))
    for finding in findings:
        assert finding.code in rules.RULES
        assert finding.message.startswith(finding.code + " ")
        assert 1 <= finding.line <= line_count and finding.col >= 0
    assert lint_source(source) == findings  # deterministic


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements)
def test_generated_programs_never_break_the_engine(body: list[list[str]]) -> None:
    _check(PRELUDE + "\n".join(line for statement in body for line in statement) + "\n")


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=string.printable + "é\ufeff\x00(){}[]:'\"", max_size=200),
    st.integers(min_value=0, max_value=200),
)
def test_arbitrary_text_never_breaks_the_engine(text: str, at: int) -> None:
    at = min(at, len(text))
    _check(text[:at] + "FlowManagerMP(double, lambda r: r)" + text[at:])
