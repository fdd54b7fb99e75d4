"""Which files a run lints: the paths given, and the Python files under directories.

A directory is walked recursively in sorted order (so output order is stable),
skipping what is never the user's own source: version-control folders, virtual
environments (any directory holding a ``pyvenv.cfg``), build output and caches.
Symlinked directories are not followed.
``--exclude`` globs drop files and whole directories. A path given explicitly is
linted whatever its suffix (as flake8 does), unless an exclude glob matches it.
A missing path or a directory that cannot be listed is passed on as it is, so the
linter reports it as a one-line diagnostic instead of skipping it silently.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence

__all__ = ["SKIPPED_DIRS", "discover", "is_excluded"]

#: Directory names never descended into.
SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "__pycache__",
        "__pypackages__",
        "build",
        "dist",
        "node_modules",
        "venv",
    }
)


def is_excluded(path: str, patterns: Sequence[str]) -> bool:
    """Whether a glob matches the path's last component, the path as given or its absolute form.

    ``tests/fixtures`` and ``*/fixtures/*`` both work, as do bare names (``legacy``,
    ``*_pb2.py``). Paths are compared with ``/`` separators on every platform.
    """
    if not patterns:
        return False
    as_given = path.replace(os.sep, "/").rstrip("/")
    if as_given.startswith("./"):
        as_given = as_given[2:]
    candidates = {
        os.path.basename(as_given),
        as_given,
        os.path.abspath(path).replace(os.sep, "/"),
    }
    return any(
        fnmatch.fnmatchcase(candidate, pattern.rstrip("/"))
        for pattern in patterns
        for candidate in candidates
    )


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _walk(top: str, exclude: Sequence[str]) -> Iterator[str]:
    """The ``*.py`` files under ``top``; an unlistable directory is yielded itself."""
    try:
        entries = sorted(os.scandir(top), key=lambda entry: entry.name)
    except OSError:
        # Reading it later fails with the same cause, which the caller reports.
        yield top
        return
    for entry in entries:
        path = entry.path
        try:
            # Symlinked directories are not followed (as os.walk does not): a link
            # back up the tree would never end.
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if (
                entry.name in SKIPPED_DIRS
                or entry.name.endswith(".egg-info")
                or _is_virtualenv(path)
                or is_excluded(path, exclude)
            ):
                continue
            yield from _walk(path, exclude)
        elif entry.name.endswith(".py") and not is_excluded(path, exclude):
            yield path


def discover(paths: Sequence[str], exclude: Sequence[str] = ()) -> Iterator[str]:
    """Every file to lint, in the order given and sorted within each directory.

    A file reached twice (given twice, or given and found under a directory) is
    yielded once.
    """
    seen: set[str] = set()
    for given in paths:
        if is_excluded(given, exclude):
            continue
        found = _walk(given, exclude) if os.path.isdir(given) else iter((given,))
        for path in found:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                yield path
