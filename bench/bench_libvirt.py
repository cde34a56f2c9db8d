"""Benchmark (not a test): a domain's life cycle through libvirt's real OpenVZ driver.

On a fresh simulated node, one connection (``simvz.harness.libvirt_runner.Session``, the
driver in a child process with the shim) runs, per cycle and for a new CT ID each time:
``defineXML`` (a ``type='mount'`` filesystem on a private area prepared beforehand, not
timed), ``create``, ``shutdown``, ``undefine``. It prints the median wall time of a cycle,
the node commands per cycle and the share of the cycle spent in them (journal start/end
of each command: the tool's work on the node, not its interpreter's start-up), the round
trip of a call that runs no command, and the median fork+exec of ``/bin/true`` for scale.

``undefine`` fails on every real OpenVZ host with libvirt 9.0.0 (the driver runs ``vzctl
--quiet start destroy N``; vzctl answers "Bad CT ID destroy", exit 21): the cycle counts
the attempt, and each cycle takes a new CT ID because the old CT stays.

    .venv/bin/python bench/bench_libvirt.py [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from simvz.harness.libvirt_runner import LibvirtError, Session
from simvz.host import Host
from simvz.hostinit import init_host

TEMPLATE = "centos-6-x86"
FIRST_CTID = 101


@dataclass
class Cycle:
    """One define + create + shutdown + undefine: wall time, commands, time in them."""

    seconds: float
    commands: int
    in_commands: float
    undefine_error: str | None


def domain_xml(veid: int) -> str:
    """A mount-filesystem domain with a fixed UUID per CT ID."""
    return (
        f"<domain type='openvz'><name>{veid}</name><uuid>0b3c9a43-77a4-4a53-9d7c-{veid:012d}</uuid>"
        "<memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type>exe</type></os><devices>"
        f"<filesystem type='mount'><source dir='/vz/private/{veid}'/><target dir='/'/></filesystem>"
        "</devices></domain>"
    )


def prepare_private(host: Host, veid: int) -> None:
    """The administrator's part: ``/vz/private/VEID`` unpacked from a template cache."""
    private = host.root / "vz" / "private" / str(veid)
    private.mkdir(parents=True)
    with tarfile.open(host.root / "vz" / "template" / "cache" / f"{TEMPLATE}.tar.gz") as tar:
        tar.extractall(private)  # simvz's own small template tarball


def cycle(session: Session, veid: int) -> Cycle:
    """Run one cycle on ``session``; undefine's error is recorded, not raised."""
    first = len(session.calls)
    error = None
    start = time.perf_counter()
    session.call("defineXML", domain_xml(veid))
    session.dom(str(veid), "create")
    session.dom(str(veid), "shutdown")
    try:
        session.dom(str(veid), "undefine")
    except LibvirtError as err:
        error = err.message.strip().splitlines()[-1]
    seconds = time.perf_counter() - start
    entries = [e for c in session.calls[first:] for e in c.journal]
    return Cycle(seconds, len(entries), sum(e["end"] - e["start"] for e in entries), error)


def bin_true(runs: int) -> float:
    """Median wall time of a fork+exec of ``/bin/true``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def round_trip(session: Session, runs: int) -> float:
    """Median wall time of a call that runs no node command (``getType``): the runner's
    and the driver's own cost per call."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.call("getType")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the cycles and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="cycles to run (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the node directory")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simvz-bench-libvirt-"))
    try:
        report(*measure(tmp, args.runs))
    finally:
        if args.keep:
            print(f"node kept in {tmp / 'node'}")
        else:
            shutil.rmtree(tmp)


def measure(tmp: Path, runs: int) -> tuple[list[Cycle], float, float]:
    """The cycles on a fresh node under ``tmp`` whose tools use a tool server of the
    bench's own; the round trip of a call running no command; /bin/true."""
    from bench_tools import serving

    host = init_host(tmp / "node")
    for i in range(runs):
        prepare_private(host, FIRST_CTID + i)
    with serving(host, tmp / "sock"), Session(host) as session:
        cycles = [cycle(session, FIRST_CTID + i) for i in range(runs)]
        empty = round_trip(session, max(runs, 20))
    return cycles, empty, bin_true(max(runs, 20))


def report(cycles: list[Cycle], empty_s: float, true_s: float) -> None:
    """Print medians over the cycles."""
    wall = statistics.median(c.seconds for c in cycles)
    commands = statistics.median(c.commands for c in cycles)
    share = statistics.median(c.in_commands / c.seconds for c in cycles)
    print(f"cycles: {len(cycles)} (define mount fs + create + shutdown + undefine, one connection)")
    print(f"median cycle wall time:        {wall * 1000:8.1f} ms")
    print(f"node commands per cycle:       {commands:8.0f}")
    print(f"share of the cycle in them:    {share * 100:8.1f} %  (journal start..end)")
    print(f"a call running no command:     {empty_s * 1000:8.1f} ms  (runner round trip, getType)")
    print(f"fork+exec /bin/true (median):  {true_s * 1000:8.2f} ms  (cycle = {wall / true_s:.0f}x)")
    failed = [c.undefine_error for c in cycles if c.undefine_error]
    if failed:
        print(f"undefine failed in {len(failed)} of {len(cycles)} cycles, e.g.: {failed[0]}")


if __name__ == "__main__":
    main()
