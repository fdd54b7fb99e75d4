"""``flowmanager-lint`` (also ``python -m flowmanager_lint``): lint files, directories or stdin.

Exit status: 0 nothing found, 1 findings (diagnostics such as E999 included),
2 a usage error (bad option, bad configuration) or an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from flowmanager import __version__

from ._config import ConfigError, FileSettings, find_pyproject, load_settings
from ._files import discover
from ._findings import LintConfig
from ._output import FORMATS, render
from ._run import FileResult, LintOptions, lint_bytes, lint_paths

__all__ = ["main"]

PROG = "flowmanager-lint"
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _jobs(value: str) -> int:
    if value == "auto":
        return 0
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a whole number from 1, got {value!r}")
    return jobs


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Find FlowManagerMP misuse (the FMP rules) in Python files without running them."
        ),
        epilog=(
            "Settings also come from [tool.flowmanager-lint] in the nearest pyproject.toml; "
            "an option given here replaces the same key there. Exit status: 0 clean, "
            "1 findings, 2 usage or internal error."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and directories to lint (default: .); '-' reads standard input",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="the name to report for standard input (default: stdin)",
    )
    parser.add_argument(
        "--select",
        type=_codes,
        metavar="CODES",
        help="report only codes starting with these, comma-separated (FMP1,FMP001)",
    )
    parser.add_argument(
        "--ignore", type=_codes, metavar="CODES", help="never report codes starting with these"
    )
    parser.add_argument(
        "--exclude",
        type=_codes,
        metavar="GLOBS",
        help="skip files and directories matching these globs, comma-separated",
    )
    parser.add_argument(
        "--names",
        type=_codes,
        metavar="NAMES",
        help="more names that mean FlowManagerMP, comma-separated",
    )
    parser.add_argument(
        "--factories",
        type=_codes,
        metavar="CALLABLES",
        help="more callables whose result cannot be pickled (mylib.open_db), comma-separated",
    )
    parser.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="report format (default: text)",
    )
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="read settings from this pyproject.toml instead of the nearest one",
    )
    parser.add_argument("--no-config", action="store_true", help="ignore every pyproject.toml")
    parser.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=0,
        metavar="N",
        help="processes to parse files with (default: auto, one per CPU)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _settings(args: argparse.Namespace, paths: Sequence[str]) -> FileSettings:
    if args.no_config:
        return FileSettings()
    if args.config is not None:
        return load_settings(Path(args.config))
    # Standard input counts as the file it names, so an editor piping a buffer
    # gets that file's project settings.
    located = [(args.stdin_filename or ".") if p == "-" else p for p in paths]
    return load_settings(find_pyproject(located))


def _options(args: argparse.Namespace, settings: FileSettings) -> LintOptions:
    def pick(cli: list[str] | None, file: Sequence[str] | None) -> tuple[str, ...] | None:
        if cli is not None:
            return tuple(cli)
        return None if file is None else tuple(file)

    config = LintConfig(
        names=frozenset(pick(args.names, settings.names) or ()),
        factories=frozenset(pick(args.factories, settings.factories) or ()),
    )
    return LintOptions(
        config=config,
        select=pick(args.select, settings.select),
        ignore=pick(args.ignore, settings.ignore) or (),
    )


def _lint(
    args: argparse.Namespace, options: LintOptions, exclude: Sequence[str], root: str | None
) -> list[FileResult]:
    paths: list[str] = args.paths or ["."]
    results: list[FileResult] = []
    files: list[str] = []

    def flush() -> None:
        results.extend(lint_paths(files, options, jobs=args.jobs or None))
        files.clear()

    for given in paths:
        if given == "-":
            flush()
            name = args.stdin_filename or "stdin"
            results.append(lint_bytes(sys.stdin.buffer.read(), name, options))
        else:
            files.extend(discover([given], exclude, root))
    flush()
    return results


def _write(report: str) -> None:
    """Print the report; a closed pipe (``| head``) or a terminal that cannot show a
    character is no reason for a traceback."""
    try:
        sys.stdout.buffer.write(report.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
        sys.stdout.flush()
    except AttributeError:  # a stream without a buffer (an embedding application)
        sys.stdout.write(report)
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of exiting."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on a usage error, 0 for --help
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    paths: list[str] = args.paths or ["."]
    if args.stdin_filename is not None and "-" not in paths:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: --stdin-filename needs '-' among the paths", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = _settings(args, paths)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    options = _options(args, settings)
    # Globs are relative to where they were written: the pyproject.toml's directory, or
    # the current directory for --exclude.
    if args.exclude is not None or settings.source is None:
        exclude, root = args.exclude or (), None
    else:
        exclude, root = settings.exclude, str(settings.source.parent)
    try:
        results = _lint(args, options, exclude, root)
        report = render(results, args.format)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, not a traceback
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    _write(report)
    crashed = [r for r in results if r.crash is not None]
    for result in crashed:
        print(
            f"{PROG}: internal error while linting {result.path}: {result.crash} "
            "(please report this with the file)",
            file=sys.stderr,
        )
    if crashed:
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.findings for r in results) else EXIT_CLEAN
