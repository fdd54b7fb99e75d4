"""Settings from ``[tool.flowmanager-lint]`` in the nearest ``pyproject.toml``.

The nearest file is the first ``pyproject.toml`` found walking up from the
directory that holds every path on the command line (the current directory for
standard input), the way black and ruff find theirs. Keys::

    [tool.flowmanager-lint]
    names = ["Manager"]              # more names that mean FlowManagerMP
    factories = ["mylib.open_db"]    # more callables whose result cannot be pickled
    select = ["FMP1"]                # report only codes starting with these
    ignore = ["FMP001"]              # never report codes starting with these
    exclude = ["legacy", "*_pb2.py"] # globs of files and directories to skip

Python 3.11 and later read TOML with the standard library's ``tomllib``. Python
3.10 has none: there the file is read only when the ``tomli`` package is
installed; without it a ``pyproject.toml`` that has the table is reported, not
silently ignored.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KEYS", "ConfigError", "FileSettings", "find_pyproject", "load_settings"]

TABLE = "flowmanager-lint"

#: Every key the table may hold; each is a list of strings.
KEYS: tuple[str, ...] = ("names", "factories", "select", "ignore", "exclude")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file, what is wrong and the fix."""


@dataclass(frozen=True)
class FileSettings:
    """The table's values; ``source`` is the file they came from (``None``: no file)."""

    names: tuple[str, ...] = ()
    factories: tuple[str, ...] = ()
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    source: Path | None = None


def _toml_loader() -> Callable[[str], dict[str, Any]] | None:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads
    try:  # pragma: no cover - only on Python 3.10
        import tomli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover
        return None
    loads: Callable[[str], dict[str, Any]] = tomli.loads  # pragma: no cover
    return loads  # pragma: no cover


def find_pyproject(paths: Sequence[str]) -> Path | None:
    """The nearest ``pyproject.toml`` above the common directory of ``paths``."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:  # paths on different drives
        common = os.getcwd()
    start = Path(common)
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{path}: [tool.{TABLE}] {key} must be a list of strings, got {value!r}; "
            f'write it as {key} = ["..."]'
        )
    return tuple(v.strip() for v in value if v.strip())


def settings_from_table(path: Path, table: Mapping[str, object]) -> FileSettings:
    """Check the table's keys and types and turn it into :class:`FileSettings`."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: [tool.{TABLE}] has unknown key(s) {', '.join(unknown)}; "
            f"the known keys are {', '.join(KEYS)}"
        )
    values = {key: _strings(path, key, table[key]) for key in KEYS if key in table}
    return FileSettings(
        names=values.get("names", ()),
        factories=values.get("factories", ()),
        select=values.get("select"),
        ignore=values.get("ignore"),
        exclude=values.get("exclude", ()),
        source=path,
    )


def load_settings(path: Path | None) -> FileSettings:
    """Read the table from ``path``; no file or no table gives the defaults."""
    if path is None:
        return FileSettings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    loads = _toml_loader()
    if loads is None:  # pragma: no cover - only on Python 3.10 without tomli
        if f"[tool.{TABLE}]" in text:
            raise ConfigError(
                f"{path}: has a [tool.{TABLE}] table, but Python "
                f"{sys.version_info.major}.{sys.version_info.minor} cannot read TOML; "
                "install tomli (pip install tomli) or pass the settings as options"
            )
        return FileSettings()
    try:
        document = loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from exc
    tool = document.get("tool", {})
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        return FileSettings()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.{TABLE} must be a table, got {table!r}")
    return settings_from_table(path, table)
