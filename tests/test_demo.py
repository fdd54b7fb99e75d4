"""The README's main job, run the way a newcomer runs it: the console script, as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flowmanager.rules import RULES


@pytest.mark.timeout(120)
def test_demo_lints_the_examples_and_runs_a_flow() -> None:
    script = shutil.which("flowmanager-demo", path=str(Path(sys.executable).parent))
    assert script, "the flowmanager-demo console script is not installed"
    proc = subprocess.run([script, "--jobs", "300", "--cpu-jobs", "7"], capture_output=True,
                          text=True, timeout=110, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    examples = [ex for rule in RULES.values() for ex in (*rule.bad, *rule.good)]
    findings = sum(len(ex.codes) for ex in examples)
    lines = proc.stdout.splitlines()
    assert f"{findings} findings in {len(examples)} files" in lines
    assert "                  a lambda: FMP101" in lines
    assert "   a module-level function: accepted" in lines
    assert tuple(
        lines[-4:]
    ) == (" submitted: 307", " completed: 307", "    failed: 0", " processed: 307")
