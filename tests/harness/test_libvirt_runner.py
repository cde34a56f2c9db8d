"""The libvirt runner: the real libvirt.so OpenVZ driver, in a child process with the
shim, sees the simulated node (``simvz/harness/preload.c``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.harness.facade import VirConnect, VirDomain
from simvz.harness.libvirt_runner import (
    DEFAULT_TIMEOUT,
    TIMEOUT_ENV,
    DriverCrash,
    DriverHung,
    LibvirtError,
    Session,
    SessionDead,
    call_timeout,
)
from simvz.host import Host


def test_connect_reads_the_node(openvz: VirConnect, sim_host: Host) -> None:
    """The driver identifies the hypervisor from ``vzctl --help`` (4.11.1 -> 4011001)."""
    assert openvz.call("getType") == "OpenVZ"
    assert openvz.call("getVersion") == 4011001
    assert openvz.call("listAllDomains") == []
    assert any(e["argv"][-1] == "--help" for e in sim_host.journal())


def test_each_call_returns_the_commands_it_caused(openvz: VirConnect, sim_host: Host) -> None:
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


def test_a_call_on_a_session_whose_driver_crashed_says_the_session_is_dead(sim_host: Host) -> None:
    """Not "killed during listAllDomains()": the crash was during the earlier call."""
    with Session(sim_host) as s:
        with pytest.raises(DriverCrash):
            s.crash_worker()
        with pytest.raises(SessionDead) as dead:
            s.call("listAllDomains")
    text = str(dead.value)
    assert text.startswith("libvirt session is dead, listAllDomains() not run:")
    assert "killed by SIGSEGV during segfault()" in text


def test_a_call_blocked_on_a_node_tool_times_out_naming_the_call_and_the_command(sim_host: Host) -> None:
    """The node's lock held by the test (as a vzctl that never finishes would hold it):
    the driver's first command (``vzlist 101 -ostatus -H``) waits on it; after the (small) timeout the call is
    reported as hung with that command, the driver and the tool are killed, and the
    session is dead."""
    assert sim_host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"]).exit == 0
    with Session(sim_host, timeout=2) as s:
        with sim_host.locked(), pytest.raises(DriverHung) as hung:
            s.dom("101", "create")
        assert hung.value.call == "create() on dom:101"
        assert hung.value.node_command.startswith("vzlist 101 "), hung.value.node_command
        assert str(hung.value).startswith("libvirt driver hung: no answer to create() on dom:101 within 2 s")
        with pytest.raises(SessionDead, match="dead, getType\\(\\) not run: libvirt driver hung"):
            s.call("getType")
    assert sim_host.run("vzlist", ["vzlist", "-a"]).exit in (0, 1)  # the lock is free again


def test_the_call_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "2.5")
    assert call_timeout() == 2.5
    monkeypatch.setenv(TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match="SIMVZ_CALL_TIMEOUT='soon': not a number of seconds"):
        call_timeout()
    monkeypatch.delenv(TIMEOUT_ENV)
    assert call_timeout() == DEFAULT_TIMEOUT


def test_a_hung_driver_call_is_a_hung_row_of_the_matrix(tmp_path: Path) -> None:
    """``--vz-call-timeout`` far below what opening a connection takes: the scenario's
    first driver call is killed and its row says hung, naming the call."""
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "hang.feature").write_text(
        'Feature: Hang\n  Scenario: Defining\n    Given a domain named "5"\n    When the domain is defined\n'
    )
    (tmp_path / "test_hang.py").write_text("from pytest_bdd import scenarios\n\nscenarios('features')\n")
    report = tmp_path / "matrix.json"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--vz-call-timeout", "0.001"]
    done = subprocess.run(
        [*cmd, "--conformance-json", str(report)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    (row,) = json.loads(report.read_text())["scenarios"]
    assert row["result"] == "hung"
    assert row["reason"].startswith("libvirt driver hung: no answer to open(openvz:///system) within 0.001 s")
    assert "last node command:" in row["reason"]
    assert "0 FAILED, 1 hung" in done.stdout


def test_the_openvz_fixture_reads_like_libvirt_python(openvz: VirConnect, sim_host: Host) -> None:
    """Same names and return values as libvirt-python: defineXML returns a domain whose
    methods are virDomain's; lookupByName of a missing name raises an error with
    libvirt's code (VIR_ERR_NO_DOMAIN, 42)."""
    from tests.libvirt.support import domain_xml, mount_fs, prepare_private

    dom = openvz.defineXML(domain_xml(101, devices=mount_fs(prepare_private(sim_host, 101))))
    assert isinstance(dom, VirDomain) and dom.name() == "101"
    assert openvz.lookupByName("101").create() == 0
    assert openvz.lookupByName("101").isActive() == 1
    assert [d.name() for d in openvz.listAllDomains(0)] == ["101"]
    assert openvz.lookupByName("101").state(0) == [1, 1]  # running, booted
    assert [e["argv"][1:] for e in openvz.journal_of_last()] == [["101", "-ostatus", "-H"]]
    with pytest.raises(LibvirtError) as err:
        openvz.lookupByName("102")
    assert err.value.get_error_code() == 42
    assert "no domain with matching name '102'" in err.value.get_error_message()
