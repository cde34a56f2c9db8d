"""Autostart family (``openvz_driver.c:openvzDomainSetAutostart``,
``openvzDomainGetAutostart``): a domain's autostart is vzctl's ``--onboot`` (``ONBOOT``)."""

from __future__ import annotations

import pytest

from simvz.harness.claims import Claim
from simvz.harness.libvirt_runner import DriverCrash, Session
from simvz.harness.xfail import xfail_claim
from simvz.host import Host
from tests.libvirt.conftest import Connect
from tests.libvirt.support import VZCTL, argvs, conf_values, vzctl, vzlist


@pytest.mark.parametrize(("flag", "word"), [(1, "yes"), (0, "no")])
def test_set_autostart_is_vzctl_onboot(defined: Session, sim_host: Host, flag: int, word: str) -> None:
    """``openvzDomainSetAutostart``: ``vzctl --quiet set 101 --onboot yes|no --save``; the
    administrator sees ``ONBOOT`` and ``vzlist -o onboot``; the driver reads it back."""
    defined.dom("101", "setAutostart", flag)
    assert argvs(defined.journal_of_last()) == [[VZCTL, "--quiet", "set", "101", "--onboot", word, "--save"]]
    assert conf_values(sim_host, 101, "ONBOOT") == [word]
    assert vzlist(sim_host, "-H", "-oonboot", "101").split() == [word]
    assert defined.dom("101", "autostart") == flag
    assert defined.journal_of_last() == []


def test_autostart_set_by_the_administrator(ct101: Host, connect: Connect) -> None:
    """``openvzDomainGetAutostart`` reads ``ONBOOT`` from the config file each time."""
    s = connect()
    assert vzctl(ct101, "set", "101", "--onboot", "yes", "--save").exit == 0
    assert s.dom("101", "autostart") == 1
    assert vzctl(ct101, "set", "101", "--onboot", "no", "--save").exit == 0
    assert s.dom("101", "autostart") == 0


@xfail_claim(
    "openvzDomainGetAutostart: openvzReadVPSConfigParam returns 0 (not found) and leaves "
    'value NULL when the config has no ONBOOT, then STREQ(value, "yes") dereferences it: SIGSEGV '
    "(no node command runs); 'virsh dominfo' dies the same way (exit 139)",
    Claim("signal", "SIGSEGV"),
    raises=DriverCrash,
    match=r"during autostart\(\) on dom:101",
)
def test_autostart_of_a_ct_without_onboot_is_off(ct101: Host, connect: Connect) -> None:
    """``virDomainGetAutostart`` on a CT whose config never set ONBOOT (every new CT's,
    vzctl's default being not to start at boot): 0."""
    assert connect().dom("101", "autostart") == 0
