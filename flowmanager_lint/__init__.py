"""flowmanager_lint: finds FlowManagerMP misuse in source code before it runs.

``lint_source`` is the one engine the flake8 plugin, the CLI and the pre-commit
hook share. Importing this package stays cheap: libcst is imported only when a
source text passes the prefilter (mentions a configured name).
"""

from __future__ import annotations

from ._engine import lint_source
from ._findings import DEFAULT_CONFIG, Finding, LintConfig, LintSyntaxError
from ._prefilter import mentions_flowmanager

__all__ = [
    "DEFAULT_CONFIG",
    "Finding",
    "LintConfig",
    "LintSyntaxError",
    "lint_source",
    "mentions_flowmanager",
]
