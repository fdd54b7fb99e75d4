"""``flowmanager-lint`` as users run it: a real subprocess, real files, real exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager.rules import RULES, judge_instances

HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"
LAMBDA_LINE = HEADER.count("\n") + 1
LAMBDA = HEADER + "manager = FlowManagerMP(double, lambda r: r)\n"
LAMBDA_COL = len("manager = FlowManagerMP(double, ") + 1
LAMBDA_TEXT = RULES["FMP101"].format(name="'<lambda>'").lint_text
TWO = HEADER + (
    "def show(result):\n    print(result)\n\n\n"
    "first = FlowManagerMP(double, show)\nsecond = FlowManagerMP(double, show)\n"
)
TWO_LINE = TWO.count("\n")
TWO_TEXT = judge_instances(f"on the same path as the one at line {TWO_LINE - 1}").lint_text
CLEAN = HEADER + "def show(r):\n    print(r)\n\n\nmanager = FlowManagerMP(double, show)\n"


def lint(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "flowmanager_lint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def lambda_line(path: str) -> str:
    return f"{path}:{LAMBDA_LINE}:{LAMBDA_COL}: {LAMBDA_TEXT}"


def write(root: Path, relative: str, text: str | bytes = LAMBDA) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.timeout(60)
def test_a_finding_prints_flake8s_line_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "app.py")
    proc = lint("app.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, lambda_line("app.py") + "\n", "")


@pytest.mark.timeout(60)
def test_two_instances_and_clean_files(tmp_path: Path) -> None:
    write(tmp_path, "two.py", TWO)
    write(tmp_path, "clean.py", CLEAN)
    proc = lint("two.py", "clean.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == f"two.py:{TWO_LINE}:10: {TWO_TEXT}\n"
    clean = lint("clean.py", cwd=tmp_path)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")


@pytest.mark.timeout(60)
def test_the_console_script_is_the_same_command(tmp_path: Path) -> None:
    write(tmp_path, "app.py")
    script = Path(sys.executable).with_name("flowmanager-lint")
    proc = subprocess.run(
        [str(script), "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout) == (1, lambda_line("app.py") + "\n")
    version = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert version.stdout.startswith("flowmanager-lint ")


@pytest.mark.timeout(60)
def test_directories_are_walked_in_order_skipping_what_is_not_source(tmp_path: Path) -> None:
    for relative in ("b.py", "pkg/a.py", "pkg/sub/c.py", "pkg/z.py", "script"):
        write(tmp_path, relative)
    for skipped in (
        ".git/hook.py", ".tox/py/x.py", ".nox/x.py", "build/lib/x.py", "dist/x.py",
        "__pycache__/x.py", "node_modules/x.py", "proj.egg-info/x.py", "env/lib/x.py",
    ):  # fmt: skip
        write(tmp_path, skipped)
    write(tmp_path, "env/pyvenv.cfg", "home = /usr/bin\n")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    proc = lint(".", cwd=tmp_path)
    assert proc.stdout.splitlines() == [
        lambda_line(p) for p in ("./b.py", "./pkg/a.py", "./pkg/sub/c.py", "./pkg/z.py")
    ]
    # No path means the current directory; a file given by name is linted whatever its suffix.
    assert lint(cwd=tmp_path).stdout == proc.stdout
    assert lint("script", cwd=tmp_path).stdout == lambda_line("script") + "\n"


@pytest.mark.timeout(60)
def test_exclude_globs_drop_files_and_directories(tmp_path: Path) -> None:
    for relative in ("keep.py", "legacy/old.py", "api_pb2.py", "pkg/legacy/x.py"):
        write(tmp_path, relative)
    proc = lint("--exclude", "legacy,*_pb2.py", ".", cwd=tmp_path)
    assert proc.stdout == lambda_line("./keep.py") + "\n"
    by_path = lint("--exclude", "pkg/legacy", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in by_path.stdout.splitlines()] == [
        "./api_pb2.py", "./keep.py", "./legacy/old.py",
    ]  # fmt: skip
    # An explicitly named file is excluded too, as pre-commit passes every file by name.
    assert lint("--exclude", "*_pb2.py", "api_pb2.py", cwd=tmp_path).returncode == 0


@pytest.mark.timeout(90)
def test_pyproject_exclude_globs_are_relative_to_the_pyproject(tmp_path: Path) -> None:
    """The same globs from any working directory, as flake8 and ruff read theirs."""
    project = tmp_path / "proj"
    for relative in (
        "src/app.py",
        "src/generated/g.py",
        "docs/conf.py",
        "lib/src/generated/h.py",  # not the src/generated the glob means
    ):
        write(project, relative)
    write(
        project,
        "pyproject.toml",
        '[tool.flowmanager-lint]\nexclude = ["src/generated", "docs/*.py"]\n',
    )

    def linted(*args: str, cwd: Path) -> list[str]:
        proc = lint(*args, cwd=cwd)
        assert proc.stderr == ""
        return [line.split(":")[0] for line in proc.stdout.splitlines()]

    assert linted(".", cwd=project) == ["./lib/src/generated/h.py", "./src/app.py"]
    assert linted(".", cwd=project / "src") == ["./app.py"]
    assert linted("proj", cwd=tmp_path) == ["proj/lib/src/generated/h.py", "proj/src/app.py"]
    assert linted(".", cwd=project / "lib") == ["./src/generated/h.py"]
    # Files named one by one, as pre-commit passes them, from inside and outside.
    assert linted("g.py", cwd=project / "src" / "generated") == []
    assert linted("conf.py", cwd=project / "docs") == []
    assert linted("proj/docs/conf.py", "proj/src/app.py", cwd=tmp_path) == ["proj/src/app.py"]
    absolute = str(project / "src" / "generated" / "g.py")
    assert linted(absolute, cwd=tmp_path) == []
    # --exclude on the command line replaces the file's globs, relative to the current
    # directory.
    assert linted("--exclude", "generated", ".", cwd=project / "src") == ["./app.py"]
    assert linted("--exclude", "app.py", ".", cwd=project / "src") == ["./generated/g.py"]
    assert linted("--exclude", "generated", "generated/g.py", cwd=project / "src") == []
    # Inside an excluded directory, nothing there is linted.
    assert linted(".", cwd=project / "src" / "generated") == []


@pytest.mark.timeout(60)
def test_standard_input_with_and_without_a_name(tmp_path: Path) -> None:
    named = lint("-", "--stdin-filename", "src/app.py", cwd=tmp_path, stdin=LAMBDA.encode())
    assert (named.returncode, named.stdout) == (1, lambda_line("src/app.py") + "\n")
    anonymous = lint("-", cwd=tmp_path, stdin=LAMBDA.encode())
    assert anonymous.stdout == lambda_line("stdin") + "\n"
    clean = lint("-", cwd=tmp_path, stdin=CLEAN.encode())
    assert (clean.returncode, clean.stdout) == (0, "")


@pytest.mark.timeout(60)
def test_select_and_ignore_take_code_prefixes_and_the_more_specific_wins(tmp_path: Path) -> None:
    write(tmp_path, "lam.py")
    write(tmp_path, "two.py", TWO)

    def files(*options: str) -> list[str]:
        out = lint(*options, "lam.py", "two.py", cwd=tmp_path).stdout
        return [line.split(":")[0] for line in out.splitlines()]

    assert files() == ["lam.py", "two.py"]
    assert files("--select", "FMP1") == ["lam.py"]
    assert files("--ignore", "FMP1") == ["two.py"]
    assert files("--select", "FMP", "--ignore", "FMP001") == ["lam.py"]
    assert files("--select", "FMP001", "--ignore", "FMP") == ["two.py"]
    assert files("--select", "FMP101,FMP001") == ["lam.py", "two.py"]
    assert lint("--ignore", "FMP", "lam.py", cwd=tmp_path).returncode == 0


POOL = (
    HEADER.replace("from flowmanager import FlowManagerMP", "from mylib import Pool")
    + "manager = Pool(double, lambda r: r)\n"
)


@pytest.mark.timeout(60)
def test_settings_come_from_the_nearest_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.flowmanager-lint]\nnames = ["Pool"]\n')
    write(tmp_path, "src/pkg/pool.py", POOL)
    expected = (
        f"src/pkg/pool.py:{LAMBDA_LINE}:{len('manager = Pool(double, ') + 1}: {LAMBDA_TEXT}\n"
    )
    assert lint("src/pkg/pool.py", cwd=tmp_path).stdout == expected
    # Found from the directory holding the paths, also when run from elsewhere.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert lint(str(tmp_path / "src"), cwd=elsewhere).returncode == 1
    assert lint("--no-config", "src/pkg/pool.py", cwd=tmp_path).returncode == 0
    # Standard input takes the settings of the file it names.
    write(tmp_path, "other/pyproject.toml", '[tool.flowmanager-lint]\nnames = ["Other"]\n')
    piped = lint("-", "--stdin-filename", "src/pkg/pool.py", cwd=tmp_path, stdin=POOL.encode())
    assert piped.stdout == expected
    piped = lint("-", "--stdin-filename", "other/pool.py", cwd=tmp_path, stdin=POOL.encode())
    assert piped.stdout == ""
    # An option replaces the same key of the file.
    assert lint("--names", "Other", "src/pkg/pool.py", cwd=tmp_path).returncode == 0
    write(tmp_path, "other.toml", '[tool.flowmanager-lint]\nnames = ["Other"]\n')
    assert lint("--config", "other.toml", "src/pkg/pool.py", cwd=tmp_path).returncode == 0


@pytest.mark.timeout(60)
def test_select_ignore_exclude_and_factories_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "lam.py")
    write(tmp_path, "two.py", TWO)
    write(tmp_path, "gen/x.py")
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.flowmanager-lint]\nselect = ["FMP"]\nignore = ["FMP001"]\nexclude = ["gen"]\n',
    )
    assert lint(".", cwd=tmp_path).stdout == lambda_line("./lam.py") + "\n"
    assert lint("--ignore", "FMP101", ".", cwd=tmp_path).stdout.startswith("./two.py:")

    project = tmp_path / "factories"
    write(project, "pyproject.toml", '[tool.flowmanager-lint]\nfactories = ["mylib.open_db"]\n')
    write(
        project,
        "app.py",
        "import mylib\n\nfrom flowmanager import FlowManagerMP\n\ndb = mylib.open_db()\n\n\n"
        "def double(task):\n    return task * 2\n\n\n"
        "def process(result):\n    db.save(result)\n\n\n"
        "manager = FlowManagerMP(double, process)\n",
    )
    text = (
        RULES["FMP103"]
        .format(
            name="'process'",
            culprit="process.__globals__['db']",
            type="mylib.open_db() result",
            root="'db'",
        )
        .lint_text
    )
    assert lint("app.py", cwd=project).stdout == f"app.py:16:33: {text}\n"
    assert lint("--no-config", "app.py", cwd=project).stdout == ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("toml", "error"),
    [
        (
            '[tool.flowmanager-lint]\nnames = ["A"]\nselct = ["FMP1"]\n',
            "[tool.flowmanager-lint] has unknown key(s) selct; the known keys are "
            "names, factories, select, ignore, exclude",
        ),
        (
            "[tool.flowmanager-lint]\nignore = 101\n",
            "[tool.flowmanager-lint] ignore must be a list of strings, got 101; write it as "
            'ignore = ["..."]',
        ),
        (
            "[tool.flowmanager-lint\n",
            "is not valid TOML: ",  # then the TOML reader's own words
        ),
    ],
)
def test_a_bad_configuration_is_a_usage_error(tmp_path: Path, toml: str, error: str) -> None:
    write(tmp_path, "pyproject.toml", toml)
    write(tmp_path, "app.py")
    proc = lint("app.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    prefix = f"flowmanager-lint: error: {tmp_path / 'pyproject.toml'}: {error}"
    if error.endswith(": "):
        assert proc.stderr.startswith(prefix)
        assert proc.stderr.count("\n") == 1
    else:
        assert proc.stderr == prefix + "\n"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--jobs", "0"], "argument -j/--jobs: expected 'auto' or a whole number from 1, got '0'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--stdin-filename", "x.py", "app.py"], "--stdin-filename needs '-' among the paths"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(
    tmp_path: Path, args: list[str], error: str
) -> None:
    write(tmp_path, "app.py")
    proc = lint(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert error in proc.stderr.splitlines()[-1]
    assert "Traceback" not in proc.stderr


# -- files that cannot be checked: one line each, the others still linted ------


def _diagnostics(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    for name, text in files.items():
        write(tmp_path, name, text)
    write(tmp_path, "zz_last.py")
    proc = lint(*files, "zz_last.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[-1] == lambda_line("zz_last.py")  # linting went on
    return lines[:-1]


@pytest.mark.timeout(60)
def test_unreadable_paths_are_one_line_each(tmp_path: Path) -> None:
    write(tmp_path, "plain.py", CLEAN)
    write(tmp_path, "zz_last.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")
    proc = lint("missing.py", "plain.py/inner.py", "dangling.py", "zz_last.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "missing.py:1:1: E902 FileNotFoundError: [Errno 2] No such file or directory: 'missing.py'",
        "plain.py/inner.py:1:1: E902 NotADirectoryError: [Errno 20] Not a directory: "
        "'plain.py/inner.py'",
        "dangling.py:1:1: E902 FileNotFoundError: [Errno 2] No such file or directory: "
        "'dangling.py'",
        lambda_line("zz_last.py"),
    ]


@pytest.mark.timeout(60)
@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="permissions do not bind root (the other unreadable-path tests still run)",
)
def test_a_directory_without_permission_is_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    write(locked, "x.py")
    locked.chmod(0)
    try:
        proc = lint(".", cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    assert proc.stdout == (
        "./locked:1:1: E902 PermissionError: [Errno 13] Permission denied: './locked'\n"
    )


@pytest.mark.timeout(60)
def test_undecodable_and_encoded_files(tmp_path: Path) -> None:
    latin = b"# -*- coding: latin-1 -*-\nname = '\xe9'\n" + LAMBDA.encode()
    lines = _diagnostics(
        tmp_path,
        {
            "bad_bytes.py": b"x = 1\ny = '\xff'  # FlowManagerMP\n",
            "bad_first_line.py": b"\xff\xfe FlowManagerMP\n",
            "unknown_codec.py": b"# coding: klingon\nFlowManagerMP\n",
            "bom.py": b"\xef\xbb\xbf" + LAMBDA.encode(),
            "latin.py": latin,
            "empty.py": b"",
        },
    )
    assert lines == [
        "bad_bytes.py:2:6: E902 UnicodeDecodeError: byte 0xff at line 2 is not valid utf-8; "
        "save the file as UTF-8 or declare its encoding with a coding comment (PEP 263)",
        "bad_first_line.py:1:1: E902 UnicodeDecodeError: byte 0xff at line 1 is not valid "
        "utf-8; save the file as UTF-8 or declare its encoding with a coding comment (PEP 263)",
        "unknown_codec.py:1:1: E902 SyntaxError: unknown encoding: klingon; declare a codec "
        "Python knows, such as '# -*- coding: utf-8 -*-', or remove the comment",
        lambda_line("bom.py"),
        f"latin.py:{LAMBDA_LINE + 2}:{LAMBDA_COL}: {LAMBDA_TEXT}",
    ]


@pytest.mark.timeout(60)
def test_files_that_do_not_parse(tmp_path: Path) -> None:
    lines = _diagnostics(
        tmp_path,
        {
            "unclosed.py": HEADER + "manager = FlowManagerMP(double,\n",
            "null.py": "FlowManagerMP\x00\n",
            "parens.py": "x = FlowManagerMP" + "(" * 5000 + ")" * 5000 + "\n",
            "never_mentions.py": "def broken(:\n",
        },
    )
    # The column CPython gives for too deep a nesting differs between versions.
    deep_place, deep_text = lines[2].split(": ", 1)
    assert [*lines[:2], deep_text] == [
        f"unclosed.py:{LAMBDA_LINE}:24: E999 SyntaxError: '(' was never closed",
        "null.py:1:1: E999 SyntaxError: source code string cannot contain null bytes",
        "E999 SyntaxError: too many nested parentheses",
    ]
    assert deep_place.startswith("parens.py:1:")


@pytest.mark.timeout(60)
def test_what_only_the_compiler_refuses_is_one_plain_e999(tmp_path: Path) -> None:
    # ast.parse accepts a module-level nonlocal; compile() refuses it.
    text = HEADER + "nonlocal worker\nmanager = FlowManagerMP(double, lambda r: r)\n"
    line = HEADER.count("\n") + 1
    assert _diagnostics(tmp_path, {"nonlocal.py": text}) == [
        f"nonlocal.py:{line}:1: E999 SyntaxError: nonlocal declaration not allowed at module level"
    ]


@pytest.mark.timeout(60)
def test_deeply_nested_and_huge_files(tmp_path: Path) -> None:
    deep = "from flowmanager import FlowManagerMP\nx = " + "not " * 20000 + "FlowManagerMP\n"
    chain = "from flowmanager import FlowManagerMP\nx = FlowManagerMP" + ".a" * 20000 + "\n"
    huge = HEADER + "".join(f"value_{i} = {i}\n" for i in range(20_000)) + LAMBDA[len(HEADER) :]
    lines = _diagnostics(tmp_path, {"deep.py": deep, "chain.py": chain, "huge.py": huge})
    too_deep_for_python = (
        " (Python's own parser cannot read code nested this deeply); split the deepest "
        "expression into smaller ones"
    )
    assert [line.split(": ", 1)[0] for line in lines] == [
        "deep.py:1:1",
        "chain.py:1:1",
        f"huge.py:{LAMBDA_LINE + 20_000}:{LAMBDA_COL}",
    ]
    for line in lines[:2]:
        assert line.split(": ", 1)[1] in (
            f"E999 MemoryError: out of memory{too_deep_for_python}",
            "E999 RecursionError: maximum recursion depth exceeded during ast construction"
            + too_deep_for_python,
        )
    assert lines[2].endswith(LAMBDA_TEXT)


def test_a_chain_past_the_linters_own_limit(tmp_path: Path) -> None:
    """Python accepts 900 chained operators; the linter says the limit is its own."""
    chain = "from flowmanager import FlowManagerMP\nx = " + " + ".join(["a"] * 900) + "\n"
    assert _diagnostics(tmp_path, {"chain.py": chain}) == [
        "chain.py:1:1: E999 the file nests more than 800 levels deep, flowmanager-lint's own "
        "limit (Python accepts it), so it was not checked; split the deepest expression into "
        "smaller ones"
    ]


@pytest.mark.timeout(90)
def test_many_files_run_in_parallel_in_a_stable_order(tmp_path: Path) -> None:
    names = [f"m{i:03d}.py" for i in range(40)]
    for name in names:
        write(tmp_path, f"pkg/{name}")
    expected = [lambda_line(f"pkg/{name}") for name in names]
    parallel = lint("-j", "2", "pkg", cwd=tmp_path)
    serial = lint("-j", "1", "pkg", cwd=tmp_path)
    assert parallel.stdout.splitlines() == serial.stdout.splitlines() == expected
    assert parallel.stderr == ""
