"""pytest plugin (entry point ``simvz``): a fresh simulated node per test and a libvirt
connection to ``openvz:///system`` on it, the real driver running in a child process
started with the preload shim."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from simvz.hostinit import init_host


@pytest.fixture
def sim_host(tmp_path: Path) -> Host:
    """A freshly initialised simulated OpenVZ node (``simvz init``) in a temp dir."""
    return init_host(tmp_path / "node")


@pytest.fixture
def openvz(sim_host: Host) -> Iterator[Session]:
    """libvirt's OpenVZ driver connected to ``sim_host``; closed after the test."""
    with Session(sim_host) as session:
        yield session
