"""``simvz inspect``: the host as its administrator sees it, as a dict and as text.

Status follows vzctl's own rules (``KV:src/vzctl-actions.c:show_status``): *exist* = config and private area
present, *suspended* = not running and ``<DUMPDIR>/Dump.<id>`` present. Config values
are those of ``<id>.conf`` as vzctl parses them (rendered as vzctl would write them).

The node's network is what ``ip link``, ``brctl show``, ``ip route``, ``ip neigh show
proxy`` and ``virsh net-list`` show on the node, and per running container what ``ip
addr`` shows inside it: venet0 with its IPs, veth ends (with their host peers and the
bridge the peer is on, as ``/proc/vz/veth`` and ``brctl show`` pair them) and the host
NICs moved in (``KV:src/lib/net.c``, ``KV:src/lib/veth.c``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from simvz.hostview import (
    ContainerView,
    HostView,
    InterfacesView,
    NetworkView,
    QuotaView,
    StatusView,
    TemplateView,
)
from simvz.model import container as C
from simvz.model import params
from simvz.model.params import ParamSet

if TYPE_CHECKING:
    from simvz.host import Host
    from simvz.model.hostnet import HostNet
    from simvz.model.kernel import Quota

CONFIG_KEYS = (
    "HOSTNAME",
    "NAME",
    "OSTEMPLATE",
    "IP_ADDRESS",
    "ONBOOT",
    "DISKSPACE",
    "DISKINODES",
    "NETIF",
    "NETDEV",
)
DEFAULT_DUMPDIR = "/vz/dump"  # KV:etc/vz.conf.in DUMPDIR=@VZDIR@/dump


def inspect(host: Host) -> HostView:
    """Host settings, every configured container (CT 0 aside) and the IPs in use."""
    settings = host.settings
    templates = settings.templates
    with host.locked(exclusive=False) as h:
        ids, _bad = C.configured_ids(h)
        cts = [_container(h, veid) for veid in ids if veid != 0]
        ips = {ip: veid for veid in h.kernel.running() for ip in h.kernel.cts[veid].ips}
        net = _network(h.kernel.net)
    return {
        "root": str(host.root),
        "hostname": settings.hostname,
        "vzctl_version": settings.vzctl_version,
        "disk_free_kb": settings.disk_free_kb,
        "templates": {n: TemplateView(kb=t.kb, inodes=t.inodes) for n, t in sorted(templates.items())},
        "containers": cts,
        "ips_in_use": ips,
        "network": net,
    }


def _container(host: Host, veid: int) -> ContainerView:
    own = C.load_ct(host, veid) or ParamSet()
    eff = C.effective(host, veid)
    k = host.kernel.peek(veid)
    dump = f"{eff.str('DUMPDIR') or DEFAULT_DUMPDIR}/Dump.{veid}"
    return {
        "ctid": veid,
        "status": StatusView(
            exist=C.exists(host, veid),
            mounted=k.mounted,
            running=k.running,
            suspended=not k.running and host.fs.exists(dump),
        ),
        "config": {key: _config_value(own, key) for key in CONFIG_KEYS},
        "private": C.private_of(eff, veid),
        "root": C.root_of(eff, veid),
        "quota": _quota(k.quota),
        "ips": list(k.ips) if k.running else [],
        "interfaces": _interfaces(host.kernel.net, veid, k.ips) if k.running else None,
    }


def _config_value(ps: ParamSet, key: str) -> str | None:
    value = ps.get(key)
    return None if value is None else params.render_value(params.KEYS[key], value)


def _quota(q: Quota | None) -> QuotaView | None:
    if q is None:
        return None
    return QuotaView(
        bused=q.bused, bsoft=q.bsoft, bhard=q.bhard, iused=q.iused, isoft=q.isoft, ihard=q.ihard, on=q.on
    )


# -- network -------------------------------------------------------------------------


def network(host: Host) -> NetworkView:
    """Only the network: the node's (as in :func:`inspect`) and, by CT ID, the interfaces
    of each running container; reads no config file, so it is cheap to call often."""
    with host.locked(exclusive=False) as h:
        k = h.kernel
        data = _network(k.net)
        data["interfaces"] = {veid: _interfaces(k.net, veid, k.cts[veid].ips) for veid in k.running()}
    return data


def _network(net: HostNet) -> NetworkView:
    """The node's NICs (``owner``: the CT a NIC was moved into), bridges with their ports,
    libvirt networks, routes as ``ip route`` prints them and proxy-ARP entries."""
    return {
        "nics": [{"name": n.name, "mac": n.mac, "addr": n.addr, "owner": n.owner} for n in net.nics.values()],
        "bridges": [{"name": b.name, "addr": b.addr, "ports": list(b.ports)} for b in net.bridges.values()],
        "networks": [{"name": n.name, "bridge": n.bridge, "nat": n.nat} for n in net.networks.values()],
        "routes": [r.render() for r in net.routes],
        "proxy_arp": [{"ip": ip, "dev": dev} for ip, dev in net.proxy_arp],
    }


def _interfaces(net: HostNet, veid: int, ips: list[str]) -> InterfacesView:
    """A running CT's devices: venet0's IPs, veth pairs, NICs moved in."""
    veths = sorted((v for v in net.veths.values() if v.veid == veid), key=lambda v: v.ifname)
    return {
        "venet0": list(ips),
        "veth": [
            {
                "ifname": v.ifname,
                # lower-case, as ``ip link`` and /proc/vz/veth print MACs
                "mac": v.mac.lower(),
                "host_ifname": v.host_ifname,
                "host_mac": v.host_mac.lower(),
                "bridge": net.bridge_of(v.host_ifname),
            }
            for v in veths
        ],
        "netdev": [n.name for n in net.nics.values() if n.owner == veid],
    }


# -- text ------------------------------------------------------------------------


def render_json(data: HostView) -> str:
    """The inspection as JSON."""
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def render_text(data: HostView) -> str:
    """The inspection as text for a human."""
    lines = [
        f"Host {data['root']} ({data['hostname']}, vzctl {data['vzctl_version']})",
        f"Free on /vz: {data['disk_free_kb']} KB",
        "Templates: "
        + ", ".join(f"{n} ({t['kb']} KB, {t['inodes']} inodes)" for n, t in data["templates"].items()),
    ]
    lines += _network_lines(data["network"])
    if not data["containers"]:
        lines.append("No containers.")
    for ct in data["containers"]:
        lines.extend(_ct_lines(ct))
    return "\n".join(lines) + "\n"


def status_words(status: StatusView) -> str:
    """Status in the words of ``vzctl status`` (plus ``suspended``)."""
    words = [
        "exist" if status["exist"] else "deleted",
        "mounted" if status["mounted"] else "unmounted",
        "running" if status["running"] else "down",
    ]
    if status["suspended"]:
        words.append("suspended")
    return " ".join(words)


def _ct_lines(ct: ContainerView) -> list[str]:
    lines = ["", f"CT {ct['ctid']}: {status_words(ct['status'])}"]
    lines += [f"  {k:<11} {v}" for k, v in ct["config"].items() if v is not None]
    lines.append(f"  {'private':<11} {ct['private'] or '-'}")
    lines.append(f"  {'quota':<11} {_quota_text(ct['quota'])}")
    lines.append(f"  {'ips':<11} {' '.join(ct['ips']) or '-'}")
    if ct["interfaces"] is not None:
        lines += _interface_lines(ct["interfaces"])
    return lines


def _network_lines(net: NetworkView) -> list[str]:
    lines = ["", "Network:", "  NICs:"]
    for n in net["nics"]:
        where = "up on the host" if n["owner"] is None else f"in CT {n['owner']}"
        lines.append(f"    {n['name']:<10} {n['mac']}  {n['addr'] or '-':<18} {where}")
    lines.append("  Bridges:")
    for b in net["bridges"]:
        lines.append(f"    {b['name']:<10} {b['addr'] or '-':<18} ports: {' '.join(b['ports']) or '-'}")
    lines.append("  libvirt networks:")
    for lv in net.get("networks", []):
        lines.append(f"    {lv['name']:<10} bridge {lv['bridge']}{', NAT' if lv['nat'] else ''}")
    lines.append("  Routes (ip route):")
    lines += [f"    {r}" for r in net["routes"]]
    lines.append("  Proxy ARP (ip neigh show proxy):")
    lines += [f"    {p['ip']} dev {p['dev']}  proxy" for p in net.get("proxy_arp", [])] or ["    -"]
    return lines


def _interface_lines(ifs: InterfacesView) -> list[str]:
    lines = [f"  {'venet0':<11} {' '.join(ifs['venet0']) or '-'}"]
    for v in ifs["veth"]:
        where = f"on {v['bridge']}" if v["bridge"] else "on no bridge"
        lines.append(f"  {v['ifname']:<11} {v['mac']} <-> {v['host_ifname']} {v['host_mac']} {where}")
    lines += [f"  {name:<11} host NIC moved in" for name in ifs["netdev"]]
    return lines


def _quota_text(q: QuotaView | None) -> str:
    if q is None:
        return "none"
    state = "on" if q["on"] else "off"
    return (
        f"{state}; blocks {q['bused']} used, {q['bsoft']}:{q['bhard']} soft:hard; "
        f"inodes {q['iused']} used, {q['isoft']}:{q['ihard']} soft:hard"
    )
