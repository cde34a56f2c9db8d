"""pytest plugin ``simvz_steps``: the step library, its ``world`` fixture, the ``@gap:``
and ``@corpus:`` tags, the host the scenarios run on (``--vz-host``: a fresh simulated
host per scenario, or this machine's own OpenVZ host behind the safety guard), the
libvirt they load (``--libvirt-build``), and the conformance matrix printed at the end
of a run with a header naming all of that."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from simvz.backends.base import Driver, HostBackend
from simvz.harness.claims import Evidence, sanitizer_of, signal_of
from simvz.harness.guard import GuardError
from simvz.harness.libvirt_runner import DriverHung, SessionDead
from simvz.report import html_page
from simvz_steps.catalogue import (
    FEATURES,
    pytest_bdd_step_func_lookup_error,  # noqa: F401 - registers the unknown-step hook (nearest steps)
)
from simvz_steps.domain import *  # noqa: F403 - registers the steps with pytest-bdd
from simvz_steps.gaps import GAPS, problems
from simvz_steps.host import *  # noqa: F403
from simvz_steps.migration import *  # noqa: F403
from simvz_steps.network import *  # noqa: F403
from simvz_steps.run import SCENARIO_KEY, SETUP, RunSetup, needs_of, scenario_of, template_of
from simvz_steps.world import Ids, World


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--conformance-json FILE``: also write the matrix as JSON."""
    group = parser.getgroup("simvz", "simvz conformance")
    group.addoption("--conformance-json", metavar="FILE", default=None, help="write the matrix as JSON")
    group.addoption("--conformance-md", metavar="FILE", default=None, help="write the matrix as Markdown")
    group.addoption(
        "--conformance-table", action="store_true", default=False,
        help="print the matrix's table even when the run has tests besides scenarios",
    )  # fmt: skip
    group.addoption(
        "--conformance-html", metavar="FILE", default=None, help="write the matrix as an HTML page"
    )
    group.addoption(
        "--vz-driver", choices=sorted(DRIVERS), default="libvirt",
        help="the driver the scenarios exercise (default: libvirt's OpenVZ driver via libvirt-python)",
    )  # fmt: skip
    RunSetup.addoptions(group)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers the tags become; check the run's options before anything
    touches a host (a bad range, an unusable --libvirt-build, -n on a real host)."""
    config.addinivalue_line("markers", "corpus(item): the thread corpus item a scenario derives from")
    config.addinivalue_line("markers", "sim_only: needs the simulated host (fault injection, arranging)")
    config.addinivalue_line("markers", "gap(id): a known driver shortfall, checked against its claim")
    config.addinivalue_line(
        "markers", "beyond_thread: a shipped feature the 2008 thread did not discuss (migration)"
    )
    wrong = problems()
    if wrong:
        raise pytest.UsageError("steps/gaps.py: " + "; ".join(wrong))
    try:
        config.stash[SETUP] = RunSetup.from_config(config)
    except GuardError as err:
        raise pytest.UsageError(str(err)) from err


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a real host, ``@sim_only`` scenarios are skipped with their reason."""
    if config.stash[SETUP].host != "local":
        return
    skip = pytest.mark.skip(reason="@sim_only: needs the simulated host (fault injection into vzctl)")
    for item in items:
        if item.get_closest_marker("sim_only"):
            item.add_marker(skip)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A real host: the guard's preflight (or, with --vz-dry-run, its plan) before the
    first scenario."""
    setup: RunSetup = session.config.stash[SETUP]
    if setup.host != "local" or hasattr(session.config, "workerinput"):
        return
    needs, ids = needs_of(session.items)
    try:
        if setup.dry_run:
            lines, refused = setup.guard().plan(needs, ids, setup.force_clean, setup.accept_uuid_tags)
            session.config.get_terminal_writer().line(
                "simvz dry run: nothing is changed\n  " + "\n  ".join(lines)
            )
            if refused:  # the run would not start: say so in the exit status too
                raise pytest.UsageError("simvz dry run: the guard would refuse this run (see above)")
            session.items.clear()
            return
        for done in setup.guard().preflight(setup.force_clean, setup.accept_uuid_tags):
            session.config.get_terminal_writer().line(f"simvz guard: {done}")
    except GuardError as err:
        raise pytest.UsageError(f"simvz guard: {err}") from err


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """``@gap:<id>`` -> a ``gap`` marker, the claim checked when the scenario fails (see
    :func:`pytest_runtest_makereport`); ``@corpus:<id>`` -> marker."""
    kind, _, value = tag.partition(":")
    if kind == "gap":
        if value not in GAPS:
            raise pytest.UsageError(f"unknown gap {value!r}: add it to steps/gaps.py")
        pytest.mark.gap(value)(function)
        return True
    if kind == "corpus":
        pytest.mark.corpus(value)(function)
        return True
    if tag in ("sim_only", "beyond_thread"):
        getattr(pytest.mark, tag)(function)
        return True
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A dry run that listed its plan succeeded, though no scenario ran. The Cucumber
    JSON (written by pytest-bdd just before) gets each verdict's evidence."""
    if session.config.stash[SETUP].dry_run and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK
    path = getattr(session.config.option, "cucumber_json_path", None)
    if path and Path(path).is_file() and not hasattr(session.config, "workerinput"):
        _cucumber_evidence(Path(path))


