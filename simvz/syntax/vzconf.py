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
from collections.abc import Iterable, Iterator
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


# A line that is blank or a comment whatever its backslashes (whitespace, then "#" or
# the end) is one parse_line returns None for. The others, the candidates, are found by
# the regex engine (a newline is a literal it scans for in C), so a config of millions
# of comment lines costs no Python call per line: a 20 MB config is read by every
# command, several times, under the host lock.
_FIRST = re.compile(r"[ \t\r\v\f]*[^ \t\r\v\f#\n]")
_NEXT = re.compile(r"\n(?=[ \t\r\v\f]*[^ \t\r\v\f#\n])")


def candidate_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, fgets line) of every line that is not blank or a comment."""
    starts = [m.end() for m in _NEXT.finditer(text)]
    if _FIRST.match(text):
        starts.insert(0, 0)
    lineno, pos = 1, 0
    for start in starts:
        lineno += text.count("\n", pos, start)
        pos = start
        end = text.find("\n", start)
        yield lineno, text[start:] if end < 0 else text[start : end + 1]


def parse(text: str) -> list[Entry | Unparsable]:
    """All assignments and unparsable lines of a config text, in file order."""
    found: list[Entry | Unparsable] = []
    for lineno, raw in candidate_lines(text):
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
    body = text if not text or text.endswith("\n") else text + "\n"
    appended: list[str] = []
    for key, value in stored:
        new = render_line(key, value)
        # the first line starting exactly KEY= (found by the regex engine: configs can
        # be large, and every save rewrites one)
        m = re.search("^" + re.escape(key + "=") + "[^\n]*\n", body, re.MULTILINE)
        if m:
            body = body[: m.start()] + new + body[m.end() :]
        else:
            appended.append(new)
    return body + "".join(appended)
