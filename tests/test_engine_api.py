"""FlowManagerMP's API with real processes: jobs of every shape, both result modes,
submit in batches and one by one, stats, the context manager, FMP001 and the guard."""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import engine_jobs as jobs
import psutil
import pytest

from flowmanager import (
    FlowManagerMP,
    MultipleInstancesError,
    UnpicklableResultProcessorError,
)
from flowmanager._registry import live_instance

pytestmark = pytest.mark.usefixtures("no_leftovers")




def results(path: Path) -> list[str]:
    return sorted((text for _, text in jobs.read_records(path)), key=int)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_parallel_results_reach_on_complete_in_the_result_process(method: str, out: Path) -> None:
    manager = FlowManagerMP(jobs.double, jobs.record, workers=2, start_method=method,
                            batch_size=7)
    manager.submit_task(list(range(50)))
    for task in range(50, 60):
        manager.submit_task(task)
    manager.close_processes()
    assert results(out) == [str(2 * n) for n in range(60)]
    pids = {pid for pid, _ in jobs.read_records(out)}
    assert len(pids) == 1 and os.getpid() not in pids  # one result process, not this one
    stats = manager.stats()
    assert (stats.submitted, stats.running, stats.completed, stats.failed, stats.processed) == (
        60, 0, 60, 0, 60)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_serial_mode_runs_on_complete_here_inside_close(method: str) -> None:
    seen: list[int] = []
    manager = FlowManagerMP(jobs.double_async, seen.append, serial_processing=True,
                            start_method=method)
    manager.submit_task([1, 2, 3])
    manager.wait_for_completion(timeout=20)
    assert seen == []  # serial processing happens in close_processes()
    manager.close_processes()
    assert sorted(seen) == [2, 4, 6]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_jobs_of_every_shape_and_routing_by_fq_name(method: str) -> None:
    seen: list[int] = []
    factor = 5
    manager = FlowManagerMP(
        {
            "double": jobs.double,
            "async": jobs.double_async,
            "object": jobs.Tripler(),
            "async-object": jobs.AsyncNegator(),
            "lambda": lambda task: task + 100,
            "closure": lambda task: task * factor,
        },
        seen.append,
        serial_processing=True,
        start_method=method,
    )
    assert manager.get_fq_names() == ["double", "async", "object", "async-object", "lambda",
                                      "closure"]
    for name in manager.get_fq_names():
        manager.submit_task(1, fq_name=name)
    with pytest.raises(ValueError, match=r"^no job named 'nope'; the jobs are \['double'"):
        manager.submit_task(1, fq_name="nope")
    with pytest.raises(ValueError, match=r"^submit_task needs fq_name= to choose one of"):
        manager.submit_task(1)
    manager.close_processes()
    assert sorted(seen) == [-1, 2, 2, 3, 5, 101]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_ten_thousand_async_jobs_run_at_once(method: str) -> None:
    manager = FlowManagerMP(jobs.sleep_async, workers=1, start_method=method)
    manager.submit_task([0.5] * 10_000)
    manager.wait_for_completion(timeout=10)  # one after another this would take 5000 s
    assert manager.stats().completed == 10_000
    manager.close_processes()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_children_outlive_their_one_second_parent_check(method: str) -> None:
    manager = FlowManagerMP(jobs.sleep_async, jobs.record, workers=1, start_method=method)
    manager.submit_task([1.5])  # the children check their parent after 1 s
    manager.wait_for_completion(timeout=20)
    manager.close_processes()
    assert manager.stats().processed == 1


@pytest.mark.timeout(30)
def test_a_task_submitted_alone_runs_without_waiting_for_a_batch() -> None:
    manager = FlowManagerMP(jobs.double, batch_size=1000)
    manager.submit_task(21)
    manager.wait_for_completion(timeout=10)
    assert manager.stats().completed == 1
    manager.close_processes()


@pytest.mark.timeout(30)
def test_tasks_submitted_one_by_one_travel_in_batches() -> None:
    manager = FlowManagerMP(jobs.sleep_async, workers=2)
    for _ in range(5000):
        manager.submit_task(0.2)
    manager.wait_for_completion(timeout=20)
    stats = manager.stats()
    assert stats.completed == 5000
    assert stats.batches < 100, stats.batches  # one message per task would be 5000
    manager.close_processes()


