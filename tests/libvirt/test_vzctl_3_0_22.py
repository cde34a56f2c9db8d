"""A node whose vzctl reports 3.0.22 (``simvz init --vzctl-version 3.0.22``) makes the
driver take its pre-3.0.23 network path (``openvz_driver.c:openvzDomainSetNetwork``,
``openvzDomainSetNetworkConfig``, ``VZCTL_BRIDGE_MIN_VERSION``): ``--netif_add`` without
the bridge, then NETIF written into the config by the driver itself. The node answers as
vzctl 3.0.22 did (vzctl-3.0.22's ``src/lib/config.c:parse_netif_str_cmd``: no fifth field;
no vznetaddbr in its ``bin/``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from simvz.hostinit import init_host
from tests.libvirt.support import (
    VZCTL,
    argvs,
    bridge_if,
    conf_values,
    domain_xml,
    mount_fs,
    netif_fields,
    prepare_private,
    vzctl,
)


@pytest.fixture
def old_node(tmp_path: Path) -> Host:
    """A node with vzctl 3.0.22 and a bridge vmbr0."""
    return init_host(tmp_path / "node", vzctl_version="3.0.22", bridges=["vmbr0"])


def test_the_driver_writes_netif_itself_on_a_3_0_22_node(old_node: Host) -> None:
    devices = mount_fs(prepare_private(old_node, 101)) + bridge_if("vmbr0", "00:16:3e:5d:c7:9e")
    with Session(old_node) as s:
        s.call("defineXML", domain_xml(101, devices=devices))
        adds = [a for a in argvs(s.journal_of_last()) if "--netif_add" in a]
        # four fields: no bridge on the command line
        assert [a[:5] for a in adds] == [[VZCTL, "--quiet", "set", "101", "--netif_add"]]
        assert netif_fields(adds[0][5]) == ["eth0", "00:16:3e:5d:c7:9e", "veth101.0.", "*"]
        # the driver's own NETIF (openvzWriteVPSConfigParam): its field names and the bridge
        (netif,) = conf_values(old_node, 101, "NETIF")
        assert netif.startswith("ifname=eth0,mac=00:16:3e:5d:c7:9e,host_ifname=veth101.0.,host_mac=")
        assert netif.endswith(",bridge=vmbr0")
        s.dom("101", "create")
        assert s.dom("101", "isActive") == 1
    view = vzctl(old_node, "exec", "101", "ip", "link")
    assert view.exit == 0
    # vzctl 3.0.22 has no vznetaddbr: the host end stays off the bridge, as on such a node
    assert old_node.kernel.net.bridges["vmbr0"].ports == []


def test_the_same_domain_on_4_11_1_gives_the_bridge_to_vzctl(sim_host: Host) -> None:
    """The other side of the branch, for contrast: the bridge is vzctl's fifth field."""
    devices = mount_fs(prepare_private(sim_host, 101)) + bridge_if("vmbr0", "00:16:3e:5d:c7:9e")
    with Session(sim_host) as s:
        s.call("defineXML", domain_xml(101, devices=devices))
        adds = [a for a in argvs(s.journal_of_last()) if "--netif_add" in a]
        assert netif_fields(adds[0][5])[4] == "vmbr0"


def test_vzctl_3_0_22_refuses_a_fifth_netif_add_field(old_node: Host) -> None:
    """What a driver that ignored the version would meet: all after the third comma is
    read as the host MAC."""
    assert vzctl(old_node, "create", "101", "--ostemplate", "centos-6-x86").exit == 0
    r = vzctl(old_node, "set", "101", "--netif_add", "eth0,00:18:51:11:22:33,veth101.0,00:18:51:11:22:34,br0")
    assert (r.exit, r.err) == (
        21,
        "Invalid host MAC address\n"
        "Bad parameter for --netif_add: eth0,00:18:51:11:22:33,veth101.0,00:18:51:11:22:34,br0\n",
    )
    assert conf_values(old_node, 101, "NETIF") == []
