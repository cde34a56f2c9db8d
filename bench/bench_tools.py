"""Benchmark (not a test): what one tool call costs on a host with 1,000 containers.

Builds a host, writes 1,000 container configs directly (a sample's text plus VE_ROOT,
VE_PRIVATE and OSTEMPLATE lines, as ``vzctl create`` leaves them) with their private
directories, then prints the median wall time of ``DIR/usr/sbin/vzctl status 101``,
``DIR/usr/sbin/vzlist -a`` and ``/bin/true``, each run with an empty environment, and
the first two as ratios to ``/bin/true``: through the node's tool server (started for
the run, docs/fastpath.md) and, with ``--fallback``, through the Python entry.

    .venv/bin/python bench/bench_tools.py [--runs N] [--containers N] [--fallback] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from simvz.fastpath import server
from simvz.host import Host
from simvz.hostinit import init_host, install_tools

SAMPLE = "/etc/vz/conf/ve-vswap-256m.conf-sample"
FIRST_CTID = 101


def populate(host: Host, count: int) -> None:
    """Write ``count`` container configs and private areas, from CT 101 upwards."""
    sample = host.fs.read(SAMPLE) or ""
    for veid in range(FIRST_CTID, FIRST_CTID + count):
        host.fs.write(
            f"/etc/vz/conf/{veid}.conf",
            sample
            + (
                'VE_ROOT="/vz/root/$VEID"\n'
                'VE_PRIVATE="/vz/private/$VEID"\n'
                'OSTEMPLATE="centos-6-x86"\n'
                f'HOSTNAME="ct{veid}.example.com"\n'
            ),
        )
        host.fs.mkdir(f"/vz/private/{veid}")
        host.fs.mkdir(f"/vz/root/{veid}")


def median_time(argv: list[str], runs: int) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    """Median wall time of ``runs`` runs of ``argv`` with an empty environment, and the last run."""
    times: list[float] = []
    last: subprocess.CompletedProcess[bytes] | None = None
    for _ in range(runs):
        start = time.perf_counter()
        last = subprocess.run(argv, env={}, capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    assert last is not None
    return statistics.median(times), last


def report(label: str, seconds: float, base: float, run: subprocess.CompletedProcess[bytes]) -> None:
    """One line of results, plus the tool's error when it failed."""
    print(f"{label:<28} {seconds * 1000:9.2f} ms  {seconds / base:7.1f} x /bin/true  (exit {run.returncode})")
    if run.returncode != 0:
        err = run.stderr.decode(errors="replace").strip().splitlines()
        # a traceback's last line says what went wrong; a tool's message is its first
        line = (err[-1] if err[0].startswith("Traceback") else err[0]) if err else "(no message)"
        print(f"{'':<28} error: {line}")


def main() -> None:
    """Build the host, run the measurements, print them."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="runs per command (default 20)")
    ap.add_argument("--containers", type=int, default=1000, help="containers on the host (default 1000)")
    ap.add_argument("--fallback", action="store_true", help="also measure without the tool server")
    ap.add_argument("--keep", action="store_true", help="keep the host directory and print its path")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simvz-bench-"))
    try:
        host = init_host(tmp / "node")
        with serving(host, tmp / "sock"):
            print("through the tool server:")
            measure(host, args.containers, args.runs, args.keep)
        if args.fallback:
            print("through the Python entry (no server):")
            report_calls(host, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(tmp)


@contextlib.contextmanager
def serving(host: Host, sockdir: Path) -> Iterator[None]:
    """A tool server of the bench's own for ``host``, stopped on leaving."""
    sockdir.mkdir(mode=0o700, exist_ok=True)
    install_tools(host, str(sockdir))
    proc = server.start(str(sockdir))
    try:
        yield
    finally:
        proc.terminate()
        proc.wait()


def measure(host: Host, containers: int, runs: int, keep: bool) -> None:
    """Populate ``host`` and print the three medians."""
    built = time.perf_counter()
    populate(host, containers)
    print(
        f"host with {containers} containers built in {time.perf_counter() - built:.1f} s"
        f"{f' at {host.root}' if keep else ''}; {runs} runs each"
    )
    report_calls(host, runs)


def report_calls(host: Host, runs: int) -> dict[str, float]:
    """Print the medians of /bin/true, vzctl status and vzlist -a; return them."""
    sbin = host.root / "usr" / "sbin"
    base, true_run = median_time(["/bin/true"], runs)
    report("/bin/true", base, base, true_run)
    out = {"/bin/true": base}
    for label, argv in (
        ("vzctl status 101", [str(sbin / "vzctl"), "status", str(FIRST_CTID)]),
        ("vzlist -a", [str(sbin / "vzlist"), "-a"]),
    ):
        seconds, run = median_time(argv, runs)
        report(label, seconds, base, run)
        out[label] = seconds
    return out


if __name__ == "__main__":
    main()
