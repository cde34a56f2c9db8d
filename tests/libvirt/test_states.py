"""Every entry point of the driver table against every state of the catalogue, in both
phases (the state arranged before the connection opens, or behind its back after): one
table of expectations (tests/libvirt/entrypoints.py), the product expanded into tests.

Each combination asserts what libvirt's API documents, judged by what the administrator
sees just before the call (``vzlist -a``, the config), plus: a refused call and every
read leave the node exactly as it was; no call touches the bystander CT 102. Where the
driver falls short the combination is a claim-checked gap (tests/libvirt/living_gaps.py):
it passes as an expected failure only if it fails the way the claim says.

Reads and refusals share one connection per (state, phase), as they leave the node and
the driver unchanged; a call that writes gets a node and a connection of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from simvz.harness.libvirt_runner import DriverCrash, LibvirtError, Session
from simvz.host import Host
from tests.libvirt.entrypoints import ENTRIES, Entry, Ok, Refused, View, view
from tests.libvirt.living_gaps import gap_for
from tests.libvirt.states import BYSTANDER, CATALOGUE, PHASES, STATES, HostState, base_node
from tests.libvirt.support import conf_path, status, vzlist

# a ``...Flags`` row with flags 0 is its plain row's function: the tidy states suffice
ALIAS_STATES = frozenset({"stopped", "running"})
CASES = [
    (e, s, p) for e in ENTRIES for s in CATALOGUE for p in PHASES if not e.alias or s.name in ALIAS_STATES
]


@dataclass
class Node:
    """A node in one state, with its connection (or the error opening it gave)."""

    host: Host
    state: HostState
    session: Session | None = None
    open_error: Exception | None = None
    dirty: bool = False
    extra: list[Session] = field(default_factory=list)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def arrange(template: Path, root: Path, state: HostState, phase: str) -> Node:
    """The node in ``state``; the connection opened before or after the change."""
    shutil.copytree(template, root, symlinks=True)
    host = Host(root)
    node = Node(host, state)
    if phase == "before":
        state.arrange(host)
    try:
        node.session = Session(host)
    except (LibvirtError, DriverCrash) as err:
        node.open_error = err
    if phase == "after":
        state.arrange(host)
    return node


class Nodes:
    """One shared node per (state, phase) for the calls that leave it unchanged."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.template = factory.mktemp("base") / "node"
        base_node(self.template)
        self.shared: dict[tuple[str, str], Node] = {}

    def get(self, state: HostState, phase: str) -> Node:
        key = (state.name, phase)
        if key not in self.shared or self.shared[key].dirty:
            if key in self.shared:
                self.shared[key].close()
            self.shared[key] = arrange(
                self.template, self.factory.mktemp(f"{state.name}-{phase}") / "node", state, phase
            )
        return self.shared[key]

    def own(self, state: HostState, phase: str) -> Node:
        root = self.factory.mktemp(f"{state.name}-{phase}-own") / "node"
        return arrange(self.template, root, state, phase)

    def close(self) -> None:
        for node in self.shared.values():
            node.close()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    pool = Nodes(tmp_path_factory)
    yield pool
    pool.close()


def node_state(host: Host) -> dict[str, object]:
    """The node as its administrator sees it: the files under etc, vz and var, and
    ``vzlist -a``. /proc is left out: its counters move with the clock on a running CT."""
    files = {
        str(p.relative_to(host.root)): p.read_bytes() if p.is_file() else None
        for top in ("etc", "vz", "var")
        for p in sorted((host.root / top).rglob("*"))
    }
    return {"files": files, "vzlist": vzlist(host, "-a", "-H", "-octid,status")}


def bystander(host: Host) -> tuple[bytes, str]:
    """What the administrator sees of CT 102: its config and ``vzctl status``."""
    return conf_path(host, BYSTANDER).read_bytes(), status(host, BYSTANDER)


def call(node: Node, entry: Entry) -> Any:
    """Make the call on the node's connection."""
    if node.open_error is not None:
        raise node.open_error
    assert node.session is not None
    if entry.target == "session":
        if entry.method == "close":
            node.session.close()
            node.dirty = True
        return None
    if entry.target == "conn":
        return node.session.call(entry.method, *entry.args)
    return node.session.dom("101", entry.method, *entry.args)


def check_combination(nodes: Nodes, entry: Entry, state: HostState, phase: str) -> None:
    """Run ``entry`` in ``state``/``phase`` and assert the expectation."""
    shared = nodes.get(state, phase)
    before = view(shared.host, state.frozen) if shared.open_error is None else None
    expect = entry.expect(before) if before is not None else Ok()
    node = nodes.own(state, phase) if isinstance(expect, Ok) and expect.writes else shared
    if node is shared and entry.writes and not isinstance(expect, Refused):
        node.dirty = True  # whatever the answer, the driver's memory may have changed
    try:
        seen: View = view(node.host, state.frozen)
        node_before, bystander_before = node_state(node.host), bystander(node.host)
        try:
            value = call(node, entry)
        except DriverCrash:
            node.dirty = True
            raise
        except LibvirtError as err:
            if not isinstance(expect, Refused):
                raise
            assert expect.code is None or err.code == expect.code, (err.code, err.message)
            assert _search(expect.message, err.message), err.message
        else:
            assert not isinstance(expect, Refused), f"{entry.method} succeeded ({value!r}); wanted {expect}"
            expect.check(value, node.host, seen)
        assert bystander(node.host) == bystander_before, "CT 102 was changed"
        if isinstance(expect, Refused) or not expect.writes:
            changed = node_state(node.host) != node_before
            node.dirty = node.dirty or changed
            assert not changed, f"{entry.method} changed the node"
    finally:
        if node is not shared:
            node.close()


def _search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


def _id(case: tuple[Entry, HostState, str]) -> str:
    entry, state, phase = case
    return f"{entry.field}-{state.name}-{phase}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_entry_point_in_state(nodes: Nodes, case: tuple[Entry, HostState, str]) -> None:
    """One entry point against one host state (see the module docstring)."""
    entry, state, phase = case
    gap = gap_for(entry.field, state.name, phase)
    try:
        check_combination(nodes, entry, STATES[state.name], phase)
    except (AssertionError, LibvirtError, DriverCrash) as failure:
        if gap is not None and gap.matches(failure):
            pytest.xfail(f"[{gap.id}] {gap.reason}")
        raise
    if gap is not None:
        pytest.fail(f"fixed? [{gap.id}] passes now: {gap.reason}", pytrace=False)
