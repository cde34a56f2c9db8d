"""Concurrency against the driver: several connections in several processes, and several
threads of one process sharing one connection, change containers at once; afterwards the
node's configs hold every update the calls reported as done. vcpus stay within the
node's CPU count (2 here), which ``openvzDomainSetVcpusInternal`` clamps to.

Each ``Session`` is a process of its own, so threads driving three sessions make three
processes of libvirt call the node's vzctl at once; the one-connection case runs a small
libvirt program with the preload shim whose threads share one ``virConnect``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from simvz.harness import shim
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from tests.libvirt.support import REPO, conf_values, create_ct, status

CTS = (101, 102, 103, 104)
THREADED = """
import json, sys, libvirt
from concurrent.futures import ThreadPoolExecutor
libvirt.registerErrorHandler(lambda _c, _e: None, None)
conn = libvirt.open("openvz:///system")
def work(job):
    ct, cpus = job
    done = []
    for method, args in (("setVcpus", (cpus,)), ("setAutostart", (1,)), ("create", ())):
        try:
            getattr(conn.lookupByName(str(ct)), method)(*args)
            done.append(method)
        except libvirt.libvirtError as err:
            done.append(method + ": " + err.get_error_message())
    return ct, cpus, done
with ThreadPoolExecutor(len(sys.argv) - 1) as pool:
    jobs = [(int(a), i % 2 + 1) for i, a in enumerate(sys.argv[1:])]
    print(json.dumps(list(pool.map(work, jobs))))
"""


@pytest.fixture
def node(sim_host: Host) -> Host:
    """Four CTs made by vzctl, stopped."""
    for ct in CTS:
        create_ct(sim_host, ct)
    return sim_host


def updates_of(session: Session, ct: int, cpus: int) -> list[str]:
    """One connection's updates of one CT: vcpus, autostart, start; what it reported done."""
    done = []
    for method, args in (("setVcpus", (cpus,)), ("setAutostart", (1,)), ("create", ())):
        try:
            session.dom(str(ct), method, *args)
            done.append(method)
        except LibvirtError as err:
            done.append(f"{method}: {err.message}")
    return done


def assert_node_holds(node: Host, reported: list[tuple[int, int, list[str]]]) -> None:
    """Every update reported as done is in the CT's config and status."""
    for ct, cpus, done in reported:
        if "setVcpus" in done:
            assert conf_values(node, ct, "CPUS") == [str(cpus)], (ct, done)
        if "setAutostart" in done:
            assert conf_values(node, ct, "ONBOOT") == ["yes"], (ct, done)
        if "create" in done:
            assert status(node, ct) == f"CTID {ct} exist mounted running", (ct, done)


@pytest.mark.slow
def test_connections_in_several_processes_lose_no_update(node: Host) -> None:
    """Four connections (four processes), each updating its own CT at the same time, and
    then all four updating CT 101's vcpus at once: every reported update is on the node,
    and CT 101 ends with one of the values written. Slow: four driver processes."""
    sessions = [Session(node) for _ in CTS]
    try:
        with ThreadPoolExecutor(len(sessions)) as pool:
            reported = list(
                pool.map(
                    lambda i: (CTS[i], i % 2 + 1, updates_of(sessions[i], CTS[i], i % 2 + 1)), range(len(CTS))
                )
            )
        assert_node_holds(node, reported)
        assert all(done == ["setVcpus", "setAutostart", "create"] for _ct, _c, done in reported), reported
        with ThreadPoolExecutor(len(sessions)) as pool:
            list(pool.map(lambda i: sessions[i].dom("101", "setVcpus", i % 2 + 1), range(len(sessions))))
        assert conf_values(node, 101, "CPUS")[0] in {"1", "2"}
        assert len(conf_values(node, 101, "CPUS")) == 1
    finally:
        for s in sessions:
            s.close()


def test_threads_sharing_one_connection_lose_no_update(node: Host) -> None:
    """Four threads of one process share one ``virConnect`` and update four CTs at once."""
    out = subprocess.run(
        [sys.executable, "-c", THREADED, *map(str, CTS)],
        env=shim.environ(node.root),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    reported = [(ct, cpus, done) for ct, cpus, done in json.loads(out.stdout)]
    assert_node_holds(node, reported)
    assert all(done == ["setVcpus", "setAutostart", "create"] for _ct, _c, done in reported), reported
