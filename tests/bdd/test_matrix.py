"""The conformance matrix: its Markdown report and its verdicts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simvz.harness.claims import CallRecord, Claim, Command, Evidence
from simvz_steps.gaps import GAPS, Gap
from simvz_steps.plugin import markdown, matrix_lines

pytest_plugins = ["pytester"]


def test_markdown_lists_every_row_with_its_reason_and_escapes_pipes() -> None:
    rows = [
        {"feature": "Lifecycle", "scenario": "Undefine", "corpus": ["56"], "result": "not honoured",
         "reason": "[gap] vzctl --quiet start destroy 209 | exit 21"},
        {"feature": "Routed", "scenario": "Both IPs", "corpus": ["66", "69"], "result": "honoured",
         "reason": ""},
    ]  # fmt: skip
    text = markdown(rows)
    assert (
        "| Lifecycle | Undefine | 56 | not honoured | [gap] vzctl --quiet start destroy 209 \\| exit 21 |"
        in text
    )
    assert "| Routed | Both IPs | 66, 69 | honoured |  |" in text


FIXED = """\
Feature: A gap that is gone
  @gap:undefine-start-destroy
  Scenario: A scenario tagged with a gap passes
    Given the host has a bridge "vmbr0"
"""


def test_a_gap_scenario_that_passes_is_fixed_in_the_matrix_and_fails_the_run(
    pytester: pytest.Pytester,
) -> None:
    """Strict xfail: the run fails so the fix is noticed, and the matrix says "fixed?"
    with the gap it was tagged with (what a patched libvirt build shows)."""
    pytester.makefile(".feature", **{"features/fixed": FIXED})
    pytester.makepyfile(test_fixed="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--conformance-json", "m.json")
    assert result.ret == 1
    row = json.loads((pytester.path / "m.json").read_text())["scenarios"][0]
    assert row["result"] == "fixed?"
    assert row["reason"].startswith("passes now, though tagged [undefine-start-destroy]")
    result.stdout.fnmatch_lines(
        ["*0 honoured, 0 not honoured, 0 not honoured (changed), 0 skipped, 1 fixed?, 0 FAILED*"]
    )


UNDEFINE = """\
Feature: Undefine
  {tags}
  Scenario: Undefine removes the container
    Given a private area for container 209 unpacked from template "fedora-core-5-i386"
    And a domain named "209"
    And its devices include corpus item "32" with "/some/path" as "/vz/private/209"
    And the domain is defined
{arrange}    When domain "209" is undefined
    Then the call succeeds
    And no container 209 is left on the host
