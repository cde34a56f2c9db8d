"""Benchmark (not a test): the conformance run's wall time and the median time per
scenario, serially and with ``-n 2``; results must be the same both ways.

    .venv/bin/python bench/bench_conformance.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "tests" / "bdd" / "test_thread_scenarios.py"


def run(workers: str | None) -> tuple[float, list[float], dict[str, str]]:
    """One conformance run: wall time, per-scenario durations, result per scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        junit, matrix = Path(tmp) / "junit.xml", Path(tmp) / "matrix.json"
        cmd = [sys.executable, "-m", "pytest", str(SCENARIOS), "-q", "-p", "no:cacheprovider",
               f"--junitxml={junit}", f"--conformance-json={matrix}"]  # fmt: skip
        if workers:
            cmd += ["-n", workers]
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, capture_output=True, check=False)
        wall = time.perf_counter() - start
        durations = [float(tc.get("time", 0)) for tc in ET.parse(junit).iter("testcase")]
        rows = json.loads(matrix.read_text())["scenarios"]
        return wall, durations, {r["scenario"]: r["result"] for r in rows}


def main() -> None:
    """Print both runs and whether their results agree."""
    serial = run(None)
    parallel = run("2")
    for label, (wall, durations, _results) in (("serial", serial), ("-n 2", parallel)):
        print(f"{label:>7}: {wall:6.1f} s for {len(durations)} scenarios, "
              f"median {statistics.median(durations):.2f} s per scenario")  # fmt: skip
    same = serial[2] == parallel[2]
    print(f"results identical serially and with -n 2: {same}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
