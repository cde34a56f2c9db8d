"""Render the OpenVZ kernel's /proc files (formats from the OpenVZ
kernel's ``kernel/ve/vecalls.c``, ``drivers/net/venet_core.c``, ``kernel/bc/proc.c``).

libvirt's driver reads ``/proc/vz/vestat`` directly (``openvzGetProcessInfo``), so
these files exist as real files under the host directory, rewritten after every
command that changes kernel state.
"""

from __future__ import annotations

import ipaddress

from simvz.model.kernel import Ct, Kernel

HZ = 100  # jiffies per second on RHEL5/6 OpenVZ kernels


def _venet_ip(ip: str) -> str:
    # veinfo prints IPv6 in the uncompressed %x:%x:... form, IPv4 dotted.
    addr = ipaddress.ip_address(ip.split("/")[0])
    if addr.version == 4:
        return f" {addr!s:>15}"
    groups = addr.exploded.split(":")
    return " " + f"{':'.join(format(int(g, 16), 'x') for g in groups):>39}"


def veinfo(kernel: Kernel, host_nproc: int = 120) -> str:
    """``/proc/vz/veinfo``: VE0 first, then running CTs; IPs newest first."""
    lines = [f"{0:>10} {0:>5} {host_nproc:>5}\n"]
    for veid in kernel.running():
        ct = kernel.cts[veid]
        ips = "".join(_venet_ip(ip) for ip in reversed(ct.ips))
        lines.append(f"{veid:>10} {0:>5} {ct.nproc:>5}{ips}\n")
    return "".join(lines)


def veip(kernel: Kernel) -> str:
    """``/proc/vz/veip``: one line per venet IP of every running CT."""
    lines = ["Version: 2.5\n"]
    for veid in kernel.running():
        for ip in kernel.cts[veid].ips:
            lines.append(f"{_venet_ip(ip).strip():>39} {0:>10}\n")
    return "".join(lines)


_VESTAT_COLS = (
    "VEID",
    "user",
    "nice",
    "system",
    "uptime",
    "idle",
    "strv",
    "uptime",
    "used",
    "maxlat",
    "totlat",
    "numsched",
)


def vestat(kernel: Kernel) -> str:
    """``/proc/vz/vestat``: CPU accounting of running CTs (VE0 not listed)."""
    lines = [f"{'Version: 2.2':<20}\n", "".join(f"{c:>20}" for c in _VESTAT_COLS) + "\n"]
    for veid in kernel.running():
        lines.append(_vestat_row(veid, kernel.cts[veid], kernel.clock))
    return "".join(lines)


def _vestat_row(veid: int, ct: Ct, clock: int) -> str:
    up = max(0, clock - ct.started_at) * HZ
    user, system = ct.cpu_ticks * 3 // 4, ct.cpu_ticks // 4
    cycles = up * 10_000_000
    cols = (user, 0, system, up, cycles, 0, cycles, ct.cpu_ticks * 10_000_000, 0, 0, 0)
    return f"{veid:>20}" + "".join(f"{c:>20}" for c in cols) + "\n"


def user_beancounters(kernel: Kernel, limits: dict[int, dict[str, tuple[int, int]]]) -> str:
    """``/proc/user_beancounters``: held/maxheld/barrier/limit/failcnt per running CT."""
    head = f"{'uid':>10}  {'resource':<12}" + "".join(
        f" {h:>20}" for h in ("held", "maxheld", "barrier", "limit", "failcnt")
    )
    lines = ["Version: 2.5\n", head + "\n"]
    for veid in kernel.running():
        ct = kernel.cts[veid]
        for i, (name, (barrier, limit)) in enumerate(limits.get(veid, {}).items()):
            held = ct.nproc if name == "numproc" else 0
            uid = f"{veid:>10}:" if i == 0 else " " * 11
            lines.append(
                f"{uid} {name:<12}" + "".join(f" {v:>20}" for v in (held, held, barrier, limit, 0)) + "\n"
            )
    return "".join(lines)


def vzquota(kernel: Kernel, privates: dict[int, str]) -> str:
    """``/proc/vz/vzquota``: usage and limits of every active simfs quota."""
    lines: list[str] = []
    for veid, ct in sorted(kernel.cts.items()):
        q = ct.quota
        if q is None or not q.on:
            continue
        lines.append(f"{veid}: {privates.get(veid, '')}\n")
        lines.append(f"  {'1k-blocks':<12}{q.bused:>14}{q.bsoft:>14}{q.bhard:>14}{0:>10}{q.btime:>12}\n")
        lines.append(f"  {'inodes':<12}{q.iused:>14}{q.isoft:>14}{q.ihard:>14}{0:>10}{q.itime:>12}\n")
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
