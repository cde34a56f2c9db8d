"""``xfail_claim``: a test xfails only for the reason it states (exception type, message,
argv on the node, libvirt error, crash signal); a failure for another reason fails, a
pass fails (strict), and a claim that cannot be evaluated stops the run at collection.

The tests run a small test file in a pytest subprocess; libvirt is not needed (the
evidence comes from the simulated node's journal, recorded errors and raised crashes)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.harness.claims import CallRecord, Claim, Evidence
from simvz.harness.xfail import ClaimError, XfailClaim, make, xfail_claim

pytest_plugins = ["pytester"]

CASES = '''
import pytest

from simvz.harness.claims import CallRecord, Claim
from simvz.harness.libvirt_runner import DriverCrash, LibvirtError
from simvz.harness.xfail import evidence, xfail_claim

BAD_CT = Claim("argv", r"vzctl --quiet start destroy 101$", exit=21)


def start_destroy(sim_host):
    """What openvzDomainUndefineFlags makes the node run."""
    sim_host.run("vzctl", ["vzctl", "--quiet", "start", "destroy", "101"])
    raise LibvirtError(1, 10, "internal error: Child process unexpected exit status 21")


@xfail_claim("the stated failure", BAD_CT, raises=LibvirtError, match="exit status 21")
def test_stated(sim_host):
    start_destroy(sim_host)


@xfail_claim("another exception type", BAD_CT, raises=LibvirtError)
def test_other_type(sim_host):
    sim_host.run("vzctl", ["vzctl", "--quiet", "start", "destroy", "101"])
    assert 1 == 2


@xfail_claim("another message", raises=LibvirtError, match="exit status 91")
def test_other_message(sim_host):
    start_destroy(sim_host)


@xfail_claim("never ran", Claim("argv", r"vzctl --quiet destroy 101$"), raises=LibvirtError)
def test_other_argv(sim_host):
    start_destroy(sim_host)


@xfail_claim("a libvirt error", Claim("error", r"^Can only modify", code=67), raises=AssertionError)
def test_recorded_error():
    evidence().calls.append(CallRecord("updateDeviceFlags", {"code": 67, "message": "Can only modify"}))
    assert False, "quota unchanged"


@xfail_claim("a crash", Claim("signal", "SIGSEGV"), raises=DriverCrash)
def test_crash():
    raise DriverCrash("autostart() on dom:101", -11, "")


@xfail_claim("a crash", Claim("signal", "SIGSEGV"), raises=DriverCrash)
def test_other_crash():
    raise DriverCrash("autostart() on dom:101", -6, "")


@xfail_claim("a value observed", Claim("state", "131072:144179", key="DISKINODES"), raises=AssertionError)
def test_state():
    evidence().observe("DISKINODES", "131072:144179")
    assert False


@xfail_claim("fails today", raises=AssertionError, match="x")
def test_passes():
    pass


@pytest.mark.parametrize("n", [pytest.param(1, marks=xfail_claim("param", raises=ZeroDivisionError,
                                                                  match="division")), 2])
def test_param(n):
    assert 2 // (n - 1)
'''

OUTCOMES = {
    "test_stated": "XFAIL",
    "test_other_type": "FAILED",
    "test_other_message": "FAILED",
    "test_other_argv": "FAILED",
    "test_recorded_error": "XFAIL",
    "test_crash": "XFAIL",
    "test_other_crash": "FAILED",
    "test_state": "XFAIL",
    "test_passes": "FAILED",
    "test_param[1]": "XFAIL",
    "test_param[2]": "PASSED",
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """Each case's outcome from one pytest run of ``CASES`` (``-rA``), and its output."""
    where = tmp_path_factory.mktemp("cases")
    (where / "pytest.ini").write_text("[pytest]\n")
    (where / "test_cases.py").write_text(CASES)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-p", "no:xdist"],
        cwd=where, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    text = done.stdout + done.stderr
    found = {
        m.group(2): m.group(1)
        for m in re.finditer(r"^(XFAIL|FAILED|PASSED) test_cases\.py::(\S+)", text, re.M)
    }
    return found, text


def test_each_case_has_the_outcome_its_failure_deserves(outcomes: tuple[dict[str, str], str]) -> None:
    """Xfailed only for the stated reason; otherwise failed; a pass is a failure."""
    found, text = outcomes
    assert found == OUTCOMES, text


