"""The flake8 front end: ``flake8 --select=FMP`` runs the flowmanager-lint engine.

flake8 reads and decodes the file, builds its own AST (which we ignore: the engine
works on libcst trees) and hands us the file's lines, so the plugin never re-reads
the file. flake8 applies ``# noqa``, ``--select``/``--ignore`` and the output format
itself. A file that does not parse is reported by flake8 as E999, so the plugin
stays silent on it instead of reporting the same problem twice.

Options (command line or the ``[flake8]`` section of a config file)::

    --fmp-names        more names that mean FlowManagerMP (comma-separated)
    --fmp-factories    more callables whose result cannot be pickled (qualified names)
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from flowmanager import __version__

from ._findings import LintConfig
from ._run import analyse

__all__ = ["FlowManagerPlugin"]


class FlowManagerPlugin:
    """A flake8 tree plugin; flake8 passes the parameters by name."""

    name = "flowmanager-lint"
    version = __version__

    # flake8 calls parse_options once per process (also in each -j worker, which
    # re-parses the options), before it creates any plugin instance.
    config: ClassVar[LintConfig] = LintConfig()

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        # ``tree`` must be requested: flake8 only runs plugins that take it once
        # per file. We keep the lines, the source the engine reads.
        del tree
        self._lines = lines
        self._filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        """Register ``--fmp-names`` and ``--fmp-factories``, also readable from config."""
        option_manager.add_option(
            "--fmp-names",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="More names that mean FlowManagerMP, comma-separated (default: none).",
        )
        option_manager.add_option(
            "--fmp-factories",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help=(
                "More callables whose result cannot be pickled, as qualified names "
                "(mylib.open_session), comma-separated (default: none)."
            ),
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Keep the parsed options for every instance of this run."""
        cls.config = LintConfig(
            names=frozenset(_as_list(options.fmp_names)),
            factories=frozenset(_as_list(options.fmp_factories)),
        )

    def run(self) -> Iterator[tuple[int, int, str, type[FlowManagerPlugin]]]:
        """Yield ``(line, col, "FMPxxx message", type)`` for every finding."""
        # flake8 built the AST from these lines, so CPython accepts the text; a
        # file only libcst rejects (or nests too deep for it) is not ours to report.
        analysis = analyse("".join(self._lines), self.config)
        for finding in analysis.findings:
            yield finding.line, finding.col, finding.message, type(self)


def _as_list(value: object) -> list[str]:
    """flake8 hands a list from the command line or config, a string for the default."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = []
    return [item.strip() for item in items if item.strip()]
