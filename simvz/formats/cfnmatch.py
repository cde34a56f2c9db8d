"""glibc ``fnmatch(pattern, string, 0)`` in the C locale, as vzlist's ``-h``/``-N``/``-d``
filters call it (``KV:src/vzlist.c:check_pattern``; vzlist never calls setlocale).

Python's :mod:`fnmatch` differs from C: it has no backslash escapes, reads ``[^...]`` as a
literal caret, knows no ``[:class:]`` and matches characters, not bytes. So the pattern is
translated here to a bytes regex with glibc's rules (``posix/fnmatch_loop.c``; flags 0:
``*`` matches ``/`` and a leading dot). Ill-formed parts behave as glibc's: an
unterminated ``[`` is a literal, a trailing backslash or a bad class name fails the match
(see :func:`well_formed` for the one case glibc decides lazily).
"""

from __future__ import annotations

import re
from functools import lru_cache

_CLASSES = {
    "alpha": rb"a-zA-Z",
    "digit": rb"0-9",
    "alnum": rb"a-zA-Z0-9",
    "upper": rb"A-Z",
    "lower": rb"a-z",
    "space": rb" \t\n\r\f\v",
    "blank": rb" \t",
    "xdigit": rb"0-9a-fA-F",
    "punct": rb"!-/:-@\[-`{-~",
    "print": rb" -~",
    "graph": rb"!-~",
    "cntrl": rb"\x00-\x1f\x7f",
}
_CLASS_NAME_CHARS = b"abcdefghijklmnopqrstuvwxy"  # glibc stops at c >= 'z'


class _NoMatch(Exception):
    """glibc returns FNM_NOMATCH for the whole pattern."""


def fnmatch(pattern: str, string: str) -> bool:
    """True when ``string`` matches the shell wildcard ``pattern`` (glibc, flags 0).

    Matched token by token with one backtracking point, the last ``*`` (as glibc's
    ``posix/fnmatch_loop.c`` retries only from its latest star): at most
    len(pattern) * len(string) steps, where a backtracking regex is exponential in the
    number of stars. vzlist matches under the host lock, so this bounds how long any
    pattern can hold up the node's other commands."""
    tokens = _tokens(pattern)
    return tokens is not None and _match(tokens, string.encode("utf-8", "surrogateescape"))


_STAR = None  # the token of ``*``; every other token is the set of bytes it matches
Token = frozenset[int] | None


@lru_cache(maxsize=256)
def _tokens(pattern: str) -> tuple[Token, ...] | None:
    try:
        pieces = _translate(pattern.encode("utf-8", "surrogateescape"))
    except _NoMatch:
        return None
    return tuple(_STAR if p == b".*" else _byte_set(p) for p in pieces)


@lru_cache(maxsize=1024)
def _byte_set(piece: bytes) -> frozenset[int]:
    """The bytes a one-character regex piece matches."""
    rx = re.compile(piece, re.DOTALL)
    return frozenset(b for b in range(256) if rx.fullmatch(bytes([b])))


def _match(tokens: tuple[Token, ...], s: bytes) -> bool:
    ti = si = 0
    star_t, star_s = -1, 0
    while si < len(s):
        tok = tokens[ti] if ti < len(tokens) else frozenset()
        if tok is _STAR:
            star_t, star_s = ti, si  # let the star match nothing first
            ti += 1
        elif s[si] in tok:
            ti += 1
            si += 1
        elif star_t >= 0:
            star_s += 1  # the last star takes one more byte; retry after it
            ti, si = star_t + 1, star_s
        else:
            return False
    return all(t is _STAR for t in tokens[ti:])


def well_formed(pattern: str) -> bool:
    """False for a pattern glibc gives up on part-way (a trailing backslash, an unknown
    class, a bad collating symbol, a range running off the end). glibc reports that
    only if it reaches the bad part before a bracket member matched, so its answer then
    depends on the string; this translation always says no match."""
    try:
        _translate(pattern.encode("utf-8", "surrogateescape"))
    except _NoMatch:
        return False
    return True


