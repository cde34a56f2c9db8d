"""Lookup and list family: domains are the node's containers, named by their CT ID (the
thread: "tag name is used for ID"); running ones carry the CT ID as their id
(``openvz_conf.c:openvzLoadDomains``, ``openvz_driver.c:openvzConnectListDomains``,
``openvzConnectListDefinedDomains``, ``openvzDomainLookupBy*``)."""

from __future__ import annotations

import pytest

from simvz.harness.libvirt_runner import Domain, LibvirtError
from simvz.host import Host
from tests.libvirt.conftest import Connect
from tests.libvirt.support import UUID_209, VZLIST, create_ct, vzctl

VIR_ERR_NO_DOMAIN = 42


@pytest.fixture
def two_cts(sim_host: Host) -> Host:
    """CT 101 running and CT 102 stopped, made by the administrator with vzctl."""
    create_ct(sim_host, 101, uuid=UUID_209)
    create_ct(sim_host, 102)
    assert vzctl(sim_host, "start", "101").exit == 0
    return sim_host


def test_list_all_domains_is_every_container(two_cts: Host, connect: Connect) -> None:
    """``openvzConnectListAllDomains`` lists what ``vzlist -a`` listed at open, by name."""
    s = connect()
    assert sorted(s.call("listAllDomains"), key=lambda d: d.name) == [Domain("101"), Domain("102")]
    assert s.journal_of_last() == []


def test_list_domains_id_asks_vzlist_for_running_ids(two_cts: Host, connect: Connect) -> None:
    """``openvzConnectListDomains`` runs ``vzlist -ovpsid -H`` (running CTs only)."""
    s = connect()
    assert s.call("listDomainsID") == [101]
    assert [e["argv"] for e in s.journal_of_last()] == [[VZLIST, "-ovpsid", "-H"]]


def test_list_defined_domains_asks_vzlist_for_stopped_ids(two_cts: Host, connect: Connect) -> None:
    """``openvzConnectListDefinedDomains`` runs ``vzlist -ovpsid -H -S`` (stopped only)."""
    s = connect()
    assert s.call("listDefinedDomains") == ["102"]
    assert [e["argv"] for e in s.journal_of_last()] == [[VZLIST, "-ovpsid", "-H", "-S"]]


def test_numbers_of_domains_come_from_the_connection(two_cts: Host, connect: Connect) -> None:
    """``openvzConnectNumOf(Defined)Domains`` count the in-memory list: no command."""
    s = connect()
    assert (s.call("numOfDomains"), s.call("numOfDefinedDomains")) == (1, 1)
    assert all(c.journal == [] for c in s.calls)


def test_lookup_by_name_id_and_uuid(two_cts: Host, connect: Connect) -> None:
    """``openvzDomainLookupByName/ID/UUID``: the same domain three ways; the id of a
    running domain is its CT ID, a stopped one has -1."""
    s = connect()
    assert s.call("lookupByName", "101") == Domain("101")
    assert s.call("lookupByID", 101) == Domain("101")
    assert s.call("lookupByUUIDString", UUID_209) == Domain("101")
    assert (s.dom("101", "ID"), s.dom("102", "ID")) == (101, -1)
    assert all(c.journal == [] for c in s.calls)


@pytest.mark.parametrize(
    ("method", "arg", "message"),
    [
        ("lookupByName", "999", "no domain with matching name '999'"),
        ("lookupByID", 102, "no domain with matching id '102'"),
        ("lookupByUUIDString", "00000000-0000-0000-0000-000000000999", "no domain with matching uuid"),
    ],
)
def test_unknown_domains_are_no_domain_errors(
    two_cts: Host, connect: Connect, method: str, arg: object, message: str
) -> None:
    """An unknown name, the id of a stopped CT, an unknown UUID: ``VIR_ERR_NO_DOMAIN``."""
    s = connect()
    with pytest.raises(LibvirtError, match=message) as err:
        s.call(method, arg)
    assert err.value.code == VIR_ERR_NO_DOMAIN
    assert s.journal_of_last() == []


def test_a_ct_name_is_not_a_domain_name(sim_host: Host, connect: Connect) -> None:
    """The thread: vzctl's ``--name`` is not used by the driver; the domain is still
    called by its CT ID, and the CT's name finds nothing."""
    create_ct(sim_host, 105, "--name", "test_vm")
    s = connect()
    assert s.call("listAllDomains") == [Domain("105")]
    with pytest.raises(LibvirtError, match="no domain with matching name 'test_vm'"):
        s.call("lookupByName", "test_vm")
