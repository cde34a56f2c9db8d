"""What a scenario run is set up with: the host (``--vz-host``), the reserved CT ID
range and the guard's options, the libvirt build; and what the run's scenarios need
from a host (for the dry run)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simvz.backends.base import HostBackend
from simvz.backends.guarded import GuardedBackend
from simvz.harness.guard import DEFAULT_RANGE, CtidRange, Guard, GuardError
from simvz.harness.libvirt_build import BuildError, LibvirtBuild, Loaded
from simvz.harness.libvirt_runner import TIMEOUT_ENV


@dataclass(frozen=True)
class RunSetup:
    """The run's options, checked."""

    host: str  # "sim" or "local"
    ids: CtidRange
    libvirt: LibvirtBuild | None
    force_clean: bool = False
    accept_uuid_tags: bool = False
    dry_run: bool = False

    @staticmethod
    def addoptions(group: Any) -> None:
        """The command-line options."""
        group.addoption(
            "--vz-host", choices=("sim", "local"), default="sim",
            help="sim: a fresh simulated host per scenario (default); local: this machine's "
            "own OpenVZ host, behind the safety guard (run as root, one scenario at a time)",
        )  # fmt: skip
        group.addoption(
            "--vz-ctid-range", default=DEFAULT_RANGE, metavar="FIRST-LAST",
            help=f"the CT IDs scenarios may use (default {DEFAULT_RANGE}); "
            "scenario container 209 is FIRST+209",
        )  # fmt: skip
        group.addoption(
            "--vz-force-clean", action="store_true",
            help="destroy containers already in the reserved range before the run (only those)",
        )  # fmt: skip
        group.addoption(
            "--vz-accept-uuid-tags", action="store_true",
            help="let libvirt's driver append #UUID lines to configs outside the range "
            "(it does so on connect)",
        )  # fmt: skip
        group.addoption(
            "--vz-dry-run", action="store_true", help="list what a real-host run would touch; run nothing"
        )
        group.addoption(
            "--vz-call-timeout", metavar="SECONDS", type=float, default=None,
            help="seconds a libvirt call may take before it is killed and shown as hung "
            "(default $SIMVZ_CALL_TIMEOUT, else 900)",
        )  # fmt: skip
        group.addoption(
            "--libvirt-build", metavar="DIR", default=None,
            help="load libvirt.so (and virsh) from this libvirt build tree or install prefix",
        )  # fmt: skip

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunSetup:
        """Checked options; GuardError says what is wrong before anything runs."""
        host = config.getoption("vz_host")
        ids = CtidRange.parse(config.getoption("vz_ctid_range"))
        libvirt = None
        if config.getoption("libvirt_build"):
            try:
                libvirt = LibvirtBuild.find(config.getoption("libvirt_build"))
                libvirt.check()
            except BuildError as err:
                raise GuardError(str(err)) from err
        timeout = config.getoption("vz_call_timeout")
        if timeout is not None:
            if not timeout > 0:
                raise GuardError(f"--vz-call-timeout {timeout:g}: must be more than 0 seconds")
            # the driver sessions read it (libvirt_runner.call_timeout), in xdist workers too
            os.environ[TIMEOUT_ENV] = repr(timeout)
        if host == "local" and (getattr(config.option, "numprocesses", None) or 0) > 0:
            raise GuardError("--vz-host local runs one scenario at a time on the one host: drop -n")
        return cls(
            host, ids, libvirt,
            force_clean=config.getoption("vz_force_clean"),
            accept_uuid_tags=config.getoption("vz_accept_uuid_tags"),
            dry_run=config.getoption("vz_dry_run"),
        )  # fmt: skip

    def backend(self, node: Path | None = None) -> HostBackend:
        """A fresh simulated host at ``node``, or this machine's."""
        if self.host == "local":
            from simvz.backends.local import LocalBackend

            return LocalBackend(self.libvirt, inside=self.ids)
        from simvz.backends.sim import SimBackend
        from simvz.harness.nodes import fresh_node

        if node is None:
            raise ValueError("a simulated host needs a directory")
        return SimBackend(fresh_node(node), self.libvirt)

    def guard(self, node: Path | None = None) -> Guard:
        """The guard of the scenario's host."""
        return Guard(self.backend(node), self.ids, real=self.host == "local")

    def guarded(self, guard: Guard) -> GuardedBackend:
        """The guard's host, every command checked."""
        return GuardedBackend(guard.host, guard)

    def header(self, driver: str) -> dict[str, str]:
        """The matrix header: host backend, driver, the libvirt actually loaded."""
        from simvz.harness.libvirt_build import probe

        if self.host == "local":
            from simvz.backends.local import LocalBackend

            host = LocalBackend(self.libvirt).describe()
        else:
            host = "simulated OpenVZ host (simvz, vzctl 4.11.1, fresh per scenario)"
        try:
            loaded = self.libvirt.check() if self.libvirt else probe()
        except BuildError as err:
            loaded = Loaded(f"? ({err})", "?")
        return {
            "host": host,
            "driver": DRIVER_NAMES.get(driver, driver),
            "libvirt": loaded.describe(),
            "ct ids": f"{self.ids} (scenario container N is {self.ids.first}+N)",
        }


