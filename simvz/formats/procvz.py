"""Render the OpenVZ kernel's /proc files as a 2.6.32 042stab (RHEL6 OpenVZ, x86_64)
kernel writes them. Every format below is the kernel's own, cited by file and function
of that kernel's source (2.6.32-042stab113.5, as mirrored in the GitHub repository
``seyko2/openvz_rhel6_kernel_mirror``): numbers print
with ``%lu``/``%u`` in the widths given there, BITS_PER_LONG == 64.

libvirt's driver reads ``/proc/vz/vestat`` directly (``openvzGetProcessInfo``), vzlist
reads ``/proc/bc/resources`` (or ``/proc/user_beancounters``), ``/proc/vz/veinfo`` and
``/proc/vz/vzquota``, so these files exist as real files under the host directory,
rewritten after every command that changes kernel state. This module only renders;
the limits come from :mod:`simvz.model.ubc`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from simvz.model.kernel import Kernel
from simvz.model.ubc import UB_RESOURCES_COMPAT, UB_RNAMES, Pair, beancounter_limits
from simvz.model.usage import Usage

HZ = 100  # jiffies per second the node's CPU accounting is kept in
HOST_NPROC = 120  # processes of the host itself (VE0)

# kernel/bc/proc.c: head_fmt, res_fmt ("%10s  %-12s %20s ..." for 64-bit longs)
_UB_WIDTHS = (20, 20, 20, 20, 20)


def _venet_ip(ip: str) -> str:
    """``drivers/net/venetdev.c:veaddr_seq_print``: `` %15s`` per IPv4, `` %39s`` per
    IPv6 address (``veaddr_print``: IPv6 as eight ``%x`` groups, uncompressed)."""
    addr = ipaddress.ip_address(ip.split("/")[0])
    if addr.version == 4:
        return f" {addr!s:>15}"
    return f" {_ipv6_text(ip):>39}"


def _ipv6_text(ip: str) -> str:
    addr = ipaddress.ip_address(ip.split("/")[0])
    return ":".join(format(int(g, 16), "x") for g in addr.exploded.split(":"))


def _ip_text(ip: str) -> str:
    addr = ipaddress.ip_address(ip.split("/")[0])
    return str(addr) if addr.version == 4 else _ipv6_text(ip)


def veinfo(kernel: Kernel, host_nproc: int = HOST_NPROC) -> str:
    """``/proc/vz/veinfo`` (``kernel/ve/vecalls.c:veinfo_seq_show``): ``%10u %5u %5u``
    (VE ID, class, process count) and the venet addresses; VE0 first, then running CTs."""
    lines = [f"{0:>10} {0:>5} {host_nproc:>5}\n"]
    for veid in kernel.running():
        ct = kernel.cts[veid]
        lines.append(veinfo_line(veid, ct.nproc, ct.ips))
    return "".join(lines)


def veinfo_line(veid: int, nproc: int, ips: list[str]) -> str:
    """One VE's line of ``/proc/vz/veinfo``; inside a CT, the only one."""
    return f"{veid:>10} {0:>5} {nproc:>5}" + "".join(_venet_ip(ip) for ip in reversed(ips)) + "\n"


def veip(kernel: Kernel) -> str:
    """``/proc/vz/veip`` (``drivers/net/venetdev.c:veip_seq_show``): ``Version: 2.5``,
    then ``%39s %10u`` per venet address; the second column is the address's target
    VE, 0 for an address a CT owns itself."""
    lines = ["Version: 2.5\n"]
    for veid in kernel.running():
        for ip in kernel.cts[veid].ips:
            lines.append(f"{_ip_text(ip):>39} {0:>10}\n")
    return "".join(lines)


# kernel/ve/vecalls.c: VESTAT_LINE_WIDTH (12 * 21), VESTAT_HEAD_FMT, VESTAT_LINE_FMT
VESTAT_LINE_WIDTH = 12 * 21
_VESTAT_COLS = (
    "VEID", "user", "nice", "system", "uptime", "idle",
    "strv", "uptime", "used", "maxlat", "totlat", "numsched",
)  # fmt: skip


