"""The host backend contract: run a command as the host's administrator, read a file,
open the libvirt driver on the host. Steps never know which host they talk to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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

    def inspect(self) -> dict[str, Any]:
        """The host's containers, network and devices (``simvz inspect``'s view)."""

    def driver(self) -> Driver:
        """A new libvirt connection to ``openvz:///system`` on this host."""

    def describe(self) -> str:
        """One line for report headers: what this host is (vzctl version, kernel)."""

    def prepare_private(self, path: str, template: str) -> None:
        """Unpack an OS template cache into a private area, as an administrator would
        before pointing a ``<filesystem type='mount'>`` at it."""

    def ensure_bridge(self, name: str) -> None:
        """Make sure the host has the bridge (a real host is only checked)."""
