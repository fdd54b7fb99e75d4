"""Which files a run lints: the paths given, and the Python files under directories.

A directory is walked recursively in sorted order (so output order is stable),
skipping what is never the user's own source: version-control folders, virtual
environments (any directory holding a ``pyvenv.cfg``), build output and caches.
Symlinked directories are not followed.
``--exclude`` globs drop files and whole directories; globs from a
``pyproject.toml`` also match paths relative to the directory that holds it.
A path given explicitly is linted whatever its suffix (as flake8 does), unless
an exclude glob matches it or a directory holding it (pre-commit names files
one by one).
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


def _relative_to(path: str, root: str) -> str | None:
    """``path`` relative to the directory ``root``, or None when it is not under it."""
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive
        return None
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def is_excluded(path: str, patterns: Sequence[str], root: str | None = None) -> bool:
    """Whether a glob matches the path's last component, its absolute form, or the path
    relative to the directory the globs were written for: ``root`` (that of the
    ``pyproject.toml`` they come from), or for ``--exclude`` (``root`` None) the current
    directory, where the path as given also counts.

    ``tests/fixtures`` and ``*/fixtures/*`` both work, as do bare names (``legacy``,
    ``*_pb2.py``). A glob from ``pyproject.toml`` means the same from any working
    directory, as flake8's and ruff's do. Paths are compared with ``/`` separators on
    every platform.
    """
    if not patterns:
        return False
    as_given = path.replace(os.sep, "/").rstrip("/")
    if as_given.startswith("./"):
        as_given = as_given[2:]
    candidates = {os.path.basename(as_given), os.path.abspath(path).replace(os.sep, "/")}
    if root is None:
        candidates.add(as_given)
    relative = _relative_to(path, root if root is not None else os.curdir)
    if relative is not None:
        candidates.add(relative)
    return any(
        fnmatch.fnmatchcase(candidate, pattern.rstrip("/"))
        for pattern in patterns
        for candidate in candidates
    )


def _in_excluded_directory(path: str, patterns: Sequence[str], root: str | None) -> bool:
    """Whether a directory holding ``path``, up to the directory the globs are relative
    to, is excluded: pre-commit names ``src/generated/g.py`` itself, never the folder."""
    if not patterns:
        return False
    base = os.path.abspath(root if root is not None else os.curdir)
    parent = os.path.dirname(os.path.abspath(path))
    while _relative_to(parent, base) is not None:
        if is_excluded(parent, patterns, root):
            return True
        parent = os.path.dirname(parent)
    return False


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _walk(top: str, exclude: Sequence[str], root: str | None) -> Iterator[str]:
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
                or is_excluded(path, exclude, root)
            ):
                continue
            yield from _walk(path, exclude, root)
        elif entry.name.endswith(".py") and not is_excluded(path, exclude, root):
            yield path


def discover(
    paths: Sequence[str], exclude: Sequence[str] = (), root: str | None = None
) -> Iterator[str]:
    """Every file to lint, in the order given and sorted within each directory.

    ``root`` is the directory the ``exclude`` globs are relative to (default: the
    current one). A file reached twice (given twice, or given and found under a
    directory) is yielded once.
    """
    seen: set[str] = set()
    for given in paths:
        if is_excluded(given, exclude, root) or _in_excluded_directory(given, exclude, root):
            continue
        found = _walk(given, exclude, root) if os.path.isdir(given) else iter((given,))
        for path in found:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                yield path