@pytest.mark.timeout(30)
def test_stats_report_every_process() -> None:
    manager = FlowManagerMP(jobs.double, jobs.record, workers=2)
    stats = manager.stats()
    roles = [p.role for p in stats.processes]
    assert roles == ["main", "flowmanager-executor-0", "flowmanager-executor-1",
                     "flowmanager-results"]
    assert all(p.alive and p.rss_bytes > 0 and p.cpu_seconds >= 0 for p in stats.processes)
    manager.close_processes()
    assert [p.alive for p in manager.stats().processes] == [True, False, False, False]


@pytest.mark.timeout(30)
def test_context_manager_closes() -> None:
    seen: list[int] = []
    with FlowManagerMP(jobs.double, seen.append, serial_processing=True) as manager:
        manager.submit_task([1, 2])
    assert sorted(seen) == [2, 4]
    with pytest.raises(RuntimeError, match=r"^submit_task\(\) on a closed FlowManagerMP"):
        manager.submit_task(3)


@pytest.mark.timeout(30)
def test_second_open_instance_is_fmp001_and_a_closed_one_does_not_count() -> None:
    first = FlowManagerMP(jobs.double)
    line = first.site
    with pytest.raises(MultipleInstancesError) as caught:
        FlowManagerMP(jobs.double)
    pid = os.getpid()
    site = str(caught.value).split("got:      a new FlowManagerMP at ")[1].split("\n")[0]
    assert str(caught.value) == (
        f"FMP001 multiple-instances: a second FlowManagerMP is created while the one created "
        f"at {line} is still open (pid {pid}); one instance runs every job of a process, so "
        "another one only competes with it for the same CPUs\n"
        "  expected: one FlowManagerMP per process, created once and reused\n"
        f"  got:      a new FlowManagerMP at {site}\n"
        "  fix:      create one FlowManagerMP and reuse it (FlowManagerMP.instance() returns "
        "the live one)\n"
        "  see:      docs/rules/FMP001.md"
    )
    assert line.startswith("test_engine_api.py:") and site.startswith("test_engine_api.py:")
    first.close_processes()
    second = FlowManagerMP(jobs.double)  # the first one is closed
    second.close_processes()


@pytest.mark.timeout(30)
def test_instance_returns_the_live_one_and_reset_closes_it() -> None:
    first = FlowManagerMP.instance(jobs.double)
    assert FlowManagerMP.instance(jobs.double) is first
    FlowManagerMP.reset_instance()
    assert live_instance() is None
    second = FlowManagerMP.instance(jobs.double)
    assert second is not first
    second.close_processes()


def _construct_in_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    manager = FlowManagerMP(jobs.double, serial_processing=True, workers=1)
    manager.close_processes()
    queue.put("ok")


@pytest.mark.timeout(30)
def test_a_forked_child_does_not_inherit_the_open_instance() -> None:
    manager = FlowManagerMP(jobs.double, workers=1)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_construct_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=20) == "ok"
    child.join(10)
    assert child.exitcode == 0
    manager.close_processes()


@pytest.mark.timeout(30)
def test_an_unpicklable_result_processor_is_refused_before_any_process_starts() -> None:
    with pytest.raises(UnpicklableResultProcessorError) as caught:
        FlowManagerMP(jobs.double, lambda result: None)
    assert [v.code for v in caught.value.violations] == ["FMP101"]
    with pytest.raises(UnpicklableResultProcessorError) as caught:
        FlowManagerMP(jobs.double, jobs.record, on_error=lambda failure: None)
    assert [v.code for v in caught.value.violations] == ["FMP101"]
    assert live_instance() is None
    assert jobs.stray_children() == []
    # serial mode: anything goes
    FlowManagerMP(jobs.double, lambda result: None, serial_processing=True).close_processes()


@pytest.mark.timeout(30)
def test_progress_bar_counts_finished_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    threads = threading.active_count()
    manager = FlowManagerMP(jobs.double, progress=True)
    manager.submit_task(list(range(20)))
    # No thread of ours in this process: forking a threaded process is unsafe (3.12+ warns).
    assert threading.active_count() == threads
    manager.close_processes()
    assert "20/20" in capsys.readouterr().err


def test_progress_without_tqdm_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "tqdm", None)  # what a missing module is
    with pytest.raises(ImportError) as caught:
        FlowManagerMP(jobs.double, progress=True)
    assert str(caught.value) == (
        "progress=True draws its bar with tqdm, which is not installed\n"
        "  fix: pip install 'flowmanager[progress]' (or pip install tqdm), or leave progress off"
    )
    assert live_instance() is None


