"""``simvz inspect``: the node's network as its administrator sees it (``ip link``,
``brctl show``, ``ip route``, ``ip neigh show proxy``, ``virsh net-list``) and, per running
container, what ``ip addr`` shows inside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simvz import inspect
from simvz.host import Host
from simvz.hostinit import init_host
from simvz.hostview import BridgeView, ContainerView, HostView, InterfacesView, NicView
from tests.conftest import create_ct, make_host, start_ct, vzctl


def simvz(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simvz", *map(str, args)], capture_output=True, text=True)


def ok(host: Host, *argv: str) -> None:
    r = vzctl(host, *argv)
    assert r.exit == 0, (argv, r.exit, r.err)


def nic(data: HostView, name: str) -> NicView:
    return next(n for n in data["network"]["nics"] if n["name"] == name)


def bridge(data: HostView, name: str) -> BridgeView:
    return next(b for b in data["network"]["bridges"] if b["name"] == name)


def ct(data: HostView, veid: int) -> ContainerView:
    return next(c for c in data["containers"] if c["ctid"] == veid)


def interfaces(data: HostView, veid: int) -> InterfacesView:
    found = ct(data, veid)["interfaces"]
    assert found is not None, f"CT {veid} is not running"
    return found


def thread_node(tmp_path: Path) -> Host:
    """The 2008 thread's node: CT 150 routed with 2.2.2.2, CT 105 bridged through
    node_eth15, CT 102 given eth1; all three running."""
    host = make_host(tmp_path / "node")
    for veid in (150, 105, 102):
        create_ct(host, veid)
    ok(host, "set", "150", "--ipadd", "2.2.2.2", "--save")
    ok(host, "set", "105", "--netif_add", "eth15,00:11:00:00:00:11,node_eth15,22:11:00:00:00:11", "--save")
    ok(host, "set", "102", "--netdev_add", "eth1", "--save")
    for veid in (150, 105, 102):
        start_ct(host, veid)
    return host


def test_a_fresh_node_shows_its_uplink_free_nics_bridges_and_the_default_network(tmp_path: Path) -> None:
    """A typical OpenVZ node: eth0 the uplink with the default route,
    eth1/eth2 free, vmbr0 (vznetaddbr's default bridge, ``KV:bin/vznetaddbr.in``) and
    libvirt's ``default`` network on virbr0 with NAT; nothing proxied yet."""
    data = inspect.inspect(make_host(tmp_path / "node"))
    net = data["network"]
    assert [n["name"] for n in net["nics"]] == ["eth0", "eth1", "eth2"]
    assert all(n["owner"] is None for n in net["nics"])
    assert nic(data, "eth0")["addr"] == "192.0.2.10/24"
    assert {b["name"]: b["ports"] for b in net["bridges"]} == {"vmbr0": [], "virbr0": []}
    assert net["networks"] == [{"name": "default", "bridge": "virbr0", "nat": True}]
    assert net["routes"][0] == "default via 192.0.2.1 dev eth0"
    assert not any("venet0" in r for r in net["routes"])
    assert net["proxy_arp"] == []


def test_init_options_show_up_as_nics_bridges_and_networks(tmp_path: Path) -> None:
    """``simvz init --nic --bridge NAME=PORTS --network NAME=BRIDGE[,nat]``."""
    host = init_host(tmp_path / "node", nics=["eth3"], bridges=["vmbr1=eth3"], networks=["isolated=virbr9"])
    data = inspect.inspect(host)
    assert nic(data, "eth3")["owner"] is None
    assert bridge(data, "vmbr1")["ports"] == ["eth3"]
    assert {"name": "isolated", "bridge": "virbr9", "nat": False} in data["network"]["networks"]
    text = inspect.render_text(data)
    assert "    vmbr1      -                  ports: eth3" in text
    assert "    isolated   bridge virbr9\n" in text
    assert "    default    bridge virbr0, NAT\n" in text


def test_the_thread_node_as_json(tmp_path: Path) -> None:
    """Routed IP: host route ``2.2.2.2 dev venet0`` and proxy-ARP entries on the node's
    addressed devices (``KV:scripts/vps-net_add.in``, ``vps-functions.in:vzgetnetdev``,
    NEIGHBOUR_DEVS unset = all). veth: the host end on vmbr0 (vznetaddbr's default).
    Passthrough: eth1 in CT 102 rather than on the host (``KV:src/lib/hooks_vz.c:vz_netdev_ctl``)."""
    data = inspect.inspect(thread_node(tmp_path))
    net = data["network"]
    assert "2.2.2.2 dev venet0 scope link" in net["routes"]
    assert {"ip": "2.2.2.2", "dev": "eth0"} in net["proxy_arp"]
    assert {p["ip"] for p in net["proxy_arp"]} == {"2.2.2.2"}
    assert bridge(data, "vmbr0")["ports"] == ["node_eth15"]
    assert nic(data, "eth1")["owner"] == 102
    assert nic(data, "eth2")["owner"] is None
    assert ct(data, 150)["interfaces"] == InterfacesView(venet0=["2.2.2.2"], veth=[], netdev=[])
    assert interfaces(data, 105)["veth"] == [
        {
            "ifname": "eth15",
            "mac": "00:11:00:00:00:11",
            "host_ifname": "node_eth15",
            "host_mac": "22:11:00:00:00:11",
            "bridge": "vmbr0",
        }
    ]
    assert ct(data, 102)["interfaces"] == InterfacesView(venet0=[], veth=[], netdev=["eth1"])


def test_the_thread_node_as_text_through_the_command(tmp_path: Path) -> None:
    """``simvz inspect DIR`` and ``--json`` as a user runs them."""
    host = thread_node(tmp_path)
    r = simvz("inspect", host.root)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "    eth1       " in text and "in CT 102\n" in text
    assert "    vmbr0      -                  ports: node_eth15\n" in text
    assert "    2.2.2.2 dev venet0 scope link\n" in text
    assert "    2.2.2.2 dev eth0  proxy\n" in text
    assert "  eth15       00:11:00:00:00:11 <-> node_eth15 22:11:00:00:00:11 on vmbr0\n" in text
    assert "  eth1        host NIC moved in\n" in text
    assert "  venet0      2.2.2.2\n" in text
    data = json.loads(simvz("inspect", host.root, "--json").stdout)
    assert data["network"] == inspect.inspect(host)["network"]


def test_a_stopped_node_has_nothing_left_over(tmp_path: Path) -> None:
    """On stop the kernel drops the CT's IPs, its veths vanish with it and its NICs come
    back; ``vps-net_del`` removes routes and proxy-ARP entries."""
    host = thread_node(tmp_path)
    for veid in ("150", "105", "102"):
        ok(host, "stop", veid)
    data = inspect.inspect(host)
    net = data["network"]
    assert not any("venet0" in r for r in net["routes"])
    assert net["proxy_arp"] == []
    assert bridge(data, "vmbr0")["ports"] == []
    assert all(n["owner"] is None for n in net["nics"])
    assert all(c["interfaces"] is None for c in data["containers"])
    text = inspect.render_text(data)
    assert "host NIC moved in" not in text and "<->" not in text
    assert "  Proxy ARP (ip neigh show proxy):\n    -\n" in text


def test_a_veth_on_a_missing_bridge_is_shown_on_no_bridge(tmp_path: Path) -> None:
    """vznetaddbr's ``brctl addif`` fails and the script ignores it (``KV:bin/vznetaddbr.in``):
    the pair exists but its host end is on no bridge."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    ok(host, "set", "101", "--netif_add", "eth0,,,,vmbr7", "--save")
    start_ct(host, 101)
    data = inspect.inspect(host)
    (veth,) = interfaces(data, 101)["veth"]
    assert (veth["host_ifname"], veth["bridge"]) == ("veth101.0", None)
    assert " <-> veth101.0 " in inspect.render_text(data)
    assert "on no bridge" in inspect.render_text(data)


def test_the_network_alone_matches_the_full_inspection(tmp_path: Path) -> None:
    """``inspect.network`` (no config read) says what ``inspect`` says about the network."""
    host = thread_node(tmp_path)
    ok(host, "stop", "102")
    full = inspect.inspect(host)
    net = inspect.network(host)
    interfaces = net.pop("interfaces")
    assert net == full["network"]
    running = {c["ctid"]: c["interfaces"] for c in full["containers"] if c["interfaces"] is not None}
    assert interfaces == running
    assert sorted(running) == [105, 150]
