"""The conformance matrix: its Markdown report and its verdicts."""

from __future__ import annotations

import json

import pytest

from steps.plugin import markdown

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
    result.stdout.fnmatch_lines(["*0 honoured, 0 not honoured, 0 skipped, 1 fixed?, 0 FAILED*"])
