"""The text test that runs before any parsing: most files never mention FlowManagerMP."""

from __future__ import annotations

from ._findings import DEFAULT_CONFIG, LintConfig

__all__ = ["mentions_flowmanager", "short_names"]


def short_names(config: LintConfig) -> frozenset[str]:
    """The configured names as they appear in source: ``pkg.Manager`` is written ``Manager``."""
    return frozenset(name.rsplit(".", 1)[-1] for name in config.all_names if name)


def mentions_flowmanager(source: str, config: LintConfig = DEFAULT_CONFIG) -> bool:
    """Whether ``source`` contains any configured name as plain text.

    A file without one cannot construct a FlowManagerMP (an import or a call
    must spell the name), so the engine skips it without importing libcst.
    """
    return any(name in source for name in short_names(config))
