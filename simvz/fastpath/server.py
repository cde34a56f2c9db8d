"""The resident tool server: the node tools' native client (``client.c``) connects to it
and it runs the command in a forked child that has the code already imported, on the
client's own descriptors, exactly as the Python entry (simvz/entry.py) does.

One server serves every node made with one simvz package (``DIR/.simvz/tools.conf``
names the package and the socket directory); its socket is
``SOCKDIR/tools-<hash of the package's path>.sock``. A server watches its package's
directories (inotify) from before it imports anything: once a file of it changes, the
server's children refuse every call (the client then runs the Python entry) and the
server exits; a server started later replaces one of other code (its fingerprint,
of every file's name, size and mtime, is another). docs/fastpath.md has the protocol,
who starts a server and when it stops.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import fcntl
import gc
import importlib
import os
import pkgutil
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from simvz.fastpath.conf import SOCKDIR_ENV as SOCKDIR_ENV
from simvz.fastpath.conf import default_sockdir as default_sockdir
from simvz.fastpath.conf import node_sockdir as node_sockdir
from simvz.fastpath.conf import package_dir as package_dir
from simvz.fastpath.conf import tools_conf as tools_conf

MAGIC = 0x315A5653  # "SVZ1", little-endian as the client writes it
FNV0, FNV_PRIME, MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1
TICK = 1.0  # seconds between the idle and staleness checks of a waiting server
SPARES = 2  # children waiting in accept(): one per core of the machines simvz targets
LOST_IN_A_ROW = 10  # spares that ended unused, none taken between: the server stops
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# What a tool imports, loaded once in the server rather than in every command.
PRELOAD = ("simvz.entry", "simvz.host", "simvz.faults", "simvz.errors", "simvz.registry", "simvz.inspect")
PRELOAD_PACKAGES = ("simvz.cli", "simvz.formats", "simvz.model")
# What the server runs on a scratch node of its own before it serves, and each spare
# again before it waits: see _warm.
WARM_CT = 999
WARM_UP = (("vzctl", ("vzctl", "status", str(WARM_CT))), ("vzlist", ("vzlist", "-a")))


def _fnv(data: bytes) -> int:
    h = FNV0
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def fingerprint(package: str) -> int:
    """Sum of FNV-1a hashes of the package path and of each file's ``name\\0size\\0mtime_ns``
    (``__pycache__`` and dot files left out): which code a server runs, recorded beside
    its socket (:func:`listen`), and compared before every call where there is no
    inotify (:class:`Fresh`)."""
    total = _fnv(os.fsencode(package))
    for rel, st in _files(package, b""):
        total += _fnv(rel + b"\0" + str(st.st_size).encode() + b"\0" + str(st.st_mtime_ns).encode())
    return total & MASK


def _files(directory: str, rel: bytes) -> Iterator[tuple[bytes, os.stat_result]]:
    with os.scandir(directory) as entries:
        for e in entries:
            name = os.fsencode(e.name)
            if name.startswith(b".") or name == b"__pycache__":
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                yield from _files(e.path, rel + name + b"/")
            elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                yield rel + name, st


def socket_name(package: str) -> str:
    """The name of the socket of ``package``'s server in its directory (client.c:main
    computes the same)."""
    return f"tools-{_fnv(os.fsencode(package)):016x}.sock"


# -- noticing a change of the package ------------------------------------------------

IN_MODIFY, IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x4, 0x40, 0x80  # linux/inotify.h
IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF = 0x100, 0x200, 0x400, 0x800
IN_Q_OVERFLOW, IN_IGNORED, IN_NONBLOCK, IN_CLOEXEC = 0x4000, 0x8000, 0o4000, 0o2000000
WATCH_MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
WATCH_MASK |= IN_DELETE_SELF | IN_MOVE_SELF
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


class Watch:
    """inotify watches on every directory of the package (those the fingerprint
    covers): a change of any file queues an event at once, in the changing system
    call, so a child that finds the queue empty runs the code on disk. The children
    only look (poll); the server reads the queue and stops at the first event that
    concerns a file of the package (``__pycache__`` and dot files do not)."""

    def __init__(self, package: str) -> None:
        self.fd = _LIBC.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        try:
            self._add(package)
        except OSError:
            os.close(self.fd)
            raise

    def _add(self, directory: str) -> None:
        if _LIBC.inotify_add_watch(self.fd, os.fsencode(directory), WATCH_MASK) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch", directory)
        with os.scandir(directory) as entries:
            for e in entries:
                if not e.name.startswith(".") and e.name != "__pycache__" and e.is_dir(follow_symlinks=False):
                    self._add(e.path)

    def pending(self) -> bool:
        """Whether anything happened in the package's directories (not consumed)."""
        return bool(select.select([self.fd], [], [], 0)[0])

    def changed(self) -> bool:
        """Read what happened; True when a file of the package changed."""
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return False
        offset = 0
        while offset + _EVENT.size <= len(data):
            _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
            offset += _EVENT.size + length
            if mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
                return True
            if name and not name.startswith(b".") and name != b"__pycache__":
                return True
        return False

    def close(self) -> None:
        """Stop watching."""
        os.close(self.fd)


