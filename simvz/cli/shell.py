"""The shell inside a running container, for ``vzctl exec``/``exec2``/``runscript``.

``vzctl exec CT ARGS`` runs ``bash -c "ARGS "`` inside the CT with vzctl's own stdin
(``vzctl src/vzctl-actions.c:exec``, ``src/lib/exec.c:vps_exec``); this module is that
bash: the language of :mod:`simvz.cli.shparse` (pipes, ``;``, ``&&``, ``||``,
redirections, variables and ``$?``, quoting, stdin) and the commands management and
monitoring tools run inside (:data:`BUILTINS`; text tools in :mod:`simvz.cli.shtools`,
system tools in :mod:`simvz.cli.shsys`). Why simulated rather than a real shell: see
README.md, "Inside a container".

Paths are resolved inside the CT's private area as chroot would: ``..`` and symlinks,
absolute ones included, never leave it (``Storage.chroot``, simvz/confine.py); its
``/proc`` is the kernel's view from inside (:mod:`simvz.formats.procct`). Anything else
answers ``bash: CMD: command not found`` (127), as a minimal CT would.
"""

from __future__ import annotations

import math
import os
import re

from simvz.cli import shparse, shproc
from simvz.cli.shio import Builtin, Io, Shell, _ct, _kb, _write, read_file
from simvz.confine import PathLoop
from simvz.formats import iproute
from simvz.model import quota as Q
from simvz.model.ctx import Ctx
from simvz.results import Console


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def run(ctx: Ctx, con: Console, script: str, stdin: bytes) -> int:
    """Run ``script`` as ``bash -c`` would; return its status."""
    con.keep_state = True
    sh = Shell(ctx)
    try:
        lists = shparse.parse(script)
    except shparse.ShellSyntaxError as err:
        con.write(2, f"bash: -c: line 0: {err}\n")
        return 2
    sh.stdin = stdin
    try:
        for andor in lists:
            _run_andor(sh, con, andor)
    except _Exit as ex:
        return ex.code
    return sh.status


def _run_andor(sh: Shell, con: Console, andor: shparse.AndOr) -> None:
    for connector, pipeline in andor:
        if (connector == "&&" and sh.status != 0) or (connector == "||" and sh.status == 0):
            continue
        sh.status = _run_pipeline(sh, con, pipeline)


def _run_pipeline(sh: Shell, con: Console, pipeline: shparse.Pipeline) -> int:
    """Each command's stdout is the next one's stdin; the last one's goes out. The
    shell's own stdin (vzctl's) goes to the first command that reads it."""
    data = sh.stdin
    code = 0
    argvs = [[f for w in c.words for f in sh.expand(w)] for c in pipeline]
    sh.pipeline = [" ".join(a) for a in argvs if a]
    for i, (cmd, argv) in enumerate(zip(pipeline, argvs, strict=True)):
        last = i == len(pipeline) - 1
        io = Io(given=data, shell=sh)
        code = _run_command(sh, io, cmd, argv)
        if i == 0 and io.read:
            sh.stdin = b""
        out = bytearray()
        for fd, chunk in io.chunks:
            if fd == 1 and not last:
                out += chunk
            else:
                con.chunks.append((fd, chunk))
        data = bytes(out)
    return code


def _run_command(sh: Shell, io: Io, cmd: shparse.Command, argv: list[str]) -> int:
    """Assignments, redirections, then the command itself."""
    while argv and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
        name, _, value = argv.pop(0).partition("=")
        if not argv:
            sh.vars[name] = value
    redirs = [(op, " ".join(sh.expand(t)) if t else "") for op, t in cmd.redirs]
    inner = Io(given=io.given, shell=sh)
    for op, target in redirs:
        if op == "<":
            data = _read_in(sh.ctx, inner, target)
            if data is None:
                io.chunks.extend(inner.chunks)
                return 1
            inner.given = data
    code = _exec(sh, inner, argv) if argv else 0
    io.read = inner.read and not any(op == "<" for op, _ in redirs)
    return _route(sh, io, inner, redirs) or code


def _exec(sh: Shell, io: Io, argv: list[str]) -> int:
    fn = BUILTINS.get(argv[0])
    if fn is None:
        io.write(2, f"bash: {argv[0]}: command not found\n")
        return 127
    try:
        return fn(sh.ctx, io, argv)
    except PathLoop as err:
        io.write(2, f"{argv[0]}: {err.path}: Too many levels of symbolic links\n")
        return 1


