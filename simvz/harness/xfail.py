"""Strict expected failures that must prove their reason: ``xfail_claim`` marks a test
that fails today, and it counts as an expected failure only when it fails *for the
reason it states*: an exception of the type given, whose message matches ``match``,
with every :class:`~simvz.harness.claims.Claim` found in the evidence the test
recorded (the libvirt calls with their errors and node commands, a crash signal,
values observed). A failure for any other reason fails the test, saying what was
expected and what was observed; a pass fails it too (strict), so a fix is noticed.

Usage (the ``simvz`` pytest plugin judges the marker)::

    from simvz.harness.claims import Claim
    from simvz.harness.xfail import xfail_claim

    @xfail_claim(
        "openvzDomainUndefineFlags runs `vzctl --quiet start destroy NAME`",
        Claim("argv", r"vzctl --quiet start destroy 101$", exit=21),
        raises=LibvirtError,
        match=r"unexpected exit status 21",
    )
    def test_undefine(...): ...

    pytest.param(case, marks=xfail_claim(...))   # parametrized cases alike

A claim that cannot be evaluated (no ``raises``, neither ``match`` nor a claim, a bad
pattern, an unknown kind) is an error when the test module is collected.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from simvz.harness.claims import Claim, Evidence

MARKER = "xfail_claim"
ExcTypes = type[BaseException] | tuple[type[BaseException], ...]


class ClaimError(ValueError):
    """An xfail claim that cannot be evaluated."""


@dataclass(frozen=True)
class XfailClaim:
    """Why a test is expected to fail, as something the run can check."""

    reason: str
    raises: tuple[type[BaseException], ...]
    match: str | None = None
    claims: tuple[Claim, ...] = ()

    def problem(self) -> str | None:
        """Why this cannot be evaluated, or None."""
        if not self.reason.strip():
            return "no reason"
        typed = all(isinstance(t, type) and issubclass(t, BaseException) for t in self.raises)
        if not self.raises or not typed:
            return f"raises must be exception types, not {self.raises!r}"
        if self.match is None and not self.claims:
            return "neither match nor a claim: say what the failure looks like"
        if self.match is not None:
            try:
                re.compile(self.match)
            except re.error as err:
                return f"match {self.match!r} is not a regular expression: {err}"
            if not self.match:
                return "an empty match matches anything"
        for claim in self.claims:
            if not isinstance(claim, Claim):
                return f"{claim!r} is not a simvz.harness.claims.Claim"
            wrong = claim.problem()
            if wrong:
                return wrong
        return None

    def judge(self, exc: BaseException, ev: Evidence) -> tuple[bool, list[str]]:
        """Whether ``exc`` and the evidence are the stated failure; the lines that show
        it (what matched) or that show it is not (what was expected, what was seen)."""
        missing: list[str] = []
        found: list[str] = []
        if not isinstance(exc, self.raises):
            names = " or ".join(t.__name__ for t in self.raises)
            missing.append(f"expected {names}, got {type(exc).__name__}")
        message = str(exc)
        if self.match is not None and not re.search(self.match, message):
            missing.append(f"expected a message matching /{self.match}/")
        elif self.match is not None:
            found.append(f"message: {_one_line(message, 200)}")
        for claim in self.claims:
            hit = claim.find(ev)
            if hit:
                found.append(hit)
            else:
                missing.append(f"expected {claim.describe()}")
        if not missing:
            return True, found
        observed = [f"observed {type(exc).__name__}: {_one_line(message)}"]
        observed += [f"observed {line}" for line in ev.lines() if not line.startswith("failure:")]
        return False, [*missing, *observed]


def xfail_claim(
    reason: str,
    *claims: Claim,
    raises: ExcTypes,
    match: str | None = None,
) -> pytest.MarkDecorator:
    """The ``xfail_claim`` marker (see the module doc); a claim that cannot be evaluated
    raises :class:`ClaimError` here, i.e. when the test module is collected."""
    spec = make(reason, claims, raises, match)
    return pytest.mark.xfail_claim(spec)


def make(reason: str, claims: Sequence[Claim], raises: ExcTypes, match: str | None) -> XfailClaim:
    """An :class:`XfailClaim`, checked."""
    types = raises if isinstance(raises, tuple) else (raises,)
    spec = XfailClaim(reason, types, match, tuple(claims))
    wrong = spec.problem()
    if wrong:
        raise ClaimError(f"xfail_claim {reason[:60]!r}: {wrong}")
    return spec


def spec_of(mark: pytest.Mark) -> XfailClaim:
    """The :class:`XfailClaim` of a marker, whether made by :func:`xfail_claim` or
    written as ``pytest.mark.xfail_claim(reason, *claims, raises=..., match=...)``."""
    if len(mark.args) == 1 and not mark.kwargs and isinstance(mark.args[0], XfailClaim):
        return mark.args[0]
    if not mark.args or not isinstance(mark.args[0], str):
        raise ClaimError("xfail_claim needs a reason first")
    extra = set(mark.kwargs) - {"raises", "match"}
    if extra or "raises" not in mark.kwargs:
        raise ClaimError("xfail_claim takes raises= (required) and match= besides its claims")
    return make(mark.args[0], mark.args[1:], mark.kwargs["raises"], mark.kwargs.get("match"))


def _one_line(text: str, limit: int = 400) -> str:
    return textwrap.shorten(" ".join(text.split()), limit, placeholder=" …")


# The running test's evidence (a test runs in one process at a time, under -n too).
_current: Evidence | None = None


def evidence() -> Evidence:
    """The evidence of the running test, for helpers that see what a claim checks and
    that the libvirt Sessions do not record themselves (a ``virsh`` subprocess's error
    and signal, a value read from the node); outside a test, a throwaway one."""
    return _current if _current is not None else Evidence()


def begin() -> Evidence:
    """Start a test's evidence (the plugin, before its setup)."""
    global _current
    _current = Evidence()
    return _current


def end() -> None:
    """No test is running (the plugin, after its teardown)."""
    global _current
    _current = None
