"""The vzctl config file format: parse as ``KV:src/lib/util.c:parse_line`` does, rewrite
as ``KV:src/lib/config.c:vps_save_config`` does.

Parsing never fails: every oddity is a warning, as vzctl keeps going. Rewriting keeps
every raw line byte for byte except the *first* line starting exactly ``KEY=`` for a
key being stored, which is replaced by ``KEY="value"``; keys with no such line are
appended at the end (after a ``#UUID:`` line libvirt may have added).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One ``KEY=value`` assignment found on 1-based line ``lineno``."""

    lineno: int
    key: str
    value: str


@dataclass(frozen=True)
class Unparsable:
    """A line vzctl skips with ``Warning: can't parse FILE:N (reason), skipping``."""

    lineno: int
    reason: str


_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)


def unescape(line: str) -> str:
    """Drop every backslash, keeping the character after it (vzctl's unescapestr).

    In C, not char by char in Python: a config of many megabytes is parsed by every
    command, several times, under the host lock."""
    return _ESCAPE.sub(r"\1", line) if "\\" in line else line


def parse_line(raw: str, lineno: int) -> Entry | Unparsable | None:
    """Parse one raw line; ``None`` for blank lines and comments."""
    parsed = parse_text(raw)
    if parsed is None:
        return None
    if parsed[0] is None:
        return Unparsable(lineno, parsed[1])
    return Entry(lineno, parsed[0], parsed[1])


# A node's configs are mostly the same sample's lines (vzctl create copies it), so a
# line is parsed once per command however many configs hold it: vzlist reads them all.
@functools.lru_cache(maxsize=16384)
def parse_text(raw: str) -> tuple[str | None, str] | None:
    """(key, value), (None, reason) for an unparsable line, None for blank and comment."""
    text = unescape(raw).lstrip(" \t\n\r\v\f")
    if not text or text.startswith("#"):
        return None
    text = text.rstrip(" \t\n\r\v\f")
    key, eq, rest = text.partition("=")
    if not eq:
        return None, "'=' not found"
    if not rest.startswith('"'):
        return key, rest
    close = rest.rfind('"')
    if close == 0:
        return None, "unmatched quotes"
    return key, rest[1:close]


def _split_lf(text: str) -> list[str]:
    # str.splitlines would also split on \x0b, \x1c ... which fgets does not.
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def parse(text: str) -> list[Entry | Unparsable]:
    """All assignments and unparsable lines of a config text, in file order."""
    found: list[Entry | Unparsable] = []
    for lineno, raw in enumerate(_fgets_lines(text), start=1):
        item = parse_line(raw, lineno)
        if item is not None:
            found.append(item)
    return found


def fgets_lines(text: str) -> list[str]:
    """The lines of ``text`` as vzctl's fgets loop reads them."""
    return _fgets_lines(text)


def _fgets_lines(text: str) -> list[str]:
    # fgets splits on "\n" only; a CR stays in the line and is trimmed as whitespace.
    return _split_lf(text)


def render_line(key: str, value: str) -> str:
    """vzctl writes every stored value double-quoted and never escapes (``KV:config.c``)."""
    return f'{key}="{value}"\n'


def merge(text: str, stored: Iterable[tuple[str, str]]) -> str:
    """Rewrite ``text`` with ``stored`` (key, value) pairs as vzctl's save does."""
    lines = [ln if ln.endswith("\n") else ln + "\n" for ln in _fgets_lines(text)]
    appended: list[str] = []
    for key, value in stored:
        new = render_line(key, value)
        prefix = key + "="
        for i, ln in enumerate(lines):
            if ln.startswith(prefix):
                lines[i] = new
                break
        else:
            appended.append(new)
    return "".join(lines) + "".join(appended)
