"""A small shell inside a running container, for ``vzctl exec``/``exec2``/``runscript``.

Enough for what the 2008 thread and a driver test look at: ``df``, ``df -i``,
``hostname``, ``cat``, ``ls``, ``echo``, writes that consume disk quota (``echo ... >
FILE``, ``dd if=/dev/zero of=FILE bs=1K count=N``), ``rm``, ``true``/``false``/``exit N``.
Paths are resolved inside the CT's private area as chroot would: ``..`` and symlinks,
absolute ones included, never leave it (``Storage.chroot``, simvz/confine.py).
Anything else answers ``bash: CMD: command not found`` (127), as a minimal CT would.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from collections.abc import Callable

from simvz.cli.output import Console
from simvz.confine import PathLoop
from simvz.model import quota as Q
from simvz.model.lifecycle import Ctx
from simvz.storage import Storage

Builtin = Callable[[Ctx, Console, list[str]], int]


def run(ctx: Ctx, con: Console, script: str, stdin: bytes) -> int:
    """Run ``script`` (lines, ``;`` and ``&&`` separated); return the last status."""
    con.keep_state = True
    code = 0
    for line in script.splitlines():
        for chain in re.split(r";", line):
            code = _run_chain(ctx, con, chain)
            if code == -1:
                return 0
    del stdin
    return code


def _run_chain(ctx: Ctx, con: Console, chain: str) -> int:
    code = 0
    for part in chain.split("&&"):
        if not part.strip() or part.strip().startswith("#"):
            continue
        code = _run_one(ctx, con, part)
        if code != 0:
            break
    return code


def _run_one(ctx: Ctx, con: Console, text: str) -> int:
    try:
        words = shlex.split(text)
    except ValueError:
        con.write(2, "bash: syntax error: unexpected end of file\n")
        return 2
    redirect = None
    if len(words) >= 2 and words[-2] in (">", ">>"):
        redirect = (words[-2], words[-1])
        words = words[:-2]
    if not words:
        return 0
    fn = BUILTINS.get(words[0])
    if fn is None:
        con.write(2, f"bash: {words[0]}: command not found\n")
        return 127
    try:
        if redirect is None:
            return fn(ctx, con, words)
        sub = Console()
        code = fn(ctx, sub, words)
        con.chunks.extend(c for c in sub.chunks if c[0] == 2)
        data = b"".join(b for fd, b in sub.chunks if fd == 1)
        return _write(ctx, con, redirect[1], data, append=redirect[0] == ">>") or code
    except PathLoop as err:
        con.write(2, f"{words[0]}: {err.path}: Too many levels of symbolic links\n")
        return 1


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


def _df(ctx: Ctx, con: Console, argv: list[str]) -> int:
    """coreutils ``df`` of the era: the simfs root reports the quota's soft limits."""
    q = ctx.kct.quota
    st = Q.statfs(q) if q is not None and q.on else Q.Statfs(0, 0, 0, 0, 0, 0)
    if "-i" in argv[1:]:
        used, free = st.files - st.ifree, st.ifree
        con.write(1, f"{'Filesystem':<20}{'Inodes':>10}{'IUsed':>8}{'IFree':>8} IUse% Mounted on\n")
        con.write(1, f"{'simfs':<20}{st.files:>10}{used:>8}{free:>8} {_pct(used, free):>4} /\n")
    else:
        used, avail = st.blocks - st.bavail, st.bavail
        con.write(1, f"{'Filesystem':<20} 1K-blocks      Used Available Use% Mounted on\n")
        con.write(1, f"{'simfs':<20}{st.blocks:>10}{used:>10}{avail:>10} {_pct(used, avail):>3} /\n")
    return 0


def _pct(used: int, avail: int) -> str:
    # df rounds the percentage up (coreutils df.c)
    total = used + avail
    return "-" if total == 0 else f"{math.ceil(used * 100 / total)}%"


def _hostname(ctx: Ctx, con: Console, argv: list[str]) -> int:
    text = _ct(ctx).read("/etc/hostname")
    con.write(1, (text or "localhost\n").splitlines()[0] + "\n")
    return 0


def _cat(ctx: Ctx, con: Console, argv: list[str]) -> int:
    code = 0
    ct = _ct(ctx)
    for name in argv[1:]:
        real = ct.real(name)
        if real.is_dir():
            con.write(2, f"cat: {name}: Is a directory\n")
            code = 1
        elif not real.is_file():
            con.write(2, f"cat: {name}: No such file or directory\n")
            code = 1
        else:
            con.write(1, ct.read(name) or "")
    return code


def _ls(ctx: Ctx, con: Console, argv: list[str]) -> int:
    target = argv[1] if len(argv) > 1 else "/"
    ct = _ct(ctx)
    if not ct.exists(target):
        con.write(2, f"ls: cannot access {target}: No such file or directory\n")
        return 2
    names = ct.listdir(target) if ct.real(target).is_dir() else [target]
    con.write(1, "".join(n + "\n" for n in names))
    return 0


