"""``# noqa`` comments, read exactly as flake8 7 reads them.

So that ``flowmanager-lint`` and ``flake8 --select=FMP`` silence the same findings:

- ``# noqa`` (any case) on the line a finding is reported on silences every finding
  there; ``# noqa: FMP101,FMP102`` (or ``#noqa:FMP101 FMP102``) only those codes, and a
  listed prefix silences what it starts (``# noqa: FMP1`` silences FMP101). A comment
  whose code list does not parse (``# noqa: FMP``, ``# noqa : FMP101``) counts as a
  blanket ``# noqa``, as in flake8; codes compare case-sensitively, so
  ``# noqa: fmp101`` silences nothing.
- The line means the physical line, not the statement: a ``# noqa`` on another line
  of a multi-line call does not count. Lines that form one token-run without a
  line break token between them, a multi-line string and the lines joined by a
  backslash, are searched as one text, as flake8's ``noqa_line_for`` does.
- ``# flake8: noqa`` on a line of its own skips the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence

from ._findings import Finding

__all__ = ["file_is_exempt", "is_silenced", "noqa_lines", "without_silenced"]

# The same pattern as flake8.defaults.NOQA_INLINE_REGEXP (flake8 7).
_NOQA_INLINE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
# flake8.defaults.NOQA_FILE, used with ``match``: only at the start of a line.
_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_CODE_SEPARATOR = re.compile(r"[,\s]")


def file_is_exempt(lines: Iterable[str]) -> bool:
    """Whether a ``# flake8: noqa`` line tells every checker to skip the file."""
    return any(_NOQA_FILE.match(line) for line in lines)


def noqa_lines(lines: Sequence[str]) -> dict[int, str]:
    """Map each line number to the text searched for its ``# noqa``.

    Tokens between two line-break tokens (NL or NEWLINE) form one range; every
    line of the range maps to the range's joined text. A source that does not
    tokenize gives an empty map, and callers fall back to the physical line.
    """
    mapping: dict[int, str] = {}
    first, last = len(lines) + 2, -1
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("".join(lines)).readline))
    except (tokenize.TokenError, SyntaxError):
        return {}
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[first - 1 : last])
            mapping.update(dict.fromkeys(range(first, last + 1), joined))
            first, last = len(lines) + 2, -1
    return mapping


def is_silenced(code: str, text: str) -> bool:
    """Whether the ``# noqa`` comment in ``text`` (if any) silences ``code``."""
    match = _NOQA_INLINE.search(text)
    if match is None:
        return False
    listed = match.group("codes")
    if listed is None:
        return True
    codes = tuple(c for c in _CODE_SEPARATOR.split(listed) if c)
    return code.startswith(codes)


def without_silenced(findings: Sequence[Finding], lines: Sequence[str]) -> list[Finding]:
    """The findings no ``# noqa`` silences (all of them when the file is exempt: none)."""
    if not findings:
        return []
    if file_is_exempt(lines):
        return []
    # Only a file with findings pays for tokenizing it.
    mapping = noqa_lines(lines)
    kept = []
    for finding in findings:
        text = mapping.get(finding.line)
        if text is None:
            text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        if not is_silenced(finding.code, text):
            kept.append(finding)
    return kept
