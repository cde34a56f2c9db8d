"""A driver crash's C backtrace: ``crashtrace.c``, preloaded into the driver's process,
writes glibc's ``backtrace_symbols_fd`` lines to stderr when the process dies of a
signal; :func:`frames` turns the lines of libvirt's own libraries into functions and
source lines with binutils' ``addr2line`` (static driver functions have no dynamic
symbol, so ``libvirt.so.0(+0x8c2f1)`` is all glibc can say). A library without debug
information (Debian's stripped libvirt0) gives ``??``: a build of one's own has it.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

from simvz.harness import shim

SOURCE = Path(__file__).with_name("crashtrace.c")
MARK = "simvz-crashtrace: backtrace of the driver's process:"
# "/usr/lib/x86_64-linux-gnu/libvirt.so.0(+0x8c2f1)[0x7f3e...]" or "(virFoo+0x12)[...]"
_LINE = re.compile(r"^(?P<file>/\S+?)\((?P<sym>[^)+]*)\+0x(?P<off>[0-9a-f]+)\)\[0x[0-9a-f]+\]$")


def library() -> Path:
    """The built handler library (compiled once, cached like the shim)."""
    return shim.build_library(SOURCE, "simvz-crashtrace")


def frames(stderr: str) -> list[str]:
    """The backtrace's frames in libvirt's libraries, innermost first, as
    ``#N function (file:line)``; none when there is no backtrace."""
    if MARK not in stderr:
        return []
    out: list[str] = []
    for n, raw in enumerate(stderr.split(MARK, 1)[1].strip().splitlines()):
        m = _LINE.match(raw.strip())
        if m is None or "libvirt" not in Path(m.group("file")).name:
            continue
        func, where = _symbolize(m.group("file"), m.group("sym"), m.group("off"))
        out.append(f"#{n} {func} ({where})")
    return out


def _symbolize(library: str, symbol: str, offset: str) -> tuple[str, str]:
    if symbol:  # an exported function: glibc named it, the offset is from the symbol
        return symbol, Path(library).name
    return _addr2line(library, offset)


@functools.cache
def _addr2line(library: str, offset: str) -> tuple[str, str]:
    tool = shutil.which("addr2line")
    if tool is None:
        return "??", f"{Path(library).name}+0x{offset}"
    done = subprocess.run(
        [tool, "-f", "-C", "-e", library, f"0x{offset}"], capture_output=True, text=True, check=False
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 2:
        return "??", f"{Path(library).name}+0x{offset}"
    return lines[0], lines[1].split(" (discriminator")[0]
