"""Stateful property test: libvirt calls through one or two connections and an
administrator's vzctl commands and hand edits, interleaved by Hypothesis.

Invariants: a fresh lookup's state agrees with ``vzlist`` (running is RUNNING or PAUSED,
anything else SHUTOFF, ``openvz_driver.c:openvzGetVEStatus``); a call leaves the CT it
was not asked about as it was; a refused call leaves the node as it was; a line the
administrator wrote is never lost, and CPUS holds the last value someone reported
writing. Failing examples are shrunk and kept in Hypothesis's database (.hypothesis/).

CI budget: 8 examples of at most 5 steps, derandomized. A longer run:
``SIMVZ_STATEFUL_EXAMPLES=300 .venv/bin/python -m pytest tests/libvirt/test_stateful.py``
(random, not derandomized, when the variable is set).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from tests.libvirt.states import base_node
from tests.libvirt.support import PAUSED, RUNNING, SHUTOFF, conf_path, vzctl, vzlist

CTS = (101, 102)
LONG_RUN = os.environ.get("SIMVZ_STATEFUL_EXAMPLES")
CALLS = ("create", "shutdown", "suspend", "resume", "setVcpus", "setAutostart")


def snapshot(host: Host, ct: int) -> tuple[bytes, str]:
    """What the administrator sees of one CT: its config and its vzlist row."""
    rows = dict(line.split() for line in vzlist(host, "-a", "-H", "-octid,status").splitlines())
    return conf_path(host, ct).read_bytes(), rows.get(str(ct), "")


class LivingHost(RuleBasedStateMachine):
    """One node, connections to it, and an administrator at work on it."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="simvz-stateful-"))
        self.host = base_node(self.tmp / "node")
        self.conns = [Session(self.host)]
        self.cpus: dict[int, str | None] = dict.fromkeys(CTS)
        self.notes: dict[int, list[str]] = {ct: [] for ct in CTS}

    def teardown(self) -> None:
        for c in self.conns:
            c.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @precondition(lambda self: len(self.conns) < 2)
    @rule()
    def open_second_connection(self) -> None:
        self.conns.append(Session(self.host))

    @rule(conn=st.integers(0, 1), ct=st.sampled_from(CTS), call=st.sampled_from(CALLS), n=st.integers(1, 2))
    def libvirt_call(self, conn: int, ct: int, call: str, n: int) -> None:
        session = self.conns[conn % len(self.conns)]
        other = CTS[1 - CTS.index(ct)]
        other_before, before = snapshot(self.host, other), [snapshot(self.host, c) for c in CTS]
        args = (n,) if call == "setVcpus" else (1,) if call == "setAutostart" else ()
        try:
            session.dom(str(ct), call, *args)
        except LibvirtError:
            assert [snapshot(self.host, c) for c in CTS] == before, f"refused {call} changed the node"
        else:
            if call == "setVcpus":
                self.cpus[ct] = str(n)
        assert snapshot(self.host, other) == other_before, f"{call} on {ct} changed CT {other}"

    ACTIONS = ("start", "stop", "mount", "umount", "cpus", "note")

    @rule(ct=st.sampled_from(CTS), action=st.sampled_from(ACTIONS))
    def administrator(self, ct: int, action: str) -> None:
        if action == "note":
            line = f"# admin note {len(self.notes[ct])}"
            with conf_path(self.host, ct).open("a") as f:
                f.write(line + "\n")
            self.notes[ct].append(line)
        elif action == "cpus":
            if vzctl(self.host, "set", str(ct), "--cpus", "1", "--save").exit == 0:
                self.cpus[ct] = "1"
        else:
            vzctl(self.host, action, str(ct))

    @invariant()
    def state_agrees_with_vzlist(self) -> None:
        rows = dict(line.split() for line in vzlist(self.host, "-a", "-H", "-octid,status").splitlines())
        for session in self.conns:
            for ct in CTS:
                state = session.dom(str(ct), "state", 0)[0]
                want = {RUNNING, PAUSED} if rows[str(ct)] == "running" else {SHUTOFF}
                assert state in want, (ct, rows[str(ct)], state)

    @invariant()
    def administrators_lines_kept(self) -> None:
        for ct in CTS:
            text = conf_path(self.host, ct).read_text()
            for line in self.notes[ct]:
                assert line in text.splitlines(), (ct, line)
            if self.cpus[ct] is not None:
                assert f'CPUS="{self.cpus[ct]}"' in text.splitlines(), (ct, self.cpus[ct])


LivingHost.TestCase.settings = settings(
    max_examples=int(LONG_RUN) if LONG_RUN else 8,
    stateful_step_count=5 if not LONG_RUN else 20,
    derandomize=not LONG_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.slow
def test_living_host() -> None:
    """The state machine with the CI budget. Slow: 8 nodes, up to 16 driver processes."""
    LivingHost.TestCase().runTest()
