"""The node tools' fast path (docs/fastpath.md): the native client hands a call to the
tool server and answers exactly what the Python entry answers; without a server, with a
server stopped mid-run or a stale one, the client falls back and still answers the same."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simvz import faults
from simvz.fastpath import server
from simvz.host import Host
from tests.conftest import make_host
from tests.fastpath.support import Call, call, point_at

# A session of an administrator: good calls, refused calls, read-only tools, stdin.
SESSION: list[tuple[str, tuple[str, ...]]] = [
    ("vzctl", ("create", "101", "--ostemplate", "centos-6-x86", "--name", "web")),
    ("vzctl", ("set", "101", "--cpuunits", "2500", "--save")),
    ("vzctl", ("set", "101", "--onboot", "YES", "--save")),
    ("vzctl", ("start", "web")),
    ("vzctl", ("status", "101")),
    ("vzlist", ("-a",)),
    ("vzlist", ("-a", "-o", "ctid,bogus")),
    ("vzctl", ("exec", "101", "cat", "/etc/issue")),
    ("vzctl", ("--bogus",)),
    ("ip", ("link", "show")),
    ("brctl", ("show",)),
    ("vzmigrate", ()),
    ("vzctl", ("stop", "101")),
    ("vzctl", ("destroy", "101")),
    ("vzctl", ("status", "101")),
]
STDIN = b"piped into the container\n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Host, subprocess.Popen[bytes]]]:
    """A node with a tool server of its own."""
    host = make_host(tmp_path / "node")
    point_at(host, tmp_path / "sock")
    proc = server.start(str(tmp_path / "sock"))
    yield host, proc
    proc.terminate()
    proc.wait()


@pytest.fixture
def unserved(tmp_path: Path) -> Host:
    """A node whose tools find no server."""
    host = make_host(tmp_path / "plain")
    point_at(host, tmp_path / "nosock")
    return host


def _session(host: Host, steps: list[tuple[str, tuple[str, ...]]]) -> list[Call]:
    return [call(host, tool, *args, stdin=STDIN) for tool, args in steps]


def _answers(calls: list[Call]) -> list[tuple[int, bytes, bytes]]:
    return [(c.exit, c.stdout, c.stderr) for c in calls]


def test_server_answers_as_the_python_entry(
    served: tuple[Host, subprocess.Popen[bytes]], unserved: Host
) -> None:
    """Every call of the session runs in the server and answers byte for byte what the
    fallback answers on an identical node; the nodes end up identical."""
    fast = _session(served[0], SESSION)
    slow = _session(unserved, SESSION)
    assert [c.served for c in fast] == [True] * len(SESSION)
    assert [c.served for c in slow] == [False] * len(SESSION)
    assert _answers(fast) == _answers(slow)
    assert (
        fast[SESSION.index(("vzctl", ("exec", "101", "cat", "/etc/issue")))].stdout
        == b"centos-6-x86 (simvz template)\n"
    )
    for rel in ("etc/vz/conf", "etc/vz/names", "vz/private", "proc/vz"):
        assert sorted(p.name for p in (served[0].root / rel).iterdir()) == sorted(
            p.name for p in (unserved.root / rel).iterdir()
        ), rel


def test_server_stopped_mid_run_the_next_call_answers_the_same(
    served: tuple[Host, subprocess.Popen[bytes]], unserved: Host
) -> None:
    """The server stops half-way through the session: the next calls fall back to the
    Python entry and answer exactly what they answer on a node that never had a server."""
    host, proc = served
    half = len(SESSION) // 2
    first = _session(host, SESSION[:half])
    proc.terminate()
    proc.wait()
    rest = _session(host, SESSION[half:])
    assert [c.served for c in first] == [True] * half
    assert [c.served for c in rest] == [False] * (len(SESSION) - half)
    assert _answers(first + rest) == _answers(_session(unserved, SESSION))


def test_a_server_killed_leaves_a_socket_the_client_falls_back_from(
    served: tuple[Host, subprocess.Popen[bytes]],
) -> None:
    """SIGKILL leaves the socket file behind with nobody listening: the client falls back."""
    host, proc = served
    proc.kill()
    proc.wait()
    assert list((host.root.parent / "sock").glob("tools-*.sock"))
    r = call(host, "vzctl", "--version")
    assert (r.exit, r.stdout, r.served) == (0, b"vzctl version 4.11.1\n", False)


def test_a_server_of_other_code_is_never_used(tmp_path: Path) -> None:
    """A server runs the package it was started from; once that package changes, its
    children refuse calls (the clients fall back), and the stale server exits by itself."""
    package, host, sockdir, proc = _stale_setup(tmp_path)
    assert call(host, "vzctl", "--version").served
    (package / "errors.py").write_text((package / "errors.py").read_text() + "\n# changed\n")
    r = call(host, "vzctl", "--version")
    assert (r.exit, r.stdout, r.served) == (0, b"vzctl version 4.11.1\n", False)
    assert proc.wait(timeout=30) == 0  # it noticed the change
    assert not list(sockdir.glob("tools-*.sock"))


def _stale_setup(tmp_path: Path) -> tuple[Path, Host, Path, subprocess.Popen[bytes]]:
    package = tmp_path / "pkg" / "simvz"
    shutil.copytree(server.package_dir(), package, ignore=shutil.ignore_patterns("__pycache__"))
    host = make_host(tmp_path / "node")
    sockdir = tmp_path / "sock"
    point_at(host, sockdir)
    host.fs.write("/.simvz/tools.conf", f"package={package}\nsockdir={sockdir}\n")
    return package, host, sockdir, server.start(str(sockdir), package_parent=str(package.parent))


def test_a_change_the_fingerprint_cannot_see_is_noticed(tmp_path: Path) -> None:
    """A file of the package rewritten in place, its size kept and its old mtime put
    back: the fingerprint (names, sizes, mtimes) is unchanged, but the server watches
    the package's files, so the next call is not served by it (the Python entry answers)
    and the server exits."""
    package, host, sockdir, proc = _stale_setup(tmp_path)
    assert call(host, "vzctl", "--version").served
    source = package / "errors.py"
    st, text, before = source.stat(), source.read_bytes(), server.fingerprint(str(package))
    assert text.endswith(b"\n")
    source.write_bytes(text[:-1] + b"#")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert server.fingerprint(str(package)) == before
    r = call(host, "vzctl", "--version")
    assert (r.exit, r.stdout, r.served) == (0, b"vzctl version 4.11.1\n", False)
    assert proc.wait(timeout=30) == 0
    assert not list(sockdir.glob("tools-*.sock"))


def test_a_new_server_replaces_one_of_other_code(tmp_path: Path) -> None:
    """A server starting where one of the same package's path answers: one of the same
    code is left to serve (the new one says ``running``); one of other code (another
    fingerprint recorded beside its socket) is replaced, and it exits by itself."""
    package, _host, sockdir, proc = _stale_setup(tmp_path)
    fp = server.fingerprint(str(package))
    assert server.listen(str(sockdir), str(package), fp) is None
    stamp = next(sockdir.glob("tools-*.fp"))
    stamp.write_text(f"{fp ^ 1:016x}\n")
    listener = server.listen(str(sockdir), str(package), fp)
    assert listener is not None
    try:
        assert proc.wait(timeout=30) == 0  # its socket is no longer its own
        assert stamp.read_text() == f"{fp:016x}\n"
        assert [p.name for p in sockdir.glob("tools-*.sock")] == [listener.name]
    finally:
        listener.close()


def test_exit_status_and_signal_are_the_commands(
    served: tuple[Host, subprocess.Popen[bytes]], unserved: Host
) -> None:
    """The client exits with the command's status, or dies of the signal it died of."""
    for host in (served[0], unserved):
        faults.add(host, "vzctl", ["status", "101"], exit=-signal.SIGABRT, stderr="double free\n")
        r = call(host, "vzctl", "status", "101")
        assert (r.exit, r.stderr) == (-signal.SIGABRT, b"double free\n")
        faults.add(host, "vzctl", ["status", "101"], exit=200, stderr="")
        assert call(host, "vzctl", "status", "101").exit == 200


