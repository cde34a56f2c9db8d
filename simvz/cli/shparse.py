"""The shell language of ``vzctl exec`` (``bash -c "ARGS "``, ``vzctl
src/vzctl-actions.c:exec``): words with single, double and backslash quoting, ``$VAR``,
``${VAR}`` and ``$?``, pipelines, ``;``/newline, ``&&``, ``||``, and the redirections
``<``, ``>``, ``>>``, ``2>``, ``2>>``, ``2>&1``, ``>&2``, ``&>``. No globbing, no
subshells, no control structures: what management and monitoring tools send.

Parsing only (no execution): :mod:`simvz.cli.shell` runs the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A word is a list of segments: ("lit", text) is quoted text taken as is, ("dq", text)
# double-quoted text whose $ expansions are not split, ("bare", text) unquoted text
# whose expansions are split on blanks.
Segment = tuple[str, str]
Word = list[Segment]

_OPS = ("2>&1", "1>&2", "2>>", ">&2", "&&", "||", ">>", "&>", "2>", "1>", ">", "<", "|", ";", "&")
REDIRS = frozenset({"2>&1", "1>&2", "2>>", ">&2", ">>", "&>", "2>", "1>", ">", "<"})
_NO_TARGET = frozenset({"2>&1", "1>&2", ">&2"})
ESCAPED_DOLLAR = "\x00"  # a \$ inside double quotes: no expansion


class ShellSyntaxError(Exception):
    """What bash says about a script it cannot parse (status 2)."""


@dataclass
class Command:
    """One simple command: its words and redirections, in order."""

    words: list[Word] = field(default_factory=list)
    redirs: list[tuple[str, Word | None]] = field(default_factory=list)


Pipeline = list[Command]
AndOr = list[tuple[str, Pipeline]]  # ("", first), ("&&", next), ("||", next)


def _tokens(text: str) -> list[str | Word]:
    """Operators as strings, words as segment lists."""
    out: list[str | Word] = []
    word: Word = []
    started = False
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal word, started
        if started:
            merged: Word = []
            for kind, part in word:
                if merged and merged[-1][0] == kind:
                    merged[-1] = (kind, merged[-1][1] + part)
                else:
                    merged.append((kind, part))
            out.append(merged)
        word, started = [], False

    while i < n:
        c = text[i]
        if c in " \t":
            flush()
            i += 1
        elif c == "\n":
            flush()
            out.append("\n")
            i += 1
        elif c == "#" and not started:
            while i < n and text[i] != "\n":
                i += 1
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            word.append(("lit", text[i + 1 : end]))
            started, i = True, end + 1
        elif c == '"':
            seg, i = _double(text, i + 1)
            word.append(("dq", seg))
            started = True
        elif c == "\\":
            if i + 1 < n and text[i + 1] == "\n":
                i += 2  # line continuation
                continue
            word.append(("lit", text[i + 1 : i + 2]))
            started, i = True, i + 2
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is not None and (op[0] not in "12" or not started):
                flush()
                out.append(op)
                i += len(op)
                continue
            word.append(("bare", c))
            started, i = True, i + 1
    flush()
    return out


def _double(text: str, i: int) -> tuple[str, int]:
    """Text of a double-quoted string starting after its quote; the index after it."""
    buf: list[str] = []
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(buf), i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\$`\n':
            nxt = text[i + 1]
            buf.append(ESCAPED_DOLLAR if nxt == "$" else "" if nxt == "\n" else nxt)
            i += 2
            continue
        buf.append(c)
        i += 1
    raise ShellSyntaxError("unexpected EOF while looking for matching `\"'")


def parse(text: str) -> list[AndOr]:
    """The script as and-or lists, in order."""
    toks = _tokens(text)
    lists: list[AndOr] = []
    current: AndOr = []
    pipeline: Pipeline = []
    cmd = Command()
    connector = ""
    i = 0
    while i < len(toks):
        t = toks[i]
        if isinstance(t, list):
            cmd.words.append(t)
        elif t in REDIRS:
            target: Word | None = None
            if t not in _NO_TARGET:
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if not isinstance(nxt, list):
                    raise ShellSyntaxError(_near(nxt))
                target, i = nxt, i + 1
            cmd.redirs.append((t, target))
        elif not cmd.words and not cmd.redirs:
            # an empty command: fine at a newline (also after `|`, `&&`, `||`)
            if t != "\n":
                raise ShellSyntaxError(_near(t))
        else:
            pipeline.append(cmd)
            cmd = Command()
            if t != "|":
                current.append((connector, pipeline))
                pipeline, connector = [], ""
                if t in ("&&", "||"):
                    connector = t
                else:
                    lists.append(current)
                    current = []
        i += 1
    if cmd.words or cmd.redirs:
        pipeline.append(cmd)
        current.append((connector, pipeline))
    elif pipeline or connector:
        raise ShellSyntaxError("syntax error: unexpected end of file")
    if current:
        lists.append(current)
    return lists


def _near(tok: object) -> str:
    if tok is None or tok == "\n":
        return (
            "syntax error: unexpected end of file"
            if tok is None
            else "syntax error near unexpected token `newline'"
        )
    return f"syntax error near unexpected token `{tok}'"
