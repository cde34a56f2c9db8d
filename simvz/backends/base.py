"""The host backend contract: run a command as the host's administrator, read a file,
open the libvirt driver on the host. Steps never know which host they talk to.

Two backends implement it: :class:`simvz.backends.sim.SimBackend` (a simulated node, the
driver through the preload shim) and :class:`simvz.backends.local.LocalBackend` (this
machine's own OpenVZ host, observed through its real tools and files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from simvz.hostview import HostView, NetworkView


class Unavailable(Exception):
    """The host lacks something a scenario needs (a template, a bridge, a spare NIC) and
    a real host is only checked, never arranged: the scenario is skipped with this."""


@dataclass(frozen=True)
class CommandResult:
    """What a command printed and returned (as pytest-testinfra's CommandResult)."""

    argv: tuple[str, ...]
    exit: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.exit == 0


@dataclass(frozen=True)
class Migrated:
    """What a migration of a domain to a peer host came to."""

    domain: str | None  # the domain's name on the destination; None: the migration failed
    error: Exception | None  # libvirt's error (``LibvirtError``) when it failed
    # the source host's journal entries of the migration (argv, exit, stderr); empty on a
    # host that keeps no journal
    journal: list[dict[str, Any]] = field(default_factory=list)


class Driver(Protocol):
    """A libvirt connection (``simvz.harness.libvirt_runner.Session`` fits)."""

    def call(self, method: str, *args: Any) -> Any:
        """``virConnect.<method>``."""

    def dom(self, name: str, method: str, *args: Any) -> Any:
        """``virDomain.<method>`` on the domain ``name``."""

    def close(self) -> None:
        """End the connection."""


class HostBackend(Protocol):
    """An OpenVZ host as its administrator sees it."""

    name: str  # shown in test ids and the matrix header, e.g. "sim"

    def run(self, argv: list[str]) -> CommandResult:
        """Run ``argv`` (``vzctl``, ``vzlist``, ...; never a shell string)."""

    def read(self, path: str) -> str | None:
        """A file of the host (``/etc/vz/conf/101.conf``), None when missing."""

    def inspect(self) -> HostView:
        """The host's containers, network and devices (``simvz inspect``'s view)."""

    def driver(self) -> Driver:
        """A new libvirt connection to ``openvz:///system`` on this host."""

    def describe(self) -> str:
        """One line for report headers: what this host is (vzctl version, kernel)."""

    def prepare_private(self, path: str, template: str) -> None:
        """Unpack an OS template cache into a private area, as an administrator would
        before pointing a ``<filesystem type='mount'>`` at it."""

    def list_dir(self, path: str) -> list[str]:
        """Names in a directory of the host, sorted; [] when it does not exist."""

    def remove_tree(self, path: str) -> None:
        """Remove a directory of the host and everything in it (the guard's cleanup)."""

    def resolve(self, path: str) -> str:
        """The absolute ``path`` with ``.``, ``..`` and every symlink resolved, as the
        host's kernel would (the guard compares areas by it); OSError when it cannot."""

    def ensure_bridge(self, name: str) -> None:
        """Make sure the host has the bridge (a real host is only checked:
        :class:`Unavailable` when it lacks it)."""

    def ensure_template(self, name: str) -> None:
        """Make sure the host has the OS template cache ``<name>.tar.gz``
        (:class:`Unavailable` when it lacks it)."""

    def ensure_spare_nic(self, name: str) -> None:
        """Make sure the host has the NIC and that it is spare: on the host, no address,
        not a bridge port, so giving it to a container cuts nothing off
        (:class:`Unavailable` otherwise)."""

    def peer(self) -> HostBackend:
        """A second OpenVZ host to migrate to, the same one on every call
        (:class:`Unavailable` when this host has none)."""

    def migrate(self, name: str, peer: HostBackend, live: bool) -> Migrated:
        """Migrate the domain ``name`` to ``peer`` through libvirt's driver
        (``virDomainMigrate3``, offline or ``VIR_MIGRATE_LIVE``); a refusal is the
        outcome's ``error``, not an exception (:class:`Unavailable` when this backend
        cannot migrate to that peer)."""


def spare_nic_problem(network: NetworkView, name: str) -> str | None:
    """Why the NIC ``name`` of an ``inspect()["network"]`` view is not spare, or None.

    A spare NIC is on the host, has no address and is no bridge's port: moving it into
    a container (``vzctl --netdev_add``) then takes nothing away from the host.
    """
    nic = next((n for n in network["nics"] if n["name"] == name), None)
    if nic is None:
        return f"the host has no NIC {name!r}"
    if nic["owner"] is not None:
        return f"NIC {name!r} is inside container {nic['owner']}"
    if nic["addr"]:
        return f"NIC {name!r} carries the host's address {nic['addr']}"
    bridge = next((b["name"] for b in network["bridges"] if name in b["ports"]), None)
    if bridge is not None:
        return f"NIC {name!r} is a port of bridge {bridge!r}"
    return None
