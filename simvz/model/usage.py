"""What a running container uses: held and maxheld of every beancounter, its processes,
its CPU time and load average, all as functions of the node's clock (docs/usage.md).

A real kernel counts these as the container's programs run; the simulated node has no
programs, so it derives them from what a container is: a fixed set of processes (the
services a minimal template starts), the size of its private area (what the page cache
and the dentry cache fill with), and how long it has been up. Every number is a pure
function of (seed, CT ID, start time, clock, the CT's limits and disk usage): the same
node at the same clock always shows the same numbers, and nothing is stored but the
failure counters fault injection raises (``Ct.failcnt``).

Relations the kernel keeps and the model keeps with it (RHEL6 OpenVZ kernel
2.6.32-042stab113.5):

- physpages held is every page charged to the CT: anonymous memory, page cache, shm;
  a vswap CT never holds more than its physpages limit (the rest is reclaimed or, for
  anonymous memory, swapped: ``kernel/bc/vm_pages.c``).
- oomguarpages held = anonymous pages + unevictable + swappages held
  (``kernel/bc/vm_pages.c:__ub_update_oomguarpages``); vmguarpages held stays 0.
- /proc/meminfo inside the CT: MemTotal is the physpages limit, MemFree the limit minus
  physpages held, SwapTotal/SwapFree from swappages (``bc_fill_sysinfo``); Slab is
  kmemsize, SReclaimable dcachesize (``bc_fill_meminfo``).
- maxheld >= held; a failure (failcnt > 0) means held reached the barrier or limit at
  that moment, so maxheld is then at least that.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simvz.model.kernel import Ct
from simvz.syntax.values import LONG_MAX

if TYPE_CHECKING:
    from simvz.model.node import Node

HZ = 100  # jiffies per second
PAGE_KB = 4
WARM_UP = 600  # seconds for the page and dentry caches of a fresh CT to fill

Pair = tuple[int, int]


@dataclass(frozen=True)
class Proc:
    """One process inside a container as ``ps`` shows it."""

    pid: int
    user: str
    rss: int  # resident pages
    vsz: int  # virtual pages
    fds: int
    cmd: str
    tty: str = "?"
    stat: str = "Ss"


# The services of a minimal CentOS 6 template once init has run its rc scripts: what
# a real CT shows in `ps ax` (kthreadd/khelper are the per-VE kernel threads of
# kernel/ve/vecalls.c). Pages: resident and virtual size of each, open descriptors.
_PROCS = (
    ("root", 170, 4_900, 9, "init [3]", "Ss"),
    ("root", 0, 0, 0, "[kthreadd/{veid}]", "S"),
    ("root", 0, 0, 0, "[khelper/{veid}]", "S"),
    ("root", 190, 2_700, 8, "/sbin/udevd -d", "S<sl"),
    ("root", 420, 62_000, 12, "/sbin/rsyslogd -i /var/run/syslogd.pid -c 5", "Sl"),
    ("root", 310, 16_500, 9, "/usr/sbin/sshd", "Ss"),
    ("root", 140, 5_300, 7, "xinetd -stayalive -pidfile /var/run/xinetd.pid", "Ss"),
    ("root", 610, 16_900, 11, "sendmail: accepting connections", "Ss"),
    ("smmsp", 520, 15_700, 8, "sendmail: Queue runner@01:00:00 for /var/spool/clientmqueue", "Ss"),
    ("root", 180, 16_200, 6, "/usr/sbin/saslauthd -m /var/run/saslauthd -a pam -n 2", "Ss"),
    ("root", 60, 16_200, 5, "/usr/sbin/saslauthd -m /var/run/saslauthd -a pam -n 2", "S"),
    ("root", 280, 29_400, 6, "crond", "Ss"),
)  # fmt: skip
NPROC = len(_PROCS)
_TCP_SOCKS = 4  # sshd (IPv4, IPv6), sendmail, xinetd listening
_OTHER_SOCKS = 11  # unix sockets: /dev/log, saslauthd, udev's netlink, ...


def _frac(seed: int, veid: int, what: str) -> float:
    """A number in [0, 1) fixed by the node's seed, the CT and ``what``."""
    digest = hashlib.sha256(f"{seed}\0{veid}\0{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class Usage:
    """Everything the kernel would report about one running CT at one moment."""

    veid: int
    uptime: int  # seconds
    procs: list[Proc]
    held: dict[str, int] = field(default_factory=dict)
    maxheld: dict[str, int] = field(default_factory=dict)
    failcnt: dict[str, int] = field(default_factory=dict)
    user: int = 0  # jiffies
    nice: int = 0
    system: int = 0
    used_ns: int = 0
    idle_ns: int = 0
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    running: int = 1
    last_pid: int = 0
    anon: int = 0  # pages, for /proc/meminfo
    cache: int = 0


@dataclass(frozen=True)
class Inputs:
    """What a CT's usage depends on besides the clock."""

    seed: int
    limits: Mapping[str, Pair]  # barrier:limit by the kernel's lower-case name
    disk_kb: int  # blocks used in its private area
    disk_inodes: int
    cpus: int  # CPUs the CT sees (--cpus, else the node's)


def procs_of(seed: int, veid: int, count: int) -> list[Proc]:
    """The CT's processes, pids increasing from 1 with gaps fixed by the seed."""
    out: list[Proc] = []
    pid = 1
    worker = ("apache", 900, 47_000, 14, "/usr/sbin/httpd", "S")  # more than a minimal CT runs
    table = _PROCS[:count] + (worker,) * max(0, count - NPROC)
    for i, (user, rss, vsz, fds, cmd, stat) in enumerate(table):
        if i:
            pid += 1 + int(_frac(seed, veid, f"pid{i}") * 40)
        scale = 1 + 0.3 * _frac(seed, veid, f"rss{i}") if rss else 1
        out.append(Proc(pid, user, int(rss * scale), vsz, fds, cmd.format(veid=veid), stat=stat))
    return out


def usage(veid: int, ct: Ct, clock: int, inp: Inputs, extra: Sequence[Proc] = ()) -> Usage:
    """The CT's usage at ``clock`` (it must be running); ``extra`` are processes of an
    ``exec`` session running in it at that moment."""
    up = max(0, clock - ct.started_at)
    procs = procs_of(inp.seed, veid, ct.nproc) + list(extra)
    u = Usage(veid, up, procs, last_pid=procs[-1].pid if procs else 0)
    demand = _demand(veid, u, inp)
    _settle(u, demand, inp.limits, dict(ct.failcnt))
    _cpu(u, veid, inp)
    return u


def _demand(veid: int, u: Usage, inp: Inputs) -> dict[str, int]:
    """What the CT's programs would hold with no limit in the way."""
    warm = min(1.0, u.uptime / WARM_UP)
    f = _frac(inp.seed, veid, "cache")
    anon = sum(p.rss for p in u.procs)
    cache = int(inp.disk_kb / PAGE_KB * (0.02 + 0.06 * warm) * (0.8 + 0.4 * f))
    dentries = int(min(inp.disk_inodes, 400 + inp.disk_inodes * 0.15 * warm))
    numfile = sum(p.fds for p in u.procs)
    dcache = dentries * 640  # a dentry and its inode, bytes
    return {
        "kmemsize": len(u.procs) * 163_840 + numfile * 512 + dcache,
        "privvmpages": sum(p.vsz for p in u.procs),
        "numproc": len(u.procs),
        "physpages": anon + cache,
        "anon": anon,
        "numtcpsock": _TCP_SOCKS if u.procs else 0,
        "numflock": len(u.procs) // 3,
        "othersockbuf": _OTHER_SOCKS * 2_304 if u.procs else 0,
        "numothersock": _OTHER_SOCKS if u.procs else 0,
        "dcachesize": dcache,
        "numfile": numfile,
    }


# Resources whose allocation fails at the barrier (the rest at the limit); physpages
# and swappages never fail: the CT's memory is reclaimed or swapped instead
# (kernel/bc/beancounter.c:__charge_beancounter_locked, strict vs. soft charges).
_AT_BARRIER = frozenset({"kmemsize", "privvmpages", "numtcpsock", "numothersock", "dcachesize", "numfile"})
_NEVER_FAIL = frozenset({"physpages", "swappages", "oomguarpages", "vmguarpages"})


def _settle(u: Usage, demand: dict[str, int], limits: Mapping[str, Pair], raised: dict[str, int]) -> None:
    """Held, maxheld and failcnt from the demand and the limits."""
    anon = demand.pop("anon")
    phys_lim = limits.get("physpages", (LONG_MAX, LONG_MAX))[1]
    swap_lim = limits.get("swappages", (LONG_MAX, LONG_MAX))[1]
    cache = demand["physpages"] - anon
    resident_anon = min(anon, phys_lim)
    swapped = min(anon - resident_anon, swap_lim)
    u.anon, u.cache = resident_anon, max(0, min(cache, phys_lim - resident_anon))
    demand["physpages"] = u.anon + u.cache
    demand["swappages"] = swapped
    demand["oomguarpages"] = resident_anon + swapped
    uptime_min = 1 + u.uptime // 60
    for name, want in demand.items():
        barrier, limit = limits.get(name, (LONG_MAX, LONG_MAX))
        cap = barrier if name in _AT_BARRIER else limit
        held, fails = want, raised.get(name, 0)
        if want > cap and name not in _NEVER_FAIL:
            held, fails = cap, fails + uptime_min  # refused again every minute
        peak = held if name in ("numproc", "numtcpsock", "numothersock") else int(held * 1.15)
        if name == "numproc" and held:
            peak += 3  # the rc scripts' shells during boot
        top = max(min(peak, limit), cap if fails and cap < LONG_MAX else 0)
        u.held[name], u.maxheld[name] = held, max(held, top)
        if fails:
            u.failcnt[name] = fails
    for name, count in raised.items():
        if name not in u.held:
            barrier, limit = limits.get(name, (LONG_MAX, LONG_MAX))
            u.held[name], u.failcnt[name] = 0, count
            u.maxheld[name] = barrier if barrier < LONG_MAX else 0


def _cpu(u: Usage, veid: int, inp: Inputs) -> None:
    """CPU time: up to 1.5 s of booting (half of its first seconds), then a steady
    small share of one CPU (0.2% to 1%): never more than its uptime on its CPUs. The
    load average of such a CT decays from the boot burst to a few hundredths."""
    share = 0.002 + 0.008 * _frac(inp.seed, veid, "cpu")
    boot = min(150, u.uptime * HZ // 2) if u.procs else 0
    ticks = boot + int(u.uptime * HZ * share)
    u.user, u.nice, u.system = ticks * 6 // 10, ticks // 20, ticks - ticks * 6 // 10 - ticks // 20
    u.used_ns = ticks * (10**9 // HZ)
    u.idle_ns = max(0, u.uptime * 10**9 * max(1, inp.cpus) - u.used_ns)
    # exponentially damped running count (kernel/sched.c:calc_load), with the boot burst
    burst = 0.3 + 0.7 * _frac(inp.seed, veid, "burst")
    base = share * 2
    one, five, fifteen = (base + burst * math.exp(-u.uptime / period) for period in (60, 300, 900))
    u.loadavg = (one, five, fifteen)


def inputs(host: Node, veid: int, limits: Mapping[str, Pair]) -> Inputs:
    """A running CT's inputs as the node has them: disk usage from its quota (the
    template's declared size before a quota exists), CPUs from ``CPUS`` (``--cpus``)."""
    from simvz.model import container

    ps = container.effective(host, veid)
    settings = host.settings
    q = host.kernel.peek(veid).quota
    if q is not None:
        disk_kb, disk_inodes = q.bused, q.iused
    else:
        t = settings.templates.get(ps.str("OSTEMPLATE") or "")
        disk_kb, disk_inodes = (t.kb, t.inodes) if t else (0, 0)
    cpus = ps.int("CPUS") or settings.cpus
    return Inputs(settings.seed, limits, disk_kb, disk_inodes, min(cpus, settings.cpus))


def limits_of(host: Node) -> dict[int, dict[str, Pair]]:
    """Every running CT's beancounter limits, kernel defaults included."""
    from simvz.model import container, ubc

    return {v: ubc.beancounter_limits(g) for v, g in container.ubc_limits(host).items()}


def of_node(host: Node) -> dict[int, Usage]:
    """The usage of every running CT, by ID."""
    k = host.kernel
    return {
        veid: usage(veid, k.cts[veid], k.clock, inputs(host, veid, lim))
        for veid, lim in limits_of(host).items()
    }


def session(veid: int, host: Node, commands: Sequence[str]) -> Usage:
    """A running CT's usage seen from inside ``vzctl exec``: its shell and the commands
    of the pipeline being run are processes too."""
    k = host.kernel
    base = procs_of(host.settings.seed, veid, k.cts[veid].nproc)
    pid = (base[-1].pid if base else 0) + 1 + int(_frac(host.settings.seed, veid, f"exec{k.clock}") * 20)
    extra = [Proc(pid, "root", 380, 27_000, 4, "/bin/bash", stat="Ss")]
    extra += [Proc(pid + 1 + i, "root", 250, 27_600, 3, cmd, stat="R+") for i, cmd in enumerate(commands)]
    lim = limits_of(host).get(veid, {})
    return usage(veid, k.cts[veid], k.clock, inputs(host, veid, lim), extra)


FSHIFT = 11
FIXED_1 = 1 << FSHIFT


def load_digits(u: Usage) -> tuple[tuple[int, int], ...]:
    """The load average as the kernel hands it out: ``avenrun`` in fixed point, plus
    ``FIXED_1/200`` for rounding, split by ``LOAD_INT``/``LOAD_FRAC`` into the integer
    part and hundredths (``fs/proc/loadavg.c:loadavg_proc_show``; the same numbers reach
    vzlist through the VZCTL_GET_CPU_STAT ioctl)."""
    out = []
    for x in u.loadavg:
        fixed = int(x * FIXED_1) + FIXED_1 // 200
        out.append((fixed >> FSHIFT, ((fixed & (FIXED_1 - 1)) * 100) >> FSHIFT))
    return tuple(out)
