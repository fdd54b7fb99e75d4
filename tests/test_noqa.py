"""``# noqa`` in flowmanager-lint reads exactly as in flake8 7.

Each case is a file with one FMP101 construction and a comment somewhere; the
expected outcome is written down, and a real flake8 run over the same files must
agree with a real flowmanager-lint run, line for line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager.rules import RULES
from flowmanager_lint._findings import Finding
from flowmanager_lint._noqa import file_is_exempt, is_silenced, noqa_lines, without_silenced

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"
FIRST = HEADER.count("\n") + 1  # the first line after the header
LAMBDA_TEXT = RULES["FMP101"].format(name="'<lambda>'").lint_text

# name -> (body after HEADER, (line within the body, 1-based column) of the reported finding,
# or None when the comment silences it)
CASES: dict[str, tuple[str, tuple[int, int] | None]] = {
    "none": ("m = FlowManagerMP(double, lambda r: r)\n", (1, 27)),
    "blanket": ("m = FlowManagerMP(double, lambda r: r)  # noqa\n", None),
    "blanket_upper": ("m = FlowManagerMP(double, lambda r: r)  # NOQA\n", None),
    "code": ("m = FlowManagerMP(double, lambda r: r)  # noqa: FMP101\n", None),
    "code_no_space": ("m = FlowManagerMP(double, lambda r: r)  #noqa:FMP101\n", (1, 27)),
    "other_code": ("m = FlowManagerMP(double, lambda r: r)  # noqa: FMP102\n", (1, 27)),
    "list": ("m = FlowManagerMP(double, lambda r: r)  # noqa:FMP102,FMP101\n", None),
    "space_list": ("m = FlowManagerMP(double, lambda r: r)  # noqa: E501 FMP101\n", None),
    "prefix": ("m = FlowManagerMP(double, lambda r: r)  # noqa: FMP1\n", None),
    "lower_code": ("m = FlowManagerMP(double, lambda r: r)  # noqa: fmp101\n", (1, 27)),
    "unparsable_list_is_blanket": ("m = FlowManagerMP(double, lambda r: r)  # noqa: FMP\n", None),
    "space_before_colon_is_blanket": (
        "m = FlowManagerMP(double, lambda r: r)  # noqa : FMP102\n",
        None,
    ),
    "inside_string": ("m = FlowManagerMP(double, lambda r: '# noqa')\n", None),
    "call_other_line": (
        "m = FlowManagerMP(\n    double,\n    lambda r: r,\n)  # noqa\n",
        (3, 5),
    ),
    "call_first_line": (
        "m = FlowManagerMP(  # noqa\n    double,\n    lambda r: r,\n)\n",
        (3, 5),
    ),
    "call_same_line": (
        "m = FlowManagerMP(\n    double,\n    lambda r: r,  # noqa: FMP101\n)\n",
        None,
    ),
    "multiline_string": (
        'm = FlowManagerMP(double, lambda r: """\n"""\n)  # noqa\n',
        (1, 27),
    ),
    "multiline_string_joined": (
        'm = FlowManagerMP(double, lambda r: """\n""")  # noqa: FMP101\n',
        None,
    ),
    "backslash_joined": (
        "m = FlowManagerMP(double, lambda r: r) or \\\n    None  # noqa\n",
        None,
    ),
    "file_exempt": ("# flake8: noqa\nm = FlowManagerMP(double, lambda r: r)\n", None),
    "file_exempt_indented": ("m = FlowManagerMP(double, lambda r: r)\n    # flake8: NOQA\n", None),
    "file_comment_after_code": (
        "m = FlowManagerMP(double, lambda r: r)  # flake8: noqa\n",
        (1, 27),
    ),
}


FILES = sorted(f"{name}.py" for name in CASES)


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("noqa")
    for name, (body, _) in CASES.items():
        (folder / f"{name}.py").write_text(HEADER + body, encoding="utf-8")
    return folder


def _expected(name: str) -> list[str]:
    place = CASES[name][1]
    if place is None:
        return []
    return [f"{name}.py:{FIRST + place[0] - 1}:{place[1]}: {LAMBDA_TEXT}"]


def _by_file(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in lines:
        found.setdefault(line.split(":", 1)[0], []).append(line)
    return found


@pytest.mark.timeout(60)
def test_cli_honours_noqa_as_written_down(case_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flowmanager_lint", "--format", "json", *FILES],
        cwd=case_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stderr == ""
    items = json.loads(proc.stdout)
    got = _by_file([f"{i['path']}:{i['line']}:{i['col']}: {i['message']}" for i in items])
    for name in CASES:
        assert got.get(f"{name}.py", []) == _expected(name), name


@pytest.mark.timeout(60)
def test_flake8_and_the_cli_silence_the_same_findings(case_dir: Path) -> None:
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=FMP", *FILES],
        cwd=case_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    cli = subprocess.run(
        [sys.executable, "-m", "flowmanager_lint", *FILES],
        cwd=case_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert flake8.returncode == cli.returncode == 1
    assert cli.stdout == flake8.stdout
    assert cli.stdout.splitlines() == [line for name in sorted(CASES) for line in _expected(name)]


def test_the_noqa_map_joins_multiline_strings_and_backslashes_only() -> None:
    lines = [
        "x = f(\n",  # 1: own range
        "    1,\n",  # 2: own range
        '    """a\n',  # 3-4: one string token
        '    b""")  # noqa\n',
        "y = 1 + \\\n",  # 5-6: joined by the backslash
        "    2\n",
    ]
    mapping = noqa_lines(lines)
    assert mapping[1] == lines[0]
    assert mapping[2] == lines[1]
    assert mapping[3] == mapping[4] == lines[2] + lines[3]
    assert mapping[5] == mapping[6] == lines[4] + lines[5]


def test_a_source_that_does_not_tokenize_falls_back_to_the_physical_line() -> None:
    lines = ["x = (\n", "FlowManagerMP(f, lambda r: r)  # noqa\n"]
    assert noqa_lines(lines) == {}
    finding = Finding(2, 17, "FMP101", "FMP101 text")
    assert without_silenced([finding], lines) == []
    assert without_silenced([finding], ["x = (\n", "y\n"]) == [finding]


@pytest.mark.parametrize(
    ("comment", "code", "silenced"),
    [
        ("# noqa", "FMP001", True),
        ("# noqa:FMP001", "FMP001", True),
        ("# noqa: FMP001, FMP101", "FMP101", True),
        ("# noqa: FMP00", "FMP001", True),
        ("# noqa: FMP001", "FMP101", False),
        ("# noqa: fmp001", "FMP001", False),
        ("# noqa:  FMP001", "FMP101", True),  # two spaces: the list does not parse
        ("#noqa", "FMP001", False),  # flake8 wants the space after '#'
        ("# NoQA", "FMP001", True),
        ("# no qa", "FMP001", False),
        ("", "FMP001", False),
    ],
)
def test_is_silenced(comment: str, code: str, silenced: bool) -> None:
    assert is_silenced(code, f"x = 1  {comment}\n") is silenced


def test_file_exemption_needs_the_comment_at_the_start_of_a_line() -> None:
    assert file_is_exempt(["x = 1\n", "# flake8: noqa\n"])
    assert file_is_exempt(["  # FLAKE8=NOQA\n"])
    assert not file_is_exempt(["#flake8: noqa\n"])
    assert not file_is_exempt(["x = 1  # flake8: noqa\n"])
    assert file_is_exempt(["# flake8: noqa: FMP101\n"])  # flake8 ignores the codes here