def _echo(ctx: Ctx, con: Console, argv: list[str]) -> int:
    con.write(1, " ".join(argv[1:]) + "\n")
    return 0


def _dd(ctx: Ctx, con: Console, argv: list[str]) -> int:
    """``dd if=/dev/zero of=FILE bs=N[K|M] count=N``."""
    opts = dict(a.split("=", 1) for a in argv[1:] if "=" in a)
    mul = {"": 1, "K": 1024, "k": 1024, "M": 1024**2, "G": 1024**3}
    m = re.match(r"^([0-9]+)([kKMG]?)$", opts.get("bs", "512"))
    if opts.get("if") != "/dev/zero" or "of" not in opts or m is None:
        con.write(2, "dd: only if=/dev/zero of=FILE bs=N count=N is simulated\n")
        return 1
    size = int(m.group(1)) * mul[m.group(2)] * int(opts.get("count", "1"))
    return _write(ctx, con, opts["of"], zeros=size, who="dd")


def _rm(ctx: Ctx, con: Console, argv: list[str]) -> int:
    """``rm FILE...``: a symlink is removed itself, never what it points to."""
    code = 0
    ct = _ct(ctx)
    for name in (a for a in argv[1:] if not a.startswith("-")):
        link = ct.real(name, follow=False)
        if not (ct.isfile(name) or link.is_symlink()):
            con.write(2, f"rm: cannot remove `{name}': No such file or directory\n")
            code = 1
            continue
        size = None if link.is_symlink() else link.stat().st_size
        ct.remove(name)
        q = ctx.kct.quota
        if q is not None and size is not None:
            Q.charge(q, -_kb(size), -1, ctx.host.kernel.clock)
    return code


def _ct_links(ctx: Ctx) -> list[tuple[str, str, str, list[str]]]:
    """(name, flags, link line, inet lines) of every device inside the CT, in the order
    they appear: lo, venet0 with its IPs (the distribution scripts name them venet0:N),
    veth ends with their MACs, then NICs moved in."""
    net = ctx.host.kernel.net
    links = [
        (
            "lo",
            "LOOPBACK,UP,LOWER_UP",
            "link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
            ["inet 127.0.0.1/8 scope host lo"],
        )
    ]
    ips = [
        f"inet{'6' if ':' in ip else ''} {ip}/{128 if ':' in ip else 32} scope global venet0:{i}"
        for i, ip in enumerate(ctx.kct.ips)
    ]
    links.append(
        (
            "venet0",
            "BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP",
            "link/void",
            ["inet 127.0.0.2/32 scope host venet0", *ips],
        )
    )
    for v in sorted((v for v in net.veths.values() if v.veid == ctx.veid), key=lambda v: v.ifname):
        links.append(
            (
                v.ifname,
                "BROADCAST,MULTICAST,UP,LOWER_UP",
                f"link/ether {v.mac.lower()} brd ff:ff:ff:ff:ff:ff",
                [],
            )
        )
    for nic in net.nics.values():
        if nic.owner == ctx.veid:
            links.append(
                (
                    nic.name,
                    "BROADCAST,MULTICAST,UP,LOWER_UP",
                    f"link/ether {nic.mac.lower()} brd ff:ff:ff:ff:ff:ff",
                    [],
                )
            )
    return links


def _ip(ctx: Ctx, con: Console, argv: list[str]) -> int:
    """``ip addr``, ``ip link`` and ``ip route`` as iproute2 prints them inside a CT."""
    obj = argv[1] if len(argv) > 1 else ""
    if obj and ("address".startswith(obj)):
        _ip_links(ctx, con, inet=True)
    elif obj and "link".startswith(obj):
        _ip_links(ctx, con, inet=False)
    elif obj and "route".startswith(obj):
        con.write(1, "default dev venet0  scope link \n" if ctx.kct.ips else "")
    else:
        con.write(2, f'Object "{obj}" is unknown, try "ip help".\n')
        return 255
    return 0


def _ip_links(ctx: Ctx, con: Console, inet: bool) -> None:
    for n, (name, flags, link, inets) in enumerate(_ct_links(ctx), start=1):
        con.write(1, f"{n}: {name}: <{flags}> mtu 1500 qdisc noqueue state UNKNOWN \n    {link}\n")
        if inet:
            con.write(1, "".join(f"    {line}\n" for line in inets))


def _exit(ctx: Ctx, con: Console, argv: list[str]) -> int:
    return int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 0


BUILTINS: dict[str, Builtin] = {
    "df": _df,
    "hostname": _hostname,
    "cat": _cat,
    "ls": _ls,
    "echo": _echo,
    "dd": _dd,
    "rm": _rm,
    "ip": _ip,
    "true": lambda c, o, a: 0,
    "false": lambda c, o, a: 1,
    "exit": _exit,
}
