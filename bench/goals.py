"""Benchmark (not a test): each speed goal's figure against its goal, in one run.

    .venv/bin/python bench/goals.py [--runs N] [--skip-conformance]

- ``vzctl status 101`` through the node's tool server, median, as a ratio to a
  fork+exec of ``/bin/true`` measured in the same run, calls spaced and interleaved
  (goal: within 3x); then the same two made back to back;
- ``vzlist -a`` on a node with 10,000 containers, median wall time (goal: under 1 s);
- a define + start + shutdown + undefine cycle through libvirt's real OpenVZ driver,
  median, with the share of it spent in node commands (goal: under 300 ms);
- ``simvz conformance`` (every scenario of features/, ``-n 2``), wall time (goal: under 5 s)
  and the CPU time of all its processes.

Ratios to ``/bin/true`` hold up on a loaded machine better than absolute times; every
figure is printed with the machine's load average at its start.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_libvirt
import bench_tools

from simvz.hostinit import init_host

REPO = Path(__file__).resolve().parents[1]


GAP = 0.02  # seconds between two calls of the latency figure


def status_ratio(tmp: Path, runs: int) -> tuple[str, bool]:
    """vzctl status 101 through the server, over /bin/true: the latency of one call
    (the goal's figure) and, after it, the time of calls made back to back."""
    host = init_host(tmp / "status")
    bench_tools.populate(host, 1)
    with bench_tools.serving(host, tmp / "status-sock"):
        argv = [str(host.root / "usr/sbin/vzctl"), "status", "101"]
        bench_tools.median_time(argv, 3)  # warm the server's caches and the client's page cache
        base, status, run = spaced_times(["/bin/true"], argv, runs)
        busy_base, _ = bench_tools.median_time(["/bin/true"], runs)
        busy, _ = bench_tools.median_time(argv, runs)
    ratio = status / base
    figure = (
        f"{ratio:.1f}x /bin/true ({status * 1000:.2f} ms vs {base * 1000:.2f} ms, exit {run.returncode}); "
        f"back to back {busy / busy_base:.1f}x ({busy * 1000:.2f} ms vs {busy_base * 1000:.2f} ms)"
    )
    return figure, ratio <= 3


def spaced_times(
    base_argv: list[str], argv: list[str], runs: int
) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Medians of ``base_argv`` and ``argv``, each call GAP after the previous one, the
    two interleaved (both meet the same machine): the time a caller waits for one call.
    Back to back, each call also pays for the spare that replaces the one it took (its
    fork and warm-up, about 3.5 ms of CPU, simvz/fastpath/server.py:_Pool), which on two
    cores runs beside the next call; a driver call makes its node calls one at a time,
    with its own work between them."""
    times: tuple[list[float], list[float]] = ([], [])
    last: subprocess.CompletedProcess[bytes] | None = None
    for _ in range(runs):
        for i, cmd in enumerate((base_argv, argv)):
            time.sleep(GAP)
            start = time.perf_counter()
            last = subprocess.run(cmd, env={}, capture_output=True, stdin=subprocess.DEVNULL, check=False)
            times[i].append(time.perf_counter() - start)
    assert last is not None
    return statistics.median(times[0]), statistics.median(times[1]), last


def vzlist_large(tmp: Path, runs: int) -> tuple[str, bool]:
    """vzlist -a on 10,000 containers through the server."""
    host = init_host(tmp / "large")
    bench_tools.populate(host, 10_000)
    with bench_tools.serving(host, tmp / "large-sock"):
        seconds, run = bench_tools.median_time([str(host.root / "usr/sbin/vzlist"), "-a"], max(3, runs // 4))
    lines = run.stdout.count(b"\n") - 1
    return f"{seconds:.3f} s for {lines} rows (exit {run.returncode})", seconds < 1


def libvirt_cycle(tmp: Path, runs: int) -> tuple[str, bool]:
    """define + create + shutdown + undefine through the driver."""
    cycles, _empty, _true = bench_libvirt.measure(tmp / "libvirt", runs)
    wall = statistics.median(c.seconds for c in cycles)
    share = statistics.median(c.in_commands / c.seconds for c in cycles)
    commands = statistics.median(c.commands for c in cycles)
    return f"{wall * 1000:.0f} ms, {commands:.0f} node commands = {share * 100:.0f}% of it", wall < 0.3


def conformance(tmp: Path, runs: int) -> tuple[str, bool]:
    """simvz conformance, as scripts/conformance runs it."""
    simvz = Path(sys.executable).with_name("simvz")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(simvz), "conformance"], cwd=REPO, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the CPU time of the run and all its processes: on a shared machine, what it costs
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    tail = done.stdout.decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
    return f"{wall:.1f} s, {cpu:.1f} s CPU (exit {done.returncode}: {tail[0]})", wall < 5


GOALS: list[tuple[str, str, Callable[[Path, int], tuple[str, bool]]]] = [
    ("vzctl status 101", "<= 3x /bin/true", status_ratio),
    ("vzlist -a, 10,000 CTs", "< 1 s", vzlist_large),
    ("libvirt define/start/shutdown/undefine", "< 300 ms", libvirt_cycle),
    ("simvz conformance (every scenario)", "< 5 s", conformance),
]


def main() -> None:
    """Measure every goal, print each against its goal; exit 0 either way (not a test)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="runs per median (default 20)")
    ap.add_argument("--skip-conformance", action="store_true", help="leave out the conformance run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simvz-goals-"))
    try:
        for label, goal, measure in GOALS:
            if args.skip_conformance and measure is conformance:
                continue
            load = os.getloadavg()[0]
            figure, met = measure(tmp, args.runs)
            print(f"{label:<40} {figure}  goal {goal}: {'met' if met else 'NOT met'}  (load {load:.1f})")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