def vestat(kernel: Kernel, usages: Mapping[int, Usage], only: int | None = None) -> str:
    """``/proc/vz/vestat`` (``kernel/ve/vecalls.c:vestat_seq_show``): the version padded
    to ``VESTAT_LINE_WIDTH - 1``, the column heads, one line per running CT (VE0 has
    none); inside a CT (``only``) just its own line (``ve_seq_start``). Columns are
    ``%20`` wide, separated by one space: 251 characters a line. user, nice, system and
    uptime are jiffies; idle, uptime cycles and used are nanoseconds (``USED``/``IDLE``
    of ``fairsched_get_cpu_stat``)."""
    lines = [f"{'Version: 2.2':<{VESTAT_LINE_WIDTH - 1}}\n"]
    lines.append(" ".join(f"{c:>20}" for c in _VESTAT_COLS) + "\n")
    for veid in kernel.running():
        if veid in usages and only in (None, veid):
            lines.append(_vestat_row(usages[veid]))
    return "".join(lines)


def _vestat_row(u: Usage) -> str:
    up = u.uptime * HZ
    uptime_ns = u.uptime * 10**9  # ve_get_uptime
    cols = (u.veid, u.user, u.nice, u.system, up, u.idle_ns, 0, uptime_ns, u.used_ns, 0, 0, 0)
    return " ".join(f"{c:>20}" for c in cols) + "\n"


# -- beancounters ------------------------------------------------------------------------


def _ub_header() -> str:
    """``kernel/bc/proc.c:ub_show_header``."""
    heads = ("held", "maxheld", "barrier", "limit", "failcnt")
    return "Version: 2.5\n" + f"{'uid':>10}  {'resource':<12}" + "".join(f" {h:>20}" for h in heads) + "\n"


def _ub_row(uid: str, name: str, values: tuple[int, int, int, int, int]) -> str:
    """``kernel/bc/proc.c:ub_show_res`` / ``ub_show_dummy``: res_fmt."""
    cols = "".join(f" {v:>{w}}" for v, w in zip(values, _UB_WIDTHS, strict=True))
    return f"{uid:>10}  {name:<12}{cols}\n"


class Beancounter:
    """One beancounter as the kernel keeps it: limits and held values by resource."""

    def __init__(
        self,
        uid: int,
        limits: Mapping[str, Pair],
        held: Mapping[str, int],
        maxheld: Mapping[str, int] | None = None,
        failcnt: Mapping[str, int] | None = None,
    ) -> None:
        self.uid = uid
        self.limits = limits
        self.held = held
        self.maxheld = maxheld or {}
        self.failcnt = failcnt or {}

    def values(self, name: str) -> tuple[int, int, int, int, int]:
        """held, maxheld, barrier, limit, failcnt of one resource."""
        held = self.held.get(name, 0)
        barrier, limit = self.limits[name]
        return held, max(held, self.maxheld.get(name, 0)), barrier, limit, self.failcnt.get(name, 0)

    def compat_rows(self) -> str:
        """``kernel/bc/proc.c:ub_show``: the first UB_RESOURCES_COMPAT resources, the
        ``dummy`` ones with held and maxheld 0; the uid on the first row only."""
        out = []
        for i, name in enumerate(UB_RNAMES[:UB_RESOURCES_COMPAT]):
            uid = f"{self.uid}:" if i == 0 else ""
            held, maxheld, barrier, limit, fail = self.values(name)
            if name == "dummy":
                held = maxheld = 0
            out.append(_ub_row(uid, name, (held, maxheld, barrier, limit, fail)))
        return "".join(out)

    def resource_rows(self, show_uid: bool) -> str:
        """``kernel/bc/proc.c:__show_resources``: the compat resources without the
        dummies, then the newer ones (swappages)."""
        names = [n for n in UB_RNAMES[:UB_RESOURCES_COMPAT] if n != "dummy"]
        names += list(UB_RNAMES[UB_RESOURCES_COMPAT:])
        out = []
        for i, name in enumerate(names):
            uid = f"{self.uid}:" if show_uid and i == 0 else ""
            out.append(_ub_row(uid, name, self.values(name)))
        return "".join(out)


