"""Fresh simulated nodes for a test session, made by copying a pristine one.

``simvz init`` writes about a hundred files, each config fsynced as vzctl saves it
(``KV:src/lib/config.c:vps_save_config``), and copies the tool client into the node
when its build cache is on another file system. A session that needs hundreds of fresh
nodes builds each kind once (:func:`simvz.hostinit.init_host`) and copies it: the files
are the same bytes, modes and links, with nothing of a previous test in them; the
tools, which nothing rewrites in place (they are installed by rename), are hard links
to the pristine node's, so a node costs a few hundred KB, not four MB.

Only what a node's files depend on is a different kind of node: the ``init_host``
options given and the tool server's socket directory of the moment
(``SIMVZ_TOOL_SOCKDIR``, written into ``/.simvz/tools.conf``). Options the copy cannot
reproduce (a host registry, a seed, a hostname) go to ``init_host`` itself.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simvz.fastpath.server import SOCKDIR_ENV
from simvz.host import Host
from simvz.hostinit import init_host

# The node's executables: installed by rename, never rewritten in place.
SHARED = "usr/sbin"


class NodeTemplates:
    """Pristine nodes under ``directory``, one per kind, and copies of them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._made: dict[tuple[object, ...], Snapshot] = {}

    def new(
        self, root: Path, *, templates: Sequence[str] = (), vzctl_version: str = "4.11.1",
        kernel: str = "042stab",
    ) -> Host:  # fmt: skip
        """A fresh node at ``root``, as ``init_host(root, ...)`` makes it."""
        host = Host(root)
        if host.is_initialised():
            raise FileExistsError(f"{host.root} is already a simulated host")
        key = (tuple(templates), vzctl_version, kernel, os.environ.get(SOCKDIR_ENV, ""))
        pristine = self._made.get(key)
        if pristine is None:
            made = self.directory / f"node-{len(self._made)}"
            init_host(made, templates=templates, vzctl_version=vzctl_version, kernel=kernel)
            pristine = self._made[key] = Snapshot.of(made)
        pristine.copy_to(host.root)
        return host


@dataclass(frozen=True)
class Entry:
    """One entry of a node's tree: where, what, its permission bits, its bytes (a
    link's target)."""

    rel: str
    kind: str  # "dir", "file", "link" or "tool" (a file of SHARED)
    mode: int
    data: bytes


@dataclass(frozen=True)
class Snapshot:
    """A node's tree read once into memory, to be written out as often as wanted: a
    copy is then a few system calls per file (shutil's copy2 makes a dozen, and a node
    has a hundred files); the tools are hard links to the source's when the file
    system allows. The source must not change while copies are made from it (a
    pristine node of a session, a test's base node)."""

    source: Path
    entries: tuple[Entry, ...]

    @classmethod
    def of(cls, source: Path) -> Snapshot:
        """``source``'s tree as it is now (parents before their entries)."""
        entries: list[Entry] = []
        _read_tree(os.fspath(source), "", entries)
        return cls(source, tuple(entries))

    def copy_to(self, dest: Path) -> None:
        """Write the tree at ``dest``, which must be missing or empty."""
        base = os.fspath(dest)
        os.makedirs(base, exist_ok=True)
        dirs: list[tuple[str, int]] = []
        for e in self.entries:
            path = f"{base}/{e.rel}"
            if e.kind == "dir":
                os.mkdir(path)
                dirs.append((path, e.mode))
            elif e.kind == "link":
                os.symlink(e.data, path)
            elif e.kind != "tool" or not _linked(f"{self.source}/{e.rel}", path):
                _write(path, e.data, e.mode)
        for path, mode in reversed(dirs):  # last: a read-only directory is filled first
            os.chmod(path, mode)


def _read_tree(directory: str, rel: str, out: list[Entry]) -> None:
    with os.scandir(directory) as it:
        found = sorted(it, key=lambda e: e.name)
    for e in found:
        name = f"{rel}{e.name}"
        st = e.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            out.append(Entry(name, "link", 0, os.fsencode(os.readlink(e.path))))
        elif stat.S_ISDIR(st.st_mode):
            out.append(Entry(name, "dir", stat.S_IMODE(st.st_mode), b""))
            _read_tree(e.path, name + "/", out)
        elif stat.S_ISREG(st.st_mode):
            kind = "tool" if rel == SHARED + "/" else "file"
            with open(e.path, "rb") as fh:
                out.append(Entry(name, kind, stat.S_IMODE(st.st_mode), fh.read()))
        else:
            raise ValueError(f"{e.path}: not a file, directory or symlink: a node has none")


def _linked(src: str, dst: str) -> bool:
    try:
        os.link(src, dst)
    except OSError:
        return False  # another file system: a copy, as simvz init makes it
    return True


def _write(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


_session: NodeTemplates | None = None


def use(templates: NodeTemplates | None) -> None:
    """Make :func:`fresh_node` copy from ``templates`` (None: run ``init_host``)."""
    global _session
    _session = templates


def fresh_node(
    root: Path, *, templates: Sequence[str] = (), vzctl_version: str = "4.11.1", kernel: str = "042stab"
) -> Host:
    """A new node at ``root``: a copy of the session's pristine node of that kind when a
    session set one up (the ``simvz`` pytest plugin does), else ``init_host``'s."""
    if _session is None:
        return init_host(root, templates=templates, vzctl_version=vzctl_version, kernel=kernel)
    return _session.new(root, templates=templates, vzctl_version=vzctl_version, kernel=kernel)
