"""Nothing a node command does reaches outside the node (docs/containment.md): symlinks
in node directories, absolute symlinks inside a container, and configs whose
VE_PRIVATE/VE_ROOT/DUMPDIR/LOCKDIR lead through such links are all resolved inside.

Each test has a canary directory next to the node, with files whose content a leak
would show and whose content and mtimes a write or delete would change."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest

from simvz import confine
from simvz.host import Host
from tests.conftest import create_ct, make_host, start_ct, vzctl

SECRET = "canary-secret-7f3a"


def canary(tmp_path: Path) -> Path:
    """``tmp_path/outside``: a file, a CT-like area ``101/`` and a subdirectory."""
    out = tmp_path / "outside"
    (out / "101" / "sbin").mkdir(parents=True)
    (out / "101" / "sbin" / "init").write_text(SECRET + "\n")
    (out / "file").write_text(SECRET + "\n")
    (out / "f").write_text(SECRET + "\n")
    return out


def state(tree: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``tree`` (and ``tree`` itself): its content (or kind) and mtime."""
    out = {".": ("dir", tree.stat().st_mtime_ns)}
    for p in sorted(tree.rglob("*")):
        st = p.lstat()
        kind = "link" if p.is_symlink() else ("dir" if p.is_dir() else p.read_text())
        out[str(p.relative_to(tree))] = (kind, st.st_mtime_ns)
    return out


@pytest.fixture
def node(tmp_path: Path) -> Host:
    return make_host(tmp_path / "node")


def _set_conf(host: Host, key: str, value: str) -> None:
    """Set ``KEY="value"`` in 101.conf by hand, as an editor (or libvirt) would."""
    conf = host.root / "etc/vz/conf/101.conf"
    text = re.sub(rf"(?m)^{key}=.*\n", "", conf.read_text())
    conf.write_text(text + f'{key}="{value}"\n')


def _relink(path: Path, target: str | Path) -> None:
    """Replace the directory ``path`` by a symlink to ``target``."""
    os.rename(path, path.with_name(path.name + ".was"))
    os.symlink(target, path)


def test_destroy_through_a_node_directory_linked_outside_deletes_nothing_there(
    node: Host, tmp_path: Path
) -> None:
    """``DIR/vz/private -> OUTSIDE``: the link's target is a node path, so destroy 101
    removes ``/vz/private/101`` of the node (here: nothing), never ``OUTSIDE/101``."""
    out = canary(tmp_path)
    create_ct(node, 101)
    _relink(node.root / "vz" / "private", out)
    before = state(out)
    r = vzctl(node, "destroy", "101")
    assert r.exit == 0, r.err
    assert state(out) == before
    assert not (node.root / "etc/vz/conf/101.conf").exists()


@pytest.mark.parametrize("target", ["abs", "rel"])
def test_exec_resolves_symlinks_inside_the_container(node: Host, tmp_path: Path, target: str) -> None:
    """``/c -> OUTSIDE`` inside CT 101, absolute or by a ``..`` chain: cat, echo >, rm and
    a write through ``/etc/motd -> OUTSIDE/file`` stay in the CT, as in a chroot."""
    out = canary(tmp_path)
    create_ct(node, 101)
    start_ct(node, 101)
    private = node.root / "vz" / "private" / "101"
    link = str(out) if target == "abs" else os.path.relpath(out, private)
    os.symlink(link, private / "c")
    os.symlink(f"{link}/file", private / "etc" / "motd")
    before = state(out)
    for script in ("cat /c/f", "echo p > /c/new", "rm /c/f", "echo x > /etc/motd", "ls /c"):
        r = vzctl(node, "exec2", "101", script)
        assert SECRET not in r.out + r.err, script
    assert state(out) == before


@pytest.mark.parametrize(
    ("key", "command"),
    [
        ("VE_PRIVATE", ["destroy", "101"]),
        ("VE_ROOT", ["mount", "101"]),
        ("DUMPDIR", ["suspend", "101"]),
        ("LOCKDIR", ["stop", "101"]),
    ],
)
def test_config_paths_through_links_stay_in_the_node(
    node: Host, tmp_path: Path, key: str, command: list[str]
) -> None:
    """A config's VE_PRIVATE/VE_ROOT/DUMPDIR/LOCKDIR naming ``/vz/away/...`` where
    ``DIR/vz/away -> OUTSIDE``: the command works on the node's paths only."""
    out = canary(tmp_path)
    create_ct(node, 101)
    os.symlink(out, node.root / "vz" / "away")
    _set_conf(node, key, "/vz/away/$VEID" if key in ("VE_PRIVATE", "VE_ROOT") else "/vz/away")
    if key in ("DUMPDIR", "LOCKDIR"):
        start_ct(node, 101)
    if key == "VE_ROOT":
        (out / "101").rename(out / "102")  # mount creates VE_ROOT when missing
    before = state(out)
    vzctl(node, *command)
    assert state(out) == before


