"""vzctl killed with SIGKILL while saving a config leaves the old or the new file, one
vzctl can still parse (``KV:src/lib/config.c:write_conf``: vzctl writes ``<CTID>.conf``
through a temp file and ``rename()``; ``KV:src/lib/lock.c:vps_lock``: the lock of a dead
vzctl is stale and the next command removes it).

Deterministic, without sleeps: the command runs in a child Python process (the host's
own ``vzctl`` entry point) that first wraps the file primitives ``simvz.storage`` uses,
so the child SIGKILLs itself at the chosen moment of writing ``101.conf``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import simvz
from simvz.host import Host
from tests.conftest import create_ct, make_host, vzctl, vzlist

PACKAGE_PARENT = str(Path(simvz.__file__).resolve().parent.parent)

# The child: sys.argv = [driver, host_dir, kill_point, file_name, vzctl args...].
DRIVER = r"""
import os, signal, sys
sys.path.insert(0, PKG)
import simvz.storage as storage

root, point, target, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def ours(path):
    return target in os.path.basename(os.fspath(path))

real_open, real_fsync, real_replace = open, os.fsync, os.replace
temp_fds = set()

class Half:
    # A file whose first write stops half-way: the process dies mid-write.
    def __init__(self, fh):
        self.fh = fh
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.fh.__exit__(*exc)
    def write(self, data):
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        die()
    def __getattr__(self, name):
        return getattr(self.fh, name)

def open_(path, mode="r", *a, **k):
    fh = real_open(path, mode, *a, **k)
    if ours(path) and "w" in mode:
        if point == "open-temp":
            die()
        temp_fds.add(fh.fileno())
        if point == "half-write":
            return Half(fh)
    return fh

def fsync(fd):
    if fd in temp_fds and point == "before-fsync":
        die()
    real_fsync(fd)

def replace(src, dst, *a, **k):
    if ours(dst) and point == "before-rename":
        die()
    real_replace(src, dst, *a, **k)
    if ours(dst) and point == "after-rename":
        die()

storage.open = open_
os.fsync = fsync
os.replace = replace
sys.argv = [os.path.join(root, "usr/sbin/vzctl"), *args]
from simvz.entry import main
main("vzctl")
""".replace("PKG", repr(PACKAGE_PARENT))

KILL_POINTS = {
    # kill point -> which content the config must have afterwards
    "open-temp": "old",
    "half-write": "old",
    "before-fsync": "old",
    "before-rename": "old",
    "after-rename": "new",
}
SAVES = {
    # option, value, vzlist field, field before, field after: a key replaced in place
    # (ve-vswap-256m has CPUUNITS="1000") and a key appended (KV:src/lib/config.c:vps_merge_conf)
    "replace": ("--cpuunits", "2500", "cpuunits", "1000", "2500"),
    "append": ("--description", "crashed", "description", "-", "crashed"),
}


def _killed_save(host: Host, point: str, args: list[str], target: str = "101.conf") -> None:
    proc = subprocess.run(
        [sys.executable, "-I", "-c", DRIVER, str(host.root), point, target, *args],
        env={},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    # the kill point must really have been reached, or the test proves nothing
    assert proc.returncode == -signal.SIGKILL, (point, proc.returncode, proc.stdout, proc.stderr)


def _expected_new(tmp: Path, option: str, value: str) -> bytes:
    """The file a completed save writes, from an identical node."""
    ref = make_host(tmp / "reference")
    create_ct(ref, 101)
    r = vzctl(ref, "set", "101", option, value, "--save")
    assert r.exit == 0, r
    return (ref.root / "etc/vz/conf/101.conf").read_bytes()


@pytest.mark.parametrize("save", sorted(SAVES))
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_while_saving_leaves_old_or_new_config(
    ct101: Host, tmp_path: Path, point: str, save: str
) -> None:
    """``KV:src/lib/config.c:write_conf`` (temp file + rename) and ``vps_lock`` (stale
    lock): after the kill the config is byte for byte the old or the new one, vzlist
    reads it, and the next vzctl removes the dead process's lock and saves normally."""
    host = ct101
    option, value, field, shown_old, shown_new = SAVES[save]
    conf = host.root / "etc/vz/conf/101.conf"
    old = conf.read_bytes()
    new = _expected_new(tmp_path, option, value)
    assert old != new

    _killed_save(host, point, ["set", "101", option, value, "--save"])

    survived = KILL_POINTS[point]
    assert conf.read_bytes() == (old if survived == "old" else new)
    r = vzlist(host, "-a", "-H", "-o", f"ctid,{field}")
    assert r.exit == 0 and r.err == "", r
    assert r.out.split() == ["101", shown_old if survived == "old" else shown_new]
    # the killed vzctl never released its lock; the next command takes it over (KV:src/lib/lock.c:vps_lock)
    after = vzctl(host, "set", "101", option, value, "--save")
    assert after.exit == 0, after
    assert after.out == (
        "Removing stale lock file /vz/lock/101.lck\nCT configuration saved to /etc/vz/conf/101.conf\n"
    )
    assert conf.read_bytes() == new
    assert list((host.root / "vz/lock").iterdir()) == []
