"""Define and undefine family (``openvz_driver.c:openvzDomainDefineXMLFlags``,
``openvzSetInitialConfig``, ``openvzSetDiskQuota``, ``openvzDomainSetNetwork``,
``openvzDomainUndefineFlags``). The domain XML is the thread's: ``<name>`` is the CT ID, a
``<filesystem type='template'>`` names the OS template, ``type='mount'`` a private area,
``<interface type='bridge'>`` a veth on a bridge."""

from __future__ import annotations

import pytest

from simvz.harness.claims import Claim
from simvz.harness.libvirt_runner import Domain, LibvirtError, Session
from simvz.harness.xfail import xfail_claim
from simvz.host import Host
from tests.libvirt.conftest import Connect
from tests.libvirt.support import (
    SHUTOFF,
    UUID_209,
    VZCTL,
    VZLIST,
    argvs,
    bridge_if,
    conf_path,
    conf_values,
    domain_xml,
    ethernet_if,
    mount_fs,
    netif_fields,
    prepare_private,
    status,
    template_fs,
    uuid_for,
    vzlist,
)


def test_define_mount_writes_the_config_itself(sim_host: Host, connect: Connect) -> None:
    """``openvzSetInitialConfig`` for a mount filesystem: the driver copies
    ``ve-<CONFIGFILE>.conf-sample`` to ``101.conf`` and writes ``VE_PRIVATE`` itself
    (no ``vzctl create``), appends ``#UUID:``, then sets vcpus and memory with vzctl."""
    private = prepare_private(sim_host, 101)
    sample = (sim_host.root / "etc/vz/conf/ve-vswap-256m.conf-sample").read_text()
    s = connect()
    assert s.call("defineXML", domain_xml(101, uuid=UUID_209, devices=mount_fs(private))) == Domain("101")
    assert argvs(s.journal_of_last()) == [
        [VZCTL, "--quiet", "set", "101", "--cpus", "1", "--save"],
        [VZCTL, "--quiet", "set", "101", "--kmemsize", "268435456", "--save"],
    ]
    assert conf_path(sim_host, 101).read_text() == (
        f'{sample}VE_PRIVATE="/vz/private/101"\n\n#UUID: {UUID_209}\nCPUS="1"\nKMEMSIZE="268435456"\n'
    )
    assert status(sim_host, 101) == "CTID 101 exist unmounted down"
    assert (s.dom("101", "isPersistent"), s.dom("101", "isActive")) == (1, 0)
    assert s.dom("101", "state", 0)[0] == SHUTOFF


def test_define_without_filesystem_creates_from_the_default_template(
    sim_host: Host, connect: Connect
) -> None:
    """``openvzDomainDefineCmd``: ``vzctl --quiet create N --name N``; vzctl takes vz.conf's
    ``DEF_OSTEMPLATE`` (centos-6-x86) and names the CT after its ID."""
    s = connect()
    s.call("defineXML", domain_xml(110))
    assert argvs(s.journal_of_last())[0] == [VZCTL, "--quiet", "create", "110", "--name", "110"]
    assert conf_values(sim_host, 110, "OSTEMPLATE") == ["centos-6-x86"]
    assert conf_values(sim_host, 110, "NAME") == ["110"]
    assert (sim_host.root / "etc/vz/names/110").is_symlink()
    assert status(sim_host, 110) == "CTID 110 exist unmounted down"
    assert vzlist(sim_host, "-a", "-H", "-octid,status").split() == ["110", "stopped"]


@xfail_claim(
    "openvzDomainDefineCmd passes fss[0]->src (a virStorageSource *) where the template "
    "name belongs: journal argv [/usr/sbin/vzctl --quiet create 209 --name 209 --ostemplate "
    "<pointer bytes>], vzctl exit 91 (cached template not found); the error text carries "
    "those bytes (libvirt-python cannot decode it; the worker reads libvirt's own error)",
    Claim("argv", r"vzctl --quiet create 209 --name 209 --ostemplate (?!fedora-core-5-i386$)"),
    raises=(LibvirtError, AssertionError),
)
def test_define_template_creates_the_ct_from_it(sim_host: Host, connect: Connect) -> None:
    """The thread's summary XML: ``<filesystem type='template'><source name=
    'fedora-core-5-i386'/>`` makes ``vzctl create 209 --ostemplate fedora-core-5-i386``."""
    s = connect()
    # The bytes of the pointer vary (NUL first: the argument is '', vzctl answers 91 all the
    # same); the claim above holds for any of them but the template's name.
    xml = domain_xml(209, uuid=UUID_209, devices=template_fs("fedora-core-5-i386"))
    try:
        assert s.call("defineXML", xml) == Domain("209")
    finally:
        first = argvs(s.journal_of_last())[:1]
    assert first == [
        [VZCTL, "--quiet", "create", "209", "--name", "209", "--ostemplate", "fedora-core-5-i386"]
    ]
    assert conf_values(sim_host, 209, "OSTEMPLATE") == ["fedora-core-5-i386"]
    assert status(sim_host, 209) == "CTID 209 exist unmounted down"


