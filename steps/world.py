"""The state of one scenario: the host backend, the libvirt connection opened on first
use (so that Given steps arranging the host come first), the domain XML being built,
and the outcome of the last When step."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from simvz.backends.base import Driver, HostBackend

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "thread"


def corpus_text(item: str) -> str:
    """The text of a thread corpus item by id or id prefix (``56`` or ``56-summary-...``)."""
    matches = sorted(p for p in CORPUS.iterdir() if p.stem.split("-")[0] == item or p.stem == item)
    xml = [p for p in matches if p.suffix == ".xml"]
    chosen = xml or [p for p in matches if p.suffix in (".cmd", ".txt")]
    if not chosen:
        raise LookupError(f"no corpus item {item!r} in {CORPUS}")
    return chosen[0].read_text().strip()


def seeded_uuid(name: str) -> str:
    """A fixed UUID per domain name: the same values on every run."""
    return str(UUID(hashlib.sha256(f"simvz-scenario:{name}".encode()).hexdigest()[:32]))


@dataclass
class DomainDraft:
    """A domain being assembled from corpus fragments."""

    name: str
    uuid: str
    devices: list[str] = field(default_factory=list)
    whole: str | None = None  # a complete <domain> taken as is

    def xml(self) -> str:
        """The domain XML to define."""
        if self.whole is not None:
            return self.whole
        return (
            f"<domain type='openvz'><name>{self.name}</name><uuid>{self.uuid}</uuid>"
            "<memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
            "<os><type>exe</type><init>/sbin/init</init></os>"
            f"<devices>{''.join(self.devices)}</devices></domain>"
        )


@dataclass
class World:
    """Everything a scenario's steps share."""

    host: HostBackend
    opener: Callable[[HostBackend], Driver] | None = None
    _driver: Driver | None = None
    draft: DomainDraft | None = None
    error: Exception | None = None
    value: Any = None

    @property
    def driver(self) -> Driver:
        """The libvirt connection, opened when first needed."""
        if self._driver is None:
            self._driver = self.opener(self.host) if self.opener else self.host.driver()
        return self._driver

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def attempt(self, fn: Any, *args: Any) -> None:
        """Run a When action, keeping its value or the error it raised."""
        from simvz.harness.libvirt_runner import LibvirtError

        self.error, self.value = None, None
        try:
            self.value = fn(*args)
        except LibvirtError as err:
            self.error = err
