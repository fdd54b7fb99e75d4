"""The pre-commit hook, for real: ``pre-commit try-repo`` builds the hook's environment
from this repository (``pip install .`` into a fresh virtualenv) and runs it on a
temporary git repository.

The hook repository is a clone of this checkout's HEAD, the state a user's
``rev:`` points at; ``try-repo`` on the working tree itself would mix in whatever
uncommitted edits it holds. Building the environment installs the project's
dependencies with pip, so it needs the package index (or a mirror set through
``PIP_INDEX_URL``); nothing else is fetched from the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
HEADER = "from flowmanager import FlowManagerMP\n\n\ndef double(task):\n    return task * 2\n\n\n"
LAMBDA = HEADER + "manager = FlowManagerMP(double, lambda r: r)\n"
FINDING = (
    f"bad.py:{HEADER.count(chr(10)) + 1}:{len('manager = FlowManagerMP(double, ') + 1}: "
    + RULES["FMP101"].format(name="'<lambda>'").lint_text
)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="needs the project's git checkout (not an sdist)"
)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=280, check=False
    )


def _pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_try_repo_runs_the_hook_on_a_temporary_repository(tmp_path: Path) -> None:
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)
    hook_repo = tmp_path / "hook-repo"
    clone = _run(["git", "clone", "--quiet", str(ROOT), str(hook_repo)], tmp_path, env)
    assert clone.returncode == 0, clone.stderr

    project = tmp_path / "project"
    project.mkdir()
    assert _run(["git", "init", "--quiet"], project, env).returncode == 0
    (project / "bad.py").write_text(LAMBDA, encoding="utf-8")
    (project / "good.py").write_text("x = 1\n", encoding="utf-8")
    # Not Python: the hook's `types: [python]` keeps it away from the linter.
    (project / "notes.txt").write_text("FlowManagerMP(double, lambda r: r)\n", encoding="utf-8")
    assert _run(["git", "add", "."], project, env).returncode == 0

    failed = _pre_commit("try-repo", str(hook_repo), "flowmanager-lint", "--all-files",
                         cwd=project, env=env)  # fmt: skip
    assert failed.returncode == 1, failed.stdout + failed.stderr
    output = failed.stdout.splitlines()
    assert any(line.startswith("flowmanager-lint...") and line.endswith("Failed")
               for line in output), failed.stdout  # fmt: skip
    assert "- hook id: flowmanager-lint" in output
    assert "- exit code: 1" in output
    assert FINDING in output
    assert not any("notes.txt" in line for line in output)

    # The environment is built once; a clean file passes.
    passed = _pre_commit("try-repo", str(hook_repo), "flowmanager-lint", "--files", "good.py",
                         cwd=project, env=env)  # fmt: skip
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert any(line.startswith("flowmanager-lint...") and line.endswith("Passed")
               for line in passed.stdout.splitlines()), passed.stdout  # fmt: skip


@pytest.mark.timeout(60)
def test_the_manifest_and_our_own_config_are_valid() -> None:
    env = dict(os.environ)
    manifest = _pre_commit("validate-manifest", str(ROOT / ".pre-commit-hooks.yaml"),
                           cwd=ROOT, env=env)  # fmt: skip
    assert (manifest.returncode, manifest.stdout) == (0, ""), manifest.stderr
    config = _pre_commit("validate-config", str(ROOT / ".pre-commit-config.yaml"),
                         cwd=ROOT, env=env)  # fmt: skip
    assert (config.returncode, config.stdout) == (0, ""), config.stderr