# -- the server ----------------------------------------------------------------------


@dataclass
class Listener:
    """A bound listening socket and what it needs to notice it is no longer wanted."""

    sock: socket.socket
    dirfd: int
    name: str
    ino: int

    def still_ours(self) -> bool:
        """Whether the socket path is still this server's (not replaced or removed)."""
        try:
            return os.stat(self.name, dir_fd=self.dirfd, follow_symlinks=False).st_ino == self.ino
        except OSError:
            return False

    def close(self) -> None:
        """Stop listening; remove the socket path when it is still ours."""
        if self.still_ours():
            os.unlink(self.name, dir_fd=self.dirfd)
        self.sock.close()
        os.close(self.dirfd)


def _open_sockdir(sockdir: str) -> int:
    os.makedirs(sockdir, mode=0o700, exist_ok=True)
    fd = os.open(sockdir, os.O_RDONLY | os.O_DIRECTORY)
    st = os.fstat(fd)
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        os.close(fd)
        raise PermissionError(f"{sockdir}: not a directory of this user only (mode, owner)")
    return fd


@contextmanager
def _bind_lock(dirfd: int, name: str) -> Iterator[None]:
    fd = os.open(name.replace(".sock", ".lock"), os.O_RDWR | os.O_CREAT, 0o600, dir_fd=dirfd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _answers(dirfd: int, name: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(f"/proc/self/fd/{dirfd}/{name}")
        except OSError:
            return False
    return True


def listen(sockdir: str, package: str, fp: int) -> Listener | None:
    """Bind ``SOCKDIR/tools-<package>.sock``; None when a live server of this code
    (fingerprint ``fp``, recorded beside the socket) already listens there. A live
    server of other code has seen its package change and is exiting: its socket is
    taken over."""
    dirfd = _open_sockdir(sockdir)
    name = socket_name(package)
    stamp = name.replace(".sock", ".fp")
    with _bind_lock(dirfd, name):
        if _answers(dirfd, name) and _recorded(dirfd, stamp) == fp:
            os.close(dirfd)
            return None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=dirfd)  # a dead or stale server's socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # through /proc/self/fd: a socket directory's path can exceed sun_path's 108 bytes
        sock.bind(f"/proc/self/fd/{dirfd}/{name}")
        sock.listen(128)
        ino = os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_ino
        _record(dirfd, stamp, fp)
    return Listener(sock, dirfd, name, ino)


def _recorded(dirfd: int, stamp: str) -> int | None:
    try:
        with open(os.open(stamp, os.O_RDONLY, dir_fd=dirfd), "rb") as fh:
            return int(fh.read(32), 16)
    except (OSError, ValueError):
        return None


def _record(dirfd: int, stamp: str, fp: int) -> None:
    tmp = f".{stamp}.{os.getpid()}"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=dirfd), "wb") as fh:
        fh.write(f"{fp:016x}\n".encode())
    os.replace(tmp, stamp, src_dir_fd=dirfd, dst_dir_fd=dirfd)


