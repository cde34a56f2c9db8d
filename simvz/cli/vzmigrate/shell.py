"""The shell and file tools vzmigrate leans on, as far as it uses them: ``.`` of a config
file, its echo/sed of IP_ADDRESS, ``grep -cwE``, ``rsync -aHAX --delete``, ``ps -f``."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

_ASSIGN = re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def dot_source(text: str, env: dict[str, str]) -> None:
    """``. FILE`` for files of plain assignments: quotes and ``$VAR`` as sh reads them."""
    for line in text.splitlines():
        m = _ASSIGN.match(line)
        if m:
            env[m.group(1)] = _shell_word(m.group(2), env)


def _shell_word(raw: str, env: dict[str, str]) -> str:
    out: list[str] = []
    quote, i = "", 0
    while i < len(raw):
        c = raw[i]
        if quote == "'":
            quote = "" if c == "'" else quote
            out.append("" if c == "'" else c)
        elif c in "'\"" and quote in ("", c):
            quote = "" if quote else c
        elif c == "\\" and i + 1 < len(raw):
            i += 1
            out.append(raw[i])
        elif c == "$" and (m := _VAR.match(raw, i)):
            out.append(env.get(m.group(1) or m.group(2), ""))
            i = m.end()
            continue
        elif not quote and c in " \t;":
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)


def ip_pattern(ip_address: str) -> str:
    """``IP_X``: IP_ADDRESS with masks stripped, exactly as the script's echo and sed do."""
    echoed = " ".join([*ip_address.split(), " "])
    return re.sub(r"/[0-9][0-9]*\s", " ", echoed)


def grep_cw(pattern: str, text: str) -> int:
    """``grep -cwE PATTERN``: lines with a match standing as a whole word."""
    try:
        rx = re.compile(rf"(?<![A-Za-z0-9_])(?:{pattern})(?![A-Za-z0-9_])")
    except re.error:
        return 0
    return sum(1 for line in text.splitlines() if rx.search(line))


def mirror(src: Path, dst: Path) -> None:
    """``rsync -aHAX --delete``: ``dst`` becomes a copy of ``src``, symlinks as symlinks."""
    dst.mkdir(parents=True, exist_ok=True)
    names = set(os.listdir(src))
    for name in os.listdir(dst):
        if name not in names:
            _remove(dst / name)
    for name in sorted(names):
        s, d = src / name, dst / name
        if s.is_symlink() or not s.is_dir():
            if d.is_dir() and not d.is_symlink():
                _remove(d)
            if s.is_symlink():
                _remove(d)
                os.symlink(os.readlink(s), d)
            else:
                shutil.copy2(s, d, follow_symlinks=False)
        else:
            if d.is_symlink() or (d.exists() and not d.is_dir()):
                _remove(d)
            mirror(s, d)
    shutil.copystat(src, dst)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif os.path.lexists(p):
        p.unlink()


def ps_f(pid: str) -> str:
    """``ps -f -p PID``: the header, and the process when it is alive on this machine."""
    header = "UID        PID  PPID  C STIME TTY          TIME CMD\n"
    if not pid.isdigit() or not os.path.exists(f"/proc/{pid}"):
        return header if pid.isdigit() else ""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            ppid = fh.read().rsplit(")", 1)[1].split()[1]
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
        stime = time.strftime("%H:%M", time.localtime(os.stat(f"/proc/{pid}").st_ctime))
    except (OSError, IndexError):
        return header
    return header + f"{'root':<8} {pid:>5} {ppid:>5} {0:>2} {stime:>5} {'?':<8} {'00:00:00':>8} {cmd}\n"
