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
import shutil
from collections.abc import Sequence
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
        self._made: dict[tuple[object, ...], Path] = {}

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
            pristine = self.directory / f"node-{len(self._made)}"
            init_host(pristine, templates=templates, vzctl_version=vzctl_version, kernel=kernel)
            self._made[key] = pristine
        copy_node(pristine, host.root)
        return host


def copy_node(source: Path, dest: Path) -> None:
    """``source``'s tree at ``dest``: symlinks as links, the tools hard-linked when the
    file system allows, everything else copied with its mode."""
    shared = source / SHARED

    def place(src: str, dst: str) -> None:
        if Path(src).parent == shared:
            try:
                os.link(src, dst)
                return
            except OSError:
                pass  # another file system: a copy, as simvz init makes it
        shutil.copy2(src, dst)

    shutil.copytree(source, dest, symlinks=True, copy_function=place, dirs_exist_ok=True)


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
