"""Faults, with real processes under every start method: jobs and processors that raise,
tasks and results that cannot be pickled, children that die, timeouts, the in-flight limit.
Nothing may be lost silently and no process may be left behind."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import engine_jobs as jobs
import pytest

from flowmanager import (
    FlowManagerMP,
    FlowTimeoutError,
    JobsFailedError,
    ResultProcessingError,
    WorkerCrashedError,
)
from flowmanager._errors import RemoteTraceback
from flowmanager._registry import live_instance

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.usefixtures("no_leftovers"),
]




JOB = "engine_jobs.fail_on_odd"
FAILED_FIX = (
    "  fix: handle the errors in the job, pass on_error= to see each failure as it happens, "
    "or close_processes(raise_on_error=False) and read .failures"
)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_failed_jobs_are_kept_reported_to_on_error_and_raised_at_close(
        method: str, out: Path) -> None:
    manager = FlowManagerMP(jobs.fail_on_odd, jobs.record, on_error=jobs.record_failure,
                            workers=1, start_method=method)
    manager.submit_task([0, 1, 2, 3])
    with pytest.raises(JobsFailedError) as caught:
        manager.close_processes()
    assert str(caught.value) == (
        "2 of 4 jobs raised; their results were not passed to the result processor:\n"
        f"  - ValueError: odd task 1 (task 1, job {JOB})\n"
        f"  - ValueError: odd task 3 (task 3, job {JOB})\n" + FAILED_FIX
    )
    failure = caught.value.failures[0]
    assert (failure.task, failure.fq_name, failure.exc_type, failure.message) == (
        1, JOB, "ValueError", "odd task 1")
    assert failure.traceback.startswith("Traceback (most recent call last):\n")
    assert failure.traceback.endswith("ValueError: odd task 1\n")
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    texts = sorted(text for _, text in jobs.read_records(out))
    assert texts == ["0", "2", "failure 1 ValueError", "failure 3 ValueError"]


@pytest.mark.timeout(30)
def test_failed_jobs_need_not_raise() -> None:
    manager = FlowManagerMP(jobs.fail_on_odd, workers=1, raise_on_error=False)
    manager.submit_task([1, 2])
    manager.close_processes()
    assert [f.task for f in manager.failures] == [1]
    manager = FlowManagerMP(jobs.fail_on_odd, workers=1)
    manager.submit_task([1, 2])
    manager.close_processes(raise_on_error=False)
    assert manager.stats().failed == 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
@pytest.mark.parametrize("serial", [False, True])
def test_a_raising_on_complete_is_counted_logged_here_and_processing_goes_on(
        serial: bool, method: str, out: Path, caplog: pytest.LogCaptureFixture) -> None:
    manager = FlowManagerMP(jobs.double, jobs.picky, serial, workers=1, start_method=method)
    manager.submit_task([1, 2, 3])
    with pytest.raises(ResultProcessingError) as caught:
        manager.close_processes()
    assert str(caught.value) == (
        "the result processor raised for 1 of 3 results; processing went on for the others:\n"
        "  - RuntimeError: cannot store 4 (on_complete of result 4)\n"
        "  fix: handle the error inside the result processor (every failure is also logged on "
        "the 'flowmanager' logger with its traceback)"
    )
    assert sorted(text for _, text in jobs.read_records(out)) == ["2", "6"]
    stats = manager.stats()
    assert (stats.completed, stats.processed, stats.processing_errors) == (3, 2, 1)
    # Logged once, in this process, where the application set up logging (under spawn and
    # forkserver the result process has none of its handlers).
    [record] = caplog.records
    assert record.name == "flowmanager"
    if serial:
        assert record.getMessage() == "on_complete raised for result 4; processing goes on"
        assert record.exc_info is not None
    else:
        text = record.getMessage()
        assert text.startswith("on_complete raised for result 4 in the result process; "
                               "processing goes on\nTraceback (most recent call last):\n")
        assert text.endswith("\nRuntimeError: cannot store 4")


@pytest.mark.timeout(30)
def test_job_failures_and_processing_failures_are_both_told_at_close() -> None:
    manager = FlowManagerMP(jobs.fail_on_odd, jobs.picky, workers=1)
    manager.submit_task([1, 2])  # the job raises for 1; picky records 2
    manager.submit_task([4])  # picky raises for the result 4
    with pytest.raises(JobsFailedError) as caught:
        manager.close_processes()
    assert str(caught.value) == (
        "1 of 3 jobs raised; their results were not passed to the result processor:\n"
        f"  - ValueError: odd task 1 (task 1, job {JOB})\n"
        "and the result processor raised for 1 result(s):\n"
        "  - RuntimeError: cannot store 4 (on_complete of result 4)\n" + FAILED_FIX
    )
    assert [f.result for f in caught.value.processing_failures] == ["4"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_an_unpicklable_task_raises_at_once_and_enqueues_nothing(method: str) -> None:
    manager = FlowManagerMP(jobs.double, workers=1, start_method=method)
    with pytest.raises(TypeError) as caught:
        manager.submit_task([1, threading.Lock(), 3])
    assert str(caught.value) == (
        "task 1 of the list cannot be pickled to reach an executor process: lock "
        "(TypeError: cannot pickle '_thread.lock' object); nothing was submitted\n"
        "  fix: submit plain data (numbers, strings, lists, dicts, dataclasses) and open files "
        "or connections inside the job"
    )
    with pytest.raises(TypeError, match=r"^the task cannot be pickled to reach an executor"):
        manager.submit_task(threading.Lock())
    assert manager.stats().submitted == 0
    manager.submit_task([5])
    manager.close_processes()
    assert manager.stats().completed == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_an_unpicklable_result_fails_only_its_task(method: str, out: Path) -> None:
    manager = FlowManagerMP(jobs.lock_result, jobs.record, workers=1, start_method=method)
    manager.submit_task([0, 1, 2])
    manager.wait_for_completion(timeout=20)
    manager.submit_task([3])  # the executor lives on
    with pytest.raises(JobsFailedError):
        manager.close_processes()
    [failure] = manager.failures
    assert (failure.task, failure.exc_type) == (1, "UnpicklableResultError")
    assert failure.message == (
        "the job returned a _thread.lock, which cannot be pickled to reach the result processor "
        "(TypeError: cannot pickle '_thread.lock' object); return plain data (numbers, "
        "strings, lists, dicts, dataclasses) from the job"
    )
    assert sorted(text for _, text in jobs.read_records(out)) == ["0", "2", "3"]


CRASH_FIX = (
    "  fix: find what killed it (a crash in native code, os._exit in a job, the out-of-memory "
    "killer: see dmesg) and submit the lost tasks again to a new instance"
)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
@pytest.mark.parametrize(("task", "how"), [
    ("exit", "exited with code 3"),
    ("exit0", "exited with code 0 before it was told to stop (os._exit or sys.exit in a job?)"),
    ("sys.exit", "exited with code 4"),
    ("kill", "was killed by SIGKILL"),
    ("segfault", "was killed by SIGSEGV"),
])
def test_a_dead_executor_is_reported_with_its_lost_tasks(method: str, task: str, how: str) -> None:
    manager = FlowManagerMP(jobs.die, workers=1, start_method=method)
    manager.submit_task(["a", "b"])
    manager.wait_for_completion(timeout=20)
    pid = manager._executors[0].pid
    manager.submit_task([task, "c"])
    started = time.monotonic()
    with pytest.raises(WorkerCrashedError) as caught:
        manager.wait_for_completion(timeout=20)
    assert time.monotonic() - started < 3
    assert str(caught.value) == (
        f"the executor process 'flowmanager-executor-0' (pid {pid}) {how}; 2 task(s) were "
        "lost with it and the instance was shut down\n" + CRASH_FIX
    )
    assert jobs.stray_children() == []
    with pytest.raises(WorkerCrashedError):
        manager.close_processes()
    with pytest.raises(WorkerCrashedError):
        manager.submit_task("d")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_a_dead_result_process_is_reported(method: str) -> None:
    manager = FlowManagerMP(jobs.sleep_for, jobs.record, workers=1, start_method=method)
    manager.submit_task([0.0, 30.0])
    process = manager._result_process
    assert process is not None
    time.sleep(0.5)
    os.kill(process.pid or 0, signal.SIGKILL)
    with pytest.raises(WorkerCrashedError) as caught:
        manager.close_processes(timeout=20)
    assert re.fullmatch(
        r"the result process 'flowmanager-results' \(pid \d+\) was killed by SIGKILL; "
        r"[12] task\(s\) were lost with it and the instance was shut down\n.*",
        str(caught.value), re.S)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_timeouts_bound_the_wait_and_close_leaves_nothing_behind(method: str) -> None:
    manager = FlowManagerMP(jobs.sleep_for, workers=1, start_method=method)
    manager.submit_task([30.0])
    started = time.monotonic()
    with pytest.raises(FlowTimeoutError) as caught:
        manager.wait_for_completion(timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 2
    assert str(caught.value) == (
        "wait_for_completion() timed out after 0.5 s; 1 of 1 submitted tasks are still "
        "running (0 completed, 0 failed, 0 results processed)"
    )
    started = time.monotonic()
    with pytest.raises(FlowTimeoutError) as caught:
        manager.close_processes(timeout=0.5)
    assert time.monotonic() - started < 2.5
    assert str(caught.value) == (
        "close_processes() timed out after 0.5 s; 1 of 1 submitted tasks are still running "
        "(0 completed, 0 failed, 0 results processed); the processes were stopped"
    )
    assert jobs.stray_children() == []
    assert live_instance() is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_submit_waits_for_room_under_the_in_flight_limit(method: str) -> None:
    manager = FlowManagerMP(jobs.sleep_for, workers=1, max_in_flight=2, start_method=method)
    manager.submit_task([0.3, 30.0])
    manager.submit_task(0.0, timeout=5)  # waits until the 0.3 s task is done
    with pytest.raises(FlowTimeoutError) as caught:
        manager.submit_task(0.0, timeout=0.3)
    assert str(caught.value) == (
        "submit_task waiting for room under max_in_flight=2 timed out after 0.3 s; 2 of 3 "
        "submitted tasks are still running (1 completed, 0 failed, 1 results processed)"
    )
    manager._shutdown()
