"""A driver developer's own repository: a .feature file of theirs, run with the step
library and fixtures simvz installs (pytest plugin ``simvz_steps``), nothing copied."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

FEATURE = """\
Feature: Our driver keeps the container ID
  Scenario: A container made by the administrator is seen by libvirt
    Given the administrator runs "vzctl create 101 --ostemplate centos-6-x86"
    When the administrator runs "vzctl start 101"
    Then container 101 is running
    And libvirt lists domain "101" as running
"""

TEST_MODULE = """\
from pytest_bdd import scenarios

scenarios("features")
"""


def test_an_outside_feature_uses_the_installed_steps(pytester: pytest.Pytester) -> None:
    pytester.makefile(".feature", **{"features/ours": FEATURE})
    pytester.makepyfile(test_ours=TEST_MODULE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*honoured*A container made by the administrator is seen by libvirt*"])
