"""A host backend behind the safety guard: every command is checked first, so nothing
the harness runs can change a container outside the reserved range
(:meth:`simvz.harness.guard.Guard.check`)."""

from __future__ import annotations

import re
from typing import Any

from simvz.backends.base import CommandResult, Driver, HostBackend, Migrated
from simvz.harness.guard import Guard, GuardError
from simvz.hostview import HostView


class GuardedBackend:
    """``inner`` with :meth:`run` checked by ``guard``; the rest passed through."""

    def __init__(self, inner: HostBackend, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard
        self.name = inner.name
        self._peer: GuardedBackend | None = None

    def run(self, argv: list[str]) -> CommandResult:
        """Refused (GuardError) when it would touch a container outside the range."""
        self.guard.check(argv)
        return self.inner.run(argv)

    def read(self, path: str) -> str | None:
        """As the inner backend."""
        return self.inner.read(path)

    def inspect(self) -> HostView:
        """As the inner backend."""
        return self.inner.inspect()

    def driver(self) -> Driver:
        """As the inner backend."""
        return self.inner.driver()

    def describe(self) -> str:
        """As the inner backend."""
        return self.inner.describe()

    def prepare_private(self, path: str, template: str) -> None:
        """Only the private area of a container of the range, as vz.conf places it
        (``/vz/private/<id>``), after ``.``, ``..`` and symlinks are resolved."""
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        ctid = int(tail) if re.fullmatch(r"[1-9][0-9]{0,9}", tail) else None
        if ctid not in self.guard.ids:
            raise GuardError(f"refused: {path} is no private area of the reserved range {self.guard.ids}")
        assert ctid is not None
        try:
            self.guard.confine(ctid, "VE_PRIVATE", path, "the private area to unpack is")
        except GuardError as err:
            raise GuardError(
                f"refused: {path} is no private area of the reserved range {self.guard.ids}: {err}"
            ) from None
        self.guard.check_areas(ctid)  # a config already there must name this area too
        self.inner.prepare_private(path, template)

    def resolve(self, path: str) -> str:
        """As the inner backend."""
        return self.inner.resolve(path)

    def list_dir(self, path: str) -> list[str]:
        """As the inner backend."""
        return self.inner.list_dir(path)

    def remove_tree(self, path: str) -> None:
        """As the inner backend."""
        self.inner.remove_tree(path)

    def ensure_bridge(self, name: str) -> None:
        """As the inner backend."""
        self.inner.ensure_bridge(name)

    def ensure_template(self, name: str) -> None:
        """As the inner backend."""
        self.inner.ensure_template(name)

    def ensure_spare_nic(self, name: str) -> None:
        """As the inner backend."""
        self.inner.ensure_spare_nic(name)

    def peer(self) -> GuardedBackend:
        """The inner backend's peer behind a guard of the same range (the same one on
        every call): a command run on it is checked as one run here."""
        if self._peer is None:
            inner = self.inner.peer()
            self._peer = GuardedBackend(inner, Guard(inner, self.guard.ids, real=self.guard.real))
        return self._peer

    def migrate(self, name: str, peer: HostBackend, live: bool) -> Migrated:
        """Refused (GuardError) unless ``name`` is a container of the range, as the
        ``vzmigrate`` the driver runs for it would be."""
        dest = peer.inner if isinstance(peer, GuardedBackend) else peer
        self.guard.check(["vzmigrate", *(["--live"] if live else []), "peer", name])
        return self.inner.migrate(name, dest, live)

    def __getattr__(self, name: str) -> Any:
        # backend extras (the simulated host's inject_fault) pass through
        return getattr(self.inner, name)
