"""Driver processes forked from a launcher that has libvirt loaded already.

Every libvirt connection of the harness is a process of its own (``worker.py``), and
starting one (an interpreter, then ``import libvirt``: the dynamic loader maps
libvirt.so and its dozens of libraries) cost about three quarters of a short test's
time. So a test process keeps one **launcher** per environment the loader and libvirt
read when a process starts (LD_PRELOAD with the preload shim, LD_LIBRARY_PATH,
``LIBVIRT_*``, ``PYTHON*``): it imports libvirt once and forks each driver process.

A forked driver process is what ``python -m simvz.harness.worker URI`` would be: its
own session (``setsid``, so a hang is killed with its node tools), the pipes of the
Session as fds 0/1/2, the Session's whole environment (the shim reads ``SIMVZ_ROOT``
and ``PATH`` at each call, so the node is the one of this connection), exit status 0
when its stdin closes, the crash's signal when libvirt crashes (the crash-trace
library's handler is inherited), 1 and a traceback on an uncaught error. libvirt's
``virInitialize`` starts no thread, so forking after it is safe; its random bytes come
from gnutls, which reseeds after a fork.

Not used (a process is started afresh) for a libvirt build with gcov's counters or
sanitizers, under valgrind, or for a coverage run: counters and LeakSanitizer's checks
are written at a normal exit, which a forked child's ``os._exit`` skips
(``libvirt_runner.forkable``); nor when ``SIMVZ_DRIVER_LAUNCHER=off``.

Protocol on a socket pair: the launcher writes ``R`` once libvirt is loaded (or ``E``
and the error). A request is the Session's pipe ends (stdin's read end, stdout's and
stderr's write ends, and a status pipe's write end, ``SCM_RIGHTS``) with a length and
JSON ``{"env", "uri"}``; the answer is the child's pid (``<i``). When the child ends
the launcher reaps it and writes its status, as ``Popen.returncode`` gives it, to the
status pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass, field
from typing import IO, Any

SWITCH = "SIMVZ_DRIVER_LAUNCHER"  # "off": every driver process starts afresh
_FD_ENV = "SIMVZ_LAUNCHER_FD"


def _baked(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """What a process reads only when it starts: the loader's and Python's variables,
    and libvirt's (``virInitialize`` reads LIBVIRT_DEBUG, LIBVIRT_LOG_*)."""
    keys = sorted(k for k in env if k.startswith(("LD_", "PYTHON", "LIBVIRT_")))
    return tuple((k, env[k]) for k in keys)


# -- the test process's side -----------------------------------------------------------


class LaunchedProcess:
    """A driver process forked by the launcher, with what Session uses of Popen."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int, status: int) -> None:
        self.pid = pid
        self.stdin: IO[str] | None = os.fdopen(stdin, "w")
        self.stdout: IO[str] | None = os.fdopen(stdout, "r")
        self.stderr: IO[str] | None = os.fdopen(stderr, "r")
        self._status = status
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit status when the process has ended, else None."""
        if self.returncode is None:
            ready, _, _ = select.select([self._status], [], [], 0)
            if ready:
                self._collect()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
        if self.returncode is None:
            ready, _, _ = select.select([self._status], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"driver process {self.pid}", timeout or 0)
            self._collect()
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL, as Popen.kill."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def _collect(self) -> None:
        data = os.read(self._status, 4)
        os.close(self._status)
        # a launcher gone before its child: nothing to tell but that it ended
        self.returncode = struct.unpack("<i", data)[0] if len(data) == 4 else -signal.SIGKILL


@dataclass
class Launcher:
    """One launcher process (its socket, the lock that keeps requests whole). It ends
    when this process does: its socket then closes and it exits once its children have."""

    proc: subprocess.Popen[bytes]
    sock: socket.socket
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spawn(self, env: dict[str, str], uri: str) -> LaunchedProcess:
        """Fork a driver process for ``uri`` with ``env``."""
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        st_r, st_w = os.pipe()
        payload = json.dumps({"env": env, "uri": uri}).encode()
        try:
            with self.lock:
                socket.send_fds(self.sock, [struct.pack("<I", len(payload)) + payload],
                                [stdin_r, out_w, err_w, st_w])  # fmt: skip
                answer = _exactly(self.sock, 4)
        finally:
            for fd in (stdin_r, out_w, err_w, st_w):
                os.close(fd)
        pid = struct.unpack("<i", answer)[0] if len(answer) == 4 else -1
        if pid <= 0:
            for fd in (stdin_w, out_r, err_r, st_r):
                os.close(fd)
            raise OSError("the driver launcher could not fork")
        return LaunchedProcess(pid, stdin_w, out_r, err_r, st_r)