def _translate(pat: bytes) -> list[bytes]:
    """The pattern as one-character regex pieces, ``.*`` for a star."""
    out: list[bytes] = []
    i = 0
    while i < len(pat):
        c = pat[i : i + 1]
        i += 1
        if c == b"*":
            out.append(b".*")
        elif c == b"?":
            out.append(b".")
        elif c == b"\\":
            if i >= len(pat):
                raise _NoMatch  # "Trailing \ loses"
            out.append(re.escape(pat[i : i + 1]))
            i += 1
        elif c == b"[":
            cls, end = _bracket(pat, i)
            out.append(re.escape(c) if cls is None else cls)
            i = i if cls is None else end
        else:
            out.append(re.escape(c))
    return out


def _bracket(pat: bytes, i: int) -> tuple[bytes | None, int]:
    """``[...]`` after its ``[``: (regex class, index after ``]``); None when unterminated."""
    negate = pat[i : i + 1] in (b"!", b"^")
    i += negate
    items: list[bytes] = []
    first = True
    while i < len(pat):
        if pat[i : i + 1] == b"]" and not first:
            body = b"".join(items) or rb"^\x00-\xff"  # an empty set (a reversed range)
            if body.startswith(b"^") and negate:
                return rb"[\x00-\xff]", i + 1
            return b"[" + (b"^" if negate else b"") + body + b"]", i + 1
        first = False
        item, i = _bracket_item(pat, i)
        items.append(item)
    return None, i


def _bracket_item(pat: bytes, i: int) -> tuple[bytes, int]:
    """One member of a bracket expression: a class, an equivalence class, a char or a range."""
    if pat[i : i + 2] == b"[:":
        cls = _char_class(pat, i + 2)
        if cls is not None:
            return cls
    if pat[i : i + 2] == b"[=":
        if len(pat) > i + 4 and pat[i + 3 : i + 5] == b"=]":
            return re.escape(pat[i + 2 : i + 3]), i + 5
        if _unterminated(pat, i):
            raise _NoMatch  # glibc 2.36 answers no match here (checked against libc)
    lo, i = _bracket_char(pat, i)
    if pat[i : i + 1] == b"-" and pat[i + 1 : i + 2] != b"]":
        if i + 1 >= len(pat):
            raise _NoMatch
        hi, i = _bracket_char(pat, i + 1)
        return (re.escape(lo) + b"-" + re.escape(hi) if hi >= lo else b""), i
    return re.escape(lo), i


def _unterminated(pat: bytes, i: int) -> bool:
    """No ``]`` closes the bracket expression after position ``i``."""
    return pat.find(b"]", i + 2) < 0


def _char_class(pat: bytes, i: int) -> tuple[bytes, int] | None:
    """``[:name:]`` with ``i`` after ``[:``; None when the name has a char glibc rejects."""
    j = i
    while pat[j : j + 2] != b":]":
        if j >= len(pat) or pat[j] not in _CLASS_NAME_CHARS:
            return None  # not a class: the "[" is an ordinary member
        j += 1
    name = pat[i:j].decode("ascii")
    if name not in _CLASSES:
        raise _NoMatch
    return _CLASSES[name], j + 2


def _bracket_char(pat: bytes, i: int) -> tuple[bytes, int]:
    """A single member char: escaped, a one-char collating symbol ``[.x.]``, or plain."""
    c = pat[i : i + 1]
    if c == b"\\":
        if i + 1 >= len(pat):
            raise _NoMatch
        return pat[i + 1 : i + 2], i + 2
    if pat[i : i + 2] == b"[.":
        end = pat.find(b".]", i + 2)
        if end < 0 or end - (i + 2) != 1:
            raise _NoMatch  # unterminated, or a multi-char name the C locale lacks
        return pat[i + 2 : i + 3], end + 2
    return c, i + 1
