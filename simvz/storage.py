"""The host directory seen as the root of an OpenVZ node.

Every path the simulated tools use is a *node* path (``/etc/vz/conf/101.conf``) mapped
under the host directory like a chroot (:mod:`simvz.confine`): ``..`` can never climb
out of it, and symlinks met on the way (the ``/etc/vz/names`` links, a ``/vz/private``
that is a link) are resolved as node paths, never followed by the OS. A container's
tree is seen the same way through :meth:`Storage.chroot`.

Writes are atomic: a temporary file ``.NAME.simvz-PID`` in the same directory, then
rename (configs also fsync first, as ``KV:src/lib/config.c:vps_save_config`` writes
through a temporary file; rendered views such as ``/proc/vz/*`` are rebuilt from kernel
state and need no fsync). Inside a command (:meth:`Storage.begin`) every change keeps
what it replaced (a hard link or a renamed-aside copy, ``.NAME.simvz-undo-PID``), so a
failure of the node's own machinery (a full disk, an I/O error) is rolled back and the
node is left as it was. The directories a command leaves such files in are listed in
``.simvz/inflight.PID`` first, so the next command can remove the leftovers of one that
was killed (:func:`recover`).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simvz import confine

STATE_DIR = ".simvz"
INFLIGHT = "inflight."
TEMP_TAG = ".simvz-"
UNDO_TAG = ".simvz-undo-"


class Storage:
    """File access to one host directory through node paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = os.fspath(root)
        # the undo log of the running command: (kind, real path, backup path or None)
        self._undo: list[tuple[str, Path, Path | None]] | None = None
        self._touched: set[Path] = set()  # paths already recorded in the undo log
        self._dirs: set[Path] = set()  # directories listed in the inflight record
        self.failed = False  # an operation of the node's machinery raised OSError

    def real(self, node_path: str, follow: bool = True) -> Path:
        """The machine path of ``node_path``, every symlink on it resolved inside the node
        (the last one kept when ``follow`` is False); raises ``PathLoop`` (exit 3)."""
        return confine.real(self.root, node_path, follow)

    def chroot(self, node_path: str) -> Storage:
        """The tree under ``node_path`` seen as its own root (a container's ``/``)."""
        return Storage(self.real(node_path))

    def node_path(self, real: str | os.PathLike[str]) -> str:
        """The node path of a real path under the host directory (as it is, otherwise)."""
        text = os.fspath(real)
        base = os.fspath(self.root)
        return "/" + text[len(base) :].lstrip("/") if text.startswith(base + "/") else text

    def exists(self, node_path: str) -> bool:
        """True if the path exists (a dangling symlink counts)."""
        return os.path.lexists(confine.machine(self._base, node_path, follow=False))

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
        data = slurp(confine.machine(self._base, node_path))
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def accessible(self, node_path: str) -> bool:
        """``access(path, F_OK)``: the path exists, symlinks followed (inside the node);
        raises ``PathLoop`` as :meth:`real` does."""
        return os.path.lexists(confine.machine(self._base, node_path))

    # -- the undo log of one command -------------------------------------------------------
    def begin(self) -> None:
        """Start recording what each change replaces (one command's transaction)."""
        self._undo, self._touched, self._dirs, self.failed = [], set(), set(), False

    def end(self) -> None:
        """Keep the changes: drop what they replaced and the inflight record."""
        undo, self._undo = self._undo, None
        for kind, _path, backup in undo or []:
            if kind == "replaced" and backup is not None:
                _discard(backup)
        self._forget_inflight()

    def rollback(self) -> None:
        """Undo every change of the command, newest first, and drop the inflight record."""
        confine.forget()  # a directory met may be gone
        undo, self._undo = self._undo, None
        for kind, path, backup in reversed(undo or []):
            try:
                if kind == "created":
                    _discard(path)
                elif kind == "renamed" and backup is not None:
                    os.rename(path, backup)  # back to where it came from
                elif backup is not None:
                    _discard(path)
                    os.rename(backup, path)
            except OSError:
                continue  # best effort: each entry is independent of the others
        self._forget_inflight()

    @contextmanager
    def untracked(self) -> Iterator[None]:
        """Changes inside are kept even if the command is rolled back (a fault that
        fired is spent whatever the command answers)."""
        undo, self._undo = self._undo, None
        try:
            yield
        finally:
            self._undo = undo

    def changed(self) -> bool:
        """True when the running command has changed a file so far."""
        return bool(self._undo)

    def _record(self, p: Path, aside: bool) -> None:
        """Before changing ``p``: remember how to restore it (first change only).

        ``aside``: move the old entry out of the way (removal); otherwise keep a hard
        link to it (a replacement), which costs no data blocks on a full disk."""
        if self._undo is None or p in self._touched:
            if aside and os.path.lexists(p):
                _discard(p)
            return
        self._touched.add(p)
        self._note_dir(p.parent)
        if not os.path.lexists(p):
            self._undo.append(("created", p, None))
            return
        if not aside and p.is_dir() and not p.is_symlink():
            return  # replacing a directory by a file fails by itself: nothing to keep
        backup = p.with_name(f".{p.name}{UNDO_TAG}{os.getpid()}")
        _discard(backup)
        if aside:
            os.rename(p, backup)
        else:
            os.link(p, backup, follow_symlinks=False)
        self._undo.append(("replaced", p, backup))

    def _note_dir(self, directory: Path) -> None:
        """List ``directory`` in the inflight record before leaving a file in it."""
        if directory in self._dirs:
            return
        self._dirs.add(directory)
        record = self.root / STATE_DIR / f"{INFLIGHT}{os.getpid()}"
        with open(record, "a", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(os.fspath(directory) + "\n")

    def _forget_inflight(self) -> None:
        if self._dirs:
            _discard(self.root / STATE_DIR / f"{INFLIGHT}{os.getpid()}")
        self._touched, self._dirs = set(), set()

    # -- changes -------------------------------------------------------------------------
    def write(self, node_path: str, text: str, mode: int = 0o644, durable: bool = True) -> None:
        """Atomically replace a file: readers see the old or the new content, never a mix.

        ``durable``: fsync before the rename (configs and state); a view rebuilt from
        state on every change (``/proc``) skips it."""
        p = self.real(node_path, follow=False)
        self._mkdirs(p.parent)
        tmp = p.with_name(f".{p.name}{TEMP_TAG}{os.getpid()}")
        if self._undo is not None:
            self._note_dir(p.parent)
        try:
            with open(tmp, "wb") as fh:
                fh.write(text.encode("utf-8", "surrogateescape"))
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            self._record(p, aside=False)
            os.replace(tmp, p)
        except OSError:
            self.failed = True
            _discard(tmp)
            raise

    def write_if_changed(self, node_path: str, text: str) -> bool:
        """Write a rendered view only when its text differs; True when written."""
        p = self.real(node_path, follow=False)
        data = text.encode("utf-8", "surrogateescape")
        try:
            if p.is_file() and not p.is_symlink() and p.read_bytes() == data:
                return False
        except OSError:
            pass  # unreadable: rewrite it
        self.write(node_path, text, durable=False)
        return True

    def remove(self, node_path: str) -> None:
        """Remove a file or symlink if present."""
        confine.forget()  # a directory met may be gone
        p = self.real(node_path, follow=False)
        if os.path.lexists(p):
            self._guard(lambda: self._record(p, aside=True))
            if os.path.lexists(p):
                self._guard(p.unlink)

    def rename(self, src: str, dst: str) -> None:
        """Rename within the node."""
        confine.forget()  # a directory met may be gone
        s, d = self.real(src, follow=False), self.real(dst, follow=False)

        def move() -> None:
            if self._undo is None:
                os.replace(s, d)
                return
            self._record(d, aside=True)
            os.replace(s, d)
            self._undo.append(("renamed", d, s))

        self._guard(move)

    def mkdir(self, node_path: str) -> None:
        """Create a directory and its parents."""
        self._guard(lambda: self._mkdirs(self.real(node_path)))

    def _mkdirs(self, p: Path) -> None:
        missing: list[Path] = []
        q = p
        while not os.path.lexists(q) and q != q.parent:
            missing.append(q)
            q = q.parent
        for d in reversed(missing):
            if self._undo is not None:
                self._record(d, aside=False)
            try:
                d.mkdir()
            except FileExistsError:
                if not d.is_dir():
                    raise
        if not missing and not p.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(p))

    def rmdir(self, node_path: str) -> bool:
        """Remove an empty directory; False when it is not empty or missing."""
        confine.forget()  # a directory met may be gone
        p = self.real(node_path, follow=False)
        try:
            if any(p.iterdir()):
                return False
            self._record(p, aside=True)
            if p.exists():
                p.rmdir()
        except OSError:
            return False
        return True

    def rmtree(self, node_path: str) -> None:
        """Remove a directory tree if present (inside a command: moved aside, then
        removed when the command succeeds; a symlink is removed, not followed)."""
        confine.forget()  # a directory met may be gone
        p = self.real(node_path, follow=False)
        if p.is_symlink() or p.is_file():
            self.remove(node_path)
        elif p.exists():
            self._guard(lambda: self._record(p, aside=True))
            if p.exists():
                self._guard(lambda: shutil.rmtree(p))

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
        tmp = p.with_name(f".{p.name}{TEMP_TAG}{os.getpid()}")

        def link() -> None:
            self._mkdirs(p.parent)
            if self._undo is not None:
                self._note_dir(p.parent)
            _discard(tmp)
            os.symlink(target, tmp)
            self._record(p, aside=False)
            os.replace(tmp, p)

        try:
            self._guard(link)
        finally:
            _discard(tmp)

    def _guard(self, op: object) -> None:
        """Run ``op``; an OSError marks the command's machinery as failed."""
        try:
            op()  # type: ignore[operator]
        except OSError:
            self.failed = True
            raise


