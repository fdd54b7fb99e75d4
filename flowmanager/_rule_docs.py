"""Render the rule pages of ``docs/`` from the catalog, so the docs never drift from it.

``python -m flowmanager._rule_docs`` rewrites ``docs/rules/*.md`` and ``docs/index.md``;
``--check`` only reports the stale ones (exit 1), as the test suite does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._errors import format_violation
from .rules import DOCS_DIR, RULES, Example, Rule

__all__ = ["expected_pages", "main", "render_index", "render_rule"]

_GENERATED = (
    "<!-- Generated from flowmanager/rules.py by `python -m flowmanager._rule_docs`; "
    "do not edit. -->"
)


def _examples(examples: Sequence[Example]) -> list[str]:
    out: list[str] = []
    for ex in examples:
        out += [f"**{ex.title}**", "", "```python", ex.code.rstrip("\n"), "```", ""]
    return out


def _lint_block(rule: Rule) -> list[str]:
    if not rule.linted:
        return ["The linter does not report this rule (see Known problems).", ""]
    lint = rule.format(**rule.sample)
    return [
        "The linter (`flake8 --select=FMP` or `flowmanager-lint`):",
        "",
        "```text",
        f"app.py:12:31: {lint.lint_text}",
        "```",
        "",
    ]


def _other_samples(rule: Rule) -> list[str]:
    out: list[str] = []
    for caption, fields in rule.other_samples.items():
        text = rule.format(**{**rule.sample, **fields}).lint_text
        out += [f"{caption}, the linter and the runtime say:", "", "```text", text, "```", ""]
    return out


def render_rule(rule: Rule) -> str:
    """The Markdown page of one rule."""
    lint = rule.format(**rule.sample)
    runtime = rule.format(**{**rule.sample, **rule.runtime_sample})
    lines = [
        _GENERATED,
        "",
        f"# {rule.code} {rule.name}",
        "",
        "## What it does",
        "",
        rule.summary,
        "",
        "## Why is this bad?",
        "",
        rule.why,
        "",
        "## Example",
        "",
        *_examples(rule.bad),
        "## Use instead",
        "",
        rule.use_instead,
        "",
        *_examples(rule.good),
        "## Fix",
        "",
        lint.hint[0].upper() + lint.hint[1:] + ".",
        "",
        "## What you see",
        "",
        *_lint_block(rule),
        f"The runtime, before any process starts (`flowmanager.{rule.error}`):",
        "",
        "```text",
        f"flowmanager.{rule.error}: {format_violation(runtime)}",
        "```",
        "",
        *_other_samples(rule),
        "## Known problems",
        "",
        rule.known_problems,
        "",
    ]
    return "\n".join(lines)


def render_index() -> str:
    """``docs/index.md``: what the docs hold and the table of rules."""
    rows = [f"| [{r.code}](rules/{r.code}.md) | `{r.name}` | {r.summary} |" for r in RULES.values()]
    return "\n".join(
        [
            _GENERATED,
            "",
            "# flowmanager documentation",
            "",
            "- [The runtime: FlowManagerMP](runtime.md): the API, the process model, errors.",
            "- [The runtime guard](guard.md): `check_result_processor` and what it refuses.",
            "- [The linter](linter.md): flake8 plugin, `flowmanager-lint`, pre-commit hook.",
            "- [Adding a rule](adding-a-rule.md).",
            "",
            "## Rules",
            "",
            "The runtime guard and the linter read the same catalog (`flowmanager/rules.py`), so a",
            "lint finding and a runtime error carry the same code, words and fix.",
            "",
            "| code | name | what it finds |",
            "| --- | --- | --- |",
            *rows,
            "",
        ]
    )


def expected_pages() -> dict[str, str]:
    """Every generated page, by its path relative to the project root."""
    pages = {f"{DOCS_DIR}/{code}.md": render_rule(rule) for code, rule in RULES.items()}
    pages["docs/index.md"] = render_index()
    return pages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flowmanager._rule_docs",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("root", nargs="?", default=".", help="the project root (default: .)")
    parser.add_argument("--check", action="store_true", help="report stale pages, write nothing")
    args = parser.parse_args(argv)
    root = Path(args.root)
    stale = []
    for rel, text in expected_pages().items():
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for rel in stale:
        print(f"{'stale' if args.check else 'wrote'}: {rel}")
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
