"""The node's own ``ip`` (iproute2) for the host side: ``ip [-o] link``, ``ip [-o]
[-4|-6] addr`` and ``ip [-4] route``, read-only, in iproute2 6.1's formats (Debian 12).

Containers see their own ``ip`` through ``vzctl exec`` (:mod:`simvz.cli.shell`); this
is what the administrator, and the real-host backend's observation code run under the
preload shim, see on the node: its NICs (those given to a running container are gone),
venet0, bridges and the veth host ends with their ``master`` bridge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simvz import results as output
from simvz.errors import NotEmulated
from simvz.formats.iproute import ETHER, LOOPBACK, VOID, Addr, Link, node_link
from simvz.results import Console, Result

if TYPE_CHECKING:
    from simvz.host import Host
    from simvz.model.hostnet import HostNet

FORMS = ["ip [-o] link [show]", "ip [-o] [-4|-6] addr [show]", "ip [-4] route [show]"]
# iproute2 abbreviates objects by prefix ("ip a", "ip l", "ip r").
OBJECTS = ("link", "address", "route")


def main(host: Host, argv: list[str], stdin: bytes) -> Result:
    """Run ``ip`` with ``argv`` (``argv[0]`` included) on ``host``."""
    return output.run(lambda con: _main(host, con, argv[1:]))


def _main(host: Host, con: Console, args: list[str]) -> int:
    oneline, family, rest = False, "", list(args)
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt in ("-o", "-oneline"):
            oneline = True
        elif opt in ("-4", "-6"):
            family = opt[1]
        else:
            raise NotEmulated(f"ip option {opt!r}", FORMS)
    obj = next((o for o in OBJECTS if rest and o.startswith(rest[0])), None)
    if obj is None or rest[1:] not in ([], ["show"]):
        raise NotEmulated(f"'ip {' '.join(args)}'", FORMS)
    net = host.kernel.net
    if obj == "route":
        con.write(1, "".join(f"{r.render()} \n" for r in net.routes if family != "6"))
        return 0
    for index, link in enumerate(links(net), start=1):
        con.write(1, node_link(index, link, oneline, family if obj == "address" else None))
    return 0


def links(net: HostNet) -> list[Link]:
    """The node's interfaces in ``ip link`` order: lo, NICs still on the host, venet0,
    bridges, then veth host ends."""
    out = [
        Link("lo", "LOOPBACK,UP,LOWER_UP", LOOPBACK, "00:00:00:00:00:00", None, _addrs("lo", "127.0.0.1/8"))
    ]
    up = "BROADCAST,MULTICAST,UP,LOWER_UP"
    for nic in net.nics.values():
        if nic.owner is None:
            out.append(
                Link(
                    nic.name, up, ETHER, nic.mac.lower(), net.bridge_of(nic.name), _addrs(nic.name, nic.addr)
                )
            )
    out.append(Link("venet0", "BROADCAST,POINTOPOINT,NOARP,UP,LOWER_UP", VOID, ""))
    for br in net.bridges.values():
        out.append(Link(br.name, up, ETHER, bridge_mac(net, br.name), None, _addrs(br.name, br.addr)))
    for veth in net.veths.values():
        out.append(Link(veth.host_ifname, up, ETHER, veth.host_mac.lower(), net.bridge_of(veth.host_ifname)))
    return out


def bridge_mac(net: HostNet, bridge: str) -> str:
    """A Linux bridge takes the lowest MAC of its ports (``br_stp_recalculate_bridge_id``);
    a bridge without ports shows zeros here (the kernel's is random)."""
    macs = sorted(_mac_of(net, port) for port in net.bridges[bridge].ports)
    return macs[0] if macs else "00:00:00:00:00:00"


def _mac_of(net: HostNet, dev: str) -> str:
    if dev in net.veths:
        return net.veths[dev].host_mac.lower()
    nic = net.nics.get(dev)
    return nic.mac.lower() if nic else "00:00:00:00:00:00"


def _addrs(name: str, addr: str) -> tuple[Addr, ...]:
    # the node's addresses are IPv4 (iproute2 labels each with its device)
    return (Addr("inet", addr, "host" if name == "lo" else "global", name),) if addr else ()
