"""The node's own network, as its kernel holds it: physical NICs, bridges and their
ports, veth host ends, the routing table and proxy-ARP entries; plus the libvirt-style
networks (name -> bridge, NAT) that libvirt's ``type='network'`` interfaces name.

A NIC given to a container (``NETDEV``) stays in ``nics`` with its ``owner`` set:
on a real node it leaves the host's namespace while the CT runs and comes back when
the kernel tears the CT down (``vecalls.c:ve_mapped_devs_cleanup``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simvz.model.plain import plain


@dataclass
class Nic:
    """A physical NIC; ``owner`` is the running CT it was moved into, if any."""

    name: str
    mac: str
    addr: str = ""  # address/prefix on the host, if any
    owner: int | None = None


@dataclass
class Bridge:
    """A Linux bridge and its ports."""

    name: str
    ports: list[str] = field(default_factory=list)
    addr: str = ""


@dataclass
class Veth:
    """One veth pair of a running CT (``/proc/vz/veth``)."""

    host_ifname: str
    host_mac: str
    veid: int
    ifname: str
    mac: str


@dataclass
class Route:
    """A host route (``ip route``)."""

    dst: str
    dev: str
    via: str = ""
    src: str = ""

    def render(self) -> str:
        """One line of ``ip route``."""
        via = f" via {self.via}" if self.via else ""
        src = f" src {self.src}" if self.src else ""
        scope = " scope link" if not self.via and self.dst != "default" else ""
        return f"{self.dst}{via} dev {self.dev}{scope}{src}"


@dataclass
class Network:
    """A libvirt network: its bridge and whether it NATs out of the uplink."""

    name: str
    bridge: str
    nat: bool = False


@dataclass
class HostNet:
    """All of the node's network state."""

    nics: dict[str, Nic] = field(default_factory=dict)
    bridges: dict[str, Bridge] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    veths: dict[str, Veth] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    proxy_arp: list[tuple[str, str]] = field(default_factory=list)  # (ip, dev)

    def host_devices(self) -> list[str]:
        """Interfaces visible on the host: NICs not given away, bridges, veth host ends."""
        nics = [n for n, nic in self.nics.items() if nic.owner is None]
        return ["lo", *nics, "venet0", *self.bridges, *self.veths]

    def bridge_of(self, dev: str) -> str | None:
        """The bridge ``dev`` is a port of."""
        return next((b.name for b in self.bridges.values() if dev in b.ports), None)

    def neighbour_devs(self) -> list[str]:
        """Devices vzctl's scripts add proxy-ARP entries on: up, with an address, not
        veth (``KV:scripts/vps-functions.in:vzgetnetdev``; NEIGHBOUR_DEVS unset = all)."""
        nics = [n.name for n in self.nics.values() if n.owner is None and n.addr]
        return nics + [b.name for b in self.bridges.values() if b.addr]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        result: dict[str, Any] = plain(self)
        return result

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostNet:
        """Inverse of :meth:`to_json`."""
        return cls(
            nics={k: Nic(**v) for k, v in data.get("nics", {}).items()},
            bridges={k: Bridge(**v) for k, v in data.get("bridges", {}).items()},
            networks={k: Network(**v) for k, v in data.get("networks", {}).items()},
            veths={k: Veth(**v) for k, v in data.get("veths", {}).items()},
            routes=[Route(**r) for r in data.get("routes", [])],
            proxy_arp=[(ip, dev) for ip, dev in data.get("proxy_arp", [])],
        )


def default_net(uplink_mac: str, mac_of: Any) -> HostNet:
    """A typical OpenVZ node: eth0 uplink, eth1/eth2 free, bridge vmbr0, and libvirt's
    ``default`` network on virbr0 with NAT (libvirt's shipped default.xml)."""
    net = HostNet()
    net.nics["eth0"] = Nic("eth0", uplink_mac, "192.0.2.10/24")
    for name in ("eth1", "eth2"):
        net.nics[name] = Nic(name, mac_of(name))
    net.bridges["vmbr0"] = Bridge("vmbr0")
    net.bridges["virbr0"] = Bridge("virbr0", addr="192.168.122.1/24")
    net.networks["default"] = Network("default", "virbr0", nat=True)
    net.routes = [
        Route("default", "eth0", via="192.0.2.1"),
        Route("192.0.2.0/24", "eth0", src="192.0.2.10"),
        Route("192.168.122.0/24", "virbr0", src="192.168.122.1"),
    ]
    return net
