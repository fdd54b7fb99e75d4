"""The report formats: text (flake8's), json, github (workflow commands) and sarif.

Every format numbers lines and columns from 1, as flake8 prints them; a
:class:`Finding` keeps the 0-based column ``ast`` and flake8 plugins use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from flowmanager import __version__
from flowmanager.rules import RULES

from ._findings import Finding
from ._run import DIAGNOSTIC_CODES, FileResult

__all__ = ["FORMATS", "SARIF_SCHEMA", "render"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "flowmanager-lint"
_SRCROOT = "%SRCROOT%"


def _items(results: Iterable[FileResult]) -> Iterable[tuple[str, Finding]]:
    for result in results:
        for finding in result.findings:
            yield result.path, finding


def _text_after_code(finding: Finding) -> str:
    prefix = f"{finding.code} "
    return finding.message[len(prefix) :] if finding.message.startswith(prefix) else finding.message


def render_text(results: Sequence[FileResult]) -> str:
    """``path:line:col: CODE message``, one finding a line, as flake8 prints them."""
    return "".join(f"{path}:{f.line}:{f.col + 1}: {f.message}\n" for path, f in _items(results))


def render_json(results: Sequence[FileResult]) -> str:
    """An array of ``{"path", "line", "col", "code", "message"}``; ``message`` starts with the
    code, as in the text format."""
    items = [
        {"path": path, "line": f.line, "col": f.col + 1, "code": f.code, "message": f.message}
        for path, f in _items(results)
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[FileResult]) -> str:
    """GitHub Actions ``::error`` workflow commands: each finding becomes an annotation."""
    lines = []
    for path, f in _items(results):
        location = (
            f"file={_escape_property(_relative_uri(path) or path)},"
            f"line={f.line},col={f.col + 1},title={_escape_property(f.code)}"
        )
        lines.append(f"::error {location}::{_escape_data(f.message)}\n")
    return "".join(lines)


def _relative_uri(path: str) -> str | None:
    """``path`` relative to the current directory with ``/`` separators, or ``None`` when it
    lies outside it (or names standard input)."""
    if path in ("-", "stdin"):
        return None
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return None
    return relative.as_posix()


def _sarif_rules() -> list[dict[str, Any]]:
    """One reporting descriptor per code the tool can report, in a fixed order."""
    rules: list[dict[str, Any]] = []
    for rule in RULES.values():
        rules.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {
                    "text": rule.use_instead,
                    "markdown": f"{rule.use_instead}\n\nSee `{rule.doc_path}`.",
                },
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["flowmanager", "multiprocessing"]},
            }
        )
    for code, meaning in DIAGNOSTIC_CODES.items():
        rules.append(
            {
                "id": code,
                "name": "unreadable-file" if code == "E902" else "syntax-error",
                "shortDescription": {"text": meaning},
                "fullDescription": {"text": meaning},
                "help": {"text": "Fix the file so Python can read and parse it."},
                "defaultConfiguration": {"level": "error"},
            }
        )
    return rules


def _sarif_location(path: str, finding: Finding) -> dict[str, Any]:
    relative = _relative_uri(path)
    artifact: dict[str, Any]
    if relative is not None:
        artifact = {"uri": relative, "uriBaseId": _SRCROOT}
    else:
        artifact = {"uri": Path(os.path.abspath(path)).as_uri()}
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": finding.line, "startColumn": finding.col + 1},
        }
    }


def sarif_document(results: Sequence[FileResult]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rule ids are the codes, URIs relative to ``%SRCROOT%``
    (the current directory), as GitHub code scanning expects."""
    rules = _sarif_rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    sarif_results = [
        {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, -1),
            "level": "error",
            "message": {"text": _text_after_code(f)},
            "locations": [_sarif_location(path, f)],
        }
        for path, f in _items(results)
    ]
    for result in sarif_results:
        if result["ruleIndex"] == -1:
            del result["ruleIndex"]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {_SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def render_sarif(results: Sequence[FileResult]) -> str:
    """The SARIF log as indented JSON."""
    return json.dumps(sarif_document(results), indent=2, ensure_ascii=False) + "\n"


#: Format name -> renderer, in the order ``--help`` lists them.
FORMATS: dict[str, Callable[[Sequence[FileResult]], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
}


def render(results: Sequence[FileResult], fmt: str) -> str:
    """The whole report in format ``fmt`` (one of :data:`FORMATS`)."""
    return FORMATS[fmt](results)
