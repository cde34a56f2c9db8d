"""Drive libvirt's real OpenVZ driver: against a simulated node (through the preload
shim), or against this machine's own OpenVZ host (no shim: the real-host backend).

The driver runs in a child process started with the preload shim (``worker.py``); each
call crosses a pipe, so a crash inside ``libvirt.so`` (a segfault) is reported as a
failure naming the signal and the API call, and never takes the test session down.
Every call can return the node's journal entries it caused.

Every answer is awaited at most ``timeout`` seconds (``SIMVZ_CALL_TIMEOUT``, the pytest
option ``--vz-call-timeout``, ``simvz conformance --call-timeout``): a driver call or a
node tool that blocks is killed and reported as :class:`DriverHung`, naming the call and
the node command it was running. A session whose driver died or hung is dead: every
later call raises :class:`SessionDead` naming the call that ended it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import mmap
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from simvz.harness import crashtrace, gcov, launcher, sanitizer, shim

if TYPE_CHECKING:
    from simvz.harness.libvirt_build import LibvirtBuild
    from simvz.host import Host


# The build every Session loads when none is given: pytest's --libvirt-build sets it for
# the whole run (simvz.harness.plugin), so no test's connection falls back to the system's.
_default_build: LibvirtBuild | None = None


def set_default_build(build: LibvirtBuild | None) -> None:
    """Make ``build`` the libvirt of every Session opened without ``libvirt=``."""
    global _default_build
    _default_build = build


def default_build() -> LibvirtBuild | None:
    """The build set by :func:`set_default_build` (None: the system's libvirt)."""
    return _default_build


class LibvirtError(Exception):
    """A libvirt error raised by the driver (``virError`` code, domain and message)."""

    def __init__(self, code: int, domain: int, message: str) -> None:
        super().__init__(message)
        self.code, self.domain, self.message = code, domain, message

    def get_error_code(self) -> int:
        """libvirt-python's name for ``code`` (``virErrorNumber``)."""
        return self.code

    def get_error_domain(self) -> int:
        """libvirt-python's name for ``domain`` (``virErrorDomain``)."""
        return self.domain

    def get_error_message(self) -> str:
        """libvirt-python's name for ``message``."""
        return self.message


class DriverCrash(Exception):
    """The driver's process died (a signal inside libvirt.so) during ``call``."""

    def __init__(self, call: str, returncode: int | None, stderr: str) -> None:
        how = (
            f"killed by {signal.Signals(-returncode).name}"
            if returncode and returncode < 0
            else f"exited {returncode}"
        )
        trace = crashtrace.frames(stderr)
        reports = sanitizer.reports(stderr)
        found = [r.line() for r in reports] + (["driver backtrace:", *trace] if trace else [])
        text = "\n".join([f"libvirt driver {how} during {call}", *found, stderr.rstrip()])
        super().__init__(text.rstrip())
        self.call, self.returncode, self.stderr = call, returncode, stderr
        self.backtrace, self.reports = trace, reports


class DriverHung(Exception):
    """The driver gave no answer to ``call`` within the timeout; its process group (the
    driver and the node commands it runs) was killed."""

    def __init__(self, call: str, timeout: float, node_command: str) -> None:
        super().__init__(
            f"libvirt driver hung: no answer to {call} within {timeout:g} s "
            f"(last node command: {node_command}); the driver's process was killed"
        )
        self.call, self.timeout, self.node_command = call, timeout, node_command


class SessionDead(Exception):
    """A call on a session whose driver died (or hung) during an earlier call."""

    def __init__(self, call: str, cause: DriverCrash | DriverHung) -> None:
        super().__init__(f"libvirt session is dead, {call} not run: {str(cause).splitlines()[0]}")
        self.call, self.cause = call, cause


VALGRIND_ENV = "SIMVZ_VALGRIND"
# memcheck over the driver's process; Python's own allocator hides nothing from it with
# PYTHONMALLOC=malloc. Slow: a call takes seconds instead of milliseconds.
VALGRIND = ("valgrind", "--tool=memcheck", "--num-callers=30", "--trace-children=no",
            "--read-inline-info=yes", "--show-leak-kinds=none", "--leak-check=no")  # fmt: skip
TIMEOUT_ENV = "SIMVZ_CALL_TIMEOUT"
DEFAULT_TIMEOUT = 900.0  # a vzctl create or stop on a loaded real host can take minutes


def call_timeout() -> float:
    """Seconds a driver call may take: ``$SIMVZ_CALL_TIMEOUT`` or 900."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        raise ValueError(f"{TIMEOUT_ENV}={text!r}: not a number of seconds") from None
    if not value > 0:
        raise ValueError(f"{TIMEOUT_ENV}={text!r}: must be more than 0 seconds")
    return value


@dataclass(frozen=True)
class Domain:
    """A domain handle as the driver returned it (by name)."""

    name: str


@dataclass
class Call:
    """One API call: its answer and the node commands it caused."""

    value: Any
    journal: list[dict[str, Any]] = field(default_factory=list)
    what: str = ""  # ``defineXML('<domain ...')``, ``create() on dom:101``
    error: dict[str, Any] | None = None  # the libvirt error it answered, if any


# Told of every answered call and of every driver crash (a test's evidence, for the
# claims of the ``simvz`` pytest plugin's ``xfail_claim``): (call, crash)
observers: list[Callable[[Call, DriverCrash | None], None]] = []


class Session:
    """A libvirt connection to ``openvz:///system``: on the simulated node ``host``, or,
    with ``host=None``, on whatever this process's environment shows as the OpenVZ host
    (the machine's own; or a simulated node when run under ``simvz run``).

    ``libvirt``: a build whose libvirt.so the driver's process loads instead of the
    system's. ``library`` and ``version`` are what the process actually loaded.
    """

    def __init__(
        self,
        host: Host | None = None,
        uri: str = "openvz:///system",
        python: str = sys.executable,
        libvirt: LibvirtBuild | None = None,
        timeout: float | None = None,
    ) -> None:
        self.host = host
        libvirt = libvirt if libvirt is not None else _default_build
        self.timeout = call_timeout() if timeout is None else timeout
        self.dead: DriverCrash | DriverHung | None = None
        self._out = b""
        self._err = b""
        env = libvirt.environ() if libvirt is not None else dict(os.environ)
        if host is not None:
            env = shim.environ(host.root, env)
        prefix = gcov.prefix_for(os.environ.get("PYTEST_CURRENT_TEST"))
        if prefix is not None:  # this test's gcov counters apart from the others'
            env["GCOV_PREFIX"] = prefix
        argv = [python, "-m", "simvz.harness.worker", uri]
        valgrind = os.environ.get(VALGRIND_ENV) == "1"
        if valgrind:
            argv = [*VALGRIND, *argv]
            env["PYTHONMALLOC"] = "malloc"
        else:  # valgrind reports a crash itself, with the frames
            preload = [p for p in env.get("LD_PRELOAD", "").split(":") if p]
            env["LD_PRELOAD"] = ":".join([*preload, str(crashtrace.library())])
        cwd = str(Path(__file__).resolve().parents[2])
        # gcov's counters, LeakSanitizer and valgrind need the process's own start and exit
        plain = not valgrind and prefix is None and (libvirt is None or forkable(libvirt))
        launched = launcher.spawn(python, env, uri, cwd) if plain else None
        self._proc: DriverProcess = launched if launched is not None else subprocess.Popen(
            argv,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, text=True, cwd=cwd,
            start_new_session=True,  # its own process group: a hang kills the node tools too
        )  # fmt: skip
        self.calls: list[Call] = []
        ready = self._read(f"open({uri})")
        if "error" in ready:
            self.close()
            _tell(Call(None, [], f"open({uri})", ready["error"]), None)
            raise LibvirtError(**ready["error"])
        self.library: str = ready["library"]
        self.version: str = ready["version"]

    def _read(self, what: str) -> dict[str, Any]:
        """The next answer line, within the timeout; the driver's stderr is drained
        meanwhile (a full pipe would block it)."""
        assert self._proc.stdout is not None and self._proc.stderr is not None
        out, err = self._proc.stdout.fileno(), self._proc.stderr.fileno()
        deadline = time.monotonic() + self.timeout
        open_fds = [out, err]
        while b"\n" not in self._out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._hung(what)
            ready, _, _ = select.select(open_fds, [], [], left)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if fd == err:
                    self._err = (self._err + chunk)[-65536:]
                elif chunk:
                    self._out += chunk
                if not chunk:
                    open_fds.remove(fd)
            if out not in open_fds and b"\n" not in self._out:
                raise self._died(what)
        line, _, self._out = self._out.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _died(self, what: str) -> DriverCrash:
        try:
            code: int | None = self._proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            code = self._proc.returncode
        assert self._proc.stderr is not None
        self._err += _drain(self._proc.stderr.fileno())
        self.dead = DriverCrash(what, code, self._err.decode("utf-8", "replace"))
        return self.dead

    def _hung(self, what: str) -> DriverHung:
        running = _descendants(self._proc.pid)
        if running:
            last = running[-1]
        else:
            journal = self._journal()
            last = " ".join(journal[-1]["argv"]) if journal else "none"
        self._kill()
        self.dead = DriverHung(what, self.timeout, last)
        return self.dead

    def _kill(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # not (or no longer) a group leader: the process alone
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.wait()

    def _request(self, target: str, method: str, args: tuple[Any, ...]) -> Call:
        what = f"{method}({', '.join(map(repr, args))})" + ("" if target == "conn" else f" on {target}")
        if self.dead is not None:
            raise SessionDead(what, self.dead)
        before = len(self._journal())
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(
                json.dumps({"target": target, "method": method, "args": list(args)}) + "\n"
            )
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # reported by _read as the crash it is
        try:
            answer = self._read(what)
        except DriverCrash as crash:
            _tell(Call(None, self._journal()[before:], what), crash)
            raise
        call = Call(_decode(answer.get("ok")), self._journal()[before:], what, answer.get("error"))
        self.calls.append(call)
        _tell(call, None)
        if "error" in answer:
            raise LibvirtError(**answer["error"])
        return call

    def _journal(self) -> list[dict[str, Any]]:
        # a real host keeps no journal of its commands
        return self.host.journal() if self.host is not None else []

    def call(self, method: str, *args: Any) -> Any:
        """``virConnect.<method>(*args)``; domains come back as :class:`Domain`."""
        return self._request("conn", method, args).value

    def dom(self, name: str, method: str, *args: Any) -> Any:
        """``virDomain.<method>(*args)`` on the domain called ``name``."""
        return self._request(f"dom:{name}", method, args).value

    def crash_worker(self) -> None:
        """Make the driver's process die by SIGSEGV (tests of crash reporting)."""
        self._request("worker", "segfault", ())

    def memory_errors(self) -> list[str]:
        """The ASan/UBSan/memcheck reports the driver's process has written so far."""
        return [r.line() for r in sanitizer.reports(self._err.decode("utf-8", "replace"))]

    def journal_of_last(self) -> list[dict[str, Any]]:
        """The node commands the last call caused."""
        return self.calls[-1].journal if self.calls else []

    def close(self) -> None:
        """End the driver's process (and, if it hangs on, its process group)."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            if not exited(self._proc, 30):
                self._kill()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def forkable(build: LibvirtBuild) -> bool:
    """Whether ``build``'s driver processes may be forked from a launcher: not a build
    with gcov's counters (the ``.gcda`` paths compiled into the library) or with
    sanitizers, whose reports are written at a normal exit."""
    st = build.library.stat()
    return _forkable(str(build.library), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _forkable(library: str, size: int, mtime_ns: int) -> bool:
    with open(library, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return all(data.find(mark) < 0 for mark in (b".gcda", b"__asan_", b"__ubsan_"))


class DriverProcess(Protocol):
    """What a Session uses of its driver's process: a ``subprocess.Popen``, or a
    :class:`simvz.harness.launcher.LaunchedProcess` forked by a launcher."""

    pid: int
    stdin: IO[str] | None
    stdout: IO[str] | None
    stderr: IO[str] | None
    returncode: int | Any

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


def exited(proc: DriverProcess, timeout: float) -> bool:
    """Whether ``proc`` ends within ``timeout`` seconds (then it is reaped). Waited for
    on a pidfd, woken the moment it exits: ``Popen.wait(timeout)`` polls with sleeps of
    up to 50 ms, most of which a driver's process, done in a few ms, leaves unused."""
    try:
        fd = os.pidfd_open(proc.pid)
    except OSError:  # already reaped, or a kernel without pidfds (before Linux 5.3)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    if ready:
        proc.wait()
    return bool(ready)


def _tell(call: Call, crash: DriverCrash | None) -> None:
    for observer in observers:
        observer(call, crash)


def _drain(fd: int) -> bytes:
    data = b""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def _descendants(pid: int) -> list[str]:
    """Command lines of ``pid``'s descendants, oldest first (from /proc): what a hung
    driver is waiting for, e.g. the vzctl it runs."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found: list[str] = []
    todo = sorted(children.get(pid, []))
    while todo:
        child = todo.pop(0)
        todo += sorted(children.get(child, []))
        try:
            with open(f"/proc/{child}/cmdline", "rb") as fh:
                words = fh.read().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        found.append(_node_command([w.decode("utf-8", "replace") for w in words]))
    return found


NODE_TOOLS = ("vzctl", "vzlist", "vzmigrate", "ip", "brctl")


def _node_command(words: list[str]) -> str:
    """``vzlist 101 -ostatus -H`` from a command line, whether the tool is the host's
    (``/usr/sbin/vzlist ...``) or a simulated node's (``python -IS DIR/usr/sbin/vzlist ...``)."""
    for i, word in enumerate(words):
        if word.rsplit("/", 1)[-1] in NODE_TOOLS:
            return " ".join([word.rsplit("/", 1)[-1], *words[i + 1 :]])
    return " ".join(words)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__domain__"}:
            return Domain(value["__domain__"])
        if set(value) == {"__bytes__"}:
            return value["__bytes__"].encode("latin-1")
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