def _route(sh: Shell, io: Io, inner: Io, redirs: list[tuple[str, str]]) -> int:
    """Send the command's output where its redirections say, processed left to right
    as bash does (``2>&1 >f`` leaves stderr on the old stdout)."""
    dest: dict[int, tuple[str, str]] = {1: ("fd", "1"), 2: ("fd", "2")}
    files: dict[str, bytearray] = {}
    appends: dict[str, bool] = {}
    for op, target in redirs:
        if op == "<":
            continue
        if op in ("2>&1",):
            dest[2] = dest[1]
        elif op in (">&2", "1>&2"):
            dest[1] = dest[2]
        else:
            fds = (1, 2) if op == "&>" else (2,) if op.startswith("2") else (1,)
            for fd in fds:
                dest[fd] = ("file", target)
            files.setdefault(target, bytearray())
            appends[target] = op.endswith(">>")
    for fd, chunk in inner.chunks:
        kind, where = dest.get(fd, ("fd", str(fd)))
        if kind == "fd":
            io.chunks.append((int(where), chunk))
        else:
            files[where] += chunk
    code = 0
    for path, data in files.items():
        if path == "/dev/null":
            continue
        code = _write(sh.ctx, io, path, bytes(data), append=appends[path]) or code
    return code


def _read_in(ctx: Ctx, io: Io, path: str) -> bytes | None:
    """The contents of ``< path``; None (and bash's message) when it cannot be read."""
    data, err = read_file(ctx, path)
    if data is None:
        io.write(2, f"bash: {path}: {err}\n")
    return data


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


def _cat(ctx: Ctx, con: Io, argv: list[str]) -> int:
    code = 0
    names = [a for a in argv[1:] if a != "-n"] or ["-"]
    for name in names:
        if name == "-":
            con.chunks.append((1, con.stdin))
            continue
        data, err = read_file(ctx, name, con.shell.pipeline if con.shell else ())
        if data is None:
            con.write(2, f"cat: {name}: {err}\n")
            code = 1
        else:
            con.chunks.append((1, data))
    return code


def _ls(ctx: Ctx, con: Console, argv: list[str]) -> int:

    target = argv[1] if len(argv) > 1 else "/"
    listed = shproc.proc_list(os.path.normpath("/" + target.lstrip("/")))
    if listed is not None:
        con.write(1, "".join(n + "\n" for n in listed))
        return 0
    ct = _ct(ctx)
    if not ct.exists(target):
        con.write(2, f"ls: cannot access {target}: No such file or directory\n")
        return 2
    names = ct.listdir(target) if ct.real(target).is_dir() else [target]
    con.write(1, "".join(n + "\n" for n in names))
    return 0


def _echo(ctx: Ctx, con: Console, argv: list[str]) -> int:
    """bash's builtin echo: ``-n`` (no newline) and ``-e`` (backslash escapes)."""
    args, newline, escapes = argv[1:], True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    con.write(1, text + ("\n" if newline else ""))
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


def _ct_links(ctx: Ctx) -> list[iproute.Link]:
    """Every device inside the CT, in the order they appear: lo, venet0 with its IPs (the
    distribution scripts name them venet0:N), veth ends with their MACs, then NICs moved in."""
    net = ctx.host.kernel.net
    lo = iproute.Addr("inet", "127.0.0.1/8", "host", "lo")
    links = [iproute.Link("lo", "LOOPBACK,UP,LOWER_UP", iproute.LOOPBACK, "00:00:00:00:00:00", addrs=(lo,))]
    venet = [iproute.Addr("inet", "127.0.0.2/32", "host", "venet0")]
    for i, ip in enumerate(ctx.kct.ips):
        family, bits = ("inet6", 128) if ":" in ip else ("inet", 32)
        venet.append(iproute.Addr(family, f"{ip}/{bits}", "global", f"venet0:{i}"))
    p2p = "BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP"
    links.append(iproute.Link("venet0", p2p, iproute.VOID, "", addrs=tuple(venet)))
    up = "BROADCAST,MULTICAST,UP,LOWER_UP"
    for v in sorted((v for v in net.veths.values() if v.veid == ctx.veid), key=lambda v: v.ifname):
        links.append(iproute.Link(v.ifname, up, iproute.ETHER, v.mac.lower()))
    for nic in net.nics.values():
        if nic.owner == ctx.veid:
            links.append(iproute.Link(nic.name, up, iproute.ETHER, nic.mac.lower()))
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
    for n, link in enumerate(_ct_links(ctx), start=1):
        con.write(1, iproute.ct_link(n, link, addrs=inet))


def _exit(ctx: Ctx, con: Io, argv: list[str]) -> int:
    shell = con.shell
    code = int(argv[1]) % 256 if len(argv) > 1 and argv[1].isdigit() else shell.status if shell else 0
    raise _Exit(code)


def _export(ctx: Ctx, con: Io, argv: list[str]) -> int:
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        if eq and con.shell is not None:
            con.shell.vars[name] = value
    return 0


def _builtins() -> dict[str, Builtin]:
    from simvz.cli import shsys, shtools

    return {
        "head": shtools.head, "tail": shtools.tail, "grep": shtools.grep, "awk": shtools.awk,
        "cut": shtools.cut, "wc": shtools.wc, "test": shtools.test, "[": shtools.test,
        "uname": shsys.uname, "id": shsys.ident, "uptime": shsys.uptime_cmd, "free": shsys.free,
        "ps": shsys.ps, "passwd": shsys.passwd, "chpasswd": shsys.chpasswd, "export": _export,
    }  # fmt: skip


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
BUILTINS.update(_builtins())