def preload() -> None:
    """Import what the tools use, so that a command's child starts with it loaded."""
    for name in PRELOAD:
        importlib.import_module(name)
    for pkg in PRELOAD_PACKAGES:
        module = importlib.import_module(pkg)
        for info in pkgutil.iter_modules(module.__path__, pkg + "."):
            importlib.import_module(info.name)


def serve(sockdir: str, idle: float | None = None, ready: int | None = None) -> int:
    """Serve until stopped (SIGTERM, SIGINT), idle for ``idle`` seconds, stale (the
    package changed) or replaced; writes ``ready`` or ``running`` to fd ``ready`` once
    clients can connect (``stale`` when the package changed while it started: it then
    stops at once). Returns the exit status."""
    package = package_dir()
    watch = _watch(package)  # before anything is read: no change can come unnoticed
    fp = fingerprint(package)
    preload()
    listener = listen(sockdir, package, fp)
    if listener is None:
        if ready is not None:
            os.write(ready, b"running\n")
        if watch is not None:
            watch.close()
        return 0
    scratch = _warm_node(sockdir)
    try:
        _warm(scratch)
        _settle()
        fresh = Fresh(package, fp, watch)
        # Read out what the imports and the warm-up did to the package (__pycache__
        # directories made): a child sees any unread event as a change and refuses.
        stale = fresh.changed()
        if ready is not None:
            os.write(ready, b"stale\n" if stale else b"ready\n")
            if ready > 2:
                os.close(ready)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
        signal.signal(signal.SIGTERM, _stop)
        if not stale:
            _loop(listener, fresh, idle, scratch)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        if watch is not None:
            watch.close()
        if scratch is not None:
            shutil.rmtree(scratch.parent, ignore_errors=True)
    return 0


def _watch(package: str) -> Watch | None:
    """The package's watch; None where inotify is not to be had (a child then
    compares the whole fingerprint before every call)."""
    try:
        return Watch(package)
    except OSError:
        return None


@dataclass
class Fresh:
    """Whether the package on disk is still the code this server imported.

    The watch's descriptor is shared with every child, so the server reading its events
    takes them from the children's sight too: a call checked between that read and the
    server's exit would be served by stale code. So before reading, the server marks a
    pipe the children also check (``doubt``: a byte in it), and takes the byte back only
    when what it read was no change to the code; at every moment a change is visible to
    a child in the watch or in the pipe."""

    package: str
    fp: int
    watch: Watch | None
    doubt: tuple[int, int] = field(default_factory=lambda: os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC))

    def for_a_call(self) -> bool:
        """Checked by a child before it answers a call: nothing changed."""
        if self.watch is not None:
            return not self.watch.pending() and not select.select([self.doubt[0]], [], [], 0)[0]
        return fingerprint(self.package) == self.fp

    def changed(self) -> bool:
        """Checked by the server when its watch is readable, and every TICK."""
        if self.watch is not None:
            if not self.watch.pending():
                return False  # nothing to read: no child is kept in doubt for nothing
            os.write(self.doubt[1], b"?")
            if self.watch.changed():
                return True  # the byte stays: no child serves again
            os.read(self.doubt[0], 1)
            return False
        return fingerprint(self.package) != self.fp


# -- warming up ------------------------------------------------------------------------
#
# A command's child is a fork of a large interpreter: every page it writes (reference
# counts of the code and objects it uses, the allocator's pools it allocates from) is
# copied on its first write, and a vzctl status wrote some 600 of them, which cost more
# than the command itself. So the server runs WARM_UP once on a scratch node of its own
# before serving (every lazily built cache, compiled pattern and import is then shared
# by all children), and each spare runs it again after its fork, while it waits for a
# call: the pages a command writes are then the spare's own before the call comes.


