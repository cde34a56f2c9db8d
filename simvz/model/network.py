"""A container's network on the node: venet IPs with their host routes and proxy-ARP
entries, veth pairs on bridges, and host NICs moved in (``KV:src/lib/net.c``, ``KV:src/lib/veth.c``).

The kernel keeps one hash of the venet IPs of all *running* containers: adding an IP
already in it fails with EADDRINUSE (exit 78), whoever holds it; config files are never
cross-checked (``KV:src/lib/hooks_vz.c:vz_ip_ctl``, ``venet_core.c``). Routes and
proxy-ARP entries are what ``vps-net_add``/``vps-net_del`` add and remove
(``KV:scripts/vps-functions.in``). Every failure raises before the kernel state is
committed, so nothing is left half-done (see ``Host.run``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simvz import errors as E
from simvz.errors import VzError
from simvz.model import netif as N
from simvz.model.hostnet import HostNet, Route, Veth

if TYPE_CHECKING:
    from simvz.model.ctx import Ctx
    from simvz.model.node import Node

VZNETCFG = "/usr/sbin/vznetcfg"
VZNET_CONF = "/etc/vz/vznet.conf"
DEFAULT_BRIDGE = "vmbr0"  # KV:bin/vznetaddbr.in


def bare(ip: str) -> str:
    """The address without its mask (the kernel never sees masks)."""
    return ip.split("/")[0]


def hwid(host: Node) -> str:
    """The MAC vzctl hashes into generated MACs: the first ``link/ether`` of ``ip a l``
    on the node (``KV:src/lib/veth.c``); a node modelled without NICs uses its setting."""
    net = host.kernel.net
    first = next((nic.mac for nic in net.nics.values() if nic.owner is None), None)
    return first or host.settings.hwid


# -- venet ---------------------------------------------------------------------------


def add_ips(ctx: Ctx, ips: list[str], quiet: bool = False) -> None:
    """Add venet IPs to a running CT, with their routes and proxy-ARP entries."""
    if ctx.ps.flag("IPV6") is not True and any(":" in ip for ip in ips):
        # KV:src/lib/net.c:vps_net_ctl/remove_ipv6_addr
        ips = [ip for ip in ips if ":" not in ip]
        ctx.log(0, "WARNING: IPv6 support is disabled")
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
    net = ctx.host.kernel.net
    for ip in ips:
        _route_add(net, bare(ip))


def _route_add(net: HostNet, ip: str) -> None:
    # vzaddrouting: skipped when "<ip> dev venet0" is already there
    if not any(r.dst == ip and r.dev == "venet0" for r in net.routes):
        net.routes.append(Route(ip, "venet0"))
    for dev in net.neighbour_devs():
        if (ip, dev) not in net.proxy_arp:
            net.proxy_arp.append((ip, dev))


def _route_del(net: HostNet, ip: str) -> None:
    net.routes = [r for r in net.routes if not (r.dst == ip and r.dev == "venet0")]
    net.proxy_arp = [(a, d) for a, d in net.proxy_arp if a != ip]


def del_ips(ctx: Ctx, ips: list[str], every: bool = False) -> None:
    """Remove venet IPs; an address the CT does not hold is ignored (EADDRNOTAVAIL)."""
    k = ctx.kct
    if every:
        ips = list(k.ips)
    if not ips and not every:
        return
    ctx.log(0, f"Deleting {'all ' if every else ''}IP address(es): " + " ".join(ips))
    gone = {bare(i) for i in ips}
    for ip in [i for i in k.ips if i in gone]:
        _route_del(ctx.host.kernel.net, ip)
    k.ips = [ip for ip in k.ips if ip not in gone]


def routes_down(ctx: Ctx) -> None:
    """``vps-net_del`` for the CT's IPs; the kernel keeps them (checkpoint dump)."""
    for ip in ctx.kct.ips:
        _route_del(ctx.host.kernel.net, ip)


def routes_up(ctx: Ctx) -> None:
    """``vps-net_add`` again for the CT's IPs (after ``chkpnt --resume``)."""
    for ip in ctx.kct.ips:
        _route_add(ctx.host.kernel.net, ip)