@xfail_claim(
    "same garbage --ostemplate argument as above (fss[0]->src is a struct pointer): "
    "vzctl create exits 91, so the quota step (vzctl set --save --diskspace) is never reached",
    Claim("argv", r"vzctl --quiet create 209 --name 209 --ostemplate (?!fedora-core-5-i386$)"),
    raises=(LibvirtError, AssertionError),
)
def test_define_template_quota_sets_diskspace(sim_host: Host, connect: Connect) -> None:
    """``openvzSetDiskQuota``: the thread's ``<quota type='size'>`` became
    ``space_soft_limit``/``space_hard_limit``; KiB limits go to ``vzctl set --diskspace S:H``."""
    s = connect()
    fs = template_fs("fedora-core-5-i386", hard_kib=1153434, soft_kib=1048576)
    try:
        s.call("defineXML", domain_xml(209, uuid=UUID_209, devices=fs))
    finally:
        commands = argvs(s.journal_of_last())
    assert commands[0][-2:] == ["--ostemplate", "fedora-core-5-i386"]
    assert commands[1] == [VZCTL, "--quiet", "set", "209", "--save", "--diskspace", "1048576:1153434"]
    assert conf_values(sim_host, 209, "OSTEMPLATE") == ["fedora-core-5-i386"]
    assert conf_values(sim_host, 209, "DISKSPACE") == ["1048576:1153434"]


@xfail_claim(
    "openvzSetDiskQuota handles only type='template': for a mount filesystem the limits "
    "are accepted and kept in the driver's XML, but no vzctl command runs; 101.conf keeps the "
    'sample\'s DISKSPACE="2G:2.2G"',
    raises=AssertionError,
    match=r"'--diskspace', \.\.\.\] in \[\[",
)
def test_define_mount_quota_sets_diskspace(sim_host: Host, connect: Connect) -> None:
    """A quota on a mount filesystem is a simfs/vzquota quota like any other (thread:
    "It is disk quota for container")."""
    fs = mount_fs(prepare_private(sim_host, 101)).replace(
        "</filesystem>", "<space_hard_limit unit='KiB'>2097152</space_hard_limit></filesystem>"
    )
    s = connect()
    s.call("defineXML", domain_xml(101, devices=fs))
    assert [VZCTL, "--quiet", "set", "101", "--save", "--diskspace", "2097152"] in argvs(s.journal_of_last())
    assert conf_values(sim_host, 101, "DISKSPACE") == ["2097152:2097152"]


def test_define_bridge_interface_adds_a_veth(sim_host: Host, connect: Connect) -> None:
    """The thread's ``<interface type='bridge'><source bridge=.../><mac .../>``: vzctl >=
    3.0.23 gets the bridge in ``--netif_add eth0,MAC,HOST_IF,HOST_MAC,BRIDGE``. The host
    name comes from ``openvzGenerateVethName`` ("veth%d.%d." -- with a trailing dot,
    unlike vzctl's own ``veth101.0``), the host MAC is drawn at random."""
    devices = mount_fs(prepare_private(sim_host, 101)) + bridge_if("vmbr0", "00:16:3e:5d:c7:9e")
    s = connect()
    s.call("defineXML", domain_xml(101, devices=devices))
    journal = argvs(s.journal_of_last())
    assert journal[0] == [VZLIST, "101", "-ovpsid", "-H"]
    assert journal[1][:5] == [VZCTL, "--quiet", "set", "101", "--netif_add"] and journal[1][6:] == ["--save"]
    assert netif_fields(journal[1][5]) == ["eth0", "00:16:3e:5d:c7:9e", "veth101.0.", "*", "vmbr0"]
    (netif,) = conf_values(sim_host, 101, "NETIF")
    assert netif.startswith("ifname=eth0,bridge=vmbr0,mac=00:16:3E:5D:C7:9E,host_ifname=veth101.0.,host_mac=")


def test_a_second_bridge_interface_is_eth1(sim_host: Host, connect: Connect) -> None:
    """``openvzGenerateContainerVethName`` reads NETIF back: the next guest name is
    ``eth<max+1>``, and its host side ``veth101.1.``."""
    devices = (
        mount_fs(prepare_private(sim_host, 101))
        + bridge_if("vmbr0", "00:16:3e:00:00:01")
        + bridge_if("virbr0", "00:16:3e:00:00:02")
    )
    s = connect()
    s.call("defineXML", domain_xml(101, devices=devices))
    adds = [a[5] for a in argvs(s.journal_of_last()) if "--netif_add" in a]
    assert [netif_fields(a) for a in adds] == [
        ["eth0", "00:16:3e:00:00:01", "veth101.0.", "*", "vmbr0"],
        ["eth1", "00:16:3e:00:00:02", "veth101.1.", "*", "virbr0"],
    ]


