"""Path tricks never reach outside the node, and a refusal leaves the node as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvz.host import Host
from simvz.hostinit import init_host


def _snapshot(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if rel.startswith(".simvz/journal") or rel.endswith(".lock"):
            continue
        out[rel] = f"-> {p.readlink()}" if p.is_symlink() else (p.read_bytes() if p.is_file() else "dir")
    return out


@pytest.fixture
def node(tmp_path: Path) -> Host:
    return init_host(tmp_path / "node")


@pytest.mark.parametrize("name", ["../../../etc/passwd", "/etc/hostname", "../../../../../../vz/x"])
def test_template_names_with_path_tricks_are_not_found(node: Host, name: str) -> None:
    """The cache lookup is ``<TEMPLATE>/cache/<name>.tar...`` (``KV:src/lib/create.c:fs_create``):
    nothing outside the node can match it, and the refusal changes nothing."""
    before = _snapshot(node.root)
    r = node.run("vzctl", ["vzctl", "create", "102", "--ostemplate", name])
    assert r.exit == 91
    assert "Creation of container private area failed\n" in r.err
    assert _snapshot(node.root) == before


def test_a_template_name_that_climbs_back_into_the_cache_is_found_as_vzctl_would(node: Host) -> None:
    """vzctl joins the name to the cache directory as is; OSTEMPLATE stores its basename."""
    r = node.run("vzctl", ["vzctl", "create", "102", "--ostemplate", "../cache/centos-6-x86"])
    assert r.exit == 0, r.err
    assert 'OSTEMPLATE="centos-6-x86"' in (node.root / "etc/vz/conf/102.conf").read_text()


def test_private_area_outside_the_node_stays_inside_it(node: Host, tmp_path: Path) -> None:
    """``--private /../../x/$VEID`` is a path on the node; the node's root is its ``/``."""
    r = node.run(
        "vzctl",
        ["vzctl", "create", "103", "--ostemplate", "centos-6-x86", "--private", "/../../outside/$VEID"],
    )
    assert r.exit == 0, r.err
    assert (node.root / "outside/103/sbin/init").exists()
    assert not (tmp_path / "outside").exists()
    assert 'VE_PRIVATE="/../../outside/$VEID"' in (node.root / "etc/vz/conf/103.conf").read_text()


def test_exec_cannot_read_host_files_through_dotdot(node: Host) -> None:
    assert node.run("vzctl", ["vzctl", "create", "104", "--ostemplate", "centos-6-x86"]).exit == 0
    assert node.run("vzctl", ["vzctl", "start", "104"]).exit == 0
    (node.root / "secret").write_text("host file\n")
    r = node.run("vzctl", ["vzctl", "exec2", "104", "cat", "../../../../secret"])
    assert r.exit == 1 and "No such file or directory" in r.err
