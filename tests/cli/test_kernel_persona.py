"""Kernel personas (simvz/model/persona.py): an 042stab node has vswap, an 028stab one
has not, and vzctl 4.11.1 tells them apart only by ``/proc/vz/vswap``
(``KV:src/lib/util.c:is_vswap_mode``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simvz.host import Host
from simvz.hostinit import init_host
from tests.conftest import create_ct, vzctl

NO_VSWAP = "Error: kernel does not support vswap, unable to use --ram/--swap parameters\n"


@pytest.fixture
def old(tmp_path: Path) -> Host:
    return init_host(tmp_path / "node", kernel="028stab")


def test_the_default_kernel_is_042stab_with_vswap(host: Host) -> None:
    assert host.fs.exists("/proc/vz/vswap")
    assert host.fs.read("/proc/vz/version") == "042stab120.11\n"


def test_028stab_has_no_vswap_and_its_own_version(old: Host) -> None:
    assert not old.fs.exists("/proc/vz/vswap")
    assert (old.fs.read("/proc/vz/version") or "").startswith("028stab")
    assert old.settings.kernel == "028stab"


def test_ram_and_swap_are_refused_without_vswap(old: Host) -> None:
    # KV:src/lib/config.c:parse_vswap returns ERR_OTHER: "Error parsing options", exit 3
    create_ct(old, 101)
    for opt in ("--ram", "--swap"):
        r = vzctl(old, "set", "101", opt, "1G", "--save")
        assert (r.exit, r.out, r.err) == (3, "", NO_VSWAP + "Error parsing options\n")


def test_force_before_ram_lets_it_through(old: Host) -> None:
    create_ct(old, 101)
    r = vzctl(old, "set", "101", "--force", "--ram", "1G", "--save")
    assert r.exit == 0, r
    assert 'PHYSPAGES="0:262144"' in (old.fs.read("/etc/vz/conf/101.conf") or "")


def test_a_vswap_config_does_not_start_on_028stab(old: Host) -> None:
    # the default CONFIGFILE is vswap-256m, a vswap config (KV:src/lib/ub.c:check_ub)
    create_ct(old, 101)
    r = vzctl(old, "start", "101")
    assert (r.exit, r.out) == (5, "Starting container...\n")
    assert r.err == (
        "Error: detected vswap CT config but kernel does not support vswap\n"
        "This means either old kernel or bad config (physpages NOT set to 0:unlimited)\n"
    )
    assert vzctl(old, "status", "101").out == "CTID 101 exist unmounted down\n"


def test_a_non_vswap_config_starts_on_028stab(old: Host) -> None:
    create_ct(old, 101, extra=["--config", "basic"])
    assert vzctl(old, "start", "101").exit == 0


def test_the_same_vswap_config_starts_on_042stab(host: Host) -> None:
    create_ct(host, 101)
    assert vzctl(host, "start", "101").exit == 0


def test_simvz_init_kernel_option(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "simvz", "init", str(tmp_path / "n"), "--kernel", "028stab"],
        capture_output=True, text=True, check=False,
    )
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "n/proc/vz/vswap").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "simvz", "init", str(tmp_path / "m"), "--kernel", "999stab"],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    assert not (tmp_path / "m").exists()
