"""The host registry that lets ``vzmigrate DEST`` find DEST without a network
(simvz/registry.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simvz import registry
from simvz.hostinit import init_host


def test_default_path_order(tmp_path: Path) -> None:
    """$SIMVZ_REGISTRY, then $XDG_RUNTIME_DIR/simvz/hosts.json, then a per-user temp dir."""
    assert registry.default_path({"SIMVZ_REGISTRY": "/x/r.json"}) == Path("/x/r.json")
    assert registry.default_path({"XDG_RUNTIME_DIR": str(tmp_path)}) == tmp_path / "simvz/hosts.json"
    fallback = registry.default_path({})
    assert fallback.name == "hosts.json" and fallback.parent.name.startswith("simvz-")


def test_init_registers_and_remembers(tmp_path: Path) -> None:
    reg = tmp_path / "reg/hosts.json"
    a = init_host(tmp_path / "a", hostname="Node-A", registry=reg)
    assert json.loads(reg.read_text())["hosts"] == {"node-a": str(a.root)}
    assert registry.registry_of(a.root) == reg
    # names are case-insensitive, as host names are (ssh lowercases them)
    assert registry.resolve(a.root, "NODE-a") == a.root
    assert registry.resolve(a.root, str(a.root)) == a.root
    assert registry.resolve(a.root, "nowhere") is None
    assert registry.resolve(a.root, str(tmp_path)) is None  # not a host directory


def test_name_of_a_live_host_is_not_taken_over(tmp_path: Path) -> None:
    reg = tmp_path / "hosts.json"
    init_host(tmp_path / "a", hostname="n", registry=reg)
    with pytest.raises(registry.RegistryError, match="already registered"):
        init_host(tmp_path / "b", hostname="n", registry=reg)
    assert not (tmp_path / "b" / ".simvz" / "host.json").exists()
    shutil.rmtree(tmp_path / "a")
    b = init_host(tmp_path / "b", hostname="n", registry=reg)
    assert registry.lookup("n", reg) == b.root


def test_registry_is_safe_under_concurrent_writers(tmp_path: Path) -> None:
    reg = tmp_path / "hosts.json"
    code = "import sys; from pathlib import Path; from simvz import registry; " + (
        "[registry.register(f'h{sys.argv[1]}-{i}', Path(sys.argv[2]) / f'd{i}', Path(sys.argv[3]))"
        " for i in range(20)]"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(n), str(tmp_path), str(reg)]) for n in range(4)
    ]
    assert all(p.wait() == 0 for p in procs)
    assert len(registry.names(reg)) == 80


def test_simvz_init_hostname_registers_in_env_registry(tmp_path: Path) -> None:
    reg = tmp_path / "r.json"
    env = {"SIMVZ_REGISTRY": str(reg), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "simvz", "init"]
    r = subprocess.run(
        [*run, str(tmp_path / "a"), "--hostname", "hn"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert registry.lookup("hn", reg) == tmp_path / "a"
    r = subprocess.run(
        [*run, str(tmp_path / "b"), "--hostname", "hn"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "already registered" in r.stderr and r.stderr.count("\n") == 1
    # without --hostname nothing is registered, but the host still knows the registry
    r = subprocess.run([*run, str(tmp_path / "c")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert set(registry.names(reg)) == {"hn"}
    assert registry.registry_of(tmp_path / "c") == reg