def test_an_expected_failure_names_what_matched(outcomes: tuple[dict[str, str], str]) -> None:
    """The xfail line says which argv and message proved the reason."""
    _, text = outcomes
    line = next(x for x in text.splitlines() if x.startswith("XFAIL test_cases.py::test_stated"))
    assert "vzctl --quiet start destroy 101" in line and "exit 21" in line, line


def test_another_failure_says_what_was_expected_and_observed(outcomes: tuple[dict[str, str], str]) -> None:
    """A failure for another reason shows the claim and the evidence seen instead."""
    _, text = outcomes
    assert "expected LibvirtError, got AssertionError" in text
    assert "expected a message matching /exit status 91/" in text
    assert "expected a node command matching /vzctl --quiet destroy 101$/" in text
    assert "observed command: exit " in text  # the node's journal, as the claim saw it
    assert "[XPASS(strict)] fails today" in text


def test_runxfail_leaves_the_outcomes(pytester: pytest.Pytester) -> None:
    """``--runxfail``: the test's own failure, as without the marker."""
    pytester.makepyfile(test_one=CASES)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:xdist", "--runxfail", "-k", "stated or passes"
    )
    result.assert_outcomes(failed=1, passed=1)


BAD = {
    "nothing": "'reason', raises=AssertionError",  # nothing to check
    "regex": "'reason', raises=AssertionError, match='('",  # not a regular expression
    "empty": "'reason', Claim('argv', ''), raises=AssertionError",  # matches anything
    "kind": "'reason', Claim('errno', 'x'), raises=AssertionError",  # unknown kind
    "type": "'reason', match='x', raises='AssertionError'",  # not a type
}


def test_a_claim_that_cannot_be_evaluated_is_a_collection_error(pytester: pytest.Pytester) -> None:
    """Nothing runs: each module's collection fails, naming its claim's fault."""
    for name, args in BAD.items():
        pytester.makepyfile(
            **{f"test_{name}": "from simvz.harness.claims import Claim\n"
               "from simvz.harness.xfail import xfail_claim\n"
               f"@xfail_claim({args})\ndef test_x():\n    assert False\n"}
        )  # fmt: skip
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert result.parseoutcomes() == {"errors": len(BAD)}
    result.stdout.fnmatch_lines_random([
        "*neither match nor a claim*", "*is not a regular expression*", "*an empty pattern matches anything*",
        "*unknown claim kind 'errno'*", "*raises must be exception types*",
    ])  # fmt: skip


def test_a_raw_marker_is_checked_before_anything_runs(pytester: pytest.Pytester) -> None:
    """``pytest.mark.xfail_claim`` written by hand without ``raises``: a usage error."""
    pytester.makepyfile(
        test_raw="import pytest\n@pytest.mark.xfail_claim('reason', match='x')\n"
        "def test_x():\n    assert False\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_raw.py::test_x: xfail_claim takes raises=*"])


def test_judge_needs_every_part() -> None:
    """The type, the message and every claim: one missing is another failure."""
    spec = make("r", [Claim("error", "refused")], ValueError, "bad")
    ev = Evidence(calls=[CallRecord("defineXML", {"code": 1, "message": "refused"})])
    assert spec.judge(ValueError("bad input"), ev)[0]
    assert not spec.judge(ValueError("bad input"), Evidence())[0]
    assert not spec.judge(ValueError("fine"), ev)[0]
    assert not spec.judge(KeyError("bad"), ev)[0]


def test_the_helper_checks_at_once() -> None:
    """``xfail_claim`` raises when the module is imported, not when the test runs."""
    with pytest.raises(ClaimError, match="neither match nor a claim"):
        xfail_claim("r", raises=ValueError)
    assert isinstance(xfail_claim("r", raises=ValueError, match="x").args[0], XfailClaim)


def test_no_plain_strict_xfail_is_left_in_tests() -> None:
    """A plain xfail marker would hide a test failing for another reason: every
    expected failure of ``tests/`` states its claim with ``xfail_claim``."""
    tests = Path(__file__).resolve().parents[1]
    plain = [
        f"{p.relative_to(tests)}:{n}"
        for p in sorted(tests.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"pytest\.mark\.xfail\b(?!_claim)", line)
    ]
    assert plain == []
