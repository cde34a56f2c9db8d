"""GNU ``getopt_long`` as glibc implements it (permutation, unique-prefix abbreviation,
``--opt=value``, ``--`` ends options), with glibc's exact diagnostics.

vzctl prints these messages with ``argv[0]`` as invoked, then exits 20 or 21
depending on the command (``KV:src/vzctl-actions.c:parse_opt`` and the
per-command parsers there).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Opt:
    """A long option: its name, whether it takes an argument, and its identity.

    Two names with the same ``ident`` are aliases (``--ip``/``--ipadd``); glibc does
    not call an abbreviation ambiguous when every match has the same identity.
    """

    name: str
    arg: bool
    ident: str = ""

    @property
    def id(self) -> str:
        """The identity (the name unless aliased)."""
        return self.ident or self.name


class GetoptError(Exception):
    """A diagnostic glibc prints (without the trailing newline)."""


@dataclass(frozen=True)
class Parsed:
    """One recognised option: identity, the name as listed, value, and ``--long`` form."""

    id: str
    name: str
    value: str | None
    long: bool


def getopt_long(
    prog: str, args: list[str], longopts: list[Opt], operands: list[str], shortopts: str = ""
) -> Iterator[Parsed]:
    """Yield the options of ``args`` (without argv[0]) one at a time, as getopt returns
    them, so that a caller stopping at a bad value never sees a later diagnostic;
    operands (permuted to the end, as GNU getopt does) are appended to ``operands``.
    """
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            operands.extend(args[i:])
            return
        if a.startswith("--"):
            found: list[Parsed] = []
            i = _long(prog, a, args, i, longopts, found)
            yield from found
        elif a.startswith("-") and a != "-":
            state = [i]
            yield from _short(prog, a, args, state, shortopts)
            i = state[0]
        else:
            operands.append(a)


def _match(prog: str, a: str, longopts: list[Opt]) -> Opt:
    body = a[2:].split("=", 1)[0]
    exact = [o for o in longopts if o.name == body]
    if exact:
        return exact[0]
    found = [o for o in longopts if o.name.startswith(body)]
    if not found:
        raise GetoptError(f"{prog}: unrecognized option '{a}'")
    if len({(o.id, o.arg) for o in found}) > 1:
        names = " ".join(f"'--{o.name}'" for o in found)
        raise GetoptError(f"{prog}: option '{a}' is ambiguous; possibilities: {names}")
    return found[0]


def _long(prog: str, a: str, args: list[str], i: int, longopts: list[Opt], out: list[Parsed]) -> int:
    opt = _match(prog, a, longopts)
    _, eq, inline = a[2:].partition("=")
    if not opt.arg:
        if eq:
            raise GetoptError(f"{prog}: option '--{opt.name}' doesn't allow an argument")
        out.append(Parsed(opt.id, opt.name, None, True))
        return i
    if eq:
        out.append(Parsed(opt.id, opt.name, inline, True))
        return i
    if i >= len(args):
        raise GetoptError(f"{prog}: option '--{opt.name}' requires an argument")
    out.append(Parsed(opt.id, opt.name, args[i], True))
    return i + 1


def _short(prog: str, a: str, args: list[str], state: list[int], shortopts: str) -> Iterator[Parsed]:
    """One cluster (``-kl``, ``-k5``): each option is returned as soon as it is read,
    as getopt does, so ``-Lx`` acts on ``-L`` before complaining about ``x``."""
    j = 1
    while j < len(a):
        ch = a[j]
        pos = shortopts.find(ch)
        if pos < 0 or ch == ":":
            raise GetoptError(f"{prog}: invalid option -- '{ch}'")
        if shortopts[pos + 1 : pos + 2] != ":":
            yield Parsed(ch, ch, None, False)
            j += 1
            continue
        if j + 1 < len(a):
            yield Parsed(ch, ch, a[j + 1 :], False)
        elif state[0] < len(args):
            state[0] += 1
            yield Parsed(ch, ch, args[state[0] - 1], False)
        else:
            raise GetoptError(f"{prog}: option requires an argument -- '{ch}'")
        return