def _cucumber_evidence(path: Path) -> None:
    """Each scenario's first step that did not pass carries the verdict and evidence as
    its ``error_message`` (pytest-bdd gives only a failure's traceback, and none for an
    expected failure)."""
    rows = {(r["feature"], r["scenario"]): r for r in _rows}
    features = json.loads(path.read_text())
    for feature in features:
        for element in feature.get("elements", []):
            row = rows.get((feature["name"], element["name"]))
            lines = evidence_text(row) if row else []
            if not lines:
                continue
            text = "\n".join([f"verdict: {row['result']}" if row else "", *lines]).strip()
            steps = [s for s in element.get("steps", []) if s["result"]["status"] != "passed"]
            if steps:
                steps[0]["result"]["error_message"] = text
            element["description"] = (element.get("description", "") + "\n" + text).strip()
    path.write_text(json.dumps(features, indent=1))


def _libvirt(host: HostBackend) -> Driver:
    return host.driver()


# Drivers a scenario run can exercise; each opens a connection on a host backend.
DRIVERS: dict[str, Callable[[HostBackend], Driver]] = {"libvirt": _libvirt}


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """The scenario's host (a fresh simulated one, or the real one) behind the guard,
    and the scenario's shared state. After the scenario, pass or fail, the guard
    destroys every container of the reserved range and checks that the host's network
    is as before."""
    setup: RunSetup = request.config.stash[SETUP]
    guard = setup.guard(tmp_path / "node")
    before = guard.snapshot()
    w = World(setup.guarded(guard), opener=DRIVERS[request.config.getoption("vz_driver")], ids=Ids(setup.ids))
    try:
        yield w
    finally:
        w.close()
        guard.cleanup(before)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A ``@gap`` scenario's verdict, then its matrix row on the report (user_properties
    travel back from pytest-xdist workers, so the matrix is whole under ``-n``)."""
    report = yield
    gaps = [m.args[0] for m in reversed(list(item.iter_markers("gap")))]
    names = scenario_of(item)
    row: dict[str, Any] = {"gap": "", "evidence": {}}
    if report.when == "call" and gaps:
        row = _judge(item, call, report, gaps)
    skipped_before = report.when == "setup" and report.skipped
    if names is not None and report.when == "teardown" and report.failed:
        # the guard's cleanup refused (or failed): whatever the scenario did, its row
        # must not say honoured (pytest_runtest_logreport replaces the call's row)
        failed: dict[str, Any] = {"feature": names[0], "scenario": names[1], "corpus": _corpus(item)}
        failed.update(gap="", evidence={}, result="FAILED", reason=_why(report))
        report.user_properties.append(("simvz_matrix", failed))
        return report
    if names is None or not (report.when == "call" or skipped_before):
        return report
    row = {
        "feature": names[0],
        "scenario": names[1],
        "corpus": _corpus(item),
        "thread": _shipped(item) and not _beyond(item),
        "beyond": _beyond(item),
        "result": _verdict(report),
        **row,
    }
    row.setdefault("reason", "" if report.passed else _why(report))
    if call.excinfo is not None and call.excinfo.errisinstance((DriverHung, SessionDead)):
        # a driver call gave no answer within --vz-call-timeout (or came after one that did)
        row.update(result="hung", reason=str(call.excinfo.value))
    report.user_properties.append(("simvz_matrix", row))
    # JUnit XML writes user_properties as <property>: the verdict and its evidence
    report.user_properties += [("simvz_verdict", row["result"]), ("simvz_gap", row["gap"])]
    report.user_properties.append(("simvz_evidence", "\n".join(evidence_text(row))))
    return report


def evidence_text(row: dict[str, Any]) -> list[str]:
    """A row's full evidence: what matched its gap's claim, then everything observed."""
    ev = row.get("evidence") or {}
    matched = [f"matched [{row['gap']}]: {ev['matched']}"] if ev.get("matched") else []
    return matched + list(ev.get("lines", []))


def _judge(
    item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport, gaps: list[str]
) -> dict[str, Any]:
    """Check a failing ``@gap`` scenario against its gaps' claims, in tag order: the first
    claim the evidence matches makes it an expected failure ("not honoured") with that
    evidence; none matching leaves it failed ("not honoured (changed)"); a pass fails
    the run ("fixed?")."""
    tags = ", ".join(f"@gap:{g}" for g in gaps)
    if report.passed:
        report.outcome = "failed"
        report.longrepr = f"{XPASS_STRICT}[{gaps[0]}] {GAPS[gaps[0]].reason}"
        return {"gap": gaps[0], "evidence": {}}
    if not report.failed:
        return {"gap": "", "evidence": {}}
    ev = _evidence(item, call)
    for gap in gaps:
        claim = GAPS[gap].claim
        found = claim.find(ev) if claim else None
        if found:
            report.outcome = "skipped"
            report.wasxfail = f"[{gap}] {found}"
            evidence = {"matched": found, "lines": ev.lines(), **ev.as_dict()}
            return {"gap": gap, "reason": GAPS[gap].reason, "evidence": evidence}
    expected = "; ".join(f"[{g}] {c.describe()}" for g in gaps if (c := GAPS[g].claim))
    report.sections.append(("simvz gap claim", f"not honoured (changed): tagged {tags}, expected {expected}"))
    report.user_properties.append(("simvz_changed", True))
    reason = f"tagged {tags}, but no claim matches: expected {expected}"
    evidence = {"matched": "", "lines": ev.lines(), **ev.as_dict()}
    return {"gap": gaps[0], "reason": reason, "evidence": evidence}


EVIDENCE_KEY = pytest.StashKey[Evidence]()


def _evidence(item: pytest.Item, call: pytest.CallInfo[None]) -> Evidence:
    ev = item.stash.get(EVIDENCE_KEY, None) or Evidence()
    exc = call.excinfo.value if call.excinfo else None
    ev.signal = ev.signal or signal_of(exc)
    ev.sanitizer = ev.sanitizer or sanitizer_of(exc)
    if not ev.failure and call.excinfo is not None:
        ev.failure = f"{call.excinfo.typename}: {exc}"
    return ev


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any, exception: Exception) -> None:
    """Keep the scenario's evidence with its first failing step and failure."""
    try:
        ev: Evidence = request.getfixturevalue("world").evidence
    except pytest.FixtureLookupError:
        ev = Evidence()
    ev.step = ev.step or f"{step.keyword} {step.name}"
    first = (str(exception).strip().splitlines() or [""])[0]
    ev.failure = ev.failure or f"{type(exception).__name__}: {first}"
    ev.signal = ev.signal or signal_of(exception)
    ev.sanitizer = ev.sanitizer or sanitizer_of(exception)
    request.node.stash[EVIDENCE_KEY] = ev


