"""Update-device family (``openvz_driver.c:openvzDomainUpdateDeviceFlags``,
``openvzUpdateDevice``, ``openvzSetDiskQuota``): only a filesystem's quota may change
(the thread: disk quota "can be changed on running container (increase/decrease)")."""

from __future__ import annotations

import pytest

from simvz.harness.claims import Claim
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.harness.xfail import xfail_claim
from simvz.host import Host
from simvz.inspect import inspect
from tests.libvirt.conftest import Connect
from tests.libvirt.support import (
    AFFECT_CONFIG,
    AFFECT_LIVE,
    VZCTL,
    argvs,
    conf_values,
    create_ct,
    node_state,
    template_fs,
    vzctl,
)

VIR_ERR_INVALID_ARG, VIR_ERR_CONFIG_UNSUPPORTED = 8, 67
NEW_QUOTA = template_fs("centos-6-x86", hard_kib=2097152, soft_kib=1572864)


@pytest.fixture
def ct102(sim_host: Host) -> Host:
    """CT 102 made by vzctl with a quota the driver can read (1K blocks, no suffixes)."""
    create_ct(sim_host, 102, "--diskspace", "1048576:1153434")
    return sim_host


@xfail_claim(
    "a CT read from the node has accessmode 'default' (openvzReadFSConf), a parsed "
    "<filesystem> gets 'passthrough' (virDomainFSDefPostParse), so openvzUpdateDevice refuses "
    "every update of a CT it did not define in this connection: 'Can only modify disk quota', "
    "no vzctl command",
    Claim("error", r"^unsupported configuration: Can only modify disk quota$"),
    raises=LibvirtError,
)
def test_update_quota_in_the_config(ct102: Host, connect: Connect) -> None:
    """``VIR_DOMAIN_AFFECT_CONFIG``: ``vzctl --quiet set 102 --save --diskspace S:H``."""
    s = connect()
    try:
        s.dom("102", "updateDeviceFlags", NEW_QUOTA, AFFECT_CONFIG)
    finally:
        commands = argvs(s.journal_of_last())
    assert commands == [[VZCTL, "--quiet", "set", "102", "--save", "--diskspace", "1572864:2097152"]]
    assert conf_values(ct102, 102, "DISKSPACE") == ["1572864:2097152"]


@xfail_claim(
    "same accessmode mismatch as above: 'unsupported configuration: Can only modify disk "
    "quota' for the running CT, no vzctl command",
    Claim("error", r"^unsupported configuration: Can only modify disk quota$"),
    raises=LibvirtError,
)
def test_update_quota_of_a_running_ct_live(ct102: Host, connect: Connect) -> None:
    """``VIR_DOMAIN_AFFECT_LIVE`` on a running CT: ``vzctl set --diskspace`` without
    ``--save`` changes vzquota's limits at once, the config stays."""
    assert vzctl(ct102, "start", "102").exit == 0
    s = connect()
    s.dom("102", "updateDeviceFlags", NEW_QUOTA, AFFECT_LIVE)
    assert argvs(s.journal_of_last()) == [[VZCTL, "--quiet", "set", "102", "--diskspace", "1572864:2097152"]]
    (ct,) = inspect(ct102)["containers"]
    assert ct["quota"] is not None
    assert (ct["quota"]["bsoft"], ct["quota"]["bhard"]) == (1572864, 2097152)
    assert conf_values(ct102, 102, "DISKSPACE") == ["1048576:1153434"]


@xfail_claim(
    "openvzSetDiskQuota acts only on type='template': for the mount filesystem the update "
    "returns 0 and the driver's XML shows the new limits, but no vzctl command runs and "
    "DISKSPACE stays the sample's 2G:2.2G",
    raises=AssertionError,
    match=r"^assert \[\] == \[\[",
)
def test_update_quota_of_a_mount_filesystem(defined: Session, sim_host: Host) -> None:
    """The defined domain's mount filesystem with a quota: saved with vzctl."""
    fs = (
        "<filesystem type='mount'><source dir='/vz/private/101'/><target dir='/'/>"
        "<space_hard_limit unit='KiB'>2097152</space_hard_limit>"
        "<space_soft_limit unit='KiB'>1572864</space_soft_limit></filesystem>"
    )
    defined.dom("101", "updateDeviceFlags", fs, AFFECT_CONFIG)
    assert argvs(defined.journal_of_last()) == [
        [VZCTL, "--quiet", "set", "101", "--save", "--diskspace", "1572864:2097152"]
    ]
    assert conf_values(sim_host, 101, "DISKSPACE") == ["1572864:2097152"]


@pytest.mark.parametrize(
    ("xml", "code", "message"),
    [
        pytest.param(
            "<interface type='ethernet'><ip address='10.1.1.1'/></interface>",
            VIR_ERR_CONFIG_UNSUPPORTED,
            "Can't modify device type 'interface'",
            id="not-a-filesystem",
        ),
        pytest.param(
            "<filesystem type='mount'><source dir='/vz/private/101'/><target dir='/data'/></filesystem>",
            VIR_ERR_INVALID_ARG,
            "target /data doesn't exist",
            id="unknown-target",
        ),
        pytest.param(
            "<filesystem type='mount'><source dir='/srv/other'/><target dir='/'/></filesystem>",
            VIR_ERR_CONFIG_UNSUPPORTED,
            "Can only modify disk quota",
            id="other-source",
        ),
    ],
)
def test_only_the_quota_may_change(
    defined: Session, sim_host: Host, xml: str, code: int, message: str
) -> None:
    """Anything but a filesystem quota is refused with a clear error; the node is as before."""
    before = node_state(sim_host)
    with pytest.raises(LibvirtError, match=message) as err:
        defined.dom("101", "updateDeviceFlags", xml, AFFECT_CONFIG)
    assert err.value.code == code
    assert defined.journal_of_last() == []
    assert node_state(sim_host) == before


def test_live_update_of_a_stopped_domain_is_invalid(defined: Session) -> None:
    """``virDomainObjGetOneDef``: ``VIR_DOMAIN_AFFECT_LIVE`` needs a running domain."""
    with pytest.raises(LibvirtError, match="domain is not running"):
        defined.dom("101", "updateDeviceFlags", NEW_QUOTA, AFFECT_LIVE)
    assert defined.journal_of_last() == []
