"""Vcpus family (``openvz_driver.c:openvzDomainSetVcpusFlags``,
``openvzDomainSetVcpusInternal``, ``openvzDomainGetVcpusFlags``,
``openvzDomainGetMaxVcpus``): a domain's vcpus are vzctl's ``--cpus`` (``CPUS``)."""

from __future__ import annotations

import pytest

from simvz.harness.claims import Claim
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.harness.xfail import xfail_claim
from simvz.host import Host
from tests.libvirt.support import (
    AFFECT_CONFIG,
    AFFECT_CURRENT,
    AFFECT_LIVE,
    VCPU_MAXIMUM,
    VZCTL,
    argvs,
    conf_values,
    vzlist,
)

VIR_ERR_INVALID_ARG = 8


def host_cpus(s: Session) -> int:
    """``virHostCPUGetCount()``, as ``virNodeGetCPUMap`` returns it."""
    count: int = s.call("getCPUMap", 0)[0]
    return count


def test_set_vcpus_is_vzctl_set_cpus_save(defined: Session, sim_host: Host) -> None:
    """``virDomainSetVcpus`` (``VIR_DOMAIN_AFFECT_LIVE``): ``vzctl --quiet set 101 --cpus N
    --save``; CPUS in the config, the XML follows."""
    n = host_cpus(defined)
    defined.dom("101", "setVcpus", n)
    assert argvs(defined.journal_of_last()) == [[VZCTL, "--quiet", "set", "101", "--cpus", str(n), "--save"]]
    assert conf_values(sim_host, 101, "CPUS") == [str(n)]
    assert f"<vcpu placement='static'>{n}</vcpu>" in defined.dom("101", "XMLDesc", 0)


def test_vcpus_of_a_running_ct_apply_live(running: Session, sim_host: Host) -> None:
    """On a running CT vzctl applies ``--cpus`` at once; ``vzlist -o cpus`` shows it."""
    running.dom("101", "setVcpusFlags", 1, AFFECT_LIVE)
    assert argvs(running.journal_of_last()) == [[VZCTL, "--quiet", "set", "101", "--cpus", "1", "--save"]]
    assert vzlist(sim_host, "-H", "-ocpus", "101").split() == ["1"]


def test_more_vcpus_than_host_cpus_are_capped(defined: Session) -> None:
    """``openvzDomainSetVcpusInternal`` caps the count at the host's CPUs before calling
    vzctl (while ``getMaxVcpus`` says 1028)."""
    n = host_cpus(defined)
    defined.dom("101", "setVcpus", 100000)
    assert argvs(defined.journal_of_last()) == [[VZCTL, "--quiet", "set", "101", "--cpus", str(n), "--save"]]
    assert f"<vcpu placement='static'>{n}</vcpu>" in defined.dom("101", "XMLDesc", 0)


def test_zero_vcpus_is_refused_before_vzctl(defined: Session, sim_host: Host) -> None:
    """Zero vcpus: an error, no command, CPUS unchanged."""
    with pytest.raises(LibvirtError):
        defined.dom("101", "setVcpus", 0)
    assert defined.journal_of_last() == []
    assert conf_values(sim_host, 101, "CPUS") == ["1"]


@pytest.mark.parametrize("flags", [AFFECT_CONFIG, AFFECT_CURRENT, AFFECT_LIVE | AFFECT_CONFIG])
def test_only_live_vcpu_changes_are_supported(defined: Session, flags: int) -> None:
    """``openvzDomainSetVcpusFlags`` accepts exactly ``VIR_DOMAIN_AFFECT_LIVE``."""
    with pytest.raises(LibvirtError, match=rf"unsupported flags \(0x{flags:x}\)") as err:
        defined.dom("101", "setVcpusFlags", 1, flags)
    assert err.value.code == VIR_ERR_INVALID_ARG
    assert defined.journal_of_last() == []


def test_max_vcpus_of_an_inactive_domain_is_the_hypervisors(defined: Session) -> None:
    """``virDomainGetMaxVcpus``: "If the guest is inactive, this is basically the same as
    virConnectGetMaxVcpus()": 1028."""
    assert defined.dom("101", "maxVcpus") == 1028
    assert defined.dom("101", "vcpusFlags", AFFECT_LIVE | VCPU_MAXIMUM) == 1028


@xfail_claim(
    "openvzDomainGetMaxVcpus returns openvzConnectGetMaxVcpus() (1028) whatever the "
    "domain: a running domain defined with one vcpu reports 1028",
    raises=AssertionError,
    match=r"assert 1028 == 1\b",
)
def test_max_vcpus_of_a_running_domain_is_its_own(running: Session) -> None:
    """``virDomainGetMaxVcpus``: "If the guest is running this will reflect the maximum
    number of virtual CPUs the guest was booted with"."""
    assert running.dom("101", "maxVcpus") == 1


@xfail_claim(
    "openvzDomainGetVcpusFlags accepts only VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_VCPU_MAXIMUM: "
    "flags 0 gives 'invalid argument: unsupported flags (0x0)' ('virsh vcpucount' fails alike)",
    Claim("error", r"^invalid argument: unsupported flags \(0x0\)$", code=8),
    raises=LibvirtError,
)
def test_current_vcpu_count(running: Session) -> None:
    """``virDomainGetVcpusFlags(0)``: the current number of vcpus (1)."""
    assert running.dom("101", "vcpusFlags", AFFECT_CURRENT) == 1
