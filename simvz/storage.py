"""The host directory seen as the root of an OpenVZ node.

Every path the simulated tools use is a *node* path (``/etc/vz/conf/101.conf``) mapped
under the host directory like a chroot: ``..`` can never climb out of it, and symlink
targets (the ``/etc/vz/names`` links) are read as node paths, never followed by the OS.
Writes are atomic: a temporary file in the same directory, fsync, rename.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path


class Storage:
    """File access to one host directory through node paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def real(self, node_path: str) -> Path:
        """The real path of ``node_path``; ``..`` stops at the node's root."""
        norm = posixpath.normpath("/" + node_path)
        return self.root / norm.lstrip("/") if norm != "/" else self.root

    def exists(self, node_path: str) -> bool:
        """True if the path exists (a dangling symlink counts)."""
        return os.path.lexists(self.real(node_path))

    def isfile(self, node_path: str) -> bool:
        """True for a regular file that is not a symlink."""
        p = self.real(node_path)
        return p.is_file() and not p.is_symlink()

    def isdir(self, node_path: str) -> bool:
        """True for a directory that is not a symlink."""
        p = self.real(node_path)
        return p.is_dir() and not p.is_symlink()

    def resolve(self, node_path: str, depth: int = 8) -> str:
        """Follow symlinks as the node would (``ve-vswap-1g.conf-sample`` is a link),
        reading each target as a node path so no link can lead out of the host."""
        path = posixpath.normpath("/" + node_path)
        for _ in range(depth):
            target = self.readlink(path)
            if target is None:
                return path
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        return path

    def read(self, node_path: str) -> str | None:
        """Text of a regular file, or None when missing; bytes kept via surrogateescape."""
        p = self.real(self.resolve(node_path))
        if p.is_symlink() or not p.is_file():
            return None
        return p.read_bytes().decode("utf-8", "surrogateescape")

    def write(self, node_path: str, text: str, mode: int = 0o644) -> None:
        """Atomically replace a file: readers see the old or the new content, never a mix."""
        p = self.real(node_path)
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
        p = self.real(node_path)
        if os.path.lexists(p):
            p.unlink()

    def rename(self, src: str, dst: str) -> None:
        """Rename within the node."""
        os.replace(self.real(src), self.real(dst))

    def mkdir(self, node_path: str) -> None:
        """Create a directory and its parents."""
        self.real(node_path).mkdir(parents=True, exist_ok=True)

    def rmdir(self, node_path: str) -> bool:
        """Remove an empty directory; False when it is not empty or missing."""
        try:
            self.real(node_path).rmdir()
        except OSError:
            return False
        return True

    def rmtree(self, node_path: str) -> None:
        """Remove a directory tree if present."""
        p = self.real(node_path)
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
            return os.readlink(self.real(node_path))
        except OSError:
            return None

    def symlink(self, target: str, node_path: str) -> None:
        """Create (or replace) a symlink whose target is the node path ``target``."""
        p = self.real(node_path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.simvz-{os.getpid()}")
        if os.path.lexists(tmp):
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, p)
