"""flowmanager: one FlowManagerMP per process runs all its jobs; results are processed
in parallel (in a process of their own) or serially (in the caller's process).

``flowmanager.rules`` is the rule catalog both the runtime guard and the linter read.
The heavy parts (the engine, the guard) load on first use, so importing the catalog
stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import (
    FlowManagerError,
    FlowTimeoutError,
    JobsFailedError,
    MultipleInstancesError,
    ResultProcessingError,
    UnpicklableResultProcessorError,
    WorkerCrashedError,
)
from .rules import RULES, Violation

if TYPE_CHECKING:
    from ._guard import check_result_processor
    from ._manager import FlowManagerMP

__all__ = [
    "RULES",
    "FlowManagerError",
    "FlowManagerMP",
    "FlowTimeoutError",
    "JobsFailedError",
    "MultipleInstancesError",
    "ResultProcessingError",
    "UnpicklableResultProcessorError",
    "Violation",
    "WorkerCrashedError",
    "check_result_processor",
]

__version__ = "0.1.0"

_LAZY = {"FlowManagerMP": "._manager", "check_result_processor": "._guard"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowmanager' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
