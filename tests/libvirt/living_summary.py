"""The living-host table's numbers, from a real run: the catalogue, the size of the
product, and how many combinations the driver honours (passed) or falls short on
(claim-checked expected failures, by gap).

``.venv/bin/python -m tests.libvirt.living_summary`` runs the full product
(``SIMVZ_LIVING_FULL=1``, ``pytest -n 2``, some ten minutes of CPU) and prints the
summary the README quotes; ``--junit FILE`` summarises a run already made with
``--junitxml FILE`` instead.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from tests.libvirt.entrypoints import ENTRIES, NOT_IN_TABLE
from tests.libvirt.states import CATALOGUE
from tests.libvirt.support import REPO
from tests.libvirt.test_states import CI_CASES, FULL_CASES

TABLE = "tests/libvirt/test_states.py"


def outcomes(junit: Path) -> Counter[str]:
    """Of the combinations run: ``passed``, ``failed``, ``xfail <gap>``."""
    seen: Counter[str] = Counter()
    for case in ET.parse(junit).iter("testcase"):
        if not (case.get("name") or "").startswith("test_entry_point_in_state["):
            continue  # the table's own checks are no combination
        verdict = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                verdict = "failed"
            elif child.tag == "skipped":
                gap = re.search(r"\[([\w-]+)\]", child.get("message") or "")
                verdict = f"xfail {gap.group(1) if gap else '?'}"
        seen[verdict] += 1
    return seen


def run_full(junit: Path) -> None:
    """The full product, as CI would run it with the switch on."""
    cmd = [sys.executable, "-m", "pytest", TABLE, "-q", "-p", "no:cacheprovider", "-n", "2"]
    env = {**os.environ, "SIMVZ_LIVING_FULL": "1"}
    subprocess.run([*cmd, f"--junitxml={junit}"], cwd=REPO, env=env, check=False)


def report(seen: Counter[str]) -> list[str]:
    """The summary's lines."""
    gaps = Counter({k.removeprefix("xfail "): n for k, n in seen.items() if k.startswith("xfail ")})
    lines = [f"  {s.name:17} {s.how}" for s in CATALOGUE]
    return [
        "host states:",
        *lines,
        f"entry points: {len(ENTRIES)} in the table, {len(NOT_IN_TABLE)} left out (see NOT_IN_TABLE)",
        f"generated tests: {len(FULL_CASES)} (entry points x {len(CATALOGUE)} states x before/after;",
        "  stopped only before, the 5 ...Flags aliases only in stopped and running);",
        f"  the CI tier runs {len(CI_CASES)} of them",
        f"run: {sum(seen.values())} tests, honoured (passed): {seen['passed']}, "
        f"falls short (claim-checked xfail): {sum(gaps.values())}, failed: {seen['failed']}",
        *(f"  {n:4} {gap}" for gap, n in gaps.most_common()),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--junit", type=Path, help="summarise this junit XML of a full run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        junit = args.junit or Path(tmp) / "living.xml"
        if args.junit is None:
            run_full(junit)
        print("\n".join(report(outcomes(junit))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