# -- NIC passthrough -------------------------------------------------------------------


def netdev_add(ctx: Ctx, names: list[str]) -> None:
    """Move host NICs into the CT (``VZCTL_VE_NETDEV``); one not on the host is ENODEV."""
    net = ctx.host.kernel.net
    for name in names:
        nic = net.nics.get(name)
        if nic is None or nic.owner is not None:
            raise VzError(E.NETDEV_ERROR, f"Unable to add netdev {name}: No such device")
        nic.owner = ctx.veid
        _drop_port(net, name)


def netdev_del(ctx: Ctx, names: list[str]) -> None:
    """Move NICs back to the host."""
    net = ctx.host.kernel.net
    for name in names:
        nic = net.nics.get(name)
        if nic is None or nic.owner != ctx.veid:
            raise VzError(E.NETDEV_ERROR, f"Unable to del netdev {name}: No such device")
        nic.owner = None


def _drop_port(net: HostNet, dev: str) -> None:
    for b in net.bridges.values():
        if dev in b.ports:
            b.ports.remove(dev)


# -- veth ------------------------------------------------------------------------------


def veth_add(ctx: Ctx, devs: list[N.Netif]) -> None:
    """Create veth pairs and run vznetcfg for each (``KV:src/lib/veth.c:veth_ctl``); a
    device the running CT already has is not created again, only reconfigured
    (``fill_veth_dev_name`` marks it active)."""
    if not devs:
        return
    ctx.log(0, "Configure veth devices: " + "".join(f"{d.host_ifname} " for d in devs))
    net = ctx.host.kernel.net
    for d in devs:
        mine = next((v for v in net.veths.values() if v.veid == ctx.veid and v.ifname == d.ifname), None)
        if mine is not None:
            _vznetcfg(ctx, mine.host_ifname)
            continue
        if d.host_ifname in net.host_devices() or d.host_ifname in net.veths:
            raise VzError(E.VETH_ERROR, "Unable to create veth: File exists")
        net.veths[d.host_ifname] = Veth(d.host_ifname, d.host_mac, ctx.veid, d.ifname, d.mac)
        _vznetcfg(ctx, d.host_ifname)


def veth_del(ctx: Ctx, ifnames: list[str], every: bool = False) -> None:
    """Remove the CT's veth pairs by CT-side name (all of them, as /proc/vz/veth lists
    them, for ``--netif_del all``); an unknown one is reported and skipped."""
    net = ctx.host.kernel.net
    have = {v.ifname: v for v in net.veths.values() if v.veid == ctx.veid}
    if every:
        ifnames = list(have)
    for name in (n for n in ifnames if n not in have):
        ctx.log(-1, f"Container does not have configured veth: {name}, skipped")
    mine = [have[n] for n in ifnames if n in have]
    if not mine:
        return
    ctx.log(0, "Deleting veth devices: " + "".join(f"{v.host_ifname} " for v in mine))
    for v in mine:
        _destroy_veth(net, v.host_ifname)


def _destroy_veth(net: HostNet, host_ifname: str) -> None:
    net.veths.pop(host_ifname, None)
    _drop_port(net, host_ifname)


