"""pytest plugin ``simvz_steps``: the step library, its ``world`` fixture, the ``@gap:``
and ``@corpus:`` tags, and the conformance matrix printed at the end of a run."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from simvz.backends.base import Driver, HostBackend
from steps.domain import *  # noqa: F403 - registers the steps with pytest-bdd
from steps.gaps import GAPS
from steps.host import *  # noqa: F403
from steps.network import *  # noqa: F403
from steps.world import World


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--conformance-json FILE``: also write the matrix as JSON."""
    group = parser.getgroup("simvz", "simvz conformance")
    group.addoption("--conformance-json", metavar="FILE", default=None, help="write the matrix as JSON")
    group.addoption("--conformance-md", metavar="FILE", default=None, help="write the matrix as Markdown")
    group.addoption(
        "--vz-driver", choices=sorted(DRIVERS), default="libvirt",
        help="the driver the scenarios exercise (default: libvirt's OpenVZ driver via libvirt-python)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the tags become, and start an empty matrix."""
    config.addinivalue_line("markers", "corpus(item): the thread corpus item a scenario derives from")
    config.addinivalue_line("markers", "sim_only: needs the simulated host (fault injection, arranging)")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """``@gap:<id>`` -> strict xfail with the registered reason; ``@corpus:<id>`` -> marker."""
    kind, _, value = tag.partition(":")
    if kind == "gap":
        if value not in GAPS:
            raise pytest.UsageError(f"unknown gap {value!r}: add it to steps/gaps.py")
        pytest.mark.xfail(strict=True, reason=f"[{value}] {GAPS[value]}")(function)
        return True
    if kind == "corpus":
        pytest.mark.corpus(value)(function)
        return True
    if tag == "sim_only":
        pytest.mark.sim_only(function)
        return True
    return None


def _libvirt(host: HostBackend) -> Driver:
    return host.driver()


# Drivers a scenario run can exercise; each opens a connection on a host backend.
DRIVERS: dict[str, Callable[[HostBackend], Driver]] = {"libvirt": _libvirt}


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """A fresh simulated host per scenario, and the scenario's shared state."""
    from simvz.backends.sim import SimBackend
    from simvz.hostinit import init_host

    opener = DRIVERS[request.config.getoption("vz_driver")]
    w = World(SimBackend(init_host(tmp_path / "node")), opener=opener)
    yield w
    w.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach each scenario's matrix row to its report (user_properties travel back from
    pytest-xdist workers, so the matrix is whole under ``-n``)."""
    report = yield
    names = item.stash.get(SCENARIO_KEY, None)
    if names is None or report.when != "call":
        return report
    row = {
        "feature": names[0],
        "scenario": names[1],
        "corpus": sorted(m.args[0] for m in item.iter_markers("corpus")),
        "result": _verdict(report),
        "reason": getattr(report, "wasxfail", "") or ("" if report.passed else str(report.longrepr)[-300:]),
    }
    report.user_properties.append(("simvz_matrix", row))
    return report


SCENARIO_KEY = pytest.StashKey[tuple[str, str]]()


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Remember which feature and scenario this test runs, for its matrix row."""
    request.node.stash[SCENARIO_KEY] = (feature.name, scenario.name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the rows where the run is reported (the controller under xdist)."""
    for key, row in report.user_properties:
        if key == "simvz_matrix" and isinstance(row, dict):
            _rows.append(row)


_rows: list[dict[str, Any]] = []


def _verdict(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "not honoured" if report.skipped else "fixed?"
    return "honoured" if report.passed else "FAILED"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the conformance matrix (and write it as JSON when asked)."""
    rows = sorted(_rows, key=lambda r: (r["feature"], r["scenario"]))
    if not rows:
        return
    tr = terminalreporter
    tr.section("OpenVZ domain XML conformance (July 2008 thread) — libvirt OpenVZ driver")
    width = max(len(r["scenario"]) for r in rows)
    for feature in sorted({r["feature"] for r in rows}):
        tr.write_line(f"{feature}")
        for r in (r for r in rows if r["feature"] == feature):
            corpus = ",".join(r["corpus"])
            tr.write_line(f"  {r['result']:<13} {r['scenario']:<{width}}  [{corpus}]")
            if r["reason"]:
                tr.write_line(f"                why: {' '.join(r['reason'].split())[:300]}")
    counts = {
        k: sum(r["result"] == k for r in rows) for k in ("honoured", "not honoured", "fixed?", "FAILED")
    }
    tr.write_line(", ".join(f"{v} {k}" for k, v in counts.items()))
    path = config.getoption("conformance_json")
    if path:
        Path(path).write_text(json.dumps({"scenarios": rows}, indent=1) + "\n")
    md = config.getoption("conformance_md")
    if md:
        Path(md).write_text(markdown(rows))


def markdown(rows: list[dict[str, Any]]) -> str:
    """The matrix as a Markdown table, with the reason of every expected failure."""
    lines = [
        "# OpenVZ domain XML conformance: libvirt's OpenVZ driver",
        "",
        "| feature | scenario | thread items | result | reason |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        reason = " ".join(r["reason"].split()).replace("|", "\\|")
        corpus = ", ".join(r["corpus"])
        lines.append(f"| {r['feature']} | {r['scenario']} | {corpus} | {r['result']} | {reason} |")
    return "\n".join(lines) + "\n"
