"""FMP001 at run time: at most one open FlowManagerMP per process.

The registry is keyed by pid so a forked child, which inherits the parent's memory,
does not inherit the parent's instance: in the child the pid differs and the slot is empty.
"""

from __future__ import annotations

import os
import sys
import weakref
from dataclasses import dataclass
from typing import Any

from ._errors import MultipleInstancesError
from .rules import judge_instances

__all__ = ["Registration", "creation_site", "live_instance", "register", "unregister"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True, slots=True)
class Registration:
    """Where the open instance of one process was created."""

    ref: weakref.ReferenceType[Any]
    site: str
    pid: int


_LIVE: dict[int, Registration] = {}


def creation_site() -> str:
    """``file.py:12`` of the first caller outside this package (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


def live_instance() -> Any | None:
    """The open instance of this process, if any."""
    entry = _LIVE.get(os.getpid())
    return None if entry is None else entry.ref()


def register(instance: object, site: str, got: str) -> None:
    """Record ``instance`` as this process's one open instance, or raise FMP001."""
    pid = os.getpid()
    entry = _LIVE.get(pid)
    if entry is not None and entry.ref() is not None:
        where = f"while the one created at {entry.site} is still open (pid {pid})"
        raise MultipleInstancesError(judge_instances(where), got=got)
    _LIVE[pid] = Registration(weakref.ref(instance), site, pid)


def unregister(instance: object) -> None:
    """Forget ``instance`` (it was closed); a later construction is allowed."""
    entry = _LIVE.get(os.getpid())
    if entry is not None and entry.ref() in (instance, None):
        del _LIVE[os.getpid()]