@pytest.mark.timeout(30)
def test_an_instance_without_a_job_says_so_at_submit() -> None:
    manager = FlowManagerMP()
    assert manager.get_fq_names() == []
    with pytest.raises(TypeError) as caught:
        manager.submit_task(1)
    assert str(caught.value) == (
        "this FlowManagerMP has no job to run tasks with\n"
        "  fix: pass the job to the constructor: FlowManagerMP(job, ...)"
    )
    manager.close_processes()


def test_bad_options_and_jobs_are_refused_plainly() -> None:
    with pytest.raises(ValueError, match=r"^workers must be a positive int, got 0$"):
        FlowManagerMP(jobs.double, workers=0)
    with pytest.raises(TypeError, match=r"^job must be a callable taking one task or an object "
                                        r"with a run\(task\) method, got int 3$"):
        FlowManagerMP(3)
    with pytest.raises(ValueError, match=r"^threads must be a positive int, got True$"):
        FlowManagerMP(jobs.double, threads=True)
    with pytest.raises(ValueError, match=r"^start_method must be one of .*'spawn'.* on this "
                                         r"platform, got 'thread'$"):
        FlowManagerMP(jobs.double, start_method="thread")
    assert live_instance() is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_start_method_the_program_set_is_the_default(method: str) -> None:
    script = (
        "import multiprocessing, engine_jobs\n"
        "from flowmanager import FlowManagerMP\n"
        "if __name__ == '__main__':\n"
        f"    multiprocessing.set_start_method({method!r})\n"
        "    done = []\n"
        "    with FlowManagerMP(engine_jobs.double, done.append, serial_processing=True,\n"
        "                       workers=1) as manager:\n"
        "        manager.submit_task([1, 2])\n"
        "    print(manager.start_method, sorted(done))\n"
    )
    tests = Path(__file__).parent
    path = os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=50, check=False)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, f"{method} [2, 4]\n", "")


@pytest.mark.timeout(30)
def test_async_jobs_each_see_one_task_from_start_to_end() -> None:
    seen: list[bool] = []
    manager = FlowManagerMP(jobs.same_task_throughout, seen.append, serial_processing=True,
                            workers=1)
    manager.submit_task(list(range(40)))
    manager.close_processes()
    assert seen == [True] * 40


@pytest.mark.timeout(30)
def test_cancelling_an_async_job_reaches_its_coroutine() -> None:
    seen: list[str] = []
    manager = FlowManagerMP(jobs.cancelled_by_a_timer, seen.append, serial_processing=True,
                            workers=1)
    manager.submit_task([1, 2, 3])
    manager.close_processes()
    assert sorted(seen) == ["cancelled 1", "cancelled 2", "cancelled 3"]


@pytest.mark.timeout(30)
def test_an_async_job_that_raises_cancelled_error_fails_alone() -> None:
    seen: list[int] = []
    manager = FlowManagerMP(jobs.raise_cancelled, seen.append, serial_processing=True,
                            workers=1, raise_on_error=False)
    manager.submit_task([0, 1, 2])
    manager.close_processes()
    assert sorted(seen) == [0, 2]
    assert [(f.task, f.exc_type) for f in manager.failures] == [
        (1, "asyncio.exceptions.CancelledError")]


@pytest.mark.timeout(30)
def test_an_instance_dropped_without_close_stops_its_children() -> None:
    manager = FlowManagerMP(jobs.double, jobs.record, workers=1)
    pids = [p.pid for p in manager.stats().processes[1:]]
    del manager
    gc.collect()
    assert live_instance() is None
    assert not [pid for pid in pids if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    FlowManagerMP(jobs.double).close_processes()  # the dropped one no longer counts


@pytest.mark.timeout(30)
def test_serial_on_error_sees_each_failure_in_this_process() -> None:
    seen: list[tuple[int, str, int]] = []
    manager = FlowManagerMP(jobs.fail_on_odd, None, True, workers=1, raise_on_error=False,
                            on_error=lambda f: seen.append((f.task, f.exc_type, os.getpid())))
    manager.submit_task([1, 2, 3])
    manager.close_processes()
    assert sorted(seen) == [(1, "ValueError", os.getpid()), (3, "ValueError", os.getpid())]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", jobs.START_METHODS)
def test_threads_run_blocking_sync_jobs_side_by_side(method: str, out: Path) -> None:
    manager = FlowManagerMP(jobs.sleep_for, jobs.record, workers=1, threads=8,
                            start_method=method)
    started = time.monotonic()
    manager.submit_task([0.5] * 8)
    manager.wait_for_completion(timeout=20)
    assert time.monotonic() - started < 2.0  # one thread would take 4 s
    manager.close_processes()
    assert [text for _, text in jobs.read_records(out)] == ["0.5"] * 8
