"""Killing the client kills the command, as killing vzctl would (docs/fastpath.md): a
client killed during ``vzctl set --save`` leaves the config old or new, never a mix,
and the lock of the dead command behind for the next vzctl to remove (vzctl
src/lib/lock.c:vps_lock; src/vzctl.c:main installs no SIGTERM or SIGINT handler).

Deterministic, without sleeps: the test's tool server is started by a driver that
wraps ``os.replace``, so that the server's child, when it reaches the chosen moment of
writing ``101.conf``, tells the test its pid on a pipe and waits; the test then kills
the client and waits for the child to end (a pidfd).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simvz.fastpath import server
from simvz.host import Host
from tests.conftest import create_ct, make_host, vzctl, vzlist
from tests.fastpath.support import point_at

PACKAGE_PARENT = str(Path(server.package_dir()).parent)
DRIVER = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
point, reached, sockdir, ready = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
real_replace = os.replace

def hold():
    os.write(reached, str(os.getpid()).encode() + b"\n")
    while True:
        signal.pause()  # until the client hangs up: SIGIO ends this process

def replace(src, dst, *a, **k):
    ours = os.path.basename(os.fspath(dst)) == "101.conf"
    if ours and point == "before-rename":
        hold()
    real_replace(src, dst, *a, **k)
    if ours and point == "after-rename":
        hold()

os.replace = replace
from simvz.fastpath.server import serve
sys.exit(serve(sockdir, None, ready))
"""
SURVIVES = {"before-rename": "old", "after-rename": "new"}
WAIT = 60.0  # seconds: a bound for a loaded machine, not a timing


@pytest.fixture(params=sorted(SURVIVES))
def held(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Host, str, int]]:
    """CT 101 on a node whose server's child holds at the chosen point: (node, point,
    the read end of the pipe the child announces itself on)."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101)
    sockdir = tmp_path / "sock"
    point_at(host, sockdir)
    reached_r, reached_w = os.pipe()
    ready_r, ready_w = os.pipe()
    argv = [sys.executable, "-I", "-c", DRIVER, PACKAGE_PARENT, request.param, str(reached_w), str(sockdir)]
    proc = subprocess.Popen(
        [*argv, str(ready_w)], pass_fds=(reached_w, ready_w), stdin=subprocess.DEVNULL, env={}
    )
    os.close(reached_w)
    os.close(ready_w)
    with os.fdopen(ready_r, "rb") as fh:
        assert fh.readline() == b"ready\n"
    yield host, request.param, reached_r
    os.close(reached_r)
    proc.terminate()
    proc.wait()


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _child_pid(reached: int) -> int:
    readable, _, _ = select.select([reached], [], [], WAIT)
    assert readable, "the server's child never reached the kill point"
    return int(os.read(reached, 64).decode())


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_client_leaves_old_or_new_config(
    held: tuple[Host, str, int], tmp_path: Path, sig: int
) -> None:
    host, point, reached = held
    conf = host.root / "etc/vz/conf/101.conf"
    old = conf.read_bytes()
    client = subprocess.Popen(
        [str(host.root / "usr/sbin/vzctl"), "set", "101", "--cpuunits", "2500", "--save"],
        env={},
        # a shell's background job inherits SIGINT ignored, and so would the client:
        # the signal's default action is what a Ctrl-C'd vzctl meets
        preexec_fn=_default_signals,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child = os.pidfd_open(_child_pid(reached))
    client.send_signal(sig)
    assert client.wait() == -sig
    try:
        gone, _, _ = select.select([child], [], [], WAIT)
    finally:
        os.close(child)
    assert gone, "the command outlived its client"

    new = old.replace(b'CPUUNITS="1000"', b'CPUUNITS="2500"')
    assert conf.read_bytes() == (old if SURVIVES[point] == "old" else new)
    shown = vzlist(host, "-a", "-H", "-o", "ctid,cpuunits")
    assert shown.out.split() == ["101", "1000" if SURVIVES[point] == "old" else "2500"]
    # the dead command never released its lock: the next vzctl removes it, then saves
    after = vzctl(host, "set", "101", "--cpuunits", "2500", "--save")
    assert after.out == (
        "Removing stale lock file /vz/lock/101.lck\nCT configuration saved to /etc/vz/conf/101.conf\n"
    )
    assert conf.read_bytes() == new
