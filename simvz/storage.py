"""The host directory seen as the root of an OpenVZ node.

Every path the simulated tools use is a *node* path (``/etc/vz/conf/101.conf``) mapped
under the host directory like a chroot (:mod:`simvz.confine`): ``..`` can never climb
out of it, and symlinks met on the way (the ``/etc/vz/names`` links, a ``/vz/private``
that is a link) are resolved as node paths, never followed by the OS. A container's
tree is seen the same way through :meth:`Storage.chroot`.
Writes are atomic: a temporary file in the same directory, fsync, rename.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from simvz import confine


class Storage:
    """File access to one host directory through node paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def real(self, node_path: str, follow: bool = True) -> Path:
        """The machine path of ``node_path``, every symlink on it resolved inside the node
        (the last one kept when ``follow`` is False); raises ``PathLoop`` (exit 3)."""
        return confine.real(self.root, node_path, follow)

    def chroot(self, node_path: str) -> Storage:
        """The tree under ``node_path`` seen as its own root (a container's ``/``)."""
        return Storage(self.real(node_path))

    def exists(self, node_path: str) -> bool:
        """True if the path exists (a dangling symlink counts)."""
        return os.path.lexists(self.real(node_path, follow=False))

    def isfile(self, node_path: str) -> bool:
        """True for a regular file that is not a symlink."""
        p = self.real(node_path, follow=False)
        return p.is_file() and not p.is_symlink()

    def isdir(self, node_path: str) -> bool:
        """True for a directory that is not a symlink."""
        p = self.real(node_path, follow=False)
        return p.is_dir() and not p.is_symlink()

    def resolve(self, node_path: str) -> str:
        """Follow symlinks as the node would (``ve-vswap-1g.conf-sample`` is a link),
        reading each target as a node path so no link can lead out of the host; a loop
        leaves the path as given (it then exists only as a link)."""
        try:
            return confine.resolve(self.root, node_path)
        except confine.PathLoop:
            return confine.resolve(self.root, node_path, follow=False)

    def read(self, node_path: str) -> str | None:
        """Text of a regular file, or None when missing; bytes kept via surrogateescape."""
        p = self.real(node_path)
        if not p.is_file():
            return None
        return p.read_bytes().decode("utf-8", "surrogateescape")

    def write(self, node_path: str, text: str, mode: int = 0o644) -> None:
        """Atomically replace a file: readers see the old or the new content, never a mix."""
        p = self.real(node_path, follow=False)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.simvz-{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(text.encode("utf-8", "surrogateescape"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)

    def remove(self, node_path: str) -> None:
        """Remove a file or symlink if present."""
        p = self.real(node_path, follow=False)
        if os.path.lexists(p):
            p.unlink()

    def rename(self, src: str, dst: str) -> None:
        """Rename within the node."""
        os.replace(self.real(src, follow=False), self.real(dst, follow=False))

    def mkdir(self, node_path: str) -> None:
        """Create a directory and its parents."""
        self.real(node_path).mkdir(parents=True, exist_ok=True)

    def rmdir(self, node_path: str) -> bool:
        """Remove an empty directory; False when it is not empty or missing."""
        try:
            self.real(node_path, follow=False).rmdir()
        except OSError:
            return False
        return True

    def rmtree(self, node_path: str) -> None:
        """Remove a directory tree if present (a symlink is removed, not followed)."""
        p = self.real(node_path, follow=False)
        if p.is_symlink():
            p.unlink()
        elif p.exists():
            shutil.rmtree(p)

    def listdir(self, node_path: str) -> list[str]:
        """Entry names of a directory, sorted; empty when missing."""
        try:
            return sorted(os.listdir(self.real(node_path)))
        except OSError:
            return []

    def readlink(self, node_path: str) -> str | None:
        """The target of a symlink as written (a node path), or None."""
        try:
            return os.readlink(self.real(node_path, follow=False))
        except OSError:
            return None

    def symlink(self, target: str, node_path: str) -> None:
        """Create (or replace) a symlink whose target is the node path ``target``; as
        ``unlink`` + ``symlink`` would, a directory in its place (``names/.``) is
        ``FileExistsError``, and nothing is left behind."""
        p = self.real(node_path, follow=False)
        if p.is_dir() and not p.is_symlink():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), node_path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.simvz-{os.getpid()}")
        if os.path.lexists(tmp):
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, p)