@pytest.mark.parametrize("name", [".", ".."])
def test_set_name_dot_is_refused_as_vzctl_does(ct101: Host, name: str) -> None:
    """``KV:src/lib/config.c:set_name``: unlink("/etc/vz/names/.") fails, symlink()
    gives EEXIST: "Unable to create link ...: File exists", exit 131, then vps_set's
    not-saving line (``KV:src/vzctl-actions.c:vps_set``); nothing saved, and no
    temporary link left behind."""
    conf = ct101.root / "etc/vz/conf/101.conf"
    before = sorted(p.name for p in (ct101.root / "etc" / "vz").rglob("*")), conf.read_text()
    r = vzctl(ct101, "set", "101", "--name", name, "--save")
    not_saved = "Error: failed to apply some parameters, not saving configuration file!\n"
    assert (r.exit, r.out, r.err) == (
        131, "", f"Unable to create link /etc/vz/names/{name}: File exists\n" + not_saved
    )
    assert (sorted(p.name for p in (ct101.root / "etc" / "vz").rglob("*")), conf.read_text()) == before


def test_redirect_into_a_directory_is_the_shells_error(ct101: Host) -> None:
    """bash's open(2) of a directory for writing fails with EISDIR: it says so, exit 1
    (``vzctl exec`` turns a failed command into 8)."""
    start_ct(ct101, 101)
    r = vzctl(ct101, "exec2", "101", "echo x > /etc")
    assert (r.exit, r.err) == (1, "bash: /etc: Is a directory\n")
    r = vzctl(ct101, "exec", "101", "echo x >> /etc")
    assert (r.exit, r.err) == (8, "bash: /etc: Is a directory\n")
    assert (ct101.root / "vz/private/101/etc").is_dir()


def test_a_symlink_loop_in_a_node_path_is_eloop_and_changes_nothing(ct101: Host) -> None:
    """More than 40 links (a loop) on a node path is ELOOP: exit 3, the node as it was."""
    os.symlink("loop2", ct101.root / "vz" / "loop1")
    os.symlink("loop1", ct101.root / "vz" / "loop2")
    _set_conf(ct101, "VE_PRIVATE", "/vz/loop1/$VEID")
    before = sorted(str(p) for p in ct101.root.rglob("*") if ".simvz" not in p.parts)
    r = vzctl(ct101, "destroy", "101")
    assert (r.exit, r.err) == (3, "Unable to resolve /vz/loop1/101: Too many levels of symbolic links\n")
    assert sorted(str(p) for p in ct101.root.rglob("*") if ".simvz" not in p.parts) == before


def test_a_symlink_loop_inside_a_container_is_the_shells_error(ct101: Host) -> None:
    start_ct(ct101, 101)
    os.symlink("me", ct101.root / "vz/private/101/me")
    r = vzctl(ct101, "exec2", "101", "cat /me")
    assert (r.exit, r.err) == (1, "cat: /me: Too many levels of symbolic links\n")


def test_remembered_directories_are_dropped_when_one_is_replaced_by_a_link(
    node: Host, tmp_path: Path
) -> None:
    """A read-only command remembers the directories its paths pass (simvz/confine.py:
    cached); a directory replaced by a symlink while remembered (through the node's
    storage) is followed as the symlink it now is, inside the node, never left as the
    directory it was, and a link out of the node still lands inside it."""
    outside = canary(tmp_path)
    node.fs.write("/srv/a/f", "inside\n")
    node.fs.write("/srv/b/f", "other\n")
    with confine.cached():
        assert node.fs.read("/srv/a/f") == "inside\n"
        node.fs.rmtree("/srv/a")
        node.fs.symlink("/srv/b", "/srv/a")
        assert node.fs.read("/srv/a/f") == "other\n"
        node.fs.remove("/srv/a")
        node.fs.symlink(str(outside), "/srv/a")
        assert node.fs.read("/srv/a/f") is None  # outside/f is not the node's
        assert node.fs.real("/srv/a/f") == node.root / outside.relative_to("/") / "f"


def test_remembering_directories_resolves_every_path_as_the_walk_does(tmp_path: Path) -> None:
    """Inside ``confine.cached()`` every path resolves as the full walk resolves it (or
    is the same loop), whichever paths were resolved before it: links absolute and
    relative, dangling, looping and leading out of the root, ``.``, ``..`` and ``//``."""
    root = tmp_path / "r"
    for d in ("a/b/c", "d/e", "x"):
        (root / d).mkdir(parents=True)
    for target, link in (("/d", "a/l1"), ("../d/e", "a/b/l2"), ("/a/b", "x/l3"), ("/none/q", "x/dang"),
                         ("loop", "x/loop"), (str(tmp_path), "d/e/out")):  # fmt: skip
        (root / link).symlink_to(target)
    (root / "a/b/c/f").write_text("f\n")
    names = ["a", "b", "c", "d", "e", "x", "l1", "l2", "l3", "dang", "loop", "out", "f", ".", "..", ""]
    paths = ["/" + "/".join(p) for n in (1, 2, 3) for p in itertools.product(names, repeat=n)]

    def resolved(path: str, follow: bool) -> str:
        try:
            return confine.resolve(root, path, follow)
        except confine.PathLoop:
            return "ELOOP"

    walked = {(p, f): resolved(p, f) for p in paths for f in (True, False)}
    with confine.cached():
        for key in [*walked, *reversed(walked)]:
            assert resolved(*key) == walked[key], key
