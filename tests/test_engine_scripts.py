"""The engine from a real ``__main__`` script run as a subprocess: results under every
start method, Ctrl-C, a killed main process, an instance left open at exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import engine_jobs as jobs
import psutil
import pytest

SCRIPT = Path(__file__).parent / "scripts" / "engine_main.py"


def _env(out: Path) -> dict[str, str]:
    return {**os.environ, "FMP_SCRIPT_OUT": str(out)}


def _start(method: str, mode: str, out: Path) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([sys.executable, str(SCRIPT), method, mode], env=_env(out),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids: list[int] = json.loads(proc.stdout.readline())
    return proc, pids


def _gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_a_main_script_runs_under_every_start_method(method: str, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    proc = subprocess.run([sys.executable, str(SCRIPT), method, "run"], env=_env(out),
                          capture_output=True, text=True, timeout=50, check=False)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"{3 * sum(range(20))}\n"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_ctrl_c_stops_the_children(method: str, tmp_path: Path) -> None:
    proc, pids = _start(method, "block", tmp_path / "out.txt")
    assert len(pids) >= 2
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == -signal.SIGINT  # Python re-raises an uncaught Ctrl-C on exit
    # The traceback ends in KeyboardInterrupt; when Ctrl-C lands outside the wait, the
    # warning about the abandoned tasks follows it.
    assert "\nKeyboardInterrupt\n" in err
    assert _gone(pids, within=5)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
@pytest.mark.parametrize("mode", ["block", "idle"])
def test_children_exit_on_their_own_when_the_main_process_is_killed(
        method: str, mode: str, tmp_path: Path) -> None:
    # "idle": executors that never got work wait for it outside any event loop.
    proc, pids = _start(method, mode, tmp_path / "out.txt")
    proc.kill()
    proc.wait(10)
    assert _gone(pids, within=5)


@pytest.mark.timeout(60)
def test_an_instance_left_open_is_stopped_at_exit(tmp_path: Path) -> None:
    proc, pids = _start("fork", "leave-open", tmp_path / "out.txt")
    started = time.monotonic()
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - started < 10
    assert proc.returncode == 1
    assert "flowmanager._errors.MultipleInstancesError: FMP001 multiple-instances" in err
    assert "RuntimeWarning: the FlowManagerMP created at engine_main.py:" in err
    assert "100 unfinished task(s) were abandoned at exit" in err
    assert _gone(pids, within=3)
