"""The libvirt runner: the real libvirt.so OpenVZ driver, in a child process with the
shim, sees the simulated node (``simvz/harness/preload.c``)."""

from __future__ import annotations

import pytest

from simvz.harness.libvirt_runner import DriverCrash, LibvirtError, Session
from simvz.host import Host


def test_connect_reads_the_node(openvz: Session, sim_host: Host) -> None:
    """The driver identifies the hypervisor from ``vzctl --help`` (4.11.1 -> 4011001)."""
    assert openvz.call("getType") == "OpenVZ"
    assert openvz.call("getVersion") == 4011001
    assert openvz.call("listAllDomains") == []
    assert any(e["argv"][-1] == "--help" for e in sim_host.journal())


def test_each_call_returns_the_commands_it_caused(openvz: Session, sim_host: Host) -> None:
    r = sim_host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    assert r.exit == 0
    with Session(sim_host) as fresh:  # a connection reads the node when it opens
        names = [d.name for d in fresh.call("listAllDomains")]
        assert names == ["101"]
        fresh.dom("101", "create")
        assert [e["argv"][1:] for e in fresh.journal_of_last()][-1] == ["--quiet", "start", "101"]


def test_a_wrong_uri_is_a_libvirt_error(sim_host: Host) -> None:
    with pytest.raises(LibvirtError):
        Session(sim_host, uri="openvz:///session")


def test_a_crash_in_the_driver_names_the_signal_and_the_call(sim_host: Host) -> None:
    """A SIGSEGV in the driver's process is reported as a failure naming the signal and
    the call, and the test session goes on."""
    with Session(sim_host) as s, pytest.raises(DriverCrash) as crash:
        s.crash_worker()
    assert crash.value.returncode == -11
    assert "killed by SIGSEGV during segfault()" in str(crash.value)
