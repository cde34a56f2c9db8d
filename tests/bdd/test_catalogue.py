"""The step catalogue: generated from the steps pytest-bdd has registered, printed by
``simvz steps``, kept in features/README.md; a typo in a feature names the nearest steps."""

from __future__ import annotations

import pytest

from simvz.main import main
from simvz_steps import catalogue

pytest_plugins = ["pytester"]


def test_features_readme_lists_every_registered_step() -> None:
    """features/README.md is what ``simvz steps --write`` writes (run it after adding a step)."""
    readme = (catalogue.FEATURES / "README.md").read_text()
    assert catalogue.render_markdown(catalogue.catalogue()) in readme


def test_every_step_has_an_example_and_says_what_it_does() -> None:
    steps = catalogue.catalogue()
    assert len(steps) > 40
    assert [s.text for s in steps if not s.example] == []
    assert [s.text for s in steps if not s.doc] == []


def test_simvz_steps_lists_steps_with_parameters_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    assert 'Given/When the administrator runs "<command>"\n    parameters: command\n' in out
    assert '    e.g. the administrator runs "vzctl create 101 --ostemplate centos-4-i386"\n' in out
    assert 'Then the config of container <ctid> has <key> containing "<text>"' in out
    assert 'Given its devices include: + """block"""' in out


def test_simvz_steps_write_refreshes_a_stale_readme(tmp_path: pytest.TempPathFactory) -> None:
    readme = tmp_path / "README.md"  # type: ignore[operator]
    readme.write_text(f"# Mine\n\n{catalogue.BEGIN}\nold list\n{catalogue.END}\n\nThe end.\n")
    assert main(["steps", "--write", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# Mine\n\n") and text.endswith("\n\nThe end.\n")
    assert "old list" not in text and '| `a domain named "<name>"` | name |' in text
    assert main(["steps", "--write", str(readme)]) == 0
    assert readme.read_text() == text


TYPO = """\
Feature: A typo
  Scenario: A typo
    Given a domain named "209"
    When the domain is defind
"""


def test_an_unknown_step_names_the_nearest_registered_steps(pytester: pytest.Pytester) -> None:
    """Instead of pytest-bdd's bare StepDefinitionNotFoundError."""
    pytester.makefile(".feature", **{"features/typo": TYPO})
    pytester.makepyfile(test_typo="from pytest_bdd import scenarios\n\nscenarios('features')\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*UnknownStep: no step matches When 'the domain is defind' (line 4 of *typo.feature*did you*",
            "*When the domain is defined*",
        ]
    )


def test_an_optional_word_reads_as_written_in_brackets() -> None:
    """A regex step's optional literal (``(?P<live>live )?``) is what a writer may add, not a
    parameter: the list shows ``[live ]``; a parameter stays ``<name>``."""
    texts = {doc.text for doc in catalogue.catalogue()}
    assert "the domain <ctid> is migrated [live ]to the second host" in texts
    assert not [t for t in texts if ">?" in t]