def _warm_node(sockdir: str) -> Path | None:
    """A node of the server's own in its socket directory, with one container; its
    journal is /dev/null (spares warm up on it for as long as the server lives). None
    when it cannot be made: the server then serves unwarmed."""
    from simvz.hostinit import init_host

    _remove_dead_warm_nodes(sockdir)
    base = Path(tempfile.mkdtemp(prefix=f"warm-{os.getpid()}-", dir=sockdir))
    try:
        host = init_host(base / "node")
        sample = host.fs.read("/etc/vz/conf/ve-vswap-256m.conf-sample") or ""
        paths = 'VE_ROOT="/vz/root/$VEID"\nVE_PRIVATE="/vz/private/$VEID"\nOSTEMPLATE="centos-6-x86"\n'
        host.fs.write(f"/etc/vz/conf/{WARM_CT}.conf", sample + paths)
        host.fs.mkdir(f"/vz/private/{WARM_CT}")
        os.symlink(os.devnull, host.state / "journal.jsonl")
    except Exception:  # any failure only costs speed
        shutil.rmtree(base, ignore_errors=True)
        return None
    return host.root


def _remove_dead_warm_nodes(sockdir: str) -> None:
    """The scratch nodes of servers killed before they could remove theirs."""
    for entry in Path(sockdir).glob("warm-*-*"):
        pid = entry.name.split("-")[1]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except PermissionError:
            continue


def _warm(scratch: Path | None, called: Callable[[], bool] = lambda: False) -> None:
    """Run WARM_UP on the scratch node; what it answers does not matter. Stops early
    once ``called`` says a call is waiting: it would wait for the rest."""
    if scratch is None:
        return
    from simvz import faults
    from simvz.host import Host

    faults.install()  # as simvz.entry.main does
    for tool, argv in WARM_UP:
        if called():
            return
        with contextlib.suppress(Exception):
            Host(scratch).run(tool, list(argv))


def _rehearse(fresh: Fresh) -> None:
    """Take a request as a call's child does (receive, SO_PEERCRED, the freshness check)
    from a socket pair, with nothing run: the pages that path writes become the spare's
    own while it waits (some forty page faults fewer in a call). Any failure (no
    descriptors left) only loses that."""
    strings = [b"vzctl", b"/warm/usr/sbin/vzctl", b"status", str(WARM_CT).encode(), b"LANG=C"]
    payload = struct.pack("<IIII", 0b111, 0o022, 2, 1) + b"".join(s + b"\0" for s in strings)
    fds: set[int] = set()  # every descriptor opened or received here, closed at the end
    with contextlib.ExitStack() as stack:
        try:
            ours, theirs = socket.socketpair()
            stack.enter_context(ours)
            stack.enter_context(theirs)
            sent = [os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]
            fds.update(sent)
            for _ in range(3):
                sent.append(os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC))
                fds.add(sent[-1])
            ours.sendmsg([struct.pack("<II", MAGIC, len(payload))], [_rights(sent)])
            ours.sendall(payload)
            request = receive(theirs)
            fds.update({request.cwd, *request.fds.values()})
            theirs.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            if fresh.watch is not None:  # without one, the check is a walk of the package
                fresh.for_a_call()
        except Exception:
            pass  # only speed is lost
        finally:
            for fd in fds:
                os.close(fd)


def _rights(fds: list[int]) -> tuple[int, int, bytes]:
    return (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())


