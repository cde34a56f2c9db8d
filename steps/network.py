"""Network observations: the host's bridges and routes, the container's interfaces."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from simvz.hostview import ContainerView, InterfacesView, NetworkView
from simvz_steps.host import arrange
from simvz_steps.world import World


def _net(world: World) -> NetworkView:
    return world.host.inspect()["network"]


def _ct(world: World, ctid: int) -> ContainerView:
    cts = {c["ctid"]: c for c in world.host.inspect()["containers"]}
    if world.ids.ct(ctid) not in cts:
        world.observe("no such container", str(world.ids.ct(ctid)))
        raise AssertionError(f"no container {world.ids.ct(ctid)} on the host")
    return cts[world.ids.ct(ctid)]


def _interfaces(world: World, ctid: int) -> InterfacesView:
    ifs = _ct(world, ctid)["interfaces"]
    if ifs is None:
        world.observe("interfaces of the container", "none: it is not running")
        raise AssertionError(f"container {world.ids.ct(ctid)} is not running")
    return ifs


@given(parsers.parse('the host has a bridge "{bridge}"'))
def host_bridge(world: World, bridge: str) -> None:
    """The bridge exists on the host (arranged on a simulated host, checked on a real
    one: the scenario is skipped without it)."""
    arrange(world.host.ensure_bridge, bridge)


@given(parsers.parse('the host has a spare NIC "{nic}"'))
def host_spare_nic(world: World, nic: str) -> None:
    """A NIC the host can give away: no address, on no bridge (checked)."""
    arrange(world.host.ensure_spare_nic, nic)


@then(parsers.parse("the host routes {ip} to venet0"))
def routed(world: World, ip: str) -> None:
    """``ip route`` on the host has ``<ip> dev venet0``, once."""
    routes = [r for r in _net(world)["routes"] if r.split()[:3] == [ip, "dev", "venet0"]]
    assert len(routes) == 1, _net(world)["routes"]


@then(parsers.parse("container {ctid:d} has the address {ip} on venet0"))
def venet_ip(world: World, ctid: int, ip: str) -> None:
    """``ip addr`` inside shows the address on venet0."""
    assert ip in _interfaces(world, ctid)["venet0"]


@then(parsers.parse('container {ctid:d} has a veth with MAC {mac} on bridge "{bridge}"'))
def veth_on_bridge(world: World, ctid: int, mac: str, bridge: str) -> None:
    """The CT-side MAC inside, the host end a port of the bridge (``brctl show``)."""
    veths = _interfaces(world, ctid)["veth"]
    assert any(v["mac"] == mac.lower() and v["bridge"] == bridge for v in veths), veths


@then(parsers.parse('container {ctid:d} has a veth on bridge "{bridge}"'))
def any_veth_on_bridge(world: World, ctid: int, bridge: str) -> None:
    """Some veth of the container has its host end on the bridge."""
    veths = _interfaces(world, ctid)["veth"]
    world.observe("veths of the container", veths)
    assert any(v["bridge"] == bridge for v in veths), veths


@then(parsers.parse('the host NIC "{nic}" is inside container {ctid:d}'))
def nic_inside(world: World, nic: str, ctid: int) -> None:
    """Gone from the host's interfaces, present in the container."""
    assert nic in _interfaces(world, ctid)["netdev"]
    owners = {n["name"]: n["owner"] for n in _net(world)["nics"]}
    assert owners[nic] == world.ids.ct(ctid)


@then(parsers.parse('the host NIC "{nic}" is back on the host'))
def nic_back(world: World, nic: str) -> None:
    """The NIC is the host's again."""
    owners = {n["name"]: n["owner"] for n in _net(world)["nics"]}
    assert owners[nic] is None