def beancounters(
    kernel: Kernel,
    given: Mapping[int, Mapping[str, Pair]],
    totalram: int,
    usages: Mapping[int, Usage] | None = None,
    host_nproc: int = HOST_NPROC,
) -> list[Beancounter]:
    """Every top beancounter in the kernel's list order: ``get_beancounter_byuid`` adds
    a new one at the head (``list_add_rcu``) and the host's, created at boot, is last
    (``kernel/bc/beancounter.c``). A stopped CT's beancounter is gone. Held values come
    from the usage model (:mod:`simvz.model.usage`)."""
    started = sorted(kernel.running(), key=lambda v: (kernel.cts[v].started_at, v), reverse=True)
    out = []
    for veid in started:
        limits = beancounter_limits(given.get(veid, {}), totalram)
        u = (usages or {}).get(veid)
        if u is None:
            out.append(Beancounter(veid, limits, {"numproc": kernel.cts[veid].nproc}))
        else:
            out.append(ct_beancounter(u, limits))
    out.append(Beancounter(0, beancounter_limits({}, totalram), {"numproc": host_nproc}))
    return out


def ct_beancounter(u: Usage, limits: Mapping[str, Pair]) -> Beancounter:
    """A running CT's beancounter from its usage."""
    return Beancounter(u.veid, limits, u.held, u.maxheld, u.failcnt)


def user_beancounters(bcs: list[Beancounter]) -> str:
    """``/proc/user_beancounters`` (``kernel/bc/proc.c:ub_seq_ops``)."""
    return _ub_header() + "".join(bc.compat_rows() for bc in bcs)


def bc_resources(bcs: list[Beancounter]) -> str:
    """``/proc/bc/resources`` (``kernel/bc/proc.c:res_seq_ops``: the same header, then
    ``res_show`` per beancounter, with swappages)."""
    return _ub_header() + "".join(bc.resource_rows(True) for bc in bcs)


def bc_id_resources(bc: Beancounter) -> str:
    """``/proc/bc/<id>/resources`` (``kernel/bc/proc.c:bc_resources_show``): no header,
    no uid."""
    return bc.resource_rows(False)


# -- quota -------------------------------------------------------------------------------


def vzquota(kernel: Kernel, privates: dict[int, str]) -> str:
    """``/proc/vz/vzquota`` (``fs/quota/vzdquota/vzdq_mgmt.c:vzquota_read_proc``): the
    header (``print_proc_header``), then per active quota ``%u: %s`` (id and the
    quota root, ``print_proc_master_id``) and two ``%11s%15Lu%15Lu%15Lu%11u%11u``
    lines: usage, soft and hard limit, the time the grace period ends, the grace
    period (``print_proc_stat``)."""
    lines = [f"{'qid: path':<11}{'usage':>15}{'softlimit':>15}{'hardlimit':>15}{'time':>11}{'expire':>11}\n"]
    for veid, ct in sorted(kernel.cts.items()):
        q = ct.quota
        if q is None or not q.on:
            continue
        lines.append(f"{veid}: {privates.get(veid, '')}\n")
        lines.append(f"{'1k-blocks':>11}{q.bused:>15}{q.bsoft:>15}{q.bhard:>15}{q.btime:>11}{q.grace:>11}\n")
        lines.append(f"{'inodes':>11}{q.iused:>15}{q.isoft:>15}{q.ihard:>15}{q.itime:>11}{q.grace:>11}\n")
    return "".join(lines)


def veth(kernel: Kernel) -> str:
    """``/proc/vz/veth``: one line per veth pair of a running CT, as the vzethdev module
    prints it: host MAC, host name, CT MAC, CT name, CT ID."""
    lines = []
    for v in sorted(kernel.net.veths.values(), key=lambda v: (v.veid, v.host_ifname)):
        lines.append(
            f"{v.host_mac.lower()} {v.host_ifname:>10} {v.mac.lower()} {v.ifname:>10} {v.veid:>10}\n"
        )
    return "".join(lines)
