"""Hostname family (``openvz_driver.c:openvzDomainGetHostname``,
``openvz_util.c:openvzVEGetStringParam``): the guest's hostname is vzctl's
``HOSTNAME``, read with ``vzlist -o hostname <CT> -H`` on every call."""

from __future__ import annotations

import pytest

from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from tests.libvirt.conftest import Connect
from tests.libvirt.support import VZLIST, argvs, vzctl

VIR_ERR_OPERATION_FAILED = 9
QUERY = [VZLIST, "-o", "hostname", "101", "-H"]


def test_hostname_is_vzlists(ct101: Host, connect: Connect) -> None:
    """The CT made with ``--hostname ct101.example.com`` answers that name."""
    s = connect()
    assert s.dom("101", "hostname", 0) == "ct101.example.com"
    assert argvs(s.journal_of_last()) == [QUERY]


def test_hostname_follows_the_config(ct101: Host, connect: Connect) -> None:
    """Each call asks vzlist again: a change by the administrator shows at once."""
    s = connect()
    assert vzctl(ct101, "set", "101", "--hostname", "web.example.org", "--save").exit == 0
    assert s.dom("101", "hostname", 0) == "web.example.org"


def test_an_unset_hostname_is_an_error(defined: Session) -> None:
    """vzlist prints an unset hostname as ``-``: ``VIR_ERR_OPERATION_FAILED``."""
    with pytest.raises(LibvirtError, match="Hostname of '101' is unset") as err:
        defined.dom("101", "hostname", 0)
    assert err.value.code == VIR_ERR_OPERATION_FAILED
    assert argvs(defined.journal_of_last()) == [QUERY]


def test_hostname_flags_must_be_zero(ct101: Host, connect: Connect) -> None:
    """``virCheckFlags(0)``: any flag is refused before vzlist runs."""
    s = connect()
    with pytest.raises(LibvirtError, match="unsupported flags"):
        s.dom("101", "hostname", 1)
    assert s.journal_of_last() == []
