"""Migration steps: a second OpenVZ host (the backend's peer), a domain migrated to it
through libvirt's driver (``virDomainMigrate3``, offline or live), and what each host's
administrator, and libvirt on each host, sees after."""

from __future__ import annotations

import shlex

import pytest
from pytest_bdd import given, parsers, then, when

from simvz.backends.base import HostBackend, Unavailable
from simvz.harness.claims import CallRecord
from simvz_steps.world import World, journal_command

# -- Given: the second host -------------------------------------------------------------------


@given("a second OpenVZ host")
def second_host(world: World) -> None:
    """The host's peer, reachable by its host name (a second simulated node; a real host
    without a configured peer skips the scenario)."""
    try:
        world.peer = world.host.peer()
    except Unavailable as why:
        pytest.skip(f"the host lacks what this scenario needs: {why}")


@given(parsers.parse('the second host\'s administrator runs "{command}"'))
def peer_admin_runs(world: World, command: str) -> None:
    """Run a vzctl/vzlist command line on the second host; it must succeed."""
    r = _peer(world).run(world.ids.command(shlex.split(command)))
    assert r.ok, f"{command} on the second host: exit {r.exit}\n{r.stderr}"


# -- When: the migration ----------------------------------------------------------------------


@when(parsers.re(r"the domain (?P<ctid>\d+) is migrated (?P<live>live )?to the second host$"))
def migrate(world: World, ctid: str, live: str | None) -> None:
    """``virDomainMigrate3`` to the second host (``VIR_MIGRATE_LIVE`` when live), the
    URI naming it by its host name. Connections opened before are closed after: the
    OpenVZ driver reads the containers when a connection opens
    (``libvirt src/openvz/openvz_driver.c:openvzConnectOpen``), so the next step sees
    the hosts as a new ``virsh`` would."""
    name = world.ids.name(ctid)
    record = CallRecord(f"migrate{' live' if live else ''} {name} to the second host")
    world.evidence.calls.append(record)
    outcome = world.host.migrate(name, _peer(world), bool(live))
    record.commands = [journal_command(e) for e in outcome.journal]
    world.close()
    world.value, world.error = outcome, outcome.error
    world.commands = [list(e["argv"]) for e in outcome.journal] or None
    if outcome.error is not None:
        err = outcome.error
        record.error = {
            "code": getattr(err, "code", None),
            "domain": getattr(err, "domain", None),
            "message": getattr(err, "message", str(err)),
        }


# -- Then: each host ----------------------------------------------------------------------------


@then(parsers.re(r"the second host has container (?P<ctid>\d+) (?P<state>running|stopped)$"))
def peer_has(world: World, ctid: str, state: str) -> None:
    """``vzctl status`` on the second host: the container exists, running or down."""
    words = _peer(world).run(["vzctl", "status", world.ids.name(ctid)]).stdout.split()
    world.observe("vzctl status on the second host", " ".join(words))
    assert words[2:3] == ["exist"], words
    assert ("running" if state == "running" else "down") in words, words


@then(parsers.parse("the second host has no container {ctid:d}"))
def peer_lacks(world: World, ctid: int) -> None:
    """``vzctl status`` on the second host says ``deleted``."""
    words = _peer(world).run(["vzctl", "status", str(world.ids.ct(ctid))]).stdout.split()
    world.observe("vzctl status on the second host", " ".join(words))
    assert words[2:3] == ["deleted"], words


@then(parsers.parse("the first host no longer has container {ctid:d}"))
def first_lacks(world: World, ctid: int) -> None:
    """``vzctl status`` on the first host says ``deleted``, and its config is gone."""
    words = world.host.run(["vzctl", "status", str(world.ids.ct(ctid))]).stdout.split()
    world.observe("vzctl status", " ".join(words))
    assert words[2:3] == ["deleted"], words
    assert world.host.read(f"/etc/vz/conf/{world.ids.ct(ctid)}.conf") is None


@then(
    parsers.re(r"the driver ran vzmigrate (?P<live>--live )?to the second host for container (?P<ctid>\d+)$")
)
def ran_vzmigrate(world: World, live: str | None, ctid: str) -> None:
    """The source host's journal has ``vzmigrate [--live] <second host's name> <CT>``
    (a real host keeps none: the scenario is skipped there)."""
    if world.commands is None:
        pytest.skip("the host keeps no journal of the commands the driver runs")
    dest = _peer(world).inspect()["hostname"]
    want = ["vzmigrate", *(["--live"] if live else []), dest, world.ids.name(ctid)]
    ran = [[argv[0].rsplit("/", 1)[-1], *argv[1:]] for argv in world.commands]
    assert want in ran, "the driver ran:\n" + "\n".join(shlex.join(a) for a in ran)


@then(
    parsers.re(
        r"libvirt on the second host lists domain (?P<ctid>\d+) as (?P<state>running|paused|shut off)$"
    )
)
def peer_listed(world: World, ctid: str, state: str) -> None:
    """``virDomainGetState`` through a connection to the second host."""
    codes = {"running": 1, "paused": 3, "shut off": 5}
    got = world.peer_driver.dom(world.ids.name(ctid), "state", 0)[0]
    assert got == codes[state], f"state {got}"


def _peer(world: World) -> HostBackend:
    assert world.peer is not None, "no second host (Given a second OpenVZ host)"
    return world.peer
