"""pytest plugin (entry point ``simvz``): a fresh simulated node per test and a libvirt
connection to ``openvz:///system`` on it, the real driver running in a child process
started with the preload shim. ``--libvirt-build DIR`` (declared with the scenario
options in ``steps.plugin``) is the libvirt of every connection the run opens, and the
run's header names the library a process actually maps. The node tools' server for the
session (docs/fastpath.md), or none with ``--tool-server=off``. ``xfail_claim``
(:mod:`simvz.harness.xfail`) marks a test expected to fail, judged here against the
evidence the test recorded: it is an expected failure only for the reason it states.

``--vz-coverage DIR`` (with a ``--coverage`` build): each test's driver processes write
their gcov counters apart (``GCOV_PREFIX``), and the run ends with the driver's line and
branch coverage, the functions never entered, gcovr's HTML and ``DIR/coverage.json``
(which test reaches which driver function); see :mod:`simvz.harness.gcov`.
``--vz-valgrind`` runs every driver process under valgrind memcheck."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from simvz.fastpath import server
from simvz.harness import gcov, libvirt_runner, nodes, xfail
from simvz.harness.claims import CallRecord, Command, Evidence, sanitizer_of, signal_of
from simvz.harness.facade import VirConnect
from simvz.harness.libvirt_build import BuildError, LibvirtBuild, probe
from simvz.harness.libvirt_runner import Call, DriverCrash, Session, SessionDead
from simvz.host import Host

BUILD = pytest.StashKey[LibvirtBuild | None]()
COVERAGE = pytest.StashKey[gcov.Coverage | str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--tool-server``: whether the nodes' tools run through a session's tool server;
    ``--vz-coverage DIR``; ``--vz-valgrind``."""
    parser.getgroup("simvz").addoption(
        "--tool-server",
        choices=("on", "off"),
        default="on",
        help="on (default): nodes made in this session hand their tool calls to one tool "
        "server per worker; off: every call runs the Python entry (the fallback)",
    )
    parser.getgroup("simvz").addoption(
        "--vz-coverage", metavar="DIR", default=None,
        help="with a --libvirt-build made with --coverage: the OpenVZ driver's line and branch "
        "coverage, per test, into DIR (gcovr's HTML, coverage.json)",
    )  # fmt: skip
    parser.getgroup("simvz").addoption(
        "--vz-valgrind", action="store_true", default=False,
        help="run every driver process under valgrind memcheck (slow: seconds a call); "
        "its reports become evidence",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Every Session of the run (tests/libvirt's, the ``openvz`` fixture's, virsh through
    ``simvz run``) loads ``--libvirt-build``'s library."""
    directory = config.getoption("libvirt_build", None)
    try:
        build = LibvirtBuild.find(directory) if directory else None
    except BuildError as err:
        raise pytest.UsageError(str(err)) from err
    config.stash[BUILD] = build
    libvirt_runner.set_default_build(build)
    config.addinivalue_line(
        "markers",
        f"{xfail.MARKER}(reason, *claims, raises, match=None): a strict expected failure, only "
        "for the exception type, message and claims stated (simvz.harness.xfail)",
    )
    if _observe not in libvirt_runner.observers:  # pytester runs configure again in-process
        libvirt_runner.observers.append(_observe)
    if config.getoption("vz_valgrind", False):
        os.environ[libvirt_runner.VALGRIND_ENV] = "1"
    coverage = config.getoption("vz_coverage", None)
    if coverage:
        if build is None:
            raise pytest.UsageError("--vz-coverage needs --libvirt-build (a build made with --coverage)")
        data = Path(coverage).absolute() / "data"
        if not hasattr(config, "workerinput"):  # the controller starts from zero counters
            shutil.rmtree(data, ignore_errors=True)
        os.environ[gcov.ENV] = str(data)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The controller collects the run's coverage (all driver processes have exited)."""
    config = session.config
    coverage, build = config.getoption("vz_coverage", None), config.stash.get(BUILD, None)
    if not coverage or build is None or hasattr(config, "workerinput"):
        return
    out = Path(coverage).absolute()
    try:
        config.stash[COVERAGE] = gcov.collect(out / "data", build.root, out)
    except gcov.CoverageError as err:
        config.stash[COVERAGE] = str(err)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The driver's coverage, when --vz-coverage collected it."""
    found = config.stash.get(COVERAGE, None)
    if found is None:
        return
    terminalreporter.section("libvirt OpenVZ driver coverage (gcov, via gcovr)")
    lines = [f"no coverage: {found}"] if isinstance(found, str) else found.summary()
    for line in lines:
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Back to the system's libvirt (pytester runs in-process)."""
    if BUILD in config.stash:
        libvirt_runner.set_default_build(None)


def pytest_report_header(config: pytest.Config) -> str:
    """``libvirt: libvirt 9.0.0 (/path/libvirt.so...)``: the library a process started as
    the run's Sessions are actually maps (``/proc/self/maps``), not the path asked for."""
    build = config.stash.get(BUILD, None)
    try:
        loaded = probe(build.environ() if build else None)
    except BuildError as err:
        return f"libvirt: ? ({err})"
    return f"libvirt: {loaded.describe()}"


@pytest.fixture
def sim_host(tmp_path: Path) -> Host:
    """A freshly initialised simulated OpenVZ node (``simvz init``) in a temp dir."""
    return nodes.fresh_node(tmp_path / "node")


@pytest.fixture
def openvz(sim_host: Host) -> Iterator[VirConnect]:
    """libvirt's OpenVZ driver connected to ``sim_host``, as libvirt-python's
    ``virConnect`` (``openvz.lookupByName("101").create()``); closed after the test."""
    with Session(sim_host) as session:
        yield VirConnect(session)


@pytest.fixture(scope="session", autouse=True)
def tool_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The socket directory of this session's (this worker's) tool server, which every
    node made in the session uses (``SIMVZ_TOOL_SOCKDIR``); stopped at the session's end.
    With ``--tool-server=off`` the directory stays empty: every call falls back."""
    sockdir = tmp_path_factory.mktemp("tool-server")
    sockdir.chmod(0o700)
    previous = os.environ.get(server.SOCKDIR_ENV)
    os.environ[server.SOCKDIR_ENV] = str(sockdir)
    proc = server.start(str(sockdir)) if request.config.getoption("tool_server") == "on" else None
    try:
        yield sockdir
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        if previous is None:
            os.environ.pop(server.SOCKDIR_ENV, None)
        else:
            os.environ[server.SOCKDIR_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def node_templates(
    tool_server: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[nodes.NodeTemplates]:
    """The session's pristine nodes: every fresh node of the session (``sim_host``, the
    scenarios' hosts, ``nodes.fresh_node``) is a copy of one, made after the tool
    server's socket directory is known (it is written into each node)."""
    templates = nodes.NodeTemplates(tmp_path_factory.mktemp("node-templates"))
    nodes.use(templates)
    try:
        yield templates
    finally:
        nodes.use(None)


