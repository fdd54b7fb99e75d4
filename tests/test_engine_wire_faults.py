"""Faults on the way between the processes: what pickles in one process but does not
unpickle in the next, exceptions that cannot even be printed, held single submits, and a
crash learnt in passing. Every task is accounted for and nothing hangs."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import engine_jobs as jobs
import pytest

from flowmanager import FlowManagerMP, JobsFailedError, WorkerCrashedError
from flowmanager._registry import live_instance

pytestmark = pytest.mark.usefixtures("no_leftovers")




def unloadable(value: int, job: str, batch: int = 1) -> str:
    what = (f"the task came in a batch of {batch} submitted as one list, which"
            if batch > 1 else "the task")
    return (f"UnpicklableTaskError: {what} could not be unpickled in the executor process "
            f"(LookupError: cannot rebuild {value}); submit plain data, of types every process "
            f"of the program can import (task None, job {job})")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
@pytest.mark.parametrize("job", [jobs.double, jobs.double_async_plain])
def test_a_task_that_does_not_unpickle_in_the_executor_fails_alone(
        method: str, job: object, out: Path) -> None:
    manager = FlowManagerMP(job, jobs.record, workers=1, start_method=method,
                            raise_on_error=False)
    name = f"engine_jobs.{job.__name__}"  # type: ignore[attr-defined]
    # One by one, each task is pickled alone: only the bad ones fail.
    for task in (0, jobs.LoadsBadly(1), 2, jobs.LoadsBadly(3)):
        manager.submit_task(task)
    manager.wait_for_completion(timeout=20)
    stats = manager.stats()
    assert (stats.completed, stats.failed, stats.running) == (2, 2, 0)
    assert sorted(map(str, manager.failures)) == [unloadable(1, name), unloadable(3, name)]
    # A list travels in batches pickled whole (four batches of two here): a batch that
    # does not unpickle fails each of its tasks, the other batches run.
    manager.submit_task([4, jobs.LoadsBadly(5), 6, 8, 10, 12, 14, 16])
    manager.wait_for_completion(timeout=20)
    manager.close_processes()
    stats = manager.stats()
    assert (stats.completed, stats.failed, stats.processed) == (8, 4, 8)
    assert [str(f) for f in manager.failures[2:]] == [unloadable(5, name, batch=2)] * 2
    assert sorted((text for _, text in jobs.read_records(out)), key=int) == [
        "0", "4", "12", "16", "20", "24", "28", "32"]


UNLOADABLE_RESULTS = (
    "UnpicklableResultError: a batch of {n} outcome(s) from executor 0 could not be unpickled "
    "in the process that reads results (LookupError: cannot rebuild {value}); return plain "
    "data from the job, of types every process of the program can import (task None, job ?)"
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
@pytest.mark.parametrize("serial", [False, True])
def test_a_result_that_does_not_unpickle_fails_its_batch_not_the_process(
        method: str, serial: bool, out: Path) -> None:
    manager = FlowManagerMP(jobs.double_or_loads_badly, jobs.record, serial, workers=1,
                            start_method=method)
    manager.submit_task(2)
    manager.wait_for_completion(timeout=20)
    manager.submit_task(3)  # its result pickles in the executor, not back in the reader
    manager.wait_for_completion(timeout=20)
    manager.submit_task(4)
    with pytest.raises(JobsFailedError) as caught:
        manager.close_processes(timeout=20)
    assert [str(f) for f in caught.value.failures] == [
        UNLOADABLE_RESULTS.format(n=1, value=3)]
    stats = manager.stats()
    assert (stats.completed, stats.failed, stats.processed, stats.running) == (2, 1, 2, 0)
    assert sorted(text for _, text in jobs.read_records(out)) == ["4", "8"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_an_exception_whose_str_raises_is_still_reported(method: str) -> None:
    manager = FlowManagerMP(jobs.raise_broken_str, workers=1, start_method=method)
    manager.submit_task([1, 2, 3])
    with pytest.raises(JobsFailedError) as caught:
        manager.close_processes(timeout=20)
    assert [str(f) for f in caught.value.failures] == [
        f"engine_jobs.BrokenStr: <BrokenStr whose str() raised RuntimeError> "
        f"(task {task}, job engine_jobs.raise_broken_str)" for task in (1, 3)]
    assert manager.stats().completed == 1


@pytest.mark.timeout(30)
def test_a_task_changed_after_submit_runs_as_it_was_submitted(out: Path) -> None:
    manager = FlowManagerMP(jobs.slow_value_of, jobs.record, workers=1)
    task = {"i": 0}
    for value in range(6):  # the executor is busy: most of these are held for a batch
        task["i"] = value
        manager.submit_task(task)
    manager.close_processes(timeout=20)
    assert sorted((text for _, text in jobs.read_records(out)), key=int) == [
        "0", "1", "2", "3", "4", "5"]


@pytest.mark.timeout(30)
def test_a_held_task_leaves_without_another_call(out: Path) -> None:
    manager = FlowManagerMP(jobs.sleep_async, jobs.record, workers=1)
    manager.submit_task([30.0] * 5)  # a long backlog: single submits are held for a batch
    manager.submit_task(0.0)
    time.sleep(1.0)  # no call into the instance: the held task must leave on its own
    assert [text for _, text in jobs.read_records(out)] == ["0.0"]
    assert manager.stats().completed == 1
    manager._shutdown()


@pytest.mark.timeout(30)
def test_a_crash_learnt_in_stats_shuts_the_instance_down() -> None:
    manager = FlowManagerMP({"die": jobs.die, "nap": jobs.sleep_async}, workers=1)
    manager.submit_task([30.0] * 3, fq_name="nap")  # a backlog: what follows is held
    manager.submit_task(0.0, fq_name="nap")
    manager.submit_task("kill", fq_name="die")
    manager.flush()
    manager.submit_task(0.0, fq_name="nap")  # held when the executor dies
    deadline = time.monotonic() + 10
    with pytest.raises(WorkerCrashedError) as caught:
        while time.monotonic() < deadline:
            manager.stats()
            time.sleep(0.0005)
    assert str(caught.value).startswith("the executor process 'flowmanager-executor-0' (pid ")
    assert " was killed by SIGKILL; " in str(caught.value)
    # The last task may still have been held (unsent) or already sent (lost): one or the
    # other, never neither.
    assert caught.value.lost + caught.value.unsent == 6
    # Shut down: no child left, and a new instance may start.
    assert live_instance() is None
    assert jobs.stray_children() == []
    FlowManagerMP(jobs.double).close_processes()


def test_a_crash_report_counts_the_tasks_that_never_left_too() -> None:
    error = WorkerCrashedError("the executor process 'x' (pid 7)", "was killed by SIGKILL", 2, 3)
    assert str(error) == (
        "the executor process 'x' (pid 7) was killed by SIGKILL; 2 task(s) were lost with it, "
        "3 more submitted task(s) had not been sent to an executor yet and were not run, and "
        "the instance was shut down\n  fix: find what killed it (a crash in native code, "
        "os._exit in a job, the out-of-memory killer: see dmesg) and submit the lost tasks "
        "again to a new instance"
    )


@pytest.mark.timeout(30)
def test_slow_sync_jobs_report_while_their_batch_runs(out: Path) -> None:
    manager = FlowManagerMP(jobs.sleep_for, jobs.record, workers=1)
    manager.submit_task([0.1] * 80)  # four batches of 20 jobs, 2 s each
    time.sleep(0.6)
    assert 3 <= manager.stats().completed <= 7  # not 0 until the first batch ends
    assert len(jobs.read_records(out)) >= 3
    manager._shutdown()


@pytest.mark.timeout(30)
def test_job_names_are_str() -> None:
    with pytest.raises(TypeError) as caught:
        FlowManagerMP({1: jobs.double})
    assert str(caught.value) == ("the names of a job mapping are what submit_task(fq_name=...) "
                                 "takes and must be str, got int 1")
    manager = FlowManagerMP({"a": jobs.double, "b": jobs.double}, workers=1)
    with pytest.raises(TypeError) as caught:
        manager.submit_task(1, fq_name=["a"])  # type: ignore[arg-type]
    assert str(caught.value) == ("fq_name must be the str name of a job (one of ['a', 'b']), "
                                 "got list ['a']")
    manager.close_processes()


@pytest.mark.timeout(30)
def test_serial_mode_without_processors_keeps_no_results() -> None:
    manager = FlowManagerMP(jobs.double, serial_processing=True, workers=1)
    manager.submit_task(list(range(1000)))
    manager.wait_for_completion(timeout=20)
    assert manager._stored == []
    manager.close_processes()
    assert manager.stats().completed == 1000


@pytest.mark.timeout(30)
@pytest.mark.parametrize("job", [jobs.spoil_and_raise, jobs.spoil_and_raise_async])
def test_a_failure_whose_task_the_job_spoilt_still_travels(job: object) -> None:
    manager = FlowManagerMP(job, workers=1, threads=2, raise_on_error=False)
    manager.submit_task([{"n": 1}, {"n": 2}])
    manager.close_processes(timeout=20)
    # The task no longer pickles, so the failure carries its repr.
    tasks = sorted(f.task for f in manager.failures)
    assert [re.sub(r"0x[0-9a-f]+", "0x?", task) for task in tasks] == [
        "{'n': 1, 'lock': <unlocked _thread.lock object at 0x?>}",
        "{'n': 2, 'lock': <unlocked _thread.lock object at 0x?>}",
    ]
    assert [f.message for f in manager.failures] == ["spoilt", "spoilt"]


def held_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "flowmanager-held-tasks"]


@pytest.mark.timeout(30)
def test_the_held_tasks_thread_lives_only_while_tasks_are_held() -> None:
    manager = FlowManagerMP(jobs.sleep_async, workers=1)
    manager.submit_task(0.0)  # an idle executor: it leaves at once, nothing is held
    assert held_threads() == []
    manager.submit_task([5.0] * 3)
    for _ in range(100):
        manager.submit_task(0.0)  # held behind the backlog, sent by the thread
    assert len(held_threads()) == 1
    manager.close_processes(timeout=20)
    assert held_threads() == []  # gone before close returns: a fork next copies no thread
