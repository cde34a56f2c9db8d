"""glibc ``fnmatch(pattern, string, 0)`` in the C locale, as vzlist's ``-h``/``-N``/``-d``
filters call it (``KV:src/vzlist.c:check_pattern``).

Python's :mod:`fnmatch` differs from C: it has no backslash escapes, reads ``[^...]`` as a
literal caret and matches characters, not bytes; so the pattern is translated here to a
bytes regex with glibc's rules (no FNM_PATHNAME, no FNM_PERIOD: ``*`` matches ``/`` and
a leading dot).
"""

from __future__ import annotations

import re

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
_NEVER = rb"(?!)"


def fnmatch(pattern: str, string: str) -> bool:
    """True when ``string`` matches the shell wildcard ``pattern`` (glibc, flags 0)."""
    regex = _translate(pattern.encode("utf-8", "surrogateescape"))
    return re.fullmatch(regex, string.encode("utf-8", "surrogateescape"), re.DOTALL) is not None


def _translate(pat: bytes) -> bytes:
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
            # glibc: a trailing unescaped backslash never matches ("Trailing \ loses").
            out.append(re.escape(pat[i : i + 1]) if i < len(pat) else _NEVER)
            i += 1
        elif c == b"[":
            cls, end = _bracket(pat, i)
            out.append(cls if cls is not None else re.escape(c))
            i = end if cls is not None else i
        else:
            out.append(re.escape(c))
    return b"".join(out)


def _bracket(pat: bytes, i: int) -> tuple[bytes | None, int]:
    """A ``[...]`` expression starting after ``[``: (regex class, index after ``]``) or None."""
    negate = pat[i : i + 1] in (b"!", b"^")
    i += negate
    items: list[bytes] = []
    first = True
    while i < len(pat):
        c = pat[i : i + 1]
        if c == b"]" and not first:
            body = b"".join(items)
            if not body:
                return (b"[^\\x00-\\xff]" if not negate else b"[\\x00-\\xff]"), i + 1
            return b"[" + (b"^" if negate else b"") + body + b"]", i + 1
        first = False
        if c == b"[" and pat[i + 1 : i + 2] == b":":
            end = pat.find(b":]", i + 2)
            if end < 0:
                return None, i
            name = pat[i + 2 : end].decode("ascii", "replace")
            if name not in _CLASSES:
                return _NEVER, len(pat)  # glibc: an unknown class name fails the match
            items.append(_CLASSES[name])
            i = end + 2
            continue
        if c == b"\\" and i + 1 < len(pat):
            i += 1
            c = pat[i : i + 1]
        i += 1
        if pat[i : i + 1] == b"-" and pat[i + 1 : i + 2] not in (b"]", b""):
            hi = pat[i + 1 : i + 2]
            i += 2
            if hi == b"\\" and i < len(pat):
                hi = pat[i : i + 1]
                i += 1
            items.append(re.escape(c) + b"-" + re.escape(hi) if hi >= c else b"")
            continue
        items.append(re.escape(c))
    return None, i
