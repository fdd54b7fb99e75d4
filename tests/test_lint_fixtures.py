"""The fixture files under ``tests/lint_fixtures``: each reported line carries a trailing
``# expect: FMP101`` (or several codes), and every other line must stay silent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowmanager_lint import lint_source

FIXTURES = Path(__file__).parent / "lint_fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>FMP\d{3}(?:\s+FMP\d{3})*)\s*$")


def expected_findings(source: str) -> dict[int, list[str]]:
    """Line number -> sorted codes, from the ``# expect:`` comments."""
    expected = {}
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected[number] = sorted(match["codes"].split())
    return expected


def actual_findings(source: str) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for finding in lint_source(source):
        found.setdefault(finding.line, []).append(finding.code)
    return {line: sorted(codes) for line, codes in found.items()}


def test_there_are_fixtures() -> None:
    assert len(list(FIXTURES.glob("*.py"))) >= 10


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")), ids=lambda p: p.stem)
def test_fixture(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    expected = expected_findings(source)
    actual = actual_findings(source)
    differences = [
        f"{path.name}:{n}: expected {expected.get(n, [])}, got {actual.get(n, [])}: "
        f"{lines[n - 1].strip()}"
        for n in sorted(set(expected) | set(actual))
        if expected.get(n) != actual.get(n)
    ]
    assert not differences, "\n".join(differences)


def test_expect_comments_are_read() -> None:
    """The reader itself: a wrong comment would make every fixture pass vacuously."""
    source = "x = 1  # expect: FMP102 FMP001\ny = 2  # expect: FMP101\nz = 3  # expected nothing\n"
    assert expected_findings(source) == {1: ["FMP001", "FMP102"], 2: ["FMP101"]}
