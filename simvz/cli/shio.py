"""What the shell inside a container and its commands share: the shell's state
(:class:`Shell`), a command's streams (:class:`Io`) and the CT's files as seen from
inside (chroot-like, its /proc from :mod:`simvz.cli.shproc`). The interpreter
(:mod:`simvz.cli.shell`) and the command modules (:mod:`simvz.cli.shtools`,
:mod:`simvz.cli.shsys`) import it; it imports none of them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simvz.cli import shparse, shproc
from simvz.model import quota as Q
from simvz.model.ctx import Ctx
from simvz.results import Console
from simvz.storage import Storage


@dataclass
class Io(Console):
    """A command's streams: what it reads on stdin, what it writes (fd, bytes)."""

    given: bytes = b""
    shell: Shell | None = None
    read: bool = False  # the command read its stdin

    @property
    def stdin(self) -> bytes:
        """What the command reads on its standard input."""
        self.read = True
        return self.given


Builtin = Callable[[Ctx, Io, list[str]], int]


@dataclass
class Shell:
    """One ``bash -c`` inside a CT: its variables and last status."""

    ctx: Ctx
    status: int = 0
    vars: dict[str, str] = field(default_factory=dict)
    pipeline: list[str] = field(default_factory=list)  # commands of the running pipeline
    stdin: bytes = b""  # vzctl's stdin, until a command reads it

    def expand(self, word: shparse.Word) -> list[str]:
        """A word's fields after parameter expansion (unquoted results split on blanks)."""
        fields: list[str] = []
        cur: list[str] = []
        quoted = False
        for kind, text in word:
            if kind == "lit":
                cur.append(text)
                quoted = True
                continue
            value = self._subst(text)
            if kind == "dq":
                cur.append(value.replace(shparse.ESCAPED_DOLLAR, "$"))
                quoted = True
                continue
            parts = re.split(r"[ \t\n]+", value)
            if value and value == text:  # no expansion: nothing to split
                parts = [value]
            cur.append(parts[0])
            for part in parts[1:]:
                if cur and ("".join(cur) or quoted):
                    fields.append("".join(cur))
                cur, quoted = [part], False
        if "".join(cur) or quoted:
            fields.append("".join(cur))
        return fields

    def _subst(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            if name == "?":
                return str(self.status)
            if name == "$":
                return str(self.ctx.host.kernel.clock % 30000 + 100)
            return self.vars.get(name, _ENV.get(name, ""))

        return re.sub(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*|\?)\}|([A-Za-z_][A-Za-z0-9_]*)|([?$]))", one, text)


# vzctl src/lib/exec.c: envp_bash, the environment of an exec'd command
_ENV = {"HOME": "/", "TERM": "linux", "PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin"}


def read_file(ctx: Ctx, path: str, commands: Sequence[str] = ()) -> tuple[bytes | None, str]:
    """A file's bytes inside the CT (its /proc as the kernel shows it there), or None
    and the reason."""
    if path == "/dev/null":
        return b"", ""
    norm = os.path.normpath("/" + path.lstrip("/"))
    if norm == "/proc" or norm.startswith("/proc/"):
        text = shproc.proc_read(ctx, norm, commands)
        if text is None:
            return None, "Is a directory" if shproc.is_dir(norm) else "No such file or directory"
        return text.encode(), ""
    real = _ct(ctx).real(path)
    if real.is_dir():
        return None, "Is a directory"
    if not real.is_file():
        return None, "No such file or directory"
    return real.read_bytes(), ""


def _ct(ctx: Ctx) -> Storage:
    """The CT's files, its private area as their ``/`` (chroot-like)."""
    return ctx.host.fs.chroot(ctx.private)


def _write(
    ctx: Ctx,
    con: Console,
    path: str,
    data: bytes = b"",
    append: bool = False,
    zeros: int = 0,
    who: str = "bash",
) -> int:
    """Write a file inside the CT, charging the quota for the blocks and inode it adds;
    ``zeros`` trailing zero bytes are written sparse, so a huge write inside a CT never
    needs the memory or disk it claims on the machine running the simulator. A write
    through a symlink writes its target, resolved inside the CT."""
    real = _ct(ctx).real(path)
    if real.is_dir():
        # open(2) of a directory for writing: EISDIR, which the shell reports
        con.write(2, f"{who}: {path}: Is a directory\n")
        return 1
    old_size = real.stat().st_size if real.is_file() else None
    new_size = ((old_size or 0) if append else 0) + len(data) + zeros
    q = ctx.kct.quota
    if q is not None and q.on:
        try:
            inodes = 0 if old_size is not None else 1
            Q.charge(q, _kb(new_size) - _kb(old_size or 0), inodes, ctx.host.kernel.clock)
        except Q.QuotaExceeded:
            what = f"writing `{path}'" if who == "dd" else path
            con.write(2, f"{who}: {what}: Disk quota exceeded\n")
            return 1
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        with open(real, "ab" if append else "wb") as fh:
            fh.write(data)
        if zeros:
            os.truncate(real, new_size)
    except OSError as err:
        con.write(2, f"{who}: {path}: {err.strerror}\n")
        return 1
    return 0


def _kb(size: int) -> int:
    return math.ceil(size / 1024)
