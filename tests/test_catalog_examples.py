"""Every catalog example, through every front end: the linter engine, the flake8 plugin (a real
flake8), the CLI (a real subprocess) and the runtime (a real ``__main__`` script under every start
method). All must report the codes the catalog states, with the same words."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from catalog_cases import CASES, Case

from flowmanager_lint import lint_source

HERE = Path(__file__).parent
IDS = [c.id for c in CASES]
RUNNABLE = [c for c in CASES if c.example.runtime]
START_METHODS = ("fork", "forkserver", "spawn")


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    for case in CASES:
        (folder / f"{case.id}.py").write_text(case.example.code, encoding="utf-8")
    return folder


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def flake8_found(example_dir: Path) -> dict[str, list[str]]:
    """One real flake8 run over every example: file stem -> finding texts."""
    proc = _run([sys.executable, "-m", "flake8", "--select=FMP", "."], example_dir)
    assert proc.returncode in (0, 1), proc.stderr
    found: dict[str, list[str]] = defaultdict(list)
    for line in proc.stdout.splitlines():
        path, _line, _col, text = line.split(":", 3)
        found[Path(path).stem].append(text.strip())
    return found


@pytest.fixture(scope="module")
def cli_found(example_dir: Path) -> dict[str, list[str]]:
    """One real CLI run over every example, JSON output: file stem -> finding texts."""
    proc = _run([sys.executable, "-m", "flowmanager_lint", "--format", "json", "."], example_dir)
    assert proc.returncode in (0, 1), proc.stderr
    found: dict[str, list[str]] = defaultdict(list)
    for item in json.loads(proc.stdout):
        found[Path(item["path"]).stem].append(item["message"])
    return found


def _codes(texts: list[str]) -> list[str]:
    return [t.split(" ", 1)[0] for t in texts]


def _engine_texts(case: Case) -> list[str]:
    return [f.message for f in lint_source(case.example.code)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_engine_reports_the_catalog_codes(case: Case) -> None:
    assert _codes(_engine_texts(case)) == list(case.example.codes)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_flake8_agrees_with_the_engine(case: Case, flake8_found: dict[str, list[str]]) -> None:
    assert flake8_found.get(case.id, []) == _engine_texts(case)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cli_agrees_with_the_engine(case: Case, cli_found: dict[str, list[str]]) -> None:
    assert cli_found.get(case.id, []) == _engine_texts(case)


def _comparable(text: str) -> str:
    """Mask the one field that reads differently at run time: the type of a captured value
    (a factory's result to the linter, a class to the runtime) and where the first instance is."""
    text = re.sub(r"\(.*\), which cannot be pickled", "(...), which cannot be pickled", text)
    return re.sub(r"is created .*?; one instance", "is created ...; one instance", text)


def _runtime(case: Case, tmp_path: Path, method: str) -> dict[str, list[str]]:
    script = tmp_path / "example.py"
    script.write_text(case.example.code, encoding="utf-8")
    out = tmp_path / "said.json"
    proc = _run([sys.executable, str(HERE / "run_example.py"), str(script), method, str(out)],
                tmp_path)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, list[str]] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", [c for c in RUNNABLE if c.kind == "bad"],
                         ids=[c.id for c in RUNNABLE if c.kind == "bad"])
def test_runtime_refuses_bad_examples_with_the_linters_words(case: Case, tmp_path: Path) -> None:
    got = _runtime(case, tmp_path, "fork")
    assert got["codes"] == list(case.example.expected_runtime_codes)
    if got["codes"] == list(case.example.codes):
        assert [_comparable(t) for t in got["texts"]] == [
            _comparable(t) for t in _engine_texts(case)
        ]


def _methods_for(case: Case) -> list[str]:
    """fork for every example; spawn and forkserver re-run the main module in each child,
    so Python itself requires a ``__main__`` guard there, and only guarded examples run."""
    guarded = 'if __name__ == "__main__":' in case.example.code
    return list(START_METHODS) if guarded else ["fork"]


GOOD_RUNS = [(c, m) for c in RUNNABLE if c.kind == "good" for m in _methods_for(c)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("case", "method"), GOOD_RUNS,
                         ids=[f"{c.id}-{m}" for c, m in GOOD_RUNS])
def test_runtime_runs_good_examples(case: Case, method: str, tmp_path: Path) -> None:
    assert _runtime(case, tmp_path, method) == {"codes": [], "texts": []}


def test_some_good_examples_run_under_every_start_method() -> None:
    assert {m for _, m in GOOD_RUNS} == set(START_METHODS)


def test_every_rule_has_examples_both_ways() -> None:
    for rule in {c.rule for c in CASES}:
        kinds = {c.kind for c in CASES if c.rule == rule}
        assert kinds == {"bad", "good"}, rule
    assert all(c.example.codes == () for c in CASES if c.kind == "good")
    for c in CASES:
        if c.kind == "bad":
            assert c.rule in (c.example.codes or c.example.expected_runtime_codes), c.id
