"""``simvz libvirt-build``'s recipes: which options a version and a flavour get, that a
source tree's version is read from its meson.build, and that a tree is synchronised
into its cache entry file by file (what makes ninja's rebuild incremental). Building
itself is the slow tests' business (tests/bdd/test_patched_build.py, tests/libvirt's
coverage and ASan runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simvz.harness.libvirt_source import Recipe, SourceUnavailable, _sync, thread_fixes
from simvz.main import main


def test_each_debian_version_gets_the_options_it_needs() -> None:
    old, new = Recipe.debian("9.0.0"), Recipe.debian("11.3.0")
    assert "-Ddriver_openvz=enabled" in old.options and "-Ddriver_openvz=enabled" in new.options
    assert "-Dlibnl=enabled" not in old.options  # 9.0.0's meson does not insist on it
    assert {"-Dlibnl=enabled", "-Ddriver_remote=enabled"} <= set(new.options)
    cov, asan = Recipe.debian("9.0.0", coverage=True), Recipe.debian("9.0.0", asan=True)
    assert "-Db_coverage=true" in cov.options
    assert {"-Db_sanitize=address,undefined", "-Db_lundef=false"} <= set(asan.options)


def test_the_cache_key_names_version_patches_and_flavour() -> None:
    keys = {
        Recipe.debian("9.0.0").key(),
        Recipe.debian("11.3.0").key(),
        Recipe.debian("9.0.0", coverage=True).key(),
        Recipe.debian("9.0.0", asan=True).key(),
        Recipe.debian("9.0.0", thread_fixes()).key(),
    }
    assert len(keys) == 5
    assert Recipe.debian("9.0.0").key() == Recipe().key()  # the existing entries stay valid
    assert Recipe.debian("11.3.0").key().startswith("11.3.0-")


def test_an_unknown_debian_version_is_refused_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["libvirt-build", "--version", "7.0.0"]) == 2
    assert capsys.readouterr().err == (
        "simvz: libvirt-build: no Debian source of libvirt 7.0.0 known (one of 9.0.0, 11.3.0)\n"
    )


def test_a_source_tree_is_read_for_its_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "meson.build").write_text("project(\n  'libvirt', 'c',\n  version: '11.6.0',\n)\n")
    recipe = Recipe.tree(tmp_path)
    assert recipe.version == "11.6.0"
    assert "-Dlibnl=enabled" in recipe.options  # a version after 10.0 needs what 11.3.0 does
    assert main(["libvirt-build", "--source", str(tmp_path / "nowhere")]) == 2
    assert "not a libvirt source tree (no meson.build" in capsys.readouterr().err
    (tmp_path / "meson.build").write_text("project('other', 'c')\n")
    with pytest.raises(SourceUnavailable, match="names no libvirt version"):
        Recipe.tree(tmp_path)


def test_a_tree_is_synchronised_file_by_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "src" / "openvz").mkdir(parents=True)
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/master\n")
    (src / "src" / "openvz" / "openvz_driver.c").write_text("int a;\n")
    (src / "meson.build").write_text("project('libvirt')\n")
    assert _sync(src, dst) == 2  # .git is not copied
    assert not (dst / ".git").exists()
    assert _sync(src, dst) == 0  # nothing changed: nothing copied, nothing for ninja to redo
    driver = src / "src" / "openvz" / "openvz_driver.c"
    driver.write_text("int a, b;\n")
    os.utime(driver, (1, 1))
    assert _sync(src, dst) == 1
    assert (dst / "src" / "openvz" / "openvz_driver.c").read_text() == "int a, b;\n"