def test_relative_invocation_and_working_directory(served: tuple[Host, subprocess.Popen[bytes]]) -> None:
    """The client passes the name it was exec'd by and its working directory: a relative
    call finds the node from the caller's directory, and getopt names it as called."""
    host = served[0]
    proc = subprocess.Popen(
        ["./vzctl", "--bogus"],
        cwd=host.root / "usr/sbin",
        env={},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _out, err = proc.communicate()
    entry = host.journal()[-1]
    assert (proc.returncode, entry["argv"][0], entry["pid"] != proc.pid) == (20, "./vzctl", True)
    assert err == b"Bad command: --bogus\n" or err.startswith(b"./vzctl")


def test_simvz_serve_serves_then_stops_when_idle(tmp_path: Path) -> None:
    """``simvz serve --idle``: clients are served while it runs; it stops by itself after
    the idle time and removes its socket; the next call falls back."""
    host = make_host(tmp_path / "node")
    sockdir = tmp_path / "sock"
    point_at(host, sockdir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "simvz.main", "serve", "--sockdir", str(sockdir), "--idle", "1"],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    assert call(host, "vzctl", "--version").served
    assert proc.wait(timeout=60) == 0
    assert not list(sockdir.glob("tools-*.sock"))
    assert not call(host, "vzctl", "--version").served


def test_the_servers_scratch_node_goes_with_it(tmp_path: Path) -> None:
    """A server warms up on a scratch node of its own in the socket directory: removed
    when it stops; one a killed server left is removed by the next server there."""
    host = make_host(tmp_path / "node")
    sockdir = tmp_path / "sock"
    point_at(host, sockdir)
    first = server.start(str(sockdir))
    assert call(host, "vzctl", "status", "101").served
    [left] = sockdir.glob("warm-*")
    first.kill()
    first.wait()
    assert left.exists()
    second = server.start(str(sockdir))
    try:
        assert not left.exists()
        assert len(list(sockdir.glob("warm-*"))) == 1
        assert call(host, "vzctl", "status", "101").served
    finally:
        second.terminate()
        second.wait()
    assert not list(sockdir.glob("warm-*"))


def _spares(server_pid: int) -> list[int]:
    """The server's children once there are SPARES of them (polled: the server forks
    them in its own time; a server that never does fails the test)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
        if len(found) == server.SPARES:
            return [int(pid) for pid in found]
        time.sleep(0.005)
    raise AssertionError(f"the server has not forked its {server.SPARES} spares")


def test_spares_killed_before_any_call_are_replaced(served: tuple[Host, subprocess.Popen[bytes]]) -> None:
    """A spare that ends without taking a call (killed from outside) is replaced, so a
    call made meanwhile waits in the socket's queue for the replacement, never for ever
    (the server waits on every spare's pidfd)."""
    host, proc = served
    for _ in range(3):  # the spares, then their replacements, then theirs
        for pid in _spares(proc.pid):
            os.kill(pid, signal.SIGKILL)
        r = call(host, "vzctl", "status", "101", timeout=30)
        assert (r.exit, r.stdout, r.served) == (0, b"CTID 101 deleted unmounted down\n", True)
