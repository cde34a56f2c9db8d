"""The ``/proc`` of a container as the kernel shows it to a reader inside: what the
shell's ``cat``, ``ls`` and the system commands read there (:mod:`simvz.cli.shsys`),
with the numbers of the usage model (:mod:`simvz.model.usage`)."""

from __future__ import annotations

from collections.abc import Sequence

from simvz.formats import procct, procvz
from simvz.model import usage
from simvz.model.ctx import Ctx
from simvz.model.ubc import NODE_RAM_PAGES, NODE_SWAP_PAGES

_PROC_DIRS = frozenset({"/proc", "/proc/vz"})
PROC_FILES = (
    "/proc/cpuinfo", "/proc/loadavg", "/proc/meminfo", "/proc/uptime", "/proc/user_beancounters",
    "/proc/vz/veinfo", "/proc/vz/vestat",
)  # fmt: skip


def _usage(ctx: Ctx, commands: Sequence[str]) -> usage.Usage:
    return usage.session(ctx.veid, ctx.host, commands)


def is_dir(path: str) -> bool:
    """A directory of the CT's /proc."""
    return path in _PROC_DIRS


def proc_read(ctx: Ctx, path: str, commands: Sequence[str] = ()) -> str | None:
    """A file of the CT's /proc, as the kernel renders it for a reader inside; None
    for what a CT's /proc does not have (or a directory)."""
    u = _usage(ctx, commands)
    limits = usage.limits_of(ctx.host).get(ctx.veid, {})
    if path == "/proc/loadavg":
        return procct.loadavg(u)
    if path == "/proc/uptime":
        return procct.uptime(u)
    if path == "/proc/meminfo":
        return procct.meminfo(u, limits, NODE_RAM_PAGES, NODE_SWAP_PAGES)
    if path == "/proc/cpuinfo":
        return procct.cpuinfo(_cpus(ctx), ctx.host.settings.cpus)
    if path == "/proc/user_beancounters":
        # kernel/bc/proc.c:ub_accessible: a CT sees its own beancounter only
        return procvz.user_beancounters([procvz.ct_beancounter(u, limits)])
    if path == "/proc/vz/vestat":
        return procvz.vestat(ctx.host.kernel, {ctx.veid: u}, only=ctx.veid)
    if path == "/proc/vz/veinfo":
        # kernel/ve/vecalls.c:veinfo_seq_show: inside a CT, its own line
        return procvz.veinfo_line(ctx.veid, len(u.procs), ctx.kct.ips)
    return None


def proc_list(path: str) -> list[str] | None:
    """Entries of a /proc directory inside a CT."""
    if path == "/proc":
        return ["cpuinfo", "loadavg", "meminfo", "uptime", "user_beancounters", "vz"]
    if path == "/proc/vz":
        return ["veinfo", "vestat"]
    return None


def _cpus(ctx: Ctx) -> int:
    return ctx.ps.int("CPUS") or ctx.host.settings.cpus
