"""Fixtures shared by the engine tests (which start real processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import engine_jobs as jobs
import pytest

from flowmanager import FlowManagerMP
from flowmanager._registry import live_instance


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """After the test: no open instance, and no child process of ours left behind."""
    yield
    live = live_instance()
    if isinstance(live, FlowManagerMP):
        live._shutdown()
    assert jobs.stray_children() == []


@pytest.fixture
def out() -> Path:
    """The file the recording result processors of ``engine_jobs`` write to, emptied."""
    return jobs.fresh_records()
