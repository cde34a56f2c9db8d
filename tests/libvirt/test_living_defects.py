"""The driver's defects the living-host table found (docs/living-host.md), one named test
each, with its minimal example: the test asserts what libvirt's API documents and is a
strict expected failure that must fail as its claim says (``xfail_claim``,
docs/verdicts.md): the exception type it names, and a claim found in the test's
evidence, which the plugin gathers (every call of the test's Sessions, with its libvirt
error and node commands, and the node's journal) or, for a ``state`` claim, the value
the test observes under the claim's key just before asserting on it.

Each starts from CT 101 made by vzctl (stopped, ``#UUID:`` fixed) and CT 102, and does
only what the administrator does in the example.
"""

from __future__ import annotations

import pytest

from simvz.harness.claims import Claim
from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.harness.xfail import evidence, xfail_claim
from simvz.host import Host
from tests.libvirt.entrypoints import NO_DOMAIN
from tests.libvirt.support import PAUSED, UUID_209, conf_path, create_ct, domain_xml, vzctl

# the driver's answers below are observed under these keys
ACTIVE, STATE, LOOKUP = "isActive of 101", "state of 101", "lookupByName('101')"


@pytest.fixture
def node(sim_host: Host) -> Host:
    """CT 101 (``#UUID:`` fixed) and CT 102, made by vzctl, stopped."""
    create_ct(sim_host, 101, "--hostname", "ct101.example.com", uuid=UUID_209)
    create_ct(sim_host, 102)
    return sim_host


def admin(host: Host, *args: str) -> None:
    """The administrator's ``vzctl ARGS``, which works."""
    r = vzctl(host, *args)
    assert r.exit == 0, (args, r.exit, r.err)


@xfail_claim(
    "openvz_conf.c:openvzLoadDomains reads the UUID of every CT `vzlist -a` prints from its "
    "config; the config is gone and the whole connection fails",
    Claim("error", r"UUID in config file malformed"),
    raises=LibvirtError,
)
def test_connect_with_a_running_ct_whose_config_is_gone(node: Host) -> None:
    """``vzctl start 101; rm /etc/vz/conf/101.conf``: the node's other domains stay
    reachable through a new connection."""
    admin(node, "start", "101")
    conf_path(node, 101).unlink()
    with Session(node) as s:
        assert s.dom("102", "isActive") == 0


@pytest.mark.parametrize("how", [("mount", "101"), ("chkpnt", "101")], ids=["mounted", "dumped"])
@xfail_claim(
    "openvz_conf.c:openvzLoadDomains marks every CT whose vzlist status is not 'stopped' "
    "as running with its id",
    Claim("state", "1", key=ACTIVE),
    raises=AssertionError,
)
def test_a_ct_that_is_not_running_is_inactive_at_connect(node: Host, how: tuple[str, str]) -> None:
    """``vzctl mount 101`` (vzlist: mounted) or ``vzctl start 101; vzctl chkpnt 101``
    (vzlist: suspended), then connect: domain 101 is not active."""
    if how[0] == "chkpnt":
        admin(node, "start", "101")
    admin(node, *how)
    with Session(node) as s:
        active = s.dom("101", "isActive")
        evidence().observe(ACTIVE, str(active))
        assert active == 0


@xfail_claim(
    "the driver reads the node's containers once, at open (openvz_conf.c:openvzLoadDomains): "
    "the domain keeps the inactive state the connection saw",
    Claim("state", "0", key=ACTIVE),
    raises=AssertionError,
)
def test_a_ct_started_behind_the_connection_is_active(node: Host) -> None:
    """Connect, then ``vzctl start 101``: a fresh lookup of 101 is active."""
    with Session(node) as s:
        admin(node, "start", "101")
        active = s.dom("101", "isActive")
        evidence().observe(ACTIVE, str(active))
        assert active == 1


@xfail_claim(
    "openvz_driver.c:openvzDomainGetInfo asks vzlist the state (running) and then reads "
    "the cputime of the id the connection saw at open: -1",
    Claim("error", r"cannot read cputime for domain -1"),
    raises=LibvirtError,
)
def test_info_of_a_ct_started_behind_the_connection(node: Host) -> None:
    """Connect, then ``vzctl start 101``: ``info()`` answers, RUNNING."""
    with Session(node) as s:
        admin(node, "start", "101")
        assert s.dom("101", "info")[0] == 1


@xfail_claim(
    "the driver keeps the domains it loaded at open: a CT destroyed since is still found",
    Claim("state", "found", key=LOOKUP),
    raises=AssertionError,
)
def test_a_ct_destroyed_behind_the_connection_is_gone(node: Host) -> None:
    """Connect, then ``vzctl destroy 101``: domain 101 no longer exists."""
    with Session(node) as s:
        admin(node, "destroy", "101")
        try:
            s.call("lookupByName", "101")
        except LibvirtError as err:
            assert err.code == NO_DOMAIN, err.message
        else:
            evidence().observe(LOOKUP, "found")
            raise AssertionError("domain 101 is still found")


@xfail_claim(
    "openvz_driver.c:openvzDomainDefineXMLFlags runs `vzctl create` for a domain that "
    "already exists; vzctl refuses (exit 44) and the define fails",
    Claim("argv", r"vzctl --quiet create 101 --name 101$", exit=44),
    raises=LibvirtError,
)
def test_redefining_an_existing_domain_updates_it(node: Host) -> None:
    """``defineXML`` of domain 101 (same name and UUID) with two vcpus updates its config."""
    with Session(node) as s:
        s.call("defineXML", domain_xml(101, uuid=UUID_209, vcpu=2))
        assert 'CPUS="2"' in conf_path(node, 101).read_text().splitlines()


@xfail_claim(
    "openvz_driver.c:openvzGetVEStatus knows only vzlist's running/stopped: a frozen CT is RUNNING",
    Claim("state", "1", key=STATE),
    raises=AssertionError,
)
def test_a_frozen_ct_is_paused(node: Host) -> None:
    """``vzctl start 101; vzctl chkpnt 101 --suspend``, then connect: domain 101 is
    PAUSED (vzctl and vzlist still say running)."""
    admin(node, "start", "101")
    admin(node, "chkpnt", "101", "--suspend")
    with Session(node) as s:
        state = s.dom("101", "state", 0)[0]
        evidence().observe(STATE, str(state))
        assert state == PAUSED