def _corpus(item: pytest.Item) -> list[str]:
    return sorted(m.args[0] for m in item.iter_markers("corpus"))


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Remember which feature and scenario this test runs, for its matrix row."""
    request.node.stash[SCENARIO_KEY] = (feature.name, scenario.name)


def _why(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = str(report.longrepr)
    if text.startswith(XPASS_STRICT):
        return "passes now, though tagged " + text.removeprefix(XPASS_STRICT)
    return text[-300:]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the rows where the run is reported (the controller under xdist)."""
    if report.when == "call" and not any(k == "simvz_matrix" for k, _ in report.user_properties):
        _others.add(report.nodeid)
    for key, row in report.user_properties:
        if key == "simvz_matrix" and isinstance(row, dict):
            if report.nodeid in _row_of:  # a failed teardown overrides the call's row
                _rows[_row_of[report.nodeid]] = row
            else:
                _row_of[report.nodeid] = len(_rows)
                _rows.append(row)


_rows: list[dict[str, Any]] = []
_row_of: dict[str, int] = {}  # test id -> its row in _rows
_others: set[str] = set()  # tests of the run that are not scenarios


def _verdict(report: pytest.TestReport) -> str:
    if ("simvz_changed", True) in report.user_properties:
        return "not honoured (changed)"
    if hasattr(report, "wasxfail"):
        return "not honoured" if report.skipped else "fixed?"
    if report.skipped:
        return "skipped"
    if report.failed and str(report.longrepr).startswith(XPASS_STRICT):
        return "fixed?"  # a strict @gap scenario passed: pytest fails it, the matrix says why
    return "honoured" if report.passed else "FAILED"