_launchers: dict[tuple[Any, ...], Launcher | None] = {}
_guard = threading.Lock()


def spawn(python: str, env: dict[str, str], uri: str, cwd: str) -> LaunchedProcess | None:
    """A driver process forked by this environment's launcher (started on first use);
    None when no launcher can serve (then the caller starts the process itself)."""
    if os.environ.get(SWITCH) == "off" or not hasattr(os, "pidfd_open"):
        return None
    key = (os.getpid(), python, cwd, _baked(env))  # a forked test process starts its own
    with _guard:
        if key not in _launchers:  # a launcher that could not start is not tried again
            _launchers[key] = _start(python, env, cwd)
        launcher = _launchers[key]
    if launcher is None:
        return None
    try:
        return launcher.spawn(env, uri)
    except OSError:
        return None


def _start(python: str, env: dict[str, str], cwd: str) -> Launcher | None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    code = "from simvz.harness.launcher import serve; serve()"
    base = {k: v for k, v in env.items() if k != "SIMVZ_ROOT"}
    proc = subprocess.Popen(
        [python, "-c", code], pass_fds=(theirs.fileno(),), env={**base, _FD_ENV: str(theirs.fileno())},
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    theirs.close()
    if _exactly(ours, 1) != b"R":
        ours.close()
        proc.kill()
        proc.wait()
        return None
    return Launcher(proc, ours)


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


# -- the launcher's side ---------------------------------------------------------------


def serve() -> None:
    """The launcher: load libvirt, then fork a driver process per request until the
    socket closes; reap each and report its status."""
    sock = socket.socket(fileno=int(os.environ.pop(_FD_ENV)))
    try:
        import libvirt  # noqa: F401  (loaded here once, inherited by every child)

        from simvz.harness import worker  # noqa: F401
    except BaseException:
        sock.sendall(b"E" + traceback.format_exc().encode())
        return
    sock.sendall(b"R")
    children: dict[int, tuple[int, int]] = {}  # pidfd -> (pid, status pipe)
    open_ = True
    while open_ or children:
        watched = [sock.fileno(), *children] if open_ else list(children)
        ready, _, _ = select.select(watched, [], [])
        for fd in ready:
            if fd == sock.fileno():
                open_ = _take(sock, children)
            else:
                _reap(fd, children)


def _take(sock: socket.socket, children: dict[int, tuple[int, int]]) -> bool:
    """One request: fork its child; False when the socket closed."""
    try:
        head, fds, _flags, _addr = socket.recv_fds(sock, 4, 4)
    except OSError:
        return False
    if len(head) < 4:
        for fd in fds:
            os.close(fd)
        return False
    (length,) = struct.unpack("<I", head)
    request = json.loads(_exactly(sock, length))
    stdin, stdout, stderr, status = fds
    # the pid is answered once the child leads its own session: a Session that kills
    # the process group at once (a hang within a millisecond) must find it
    led_r, led_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        # what only the launcher may hold: its socket, the other children's pidfds and
        # status pipes, this child's own status pipe (fds libvirt opened stay open)
        theirs = [sock.fileno(), status, led_r, *children, *(st for _pid, st in children.values())]
        _child(request, stdin, stdout, stderr, led_w, theirs)
    for fd in (stdin, stdout, stderr, led_w):
        os.close(fd)
    os.read(led_r, 1)  # b"" too when the child died first
    os.close(led_r)
    children[os.pidfd_open(pid)] = (pid, status)
    sock.sendall(struct.pack("<i", pid))
    return True


def _reap(pidfd: int, children: dict[int, tuple[int, int]]) -> None:
    pid, status = children.pop(pidfd)
    os.close(pidfd)
    _, raw = os.waitpid(pid, 0)
    code = -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)
    with contextlib.suppress(OSError):  # its Session is gone: nobody to tell
        os.write(status, struct.pack("<i", code))
    os.close(status)


def _child(
    request: dict[str, Any], stdin: int, stdout: int, stderr: int, led: int, theirs: list[int]
) -> None:
    """In the forked child: become ``python -m simvz.harness.worker URI``."""
    code = 1
    try:
        os.setsid()
        os.write(led, b"s")
        os.close(led)
        for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
            os.dup2(fd, target)
        for fd in {stdin, stdout, stderr, *theirs} - {0, 1, 2}:
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        from simvz.harness import worker

        worker.serve(request["uri"])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
