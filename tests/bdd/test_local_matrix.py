"""The same scenarios on the real-host backend: ``simvz conformance --vz-host local`` run
inside ``simvz run DIR -- ...`` (the shim makes the simulated node this machine's OpenVZ
host) gives the default simulated run's matrix, apart from the ``@sim_only`` scenarios,
which it skips; and the operator's own container, outside the reserved range and with
the same number as a scenario container, is never touched.

The simulated run's matrix is the checked-in ``golden-matrix.json`` (feature, scenario
and result of each row; nothing else of a row is compared), instead of a second
conformance run per test run: ``SIMVZ_REGENERATE=1`` reruns the simulated conformance
and rewrites it. A scenario added, renamed or removed in features/ without regenerating
fails the cheap check below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simvz.backends.sim import SimBackend
from simvz.host import Host
from simvz.hostinit import init_host
from simvz.report import differences, load
from tests.conftest import create_ct, start_ct

ROOT = Path(__file__).resolve().parents[2]
SIMVZ = [sys.executable, "-m", "simvz.main"]
GOLDEN = Path(__file__).with_name("golden-matrix.json")
FIELDS = ("feature", "scenario", "result")  # what the comparison uses (simvz/report.py)


def scenario_patterns() -> list[re.Pattern[str]]:
    """Every scenario name in features/ as a pattern: an Outline's ``<param>`` stands
    for whatever its Examples put there."""
    names = []
    for feature in (ROOT / "features").rglob("*.feature"):
        names += re.findall(r"^\s*Scenario(?: Outline)?: ([^\n]+)", feature.read_text(), re.M)
    return [
        re.compile(
            "".join(".+" if p.startswith("<") else re.escape(p) for p in re.split(r"(<[^>]+>)", n.strip()))
        )
        for n in names
    ]


def verdict_differences(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """simvz.report.differences on the golden's fields only: the verdicts, not their
    evidence (which the golden does not keep)."""

    def strip(report: dict[str, Any]) -> dict[str, Any]:
        return {"scenarios": [{k: r[k] for k in FIELDS} for r in report["scenarios"]]}

    return differences(strip(a), strip(b))


def golden(tmp_path: Path) -> Path:
    """The simulated run's matrix; rerun and rewritten with ``SIMVZ_REGENERATE=1``."""
    if os.environ.get("SIMVZ_REGENERATE") == "1":
        out = tmp_path / "sim.json"
        sim = subprocess.run(
            [*SIMVZ, "conformance", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert sim.returncode == 0, sim.stdout[-3000:]
        rows = sorted(
            ({k: r[k] for k in FIELDS} for r in load(out)["scenarios"]),
            key=lambda r: (r["feature"], r["scenario"]),
        )
        GOLDEN.write_text(
            json.dumps({"scenarios": rows}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return GOLDEN


@pytest.mark.slow
def test_the_real_host_backend_gives_the_simulated_runs_matrix(tmp_path: Path) -> None:
    """One conformance run on the real-host backend (about as long as `simvz
    conformance` itself), compared with the golden simulated matrix."""
    node = init_host(tmp_path / "node", bridges=["eth10", "eth11"])
    create_ct(node, 101)  # the operator's: CT 101 of the scenarios is 990101
    conf = node.fs.real("/etc/vz/conf/101.conf").read_text() + "#UUID: 5e1f0000-0000-4000-8000-000000000101\n"
    node.fs.write("/etc/vz/conf/101.conf", conf)
    start_ct(node, 101)
    a, b = golden(tmp_path), tmp_path / "local.json"
    real = subprocess.run(
        [*SIMVZ, "run", str(node.root), "--", *SIMVZ, "conformance", "--vz-host", "local", "--json", str(b)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert real.returncode == 0, real.stdout[-3000:] + real.stderr[-2000:]
    cmp = subprocess.run(
        [*SIMVZ, "conformance", "--compare", str(a), str(b)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cmp.returncode == 1, cmp.stdout + cmp.stderr
    differ = {s: y for _f, s, _x, y in verdict_differences(load(a), load(b))}
    skipped = sim_only_scenarios() | second_host_scenarios()
    assert differ == {name: "skipped" for name in skipped}, cmp.stdout
    assert all(f"{name}" in cmp.stdout for name in differ)
    header = json.loads(b.read_text())["header"]
    assert header["host"].startswith("real OpenVZ host") and "vzctl 4.11.1" in header["host"]
    rows = {r["scenario"]: r for r in json.loads(b.read_text())["scenarios"]}
    assert all(rows[n]["reason"].startswith("@sim_only") for n in sim_only_scenarios())
    assert all("no second OpenVZ host" in rows[n]["reason"] for n in second_host_scenarios())
    view = SimBackend(Host(node.root)).inspect()
    assert [(c["ctid"], c["status"]["running"]) for c in view["containers"]] == [(101, True)]
    assert node.fs.read("/etc/vz/conf/101.conf") == conf


def test_the_golden_matrix_names_every_scenario() -> None:
    """Each scenario of features/ has a row in the golden matrix and each row names a
    scenario of features/ (regenerating rewrites it in the test above, which runs first)."""
    names = [r["scenario"] for r in load(GOLDEN)["scenarios"]]
    patterns = scenario_patterns()
    hint = "features/ changed: regenerate with SIMVZ_REGENERATE=1 pytest tests/bdd/test_local_matrix.py"
    assert len(names) == len(set(names)), hint
    assert all(any(p.fullmatch(n) for p in patterns) for n in names), hint
    assert all(any(p.fullmatch(n) for n in names) for p in patterns), hint


def sim_only_scenarios() -> set[str]:
    """Scenario names tagged @sim_only in features/."""
    names = set()
    for feature in (ROOT / "features").rglob("*.feature"):
        names |= set(re.findall(r"@sim_only[^\n]*\n\s*Scenario: ([^\n]+)", feature.read_text()))
    return names


def second_host_scenarios() -> set[str]:
    """Scenario names of the features/ files whose Background needs a second host (a
    real host has none configured: they are skipped there)."""
    names = set()
    for feature in (ROOT / "features").rglob("*.feature"):
        text = feature.read_text()
        if re.search(r"Background:\n\s*Given a second OpenVZ host", text):
            names |= set(re.findall(r"^\s*Scenario: ([^\n]+)", text, re.M))
    return names


def test_the_migration_scenarios_need_a_second_host() -> None:
    """The scenarios the real-host run is expected to skip for want of a peer."""
    assert "A running domain moves to the second host" in second_host_scenarios()