XPASS_STRICT = "[XPASS(strict)] "


def _shipped(item: pytest.Item) -> bool:
    """Whether the scenario is one of the thread's features shipped with the library."""
    template = template_of(item)
    if template is None:
        return False
    return Path(template.feature.filename).resolve().is_relative_to(FEATURES.resolve())


def _beyond(item: pytest.Item) -> bool:
    """Whether the scenario is of a shipped feature tagged ``@beyond_thread``: one the
    thread did not discuss (migration), held to libvirt's API documentation instead."""
    return _shipped(item) and item.get_closest_marker("beyond_thread") is not None


def _scope(rows: list[dict[str, Any]]) -> str:
    """What the matrix covers, from the features that ran: the thread's, the shipped
    features beyond it, a project's own, or several of these."""

    def count(n: int, what: str) -> str:
        return f"{n} feature{'s' if n > 1 else ''}{what}" if n else ""

    beyond = len({r["feature"] for r in rows if r.get("beyond")})
    own = len({r["feature"] for r in rows if not r.get("thread") and not r.get("beyond")})
    if not any(r.get("thread") for r in rows) and not beyond:
        return count(own, "")
    parts = ["July 2008 thread" if any(r.get("thread") for r in rows) else ""]
    parts += [count(beyond, " beyond the thread"), count(own, " of your own")]
    named = [p for p in parts if p]
    return " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Generator[None, None, None]:
    """A quiet run whose output is not a terminal prints xdist's worker status once per
    change ("bringing up nodes..."): noise in the matrix's log, so the status reporter's
    hooks go (before xdist's own session start brings the workers up). One line stays:
    when collection ends xdist calls the reporter itself, not through a hook
    (``xdist/dsession.py:DSession.worker_collectionfinish`` calls
    ``trdist.ensure_show_status()``, xdist 3.8), and no option turns that off."""
    manager = session.config.pluginmanager
    status = manager.get_plugin("terminaldistreporter")
    if session.config.option.verbose < 0 and status is not None:
        manager.unregister(status)
    return (yield)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the conformance matrix, each verdict with its evidence wrapped to the
    terminal's width (and write it as JSON and Markdown when asked)."""
    rows = sorted(_rows, key=lambda r: (r["feature"], r["scenario"]))
    if not rows:
        return
    tr = terminalreporter
    header = config.stash[SETUP].header(config.getoption("vz_driver"))
    if _others and not config.getoption("conformance_table"):
        # a test suite that runs some scenarios among other tests: the counts, not the
        # table (`simvz conformance` prints it; --conformance-table asks for it here)
        tr.write_line("conformance: " + ", ".join(f"{v} {k}" for k, v in counts(rows).items() if v))
    else:
        _print_matrix(tr, rows, header)
    _write_reports(config, rows, header)


