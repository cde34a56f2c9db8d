"""The backends' migration contract: a peer host and a migration through libvirt's
driver. The simulated host makes a registered peer node; a real host has none
configured, which makes a migration scenario not runnable there; the guard refuses a
migration of a container outside the reserved range before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvz.backends.base import Unavailable
from simvz.backends.guarded import GuardedBackend
from simvz.backends.local import LocalBackend
from simvz.backends.sim import PEER_NAME, SimBackend
from simvz.harness.guard import CtidRange, Guard, GuardError
from simvz.hostinit import init_host
from tests.conftest import create_ct, start_ct


def guarded(tmp_path: Path) -> tuple[SimBackend, GuardedBackend]:
    """A fresh simulated host, and it behind the guard of the default range."""
    sim = SimBackend(init_host(tmp_path / "node"))
    return sim, GuardedBackend(sim, Guard(sim, CtidRange.parse("990000-990999"), real=False))


def test_the_simulated_peer_is_one_second_node_found_by_its_host_name(tmp_path: Path) -> None:
    """vzmigrate on the first node reaches the peer by the name the URI gives it."""
    sim, host = guarded(tmp_path)
    peer = host.peer()
    assert peer is host.peer()  # the same second host for the whole scenario
    assert peer.inspect()["hostname"] == PEER_NAME
    assert peer.inspect()["containers"] == []
    create_ct(sim.host, 990101)
    start_ct(sim.host, 990101)
    r = host.run(["vzmigrate", PEER_NAME, "990101"])
    assert r.ok, r.stderr
    words = peer.run(["vzctl", "status", "990101"]).stdout.split()
    assert words[2:] == ["exist", "mounted", "running"]


def test_the_peers_commands_are_guarded_too(tmp_path: Path) -> None:
    peer = guarded(tmp_path)[1].peer()
    with pytest.raises(GuardError, match="outside the reserved range"):
        peer.run(["vzctl", "start", "101"])


def test_the_guard_refuses_to_migrate_a_container_outside_the_range(tmp_path: Path) -> None:
    """Nothing runs: no driver process, no vzmigrate in the journal."""
    sim, host = guarded(tmp_path)
    before = len(sim.host.journal())
    with pytest.raises(GuardError, match="reserved range"):
        host.migrate("101", host.peer(), live=False)
    assert len(sim.host.journal()) == before


def test_a_real_host_has_no_peer_and_does_not_migrate() -> None:
    """Unavailable, as a missing template is: the step skips the scenario with it."""
    with pytest.raises(Unavailable, match="no second OpenVZ host is configured"):
        LocalBackend().peer()
    with pytest.raises(Unavailable, match="no second OpenVZ host is configured"):
        LocalBackend().migrate("990101", LocalBackend(), live=True)
