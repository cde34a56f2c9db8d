"""System commands of the shell inside a container and its ``/proc``: ``uname``,
``ps``, ``uptime``, ``free``, ``id``, ``passwd``, ``chpasswd``, as a CentOS 6 CT's
coreutils 8.4, procps 3.2.8 and shadow-utils 4.1 print them, with the numbers of the
usage model (:mod:`simvz.model.usage`) as the kernel shows them inside the CT.
"""

from __future__ import annotations

import base64
import hashlib
import time

from simvz.cli.shio import Io, _ct, _write
from simvz.cli.shproc import _usage, proc_read
from simvz.model import usage
from simvz.model.ctx import Ctx
from simvz.model.ubc import NODE_RAM_PAGES


def _commands(io: Io) -> list[str]:
    return io.shell.pipeline if io.shell else []



# -- uname, id, uptime, free ------------------------------------------------------------------

_UNAME_VERSION = "#1 SMP Wed Nov 16 12:05:45 MSK 2016"


def _release(ctx: Ctx) -> str:
    version = (ctx.host.fs.read("/proc/vz/version") or "042stab120.11").strip()
    return f"2.6.32-{version}"


def uname(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """coreutils ``uname``: ``-s`` by default, ``-a`` everything; the node's kernel."""
    host = ctx_hostname(ctx)
    fields = {
        "s": "Linux", "n": host, "r": _release(ctx), "v": _UNAME_VERSION,
        "m": "x86_64", "p": "x86_64", "i": "x86_64", "o": "GNU/Linux",
    }  # fmt: skip
    long = {"--kernel-name": "s", "--nodename": "n", "--kernel-release": "r", "--all": "a",
            "--kernel-version": "v", "--machine": "m", "--operating-system": "o"}  # fmt: skip
    wanted: set[str] = set()
    for arg in argv[1:]:
        if arg in long:
            wanted.add(long[arg])
        elif arg.startswith("-") and len(arg) > 1 and all(c in "asnrvmpio" for c in arg[1:]):
            wanted.update(arg[1:])
        else:
            io.write(2, f"uname: extra operand `{arg}'\nTry `uname --help' for more information.\n")
            return 1
    if "a" in wanted:
        wanted = set("snrvmpio")
    order = [k for k in "snrvmpio" if k in (wanted or {"s"})]
    io.write(1, " ".join(fields[k] for k in order) + "\n")
    return 0


def ctx_hostname(ctx: Ctx) -> str:
    """The CT's hostname (its /etc/hostname, as the distribution scripts set it)."""
    text = _ct(ctx).read("/etc/hostname")
    return (text or "localhost\n").splitlines()[0] if text and text.strip() else "localhost"


def ident(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """coreutils ``id``: exec runs as root."""
    opts = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    if "u" in opts or "g" in opts:
        io.write(1, ("root" if "n" in opts else "0") + "\n")
    else:
        io.write(1, "uid=0(root) gid=0(root) groups=0(root)\n")
    return 0


def uptime_cmd(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """procps 3.2.8 ``uptime`` (``proc/whattime.c:sprint_uptime``): the time of day,
    the CT's uptime, users (no one is logged in), its load average."""
    u = _usage(ctx, _commands(io))
    tm = time.gmtime(ctx.host.kernel.clock)
    text = f" {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} up "
    days, minutes = u.uptime // 86400, u.uptime // 60
    hours, minutes = minutes // 60 % 24, minutes % 60
    if days:
        text += f"{days} day{'s' if days != 1 else ''}, "
    text += f"{hours:2d}:{minutes:02d}, " if hours else f"{minutes} min, "
    text += f"{0:2d} users, "
    la = ", ".join(f"{i}.{frac:02d}" for i, frac in usage.load_digits(u))
    io.write(1, text + f" load average: {la}\n")
    return 0


def free(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """procps 3.2.8 ``free`` from the CT's /proc/meminfo: KiB by default, ``-b``,
    ``-k``, ``-m``, ``-g`` (shifted, truncated)."""
    shift = 10
    for arg in argv[1:]:
        shift = {"-b": 0, "-k": 10, "-m": 20, "-g": 30}.get(arg, shift)
    info = {}
    for line in (proc_read(ctx, "/proc/meminfo", _commands(io)) or "").splitlines():
        name, _, rest = line.partition(":")
        info[name] = int(rest.split()[0])

    def s(kb: int) -> int:
        return (kb << 10) >> shift

    total, free_kb = info["MemTotal"], info["MemFree"]
    buffers, cached = info["Buffers"], info["Cached"]
    used = total - free_kb
    swap_total, swap_free = info["SwapTotal"], info["SwapFree"]
    io.write(1, "             total       used       free     shared    buffers     cached\n")
    mem = (total, used, free_kb, 0, buffers, cached)
    io.write(1, f"{'Mem:':<7}" + "".join(f" {s(v):>10}" for v in mem) + "\n")
    io.write(1, f"-/+ buffers/cache: {s(used - buffers - cached):>10} {s(free_kb + buffers + cached):>10}\n")
    io.write(1, f"{'Swap:':<7} {s(swap_total):>10} {s(swap_total - swap_free):>10} {s(swap_free):>10}\n")
    return 0


# -- ps ---------------------------------------------------------------------------------------


def ps(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """procps 3.2.8 ``ps``: plain (the exec session), ``ax``/``-e``/``-A``, ``aux``,
    ``-ef``; the CT's processes (:func:`simvz.model.usage.procs_of`) and this session."""
    u = _usage(ctx, _commands(io))
    opts = "".join(a.lstrip("-") for a in argv[1:])
    bsd_all = any(not a.startswith("-") for a in argv[1:]) and "a" in opts and "x" in opts
    procs = (
        u.procs if bsd_all or {"e", "A"} & set(opts) else [p for p in u.procs if p.stat in ("Ss", "R+")][-2:]
    )
    if "u" in opts and bsd_all:
        io.write(1, "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
        total_kb = NODE_RAM_PAGES * 4
        start = time.strftime("%H:%M", time.gmtime(ctx.host.kernel.clock - u.uptime))
        for p in procs:
            mem = p.rss * 4 * 100 / total_kb
            io.write(
                1,
                f"{p.user:<8} {p.pid:>5} {0.0:>4.1f} {mem:>4.1f} {p.vsz * 4:>6} {p.rss * 4:>5} "
                f"{p.tty:<8} {p.stat:<4} {start:>5}   0:00 {p.cmd}\n",
            )
    elif "f" in opts:
        io.write(1, "UID        PID  PPID  C STIME TTY          TIME CMD\n")
        start = time.strftime("%H:%M", time.gmtime(ctx.host.kernel.clock - u.uptime))
        for p in procs:
            ppid = 0 if p.pid == 1 else 2 if p.cmd.startswith("[") and p.pid != 2 else 1
            io.write(1, f"{p.user:<8} {p.pid:>5} {ppid:>5}  0 {start} {p.tty:<12} 00:00:00 {p.cmd}\n")
    elif procs is u.procs:
        io.write(1, "  PID TTY      STAT   TIME COMMAND\n")
        for p in procs:
            io.write(1, f"{p.pid:>5} {p.tty:<8} {p.stat:<6} 0:00 {p.cmd}\n")
    else:
        io.write(1, "  PID TTY          TIME CMD\n")
        for p in procs:
            io.write(1, f"{p.pid:>5} {p.tty:<8} 00:00:00 {p.cmd.split()[0].rsplit('/', 1)[-1]}\n")
    return 0


# -- passwords --------------------------------------------------------------------------------


def _users(ctx: Ctx) -> list[str]:
    text = _ct(ctx).read("/etc/passwd")
    return [line.split(":")[0] for line in (text or "root:x:0:0:root:/root:/bin/bash\n").splitlines() if line]


def _crypt(ctx: Ctx, user: str, password: str) -> str:
    """A SHA-512 crypt-style entry (``$6$salt$hash``), deterministic for the node's seed:
    what the simulated CT stores; nothing ever checks it."""
    salt = hashlib.sha256(f"{ctx.host.settings.seed}\0{ctx.veid}\0{user}".encode()).hexdigest()[:8]
    digest = hashlib.sha512(f"{salt}{password}".encode()).digest()
    return f"$6${salt}${base64.b64encode(digest).decode().rstrip('=').replace('+', '.')}"


def _set_passwords(ctx: Ctx, io: Io, pairs: list[tuple[str, str]], who: str) -> int:
    day = ctx.host.kernel.clock // 86400
    lines = (_ct(ctx).read("/etc/shadow") or "").splitlines()
    for user, password in pairs:
        entry = f"{user}:{_crypt(ctx, user, password)}:{day}:0:99999:7:::"
        idx = next((i for i, line in enumerate(lines) if line.split(":")[0] == user), None)
        if idx is None:
            lines.append(entry)
        else:
            lines[idx] = entry
    return _write(ctx, io, "/etc/shadow", ("\n".join(lines) + "\n").encode(), who=who)


def chpasswd(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """shadow-utils 4.1 ``chpasswd``: ``user:password`` lines on stdin; an unknown user
    or a bad line fails the whole batch, nothing changed."""
    users = _users(ctx)
    pairs = []
    for n, line in enumerate(io.stdin.decode("utf-8", "surrogateescape").splitlines(), 1):
        user, colon, password = line.partition(":")
        if not colon:
            io.write(2, f"chpasswd: line {n}: missing new password\n")
            io.write(2, "chpasswd: error detected, changes ignored\n")
            return 1
        if user not in users:
            io.write(2, f"chpasswd: line {n}: user '{user}' does not exist\n")
            io.write(2, "chpasswd: error detected, changes ignored\n")
            return 1
        pairs.append((user, password))
    return _set_passwords(ctx, io, pairs, "chpasswd")


def passwd(ctx: Ctx, io: Io, argv: list[str]) -> int:
    """Red Hat's ``passwd --stdin [USER]``: the new password on stdin. Without
    ``--stdin`` it would prompt on a terminal, and exec has none."""
    args = [a for a in argv[1:] if a != "--stdin"]
    user = args[0] if args else "root"
    if user not in _users(ctx):
        io.write(2, f"passwd: Unknown user name '{user}'.\n")
        return 1
    if "--stdin" not in argv:
        io.write(1, f"Changing password for user {user}.\n")
        io.write(2, "passwd: Authentication token manipulation error\n")
        return 1
    password = io.stdin.decode("utf-8", "surrogateescape").split("\n")[0]
    io.write(1, f"Changing password for user {user}.\n")
    code = _set_passwords(ctx, io, [(user, password)], "passwd")
    if code == 0:
        io.write(1, "passwd: all authentication tokens updated successfully.\n")
    return code
