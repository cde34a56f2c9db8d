"""Every entry point of the driver table against every state of the catalogue, in both
phases (the state arranged before the connection opens, or behind its back after): one
table of expectations (tests/libvirt/entrypoints.py), the product expanded into tests.

Each combination asserts what libvirt's API documents, judged by what the administrator
sees just before the call (``vzlist -a``, the config), plus: a refused call and every
read leave the node exactly as it was; no call touches the bystander CT 102. Where the
driver falls short the combination is a claim-checked gap (tests/libvirt/living_gaps.py):
it passes as an expected failure only if the evidence it recorded (the call's libvirt
error and node commands, its answer) matches one of the gap's claims
(simvz.harness.claims).

The table judges its gaps itself (:func:`judged`) rather than through ``xfail_claim``
(simvz.harness.xfail), which the named defect tests use: a gap's claims are
alternatives, any one of which makes the failure the gap's (a call that answers wrong in
one cell and one that raises a libvirt error in another are one gap, of different claim
kinds), while an ``xfail_claim`` needs every claim it states; splitting a gap's claims
per cell would need to know each cell's failure beforehand, data the gaps do not hold.
A combination's evidence is only the call it makes (:class:`Recorder`), not the shared
node's arrangement, and a connection that failed to open is that call's error in every
combination made on it, not only the first.

Reads and refusals share one connection per (state, phase), as they leave the node and
the driver unchanged; a call that writes gets a node and a connection of its own.

Budget: the default run is the CI tier (``in_ci``), each call only in the states where
its answer can differ, about a minute of CPU. The full product (every row in every
state and phase, some 1400 tests, ten minutes of CPU) runs with ``SIMVZ_LIVING_FULL=1``:
it is what the README's counts come from (docs/living-host.md), too slow for every run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simvz.harness.claims import CallRecord, Claim, Evidence, signal_of
from simvz.harness.libvirt_runner import DriverCrash, LibvirtError, Session
from simvz.harness.nodes import Snapshot
from simvz.host import Host
from simvz_steps.world import Recorder
from tests.libvirt.entrypoints import ENTRIES, Entry, Ok, Refused, View, view
from tests.libvirt.living_gaps import GAPS, gaps_for, problems
from tests.libvirt.states import BYSTANDER, CATALOGUE, PHASES, STATES, TARGET, HostState, base_node
from tests.libvirt.support import conf_path, status, vzlist

FULL = os.environ.get("SIMVZ_LIVING_FULL") == "1"
# a ``...Flags`` row with flags 0 is its plain row's function: the tidy states suffice
ALIAS_STATES = frozenset({"stopped", "running"})
B, A = "before", "after"
# The CI tier's (state, phase) pairs. Probes: one pair per way the connection's belief
# and the node can part (activity, existence, id, UUID, open failing), ``after`` where
# the driver's memory goes stale. Other reads: where the config's content differs.
CI_PROBES = frozenset({
    ("stopped", B), ("running", B), ("running", A), ("mounted", B), ("dumped", B), ("frozen", B),
    ("frozen", A), ("no-private", B), ("no-config", B), ("no-config", A), ("hand-edited", B),
    ("no-uuid", B), ("named", B), ("destroyed", B), ("destroyed", A), ("kernel-only", B),
    ("kernel-only", A), ("copied-config", B), ("other-connection", B),
})  # fmt: skip
CI_READS = frozenset({
    ("stopped", B), ("running", B), ("frozen", B), ("hand-edited", B), ("hand-edited", A), ("no-uuid", B),
    ("named", B), ("other-connection", B), ("no-config", A), ("kernel-only", A),
})  # fmt: skip
# Writes: where the CT's activity, its config, or its existence and UUID differ from the
# tidy node, or changed behind the connection's back.
CI_WRITES: dict[str, frozenset[tuple[str, str]]] = {
    "lifecycle": frozenset({
        ("stopped", "before"), ("running", "before"), ("running", "after"), ("mounted", "before"),
        ("frozen", "before"), ("no-config", "after"),
    }),
    "config": frozenset({
        ("stopped", "before"), ("running", "before"), ("hand-edited", "before"), ("hand-edited", "after"),
        ("no-config", "after"),
    }),
    "define": frozenset({
        ("stopped", "before"), ("running", "before"), ("running", "after"), ("no-uuid", "before"),
        ("destroyed", "after"), ("copied-config", "before"),
    }),
}  # fmt: skip


def phases_of(state: HostState) -> tuple[str, ...]:
    """The tidy node's arrangement does nothing: its ``after`` is its ``before``."""
    return ("before",) if state.name == "stopped" else PHASES


def in_ci(entry: Entry, state: HostState, phase: str) -> bool:
    """Whether the CI tier runs this combination: node calls on the tidy node (they read
    no container; opening the connection is tried wherever probes run), probes and reads
    of domain 101 and writes in the pairs where they can differ (above)."""
    pair = (state.name, phase)
    if entry.alias:
        return pair == ("stopped", B)
    if entry.kind == "node":
        return pair == ("stopped", B) or (entry.field == "connectOpen" and pair in CI_PROBES)
    if pair == ("kernel-only", B):  # the connection does not open: connectOpen shows it
        return False
    chosen = {"probe": CI_PROBES, "read": CI_READS}.get(entry.kind) or CI_WRITES[entry.kind]
    return pair in chosen


FULL_CASES = [
    (e, s, p)
    for e in ENTRIES
    for s in CATALOGUE
    for p in phases_of(s)
    if not e.alias or s.name in ALIAS_STATES
]
CI_CASES = [c for c in FULL_CASES if in_ci(*c)]
CASES = FULL_CASES if FULL else CI_CASES


