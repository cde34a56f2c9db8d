"""Path resolution confined to a root directory, as the kernel walks a path inside a
chroot (``fs/namei.c:link_path_walk``): the one place where the simulated node's paths
meet the machine's filesystem.

A node path (``/vz/private/101``, a config's ``VE_PRIVATE``, ``DUMPDIR``, ``LOCKDIR``)
is walked component by component under the root. A symlink met on the way is read and
its target walked in its place: an absolute target starts again at the *root* (a node
path, or a container path when the root is a container's), a relative one from the
link's directory, and ``..`` at the root stays at the root. So no configuration value,
symlink or ``..`` chain can name anything outside the root; what it names instead is a
path inside it, and the command answers for that path as vzctl would (for example
``Container private area /vz/private/101 does not exist``, exit 43).

The result has no symlink left in any component that exists, so the operating system
follows nothing when it is used: only the last component may be a symlink, when the
caller asked for the link itself (``follow=False``: remove, rename, readlink).

More than 40 symlinks on one path (Linux's ``MAXSYMLINKS``; a loop) is an error, as
ELOOP is: :class:`PathLoop`, exit 3 (``VZ_SYSTEM_ERROR``), the node unchanged.
See docs/containment.md.
"""

from __future__ import annotations

import contextvars
import os
import stat
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simvz import errors as E
from simvz.errors import VzError

MAXSYMLINKS = 40  # include/linux/namei.h


class PathLoop(VzError):
    """ELOOP: too many symlinks while resolving ``path``."""

    def __init__(self, path: str) -> None:
        super().__init__(E.SYSTEM_ERROR, f"Unable to resolve {path}: Too many levels of symbolic links")
        self.path = path


def resolve(root: Path | str, path: str, follow: bool = True) -> str:
    """``path`` (absolute or relative to the root) with its symlinks resolved inside
    ``root``, as an absolute path under it (``/`` is ``root``); with ``follow=False`` a
    symlink in the last component is kept, as ``lstat`` and ``unlink`` see it."""
    base = os.fspath(root)
    known = _known_parent(base, path, follow)
    if known is not None:
        return known
    done: list[str] = []
    todo = deque(path.split("/"))
    links = 0
    while todo:
        name = todo.popleft()
        if name in ("", "."):
            continue
        if name == "..":
            if done:
                done.pop()
            continue
        if not follow and not any(todo):
            # the last component, not followed; a trailing "/." or "/.." follows it
            done.append(name)
            break
        target = _readlink(base, done, name)
        if target is None:
            done.append(name)
            continue
        links += 1
        if links > MAXSYMLINKS:
            raise PathLoop(path)
        if target.startswith("/"):
            done = []
        todo.extendleft(reversed(target.split("/")))
    return "/" + "/".join(done)


# Directories (not symlinks) met while resolving, within one command that changes no
# file (``cached``): vzlist -a on 10,000 CTs resolves 50,000 paths, and lstat'ing
# /etc, /etc/vz, /etc/vz/conf, /vz, /vz/private... again for each was most of its time.
_DIRS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("simvz_confine_dirs", default=None)


@contextmanager
def cached() -> Iterator[None]:
    """Remember the directories met while resolving, until the end of the block.

    Only for a command that changes no file, under the host lock (simvz/host.py): a
    directory it met stays a directory to its end, since every other simvz command
    waits for the lock, and what other programs do to a node (libvirt writing a
    config) replaces files, not directories by symlinks. :func:`forget` drops what was
    remembered (every change through simvz/storage.py calls it)."""
    token = _DIRS.set(set())
    try:
        yield
    finally:
        _DIRS.reset(token)


def forget() -> None:
    """Drop the directories :func:`cached` remembered so far."""
    dirs = _DIRS.get()
    if dirs:
        dirs.clear()


def _known_parent(base: str, path: str, follow: bool) -> str | None:
    """``path`` resolved when :func:`cached` met its parent as a directory: every
    remembered directory was reached by a path of resolved components, so such a
    parent is its own resolution and only the last component is left to look at.
    None when the walk is needed (no such parent, or a last component that is a link,
    ``.`` or ``..``)."""
    dirs = _DIRS.get()
    if not dirs or not path.startswith("/"):
        return None
    parent, _, name = path.rpartition("/")
    if name in ("", ".", "..") or base + parent not in dirs:
        return None
    if not follow:
        return path
    p = base + path
    if p in dirs:
        return path
    try:
        mode = os.lstat(p).st_mode
    except (OSError, ValueError):
        return path  # missing: the walk would keep the name as it is
    if stat.S_ISLNK(mode):
        return None
    if stat.S_ISDIR(mode):
        dirs.add(p)
    return path


def _readlink(base: str, done: list[str], name: str) -> str | None:
    """The target of ``base/done.../name`` if it is a symlink; None if not (or missing).
    Strings, not pathlib: a command resolves every path it touches component by
    component (vzlist -a on 10,000 CTs: a quarter of a million), and building a Path per
    component cost more than the lstat."""
    p = f"{base}/{'/'.join(done)}/{name}" if done else f"{base}/{name}"
    dirs = _DIRS.get()
    if dirs is not None and p in dirs:
        return None
    try:
        mode = os.lstat(p).st_mode
        if stat.S_ISLNK(mode):
            return os.readlink(p)
    except (OSError, ValueError):
        return None
    if dirs is not None and stat.S_ISDIR(mode):
        dirs.add(p)
    return None


def real(root: Path, path: str, follow: bool = True) -> Path:
    """The machine path of ``path`` resolved inside ``root`` (see :func:`resolve`)."""
    resolved = resolve(root, path, follow)
    return root / resolved.lstrip("/") if resolved != "/" else root


def machine(root: str, path: str, follow: bool = True) -> str:
    """:func:`real` as a string, for the hot paths of reading: building a Path costs
    more than resolving a short path (vzlist -a on 10,000 CTs resolves 50,000)."""
    resolved = resolve(root, path, follow)
    return root + resolved if resolved != "/" else root