"""


def _run_feature(
    pytester: pytest.Pytester, text: str, *args: str
) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    """Run one feature in a subprocess; the matrix wrapped to 200 columns."""
    pytester._monkeypatch.setenv("COLUMNS", "200")
    pytester.makefile(".feature", **{"features/f": text})
    pytester.makepyfile(test_f="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--conformance-json", "m.json", "--cucumberjson", "c.json",
        "--junitxml", "j.xml", *args,
    )  # fmt: skip
    rows = json.loads((pytester.path / "m.json").read_text())["scenarios"]
    return result, rows


def test_a_gap_whose_claim_matches_is_not_honoured_with_this_runs_evidence(pytester: pytest.Pytester) -> None:
    """The evidence is what the driver did in this run (the journal's argv, exit, stderr),
    in every report: matrix, JSON, JUnit and Cucumber."""
    result, rows = _run_feature(pytester, UNDEFINE.format(tags="@gap:undefine-start-destroy", arrange=""))
    assert result.ret == 0
    row = rows[0]
    assert row["result"] == "not honoured" and row["gap"] == "undefine-start-destroy"
    assert row["evidence"]["matched"] == (
        "undefine on 990209 ran exit 21: /usr/sbin/vzctl --quiet start destroy 990209 (Bad CT ID destroy)"
    )
    assert row["evidence"]["commands"][-1] == {
        "argv": "/usr/sbin/vzctl --quiet start destroy 990209", "exit": 21, "stderr": "Bad CT ID destroy\n"
    }
    assert row["evidence"]["step"] == "Then the call succeeds"
    assert "Bad CT ID destroy" in row["evidence"]["error"]["message"]
    result.stdout.fnmatch_lines(["*gap: ?undefine-start-destroy? undefine on 990209 ran exit 21:*"])
    assert "vzctl --quiet start destroy 990209 (Bad CT ID destroy)" in (pytester.path / "j.xml").read_text()
    step = json.loads((pytester.path / "c.json").read_text())[0]["elements"][0]["steps"][-2]
    assert step["name"] == "the call succeeds"
    assert "matched [undefine-start-destroy]" in step["result"]["error_message"]


def test_a_failure_the_claim_does_not_match_is_changed_and_fails_the_run(pytester: pytest.Pytester) -> None:
    """The node answers the driver's `vzctl --quiet start destroy` otherwise than the gap
    claims (exit 9, a lock, instead of exit 21): "not honoured (changed)", with what was
    observed, and the run fails as for "fixed?"."""
    arrange = (
        '    And the host\'s next "vzctl start destroy" fails with exit 9 and "Container already locked"\n'
    )
    feature = UNDEFINE.format(tags="@gap:undefine-start-destroy", arrange=arrange)
    result, rows = _run_feature(pytester, feature)
    assert result.ret == 1
    row = rows[0]
    assert row["result"] == "not honoured (changed)"
    assert row["evidence"]["matched"] == ""
    assert "command: exit 9: /usr/sbin/vzctl --quiet start destroy 990209 (Container already locked)" in (
        row["evidence"]["lines"]
    )
    result.stdout.fnmatch_lines([
        "*not honoured (changed) Undefine removes the container*",
        "*expected: tagged @gap:undefine-start-destroy, but no claim matches*",
        "*observed command: exit 9: /usr/sbin/vzctl --quiet start destroy 990209 (Container*",
        "*0 not honoured, 1 not honoured (changed)*",
    ])  # fmt: skip


def test_of_several_gaps_the_first_whose_claim_matches_is_the_verdict(pytester: pytest.Pytester) -> None:
    """One gap masks another: tagged with both, the one this run meets is checked."""
    tags = "@gap:ostemplate-pointer @gap:undefine-start-destroy"
    result, rows = _run_feature(pytester, UNDEFINE.format(tags=tags, arrange=""))
    assert result.ret == 0
    assert (rows[0]["result"], rows[0]["gap"]) == ("not honoured", "undefine-start-destroy")


@pytest.mark.parametrize(
    ("gap", "message"),
    [
        (None, "gap 'broken' has no claim"),
        (Claim("argv", "(unclosed"), "gap 'broken': pattern '(unclosed' is not a regular expression"),
        (Claim("state", "x"), "gap 'broken': a state claim needs a key"),
        (Claim("smell", "x"), "gap 'broken': unknown claim kind 'smell'"),
    ],
)
def test_a_gap_without_a_usable_claim_stops_the_run_before_anything_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gap: Claim | None, message: str
) -> None:
    monkeypatch.setitem(GAPS, "broken", Gap("a reason", gap))
    pytester.makefile(".feature", **{"features/f": FIXED})
    pytester.makepyfile(test_f="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_an_unknown_gap_stops_the_run_at_collection(pytester: pytest.Pytester) -> None:
    result, _ = None, None
    pytester.makefile(".feature", **{"features/f": FIXED.replace("undefine-start-destroy", "no-such-gap")})
    pytester.makepyfile(test_f="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown gap 'no-such-gap': add it to steps/gaps.py*"])
    assert "1 passed" not in result.stdout.str()


def test_the_matrix_wraps_evidence_to_the_width_without_cutting_words() -> None:
    matched = "undefine ran exit 21: /usr/sbin/vzctl --quiet start destroy 990209 (Bad CT ID destroy) "
    matched += "word " * 30
    row: dict[str, Any] = {"feature": "F", "scenario": "S", "corpus": ["56"], "result": "not honoured",
                           "gap": "g", "reason": "r", "evidence": {"matched": matched}}  # fmt: skip
    lines = matrix_lines([row], 60)
    body = lines[2:]
    assert all(len(line) <= 60 for line in body)
    words = " ".join(" ".join(line.split()) for line in body).split()
    assert words == ["gap:", "[g]", *matched.split()]


@pytest.mark.parametrize(
    ("template", "holds"),
    [
        ("\\x90\\xf9GI\\xf4U", True),  # the journal's text of the pointer's bytes
        ("\u0415pUpU", True),  # bytes that decode as UTF-8 letters are no template name either
        ("", True),  # a pointer whose low byte is 0: an empty argument, vzctl answers 91
        ("pBuNPV", True),  # a pointer whose bytes happen to be letters (seen in a run)
        ("fedora-core-5-i386", False),  # the fix: the template's name
    ],
)
def test_the_pointer_claim_holds_for_any_bytes_but_a_template_name(template: str, holds: bool) -> None:
    """The ``ostemplate-pointer`` claim matches whatever bytes the pointer has this run."""
    argv = f"/usr/sbin/vzctl --quiet create 990209 --name 990209 --ostemplate {template}"
    ev = Evidence(calls=[CallRecord("defineXML", None, [Command(argv, 91)])])
    claim = GAPS["ostemplate-pointer"].claim
    assert claim is not None and (claim.find(ev) is not None) == holds


def test_a_suite_with_other_tests_prints_the_counts_and_the_table_on_request(
    pytester: pytest.Pytester,
) -> None:
    """Scenarios run among other tests (a project's whole suite) end with one line of
    counts, not the table `simvz conformance` prints; --conformance-table asks for it."""
    pytester.makefile(".feature", **{"features/fixed": FIXED.replace("@gap:undefine-start-destroy", "")})
    pytester.makepyfile(test_fixed="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    pytester.makepyfile(test_other="def test_other() -> None:\n    assert True\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["conformance: 1 honoured"])
    assert "OpenVZ domain XML conformance" not in result.stdout.str()
    table = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--conformance-table")
    table.stdout.fnmatch_lines(
        ["*OpenVZ domain XML conformance (1 feature)*", "*1 honoured, 0 not honoured*"]
    )


def test_the_matrix_title_names_the_features_beyond_the_thread_apart() -> None:
    """Shipped features the thread did not discuss (``@beyond_thread``, migration) are
    named as such, apart from a project's own features."""
    from simvz_steps.plugin import _scope

    thread = {"feature": "Lifecycle", "thread": True, "beyond": False}
    beyond = {"feature": "Migration", "thread": False, "beyond": True}
    own = {"feature": "Mine", "thread": False, "beyond": False}
    assert _scope([thread]) == "July 2008 thread"
    assert _scope([thread, beyond]) == "July 2008 thread and 1 feature beyond the thread"
    assert _scope([thread, beyond, own]) == (
        "July 2008 thread, 1 feature beyond the thread and 1 feature of your own"
    )
    assert _scope([own]) == "1 feature"
    assert _scope([beyond]) == "1 feature beyond the thread"
