"""The state of one scenario: the host backend, the libvirt connection opened on first
use (so that Given steps arranging the host come first), the domain XML being built,
the outcome of the last When step, and the scenario's container IDs.

Scenarios speak the thread's IDs (209, 101, ...); on the host every container lives in
the reserved range (:mod:`simvz.harness.guard`), so container 209 of a scenario is
990209 on the host, on a simulated host as on a real one. :class:`Ids` translates
whatever a step hands to the host or the driver: CT IDs, domain names, ``<name>`` and
``/vz/private/<id>`` in XML, vzctl's CT argument, and IDs quoted in expected text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from simvz.backends.base import Driver, HostBackend
from simvz.harness.claims import CallRecord, Command, Evidence, sanitizer_of, signal_of
from simvz.harness.guard import DEFAULT_RANGE, CtidRange

# the thread corpus ships with the library (steps/corpus is a link to the repository's corpus/)
CORPUS = Path(__file__).parent / "corpus" / "thread"


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
    vcpus: int = 1
    memory_kib: int = 262144

    def xml(self) -> str:
        """The domain XML to define."""
        if self.whole is not None:
            return self.whole
        return (
            f"<domain type='openvz'><name>{self.name}</name><uuid>{self.uuid}</uuid>"
            f"<memory unit='KiB'>{self.memory_kib}</memory><vcpu>{self.vcpus}</vcpu>"
            "<os><type>exe</type><init>/sbin/init</init></os>"
            f"<devices>{''.join(self.devices)}</devices></domain>"
        )


_PATH = re.compile(r"(/vz/(?:private|root)/)(\d+)(?![\w.])")
_NAME = re.compile(r"(<name>\s*)(\d+)(\s*</name>)")
_WORD = re.compile(r"(?<![\w.:/-])(\d+)(?![\w.:-])")
# vzlist options whose value is not a CT ID
_VZLIST_VALUED = frozenset(
    {"-o", "--output", "-s", "--sort", "-N", "--name", "-h", "--hostname", "-d", "--description"}
)


@dataclass
class Ids:
    """Scenario container IDs -> the host's, in the reserved range."""

    range: CtidRange = field(default_factory=lambda: CtidRange.parse(DEFAULT_RANGE))
    known: dict[int, int] = field(default_factory=dict)

    def ct(self, scenario_id: int) -> int:
        """The host's ID of a scenario container."""
        host_id = self.range.host_id(scenario_id)
        self.known[scenario_id] = host_id
        return host_id

    def name(self, name: str) -> str:
        """A domain name: a numeric one is a container ID."""
        return str(self.ct(int(name))) if name.isdigit() and int(name) < self.range.size else name

    def xml(self, text: str) -> str:
        """``<name>N</name>`` and ``/vz/private/N`` (``/vz/root/N``) in domain XML."""
        text = _NAME.sub(lambda m: m.group(1) + self.name(m.group(2)) + m.group(3), text)
        return self.paths(text)

    def paths(self, text: str) -> str:
        """``/vz/private/N`` and ``/vz/root/N``."""
        return _PATH.sub(lambda m: m.group(1) + self.name(m.group(2)), text)

    def command(self, argv: list[str]) -> list[str]:
        """vzctl's CT argument, vzlist's CT operands, vzmigrate's CT, and private paths."""
        out = [self.paths(a) for a in argv]
        tool = out[0].rsplit("/", 1)[-1] if out else ""
        if tool == "vzctl":
            words = [i for i, a in enumerate(out) if i > 0 and not a.startswith("-")]
            if len(words) > 1:
                out[words[1]] = self.name(out[words[1]])
        elif tool == "vzmigrate" and len(out) > 2 and not out[-1].startswith("-"):
            out[-1] = self.name(out[-1])  # vzmigrate [options] DEST CT: the CT comes last
        elif tool == "vzlist":
            for i in range(1, len(out)):
                if out[i].isdigit() and out[i - 1] not in _VZLIST_VALUED:
                    out[i] = self.name(out[i])
        return out

    def text(self, text: str) -> str:
        """Expected text: paths, and IDs this scenario already uses as whole words."""
        text = self.paths(text)
        return _WORD.sub(lambda m: str(self.known.get(int(m.group(1)), m.group(1))), text)


