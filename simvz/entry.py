"""Entry point of the host's executables ``DIR/usr/sbin/{vzctl,vzlist,vzmigrate}``.

They must work with an empty environment (libvirt runs ``vzctl --help`` with exactly
``LC_ALL=C``, ``openvz_conf.c:openvzExtractVersionInfo``), so the host directory comes from the
script's own path. Imports stay minimal here: start-up time is what a tool call costs.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

# Usage errors of the wrapper itself (not of the simulated tool), as `simvz` uses.
EXIT_NOT_A_HOST = 2

# vzctl passes its stdin through only to the command it runs in the container
# (KV:src/lib/exec.c); every other command leaves stdin alone, so a
# `while read ...; do vzctl ...; done < list` loop keeps its input.
_STDIN_COMMANDS = frozenset({"exec", "exec2", "exec3"})

# Set by the tool server's child (simvz/fastpath/server.py): how the command's end,
# b"X" and an exit code or b"S" and a signal, reaches the client that reproduces it.
REPORT: Callable[[bytes, int], None] | None = None


def fallback() -> NoReturn:
    """``DIR/.simvz/tools/fallback TOOL EXECFN ARGS...``: what the native client execs
    without a server; runs TOOL as if it had been exec'd as EXECFN with ARGS."""
    tool, execfn = sys.argv[1], sys.argv[2]
    sys.argv = [execfn, *sys.argv[3:]]
    main(tool)


def main(tool: str) -> NoReturn:
    """Run ``tool`` on the host the calling script lives in, then exit as the tool did."""
    # vzctl's set, create, start... install no SIGINT handler (vzctl src/vzctl.c:main):
    # Ctrl-C kills it where it stands, leaving its lock file; Python's KeyboardInterrupt
    # would unwind and clean up instead.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # A tool is a short-lived process: reference counting frees what it drops, and the
    # cycle collector's passes over thousands of parsed configs (vzlist -a on a large
    # node) would cost a fifth of the run.
    gc.disable()
    argv0 = sys.argv[0]
    root = host_root(argv0)
    if root is None:
        _die(f"simvz: {argv0}: cannot find the host: the tool must live in DIR/usr/sbin")
    from simvz import faults
    from simvz.errors import VzError
    from simvz.host import Host

    faults.install()  # a scenario may have arranged this command to fail
    try:
        host = Host(root)  # resolving .simvz can fail (a symlink loop): exit 3, no traceback
    except VzError as err:
        _write(2, "".join(line + "\n" for line in err.lines).encode("utf-8", "surrogateescape"))
        _exit(err.code)
    if not host.is_initialised():
        _die(f"simvz: {root} is not a simulated host (run `simvz init {root}`)")
    # Started through the preload shim, the interpreter sees the redirected script path;
    # the name the caller used (what getopt prints) comes in SIMVZ_ARGV0.
    called = os.environ.get("SIMVZ_ARGV0")
    args = [os.fsencode(called) if called else os.fsencode(argv0)] + [os.fsencode(a) for a in sys.argv[1:]]
    result = host.run(tool, args, _stdin(tool, sys.argv[1:]))
    _emit(result.stdout, result.stderr, result.combined)
    _exit(result.exit)


def host_root(argv0: str) -> str | None:
    """The host directory of a tool invoked as ``argv0`` (``DIR/usr/sbin/<tool>``)."""
    path = os.path.abspath(argv0)
    sbin = os.path.dirname(path)
    usr = os.path.dirname(sbin)
    if os.path.basename(sbin) != "sbin" or os.path.basename(usr) != "usr":
        return None
    return os.path.dirname(usr)


def _stdin(tool: str, args: list[str]) -> bytes:
    command = next((a for a in args if not a.startswith("-")), None)
    if tool != "vzctl" or command not in _STDIN_COMMANDS:
        return b""
    try:
        if os.isatty(0):
            return b""
        with os.fdopen(0, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:  # stdin closed
        return b""


def _emit(stdout: bytes, stderr: bytes, combined: bytes) -> None:
    # When fd 1 and 2 are one file (`2>&1`, a terminal) the interleaving is part of
    # the output; Result.combined holds it whenever the tool recorded its chunks.
    if _same_file(1, 2) and combined and len(combined) == len(stdout) + len(stderr):
        _write(1, combined)
        return
    _write(1, stdout)
    _write(2, stderr)


def _same_file(a: int, b: int) -> bool:
    try:
        sa, sb = os.fstat(a), os.fstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:  # closed or broken pipe: the reader went away, as with any tool
        pass


def _die(message: str) -> NoReturn:
    _write(2, message.encode("utf-8", "surrogateescape") + b"\n")
    if REPORT is not None:
        close_stdio()
        REPORT(b"X", EXIT_NOT_A_HOST)
    os._exit(EXIT_NOT_A_HOST)


def close_stdio() -> None:
    """Close fds 0-2 once the output is written, before the tool server's child reports
    the end: a caller reading the tool's output (libvirt's driver, a shell's ``$(...)``)
    sees its end of file then, not only once the kernel has torn down the child, a
    fork of a large interpreter (simvz/fastpath/server.py)."""
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.close(fd)


def _exit(code: int) -> NoReturn:
    if REPORT is not None:
        close_stdio()
    if code < 0 and REPORT is not None:
        REPORT(b"S", -code)
    elif REPORT is not None:
        REPORT(b"X", code & 0xFF)
    if code < 0:
        # A negative exit means the simulated process died of signal -code.
        try:
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        except (OSError, ValueError):
            pass
        code = 128 - code
    os._exit(code & 0xFF)
