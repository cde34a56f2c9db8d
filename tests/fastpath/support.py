"""Nodes whose tools use a server of the test's own, and calls that tell whether the
server ran them (docs/fastpath.md)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from simvz.fastpath import server
from simvz.host import Host


@dataclass
class Call:
    """A tool call's outcome, with the node's root replaced by ``DIR``, and whether
    the tool server ran it (the journal records the pid of the process that ran it)."""

    exit: int
    stdout: bytes
    stderr: bytes
    served: bool


def point_at(host: Host, sockdir: Path) -> None:
    """Make ``host``'s tools look for their server in ``sockdir``."""
    sockdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    host.fs.write("/.simvz/tools.conf", server.tools_conf(str(sockdir)))


def call(
    host: Host, tool: str, *args: str, stdin: bytes = b"", cwd: Path | None = None, timeout: float = 60
) -> Call:
    """Run ``DIR/usr/sbin/TOOL ARGS`` with an empty environment, as libvirt's driver does;
    a call that has not answered in ``timeout`` seconds fails the test (killed)."""
    before = len(host.journal())
    proc = subprocess.Popen(
        [str(host.root / "usr/sbin" / tool), *args],
        env={},
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    entries = host.journal()[before:]
    served = bool(entries) and all(e["pid"] != proc.pid for e in entries)
    root = os.fsencode(host.root)
    return Call(proc.returncode, out.replace(root, b"DIR"), err.replace(root, b"DIR"), served)
