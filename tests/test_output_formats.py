"""The report formats, read back the way their consumers read them.

SARIF is checked against the fields the 2.1.0 specification requires and the ones
GitHub code scanning relies on (rule ids, relative URIs under a base id, 1-based
regions), without jsonschema: every requirement is written out below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from flowmanager.rules import RULES

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"
LINE = HEADER.count("\n") + 1
LAMBDA = HEADER + "manager = FlowManagerMP(double, lambda r: r)\n"
COL = len("manager = FlowManagerMP(double, ") + 1
LAMBDA_TEXT = RULES["FMP101"].format(name="'<lambda>'").lint_text
BROKEN = "manager = FlowManagerMP(\n"
BROKEN_TEXT = "E999 SyntaxError: '(' was never closed"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(LAMBDA, encoding="utf-8")
    (root / "src" / "odd, name%.py").write_text(LAMBDA, encoding="utf-8")
    (root / "broken.py").write_text(BROKEN, encoding="utf-8")
    return root


def lint(fmt: str, *paths: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "flowmanager_lint", "--format", fmt, *paths],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stderr) == (1, "")
    return proc.stdout


@pytest.mark.timeout(60)
def test_json_is_an_array_of_one_based_places(project: Path) -> None:
    items = json.loads(lint("json", "broken.py", "src", cwd=project))
    assert items == [
        {"path": "broken.py", "line": 1, "col": 24, "code": "E999", "message": BROKEN_TEXT},
        {"path": "src/app.py", "line": LINE, "col": COL, "code": "FMP101", "message": LAMBDA_TEXT},
        {
            "path": "src/odd, name%.py",
            "line": LINE,
            "col": COL,
            "code": "FMP101",
            "message": LAMBDA_TEXT,
        },
    ]


@pytest.mark.timeout(60)
def test_text_is_flake8s(project: Path) -> None:
    assert lint("text", "broken.py", "src/app.py", cwd=project) == (
        f"broken.py:1:24: {BROKEN_TEXT}\nsrc/app.py:{LINE}:{COL}: {LAMBDA_TEXT}\n"
    )


@pytest.mark.timeout(60)
def test_github_annotations_escape_their_properties(project: Path) -> None:
    assert lint("github", "broken.py", "src", cwd=project).splitlines() == [
        f"::error file=broken.py,line=1,col=24,title=E999::{BROKEN_TEXT}",
        f"::error file=src/app.py,line={LINE},col={COL},title=FMP101::{LAMBDA_TEXT}",
        f"::error file=src/odd%2C name%25.py,line={LINE},col={COL},title=FMP101::{LAMBDA_TEXT}",
    ]


# -- SARIF ---------------------------------------------------------------------

LEVELS = {"none", "note", "warning", "error"}
COLUMN_KINDS = {"utf16CodeUnits", "unicodeCodePoints"}


def _text(message: Any) -> str:
    assert isinstance(message, dict) and isinstance(message.get("text"), str), message
    text: str = message["text"]
    assert text
    return text


def check_sarif(log: Any) -> list[tuple[str, str, int, int, str]]:
    """Check a SARIF 2.1.0 log; return each result as (rule id, resolved file path, line,
    column, message)."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    runs = log["runs"]
    assert isinstance(runs, list) and len(runs) == 1
    run = runs[0]
    driver = run["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"]
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    for rule in rules:
        assert isinstance(rule["id"], str)
        _text(rule["shortDescription"])
        _text(rule["fullDescription"])
        assert rule["defaultConfiguration"]["level"] in LEVELS
    assert run["columnKind"] in COLUMN_KINDS
    bases = run["originalUriBaseIds"]
    for base in bases.values():
        parsed = urlparse(base["uri"])
        assert parsed.scheme == "file" and base["uri"].endswith("/"), base
    found = []
    for result in run["results"]:
        rule_id = result["ruleId"]
        assert rules[result["ruleIndex"]]["id"] == rule_id
        assert result["level"] in LEVELS
        message = _text(result["message"])
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        artifact = physical["artifactLocation"]
        uri = artifact["uri"]
        # Relative: no scheme, no leading slash, resolved against a declared base.
        assert urlparse(uri).scheme == "" and not uri.startswith("/"), uri
        base = urlparse(bases[artifact["uriBaseId"]]["uri"]).path
        region = physical["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
        found.append(
            (rule_id, unquote(base + uri), region["startLine"], region["startColumn"], message)
        )
    return found


@pytest.mark.timeout(60)
def test_sarif_is_valid_and_resolves_to_the_files(project: Path) -> None:
    log = json.loads(lint("sarif", "broken.py", "src", cwd=project))
    found = check_sarif(log)
    message = LAMBDA_TEXT.removeprefix("FMP101 ")
    assert found == [
        ("E999", str(project / "broken.py"), 1, 24, BROKEN_TEXT.removeprefix("E999 ")),
        ("FMP101", str(project / "src" / "app.py"), LINE, COL, message),
        ("FMP101", str(project / "src" / "odd, name%.py"), LINE, COL, message),
    ]
    for _, path, *_ in found:
        assert Path(path).is_file()


@pytest.mark.timeout(60)
def test_sarif_rules_are_the_catalog_with_stable_ids(project: Path, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(LAMBDA, encoding="utf-8")
    one = json.loads(lint("sarif", "src", cwd=project))["runs"][0]["tool"]["driver"]
    other = json.loads(lint("sarif", "app.py", cwd=tmp_path))["runs"][0]["tool"]["driver"]
    assert one["rules"] == other["rules"]
    assert [rule["id"] for rule in one["rules"]] == [*RULES, "E902", "E999"]
    for code, rule in RULES.items():
        descriptor = one["rules"][list(RULES).index(code)]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == rule.why
        assert descriptor["help"]["text"] == rule.use_instead


@pytest.mark.timeout(60)
def test_sarif_without_findings_is_still_a_valid_log(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flowmanager_lint", "--format", "sarif", "clean.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0
    assert check_sarif(json.loads(proc.stdout)) == []
