"""Fixtures of the libvirt driver tests: connections opened on demand (a connection
reads the node's containers only when it opens, ``openvz_conf.c:openvzLoadDomains``),
a CT made by the administrator, and a domain defined through the driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from tests.libvirt.support import UUID_209, create_ct, domain_xml, mount_fs, prepare_private

Connect = Callable[[], Session]


@pytest.fixture
def connect(sim_host: Host) -> Iterator[Connect]:
    """Opens connections to ``sim_host`` (each a fresh driver); all closed afterwards."""
    opened: list[Session] = []

    def open_one() -> Session:
        opened.append(Session(sim_host))
        return opened[-1]

    yield open_one
    for s in opened:
        s.close()


@pytest.fixture
def ct101(sim_host: Host) -> Host:
    """The node with CT 101 made by ``vzctl create 101 --ostemplate centos-6-x86
    --hostname ct101.example.com`` (stopped), its ``#UUID:`` fixed."""
    create_ct(sim_host, 101, "--hostname", "ct101.example.com", uuid=UUID_209)
    return sim_host


@pytest.fixture
def defined(sim_host: Host, connect: Connect) -> Session:
    """A connection on which domain 101 was defined with a mount filesystem on a private
    area the administrator prepared from a template (stopped)."""
    private = prepare_private(sim_host, 101)
    s = connect()
    s.call("defineXML", domain_xml(101, uuid=UUID_209, devices=mount_fs(private)))
    return s


@pytest.fixture
def running(defined: Session) -> Session:
    """Domain 101 defined as in ``defined``, then started through the driver."""
    defined.dom("101", "create")
    return defined