def _print_matrix(tr: Any, rows: list[dict[str, Any]], header: dict[str, str]) -> None:
    tr.section(f"OpenVZ domain XML conformance ({_scope(rows)}) — libvirt OpenVZ driver")
    for key, value in header.items():
        tr.write_line(f"{key + ':':<9} {value}")
    tr.write_line(f"{'[N]:':<9} {CORPUS_NOTE}")
    width = shutil.get_terminal_size((100, 24)).columns
    for line in matrix_lines(rows, width):
        tr.write_line(line)
    tr.write_line(", ".join(f"{v} {k}" for k, v in counts(rows).items()))


def _write_reports(config: pytest.Config, rows: list[dict[str, Any]], header: dict[str, str]) -> None:
    path = config.getoption("conformance_json")
    if path:
        Path(path).write_text(json.dumps({"header": header, "scenarios": rows}, indent=1) + "\n")
    md = config.getoption("conformance_md")
    if md:
        Path(md).write_text(markdown(rows, header))
    page = config.getoption("conformance_html")
    if page:
        report = {"header": header, "scenarios": rows}
        Path(page).write_text(html_page([(str(path or "this run"), report)]), encoding="utf-8")


CORPUS_NOTE = "the thread's items the scenario derives from (corpus/thread/NN-*, listed in corpus/README.md)"


def matrix_lines(rows: list[dict[str, Any]], width: int) -> list[str]:
    """The matrix body: per feature, each scenario's verdict and thread items, then its
    gap and evidence wrapped to ``width`` (words are never cut)."""
    name_width = max(len(r["scenario"]) for r in rows)
    result_width = max(len(r["result"]) for r in rows)
    out: list[str] = []
    for feature in sorted({r["feature"] for r in rows}):
        out.append(feature)
        for r in (r for r in rows if r["feature"] == feature):
            corpus = ",".join(r["corpus"])
            items = f"  [{corpus}]" if corpus else ""  # a feature beyond the thread has none
            out.append(f"  {r['result']:<{result_width}} {r['scenario']:<{name_width}}{items}".rstrip())
            out += _wrapped(evidence_lines(r), width)
    return out


def evidence_lines(row: dict[str, Any]) -> list[str]:
    """What a row's verdict rests on: the gap and the evidence that matched its claim,
    or what was observed instead (changed, FAILED), or why it was skipped."""
    ev = row.get("evidence") or {}
    if row["result"] == "not honoured":
        return [f"gap: [{row['gap']}] {ev.get('matched', '')}"]
    if row["result"] == "not honoured (changed)":
        return [f"expected: {row['reason']}", *(f"observed {line}" for line in ev.get("lines", []))]
    return [f"why: {row['reason']}"] if row.get("reason") else []


def _wrapped(lines: list[str], width: int) -> list[str]:
    indent = " " * 16
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(
            " ".join(line.split()), max(width, 40), initial_indent=indent, subsequent_indent=indent + "  ",
            break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip
    return out


RESULTS = ("honoured", "not honoured", "not honoured (changed)", "skipped", "fixed?", "FAILED", "hung")


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many scenarios have each result."""
    return {k: sum(r["result"] == k for r in rows) for k in RESULTS}


def markdown(rows: list[dict[str, Any]], header: dict[str, str] | None = None) -> str:
    """The matrix as a Markdown table, with every verdict's gap and full evidence."""
    lines = [
        "# OpenVZ domain XML conformance: libvirt's OpenVZ driver",
        "",
        *(f"- {k}: {v}" for k, v in (header or {}).items()),
        f"- thread items: {CORPUS_NOTE}",
        "",
        "| feature | scenario | thread items | result | reason | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        reason = _cell(r["reason"])
        evidence = "<br>".join(_cell(line) for line in (r.get("evidence") or {}).get("lines", []))
        corpus = ", ".join(r["corpus"])
        cells = (r["feature"], r["scenario"], corpus, r["result"], reason, evidence)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
