"""How many CPUs this process may really use: its CPU affinity, capped by the cgroup CPU quota.

``os.cpu_count()`` reports the host's CPUs; inside a container limited to 3 CPUs that is
the wrong number of executors. The affinity mask (``taskset``, cpusets) and the CFS quota
(``docker --cpus``, Kubernetes limits) both cap what one process tree can use.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import psutil

__all__ = ["cgroup_cpu_quota", "usable_cpus"]

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cpus() -> int:
    """The CPUs this process may use: ``min(affinity, ceil(cgroup quota))``, at least 1."""
    try:
        affinity = len(psutil.Process().cpu_affinity() or [])
    except (AttributeError, NotImplementedError, psutil.Error):
        affinity = 0  # platforms without affinity (macOS)
    count = affinity or os.cpu_count() or 1
    quota = _cached_quota()
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


_QUOTA_CACHE: dict[int, float | None] = {}


def _cached_quota() -> float | None:
    # Reading the cgroup files costs more than the rest of a construction; a process's
    # quota does not change under it in practice. Keyed by pid: a forked child reads anew.
    pid = os.getpid()
    if pid not in _QUOTA_CACHE:
        _QUOTA_CACHE[pid] = cgroup_cpu_quota()
    return _QUOTA_CACHE[pid]


def cgroup_cpu_quota(root: Path = _CGROUP_ROOT) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (``1.5``), or ``None`` when unlimited."""
    for read in (_quota_v2, _quota_v1):
        try:
            quota = read(root)
        except (OSError, ValueError):
            continue
        if quota is not None:
            return quota
    return None


def _own_cgroup(version: int, controller: str = "cpu") -> str | None:
    """This process's cgroup path from /proc/self/cgroup (v2 ``0::/x``, v1 ``N:cpu:/x``)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if version == 2 and controllers == "":
            return path
        if version == 1 and controller in controllers.split(","):
            return path
    return None


def _quota_v2(root: Path, own: str | None = None) -> float | None:
    # cpu.max is "max 100000" (unlimited) or "200000 100000" (2 CPUs).
    return _smallest_up(root, own or _own_cgroup(2) or "/", _cpu_max)


def _quota_v1(root: Path, own: str | None = None) -> float | None:
    # cpu.cfs_quota_us is -1 (unlimited) or the microseconds per cpu.cfs_period_us.
    for base in (root / "cpu,cpuacct", root / "cpu"):
        if base.is_dir():
            return _smallest_up(base, own or _own_cgroup(1) or "/", _cfs_quota)
    return None


def _smallest_up(base: Path, own: str, read: Callable[[Path], float | None]) -> float | None:
    """The smallest quota from this process's cgroup up to ``base``: a parent cgroup may be
    the one that limits. (In a container the cgroup namespace makes ``own`` "/".)"""
    best: float | None = None
    path = base / own.lstrip("/")
    while True:
        if path.is_dir():
            value = read(path)
            if value is not None:
                best = value if best is None else min(best, value)
        if path == base or base not in path.parents:
            return best
        path = path.parent


def _cpu_max(path: Path) -> float | None:
    limit = path / "cpu.max"
    if not limit.exists():
        return None
    quota, period = limit.read_text().split()
    return None if quota == "max" else int(quota) / int(period)


def _cfs_quota(path: Path) -> float | None:
    quota_file = path / "cpu.cfs_quota_us"
    if not quota_file.exists():
        return None
    quota = int(quota_file.read_text())
    return None if quota <= 0 else quota / int((path / "cpu.cfs_period_us").read_text())
