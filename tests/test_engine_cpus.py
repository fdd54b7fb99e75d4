"""The default executor count: CPU affinity capped by the cgroup quota (v2 and v1 files),
and an idle instance that uses no CPU."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import engine_jobs as jobs
import psutil
import pytest

from flowmanager import FlowManagerMP
from flowmanager._cpus import _quota_v1, _quota_v2, cgroup_cpu_quota, usable_cpus
from flowmanager._registry import live_instance


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    live = live_instance()
    if isinstance(live, FlowManagerMP):
        live._shutdown()


def _own_v2_dir(root: Path) -> Path:
    own = Path("/proc/self/cgroup").read_text().splitlines()
    path = next((line.split(":", 2)[2] for line in own if line.startswith("0::")), "/")
    target = root / path.lstrip("/")
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_cgroup_v2_quota_is_read_from_cpu_max(tmp_path: Path) -> None:
    own = _own_v2_dir(tmp_path)
    (own / "cpu.max").write_text("250000 100000\n")
    assert _quota_v2(tmp_path) == 2.5
    (own / "cpu.max").write_text("max 100000\n")
    assert _quota_v2(tmp_path) is None


def test_cgroup_v1_quota_is_read_from_cfs_files(tmp_path: Path) -> None:
    cpu = tmp_path / "cpu,cpuacct"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("150000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert _quota_v1(tmp_path) == 1.5
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    assert _quota_v1(tmp_path) is None
    assert cgroup_cpu_quota(tmp_path) is None


def test_cgroup_v1_quota_of_the_own_cgroup_and_its_parents(tmp_path: Path) -> None:
    # Without a cgroup namespace the limit sits in this process's own cgroup, or a parent's.
    base = tmp_path / "cpu"
    own = base / "kubepods" / "pod1" / "app"
    own.mkdir(parents=True)
    for path, quota in ((base, -1), (base / "kubepods", 400000), (own, 300000)):
        (path / "cpu.cfs_quota_us").write_text(f"{quota}\n")
        (path / "cpu.cfs_period_us").write_text("100000\n")
    assert _quota_v1(tmp_path, "/kubepods/pod1/app") == 3.0
    (own / "cpu.cfs_quota_us").write_text("-1\n")
    assert _quota_v1(tmp_path, "/kubepods/pod1/app") == 4.0  # the parent limits
    assert _quota_v1(tmp_path, "/") is None


def test_usable_cpus_follow_the_affinity_mask() -> None:
    process = psutil.Process()
    mask = process.cpu_affinity()
    assert mask
    try:
        process.cpu_affinity(mask[:1])
        assert usable_cpus() == 1
    finally:
        process.cpu_affinity(mask)
    quota = cgroup_cpu_quota()
    expected = len(mask) if quota is None else min(len(mask), max(1, -(-quota // 1)))
    assert usable_cpus() == expected


@pytest.mark.timeout(30)
def test_the_default_worker_count_is_the_usable_cpus() -> None:
    manager = FlowManagerMP(jobs.double, jobs.record)
    executors = [p for p in manager.stats().processes if p.role.startswith("flowmanager-exec")]
    assert len(executors) == usable_cpus()
    manager.close_processes()


@pytest.mark.timeout(30)
def test_an_idle_instance_uses_no_cpu() -> None:
    manager = FlowManagerMP(jobs.double, jobs.record)
    manager.submit_task([1, 2, 3])
    manager.wait_for_completion(timeout=20)
    children = [psutil.Process(p.pid) for p in manager.stats().processes[1:]]
    before = [sum(c.cpu_times()[:2]) for c in children]
    time.sleep(2.0)
    after = [sum(c.cpu_times()[:2]) for c in children]
    used = sum(after) - sum(before)
    assert used < 0.02, f"{used:.3f} s of CPU in 2 s while idle"  # < 1% of a core
    manager.close_processes()