def _settle() -> None:
    """Everything the server holds moved out of the cycle collector's reach and the
    collector stopped: a collection walks (and so writes, copying pages in every
    child) every object it tracks; the server's own loop makes no cycles, and a tool
    runs with the collector off anyway (simvz.entry.main)."""
    gc.collect()
    gc.freeze()
    gc.disable()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _loop(listener: Listener, fresh: Fresh, idle: float | None, scratch: Path | None) -> None:
    """Keep SPARES children waiting in accept(), so that a call never waits for a fork;
    each child tells the parent (a pipe) when it took a connection and is replaced."""
    taken_r, taken_w = os.pipe()
    pool = _Pool()
    watched = [fresh.watch.fd] if fresh.watch is not None else []
    last = time.monotonic()
    try:
        while True:
            for _ in range(pool.wanted()):
                pool.add(_spare(listener, taken_r, taken_w, scratch, fresh))
            readable, _, _ = select.select([taken_r, *watched, *pool.fds()], [], [], pool.timeout())
            if taken_r in readable:  # before the ended spares: a taken one has ended too
                data = os.read(taken_r, 4 * 256)
                pool.taken(struct.unpack(f"<{len(data) // 4}i", data[: len(data) // 4 * 4]))
                last = time.monotonic()
            if pool.lost(readable) > LOST_IN_A_ROW:
                return  # its spares die before they serve: the clients run the Python entry
            if set(readable) & set(watched) and fresh.changed():
                return
            if readable:
                continue
            if idle is not None and time.monotonic() - last > idle:
                return
            if not listener.still_ours() or fresh.changed():
                return
    finally:
        _kill_spares(pool.spares)
        pool.close()
        os.close(taken_r)
        os.close(taken_w)


def _kill_spares(spares: dict[int, int | None]) -> None:
    """Kill the spares (waiting in accept() or warming up: nothing of a command to lose)
    and wait until they are gone: one still warming up writes into the scratch node,
    which the server removes next."""
    for pid, fd in spares.items():
        try:
            if fd is None:  # no pidfds here: nothing to wait on
                os.kill(pid, signal.SIGKILL)
                continue
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            select.select([fd], [], [], 5)
        except ProcessLookupError:
            continue


class _Pool:
    """The spares waiting in accept(), and the taken ones whose replacement waits.

    A replacement's fork and warm-up (_warm) take the CPU a command could have: on a
    machine of two cores they ran beside every call and doubled its time. So while
    another spare still waits, the replacement of a taken one is forked only once its
    command has ended (its pidfd, readable when the process exits) or LAG has passed;
    with no spare left waiting, at once."""

    LAG = 0.05  # seconds

    def __init__(self) -> None:
        self.spares: dict[int, int | None] = {}  # waiting spare -> its pidfd (None: no pidfds)
        self.busy: dict[int, int] = {}  # taken spare -> its pidfd
        self.since: dict[int, float] = {}
        self.lost_in_a_row = 0

    def add(self, pid: int) -> None:
        """A spare just forked; its pidfd tells when it ends."""
        try:
            self.spares[pid] = os.pidfd_open(pid)
        except ProcessLookupError:  # ended at once (and reaped): replaced as a lost one
            self.lost_in_a_row += 1
        except OSError:  # no pidfds: one that ends unseen is not replaced
            self.spares[pid] = None

    def taken(self, pids: Sequence[int]) -> None:
        """Spares that took a connection: each is replaced by wanted() later."""
        self.lost_in_a_row = 0
        for pid in pids:
            fd = self.spares.pop(pid, None)
            if fd is not None:  # else replaced at once
                self.busy[pid] = fd
                self.since[pid] = time.monotonic()

    def lost(self, readable: Sequence[int]) -> int:
        """Forget the spares that ended without taking a call (a warm-up that crashed
        the interpreter, a kill from outside), so that wanted() replaces them, instead
        of leaving calls queued for no one; returns how many were lost in a row."""
        for pid, fd in list(self.spares.items()):
            if fd is not None and fd in readable:
                os.close(fd)
                del self.spares[pid]
                self.lost_in_a_row += 1
        return self.lost_in_a_row

    def fds(self) -> list[int]:
        """The pidfds to wait on: every spare's and every taken one's."""
        return [fd for fd in self.spares.values() if fd is not None] + list(self.busy.values())

    def wanted(self) -> int:
        """How many spares to fork now."""
        now = time.monotonic()
        for pid, fd in list(self.busy.items()):
            ended = bool(select.select([fd], [], [], 0)[0])
            if ended or not self.spares or now - self.since[pid] >= self.LAG:
                os.close(self.busy.pop(pid))
                del self.since[pid]
        return max(0, SPARES - len(self.spares) - len(self.busy))

    def timeout(self) -> float:
        """How long the parent may wait for the next event."""
        if not self.since:
            return TICK
        return max(0.0, self.LAG - (time.monotonic() - min(self.since.values())))

    def close(self) -> None:
        """Close the pidfds."""
        for fd in self.fds():
            os.close(fd)
        self.spares.clear()
        self.busy.clear()
        self.since.clear()


def _spare(listener: Listener, taken_r: int, taken_w: int, scratch: Path | None, fresh: Fresh) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        os.close(taken_r)
        _die_with_parent(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _warm(scratch, lambda: _waiting(listener))
        if not _waiting(listener):
            _rehearse(fresh)
        listener.sock.setblocking(True)
        conn, _addr = listener.sock.accept()
        _die_with_parent(None)  # a command runs to its end even if the server stops
        os.write(taken_w, struct.pack("<i", os.getpid()))
        os.close(taken_w)
        listener.sock.close()
        os.close(listener.dirfd)
        _child(conn, fresh)
    finally:
        os._exit(70)  # not reached: _child always exits


_LIBC = ctypes.CDLL(None, use_errno=True)


def _waiting(listener: Listener) -> bool:
    """A connection waits to be accepted: calls made back to back, every spare taken
    (in a burst, also one another spare is about to take: this one then waits unwarmed,
    a few hundred microseconds slower on its call)."""
    return bool(select.select([listener.sock], [], [], 0)[0])


def _die_with_parent(parent: int | None) -> None:
    """PR_SET_PDEATHSIG: a spare dies with the server (SIGKILL); None clears it."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL if parent else 0, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(0)  # the server died before the request was made


# -- a command's child ---------------------------------------------------------------


@dataclass
class Request:
    """One tool call as the client sent it."""

    tool: str
    execfn: bytes
    args: list[bytes]
    env: dict[bytes, bytes]
    umask: int
    cwd: int
    fds: dict[int, int]  # 0/1/2 -> the received descriptor


def _child(conn: socket.socket, fresh: Fresh) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    conn.setblocking(True)
    try:
        request = receive(conn)
    except (OSError, ValueError):
        os._exit(0)  # nothing ran: the client falls back to the Python entry
    peer_uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
    if peer_uid != os.getuid() or not fresh.for_a_call():
        os._exit(0)  # nothing ran: the client runs the Python entry, of the code on disk
    _die_with_client(conn)
    _become(request)
    conn.sendall(b"R")
    _run(conn, request.tool)


def _die_with_client(conn: socket.socket) -> None:
    """Die when the client does: its end hanging up sends this process SIGIO
    (fcntl O_ASYNC, F_SETOWN), whose default action terminates it, as a killed vzctl
    stops where it is. A client already gone is checked once after arming."""
    signal.signal(signal.SIGIO, signal.SIG_DFL)
    fd = conn.fileno()
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    if poller.poll(0):
        os._exit(0)


def receive(conn: socket.socket) -> Request:
    """Read one request: header with the descriptors attached, then the payload."""
    fds = array.array("i")
    # close-on-exec: a descriptor left open by a failure here never reaches a program
    # the command runs (the ones kept become 0/1/2 inheritable, _become)
    space = socket.CMSG_SPACE(4 * fds.itemsize)
    head, ancillary, _flags, _addr = conn.recvmsg(8, space, socket.MSG_CMSG_CLOEXEC)
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    head += _read(conn, 8 - len(head))
    magic, length = struct.unpack("<II", head)
    if magic != MAGIC or not fds:
        raise ValueError("not a simvz tool request")
    return _parse(_read(conn, length), list(fds))


def _read(conn: socket.socket, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = conn.recv(min(n, 1 << 20))
        if not chunk:
            raise ValueError("request cut short")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _parse(payload: bytes, fds: list[int]) -> Request:
    mask, umask, argc, envc = struct.unpack_from("<IIII", payload)
    strings = payload[16:].split(b"\0")
    tool, execfn = strings[0].decode(), strings[1]
    args = strings[2 : 2 + argc]
    env = dict(e.partition(b"=")[::2] for e in strings[2 + argc : 2 + argc + envc])
    present = [i for i in range(3) if mask & (1 << i)]
    return Request(tool, execfn, args, env, umask, fds[0], dict(zip(present, fds[1:], strict=False)))


def _become(r: Request) -> None:
    """Take the client's descriptors, working directory, umask, environment and argv."""
    for target in range(3):
        if target in r.fds:
            os.dup2(r.fds[target], target)
            os.set_inheritable(target, True)  # dup2 onto itself keeps close-on-exec
        else:
            os.close(target)
    os.fchdir(r.cwd)
    for fd in {r.cwd, *r.fds.values()} - {0, 1, 2}:
        os.close(fd)
    os.umask(r.umask)
    os.environ.clear()
    for key, value in r.env.items():
        os.environb[key] = value
    sys.argv = [os.fsdecode(r.execfn), *(os.fsdecode(a) for a in r.args)]


def _run(conn: socket.socket, tool: str) -> None:
    from simvz import entry

    def report(kind: bytes, value: int) -> None:
        with contextlib.suppress(OSError):  # the client is gone: nobody to tell
            conn.sendall(kind + struct.pack("<i", value))

    entry.REPORT = report
    try:
        entry.main(tool)
    except BaseException:  # an uncaught error ends a Python entry with a traceback, exit 1
        traceback.print_exc()
        sys.stderr.flush()
        entry.close_stdio()
        report(b"X", 1)
        os._exit(1)


# -- starting one ----------------------------------------------------------------------


def ensure(sockdir: str | None = None, idle: float | None = 600.0) -> None:
    """Make sure a server of this package listens in ``sockdir``: start one (detached,
    stopping after ``idle`` seconds without a call) unless one answers already."""
    directory = sockdir or default_sockdir()
    proc = start(directory, idle, detach=True)
    proc.wait()


def start(
    sockdir: str, idle: float | None = None, detach: bool = False, package_parent: str | None = None
) -> subprocess.Popen[bytes]:
    """Start a server process and return once it listens (or found one listening, or
    found its package changed while it started: it then serves nothing and exits).
    ``detach``: in its own session, so that it outlives its starter; the returned
    process is then only the starter, which exits at once. ``package_parent``: the
    directory holding the simvz package it runs (default: this one's)."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); from simvz.fastpath.server import _main; _main()"
    parent = package_parent or str(Path(package_dir()).parent)
    argv = [sys.executable, "-I", "-c", code, parent, sockdir, "" if idle is None else str(idle)]
    read, write = os.pipe()
    argv.append("detach" if detach else "")
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        pass_fds=(write,), env={"SIMVZ_READY_FD": str(write)}, start_new_session=detach,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        line = fh.readline()
    if line not in (b"ready\n", b"running\n", b"stale\n"):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the simvz tool server did not start (said {line!r})")
    return proc


def _main() -> None:
    sockdir, idle, mode = sys.argv[2], sys.argv[3], sys.argv[4]
    ready = int(os.environ.pop("SIMVZ_READY_FD"))
    if mode == "detach" and os.fork() != 0:
        os._exit(0)  # the starter returns; the server lives on in its own session
    sys.exit(serve(sockdir, float(idle) if idle else None, ready))
