"""Shared fixtures: a freshly initialised simulated node (``simvz init``), and helpers to
create and start containers through vzctl itself, as an administrator would."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from simvz.harness.nodes import fresh_node
from simvz.harness.scratch import scratch_environ
from simvz.host import Host
from simvz.results import Result

# vz.conf's DEF_OSTEMPLATE in vzctl 4.11.1 (KV:etc/vz.conf.in); simvz init ships it.
DEFAULT_TEMPLATE = "centos-6-x86"


def make_host(root: Path, *, vzctl_version: str = "4.11.1", templates: Sequence[str] = ()) -> Host:
    """A new node under ``root`` (``simvz init``), with the default templates: a copy of
    the session's pristine node of that kind (simvz/harness/nodes.py)."""
    return fresh_node(root, templates=templates, vzctl_version=vzctl_version)


def vzctl(host: Host, *args: str | bytes) -> Result:
    """Run ``vzctl ARGS`` on ``host`` in-process."""
    return host.run("vzctl", ["vzctl", *args])


def vzlist(host: Host, *args: str | bytes) -> Result:
    """Run ``vzlist ARGS`` on ``host`` in-process."""
    return host.run("vzlist", ["vzlist", *args])


def create_ct(
    host: Host, veid: int = 101, template: str = DEFAULT_TEMPLATE, extra: Sequence[str] = ()
) -> Result:
    """``vzctl create VEID --ostemplate TEMPLATE EXTRA``; fails the test if vzctl refuses."""
    r = vzctl(host, "create", str(veid), "--ostemplate", template, *extra)
    assert r.exit == 0, (r.exit, r.out, r.err)
    return r


def start_ct(host: Host, veid: int = 101) -> Result:
    """``vzctl start VEID``; fails the test if vzctl refuses."""
    r = vzctl(host, "start", str(veid))
    assert r.exit == 0, (r.exit, r.out, r.err)
    return r


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The tests' temporary directories, and so their nodes, on a memory file system
    (simvz/harness/scratch.py: a node tool fsyncs every config it saves, a wait per
    save on a disk), unless ``--basetemp`` or ``TMPDIR`` says where. pytest-xdist's
    workers inherit the environment; pyproject.toml keeps only failed tests' directories."""
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    env = scratch_environ(dict(os.environ))
    if env.get("TMPDIR") != os.environ.get("TMPDIR"):
        os.environ["TMPDIR"] = env["TMPDIR"]
        tempfile.tempdir = None  # gettempdir() looks again


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``slow`` tests first, each group in its own order: under ``-n`` the long ones
    (a wheel built and installed, whole conformance runs) start early and the short ones
    fill in behind, instead of one worker finishing a half-minute test alone at the end.
    Every worker collects the same order, as pytest-xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# The pytest runs tests start as programs under test (scenario runs under the shim, a
# --libvirt-build run, the living table, pytester's runs) use neither hypothesis nor
# pyfakefs: their plugins, some 0.8 s of imports, are a third of such a run's start-up.
CHILD_PYTEST_OPTS = "-p no:hypothesispytest -p no:fakefs"


@pytest.fixture(scope="session", autouse=True)
def _lean_child_pytest() -> Iterator[None]:
    """Set for the child runs only: this run (and its xdist workers) has parsed its own
    options already."""
    before = os.environ.get("PYTEST_ADDOPTS")
    os.environ["PYTEST_ADDOPTS"] = " ".join(filter(None, [before, CHILD_PYTEST_OPTS]))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_ADDOPTS", None)
        else:
            os.environ["PYTEST_ADDOPTS"] = before


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, whose runs get :data:`CHILD_PYTEST_OPTS` too (it removes
    PYTEST_ADDOPTS from their environment)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", CHILD_PYTEST_OPTS)
    return pytester


@pytest.fixture(autouse=True)
def _own_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test registers `simvz init --hostname` hosts in its own registry, never the
    user's: names stay free across parallel workers and reruns (simvz/registry.py)."""
    monkeypatch.setenv("SIMVZ_REGISTRY", str(tmp_path / "registry" / "hosts.json"))


@pytest.fixture
def host(tmp_path: Path) -> Host:
    """A fresh simulated node with the default templates and no container."""
    return make_host(tmp_path / "node")


@pytest.fixture
def ct101(host: Host) -> Host:
    """The node with CT 101 created from centos-6-x86 (stopped, unmounted)."""
    create_ct(host, 101)
    return host
