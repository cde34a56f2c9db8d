"""The driver under the microscope, on libvirt builds of our own (``simvz libvirt-build``,
cached in $XDG_CACHE_HOME/simvz/libvirt; skipped, with the reason, where Debian's source
or the build tools cannot be had): gcov coverage per test, and AddressSanitizer proven
active by a deliberately bad call it must catch.

Slow by nature: an uncached build takes minutes (see the README's figures); a cached
one is reused, and the runs themselves take tens of seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simvz.harness.libvirt_build import LibvirtBuild
from simvz.harness.libvirt_runner import DriverCrash, Session
from simvz.harness.libvirt_source import Recipe, SourceUnavailable, build
from simvz.harness.sanitizer import lines_of
from simvz.host import Host
from tests.libvirt.support import domain_xml, mount_fs, prepare_private

REPO = Path(__file__).resolve().parents[2]
CANARY = REPO / "tests" / "harness" / "data" / "asan-canary.patch"


def _built(recipe: Recipe) -> LibvirtBuild:
    try:
        return build(recipe)
    except SourceUnavailable as why:
        pytest.skip(f"libvirt {recipe.version} cannot be built here: {why}")


@pytest.mark.slow
def test_asan_catches_an_overflow_in_the_driver(sim_host: Host) -> None:
    """The canary patch makes openvzDomainSetMemoryInternal print into its 16-byte
    buffer unbounded (as the stock code's g_snprintf does not): a memory of 16 digits in
    bytes overflows it, and the ASan build stops the driver's process with a report that
    becomes the evidence. A small memory passes: ASan is active, and silent."""
    libvirt = _built(Recipe.debian("9.0.0", (CANARY,), asan=True))
    private = prepare_private(sim_host, 101)
    with Session(sim_host, libvirt=libvirt) as s:
        s.call("defineXML", domain_xml(101, devices=mount_fs(private)))  # 268435456 bytes: fits
        assert s.memory_errors() == []
    with Session(sim_host, libvirt=libvirt) as s, pytest.raises(DriverCrash) as crash:
        s.call("defineXML", domain_xml(102, memory_kib=976562500000, devices=mount_fs(private)))
    assert lines_of(crash.value) == [
        "AddressSanitizer: stack-buffer-overflow in openvzDomainSetMemoryInternal "
        "(../src/openvz/openvz_driver.c:1472)"
    ]


@pytest.mark.slow
def test_coverage_tells_which_test_reaches_which_driver_function(tmp_path: Path) -> None:
    libvirt = _built(Recipe.debian("9.0.0", coverage=True))
    out = tmp_path / "cov"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/libvirt/test_xml2argv.py", "-q", "-p", "no:cacheprovider",
         "-k", "mount-bridge-two or none-minimal", "--libvirt-build", str(libvirt.root),
         "--vz-coverage", str(out)],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "libvirt OpenVZ driver coverage (gcov, via gcovr)" in done.stdout
    assert "src/openvz/openvz_driver.c" in done.stdout
    report = json.loads((out / "coverage.json").read_text())
    reach = {k.rsplit("[", 1)[-1].rstrip("]"): set(v) for k, v in report["reach"].items()}
    assert "openvzDomainSetNetwork" in reach["mount-bridge-two"]  # a bridge interface
    assert "openvzDomainSetNetwork" not in reach["none-minimal"]  # no interface at all
    assert "openvzDomainDefineCmd" in reach["none-minimal"]  # vzctl create: no filesystem
    assert "openvzDomainDefineCmd" not in reach["mount-bridge-two"]  # a mount: the config is written
    files = {f["file"]: f for f in report["files"]}
    assert files["src/openvz/openvz_driver.c"]["lines"][0] > 0
    assert (out / "html" / "index.html").is_file()