def test_define_ethernet_ips_adds_venet_addresses(sim_host: Host, connect: Connect) -> None:
    """The thread's routed network ("vzctl set 150 --ipadd 2.2.2.2 --save"): an
    ``<interface type='ethernet'>`` with IPs is one ``vzctl set --ipadd ... --save``."""
    devices = mount_fs(prepare_private(sim_host, 101)) + ethernet_if("10.0.0.101", "10.0.0.102")
    s = connect()
    s.call("defineXML", domain_xml(101, devices=devices))
    assert [
        VZCTL,
        "--quiet",
        "set",
        "101",
        "--ipadd",
        "10.0.0.101",
        "--ipadd",
        "10.0.0.102",
        "--save",
    ] in argvs(s.journal_of_last())
    assert conf_values(sim_host, 101, "IP_ADDRESS") == ["10.0.0.101 10.0.0.102"]


@xfail_claim(
    "openvzDomainSetNetwork returns 0 for anything but bridge/ethernet ('TODO: processing "
    "NAT and physical device'): the define succeeds, no vzctl command is run for the interface "
    "and 101.conf gets no NETIF",
    raises=AssertionError,
    match=r"no bridge=virbr0 in NETIF \[\]",
)
def test_define_network_interface_joins_the_networks_bridge(sim_host: Host, connect: Connect) -> None:
    """The thread (Daniel P. Berrange): NAT is ``<interface type='network'><source
    network='default'/>``; the driver looks up the network's bridge (virbr0 for
    ``default`` on this node) and adds a veth on it."""
    devices = mount_fs(prepare_private(sim_host, 101)) + (
        "<interface type='network'><source network='default'/><mac address='00:16:3e:00:00:03'/></interface>"
    )
    s = connect()
    s.call("defineXML", domain_xml(101, devices=devices))
    netif = conf_values(sim_host, 101, "NETIF")
    assert any("bridge=virbr0" in v for v in netif), f"no bridge=virbr0 in NETIF {netif}"


def test_redefining_a_name_with_another_uuid_is_refused(defined: Session, sim_host: Host) -> None:
    """``virDomainObjListAdd``: same name, other UUID is an error before any command."""
    before = conf_path(sim_host, 101).read_bytes()
    with pytest.raises(LibvirtError, match=f"domain '101' already exists with uuid {UUID_209}"):
        defined.call(
            "defineXML", domain_xml(101, uuid=uuid_for("other"), devices=mount_fs("/vz/private/101"))
        )
    assert defined.journal_of_last() == []
    assert conf_path(sim_host, 101).read_bytes() == before


def test_define_validate_flag_checks_the_schema(sim_host: Host, connect: Connect) -> None:
    """``VIR_DOMAIN_DEFINE_VALIDATE``: an element the schema does not know is refused
    before the driver acts."""
    s = connect()
    bad = domain_xml(101).replace("<devices>", "<devices><frobnicator/>")
    with pytest.raises(LibvirtError):
        s.call("defineXMLFlags", bad, 1)
    assert s.journal_of_last() == []
    assert s.call("listAllDomains") == []


@xfail_claim(
    "openvzDomainUndefineFlags builds 'vzctl --quiet start destroy 101': vzctl takes "
    "'destroy' as the CT ID and answers 'Bad CT ID destroy', exit 21; the CT stays",
    Claim("argv", r"vzctl --quiet start destroy 101$", exit=21),
    raises=LibvirtError,
    match=r"Bad CT ID destroy$",
)
def test_undefine_destroys_the_container(defined: Session, sim_host: Host) -> None:
    """``virDomainUndefine``: the persistent configuration is removed; OpenVZ's way is
    ``vzctl destroy`` (private area gone, ``101.conf`` renamed ``.destroyed``)."""
    try:
        defined.dom("101", "undefine")
    finally:
        commands = argvs(defined.journal_of_last())
    assert commands == [[VZLIST, "101", "-ostatus", "-H"], [VZCTL, "--quiet", "destroy", "101"]]
    assert defined.call("listAllDomains") == []
    assert status(sim_host, 101) == "CTID 101 deleted unmounted down"
    assert (sim_host.root / "etc/vz/conf/101.conf.destroyed").exists()


@xfail_claim(
    "openvzDomainDefineXMLFlags adds the domain to its list (virDomainObjListAdd) before "
    "acting and never removes it on failure: after the error the name is listed and defined",
    # vzctl refuses the name 'web' / one filesystem only (openvz_driver.c:openvzDomainDefineCmd)
    Claim("error", r"^internal error: (Child process \(\S+ --quiet create web |only one filesystem)"),
    raises=AssertionError,
    match=r"^assert \[Domain\(name='web'\)\] == \[\]",
)
@pytest.mark.parametrize(
    "devices",
    [
        pytest.param("", id="vzctl-refuses-the-name"),
        pytest.param(mount_fs("/vz/private/a") + mount_fs("/vz/private/b"), id="two-filesystems"),
    ],
)
def test_a_failed_define_leaves_no_domain(connect: Connect, devices: str) -> None:
    """A define that fails defines nothing (``virDomainDefineXML`` returns NULL)."""
    s = connect()
    with pytest.raises(LibvirtError):
        s.call("defineXML", domain_xml("web", devices=devices))
    assert s.call("listAllDomains") == []
