"""The flake8 plugin through a real ``flake8`` process, as users and CI run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager.rules import RULES

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"
LINE = HEADER.count("\n") + 1
LAMBDA = HEADER + "manager = FlowManagerMP(double, lambda r: r)\n"
COL = len("manager = FlowManagerMP(double, ") + 1
LAMBDA_TEXT = RULES["FMP101"].format(name="'<lambda>'").lint_text
POOL = (
    "from mylib import Pool\n\n\ndef double(task):\n    return task * 2\n\n\n"
    "manager = Pool(double, lambda r: r)\n"
)
POOL_COL = len("manager = Pool(double, ") + 1
FACTORY = (
    "import mylib\n\nfrom flowmanager import FlowManagerMP\n\ndb = mylib.open_db()\n\n\n"
    "def double(task):\n    return task * 2\n\n\n"
    "def process(result):\n    db.save(result)\n\n\n"
    "manager = FlowManagerMP(double, process)\n"
)
FACTORY_TEXT = RULES["FMP103"].format(
    name="'process'", culprit="process.__globals__['db']", type="mylib.open_db() result",
    root="'db'",
).lint_text  # fmt: skip


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.timeout(60)
def test_flake8_reports_the_engines_finding(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(LAMBDA, encoding="utf-8")
    proc = flake8("--select=FMP", "app.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        1,
        f"app.py:{LINE}:{COL}: {LAMBDA_TEXT}\n",
        "",
    )


@pytest.mark.timeout(60)
def test_the_plugin_is_registered_with_its_version() -> None:
    from flowmanager import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert f"flowmanager: {__version__}" in proc.stdout.replace("\n", " ")


@pytest.mark.timeout(60)
def test_options_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "pool.py").write_text(POOL, encoding="utf-8")
    (tmp_path / "factory.py").write_text(FACTORY, encoding="utf-8")
    assert flake8("--select=FMP", "pool.py", "factory.py", cwd=tmp_path).stdout == ""
    proc = flake8(
        "--select=FMP", "--fmp-names=Pool,Other", "--fmp-factories", "mylib.open_db",
        "factory.py", "pool.py", cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout.splitlines() == [
        f"factory.py:16:33: {FACTORY_TEXT}",
        f"pool.py:{LINE}:{POOL_COL}: {LAMBDA_TEXT}",
    ]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_options_from_the_flake8_config_also_in_worker_processes(tmp_path: Path, jobs: str) -> None:
    (tmp_path / ".flake8").write_text(
        "[flake8]\nfmp-names = Pool\nfmp-factories =\n    mylib.open_db\n    other.make\n",
        encoding="utf-8",
    )
    # Enough files that flake8 -j2 really uses its process pool.
    names = [f"pool{i:02d}.py" for i in range(12)]
    for name in names:
        (tmp_path / name).write_text(POOL, encoding="utf-8")
    (tmp_path / "factory.py").write_text(FACTORY, encoding="utf-8")
    proc = flake8("--select=FMP", f"-j{jobs}", ".", cwd=tmp_path)
    assert sorted(proc.stdout.splitlines()) == sorted(
        [f"./factory.py:16:33: {FACTORY_TEXT}"]
        + [f"./{name}:{LINE}:{POOL_COL}: {LAMBDA_TEXT}" for name in names]
    )


@pytest.mark.timeout(60)
def test_a_file_that_does_not_parse_is_flake8s_e999_only(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        HEADER + "manager = FlowManagerMP(double, lambda r: r\n", encoding="utf-8"
    )
    (tmp_path / "deep.py").write_text(
        "x = FlowManagerMP" + "(" * 5000 + ")" * 5000 + "\n", encoding="utf-8"
    )
    proc = flake8("--select=E9,FMP", "broken.py", "deep.py", cwd=tmp_path)
    assert proc.stderr == ""
    assert [line.split(" ", 2)[1] for line in proc.stdout.splitlines()] == ["E999", "E999"]


@pytest.mark.timeout(60)
def test_noqa_and_ignore_are_flake8s(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        LAMBDA.replace("lambda r: r)", "lambda r: r)  # noqa: FMP101"), encoding="utf-8"
    )
    (tmp_path / "other.py").write_text(LAMBDA, encoding="utf-8")
    assert flake8("--select=FMP", "app.py", cwd=tmp_path).returncode == 0
    assert flake8("--select=FMP", "--extend-ignore=FMP1", "other.py", cwd=tmp_path).stdout == ""
    assert flake8("--select=FMP", "--disable-noqa", "app.py", cwd=tmp_path).returncode == 1


@pytest.mark.timeout(60)
def test_standard_input(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=FMP", "--stdin-display-name=app.py", "-"],
        input=LAMBDA, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.stdout == f"app.py:{LINE}:{COL}: {LAMBDA_TEXT}\n"
