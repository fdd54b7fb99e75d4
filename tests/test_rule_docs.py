"""The rule pages in docs/ are rendered from the catalog; a stale page fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager import rules
from flowmanager._rule_docs import expected_pages, render_rule

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("rel", sorted(expected_pages()))
def test_rendered_page_is_current(rel: str) -> None:
    path = ROOT / rel
    assert path.exists(), f"{rel} is missing: run python -m flowmanager._rule_docs"
    assert path.read_text(encoding="utf-8") == expected_pages()[rel], (
        f"{rel} is stale: run python -m flowmanager._rule_docs"
    )


def test_check_mode_reports_a_stale_page(tmp_path: Path) -> None:
    for rel, text in expected_pages().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / "docs/rules/FMP101.md").write_text("old words\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flowmanager._rule_docs", "--check", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (1, "stale: docs/rules/FMP101.md\n")


def test_page_shows_every_part_of_the_rule() -> None:
    rule = rules.RULES["FMP102"]
    page = render_rule(rule)
    headings = [ln for ln in page.splitlines() if ln.startswith("## ")]
    assert headings == [
        "## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix",
        "## What you see", "## Known problems",
    ]
    for example in (*rule.bad, *rule.good):
        assert example.code.rstrip("\n") in page
    assert (
        "app.py:12:31: FMP102 result processor 'save' is defined inside 'main()'; a nested "
        "function cannot be pickled for parallel result processing; fix: move 'save' to module "
        "level, or pass serial_processing=True"
    ) in page
    assert (
        "flowmanager.UnpicklableResultProcessorError: FMP102 nested-result-processor: result "
        "processor 'save' is defined inside 'main()'; a nested function cannot be pickled for "
        "parallel result processing\n"
        "  expected: a result processor defined at module level, where a child process can "
        "import it\n"
        "  fix:      move 'save' to module level, or pass serial_processing=True\n"
        "  see:      docs/rules/FMP102.md\n"
    ) in page
    assert (
        'For a function defined only inside `if __name__ == "__main__":`, the linter and the '
        "runtime say:\n\n```text\nFMP102 result processor 'save' is defined inside the 'if "
        "__name__ == \"__main__\":' block; a child process started with spawn or forkserver "
        "never runs that block, so it cannot find 'save'; fix: move 'save' to module level, or "
        "pass serial_processing=True\n```\n"
    ) in page
