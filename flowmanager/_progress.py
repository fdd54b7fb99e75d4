"""The optional progress bar (tqdm) of completed / submitted tasks."""

from __future__ import annotations

from typing import Any

__all__ = ["Progress", "make_progress", "require_tqdm"]


class Progress:
    """A tqdm bar whose total grows as tasks are submitted."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def submitted(self, total: int) -> None:
        self._bar.total = total
        self._bar.refresh()

    def finished(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        self._bar.close()


def require_tqdm() -> Any:
    """The tqdm class; a clear error when tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError(
            "progress=True draws its bar with tqdm, which is not installed\n"
            "  fix: pip install 'flowmanager[progress]' (or pip install tqdm), "
            "or leave progress off"
        ) from exc
    return tqdm


def make_progress(enabled: bool) -> Progress | None:
    """A progress bar when asked for (create it after the children started)."""
    if not enabled:
        return None
    tqdm = require_tqdm()

    class _Bar(tqdm):  # type: ignore[misc, valid-type]
        # No monitor thread: a process with a thread is unsafe to fork, and Python 3.12+
        # warns when it forks one; the bar is updated from our own waits anyway.
        monitor_interval = 0

    return Progress(_Bar(total=0, unit="task", desc="flowmanager"))
