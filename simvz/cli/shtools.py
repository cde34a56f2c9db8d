"""Text tools of the shell inside a container: ``head``, ``tail``, ``grep``, ``awk``
(field printing), ``cut``, ``wc``, ``test``/``[``, as coreutils 8.4, grep 2.6 and gawk
3.1 of a CentOS 6 CT behave for the options monitoring scripts use. Each reads its
files inside the CT, or its stdin.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from simvz.cli.shio import Io, read_file
from simvz.model.ctx import Ctx


def _inputs(ctx: Ctx, io: Io, tool: str, names: list[str]) -> tuple[list[bytes], int]:
    """The contents of each named file (stdin when none, or for ``-``)."""
    if not names:
        return [io.stdin], 0
    out, code = [], 0
    for name in names:
        if name == "-":
            out.append(io.stdin)
            continue
        data, err = read_file(ctx, name, io.shell.pipeline if io.shell else ())
        if data is None:
            io.write(2, f"{tool}: {name}: {err}\n")
            code = 2 if tool == "grep" else 1
        else:
            out.append(data)
    return out, code


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").splitlines(keepends=True)


def _count_opt(argv: list[str], default: int) -> tuple[int, list[str], bool]:
    """``-n N``, ``-nN``, ``-N``, ``-n +N`` (tail: from line N); the rest."""
    n, rest, plus = default, [], False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "-n" and i + 1 < len(argv):
            val, i = argv[i + 1], i + 1
        elif a.startswith("-n") and len(a) > 2:
            val = a[2:]
        elif re.fullmatch(r"-[0-9]+", a):
            val = a[1:]
        else:
            rest.append(a)
            i += 1
            continue
        plus = val.startswith("+")
        n = int(val.lstrip("+-")) if val.lstrip("+-").isdigit() else n
        i += 1
    return n, rest, plus


def head(ctx: Ctx, io: Io, argv: list[str]) -> int:
    n, names, _ = _count_opt(argv, 10)
    datas, code = _inputs(ctx, io, "head", names)
    for data in datas:
        io.write(1, "".join(_lines(data)[:n]))
    return code


def tail(ctx: Ctx, io: Io, argv: list[str]) -> int:
    n, names, plus = _count_opt(argv, 10)
    datas, code = _inputs(ctx, io, "tail", names)
    for data in datas:
        lines = _lines(data)
        io.write(1, "".join(lines[max(0, n - 1) :] if plus else lines[-n:] if n else []))
    return code


def grep(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """``grep [-v] [-i] [-c] [-q] [-w] [-E|-F] PATTERN [FILE...]``: 0 when a line
    matched, 1 when none, 2 on trouble."""
    flags: set[str] = set()
    args: list[str] = []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not args and a[1:].isalpha():
            flags.update(a[1:])
        else:
            args.append(a)
    if not args:
        io.write(2, "Usage: grep [OPTION]... PATTERN [FILE]...\nTry `grep --help' for more information.\n")
        return 2
    pattern = args[0]
    if "F" in flags:
        pattern = re.escape(pattern)
    elif "E" not in flags:  # basic regular expression: \| \( \) \{ \} are the operators
        pattern = _bre(pattern)
    if "w" in flags:
        pattern = rf"\b(?:{pattern})\b"
    rx = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
    datas, code = _inputs(ctx, io, "grep", args[1:])
    count = 0
    for data in datas:
        for line in _lines(data):
            if bool(rx.search(line.rstrip("\n"))) != ("v" in flags):
                count += 1
                if not flags & {"c", "q"}:
                    io.write(1, line if line.endswith("\n") else line + "\n")
    if "c" in flags:
        io.write(1, f"{count}\n")
    return code or (0 if count else 1)


def _bre(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "|(){}+?":
            out.append(pattern[i + 1])
            i += 2
            continue
        out.append("\\" + c if c in "|(){}+?" else c)
        i += 1
    return "".join(out)


def awk(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """``awk [-F SEP] '[/RE/|NR==N|$N==V] {print $N, ...}' [FILE...]``: field printing,
    what monitoring scripts use awk for. Fields split on blanks (or SEP); ``,``
    prints the fields with one space; $0, $NF, NR and NF are known."""
    args, sep = argv[1:], None
    if args and args[0].startswith("-F"):
        sep = args[0][2:] or (args[1] if len(args) > 1 else " ")
        args = args[1:] if args[0][2:] else args[2:]
    if not args:
        io.write(2, "usage: awk [POSIX or GNU style options] -f progfile [--] file ...\n")
        return 2
    m = re.fullmatch(r"\s*(.*?)\s*\{\s*print\s*(.*?)\s*;?\s*\}\s*", args[0], re.S)
    if m is None:
        io.write(2, f"awk: cmd. line:1: {args[0]}\nawk: cmd. line:1: syntax error (not simulated)\n")
        return 2
    cond, exprs = m.group(1), [e.strip() for e in m.group(2).split(",")] if m.group(2) else ["$0"]
    datas, code = _inputs(ctx, io, "awk", args[1:])
    nr = 0
    for data in datas:
        for line in _lines(data):
            nr += 1
            text = line.rstrip("\n")
            fields = (
                text.split()
                if sep in (None, " ")
                else re.split(re.escape(sep) if len(sep) == 1 else sep, text)
            )
            if _awk_cond(cond, text, fields, nr):
                io.write(1, " ".join(_awk_value(e, text, fields, nr) for e in exprs) + "\n")
    return code


def _awk_value(expr: str, text: str, fields: list[str], nr: int) -> str:
    if expr.startswith('"') and expr.endswith('"'):
        return expr[1:-1]
    if expr == "NR":
        return str(nr)
    if expr == "NF":
        return str(len(fields))
    m = re.fullmatch(r"\$(NF|[0-9]+)", expr)
    if m is None:
        return ""
    n = len(fields) if m.group(1) == "NF" else int(m.group(1))
    if n == 0:
        return text
    return fields[n - 1] if n <= len(fields) else ""


def _awk_cond(cond: str, text: str, fields: list[str], nr: int) -> bool:
    if not cond:
        return True
    m = re.fullmatch(r"/(.*)/", cond)
    if m:
        return re.search(m.group(1), text) is not None
    m = re.fullmatch(r"(NR|\$(?:NF|[0-9]+))\s*(==|!=|>|<)\s*\"?([^\"]*)\"?", cond)
    if m is None:
        return True
    left = _awk_value(m.group(1), text, fields, nr)
    right = m.group(3)
    a: float | str = left
    b: float | str = right
    if re.fullmatch(r"-?[0-9.]+", left or "x") and re.fullmatch(r"-?[0-9.]+", right):
        a, b = float(left), float(right)
    ops = {"==": a == b, "!=": a != b, ">": a > b, "<": a < b}  # type: ignore[operator]
    return ops[m.group(2)]


def cut(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """``cut -d DELIM -f LIST`` and ``cut -c LIST`` (LIST: N, N-M, N-, -M, commas)."""
    delim, fields, chars, names = "\t", None, None, []
    i = 1
    while i < len(argv):
        a = argv[i]
        for opt in ("-d", "-f", "-c"):
            if a.startswith(opt):
                val = a[2:] if len(a) > 2 else (argv[i + 1] if i + 1 < len(argv) else "")
                i += 0 if len(a) > 2 else 1
                if opt == "-d":
                    delim = val
                elif opt == "-f":
                    fields = val
                else:
                    chars = val
                break
        else:
            names.append(a)
        i += 1
    spec = fields or chars
    if spec is None:
        io.write(2, "cut: you must specify a list of bytes, characters, or fields\n")
        io.write(2, "Try `cut --help' for more information.\n")
        return 1
    wanted = _ranges(spec)
    datas, code = _inputs(ctx, io, "cut", names)
    for data in datas:
        for line in _lines(data):
            text = line.rstrip("\n")
            if fields is not None:
                if delim not in text:
                    io.write(1, text + "\n")  # a line without the delimiter is printed whole
                    continue
                parts = text.split(delim)
                io.write(1, delim.join(p for n, p in enumerate(parts, 1) if wanted(n)) + "\n")
            else:
                io.write(1, "".join(c for n, c in enumerate(text, 1) if wanted(n)) + "\n")
    return code


def _ranges(spec: str) -> Callable[[int], bool]:
    spans = []
    for part in spec.split(","):
        lo, dash, hi = part.partition("-")
        start = int(lo) if lo else 1
        end = (int(hi) if hi else 10**9) if dash else start
        spans.append((start, end))
    return lambda n: any(a <= n <= b for a, b in spans)


def wc(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """``wc [-l] [-w] [-c]``: counts right-aligned (one count alone unpadded)."""
    flags = set("".join(a[1:] for a in argv[1:] if a.startswith("-") and len(a) > 1)) or set("lwc")
    names = [a for a in argv[1:] if not a.startswith("-") or a == "-"]
    datas, code = _inputs(ctx, io, "wc", names)
    for data, name in zip(datas, names or [""], strict=False):
        counts = []
        if "l" in flags:
            counts.append(data.count(b"\n"))
        if "w" in flags:
            counts.append(len(data.split()))
        if "c" in flags:
            counts.append(len(data))
        if len(counts) == 1 and not name:
            io.write(1, f"{counts[0]}\n")
        else:
            width = 7 if not name else max(len(str(c)) for c in counts)
            io.write(1, " ".join(f"{c:>{width}}" for c in counts) + (f" {name}" if name else "") + "\n")
    return code


def test(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """``test EXPR`` and ``[ EXPR ]``: string, integer and file tests, ``!``."""
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            io.write(2, "bash: [: missing `]'\n")
            return 2
        args = args[:-1]
    try:
        return 0 if _test(ctx, args) else 1
    except ValueError as err:
        io.write(2, f"bash: {argv[0]}: {err}\n")
        return 2


def _test(ctx: Ctx, args: list[str]) -> bool:
    if not args:
        return False
    if args[0] == "!":
        return not _test(ctx, args[1:])
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, val = args
        if op in ("-n", "-z"):
            return (val != "") == (op == "-n")
        if op in ("-e", "-f", "-d", "-s", "-r"):
            data, err = read_file(ctx, val)
            if op == "-d":
                return err == "Is a directory"
            exists = data is not None
            return exists and (op != "-s" or bool(data)) if op != "-e" else exists or err == "Is a directory"
        raise ValueError(f"{op}: unary operator expected")
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        ints = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__,
                "-gt": int.__gt__, "-ge": int.__ge__}  # fmt: skip
        if op in ints:
            for v in (a, b):
                if not re.fullmatch(r"\s*-?[0-9]+\s*", v):
                    raise ValueError(f"{v}: integer expression expected")
            return bool(ints[op](int(a), int(b)))
    raise ValueError("too many arguments")
