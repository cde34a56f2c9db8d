"""``--libvirt-build``: the driver's process loads the build's libvirt.so, proven by the
file the process actually mapped (/proc/self/maps), not by the path asked for.

A real build takes minutes and its build dependencies (README recipe); here the build
is an install prefix holding a copy of the system's libvirt.so.0.9000.0 and virsh: a
real library at another path, which is all the loader's choice depends on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.harness.libvirt_build import BuildError, LibvirtBuild, probe
from simvz.harness.libvirt_runner import Session
from simvz.host import Host
from simvz.main import main

SYSTEM = Path("/usr/lib/x86_64-linux-gnu/libvirt.so.0")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    """An install prefix: lib/libvirt.so.0 -> libvirt.so.0.9000.0, bin/virsh."""
    p = tmp_path / "prefix"
    (p / "lib").mkdir(parents=True)
    real = SYSTEM.resolve()
    shutil.copy2(real, p / "lib" / real.name)
    (p / "lib" / "libvirt.so.0").symlink_to(real.name)
    (p / "bin").mkdir()
    shutil.copy2(shutil.which("virsh") or "/usr/bin/virsh", p / "bin" / "virsh")
    return p


def test_the_drivers_process_maps_the_builds_library(prefix: Path, sim_host: Host) -> None:
    build = LibvirtBuild.find(prefix)
    with Session(sim_host, libvirt=build) as s:
        assert os.path.samefile(s.library, prefix / "lib" / "libvirt.so.0.9000.0")
        assert not os.path.samefile(s.library, SYSTEM)
        assert s.version == "9.0.0"
        assert s.call("getType") == "OpenVZ"  # the build's driver runs against the node
    with Session(sim_host) as system:
        assert os.path.samefile(system.library, SYSTEM)


def test_find_accepts_a_meson_build_tree_and_an_install_prefix(prefix: Path, tmp_path: Path) -> None:
    tree = tmp_path / "libvirt-9.0.0" / "build"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "libvirt.so.0").symlink_to(prefix / "lib" / "libvirt.so.0")
    assert LibvirtBuild.find(tree).library == tree / "src" / "libvirt.so.0"
    assert LibvirtBuild.find(tree).virsh is None
    assert LibvirtBuild.find(prefix).virsh == prefix / "bin" / "virsh"


def test_a_directory_without_a_usable_library_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no libvirt\.so\.0 in src/, lib/x86_64-linux-gnu/"):
        LibvirtBuild.find(tmp_path)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libvirt.so.0").write_text("not an ELF file\n")
    with pytest.raises(BuildError, match=r"libvirt cannot be loaded: .*libvirt\.so\.0"):
        LibvirtBuild.find(tmp_path).check()


def test_simvz_refuses_an_unusable_build_before_touching_the_host(
    tmp_path: Path, sim_host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(sim_host.journal())
    assert main(["run", "--libvirt-build", str(tmp_path), str(sim_host.root), "--", "true"]) == 2
    assert main(["conformance", "--libvirt-build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count(f"simvz: --libvirt-build {tmp_path}: no libvirt.so.0") == 2
    assert len(sim_host.journal()) == before


def test_simvz_run_puts_the_builds_virsh_and_library_first(prefix: Path, sim_host: Host) -> None:
    script = (
        "command -v virsh; ldd \"$(command -v virsh)\" | grep 'libvirt.so.0 '; "
        "virsh -c openvz:///system list --all --name"
    )
    run = ["run", "--libvirt-build", str(prefix), str(sim_host.root), "--", "sh", "-c", script]
    done = subprocess.run(
        [sys.executable, "-m", "simvz.main", *run],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(prefix / "bin" / "virsh")
    assert f"=> {prefix / 'lib' / 'libvirt.so.0'}" in lines[1]


def test_the_matrix_header_names_the_library_loaded(prefix: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/bdd/test_thread_scenarios.py", "-q", "-p", "no:cacheprovider",
         "-k", "vcpus", "--libvirt-build", str(prefix), "--conformance-json", str(out)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    header = json.loads(out.read_text())["header"]
    assert header["libvirt"] == f"libvirt 9.0.0 ({prefix / 'lib' / 'libvirt.so.0.9000.0'})"
    assert header["host"].startswith("simulated OpenVZ host") and "vzctl 4.11.1" in header["host"]
    assert f"libvirt:  libvirt 9.0.0 ({prefix / 'lib'}" in done.stdout


def test_without_a_build_the_system_library_is_reported() -> None:
    assert os.path.samefile(probe().library, SYSTEM)


def test_pytest_libvirt_build_reaches_every_session_of_tests_libvirt(prefix: Path) -> None:
    """``pytest tests/libvirt --libvirt-build B``: the fixtures' and hand-made Sessions
    map B's library (tests/libvirt/test_loaded.py checks /proc/self/maps of each
    driver process), and the header names the library actually mapped."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--libvirt-build", str(prefix),
         "tests/libvirt/test_loaded.py",
         "tests/libvirt/test_connect.py::test_type_and_version_come_from_vzctl_help"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"libvirt: libvirt 9.0.0 ({prefix / 'lib' / 'libvirt.so.0.9000.0'})" in done.stdout
    assert "2 passed" in done.stdout
