"""vzctl's start-time beancounter defaults (vzctl src/lib/ub.c:fill_vswap_ub, called by
src/lib/env.c:vps_start_custom and src/vzctl-actions.c:set), seen where an administrator
sees them: /proc/bc/<id>/resources, vzlist, and vzctl's own messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvz.host import Host
from simvz.model import ubc
from tests.conftest import create_ct, make_host, start_ct, vzctl, vzlist

LONG_MAX = 2**63 - 1
RAM, SWAP = 65536, 131072  # ve-vswap-256m: PHYSPAGES 0:256M, SWAPPAGES 0:512M


def limits(host: Host, veid: int = 101) -> dict[str, tuple[int, int]]:
    """barrier:limit by resource, from /proc/bc/<id>/resources."""
    out = {}
    for line in (host.root / f"proc/bc/{veid}/resources").read_text().splitlines():
        name, *values = line.split()
        out[name] = (int(values[2]), int(values[3]))
    return out


@pytest.fixture
def node(tmp_path: Path) -> Host:
    host = make_host(tmp_path / "node")
    create_ct(host, 101)  # CONFIGFILE="vswap-256m": only PHYSPAGES and SWAPPAGES set
    return host


def test_start_derives_the_secondary_beancounters_from_ram_and_swap(node: Host) -> None:
    start_ct(node)
    got = limits(node)
    assert got["lockedpages"] == (RAM, RAM)
    assert got["oomguarpages"] == (RAM, LONG_MAX)
    assert got["vmguarpages"] == (RAM + SWAP, LONG_MAX)
    assert got["privvmpages"] == (LONG_MAX, LONG_MAX)  # no VM_OVERCOMMIT
    assert got["physpages"] == (0, RAM) and got["swappages"] == (0, SWAP)
    out = vzlist(node, "-H", "-o", "lockedpages.b,oomguarpages.b,vmguarpages.b").out
    assert out.split() == [str(RAM), str(RAM), str(RAM + SWAP)]


def test_overcommit_sets_privvmpages(node: Host) -> None:
    assert vzctl(node, "set", "101", "--vm_overcommit", "1.5", "--save").exit == 0
    start_ct(node)
    assert limits(node)["privvmpages"] == (int((RAM + SWAP) * 1.5),) * 2


def test_a_configured_value_is_kept(node: Host) -> None:
    assert vzctl(node, "set", "101", "--lockedpages", "100:200", "--save").exit == 0
    start_ct(node)
    assert limits(node)["lockedpages"] == (100, 200)
    assert limits(node)["oomguarpages"] == (RAM, LONG_MAX)


def test_a_non_vswap_config_gets_no_defaults(tmp_path: Path) -> None:
    """PHYSPAGES 0:unlimited is not a vswap config: what vzctl does not pass keeps the
    kernel's defaults (kernel/bc/beancounter.c:init_beancounter_nolimits)."""
    host = make_host(tmp_path / "node")
    create_ct(host, 101, extra=("--config", "basic"))
    start_ct(host)
    got = limits(host)
    assert got["physpages"] == (0, LONG_MAX)
    assert got["lockedpages"] != (0, 0) and got["lockedpages"][0] != RAM


def test_live_set_applies_the_defaults_and_says_so(node: Host) -> None:
    """set calls fill_vswap_ub(config, command line): a new --ram moves lockedpages when
    the config does not set it, and even --hostname applies UBC parameters."""
    start_ct(node)
    r = vzctl(node, "set", "101", "--ram", "512M", "--save")
    assert r.exit == 0 and "UB limits were set successfully" in r.out
    assert limits(node)["lockedpages"] == (2 * RAM, 2 * RAM)
    r = vzctl(node, "set", "101", "--hostname", "ct101.example", "--save")
    assert r.exit == 0 and "UB limits were set successfully" in r.out


def test_set_on_a_stopped_ct_without_save_refuses_ubc(node: Host) -> None:
    r = vzctl(node, "set", "101", "--onboot", "yes")
    assert (r.exit, r.err) == (31, "Unable to apply UBC parameters: container is not running\n")


def test_fill_vswap_rules() -> None:
    """The source's rules: nothing outside vswap; RAM from the command line first; what
    either side sets is left alone; (ram + swap) * ovc in single precision."""
    unlimited = {"PHYSPAGES": (0, LONG_MAX), "SWAPPAGES": (0, 10)}
    assert ubc.fill_vswap(unlimited, {}, None) == {}
    cfg = {"PHYSPAGES": (0, 100), "SWAPPAGES": (0, 50)}
    assert ubc.fill_vswap(cfg, {"PHYSPAGES": (0, 200)}, None)["LOCKEDPAGES"] == (200, 200)
    assert "OOMGUARPAGES" not in ubc.fill_vswap({**cfg, "OOMGUARPAGES": (1, 2)}, {}, None)
    assert "VMGUARPAGES" not in ubc.fill_vswap(cfg, {"VMGUARPAGES": (1, 2)}, None)
    odd = {"PHYSPAGES": (0, 2**24), "SWAPPAGES": (0, 1)}  # 2**24 + 1 is not a float
    assert ubc.fill_vswap(odd, {}, 1.0)["PRIVVMPAGES"] == (2**24, 2**24)
    assert ubc.is_vswap_config({"PHYSPAGES": (0, 2**31 - 1)}) is False  # 32-bit LONG_MAX