# -- xfail_claim: expected failures that prove their reason ------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """An ``xfail_claim`` that cannot be evaluated stops the run before anything runs."""
    wrong: list[str] = []
    for item in items:
        for mark in item.iter_markers(xfail.MARKER):
            try:
                xfail.spec_of(mark)
            except xfail.ClaimError as err:
                wrong.append(f"{item.nodeid}: {err}")
    if wrong:
        raise pytest.UsageError("\n".join(wrong))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Each test gathers its own evidence, from its setup to its teardown. Under
    --vz-coverage, whatever runs the driver during a test (its Sessions, virsh) writes
    gcov counters under that test's directory."""
    xfail.begin()
    prefix = gcov.prefix_for(item.nodeid)
    if prefix is not None:
        os.environ["GCOV_PREFIX"] = prefix
        Path(prefix).mkdir(parents=True, exist_ok=True)
        (Path(prefix) / gcov.NODEID).write_text(item.nodeid, encoding="utf-8")
    try:
        return (yield)
    finally:
        os.environ.pop("GCOV_PREFIX", None)
        xfail.end()


def _observe(call: Call, crash: DriverCrash | None) -> None:
    """A libvirt call of the running test, with its error and node commands."""
    ev = xfail.evidence()
    ev.calls.append(CallRecord(call.what, call.error, [_command(e) for e in call.journal]))
    ev.signal = ev.signal or signal_of(crash)
    ev.sanitizer = ev.sanitizer or sanitizer_of(crash)


def _command(entry: dict[str, Any]) -> Command:
    return Command(" ".join(entry["argv"]), int(entry["exit"]), str(entry.get("stderr", "")))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """An ``xfail_claim`` test that fails for its stated reason is xfailed, with what
    matched; one that fails otherwise fails, saying what was expected and observed; one
    that passes fails (strict). ``--runxfail`` leaves every outcome as it is."""
    report = yield
    mark = item.get_closest_marker(xfail.MARKER)
    if mark is None or item.config.option.runxfail:
        return report
    spec = xfail.spec_of(mark)
    if report.when == "call" and report.passed:
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {spec.reason}"
    elif report.when in ("setup", "call") and report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        expected, lines = spec.judge(exc, _test_evidence(item, exc))
        if expected:
            report.outcome = "skipped"
            report.wasxfail = f"{spec.reason} [" + "; ".join(lines) + "]"
        else:
            text = "failed, but not for the reason its xfail_claim states:\n  " + "\n  ".join(lines)
            report.sections.append(("xfail claim", text))
    return report


def _test_evidence(item: pytest.Item, exc: BaseException) -> Evidence:
    """The running test's evidence, completed with its crash signal and every command
    its simulated nodes (fixtures such as ``sim_host``) ran, ``virsh`` subprocesses' and
    migration's other processes' included."""
    ev = xfail.evidence()
    cause = exc.cause if isinstance(exc, SessionDead) else exc
    ev.signal = ev.signal or signal_of(cause)
    ev.sanitizer = ev.sanitizer or sanitizer_of(cause)
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    hosts = {id(v): (k, v) for k, v in funcargs.items() if isinstance(v, Host)}
    for name, host in hosts.values():
        commands = [_command(e) for e in host.journal()]
        ev.calls.append(CallRecord(f"the journal of {name}", None, commands))
    return ev
