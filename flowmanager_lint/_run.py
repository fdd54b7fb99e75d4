"""The one lint step every front end runs, and the file handling around it for the CLI.

:func:`analyse` is what the flake8 plugin and the CLI (and so the pre-commit hook)
share: skip a text that never mentions a FlowManagerMP name, let CPython's parser
reject what does not parse, run the engine. Around it the CLI handles files: read
the bytes, decode them as Python does (PEP 263: a UTF-8 BOM or a ``coding``
comment, else UTF-8), analyse, drop what ``# noqa`` silences, keep what
``--select``/``--ignore`` keep. What stops a file from being checked becomes one
diagnostic finding instead of a traceback:

- ``E902`` the file cannot be read or decoded (missing, unreadable, bad bytes),
- ``E999`` the file does not parse (or nests too deeply for the parser).

Diagnostics are always reported: ``--select``, ``--ignore`` and ``# noqa`` do not
apply to them, because they say the file was not checked at all.

Many files run in parallel. The parent reads every file and applies the cheap text
prefilter itself; only the files that mention a name are parsed, in a process pool
when there are enough of them to pay for starting one. Results come back in the
order of the input, whatever the pool's timing, so output is deterministic::

    parent: discover -> read + decode + prefilter --(text of files that mention a name)--+
                                                                                         v
    worker i: engine (libcst) -> noqa -> select/ignore --(FileResult)--> parent, in input order
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ._engine import TOO_NESTED
from ._findings import DEFAULT_CONFIG, Finding, LintConfig, LintSyntaxError
from ._noqa import file_is_exempt, without_silenced

__all__ = [
    "DIAGNOSTIC_CODES",
    "Analysis",
    "FileResult",
    "LintOptions",
    "analyse",
    "default_jobs",
    "is_selected",
    "lint_bytes",
    "lint_file",
    "lint_paths",
]

#: Codes of the findings that say a file could not be checked, and what they mean.
DIAGNOSTIC_CODES: dict[str, str] = {
    "E902": "The file cannot be read or decoded, so it was not checked.",
    "E999": "The file does not parse, so it was not checked.",
}

#: Fewer files to parse than this run in the parent: a pool costs more than it saves.
PARALLEL_MIN_FILES = 16


@dataclass(frozen=True)
class LintOptions:
    """What decides which findings a run reports.

    ``select`` and ``ignore`` hold code prefixes, as in flake8: a finding is kept
    when its longest matching ``select`` prefix is longer than its longest matching
    ``ignore`` prefix (``select=None`` selects every code).
    """

    config: LintConfig = DEFAULT_CONFIG
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult:
    """What one file gave: its findings (diagnostics included), sorted by place.

    ``crash`` is set when the engine itself failed on the file (a bug, not the
    user's mistake); the command line reports it and exits with status 2.
    """

    path: str
    findings: tuple[Finding, ...] = ()
    crash: str | None = field(default=None)


def is_selected(code: str, options: LintOptions) -> bool:
    """Whether ``--select``/``--ignore`` keep ``code``; the more specific prefix wins."""
    if options.select is None:
        selected: int | None = 0
    else:
        selected = max((len(p) for p in options.select if code.startswith(p)), default=None)
    ignored = max((len(p) for p in options.ignore if code.startswith(p)), default=None)
    return selected is not None and (ignored is None or selected > ignored)


def _diagnostic(code: str, line: int, col: int, text: str) -> Finding:
    return Finding(max(line, 1), max(col, 0), code, f"{code} {text}")


def _os_error(path: str, exc: OSError) -> Finding:
    return _diagnostic("E902", 1, 0, f"{type(exc).__name__}: {exc}")


def _read(path: str) -> bytes:
    if os.path.isdir(path):
        # Reached only for a directory the walk could not list; say why, not
        # "is a directory".
        os.listdir(path)
        raise IsADirectoryError(21, "Is a directory, not a Python file", path)
    with open(path, "rb") as handle:
        return handle.read()


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and 0-based byte column of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start


def decode_source(data: bytes) -> tuple[str | None, Finding | None]:
    """The text of a Python file as the interpreter would decode it, or why it cannot be."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if str(exc.msg).startswith("invalid or missing encoding declaration"):
            # No cookie, and the first two lines are not UTF-8: report the bad byte
            # below, as for a later line.
            encoding = "utf-8"
        else:
            # A coding comment naming an unknown codec, or a BOM that contradicts it.
            return None, _diagnostic(
                "E902",
                exc.lineno or 1,
                0,
                f"SyntaxError: {exc.msg}; declare a codec Python knows, such as "
                "'# -*- coding: utf-8 -*-', or remove the comment",
            )
    try:
        return data.decode(encoding), None
    except LookupError:  # a codec that does not decode bytes to text ('hex')
        return None, _diagnostic(
            "E902",
            1,
            0,
            f"LookupError: the coding comment names {encoding!r}, which does not decode bytes "
            "to text; declare a text codec such as utf-8",
        )
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        return None, _diagnostic(
            "E902",
            line,
            col,
            f"UnicodeDecodeError: byte 0x{data[exc.start]:02x} at line {line} is not valid "
            f"{encoding}; save the file as UTF-8 or declare its encoding with a coding "
            "comment (PEP 263)",
        )


def split_lines(text: str) -> list[str]:
    """Physical lines with their endings, split only where Python ends a line.

    ``str.splitlines`` would also split at form feeds and Unicode line separators,
    which are not line breaks in Python source.
    """
    return io.StringIO(text, newline="").readlines()


@dataclass(frozen=True)
class _Pending:
    """A file that mentions a name: the engine must parse it."""

    path: str
    text: str


def _prepare(path: str, data: bytes | None, options: LintOptions) -> FileResult | _Pending:
    """Read, decode and prefilter; a file that needs no parsing is finished here."""
    from . import mentions_flowmanager

    if data is None:
        try:
            data = _read(path)
        except OSError as exc:
            return FileResult(path, (_os_error(path, exc),))
    text, problem = decode_source(data)
    if text is None:
        assert problem is not None
        return FileResult(path, (problem,))
    if not mentions_flowmanager(text, options.config):
        return FileResult(path)
    return _Pending(path, text)


@dataclass(frozen=True)
class Analysis:
    """The engine's verdict on one source text: its findings, or why it was not checked."""

    findings: tuple[Finding, ...] = ()
    #: An E999 finding when the text does not parse (then ``findings`` is empty).
    diagnostic: Finding | None = None


def analyse(text: str, config: LintConfig = DEFAULT_CONFIG) -> Analysis:
    """The lint step all three front ends share: the engine, its refusals as E999.

    The engine's syntax gate is CPython's own parser, so a file that does not
    parse reads as flake8's E999 does. Findings come sorted, before ``# noqa``
    and select/ignore, which each front end applies its own way. Raises only for
    a bug in the engine.
    """
    from . import lint_source

    try:
        findings = lint_source(text, config)
    except LintSyntaxError as exc:
        return Analysis(diagnostic=_diagnostic("E999", exc.line, exc.col, exc.message))
    except RecursionError:
        return Analysis(diagnostic=_diagnostic("E999", 1, 0, TOO_NESTED))
    return Analysis(tuple(findings))


def _finish(pending: _Pending, options: LintOptions) -> FileResult:
    """Analyse one file, then apply ``# noqa`` and select/ignore."""
    path, text = pending.path, pending.text
    lines = split_lines(text)
    if file_is_exempt(lines):
        return FileResult(path)
    try:
        analysis = analyse(text, options.config)
    except Exception as exc:  # a bug in the engine must not stop the other files
        return FileResult(path, crash=f"{type(exc).__name__}: {exc}")
    if analysis.diagnostic is not None:
        return FileResult(path, (analysis.diagnostic,))
    kept = [f for f in without_silenced(analysis.findings, lines) if is_selected(f.code, options)]
    return FileResult(path, tuple(kept))


def lint_bytes(data: bytes, path: str, options: LintOptions = LintOptions()) -> FileResult:
    """Lint the contents of one file (``path`` is only the name to report)."""
    prepared = _prepare(path, data, options)
    return prepared if isinstance(prepared, FileResult) else _finish(prepared, options)


def lint_file(
    path: str,
    config: LintConfig = DEFAULT_CONFIG,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
) -> FileResult:
    """Lint one file on disk; never raises for a problem with the file itself."""
    options = LintOptions(config, None if select is None else tuple(select), tuple(ignore))
    prepared = _prepare(path, None, options)
    return prepared if isinstance(prepared, FileResult) else _finish(prepared, options)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _finish_in_pool(
    pending: list[_Pending], options: LintOptions, jobs: int
) -> Iterator[FileResult]:
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(pending) // (jobs * 4))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_finish, pending, [options] * len(pending), chunksize=chunk)


def lint_paths(
    paths: Sequence[str], options: LintOptions = LintOptions(), jobs: int | None = None
) -> list[FileResult]:
    """Lint every file in ``paths`` (files, not directories: see ``_files.discover``).

    The result has one entry per path, in the same order.
    """
    # Imported here: the flake8 plugin imports this module and never needs a pool.
    from concurrent.futures.process import BrokenProcessPool

    jobs = default_jobs() if jobs is None else max(jobs, 1)
    results: list[FileResult | _Pending] = [_prepare(path, None, options) for path in paths]
    pending = [r for r in results if isinstance(r, _Pending)]
    finished: Iterator[FileResult]
    if jobs > 1 and len(pending) >= PARALLEL_MIN_FILES:
        try:
            finished = iter(list(_finish_in_pool(pending, options, min(jobs, len(pending)))))
        except OSError:
            # No pool on this system (no semaphores, no fork): the same work, here.
            finished = (_finish(p, options) for p in pending)
        except BrokenProcessPool as exc:
            # A worker died (killed, out of memory): which file it held is unknown.
            crash = f"a worker process died while linting: {exc}"
            finished = (FileResult(p.path, crash=crash) for p in pending)
    else:
        finished = (_finish(p, options) for p in pending)
    return [r if isinstance(r, FileResult) else next(finished) for r in results]
