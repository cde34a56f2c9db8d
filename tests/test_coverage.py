"""docs/emulation.md lists exactly what the dispatch tables emulate."""

from __future__ import annotations

from pathlib import Path

from simvz import coverage


def test_coverage_page_is_current() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "emulation.md"
    assert page.read_text() == coverage.render(), "regenerate: python -m simvz.coverage > docs/emulation.md"


def test_every_listed_command_is_dispatched_or_refused_loudly(tmp_path: Path) -> None:
    from simvz.hostinit import init_host

    host = init_host(tmp_path / "n")
    host.run("vzctl", ["vzctl", "create", "101", "--ostemplate", "centos-6-x86"])
    host.run("vzctl", ["vzctl", "start", "101"])
    r = host.run("vzctl", ["vzctl", "enter", "101"])
    assert r.exit == 20 and b"vzctl enter on a running container" in r.stderr
