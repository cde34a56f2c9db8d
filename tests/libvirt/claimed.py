"""A strict expected failure that must prove itself, for tests of known driver defects:
the body runs with an :class:`~simvz.harness.claims.Evidence` to record into (libvirt
calls through :func:`recorded`, values with ``Evidence.observe``); a failure counts as
the defect only when the evidence matches one of its claims
(:mod:`simvz.harness.claims`). Any other failure fails the test, and so does a pass
("fixed?"): the defect's test must then be turned into a plain test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from simvz.harness.claims import CallRecord, Claim, Evidence, signal_of
from simvz.harness.libvirt_runner import DriverCrash, LibvirtError, Session
from simvz_steps.world import Recorder

FAILURES = (AssertionError, LibvirtError, DriverCrash)


def recorded(session: Session, ev: Evidence) -> Recorder:
    """The connection, every call recorded as evidence (error, node commands, signal)."""
    return Recorder(session, ev)


def matching(ev: Evidence, failure: BaseException, claims: tuple[Claim, ...]) -> str | None:
    """The evidence line one of ``claims`` finds once ``failure`` is recorded, or None."""
    ev.failure = ev.failure or f"{type(failure).__name__}: {failure}"
    ev.signal = ev.signal or signal_of(failure)
    if isinstance(failure, LibvirtError) and not any(c.error for c in ev.calls):
        # a failure outside a recorded call (opening the connection)
        ev.calls.append(CallRecord("open", {"code": failure.code, "message": failure.message}))
    return next((found for c in claims if (found := c.find(ev)) is not None), None)


@contextmanager
def claimed(reason: str, *claims: Claim) -> Iterator[Evidence]:
    """The body must fail as one of ``claims`` says: then the test is an expected failure."""
    assert claims and not any(c.problem() for c in claims), [c.problem() for c in claims]
    ev = Evidence()
    try:
        yield ev
    except FAILURES as failure:
        found = matching(ev, failure, claims)
        if found is None:
            wanted = "; ".join(c.describe() for c in claims)
            raise AssertionError(f"fails, but not as claimed ({wanted}): {ev.lines()}") from failure
        pytest.xfail(f"{reason} [{found}]")
    pytest.fail(f"fixed? passes now: {reason}", pytrace=False)