# How the matrix header names each driver a run can exercise (--vz-driver).
DRIVER_NAMES = {"libvirt": "libvirt's OpenVZ driver (openvz:///system), one child process per connection"}

SETUP = pytest.StashKey[RunSetup]()

# What the scenarios need from a host, by step text (the dry run's list).
_NEEDS = (
    ("template", re.compile(r'(?:unpacked|created) from template "([^"]+)"')),
    ("template", re.compile(r'the host has the OS template "([^"]+)"')),
    ("template", re.compile(r'vzctl create \d+ .*--ostemplate ([^\s"]+)')),
    ("bridge", re.compile(r'the host has a bridge "([^"]+)"')),
    ("nic", re.compile(r'the host has a spare NIC "([^"]+)"')),
)
_IDS = re.compile(r'(?:container |domain named "|domain |vzctl \w+ )(\d+)')


def template_of(item: pytest.Item) -> Any:
    """The pytest-bdd scenario template a generated test runs, None for other tests."""
    # pytest-bdd (7 to 9) keeps each generated test's scenario in this registry; it is
    # how a scenario skipped before it runs (@sim_only on a real host) gets its row
    import importlib

    module = importlib.import_module("pytest_bdd.scenario")  # the module, not the decorator
    registry = getattr(module, "scenario_wrapper_template_registry", {})
    obj = getattr(item, "obj", None)
    return None if obj is None else registry.get(obj)


SCENARIO_KEY = pytest.StashKey[tuple[str, str]]()


def scenario_of(item: pytest.Item) -> tuple[str, str] | None:
    """(feature, scenario) of a pytest-bdd test item, None for other tests: from
    pytest-bdd's registry, else from the public ``pytest_bdd_before_scenario`` hook."""
    template = template_of(item)
    if template is not None:
        # a Scenario Outline's row is named with its example's values filled in
        callspec = getattr(item, "callspec", None)
        example = callspec.params.get("_pytest_bdd_example") if callspec is not None else None
        return template.feature.name, template.render(example).name if example else template.name
    return item.stash.get(SCENARIO_KEY, None)


def needs_of(items: list[pytest.Item]) -> tuple[dict[str, set[str]], set[int]]:
    """Templates, bridges and NICs the scenarios check for; the scenario CT IDs."""
    needs: dict[str, set[str]] = {}
    ids: set[int] = set()
    for item in items:
        template = template_of(item)
        if template is None or item.get_closest_marker("skip"):
            continue
        for step in template.steps:
            for kind, pattern in _NEEDS:
                needs.setdefault(kind, set()).update(pattern.findall(step.name))
            ids.update(int(n) for n in _IDS.findall(step.name))
    return {k: v for k, v in needs.items() if v}, ids
