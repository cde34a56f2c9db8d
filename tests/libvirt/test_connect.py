"""Connect family: opening ``openvz:///system`` on a simulated node, the hypervisor's
identity and the node's (machine's) resources (``openvz_driver.c:openvzConnectOpen`` and
the ``connect*``/``node*`` entries of ``openvzHypervisorDriver``)."""

from __future__ import annotations

import platform
import socket

import pytest

from simvz.harness.facade import VirConnect
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from tests.libvirt.conftest import Connect
from tests.libvirt.support import UUID_209, VZCTL, VZLIST, conf_path, connect, create_ct, uuid_lines

VIR_ERR_INVALID_ARG = 8


def test_open_lists_the_node_then_reads_the_vzctl_version(sim_host: Host) -> None:
    """``openvzConnectOpen``: ``openvzLoadDomains`` runs ``vzlist -a -ovpsid,status -H``,
    then ``openvzExtractVersion`` runs ``vzctl --help``; nothing else touches the node."""
    session, commands = connect(sim_host)
    with session:
        assert commands == [[VZLIST, "-a", "-ovpsid,status", "-H"], [VZCTL, "--help"]]


def test_type_and_version_come_from_vzctl_help(openvz: VirConnect) -> None:
    """``openvzExtractVersionInfo``: ``vzctl version 4.11.1`` is version 4011001."""
    assert openvz.call("getType") == "OpenVZ"
    assert openvz.call("getVersion") == 4011001
    assert openvz.journal_of_last() == []


def test_no_uri_probes_openvz_when_proc_vz_is_writable(sim_host: Host) -> None:
    """``openvzConnectURIProbe``: with no URI, libvirt picks ``openvz:///system`` when
    ``/proc/vz`` exists and is writable (the simulated node's, through the shim)."""
    with Session(sim_host, uri="") as s:
        assert s.call("getURI") == "openvz:///system"


def test_open_appends_a_uuid_to_each_container_config(sim_host: Host, connect: Connect) -> None:
    """``openvzAssignUUIDs``: every ``<N>.conf`` (N > 0) without a ``#UUID:`` line gets one
    appended at open, and the domain carries it; a later open keeps it. ``0.conf`` (the
    host's) is left alone."""
    create_ct(sim_host, 101)
    host_conf = conf_path(sim_host, 0).read_bytes()
    first = connect()
    (line,) = uuid_lines(sim_host, 101)
    assert first.dom("101", "UUIDString") == line.split()[1]
    connect()
    assert uuid_lines(sim_host, 101) == [line]
    assert conf_path(sim_host, 0).read_bytes() == host_conf


def test_an_existing_uuid_line_is_the_domain_uuid(sim_host: Host, connect: Connect) -> None:
    """``openvzGetVPSUUID`` reads ``#UUID: <uuid>``; the thread's UUID comes back."""
    create_ct(sim_host, 209, uuid=UUID_209)
    assert connect().dom("209", "UUIDString") == UUID_209
    assert uuid_lines(sim_host, 209) == [f"#UUID: {UUID_209}"]


def test_a_connection_never_rereads_the_node(sim_host: Host, openvz: VirConnect) -> None:
    """The domain list is loaded once at open: a CT the administrator creates afterwards
    is unknown to that connection (a new one sees it)."""
    create_ct(sim_host, 102)
    assert openvz.call("listAllDomains") == []
    with pytest.raises(LibvirtError, match="no domain with matching name '102'"):
        openvz.call("lookupByName", "102")


def test_capabilities_offer_exe_guests_of_type_openvz(openvz: VirConnect) -> None:
    """``openvzCapsInit``: one guest, ``os_type exe``, ``<domain type='openvz'/>``, on the
    machine's architecture."""
    caps = openvz.call("getCapabilities")
    assert "<os_type>exe</os_type>" in caps
    assert "<domain type='openvz'/>" in caps
    assert f"<arch name='{platform.machine()}'>" in caps
    assert openvz.journal_of_last() == []


def test_node_info_and_stats_are_the_machines(openvz: VirConnect) -> None:
    """``openvzNodeGetInfo`` and the ``nodeGet*`` entries read the machine (``/proc``,
    ``/sys``), which the shim does not redirect; no node command runs."""
    model, memory_mib, cpus, *_ = openvz.call("getInfo")
    assert model == platform.machine() and memory_mib > 0
    assert openvz.call("getCPUMap", 0)[0] == cpus
    assert openvz.call("getFreeMemory") > 0
    assert len(openvz.call("getCellsFreeMemory", 0, 1)) == 1
    assert "total" in openvz.call("getMemoryStats", -1, 0)
    assert "user" in openvz.call("getCPUStats", -1, 0)
    assert all(c.journal == [] for c in openvz.calls)


def test_hostname_is_the_machines(openvz: VirConnect) -> None:
    """``openvzConnectGetHostname`` is ``virGetHostname()``: the machine's name (uname is
    not redirected), not the simulated node's ``simvz-node``."""
    name = openvz.call("getHostname")
    assert name.split(".")[0] == socket.gethostname().split(".")[0]
    assert openvz.journal_of_last() == []


def test_max_vcpus_is_1028_for_openvz_only(openvz: VirConnect) -> None:
    """``openvzConnectGetMaxVcpus``: 1028 ("OpenVZ has no limitation") for no type or
    ``openvz`` (any case); another type is an invalid argument."""
    assert openvz.call("getMaxVcpus", None) == 1028
    assert openvz.call("getMaxVcpus", "OpenVZ") == 1028
    with pytest.raises(LibvirtError, match="unknown type 'kvm'") as err:
        openvz.call("getMaxVcpus", "kvm")
    assert err.value.code == VIR_ERR_INVALID_ARG


def test_local_connection_is_secure_unencrypted_and_alive(openvz: VirConnect) -> None:
    """``openvzConnectIsSecure`` (CLI tools run directly), ``IsEncrypted``, ``IsAlive``."""
    assert openvz.call("isSecure") == 1
    assert openvz.call("isEncrypted") == 0
    assert openvz.call("isAlive") == 1