# what pathlib's is_file answers False for rather than raise (pathlib._IGNORED_ERRNOS)
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def slurp(p: str) -> bytes | None:
    """The bytes of the regular file at the machine path ``p``; None where
    ``Path(p).is_file()`` answers False (missing, a directory, a FIFO, socket or device
    in its place, which is never opened). Every command reads its configs this way (and
    its state, :func:`read_fd`): half the system calls of ``open(p, "rb").read()``,
    which also asks whether the file is a terminal and where its offset is."""
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):
            return None
        # O_NONBLOCK: a FIFO put in its place since the stat is not waited on
        fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as err:
        if err.errno not in _NOT_THERE:
            raise
        return None
    except ValueError:  # a NUL in the path
        return None
    try:
        st = os.fstat(fd)
        return _read_to_end(fd, st.st_size) if stat.S_ISREG(st.st_mode) else None
    finally:
        os.close(fd)


def read_fd(fd: int) -> bytes:
    """Everything from ``fd``'s offset to its end (raises as ``read`` does)."""
    return _read_to_end(fd, os.fstat(fd).st_size)


def _read_to_end(fd: int, size: int) -> bytes:
    data = os.read(fd, size + 1)
    if len(data) <= size:  # a short read of a regular file is its end
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 16):  # it grew since the fstat
        chunks.append(chunk)
    return b"".join(chunks)