def _vznetcfg(ctx: Ctx, dev: str) -> None:
    """``vznetcfg init veth DEV``: with ``EXTERNAL_SCRIPT`` set in vznet.conf it execs
    that script, typically vznetaddbr, which puts the host end on the CT config's
    bridge (default vmbr0). vznetaddbr ignores brctl's failure and exits 0
    (``KV:bin/vznetcfg.in``, ``KV:bin/vznetaddbr.in``)."""
    conf = ctx.host.fs.read(VZNET_CONF) or ""
    if "vznetaddbr" not in _external_script(conf):
        return  # plain vznetcfg: ip link set DEV up
    if not N.takes_bridge(ctx.host.settings.vzctl_version):
        return  # vznetaddbr ships from vzctl 3.0.23 on (vzctl-3.0.22's bin/ has only vznetcfg)
    from simvz.model import container

    path = container.conf_path(ctx.veid)
    netif = _conf_netif(ctx.host.fs.read(path) or "")
    if not netif:
        # the config is saved only after this runs: a first veth added live meets this
        ctx.log(-1, f"According to {path}, CT{ctx.veid} has no veth interface configured.")
        raise VzError(E.VETH_ERROR, f"{VZNETCFG} exited with error")
    entry = next((d for d in netif if d.host_ifname == dev), None)
    if entry is None:
        return
    bridge = entry.bridge or DEFAULT_BRIDGE
    ctx.log(0, f"Adding interface {dev} to bridge {bridge} on CT0 for CT{ctx.veid}")
    net = ctx.host.kernel.net
    if bridge not in net.bridges:
        ctx.log(-1, f"bridge {bridge} does not exist!")
        return
    net.bridges[bridge].ports.append(dev)


def _external_script(conf: str) -> str:
    from simvz.syntax.vzconf import Entry, parse

    for item in parse(conf):
        if isinstance(item, Entry) and item.key == "EXTERNAL_SCRIPT":
            return item.value
    return ""


def _conf_netif(text: str) -> list[N.Netif]:
    # vznetaddbr sources the CT config with the shell: the last NETIF= line wins
    from simvz.syntax.vzconf import Entry, parse

    value = ""
    for item in parse(text):
        if isinstance(item, Entry) and item.key == "NETIF":
            value = item.value
    return N.parse_conf(value)


# -- start and stop ------------------------------------------------------------------------


def start(ctx: Ctx) -> None:
    """Bring up NETDEV and NETIF devices of a starting CT (after IPs and CPU)."""
    netdev_add(ctx, ctx.ps.list("NETDEV"))


def start_veths(ctx: Ctx) -> None:
    """veth devices come last at start (``KV:src/lib/res.c:vps_setup_res``)."""
    veth_add(ctx, N.parse_conf(ctx.ps.str("NETIF") or ""))


def teardown(ctx: Ctx) -> None:
    """The CT died: routes and proxy-ARP of its IPs go, its veths vanish with it, and
    its NICs come back to the host."""
    net = ctx.host.kernel.net
    for ip in ctx.kct.ips:
        _route_del(net, ip)
    for name in [h for h, v in net.veths.items() if v.veid == ctx.veid]:
        _destroy_veth(net, name)
    for nic in net.nics.values():
        if nic.owner == ctx.veid:
            nic.owner = None


def apply_inside(ctx: Ctx) -> None:
    """What the distribution scripts write inside the CT at start: hostname, DNS."""
    fs = ctx.host.fs
    priv = ctx.private
    hostname = ctx.ps.str("HOSTNAME")
    if hostname:
        fs.write(f"{priv}/etc/hostname", hostname + "\n")
    ns = ctx.ps.list("NAMESERVER")
    search = ctx.ps.list("SEARCHDOMAIN")
    if ns[:1] == ["inherit"] or search[:1] == ["inherit"]:
        host_ns, host_search = _host_resolv(ctx.host)
        ns = host_ns if ns[:1] == ["inherit"] else ns
        search = host_search if search[:1] == ["inherit"] else search
    if ns or search:
        lines = ([f"search {' '.join(search)}"] if search else []) + [f"nameserver {n}" for n in ns]
        fs.write(f"{priv}/etc/resolv.conf", "\n".join(lines) + "\n")


def _host_resolv(host: Node) -> tuple[list[str], list[str]]:
    """``inherit`` copies the node's own /etc/resolv.conf
    (``KV:src/lib/vps_configure.c:read_resolv_conf``)."""
    ns: list[str] = []
    search: list[str] = []
    for line in (host.fs.read("/etc/resolv.conf") or "").splitlines():
        words = line.split()
        if words[:1] == ["nameserver"] and len(words) > 1:
            ns.append(words[1])
        elif words[:1] in (["search"], ["domain"]):
            search = words[1:]
    return ns, search
