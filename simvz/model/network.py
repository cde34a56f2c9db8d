"""venet addresses and the network identity inside a container (vzctl-facts §7).

The kernel keeps one hash of the venet IPs of all *running* containers: adding an IP
already in it fails with EADDRINUSE (exit 78), whoever holds it; config files are never
cross-checked (``KV:src/lib/hooks_vz.c:vz_ip_ctl``, ``venet_core.c``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simvz import errors as E
from simvz.errors import VzError

if TYPE_CHECKING:
    from simvz.model.lifecycle import Ctx


def bare(ip: str) -> str:
    """The address without its mask (the kernel never sees masks)."""
    return ip.split("/")[0]


def add_ips(ctx: Ctx, ips: list[str], starting: bool = False, quiet: bool = False) -> None:
    """Add venet IPs to a running CT, refusing one already in the kernel's hash."""
    if not ips:
        return
    if not quiet:
        ctx.log(0, "Adding IP address(es): " + " ".join(ips))
    k = ctx.kct
    for ip in ips:
        addr = bare(ip)
        if ctx.host.kernel.ip_owner(addr) is not None:
            raise VzError(E.IP_INUSE, f"Unable to add IP {addr}: Address already in use")
        k.ips.append(addr)
    del starting


def del_ips(ctx: Ctx, ips: list[str]) -> None:
    """Remove venet IPs; an address the CT does not hold is ignored (EADDRNOTAVAIL)."""
    if not ips:
        return
    ctx.log(0, "Deleting IP address(es): " + " ".join(ips))
    k = ctx.kct
    k.ips = [ip for ip in k.ips if ip not in {bare(i) for i in ips}]


def apply_inside(ctx: Ctx) -> None:
    """What the distribution scripts write inside the CT at start: hostname, DNS."""
    fs = ctx.host.fs
    priv = ctx.private
    hostname = ctx.ps.str("HOSTNAME")
    if hostname:
        fs.write(f"{priv}/etc/hostname", hostname + "\n")
    ns = [n for n in ctx.ps.list("NAMESERVER") if n != "inherit"]
    search = [s for s in ctx.ps.list("SEARCHDOMAIN") if s != "inherit"]
    if ns or search:
        lines = ([f"search {' '.join(search)}"] if search else []) + [f"nameserver {n}" for n in ns]
        fs.write(f"{priv}/etc/resolv.conf", "\n".join(lines) + "\n")
