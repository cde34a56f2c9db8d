"""Interface stats family (``openvz_driver.c:openvzDomainInterfaceStats``): the domain's
interface is found by its host device or MAC, and its counters are read from
``/proc/net/dev`` (``virNetDevTapInterfaceStats``). That file is the machine's: the shim
does not redirect it (``simvz/harness/preload.c``), so the counters exist for devices
the machine has, and not for the veth pairs the simulated node keeps in ``/proc/vz/veth``."""

from __future__ import annotations

import pytest

from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from simvz.inspect import inspect
from tests.libvirt.conftest import Connect
from tests.libvirt.support import bridge_if, domain_xml, ethernet_if, mount_fs, prepare_private

VIR_ERR_INVALID_ARG, VIR_ERR_OPERATION_INVALID = 8, 55
MAC = "00:16:3e:5d:c7:9e"


@pytest.fixture
def nets(sim_host: Host, connect: Connect) -> Session:
    """Domain 101, running, with a routed interface whose target device is the machine's
    ``lo`` and a veth on the node's bridge ``vmbr0``."""
    devices = (
        mount_fs(prepare_private(sim_host, 101))
        + ethernet_if("10.0.0.101", target="lo")
        + bridge_if("vmbr0", MAC)
    )
    s = connect()
    s.call("defineXML", domain_xml(101, devices=devices))
    s.dom("101", "create")
    return s


def test_counters_of_a_device_the_machine_has(nets: Session) -> None:
    """Eight counters (rx bytes, packets, errs, drop, tx ...) of the target device; no node
    command runs."""
    stats = nets.dom("101", "interfaceStats", "lo")
    assert len(stats) == 8 and all(isinstance(v, int) and v >= 0 for v in stats)
    assert nets.journal_of_last() == []


@pytest.mark.parametrize("device", ["veth101.0.", MAC])
def test_the_nodes_veth_has_no_machine_counters(nets: Session, sim_host: Host, device: str) -> None:
    """The veth (by host device name or MAC) is on the node's bridge, but not in the
    machine's ``/proc/net/dev``: a clear libvirt error, no node command."""
    (ct,) = inspect(sim_host)["containers"]
    assert ct["interfaces"] is not None
    assert [v["host_ifname"] for v in ct["interfaces"]["veth"]] == ["veth101.0."]
    with pytest.raises(LibvirtError, match="/proc/net/dev: Interface not found"):
        nets.dom("101", "interfaceStats", device)
    assert nets.journal_of_last() == []


def test_an_unknown_device_is_an_invalid_argument(nets: Session) -> None:
    """``virDomainNetFind``: neither a device nor a MAC of the domain."""
    with pytest.raises(LibvirtError, match="'eth9' is not a known interface") as err:
        nets.dom("101", "interfaceStats", "eth9")
    assert err.value.code == VIR_ERR_INVALID_ARG


def test_a_stopped_domain_has_no_stats(nets: Session) -> None:
    """``virDomainObjCheckActive``: ``VIR_ERR_OPERATION_INVALID`` once shut down."""
    nets.dom("101", "shutdown")
    with pytest.raises(LibvirtError, match="domain is not running") as err:
        nets.dom("101", "interfaceStats", "lo")
    assert err.value.code == VIR_ERR_OPERATION_INVALID