@dataclass
class Node:
    """A node in one state, with its connection (or the error opening it gave), and
    while a shared node is known unchanged, what the administrator saw of it last."""

    host: Host
    state: HostState
    session: Session | None = None
    open_error: Exception | None = None
    dirty: bool = False
    seen: View | None = None
    snapshot: dict[str, object] | None = None

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def looked_at(self) -> tuple[View, dict[str, object]]:
        """``view`` and ``node_state`` now; unchanged since the last look unless dirty."""
        if self.seen is None or self.snapshot is None:
            self.seen, self.snapshot = view(self.host, self.state.frozen), node_state(self.host)
        return self.seen, self.snapshot


def arrange(template: Snapshot, root: Path, state: HostState, phase: str) -> Node:
    """The node in ``state``; the connection opened before or after the change."""
    template.copy_to(root)
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
        base = factory.mktemp("base") / "node"
        base_node(base)
        self.template = Snapshot.of(base)
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


def call(node: Node, entry: Entry, ev: Evidence) -> Any:
    """Make the call on the node's connection, recorded as evidence."""
    if node.open_error is not None:
        raise node.open_error
    assert node.session is not None
    if entry.target == "session":
        if entry.method == "close":
            node.session.close()
            node.dirty = True
        return None
    conn = Recorder(node.session, ev)
    if entry.target == "conn":
        return conn.call(entry.method, *entry.args)
    return conn.dom(str(TARGET), entry.method, *entry.args)


def check_combination(nodes: Nodes, entry: Entry, state: HostState, phase: str, ev: Evidence) -> None:
    """Run ``entry`` in ``state``/``phase`` and assert the expectation."""
    shared = nodes.get(state, phase)
    before = shared.looked_at()[0] if shared.open_error is None else None
    expect = entry.expect(before) if before is not None else Ok()
    node = nodes.own(state, phase) if isinstance(expect, Ok) and expect.writes else shared
    refused = False  # as expected: then a write changed nothing (checked below)
    seen, node_before = node.looked_at()
    try:
        bystander_before = bystander(node.host) if node is not shared else None
        try:
            value = call(node, entry, ev)
        except DriverCrash:
            node.dirty = True
            raise
        except LibvirtError as err:
            if not isinstance(expect, Refused):
                raise
            assert expect.code is None or err.code == expect.code, (err.code, err.message)
            assert re.search(expect.message, err.message), err.message
            refused = True
        else:
            ev.observe("answer", repr(value))
            assert not isinstance(expect, Refused), f"{entry.method} succeeded ({value!r}); wanted {expect}"
            expect.check(value, node.host, seen)
        if bystander_before is not None:
            assert bystander(node.host) == bystander_before, "CT 102 was changed"
        if isinstance(expect, Refused) or not expect.writes:
            node.seen = node.snapshot = None
            changed = node.looked_at()[1] != node_before
            node.dirty = node.dirty or changed
            assert not changed, f"{entry.method} changed the node"
    except BaseException:
        # the next call on a shared node must start from the node as it is now
        node.seen = node.snapshot = None
        node.dirty = node.dirty or node.looked_at()[1] != node_before
        raise
    finally:
        # a write that was not refused may have changed the node or the driver's memory
        shared.dirty = shared.dirty or (node is shared and entry.writes and not refused)
        if node is not shared:
            node.close()


# what a combination's failure can be: a failed check, a libvirt error, a crash
FAILURES = (AssertionError, LibvirtError, DriverCrash)


def judged(ev: Evidence, failure: BaseException, claims: tuple[Claim, ...]) -> str | None:
    """The evidence line one of ``claims`` finds once ``failure`` is recorded, or None."""
    ev.failure = ev.failure or f"{type(failure).__name__}: {failure}"
    ev.signal = ev.signal or signal_of(failure)
    if isinstance(failure, LibvirtError) and not any(c.error for c in ev.calls):
        # a failure outside a recorded call: the shared node's connection did not open
        ev.calls.append(CallRecord("open", {"code": failure.code, "message": failure.message}))
    return next((found for c in claims if (found := c.find(ev)) is not None), None)


def _id(case: tuple[Entry, HostState, str]) -> str:
    entry, state, phase = case
    return f"{entry.field}-{state.name}-{phase}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_entry_point_in_state(nodes: Nodes, case: tuple[Entry, HostState, str]) -> None:
    """One entry point against one host state (see the module docstring)."""
    entry, state, phase = case
    gaps = gaps_for(entry.field, state.name, phase)
    ev = Evidence()
    try:
        check_combination(nodes, entry, STATES[state.name], phase, ev)
    except FAILURES as failure:
        if isinstance(failure, AssertionError):
            ev.observe("check", (str(failure).splitlines() or [""])[0])
        for gap in gaps:
            found = judged(ev, failure, gap.claims)
            if found is not None:
                pytest.xfail(f"[{gap.id}] {found}")
        raise
    if gaps:
        pytest.fail(f"fixed? [{gaps[0].id}] passes now: {gaps[0].reason}", pytrace=False)


def test_every_gap_can_be_judged() -> None:
    """Each gap's claims can be evaluated, it covers cells of the full product, and
    the CI tier keeps at least one of them (so CI sees every known shortfall)."""
    assert problems() == []
    full = {(e.field, s.name, p) for e, s, p in FULL_CASES}
    ci = {(e.field, s.name, p) for e, s, p in CI_CASES}
    assert [g.id for g in GAPS if not g.where & full] == []
    assert [g.id for g in GAPS if not g.where & ci] == []