class Recorder:
    """A driver connection that records every call as evidence: its libvirt error, the
    node commands it caused (the node's journal), a crash's signal."""

    def __init__(self, driver: Driver, evidence: Evidence) -> None:
        self._driver, self.evidence = driver, evidence

    def call(self, method: str, *args: Any) -> Any:
        """``virConnect.<method>``, recorded."""
        return self._record(method, lambda: self._driver.call(method, *args))

    def dom(self, name: str, method: str, *args: Any) -> Any:
        """``virDomain.<method>`` on ``name``, recorded."""
        return self._record(f"{method} on {name}", lambda: self._driver.dom(name, method, *args))

    def close(self) -> None:
        """End the connection."""
        self._driver.close()

    def __getattr__(self, name: str) -> Any:
        # the rest of the connection (``journal_of_last``, ``host``) as it is
        return getattr(self._driver, name)

    def _record(self, what: str, fn: Callable[[], Any]) -> Any:
        from simvz.harness.libvirt_runner import LibvirtError

        record = CallRecord(what)
        self.evidence.calls.append(record)
        calls: list[Any] = getattr(self._driver, "calls", [])
        before = len(calls)
        try:
            return fn()
        except LibvirtError as err:
            record.error = {"code": err.code, "domain": err.domain, "message": err.message}
            raise
        except Exception as err:
            self.evidence.signal = signal_of(err) or self.evidence.signal
            self.evidence.sanitizer = self.evidence.sanitizer or sanitizer_of(err)
            raise
        finally:
            if len(calls) > before:  # the call got an answer: its journal is the node's record
                record.commands = [journal_command(e) for e in calls[-1].journal]
            errors = getattr(self._driver, "memory_errors", None)
            if callable(errors):  # memcheck goes on after an error: each is evidence
                self.evidence.sanitizer = errors() or self.evidence.sanitizer


def journal_command(entry: dict[str, Any]) -> Command:
    """A node journal entry as a claim's command (argv, exit, stderr)."""
    return Command(" ".join(entry["argv"]), int(entry["exit"]), str(entry.get("stderr", "")))


@dataclass
class World:
    """Everything a scenario's steps share."""

    host: HostBackend
    opener: Callable[[HostBackend], Driver] | None = None
    ids: Ids = field(default_factory=Ids)
    _driver: Driver | None = None
    draft: DomainDraft | None = None
    error: Exception | None = None
    value: Any = None
    # argv of each host command the last When call ran (the node's journal); None when
    # the host keeps no journal (a real host)
    commands: list[list[str]] | None = None
    evidence: Evidence = field(default_factory=Evidence)
    # the second host of a migration scenario (``HostBackend.peer``) and its connection
    peer: HostBackend | None = None
    _peer_driver: Driver | None = None

    @property
    def driver(self) -> Driver:
        """The libvirt connection, opened when first needed; every call is recorded."""
        if self._driver is None:
            opened = self.opener(self.host) if self.opener else self.host.driver()
            self._driver = Recorder(opened, self.evidence)
        return self._driver

    @property
    def peer_driver(self) -> Driver:
        """A libvirt connection on the second host, opened when first needed."""
        assert self.peer is not None, "no second host (Given a second OpenVZ host)"
        if self._peer_driver is None:
            opened = self.opener(self.peer) if self.opener else self.peer.driver()
            self._peer_driver = Recorder(opened, self.evidence)
        return self._peer_driver

    def observe(self, key: str, value: object) -> None:
        """Record what a Then step read (a gap's ``state`` claim is checked against it)."""
        self.evidence.observe(key, str(value))

    def close(self) -> None:
        """Close the connections, if any was opened."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        if self._peer_driver is not None:
            self._peer_driver.close()
            self._peer_driver = None

    def attempt(self, fn: Any, *args: Any) -> None:
        """Run a When action, keeping its value or the error it raised."""
        from simvz.harness.libvirt_runner import LibvirtError

        self.error, self.value = None, None
        try:
            self.value = fn(*args)
        except LibvirtError as err:
            self.error = err
        finally:
            self.commands = self._commands_of_last_call()

    def _commands_of_last_call(self) -> list[list[str]] | None:
        journal = getattr(self._driver, "journal_of_last", None)
        if journal is None or getattr(self._driver, "host", None) is None:
            return None
        return [list(entry["argv"]) for entry in journal()]
