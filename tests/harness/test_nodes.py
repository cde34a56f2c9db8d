"""Fresh nodes copied from the session's pristine node (simvz/harness/nodes.py) are the
nodes ``simvz init`` makes, and each is a node of its own."""

from __future__ import annotations

import os
from pathlib import Path

from simvz.harness.nodes import NodeTemplates, Snapshot
from simvz.host import Host
from simvz.hostinit import init_host
from tests.conftest import create_ct, start_ct, vzctl, vzlist


def _tree(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every entry under ``root``: kind, permission bits, content (a link's target)."""
    out: dict[str, tuple[str, int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            entry = ("link", 0, os.readlink(path).encode())
        elif path.is_dir():
            entry = ("dir", st.st_mode & 0o7777, b"")
        else:
            entry = ("file", st.st_mode & 0o7777, path.read_bytes())
        out[str(path.relative_to(root))] = entry
    return out


def test_a_copied_node_is_the_node_simvz_init_makes(tmp_path: Path) -> None:
    made = init_host(tmp_path / "init", templates=["ubuntu-8.04-i386"], kernel="028stab")
    templates = NodeTemplates(tmp_path / "templates")
    copied = templates.new(tmp_path / "copy", templates=["ubuntu-8.04-i386"], kernel="028stab")
    assert _tree(copied.root) == _tree(made.root)
    assert vzlist(copied, "-a").out == vzlist(made, "-a").out


def test_each_copy_is_a_node_of_its_own(tmp_path: Path) -> None:
    templates = NodeTemplates(tmp_path / "templates")
    first = templates.new(tmp_path / "a")
    create_ct(first, 101)
    assert vzctl(first, "start", "101").exit == 0
    second = templates.new(tmp_path / "b")
    # the second node has none of the first's container, config or kernel state
    assert vzlist(second, "-a", "-H").out == ""
    assert not (second.root / "etc/vz/conf/101.conf").exists()
    assert vzctl(second, "status", "101").out == "CTID 101 deleted unmounted down\n"
    assert vzctl(first, "status", "101").out == "CTID 101 exist mounted running\n"


def test_a_copy_over_an_existing_node_is_refused(tmp_path: Path) -> None:
    templates = NodeTemplates(tmp_path / "templates")
    templates.new(tmp_path / "a")
    try:
        templates.new(tmp_path / "a")
    except FileExistsError as err:
        assert "already a simulated host" in str(err)
    else:
        raise AssertionError("a second copy onto the same node was made")


def test_a_snapshot_of_a_node_with_a_running_container_copies_to_the_same_node(tmp_path: Path) -> None:
    """Its private area, configs, name links, kernel state and /proc: the copy answers
    as the source does, and each copy can be made again."""
    source = init_host(tmp_path / "source")
    create_ct(source, 101)
    assert vzctl(source, "set", "101", "--name", "web", "--save").exit == 0
    start_ct(source, 101)
    snap = Snapshot.of(source.root)
    for name in ("a", "b"):
        snap.copy_to(tmp_path / name)
        assert _tree(tmp_path / name) == _tree(source.root)
    assert vzlist(Host(tmp_path / "a"), "-a").out == vzlist(source, "-a").out
    # the tools, never rewritten in place, are the source's files (on one file system)
    tool = "usr/sbin/vzctl"
    assert (tmp_path / "a" / tool).stat().st_ino == (source.root / tool).stat().st_ino
    assert vzctl(Host(tmp_path / "b"), "status", "web").out == "CTID 101 exist mounted running\n"
