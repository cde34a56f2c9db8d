"""``inspect()``'s view of a host, one schema for both backends: the simulated node
(:func:`simvz.inspect.inspect`) and a real OpenVZ host read through its tools
(``simvz.backends.local.LocalHost.inspect``). Keys marked ``NotRequired`` are those only
the simulated node can show (a real host's administrator sees no template sizes, no
quota internals, no libvirt network table from vzctl's side).

Plain dicts (TypedDicts) because the view is written as JSON by ``simvz inspect --json``
and compared in tests as data.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class StatusView(TypedDict):
    """``vzctl status`` as booleans, plus *suspended* (a dump file exists)."""

    exist: bool
    mounted: bool
    running: bool
    suspended: bool


class QuotaView(TypedDict):
    """A CT's disk quota: usage, soft and hard limits of blocks and inodes; on or off."""

    bused: int
    bsoft: int
    bhard: int
    iused: int
    isoft: int
    ihard: int
    on: bool


class VethView(TypedDict):
    """One veth pair: the CT's end, the host's end and the bridge it is on."""

    ifname: str
    mac: str
    host_ifname: str
    host_mac: str
    bridge: str | None


class InterfacesView(TypedDict):
    """A running CT's devices as ``ip addr`` shows them inside it."""

    venet0: list[str]
    veth: list[VethView]
    netdev: list[str]


class ContainerView(TypedDict):
    """One configured container."""

    ctid: int
    status: StatusView
    config: dict[str, str | None]
    private: str | None
    ips: list[str]
    interfaces: InterfacesView | None
    root: NotRequired[str | None]
    quota: NotRequired[QuotaView | None]


class NicView(TypedDict):
    """A host NIC; ``owner`` is the CT it was moved into."""

    name: str
    mac: str
    addr: str
    owner: int | None


class BridgeView(TypedDict):
    """A bridge with its address and ports."""

    name: str
    addr: str
    ports: list[str]


class LibvirtNetworkView(TypedDict):
    """A libvirt network of the node."""

    name: str
    bridge: str
    nat: bool


class ProxyArpView(TypedDict):
    """An ``ip neigh show proxy`` entry."""

    ip: str
    dev: str


class NetworkView(TypedDict):
    """The node's network as its tools show it."""

    nics: list[NicView]
    bridges: list[BridgeView]
    routes: list[str]
    networks: NotRequired[list[LibvirtNetworkView]]
    proxy_arp: NotRequired[list[ProxyArpView]]
    # simvz.inspect.network only: every running CT's interfaces by CT ID
    interfaces: NotRequired[dict[int, InterfacesView]]


class TemplateView(TypedDict):
    """A cached OS template's declared unpacked size."""

    kb: int
    inodes: int


class HostView(TypedDict):
    """The whole host."""

    hostname: str
    vzctl_version: str
    containers: list[ContainerView]
    ips_in_use: dict[str, int]
    network: NetworkView
    root: NotRequired[str]
    disk_free_kb: NotRequired[int]
    templates: NotRequired[dict[str, TemplateView]]
