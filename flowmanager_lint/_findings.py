"""The records every part of the linter passes around: a finding and the configuration."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CONFIG", "Finding", "LintConfig", "LintSyntaxError"]


@dataclass(frozen=True, order=True)
class Finding:
    """One broken rule at one place.

    ``line`` is 1-based and ``col`` 0-based, counted in characters (not in UTF-8
    bytes as ``ast`` counts them), as flake8 expects from a plugin; the output formats
    that want a 1-based column add one. ``message`` starts with the
    code, as flake8 requires: ``FMP101 result processor '<lambda>' is a lambda; ...``.
    """

    line: int
    col: int
    code: str
    message: str


@dataclass(frozen=True)
class LintConfig:
    """What a user can tune: more names that mean FlowManagerMP, more factories whose
    result cannot be pickled (qualified names such as ``mylib.open_session``)."""

    names: frozenset[str] = frozenset()
    factories: frozenset[str] = frozenset()

    @property
    def all_names(self) -> frozenset[str]:
        return frozenset({"FlowManagerMP"}) | self.names


DEFAULT_CONFIG = LintConfig()


class LintSyntaxError(ValueError):
    """The source does not parse; ``line`` and ``col`` (1-based, 0-based) say where."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message, line, col)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        return self.message
