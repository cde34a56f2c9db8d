"""pytest plugin (entry point ``simvz``): a fresh simulated node per test and a libvirt
connection to ``openvz:///system`` on it, the real driver running in a child process
started with the preload shim. ``--libvirt-build DIR`` (declared with the scenario
options in ``steps.plugin``) is the libvirt of every connection the run opens, and the
run's header names the library a process actually maps. The node tools' server for the
session (docs/fastpath.md), or none with ``--tool-server=off``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from simvz.fastpath import server
from simvz.harness import libvirt_runner
from simvz.harness.facade import VirConnect
from simvz.harness.libvirt_build import BuildError, LibvirtBuild, probe
from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from simvz.hostinit import init_host

BUILD = pytest.StashKey[LibvirtBuild | None]()


def pytest_configure(config: pytest.Config) -> None:
    """Every Session of the run (tests/libvirt's, the ``openvz`` fixture's, virsh through
    ``simvz run``) loads ``--libvirt-build``'s library."""
    directory = config.getoption("libvirt_build", None)
    try:
        build = LibvirtBuild.find(directory) if directory else None
    except BuildError as err:
        raise pytest.UsageError(str(err)) from err
    config.stash[BUILD] = build
    libvirt_runner.set_default_build(build)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Back to the system's libvirt (pytester runs in-process)."""
    if BUILD in config.stash:
        libvirt_runner.set_default_build(None)


def pytest_report_header(config: pytest.Config) -> str:
    """``libvirt: libvirt 9.0.0 (/path/libvirt.so...)``: the library a process started as
    the run's Sessions are actually maps (``/proc/self/maps``), not the path asked for."""
    build = config.stash.get(BUILD, None)
    try:
        loaded = probe(build.environ() if build else None)
    except BuildError as err:
        return f"libvirt: ? ({err})"
    return f"libvirt: {loaded.describe()}"


@pytest.fixture
def sim_host(tmp_path: Path) -> Host:
    """A freshly initialised simulated OpenVZ node (``simvz init``) in a temp dir."""
    return init_host(tmp_path / "node")


@pytest.fixture
def openvz(sim_host: Host) -> Iterator[VirConnect]:
    """libvirt's OpenVZ driver connected to ``sim_host``, as libvirt-python's
    ``virConnect`` (``openvz.lookupByName("101").create()``); closed after the test."""
    with Session(sim_host) as session:
        yield VirConnect(session)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--tool-server``: whether the nodes' tools run through a session's tool server."""
    parser.getgroup("simvz").addoption(
        "--tool-server",
        choices=("on", "off"),
        default="on",
        help="on (default): nodes made in this session hand their tool calls to one tool "
        "server per worker; off: every call runs the Python entry (the fallback)",
    )


@pytest.fixture(scope="session", autouse=True)
def tool_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The socket directory of this session's (this worker's) tool server, which every
    node made in the session uses (``SIMVZ_TOOL_SOCKDIR``); stopped at the session's end.
    With ``--tool-server=off`` the directory stays empty: every call falls back."""
    sockdir = tmp_path_factory.mktemp("tool-server")
    sockdir.chmod(0o700)
    previous = os.environ.get(server.SOCKDIR_ENV)
    os.environ[server.SOCKDIR_ENV] = str(sockdir)
    proc = server.start(str(sockdir)) if request.config.getoption("tool_server") == "on" else None
    try:
        yield sockdir
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        if previous is None:
            os.environ.pop(server.SOCKDIR_ENV, None)
        else:
            os.environ[server.SOCKDIR_ENV] = previous