def _discard(p: Path) -> None:
    """Remove a file, symlink or tree if present; errors ignored (best-effort cleanup)."""
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            p.unlink()
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(directory: Path, pid: int) -> list[Path]:
    """The temporary and undo entries a process ``pid`` left in ``directory``."""
    tags = (f"{TEMP_TAG}{pid}", f"{UNDO_TAG}{pid}")
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [directory / n for n in names if n.startswith(".") and n.endswith(tags)]


def recover(root: Path) -> set[str]:
    """Remove what commands killed before they finished left behind (under the host's
    exclusive lock): their temporary files and moved-aside entries, in the directories
    their inflight records list. Returns those directories, as node paths."""
    state = root / STATE_DIR
    try:
        records = [n for n in os.listdir(state) if n.startswith(INFLIGHT)]
    except OSError:
        return set()
    touched: set[str] = set()
    base = os.fspath(root)
    for name in records:
        suffix = name[len(INFLIGHT) :]
        if not suffix.isdigit() or (int(suffix) != os.getpid() and _alive(int(suffix))):
            continue
        try:
            dirs = (state / name).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        except OSError:
            dirs = []
        for d in dirs:
            if d == base or d.startswith(base + "/"):
                touched.add("/" + d[len(base) :].lstrip("/"))
                for p in leftovers(Path(d), int(suffix)):
                    _discard(p)
        _discard(state / name)
    return touched
