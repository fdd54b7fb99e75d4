"""The optional progress bar (tqdm) of completed / submitted tasks."""

from __future__ import annotations

from typing import Any

__all__ = ["Progress", "make_progress"]


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


def make_progress(enabled: bool) -> Progress | None:
    """A progress bar when asked for; a clear error when tqdm is missing."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError(
            "progress=True draws its bar with tqdm, which is not installed\n"
            "  fix: pip install 'flowmanager[progress]' (or pip install tqdm), "
            "or leave progress off"
        ) from exc
    return Progress(tqdm(total=0, unit="task", desc="flowmanager"))
